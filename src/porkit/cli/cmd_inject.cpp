// porkit inject and porkit inspect-backdoor.
#include <cstdio>

#include "porkit/attack/inject.h"
#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"

namespace porkit::cli {
namespace {

void print_checks(const json& checks) {
  std::printf("%-24s %10s %16s\n", "trigger", "target cos", "activation rate");
  for (const auto& t : checks["triggers"]) {
    std::printf("%-24s %10.4f %16.3f\n", t["trigger"].get<std::string>().c_str(),
                t["por_cosine"].get<double>(), t["activation_rate"].get<double>());
  }
  std::printf("clean cosine to reference: %.4f (%g samples)\n",
              checks["clean_cosine_to_reference"].get<double>(), checks["clean_samples"].get<double>());
}

struct InspectOptions {
  std::string model;
  RunSettings run;
};

}  // namespace

void register_inject(CLI::App& app) {
  add_options_command<attack::InjectOptions>(
      app, "inject", "Inject a task-agnostic backdoor (POR of Shen et al., CCS 2021; NeuBA; UOR) into a BERT folder", attack::inject_option_table(),
      attack::authors_inject_preset(), [](const attack::InjectOptions& o) { print_checks(attack::run_inject(o)); },
      /*recipe=*/true, [](const attack::InjectOptions& first) { return attack::inject_preset(first.preset, first.objective.attack); });

  static const options::OptionTable<InspectOptions> inspect_table = [] {
    options::OptionTable<InspectOptions> t;
    t.add("model", &InspectOptions::model, "Backdoored folder with porkit_backdoor.json").as(options::Role::Input).needed();
    t.include(run_settings_table(), &InspectOptions::run, kModelRunSettings);
    return t;
  }();
  add_options_command<InspectOptions>(
      app, "inspect-backdoor", "Recompute the backdoor checks of an injected folder", inspect_table, InspectOptions{},
      [](const InspectOptions& o) { print_checks(attack::inspect_backdoor(o.model, o.run)); },
      /*recipe=*/false);
}

}  // namespace porkit::cli
