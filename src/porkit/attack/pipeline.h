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
//   attack_state.json        which stages are done, with the settings they ran under
#pragma once
#include <filesystem>
#include <string>

#include "porkit/attack/evaluate.h"
#include "porkit/attack/inject.h"
#include "porkit/train/finetune.h"

namespace porkit::attack {

struct AttackPlan {
  std::string clean_model;       // the input model
  std::string backdoored_model;  // an existing injected folder: no inject stage
  std::filesystem::path out;
  InjectOptions inject;          // model and out are set by the pipeline
  train::FinetuneOptions finetune;
  EvaluateOptions evaluate;      // model, manifest and data are set by the pipeline
  bool control = true;           // also fine-tune and evaluate the clean model
  // Opaque descriptions of each stage's settings. A finished stage whose settings (or an
  // upstream stage's) changed is run again, its old output removed first.
  std::string inject_settings, finetune_settings, evaluate_settings;
};

// Runs the stages not yet done and returns the summary (also written to out/summary.json).
json run_attack(const AttackPlan& plan);

}  // namespace porkit::attack
