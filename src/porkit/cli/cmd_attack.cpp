// porkit attack CONFIG: inject -> fine-tune -> evaluate, with the clean model as control.
#include <cstdio>

#include "porkit/cli/attack_config.h"
#include "porkit/cli/attack_defend.h"
#include "porkit/cli/config_file.h"
#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/model/device.h"
#include "porkit/util/runtime.h"

namespace porkit::cli {
namespace {

struct AttackFlags {
  std::string out;
  std::vector<std::string> set;  // KEY=VALUE overrides of the config
  RunSettings run;
};

}  // namespace

void register_attack(CLI::App& app) {
  static const options::OptionTable<AttackFlags> table = [] {
    options::OptionTable<AttackFlags> t;
    t.add("out", &AttackFlags::out, "Run folder (overrides the config's out)").as(options::Role::Output);
    t.add("set", &AttackFlags::set, "Override a config key: KEY=VALUE, e.g. model=models/x or finetune.lr=2e-5 (repeatable)");
    t.include(run_settings_table(), &AttackFlags::run, kModelRunSettings);
    return t;
  }();
  auto config = std::make_shared<std::string>();
  auto given = std::make_shared<GivenValues>();
  auto* cmd = app.add_subcommand("attack", "Run inject -> finetune -> evaluate (and the clean control) from a config file");
  cmd->add_option("config", *config, "TOML config: model, out, seed, and [inject] [finetune] [evaluate] sections "
                                     "whose keys are those commands' options, and [defend.purify|strip|monitor|onion]")->required();
  add_flags(*cmd, table, AttackFlags{}, given);
  cmd->callback([config, given] {
    const AttackFlags f = resolve_options(table, AttackFlags{}, nlohmann::json(), "", *given, "porkit attack");
    const std::string path = original_argument(*config);
    json toml = read_toml_file(path, "attack config");
    apply_overrides(toml, f.set, "porkit attack");
    auto plan = attack_plan_from_config(toml, fs::current_path(), "attack config " + path, {"defend"});
    const DefendPlan defences = defend_plan_from_config(toml, fs::current_path(), "attack config " + path);
    if (!f.out.empty()) plan.out = f.out;
    plan.run = f.run;
    model::start_run(f.run, "attack");  // a bad --device fails here, before any stage
    auto summary = attack::run_attack(plan);
    std::printf("\n");
    finish_attack_run(summary, plan.out, [&] { run_defend_stage(plan, defences, summary); });
  });
}

}  // namespace porkit::cli
