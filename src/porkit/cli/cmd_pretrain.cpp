// porkit pretrain: flags, or a TOML recipe (--recipe FILE) whose keys are the flag names.
#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/train/pretrain.h"

namespace porkit::cli {

void register_pretrain(CLI::App& app) {
  add_options_command<train::PretrainOptions>(app, "pretrain", "BERT pre-training: masked LM + next-sentence prediction",
                                              train::pretrain_option_table(), train::PretrainOptions{},
                                              [](const train::PretrainOptions& o) { train::run_pretrain(o); });
}

}  // namespace porkit::cli
