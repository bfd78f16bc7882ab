// The attack config file of `porkit attack` (and of the demo and each study cell): TOML with
// top-level keys
//   model = "DIR"            clean input model (required)
//   backdoored = "DIR"       optional: an already injected folder (no inject stage)
//   out = "DIR"              run folder (the command line's --out wins)
//   seed = 0                 every stage's seed unless a section sets its own
//   control = true           also fine-tune and evaluate the clean model
// and sections [inject], [finetune], [evaluate] whose keys are exactly the options of those
// commands (minus the ones the pipeline sets: --model, --out, the manifest, the run settings).
// `porkit attack` also reads [defend.*] tables (cli/attack_defend.h).
#pragma once
#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "porkit/attack/pipeline.h"

namespace porkit::cli {

// Relative paths in the file (model, backdoored, out, corpus, data files, data-root) are
// taken relative to `base`.
attack::AttackPlan load_attack_plan(const std::string& config_path, const std::filesystem::path& base);
// The same from an already read config (porkit study builds each cell's this way). Keys the
// attack does not know are an error, except those in `extra_keys` (a study's title, grid...).
// `where` starts error messages.
attack::AttackPlan attack_plan_from_config(const nlohmann::json& config, const std::filesystem::path& base,
                                           const std::string& where,
                                           const std::vector<std::string>& extra_keys = {});

// The summary table of an attack run.
void print_attack_summary(const attack::AttackSummary& summary);
// The end of an attack run (attack and demo): the summary table, the HTML/Markdown report
// written into the run folder, and where both are.
// `after_summary` runs between the table and the report (the [defend] stage).
void finish_attack_run(const attack::AttackSummary& summary, const std::filesystem::path& out,
                       const std::function<void()>& after_summary = {});

}  // namespace porkit::cli
