// porkit finetune: the victim's fine-tuning (sentence classification or NER).
#include <cstdio>

#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/train/finetune.h"

namespace porkit::cli {

void register_finetune(CLI::App& app) {
  add_options_command<train::FinetuneOptions>(
      app, "finetune", "Fine-tune a BERT folder plus a fresh head, as a victim would", train::finetune_option_table(),
      train::authors_finetune_preset(),
      [](const train::FinetuneOptions& o) { std::printf("%s\n", train::run_finetune(o).dump(2).c_str()); },
      /*recipe=*/true, [](const train::FinetuneOptions& first) { return train::finetune_preset(first.preset); });
}

}  // namespace porkit::cli
