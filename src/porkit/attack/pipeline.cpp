#include "porkit/attack/pipeline.h"

#include <chrono>
#include <functional>

#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/log.h"

namespace porkit::attack {
namespace {

// attack_state.json: {"stages": {name: {"settings": sha, "done": bool, "seconds": s}}}, rewritten
// atomically when a stage starts and when it ends.
class StageRecord {
 public:
  explicit StageRecord(fs::path path) : path_(std::move(path)) {
    if (fs::exists(path_)) state_ = read_json_file(path_);
    if (!state_.contains("stages")) state_["stages"] = json::object();
  }

  // Runs `work` unless the stage is recorded as done under the same settings and its
  // output still exists. A stage started under the same settings but not finished resumes
  // (its training checkpoints are kept); one started under other settings, or an output of
  // unknown origin, is removed first. Returns the stage's wall seconds.
  double run(const std::string& name, const std::string& settings, const fs::path& output,
             const std::function<void()>& work) {
    const std::string key = sha256_hex(settings);
    auto& stages = state_["stages"];
    const bool same = stages.contains(name) && stages[name].value("settings", "") == key;
    if (same && stages[name].value("done", false) && fs::exists(output)) {
      log_info("attack: stage {} already done ({}); skipped", name, output.string());
      return stages[name].value("seconds", 0.0);
    }
    if (!same && (fs::exists(output) || stages.contains(name))) {
      log_info("attack: stage {} ran under other settings (or its record is missing); starting it again", name);
      fs::remove_all(output);
      fs::remove_all(output.parent_path() / (output.filename().string() + ".run"));
    } else if (same) {
      log_info("attack: stage {} was interrupted; resuming", name);
    }
    stages[name] = {{"settings", key}, {"done", false}};
    save();
    log_info("attack: stage {}", name);
    const auto start = std::chrono::steady_clock::now();
    work();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    stages[name] = {{"settings", key}, {"done", true}, {"seconds", seconds}};
    save();
    return seconds;
  }

 private:
  void save() { write_json_file(path_, state_); }

  fs::path path_;
  json state_;
};

}  // namespace

json run_attack(const AttackPlan& plan) {
  check(!plan.clean_model.empty(), "the attack needs the clean input model (model = \"DIR\")");
  check(!plan.out.empty(), "the attack needs a run folder (--out or out = \"DIR\")");
  require_exists(plan.clean_model, "model folder");
  if (!plan.backdoored_model.empty()) require_exists(plan.backdoored_model, "backdoored model folder");
  fs::create_directories(plan.out);
  StageRecord record(plan.out / "attack_state.json");
  json seconds = json::object();

  // 1. The backdoor.
  std::string backdoored = plan.backdoored_model;
  std::string inject_key = "inject\n" + plan.clean_model + "\n" + plan.inject_settings;
  if (backdoored.empty()) {
    InjectOptions inject = plan.inject;
    inject.model = plan.clean_model;
    inject.out = (plan.out / "backdoored").string();
    inject.resume = true;
    seconds["inject"] = record.run("inject", inject_key, inject.out, [&] { run_inject(inject); });
    backdoored = inject.out;
  } else {
    inject_key = "given\n" + backdoored + "\n" + sha256_file(fs::path(backdoored) / "porkit_backdoor.json");
  }
  const std::string manifest = (fs::path(backdoored) / "porkit_backdoor.json").string();
  require_exists(manifest, "backdoor manifest");

  // 2-3. The victim's fine-tuning and the measurement, for the backdoored model and the control.
  json summary = {{"clean_model", plan.clean_model}, {"backdoored_model", backdoored}, {"manifest", manifest}};
  for (const std::string which : {"backdoored", "clean"}) {
    if (which == "clean" && !plan.control) continue;
    train::FinetuneOptions ft = plan.finetune;
    ft.model = which == "clean" ? plan.clean_model : backdoored;
    ft.out = (plan.out / ("finetune-" + which)).string();
    ft.resume = true;
    const std::string ft_key = (which == "clean" ? "clean\n" + plan.clean_model : inject_key) + "\nfinetune\n" +
                               plan.finetune_settings;
    seconds["finetune-" + which] = record.run("finetune-" + which, ft_key, ft.out, [&] { train::run_finetune(ft); });
    const json metrics = read_json_file(fs::path(ft.out) / "metrics.json");

    EvaluateOptions ev = plan.evaluate;
    ev.model = ft.out + "/model";
    ev.manifest = manifest;
    ev.data = ft.data;
    ev.data_root = ft.data_root;
    const fs::path ev_out = plan.out / ("evaluate-" + which + ".json");
    ev.out = ev_out.string();
    // The manifest decides which triggers are measured, also on the clean control.
    const std::string ev_key = ft_key + "\nevaluate\n" + plan.evaluate_settings + "\nmanifest " + sha256_file(manifest) +
                               "\nmetrics " + std::to_string(kMetricsVersion);
    seconds["evaluate-" + which] = record.run("evaluate-" + which, ev_key,
                                              ev_out, [&] { run_evaluate(ev); });
    json evaluation = read_json_file(ev_out);
    evaluation["finetune_metrics"] = metrics;
    // CACC as the authors define it: accuracy on the victim's held-out 10%.
    evaluation["cacc"] = metrics.at("validation").at("accuracy");
    summary[which] = evaluation;
  }
  summary["stage_seconds"] = seconds;
  write_json_file(plan.out / "summary.json", summary);
  return summary;
}

}  // namespace porkit::attack
