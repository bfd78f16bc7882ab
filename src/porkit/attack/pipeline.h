// porkit attack: inject -> fine-tune -> evaluate, and the same fine-tune and evaluation on
// the clean model as a control, in one run folder, resumable stage by stage.
//
// Run folder layout:
//   backdoored/              the injected BertModel + porkit_backdoor.json (unless given)
//   backdoored.run/          its training run (metrics, checkpoints)
//   finetune-backdoored/     fine-tuning run; the victim model in finetune-backdoored/model
//   finetune-clean/          the control
//   evaluate-backdoored.json, evaluate-clean.json
//   summary.json             CACC of both, every trigger's metrics, stage wall times
//   attack_state.json        which stages are done, under which stage key
//
// A stage's key is the SHA-256 of its effective options (after defaults and presets, as
// canonical JSON: `1e-5` and `0.00001` are one value), the content hashes of its inputs (the
// clean model, the data files, the corpus; an upstream stage's key) and its code version.
// Paths are not in it: a moved run folder reruns nothing, a changed option reruns exactly the
// stages that depend on it.
#pragma once
#include <filesystem>
#include <string>

#include "porkit/attack/evaluate.h"
#include "porkit/attack/inject.h"
#include "porkit/attack/results.h"
#include "porkit/train/finetune.h"

namespace porkit::attack {

struct AttackPlan {
  std::string clean_model;       // the input model
  std::string backdoored_model;  // an existing injected folder: no inject stage
  std::filesystem::path out;
  InjectOptions inject;          // model, out and run settings are set by the pipeline
  train::FinetuneOptions finetune;
  EvaluateOptions evaluate;      // model, manifest and data are set by the pipeline
  bool control = true;           // also fine-tune and evaluate the clean model
  RunSettings run;               // threads and device of every stage
};

// The key material of each stage (what its key hashes), for records and tests.
json inject_stage_key(const AttackPlan& plan);
json finetune_stage_key(const AttackPlan& plan, const json& upstream_key, const std::string& model_digest);
json evaluate_stage_key(const AttackPlan& plan, const json& finetune_key, const std::string& trigger_digest);

// Runs the stages not yet done and returns the summary (also written to out/summary.json).
AttackSummary run_attack(const AttackPlan& plan);

}  // namespace porkit::attack
