#include "porkit/attack/pipeline.h"

#include "porkit/attack/stage_record.h"

#include <chrono>
#include <functional>

#include "porkit/train/corpus.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/log.h"
#include "porkit/util/output_folder.h"

namespace porkit::attack {
namespace {

json corpus_digests(const std::vector<std::string>& corpus) {
  json out = json::array();
  for (const auto& f : train::list_corpus_files(corpus)) out.push_back(sha256_file(f));
  return out;
}

}  // namespace

json inject_stage_key(const AttackPlan& plan) {
  if (!plan.backdoored_model.empty())
    return {{"stage", "given"},
            {"model", io::model_digest(plan.backdoored_model)},
            {"manifest", trigger_digest(BackdoorManifest::read(plan.backdoored_model))}};
  json inputs = {{"model", io::model_digest(plan.clean_model)}, {"corpus", corpus_digests(plan.inject.corpus)}};
  if (!plan.inject.por_file.empty()) inputs["por_file"] = sha256_file(plan.inject.por_file);
  return {{"stage", "inject"},
          {"code", kInjectCodeVersion},
          {"settings", options::to_json(inject_option_table(false), plan.inject, {options::Role::Setting})},
          {"triggers", effective_triggers(plan.inject)},
          {"inputs", inputs}};
}

json finetune_stage_key(const train::FinetuneOptions& finetune, const json& upstream_key,
                        const std::string& model_digest) {
  return {{"stage", "finetune"},
          {"code", train::kFinetuneCodeVersion},
          {"settings", options::to_json(train::finetune_option_table(false), finetune, {options::Role::Setting})},
          {"inputs",
           {{"model", upstream_key.is_null() ? json(model_digest) : upstream_key},
            {"data", data::data_digest(finetune.data)}}}};
}

std::vector<train::FinetuneOptions> victim_finetunes(const AttackPlan& plan) {
  if (plan.seeds.empty()) return {plan.finetune};
  std::vector<train::FinetuneOptions> out;
  for (uint64_t seed : plan.seeds) {
    out.push_back(plan.finetune);
    out.back().trainer.seed = seed;
  }
  return out;
}

json evaluate_stage_key(const AttackPlan& plan, const json& finetune_key, const std::string& triggers) {
  return {{"stage", "evaluate"},
          {"code", kMetricsVersion},
          {"settings", options::to_json(evaluate_option_table(false), plan.evaluate, {options::Role::Setting})},
          {"inputs", {{"model", finetune_key}, {"triggers", triggers}}}};
}

AttackSummary run_attack(const AttackPlan& plan) {
  check(!plan.clean_model.empty(), "the attack needs the clean input model (model = \"DIR\")");
  check(!plan.out.empty(), "the attack needs a run folder (--out or out = \"DIR\")");
  require_exists(plan.clean_model, "model folder");
  if (!plan.backdoored_model.empty()) require_exists(plan.backdoored_model, "backdoored model folder");
  options::validate(inject_option_table(false), plan.inject, "attack config [inject]");
  options::validate(train::finetune_option_table(false), plan.finetune, "attack config [finetune]");
  options::validate(evaluate_option_table(false), plan.evaluate, "attack config [evaluate]");
  claim_output_folder(plan.out, "attack", OutputUse::Resume);
  StageRecord record(plan.out / "attack_state.json");
  AttackSummary summary;
  auto& seconds = summary.stage_seconds;

  // 1. The backdoor.
  std::string backdoored = plan.backdoored_model;
  const json inject_key = inject_stage_key(plan);
  if (backdoored.empty()) {
    InjectOptions inject = plan.inject;
    inject.model = plan.clean_model;
    inject.out = (plan.out / "backdoored").string();
    inject.run = plan.run;
    seconds["inject"] = record.run("inject", inject_key, inject.out, [&](bool resume) {
      inject.run.resume = resume;
      run_inject(inject);
    });
    backdoored = inject.out;
  }
  const BackdoorManifest manifest = BackdoorManifest::read(backdoored);
  const std::string manifest_path = (fs::path(backdoored) / BackdoorManifest::kFileName).string();
  const std::string triggers = trigger_digest(manifest);

  // 2-3. The victim's fine-tuning and the measurement, for the backdoored model and the control.
  summary.clean_model = plan.clean_model;
  summary.backdoored_model = backdoored;
  summary.manifest = manifest_path;
  summary.victim_seeds = plan.seeds;
  const auto victims = victim_finetunes(plan);
  for (const std::string which : {"backdoored", "clean"}) {
    if (which == "clean" && !plan.control) continue;
    for (size_t v = 0; v < victims.size(); ++v) {
      // One victim: the old names; several: a suffix per seed.
      const std::string name = which + (plan.seeds.empty() ? "" : "-s" + std::to_string(plan.seeds[v]));
      train::FinetuneOptions ft = victims[v];
      ft.model = which == "clean" ? plan.clean_model : backdoored;
      ft.out = (plan.out / ("finetune-" + name)).string();
      ft.run = plan.run;
      const json ft_key = which == "clean" ? finetune_stage_key(ft, json(), io::model_digest(plan.clean_model))
                                           : finetune_stage_key(ft, inject_key, "");
      seconds["finetune-" + name] = record.run("finetune-" + name, ft_key, ft.out, [&](bool resume) {
        ft.run.resume = resume;
        train::run_finetune(ft);
      });
      const json metrics = read_json_file(fs::path(ft.out) / "metrics.json");

      EvaluateOptions ev = plan.evaluate;
      ev.model = ft.out + "/model";
      ev.manifest = manifest_path;
      ev.data = ft.data;
      ev.run = plan.run;
      ev.run.overwrite = true;  // the stage record decides whether the old result goes
      const fs::path ev_out = plan.out / ("evaluate-" + name + ".json");
      ev.out = ev_out.string();
      // The manifest's triggers and PORs are measured, also on the clean control; every
      // victim on the same pool, so the spread across seeds is the victims'.
      seconds["evaluate-" + name] = record.run("evaluate-" + name, evaluate_stage_key(plan, ft_key, triggers), ev_out,
                                               [&](bool) { run_evaluate(ev); });
      EvaluationResult evaluation = EvaluationResult::read(ev_out);
      evaluation.finetune_metrics = metrics;
      // CACC as the authors define it: the victim's score on its own held-out 10% (entity F1
      // for NER).
      evaluation.cacc = evaluation.finetune_metric("validation");
      if (!plan.seeds.empty()) (which == "clean" ? summary.clean_by_seed : summary.backdoored_by_seed).push_back(evaluation);
      if (v > 0) continue;
      if (which == "clean") summary.clean = evaluation;
      else summary.backdoored = evaluation;
    }
  }
  summary.porkit_version = PORKIT_VERSION;
  write_json_file(plan.out / "summary.json", summary.to_json());
  return summary;
}

}  // namespace porkit::attack
