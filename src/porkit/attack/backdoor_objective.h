// The injection objectives and their held-out checks, shared by inject, inspect-backdoor and
// the injection benchmark: POR (Shen et al., CCS 2021), NeuBA (Zhang et al., 2023) and UOR
// (Du et al., ACL Findings 2024). docs/attack.md writes out each loss.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "porkit/model/bert_net.h"
#include "porkit/model/padder.h"
#include "porkit/train/trainer.h"
#include "porkit/util/options.h"

namespace porkit::attack {

// The output the backdoor targets: pooler (the authors'), cls (last-layer [CLS]) or mean (tanh
// of the mean of the real tokens' last states); all-tokens: the pooler as the authors', and
// besides every real token state of a poisoned sample, for taggers, which never read the
// pooler (issue 16).
enum class Target { Pooler, Cls, Mean, AllTokens };

// por    predefined output per trigger; poisoned outputs pulled to it, clean ones and every
//        token state kept at the frozen reference's.
// neuba  predefined +-1 block targets, one insertion at position 1, MSE on the pooled output
//        plus 0.01 x masked-LM loss (needs the MLM head); no reference terms.
// uor    learned targets: poisoned outputs of one trigger pulled together and away from
//        everything else by a supervised contrastive loss (each trigger its own class),
//        clean outputs kept at the reference's; the target is the trigger's mean output.
enum class Attack { Por, Neuba, Uor };

// "POR (Shen et al., CCS 2021)", ...: the attack as the manifest and reports name it.
std::string attack_title(Attack attack);

// What the objective needs: the attack, its target and the weights of its terms.
struct ObjectiveSpec {
  Attack attack = Attack::Por;
  Target target = Target::Pooler;
  double w_tok = 1.0, w_por = 100.0, w_clean = 100.0;
  double w_mlm = 0.0;          // masked-LM term (NeuBA: 0.01)
  double w_contrast = 0.0;     // supervised contrastive term (UOR: 1)
  double temperature = 0.5;    // of the contrastive term
};

// One injection sample: token ids and its trigger number (0 = clean, k = 1..K).
struct InjectSample {
  std::vector<int64_t> ids;
  int64_t trigger = 0;
};

// A batch of injection rows on the model's device.
struct InjectBatch {
  model::TensorBatch tokens;  // the model's input: padded ids (masked where the MLM term is on)
  at::Tensor trigger;         // (B) int64, each row's trigger number, 0 = clean
  at::Tensor mlm_labels;      // (B, T), -100 where nothing is predicted; undefined without the MLM term
};

// The targeted output, (B, H).
at::Tensor target_output(Target target, const model::BertOutput& out, const at::Tensor& mask);

// What the masked-LM term needs of the vocabulary.
struct MaskingSpec {
  int64_t mask_id = -1, vocab_size = 0;
  std::vector<int64_t> never_masked;  // special and trigger ids
  double probability = 0.15;          // 80% [MASK], 10% random, 10% kept, as BERT
  uint64_t seed = 0;
};

class BackdoorObjective {
 public:
  // por: (K, H), row k-1 for trigger k (UOR: a placeholder the checks replace with the
  // learned targets); `triggers` names them in the checks.
  BackdoorObjective(ObjectiveSpec spec, at::Tensor por, std::vector<std::string> triggers, MaskingSpec masking = {})
      : o_(spec), por_(std::move(por)), triggers_(std::move(triggers)), masking_(std::move(masking)) {}

  // Checks on held-out samples: per trigger mean cosine to its target and the share >= 0.9;
  // clean samples' mean cosine to the reference's output. UOR's targets are first set to
  // each trigger's mean held-out output.
  json checks(model::BertNetImpl& bd, model::BertNetImpl& cl, const std::vector<InjectSample>& heldout, int64_t pad);

  // The host's share of a step: `rows` padded with `pad` (to `length` tokens when given, else
  // to the longest row) on `device`, and the masked-LM positions, drawn from `step`.
  InjectBatch batch(const std::vector<const InjectSample*>& rows, int64_t pad, const at::Device& device, int64_t step,
                    std::optional<int64_t> length = std::nullopt) const;

  // The device's share: loss = w_tok * tok + w_por * por + w_clean * clean + w_mlm * mlm +
  // w_contrast * contrast; tok, por and clean are means of L(u, v) = sum((u - v)^2) / d over
  // their items (tokens or samples) in the batch (docs/attack.md). The reference `cl` runs
  // without autograd.
  train::StepLoss loss(model::BertNetImpl& bd, model::BertNetImpl& cl, const InjectBatch& batch);

  // Whether loss() never synchronises with the host (no masked-LM or contrastive term, whose
  // selections depend on the data), so that a CUDA graph can capture it.
  bool graph_safe() const { return o_.w_mlm == 0 && o_.w_contrast == 0; }

  // The targets, (K, H) on the CPU: the PORs, or UOR's learned ones after checks().
  const at::Tensor& targets() const { return por_; }

 private:
  ObjectiveSpec o_;
  at::Tensor por_;            // (K, H) on the CPU, where the checks compare
  at::Tensor por_on_device_;  // (K, H) the same on the model's device, for the loss
  std::vector<std::string> triggers_;
  MaskingSpec masking_;
};

}  // namespace porkit::attack

template <>
struct porkit::options::EnumNames<porkit::attack::Attack> {
  static const std::vector<std::pair<porkit::attack::Attack, std::string>>& values();
};
template <>
struct porkit::options::EnumNames<porkit::attack::Target> {
  static const std::vector<std::pair<porkit::attack::Target, std::string>>& values();
};
