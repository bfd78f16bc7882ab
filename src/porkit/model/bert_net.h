// BertNet: a BertModel ("bert.*") plus the task head of a Hugging Face architecture:
//   BertModel                      no head; saved without the "bert." prefix
//   BertForPreTraining             cls.predictions.* (MLM, decoder tied to word embeddings)
//                                  + cls.seq_relationship.* (next-sentence prediction)
//   BertForSequenceClassification  classifier.* on the pooled output
//   BertForTokenClassification     classifier.* on every token state
#pragma once
#include <optional>
#include <string>

#include "porkit/model/bert.h"
#include "porkit/util/options.h"

namespace porkit::model {

enum class Architecture { Bare, PreTraining, SequenceClassification, TokenClassification };

std::string architecture_name(Architecture a);  // "BertModel", "BertForPreTraining", ...
// Maps HF names (also BertForMaskedLM, BertForNextSentencePrediction) to ours.
std::optional<Architecture> architecture_from_name(const std::string& name);

// "cls.predictions.transform": dense -> GELU -> LayerNorm.
class BertPredictionHeadTransformImpl : public torch::nn::Module {
 public:
  explicit BertPredictionHeadTransformImpl(const BertConfig& config);
  at::Tensor forward(const at::Tensor& hidden);  // (N, H) -> (N, H)
  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
};
TORCH_MODULE(BertPredictionHeadTransform);

// "cls.predictions": transform -> x @ word_embeddings^T + bias (decoder tied to embeddings).
class BertLMPredictionHeadImpl : public torch::nn::Module {
 public:
  explicit BertLMPredictionHeadImpl(const BertConfig& config);
  // hidden: (N, H), decoder_weight: (V, H) -> logits (N, V)
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& decoder_weight);

  BertPredictionHeadTransform transform{nullptr};
  at::Tensor bias;  // (V)
};
TORCH_MODULE(BertLMPredictionHead);

class BertPreTrainingHeadsImpl : public torch::nn::Module {
 public:
  explicit BertPreTrainingHeadsImpl(const BertConfig& config);
  BertLMPredictionHead predictions{nullptr};
  torch::nn::Linear seq_relationship{nullptr};
};
TORCH_MODULE(BertPreTrainingHeads);

class BertNetImpl : public torch::nn::Module {
 public:
  // num_labels is used by the classification architectures only.
  BertNetImpl(const BertConfig& config, Architecture architecture);

  BertOutput encode(const at::Tensor& ids, const at::Tensor& type_ids,
                    const at::Tensor& attention_mask, const ForwardOptions& options = {});
  // MLM logits for selected token states: (N, H) -> (N, V)
  at::Tensor mlm_logits(const at::Tensor& token_states);
  // NSP logits from the pooled output: (B, H) -> (B, 2)
  at::Tensor nsp_logits(const at::Tensor& pooled);
  // Sequence classification: (B, num_labels) from the pooled output;
  // token classification: (B, T, num_labels) from the last hidden states.
  at::Tensor classifier_logits(const BertOutput& out);

  Architecture architecture() const { return architecture_; }
  const BertConfig& config() const { return config_; }
  BertConfig& mutable_config() { return config_; }

  BertModel bert{nullptr};
  BertPreTrainingHeads cls{nullptr};       // PreTraining only
  torch::nn::Linear classifier{nullptr};   // classification only

 private:
  BertConfig config_;
  Architecture architecture_;
};
TORCH_MODULE(BertNet);

// An independent copy of `net` (same architecture, weights, buffers, device and mode): a
// second model from weights already in memory instead of loading the folder again. It
// leaves the global random generator as it found it.
BertNet copy_of(BertNetImpl& net);

}  // namespace porkit::model

template <>
struct porkit::options::EnumNames<porkit::model::Architecture> {
  static const std::vector<std::pair<porkit::model::Architecture, std::string>>& values();
};
