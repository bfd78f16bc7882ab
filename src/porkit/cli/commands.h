// Each subcommand registers itself on the root CLI11 app; parsing stays in cli/, the work
// is done by library functions that take options structs.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "porkit/data/presets.h"

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

// The results table of porkit evaluate (shared with demo).
void print_evaluation(const nlohmann::json& results);

// --threads, shared by every command that runs the model.
void add_threads_option(CLI::App& cmd, int& threads);

// The data-set flags of finetune and evaluate (--data-preset, --data, --test-data, --format,
// --text-column, --label-column, --data-root).
void add_data_options(CLI::App& cmd, data::DataSpec& spec, std::string& data_root);

// --recipe FILE: a TOML file of flag values. Call apply_recipe() first thing in the
// command's callback; options given on the command line keep their values.
void add_recipe_option(CLI::App& cmd, std::string& recipe);
void apply_recipe(CLI::App& cmd, const std::string& recipe);

// The pieces of apply_recipe, for configs with sections (porkit attack): every key=value of
// a TOML file, and setting them as flags of `cmd` (`where` prefixes error messages).
std::vector<CLI::ConfigItem> read_config_items(const std::string& path, const std::string& what);
void apply_config_items(CLI::App& cmd, const std::vector<CLI::ConfigItem>& items, const std::string& where);

}  // namespace porkit::cli
