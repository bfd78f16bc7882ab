// porkit attack CONFIG: inject -> fine-tune -> evaluate, with the clean model as control.
#include <cstdio>

#include "porkit/cli/attack_config.h"
#include "porkit/cli/commands.h"
#include "porkit/util/runtime.h"

namespace porkit::cli {

void register_attack(CLI::App& app) {
  struct Flags {
    std::string config, out;
    int threads = 0;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("attack", "Run inject -> finetune -> evaluate (and the clean control) from a config file");
  cmd->add_option("config", f->config, "TOML config: model, out, seed, and [inject] [finetune] [evaluate] sections "
                                       "whose keys are those commands' flags")->required();
  cmd->add_option("--out", f->out, "Run folder (overrides the config's out)");
  add_threads_option(*cmd, f->threads);
  cmd->callback([f] {
    auto plan = load_attack_plan(f->config, fs::current_path());
    if (!f->out.empty()) plan.out = f->out;
    plan.inject.threads = plan.finetune.threads = plan.evaluate.threads = f->threads;
    configure_runtime(f->threads);
    auto summary = attack::run_attack(plan);
    std::printf("\n");
    finish_attack_run(summary, plan.out);
  });
}

}  // namespace porkit::cli
