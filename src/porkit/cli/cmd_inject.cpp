// porkit inject and porkit inspect-backdoor.
#include <cstdio>

#include "porkit/attack/inject.h"
#include "porkit/cli/commands.h"
#include "porkit/cli/stage_flags.h"

namespace porkit::cli {
namespace {

void print_checks(const json& checks) {
  std::printf("%-24s %10s %16s\n", "trigger", "POR cosine", "activation rate");
  for (const auto& t : checks["triggers"]) {
    std::printf("%-24s %10.4f %16.3f\n", t["trigger"].get<std::string>().c_str(),
                t["por_cosine"].get<double>(), t["activation_rate"].get<double>());
  }
  std::printf("clean cosine to reference: %.4f (%g samples)\n",
              checks["clean_cosine_to_reference"].get<double>(), checks["clean_samples"].get<double>());
}

}  // namespace

void register_inject(CLI::App& app) {
  auto f = std::make_shared<InjectFlags>();
  auto recipe = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("inject", "Inject the POR backdoor (Shen et al., CCS 2021) into a BERT folder");
  add_recipe_option(*cmd, *recipe);
  add_inject_flags(*cmd, *f, /*standalone=*/true);
  add_threads_option(*cmd, f->options.threads);
  cmd->callback([=] {
    apply_recipe(*cmd, *recipe);
    resolve_inject_flags(*cmd, *f, /*need_triggers=*/true);
    print_checks(attack::run_inject(f->options));
  });

  auto inspect_dir = std::make_shared<std::string>();
  auto inspect_threads = std::make_shared<int>(0);
  auto* inspect = app.add_subcommand("inspect-backdoor", "Recompute the backdoor checks of an injected folder");
  inspect->add_option("--model", *inspect_dir, "Backdoored folder with porkit_backdoor.json")->required();
  add_threads_option(*inspect, *inspect_threads);
  inspect->callback([=] { print_checks(attack::inspect_backdoor(*inspect_dir, *inspect_threads)); });
}

}  // namespace porkit::cli
