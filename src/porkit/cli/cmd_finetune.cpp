// porkit finetune: the victim's fine-tuning (sentence classification or NER).
#include <cstdio>

#include "porkit/cli/commands.h"
#include "porkit/cli/stage_flags.h"

namespace porkit::cli {

void register_finetune(CLI::App& app) {
  auto f = std::make_shared<FinetuneFlags>();
  auto recipe = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("finetune", "Fine-tune a BERT folder plus a fresh head, as a victim would");
  add_recipe_option(*cmd, *recipe);
  add_finetune_flags(*cmd, *f, /*standalone=*/true);
  add_threads_option(*cmd, f->options.threads);
  cmd->callback([f, recipe, cmd] {
    apply_recipe(*cmd, *recipe);
    resolve_finetune_flags(*cmd, *f);
    auto metrics = train::run_finetune(f->options);
    std::printf("%s\n", metrics.dump(2).c_str());
  });
}

}  // namespace porkit::cli
