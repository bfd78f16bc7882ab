#include "porkit/cli/attack_config.h"

#include "porkit/report/folder_report.h"

#include <cstdio>
#include <map>

#include "porkit/cli/commands.h"
#include "porkit/cli/stage_flags.h"
#include "porkit/util/error.h"

namespace porkit::cli {
namespace {

std::string resolve(const fs::path& base, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (base / p).lexically_normal().string();
}

// "name = inputs" lines: what a stage's settings are, for the run folder's stage records.
std::string describe(const std::vector<CLI::ConfigItem>& items) {
  std::string s;
  for (const auto& item : items) {
    s += item.fullname() + " =";
    for (const auto& v : item.inputs) s += " " + v;
    s += "\n";
  }
  return s;
}

}  // namespace

attack::AttackPlan load_attack_plan(const std::string& config_path, const fs::path& base) {
  return attack_plan_from_items(read_config_items(config_path, "attack config"), base,
                                "attack config " + config_path);
}

attack::AttackPlan attack_plan_from_items(const std::vector<CLI::ConfigItem>& items, const fs::path& base,
                                          const std::string& where) {
  std::map<std::string, std::vector<CLI::ConfigItem>> sections;
  for (auto item : items) {
    if (item.name == "++" || item.name == "--") continue;
    std::string section = item.parents.empty() ? "" : item.parents.front();
    check(item.parents.size() <= 1, "{}: '{}' is nested too deep (sections are [inject], [finetune], [evaluate])",
          where, item.fullname());
    check(section.empty() || section == "inject" || section == "finetune" || section == "evaluate",
          "{}: unknown section [{}] (expected inject, finetune or evaluate)", where, section);
    sections[section].push_back(item);  // flags are looked up by item.name
  }

  attack::AttackPlan plan;
  CLI::App top{"attack config", "attack"};
  std::string model, backdoored, out;
  uint64_t seed = 0;
  bool control = true;
  top.add_option("--model", model);
  top.add_option("--backdoored", backdoored);
  top.add_option("--out", out);
  auto* seed_opt = top.add_option("--seed", seed);
  top.add_option("--control", control);
  apply_config_items(top, sections[""], where);
  check(!model.empty(), "{}: model = \"DIR\" (the clean input model) is required", where);
  plan.clean_model = resolve(base, model);
  plan.backdoored_model = resolve(base, backdoored);
  plan.out = resolve(base, out);
  plan.control = control;
  const std::string common = describe(sections[""]);

  CLI::App inject_app{"inject section", "inject"};
  InjectFlags inject;
  add_inject_flags(inject_app, inject, /*standalone=*/false);
  apply_config_items(inject_app, sections["inject"], where);
  resolve_inject_flags(inject_app, inject, /*need_triggers=*/plan.backdoored_model.empty());
  for (auto& c : inject.options.corpus) c = resolve(base, c);
  if (seed_opt->count() && !inject_app.count("--seed")) inject.options.trainer.seed = seed;
  plan.inject = inject.options;

  CLI::App finetune_app{"finetune section", "finetune"};
  FinetuneFlags finetune;
  add_finetune_flags(finetune_app, finetune, /*standalone=*/false);
  apply_config_items(finetune_app, sections["finetune"], where);
  resolve_finetune_flags(finetune_app, finetune);
  auto& data = finetune.options.data;
  data.path = resolve(base, data.path);
  data.test_path = resolve(base, data.test_path);
  finetune.options.data_root = resolve(base, finetune.options.data_root);
  if (seed_opt->count() && !finetune_app.count("--seed")) finetune.options.trainer.seed = seed;
  plan.finetune = finetune.options;

  CLI::App evaluate_app{"evaluate section", "evaluate"};
  EvaluateFlags evaluate;
  add_evaluate_flags(evaluate_app, evaluate, /*standalone=*/false);
  apply_config_items(evaluate_app, sections["evaluate"], where);
  resolve_evaluate_flags(evaluate);
  if (seed_opt->count() && !evaluate_app.count("--seed")) evaluate.options.seed = seed;
  plan.evaluate = evaluate.options;

  plan.inject_settings = common + describe(sections["inject"]);
  plan.finetune_settings = common + describe(sections["finetune"]);
  plan.evaluate_settings = common + describe(sections["evaluate"]);
  return plan;
}

void print_attack_summary(const json& s) {
  const bool control = s.contains("clean");
  const json& bd = s["backdoored"];
  std::printf("CACC (victim's validation split): backdoored %.4f", bd["cacc"].get<double>());
  if (control) std::printf(", clean %.4f", s["clean"]["cacc"].get<double>());
  std::printf("\n%-12s | %-10s %6s %6s %6s %6s %6s", "trigger", "target", "E", "E_cens", "flip", "S", "ASR@1");
  if (control) std::printf(" | %-10s %6s %6s", "control", "E", "flip");
  std::printf("\n");
  for (size_t k = 0; k < bd["triggers"].size(); ++k) {
    const json& t = bd["triggers"][k];
    std::printf("%-12s | %-10s %6.2f %6.2f %6.3f %6.3f %6.3f", t["trigger"].get<std::string>().c_str(),
                t["target_name"].get<std::string>().c_str(), t["E"].get<double>(), t["E_censored"].get<double>(),
                t["flip_rate"].get<double>(), t["S_chars"].get<double>(), t["asr_1"].get<double>());
    if (control) {
      const json& c = s["clean"]["triggers"][k];
      std::printf(" | %-10s %6.2f %6.3f", c["target_name"].get<std::string>().c_str(), c["E"].get<double>(),
                  c["flip_rate"].get<double>());
    }
    std::printf("\n");
  }
}

void finish_attack_run(const json& summary, const fs::path& out) {
  print_attack_summary(summary);
  const auto written = report::write_folder_report(out);
  std::printf("\nrun folder: %s (summary.json, evaluate-*.json, models)\nreport: %s\n", out.string().c_str(),
              written.html.string().c_str());
}

}  // namespace porkit::cli
