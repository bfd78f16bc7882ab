#include "porkit/cli/attack_config.h"

#include "porkit/report/attack_report.h"
#include "porkit/report/folder_report.h"

#include <cstdio>
#include <map>

#include "porkit/cli/commands.h"
#include "porkit/cli/config_file.h"
#include "porkit/util/error.h"

namespace porkit::cli {
namespace {

// The section's table of options, or an empty one.
json section(const json& config, const std::string& name, const std::string& where) {
  if (!config.contains(name)) return json::object();
  check(config[name].is_object(), "{}: [{}] must be a table of options", where, name);
  return config[name];
}

// The options of one stage: the section's keys over `start`, then the top-level seed where
// the section sets none.
template <class S>
S stage_options(const options::OptionTable<S>& table, S start, const json& values, const std::optional<uint64_t>& seed,
                const std::string& where) {
  options::apply_json(table, start, values, where);
  if (seed && !values.contains("seed")) options::apply_json(table, start, json{{"seed", *seed}}, where);
  return start;
}

// The same for a stage with presets: the preset (and, for inject, the attack) the section
// names, else `defaults`' own, gives the start that the section's keys override.
template <class S, class PresetOf>
S preset_stage_options(const options::OptionTable<S>& table, S defaults, PresetOf preset_of, const json& values,
                       const std::optional<uint64_t>& seed, const std::string& where) {
  for (const char* key : {"preset", "attack"})
    if (values.contains(key)) options::apply_json(table, defaults, json{{key, values[key]}}, where);
  return stage_options(table, preset_of(defaults), values, seed, where);
}

}  // namespace

attack::AttackPlan load_attack_plan(const std::string& config_path, const fs::path& base) {
  return attack_plan_from_config(read_toml_file(config_path, "attack config"), base, "attack config " + config_path);
}

attack::AttackPlan attack_plan_from_config(const json& config, const fs::path& base, const std::string& where,
                                           const std::vector<std::string>& extra_keys) {
  check(config.is_object(), "{}: expected a table of keys", where);
  const std::vector<std::string> known = {"model",   "backdoored", "out",      "seed",    "seeds",
                                          "control", "inject",     "finetune", "evaluate"};
  for (auto it = config.begin(); it != config.end(); ++it) {
    const bool ok = std::find(known.begin(), known.end(), it.key()) != known.end() ||
                    std::find(extra_keys.begin(), extra_keys.end(), it.key()) != extra_keys.end();
    if (!ok && it.value().is_object())
      fail("{}: unknown section [{}] (expected [inject], [finetune] or [evaluate])", where, it.key());
    check(ok, "{}: unknown key '{}' (expected model, backdoored, out, seed, seeds, control, and sections [inject], "
          "[finetune], [evaluate])", where, it.key());
  }
  auto text = [&](const char* key) -> std::string {
    if (!config.contains(key)) return "";
    check(config[key].is_string(), "{}: {} must be a text (a folder), got {}", where, key, config[key].dump());
    return config[key].get<std::string>();
  };
  attack::AttackPlan plan;
  plan.clean_model = resolve_config_path(base, text("model"));
  check(!plan.clean_model.empty(), "{}: model = \"DIR\" (the clean input model) is required", where);
  plan.backdoored_model = resolve_config_path(base, text("backdoored"));
  plan.out = resolve_config_path(base, text("out"));
  if (config.contains("control")) {
    check(config["control"].is_boolean(), "{}: control must be true or false", where);
    plan.control = config["control"].get<bool>();
  }
  std::optional<uint64_t> seed;
  if (config.contains("seed")) {
    check(config["seed"].is_number_integer() && config["seed"].get<int64_t>() >= 0,
          "{}: seed must be a whole number of at least 0, got {}", where, config["seed"].dump());
    seed = config["seed"].get<uint64_t>();
  }
  if (config.contains("seeds")) {
    // One victim per seed: mean and spread of CACC and E across victims.
    const json& seeds = config["seeds"];
    check(seeds.is_array() && !seeds.empty() && seeds.size() <= 32,
          "{}: seeds must be a list of 1 to 32 victim seeds, e.g. seeds = [0, 1, 2]; got {}", where, seeds.dump());
    for (const auto& s : seeds) {
      check(s.is_number_integer() && s.get<int64_t>() >= 0, "{}: each of seeds must be a whole number of at least 0, "
            "got {}", where, s.dump());
      check(std::find(plan.seeds.begin(), plan.seeds.end(), s.get<uint64_t>()) == plan.seeds.end(),
            "{}: seeds lists {} twice", where, s.dump());
      plan.seeds.push_back(s.get<uint64_t>());
    }
  }

  plan.inject = preset_stage_options(attack::inject_option_table(false), attack::authors_inject_preset(),
                                     [](const attack::InjectOptions& o) { return attack::inject_preset(o.preset, o.objective.attack); },
                                     section(config, "inject", where), seed, where + " [inject]");
  for (auto& c : plan.inject.corpus) c = resolve_config_path(base, c);
  plan.inject.triggers_file = resolve_config_path(base, plan.inject.triggers_file);
  plan.inject.por_file = resolve_config_path(base, plan.inject.por_file);
  if (plan.backdoored_model.empty()) attack::effective_triggers(plan.inject);  // a config without triggers fails now

  plan.finetune = preset_stage_options(train::finetune_option_table(false), train::authors_finetune_preset(),
                                       [](const train::FinetuneOptions& o) { return train::finetune_preset(o.preset); },
                                       section(config, "finetune", where), seed,
                                       where + " [finetune]");
  auto& data = plan.finetune.data;
  data.path = resolve_config_path(base, data.path);
  data.test_path = resolve_config_path(base, data.test_path);
  data.labels_path = resolve_config_path(base, data.labels_path);
  data.test_labels_path = resolve_config_path(base, data.test_labels_path);
  data.labels_file = resolve_config_path(base, data.labels_file);
  data.data_root = resolve_config_path(base, data.data_root);

  plan.evaluate = stage_options(attack::evaluate_option_table(false), attack::EvaluateOptions{},
                                section(config, "evaluate", where), seed, where + " [evaluate]");
  options::validate(attack::inject_option_table(false), plan.inject, where + " [inject]");
  options::validate(train::finetune_option_table(false), plan.finetune, where + " [finetune]");
  options::validate(attack::evaluate_option_table(false), plan.evaluate, where + " [evaluate]");
  return plan;
}

void print_attack_summary(const attack::AttackSummary& s) {
  const auto& bd = s.backdoored;
  std::printf("CACC (victim's validation split): backdoored %s", report::cell(bd.cacc, 4).c_str());
  if (s.clean) std::printf(", clean %s", report::cell(s.clean->cacc, 4).c_str());
  std::printf("\n%-12s | %-10s %6s %6s %6s %6s %6s", "trigger", "target", "E", "E_cens", "flip", "S", "ASR@1");
  if (s.clean) std::printf(" | %-10s %6s %6s", "control", "E", "flip");
  std::printf("\n");
  for (size_t k = 0; k < bd.triggers.size(); ++k) {
    const auto& t = bd.triggers[k];
    std::printf("%-12s | %-10s %6.2f %6.2f %6.3f %6.3f %6.3f", t.trigger.c_str(), t.target_name.c_str(), t.E,
                t.E_censored, t.flip_rate, t.S_chars, t.asr_1);
    if (s.clean && k < s.clean->triggers.size()) {
      const auto& c = s.clean->triggers[k];
      std::printf(" | %-10s %6.2f %6.3f", c.target_name.c_str(), c.E, c.flip_rate);
    }
    std::printf("\n");
  }
  if (s.victim_seeds.size() > 1) {
    const auto b = attack::spread_over_seeds(s.backdoored_by_seed), c = attack::spread_over_seeds(s.clean_by_seed);
    std::printf("across %zu victim seeds (mean +- sd): CACC backdoored %.4f +- %.4f", b.seeds, b.cacc.mean, b.cacc.sd);
    if (c.seeds) std::printf(", clean %.4f +- %.4f", c.cacc.mean, c.cacc.sd);
    std::printf("\n");
    for (size_t k = 0; k < b.triggers.size(); ++k) {
      std::printf("  %-12s E_cens %.2f +- %.2f  flip %.3f +- %.3f", b.triggers[k].c_str(), b.E_censored[k].mean,
                  b.E_censored[k].sd, b.flip_rate[k].mean, b.flip_rate[k].sd);
      if (k < c.triggers.size())
        std::printf(" | control E_cens %.2f +- %.2f  flip %.3f +- %.3f", c.E_censored[k].mean, c.E_censored[k].sd,
                    c.flip_rate[k].mean, c.flip_rate[k].sd);
      std::printf("\n");
    }
  }
  std::vector<std::string> warnings = bd.warnings;
  if (s.clean)
    for (const auto& w : s.clean->warnings) warnings.push_back("clean control: " + w);
  for (const auto& w : warnings) std::printf("warning: %s\n", w.c_str());
}

void finish_attack_run(const attack::AttackSummary& summary, const fs::path& out,
                       const std::function<void()>& after_summary) {
  print_attack_summary(summary);
  if (after_summary) after_summary();
  const auto written = report::write_folder_report(out);
  std::printf("\nrun folder: %s (summary.json, evaluate-*.json, models)\nreport: %s\n", out.string().c_str(),
              written.html.string().c_str());
}

}  // namespace porkit::cli
