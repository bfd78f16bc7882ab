// The injection objective of Shen et al. and its held-out checks, shared by inject,
// inspect-backdoor and the injection benchmark.
#pragma once
#include <string>
#include <vector>

#include "porkit/attack/inject.h"
#include "porkit/model/bert_net.h"

namespace porkit::attack {

// One injection sample: token ids and its trigger number (0 = clean, k = 1..K).
struct InjectSample {
  std::vector<int64_t> ids;
  int64_t trigger = 0;
};

// The output the backdoor targets, (B, H): pooler, cls (last-layer [CLS]) or mean (tanh of
// the mean of the real tokens' last states).
at::Tensor target_output(const std::string& target, const model::BertOutput& out, const at::Tensor& mask);

class BackdoorObjective {
 public:
  // Uses the options' target, loss weights and trigger names; por: (K, H).
  BackdoorObjective(const InjectOptions& o, at::Tensor por) : o_(o), por_(std::move(por)) {}

  // Checks on held-out samples: per trigger mean cosine to its POR and the share >= 0.9;
  // clean samples' mean cosine to the reference's output.
  json checks(model::BertNetImpl& bd, model::BertNetImpl& cl, const std::vector<InjectSample>& heldout, int64_t pad);

  // loss = w_tok * tok + w_por * por + w_clean * clean, each term a mean of L(u, v) =
  // sum((u - v)^2) / d over its items (tokens or samples) in the batch (docs/attack.md).
  // The reference `cl` runs without autograd.
  train::StepLoss loss(model::BertNetImpl& bd, model::BertNetImpl& cl, const std::vector<const InjectSample*>& rows,
                       int64_t pad);

 private:
  const InjectOptions& o_;
  at::Tensor por_;  // (K, H)
};

}  // namespace porkit::attack
