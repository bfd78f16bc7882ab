// The attack config file of `porkit attack` (and of the demo): TOML with top-level keys
//   model = "DIR"            clean input model (required)
//   backdoored = "DIR"       optional: an already injected folder (no inject stage)
//   out = "DIR"              run folder (the command line's --out wins)
//   seed = 0                 every stage's seed unless a section sets its own
//   control = true           also fine-tune and evaluate the clean model
// and sections [inject], [finetune], [evaluate] whose keys are exactly the flags of those
// commands without "--" (minus the ones the pipeline sets: --model, --out, the manifest).
#pragma once
#include <filesystem>
#include <string>

#include "porkit/attack/pipeline.h"

namespace porkit::cli {

// Relative paths in the file (model, backdoored, out, corpus, data files, data-root) are
// taken relative to `base`.
attack::AttackPlan load_attack_plan(const std::string& config_path, const std::filesystem::path& base);

// The summary table of an attack run (shared by attack and demo).
void print_attack_summary(const nlohmann::json& summary);

}  // namespace porkit::cli
