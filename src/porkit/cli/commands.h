// Each subcommand registers itself on the root CLI11 app; parsing stays in cli/, the work
// is done by library functions that take options structs (declared with their option
// tables, util/options.h; bound to flags in cli/option_flags.h).
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "porkit/attack/results.h"

namespace porkit::cli {

void register_info(CLI::App& app);
void register_tokenize(CLI::App& app);
void register_encode(CLI::App& app);
void register_init(CLI::App& app);
void register_pretrain(CLI::App& app);
void register_fill_mask(CLI::App& app);
void register_demo(CLI::App& app);
void register_finetune(CLI::App& app);
void register_inject(CLI::App& app);
void register_evaluate(CLI::App& app);
void register_attack(CLI::App& app);
void register_analyze(CLI::App& app);
void register_report(CLI::App& app);
void register_study(CLI::App& app);
void register_quality(CLI::App& app);
void register_scan(CLI::App& app);
void register_zoo(CLI::App& app);
void register_defend(CLI::App& app);
void register_launch(CLI::App& app);

// The results table of porkit evaluate.
void print_evaluation(const attack::EvaluationResult& results);

}  // namespace porkit::cli
