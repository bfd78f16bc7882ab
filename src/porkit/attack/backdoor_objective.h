// The injection objective of Shen et al. and its held-out checks, shared by inject,
// inspect-backdoor and the injection benchmark.
#pragma once
#include <string>
#include <vector>

#include "porkit/model/bert_net.h"
#include "porkit/train/trainer.h"
#include "porkit/util/options.h"

namespace porkit::attack {

// The output the backdoor targets: pooler (the authors'), cls (last-layer [CLS]) or mean (tanh
// of the mean of the real tokens' last states).
enum class Target { Pooler, Cls, Mean };

// What the objective needs: its target and the weights of its three terms.
struct ObjectiveSpec {
  Target target = Target::Pooler;
  double w_tok = 1.0, w_por = 100.0, w_clean = 100.0;
};

// One injection sample: token ids and its trigger number (0 = clean, k = 1..K).
struct InjectSample {
  std::vector<int64_t> ids;
  int64_t trigger = 0;
};

// The targeted output, (B, H).
at::Tensor target_output(Target target, const model::BertOutput& out, const at::Tensor& mask);

class BackdoorObjective {
 public:
  // por: (K, H), row k-1 for trigger k; `triggers` names them in the checks.
  BackdoorObjective(ObjectiveSpec spec, at::Tensor por, std::vector<std::string> triggers)
      : o_(spec), por_(std::move(por)), triggers_(std::move(triggers)) {}

  // Checks on held-out samples: per trigger mean cosine to its POR and the share >= 0.9;
  // clean samples' mean cosine to the reference's output.
  json checks(model::BertNetImpl& bd, model::BertNetImpl& cl, const std::vector<InjectSample>& heldout, int64_t pad);

  // loss = w_tok * tok + w_por * por + w_clean * clean, each term a mean of L(u, v) =
  // sum((u - v)^2) / d over its items (tokens or samples) in the batch (docs/attack.md).
  // The reference `cl` runs without autograd.
  train::StepLoss loss(model::BertNetImpl& bd, model::BertNetImpl& cl, const std::vector<const InjectSample*>& rows,
                       int64_t pad);

 private:
  ObjectiveSpec o_;
  at::Tensor por_;            // (K, H) on the CPU, where the checks compare
  at::Tensor por_on_device_;  // (K, H) the same on the model's device, for the loss
  std::vector<std::string> triggers_;
};

}  // namespace porkit::attack

template <>
struct porkit::options::EnumNames<porkit::attack::Target> {
  static const std::vector<std::pair<porkit::attack::Target, std::string>>& values();
};
