#include "porkit/cli/attack_defend.h"

#include <cstdio>

#include "porkit/attack/backdoor_manifest.h"
#include "porkit/attack/stage_record.h"
#include "porkit/cli/config_file.h"
#include "porkit/defend/filter_result.h"
#include "porkit/io/model_folder.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/json_io.h"

namespace porkit::cli {
namespace {

// Refuses the keys the pipeline sets itself.
void refuse_keys(const json& values, const std::vector<std::string>& set_by_pipeline, const std::string& where) {
  for (const auto& key : set_by_pipeline)
    check(!values.contains(key), "{}: {} is set by the attack run, not in [defend]", where, key);
}

// A filter's section: its options over the defaults, without the victim, data and manifest
// the run supplies.
template <class S>
std::optional<S> filter_section(const json& defend, const std::string& name, const options::OptionTable<S>& table,
                                const std::string& where) {
  if (!defend.contains(name)) return std::nullopt;
  const std::string here = where + " [defend." + name + "]";
  const json& values = defend[name];
  check(values.is_object(), "{}: must be a table of options", here);
  std::vector<std::string> set_by_pipeline = {"model", "out", "backdoor-manifest"};
  for (const auto& o : data::data_option_table().options()) set_by_pipeline.push_back(o.name);
  refuse_keys(values, set_by_pipeline, here);
  S o{};
  options::apply_json(table, o, values, here);
  return o;
}

std::string digest_or_empty(const std::string& path) { return path.empty() ? "" : content_digest(path); }

// What a defence's result depends on (its stage key's material): its settings, the model it
// works on, and its inputs by content.
json stage_key(const json& settings, const std::string& model_folder, const std::vector<std::string>& inputs) {
  json key = {{"settings", settings}, {"model", io::model_digest(model_folder)}, {"inputs", json::array()}};
  for (const auto& i : inputs) key["inputs"].push_back(digest_or_empty(i));
  return key;
}

// Says on stdout that a defence runs (the log is silent under PORKIT_QUIET).
void announce(const std::string& stage) { std::printf("[defend] running stage %s\n", stage.c_str()); }

std::string num(double v, int digits = 2) { return fmt::format("{:.{}f}", v, digits); }

void print_purification(const attack::AttackSummary& before, const attack::AttackSummary& after) {
  std::printf("\n[defend.purify] the same victim recipe on the purified encoder (OUT/defended)\n");
  std::printf("CACC: undefended %s, purified %s", num(before.backdoored.cacc.value_or(0), 4).c_str(),
              num(after.backdoored.cacc.value_or(0), 4).c_str());
  if (before.clean) std::printf(", clean control %s", num(before.clean->cacc.value_or(0), 4).c_str());
  std::printf("\n%-12s | %7s %7s %7s | %7s %7s %7s | %7s %7s\n", "trigger", "E", "E_cens", "ASR@1", "E", "E_cens",
              "ASR@1", "ctrl E", "E_cens");
  std::printf("%-12s | %-23s | %-23s |\n", "", "undefended", "purified");
  for (size_t k = 0; k < before.backdoored.triggers.size() && k < after.backdoored.triggers.size(); ++k) {
    const auto &b = before.backdoored.triggers[k], &a = after.backdoored.triggers[k];
    std::printf("%-12s | %7.2f %7.2f %7.3f | %7.2f %7.2f %7.3f", b.trigger.c_str(), b.E, b.E_censored, b.asr_1, a.E,
                a.E_censored, a.asr_1);
    if (before.clean && k < before.clean->triggers.size())
      std::printf(" | %7.2f %7.2f", before.clean->triggers[k].E, before.clean->triggers[k].E_censored);
    std::printf("\n");
  }
}

void print_filter(const std::string& name, const defend::FilterResult& r) {
  std::printf("\n[defend.%s] threshold %.4g from clean %s; clean test rows rejected %.3f\n", name.c_str(), r.threshold,
              r.calibrated_on.c_str(), r.frr_test);
  for (const auto& t : r.triggers)
    std::printf("  %-12s FAR %.3f  AUROC %.3f  ASR@1 %.3f -> %.3f\n", t.trigger.c_str(), t.far, t.auroc,
                t.asr_1_unfiltered, t.asr_1_filtered);
  if (r.correction)
    for (const auto& t : r.correction->triggers)
      std::printf("  %-12s ONION's correction (bar %g): trigger kept %.3f, ASR@1 after %.3f (clean text to target %.3f)\n",
                  t.trigger.c_str(), r.correction->bar, t.trigger_kept, t.asr_1_corrected, t.clean_to_target_corrected);
}

// Runs one filter on the run's backdoored victim unless its stage key is unchanged.
template <class S, class Run>
void run_filter(const std::string& name, S options, defend::FilterRun S::*victim, const options::OptionTable<S>& table,
                const attack::AttackPlan& plan, const fs::path& victim_model, const std::string& manifest,
                const std::string& filter_input, attack::StageRecord& record, Run run) {
  defend::FilterRun& v = options.*victim;
  v.model = victim_model.string();
  v.data = plan.finetune.data;
  v.manifest = manifest;
  v.out = (plan.out / ("defend-" + name + ".json")).string();
  v.run = plan.run;
  v.run.overwrite = true;  // the run folder's own file
  // The victim's digest is the model's; the data, the manifest and the filter's own input (the
  // monitor's scan, ONION's scorer) by content.
  std::vector<std::string> inputs = {v.data.path, v.data.test_path, manifest, filter_input};
  const std::string stage = "defend-" + name;
  record.run(stage, stage_key(options::to_json(table, options, {options::Role::Setting}), v.model, inputs), v.out,
             [&](bool) {
               announce(stage);
               run(options);
             });
  print_filter(name, defend::FilterResult::read(v.out));
}

}  // namespace

DefendPlan defend_plan_from_config(const json& config, const fs::path& base, const std::string& where) {
  DefendPlan plan;
  if (!config.contains("defend")) return plan;
  const json& d = config["defend"];
  check(d.is_object(), "{}: [defend] must hold tables [defend.purify], [defend.strip], [defend.monitor] or "
        "[defend.onion]", where);
  for (auto it = d.begin(); it != d.end(); ++it) {
    const bool known = it.key() == "purify" || it.key() == "strip" || it.key() == "monitor" || it.key() == "onion";
    check(known, "{}: unknown [defend.{}] (expected purify, strip, monitor or onion)", where, it.key());
  }
  if (d.contains("purify")) {
    const std::string here = where + " [defend.purify]";
    check(d["purify"].is_object(), "{}: must be a table of options", here);
    refuse_keys(d["purify"], {"model", "out"}, here);
    defend::PurifyOptions o;
    options::apply_json(defend::purify_option_table(), o, d["purify"], here);
    for (auto& c : o.corpus) c = resolve_config_path(base, c);
    plan.purify = o;
  }
  plan.strip = filter_section(d, "strip", defend::strip_option_table(), where);
  plan.monitor = filter_section(d, "monitor", defend::monitor_option_table(), where);
  if (plan.monitor) plan.monitor->scan = resolve_config_path(base, plan.monitor->scan);
  plan.onion = filter_section(d, "onion", defend::onion_option_table(), where);
  if (plan.onion) {
    plan.onion->lm = resolve_config_path(base, plan.onion->lm);
    if (!plan.onion->score_cache.empty()) plan.onion->score_cache = resolve_config_path(base, plan.onion->score_cache);
  }
  return plan;
}

void run_defend_stage(const attack::AttackPlan& plan, const DefendPlan& d, const attack::AttackSummary& before) {
  if (d.empty()) return;
  attack::StageRecord record(plan.out / "defend_state.json");
  const std::string backdoored = before.backdoored_model;
  const std::string manifest = (fs::path(backdoored) / attack::BackdoorManifest::kFileName).string();
  if (d.purify) {
    defend::PurifyOptions o = *d.purify;
    o.model = backdoored;
    o.out = (plan.out / "defend-purify").string();
    o.run = plan.run;
    o.run.overwrite = true;  // the run folder's own subfolder (an interrupted one starts again)
    record.run("defend-purify",
               stage_key(options::to_json(defend::purify_option_table(), o, {options::Role::Setting}), backdoored,
                         o.corpus),
               o.out, [&](bool) {
                 announce("defend-purify");
                 defend::run_purify(o);
               });
    attack::AttackPlan after = plan;
    after.backdoored_model = (fs::path(o.out) / "model").string();
    after.out = plan.out / "defended";
    after.control = false;
    print_purification(before, attack::run_attack(after));
  }
  const fs::path victim = plan.out /
                          ("finetune-backdoored" + (plan.seeds.empty() ? "" : "-s" + std::to_string(plan.seeds[0]))) /
                          "model";
  if (d.strip)
    run_filter("strip", *d.strip, &defend::StripOptions::victim, defend::strip_option_table(), plan, victim, manifest,
               "", record, [](const defend::StripOptions& o) { defend::run_strip(o); });
  if (d.monitor)
    run_filter("monitor", *d.monitor, &defend::MonitorOptions::victim, defend::monitor_option_table(), plan, victim,
               manifest, d.monitor->scan, record, [](const defend::MonitorOptions& o) { defend::run_monitor(o); });
  if (d.onion)
    run_filter("onion", *d.onion, &defend::OnionOptions::victim, defend::onion_option_table(), plan, victim, manifest,
               d.onion->lm, record, [](const defend::OnionOptions& o) { defend::run_onion(o); });
}

}  // namespace porkit::cli
