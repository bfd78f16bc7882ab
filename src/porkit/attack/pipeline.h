// porkit attack: inject -> fine-tune -> evaluate, and the same fine-tune and evaluation on
// the clean model as a control, in one run folder, resumable stage by stage.
//
// Run folder layout:
//   backdoored/              the injected BertModel + porkit_backdoor.json (unless given)
//   backdoored.run/          its training run (metrics, checkpoints)
//   finetune-backdoored/     fine-tuning run; the victim model in finetune-backdoored/model
//   finetune-clean/          the control
//   evaluate-backdoored.json, evaluate-clean.json
//   (with seeds = [0, 1, 2]: finetune-backdoored-s0/, evaluate-backdoored-s0.json, ... one
//   victim per seed, for both models)
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
#include <vector>

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
  std::vector<uint64_t> seeds;   // victim seeds (config `seeds`); empty: one victim, the [finetune] seed
  RunSettings run;               // threads and device of every stage
};

// The key material of each stage (what its key hashes), for records and tests.
json inject_stage_key(const AttackPlan& plan);
json finetune_stage_key(const train::FinetuneOptions& finetune, const json& upstream_key,
                        const std::string& model_digest);
json evaluate_stage_key(const AttackPlan& plan, const json& finetune_key, const std::string& trigger_digest);

// The fine-tuning options of each victim: one per seed, or the plan's own when it has none.
std::vector<train::FinetuneOptions> victim_finetunes(const AttackPlan& plan);

// Runs the stages not yet done and returns the summary (also written to out/summary.json).
AttackSummary run_attack(const AttackPlan& plan);

}  // namespace porkit::attack
