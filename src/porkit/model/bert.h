// BertModel: embeddings -> encoder -> pooler, with Hugging Face parameter names, so
// named_parameters() of a BertModel is exactly a bert-base checkpoint's key set
// ("embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.weight", ...).
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "porkit/model/bert_config.h"

namespace porkit::model {

// What a forward pass returns. Optional outputs are empty unless requested.
struct BertOutput {
  at::Tensor last_hidden_state;            // (B, T, H)
  at::Tensor pooler_output;                // (B, H) tanh(W h_[CLS] + b); undefined without pooler
  std::vector<at::Tensor> hidden_states;   // L+1 x (B, T, H): embeddings, then each layer
  std::vector<at::Tensor> attentions;      // L x (B, heads, T, T) softmax probabilities
};

struct ForwardOptions {
  bool output_hidden_states = false;
  bool output_attentions = false;
};

class BertEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit BertEmbeddingsImpl(const BertConfig& config);
  // ids, type_ids: (B, T) int64 -> (B, T, H)
  at::Tensor forward(const at::Tensor& ids, const at::Tensor& type_ids);

  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr},
      token_type_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};

 private:
  double dropout_;
};
TORCH_MODULE(BertEmbeddings);

// "attention.self": query/key/value projections and scaled dot-product attention.
class BertSelfAttentionImpl : public torch::nn::Module {
 public:
  explicit BertSelfAttentionImpl(const BertConfig& config);
  // x: (B, T, H), additive_mask: (B, 1, 1, T) -> context (B, T, H); probs (B, nh, T, T)
  at::Tensor forward(const at::Tensor& x, const at::Tensor& additive_mask, at::Tensor* probs);

  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr};

 private:
  int64_t heads_, head_dim_;
  double dropout_;
};
TORCH_MODULE(BertSelfAttention);

// "attention.output" and "output": dense -> dropout -> LayerNorm(x + residual).
class BertResidualOutputImpl : public torch::nn::Module {
 public:
  BertResidualOutputImpl(int64_t in_features, const BertConfig& config);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& residual);

  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};

 private:
  double dropout_;
};
TORCH_MODULE(BertResidualOutput);

class BertAttentionImpl : public torch::nn::Module {
 public:
  explicit BertAttentionImpl(const BertConfig& config);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& additive_mask, at::Tensor* probs);

  BertSelfAttention self{nullptr};
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertAttention);

// "intermediate": dense -> exact (erf) GELU.
class BertIntermediateImpl : public torch::nn::Module {
 public:
  explicit BertIntermediateImpl(const BertConfig& config);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(BertIntermediate);

class BertLayerImpl : public torch::nn::Module {
 public:
  explicit BertLayerImpl(const BertConfig& config);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& additive_mask, at::Tensor* probs);

  BertAttention attention{nullptr};
  BertIntermediate intermediate{nullptr};
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertLayer);

class BertPoolerImpl : public torch::nn::Module {
 public:
  explicit BertPoolerImpl(const BertConfig& config);
  // hidden: (B, T, H) -> tanh(dense(hidden[:, 0])): (B, H)
  at::Tensor forward(const at::Tensor& hidden);
  // The pre-activation W h_[CLS] + b, before tanh: (B, H)
  at::Tensor pre_activation(const at::Tensor& hidden);
  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(BertPooler);

class BertEncoderImpl : public torch::nn::Module {
 public:
  explicit BertEncoderImpl(const BertConfig& config);
  torch::nn::ModuleList layer{nullptr};
  std::vector<BertLayer> layers;  // typed view of `layer`
};
TORCH_MODULE(BertEncoder);

class BertModelImpl : public torch::nn::Module {
 public:
  explicit BertModelImpl(const BertConfig& config);

  // ids, type_ids, attention_mask: (B, T) int64 (mask 1 = real token, 0 = padding).
  BertOutput forward(const at::Tensor& ids, const at::Tensor& type_ids,
                     const at::Tensor& attention_mask, const ForwardOptions& options = {});

  const BertConfig& config() const { return config_; }

  BertEmbeddings embeddings{nullptr};
  BertEncoder encoder{nullptr};
  BertPooler pooler{nullptr};

 private:
  BertConfig config_;
};
TORCH_MODULE(BertModel);

// (B, T) 0/1 mask -> (B, 1, 1, T) additive mask: 0 where attended, dtype-min elsewhere.
at::Tensor additive_attention_mask(const at::Tensor& attention_mask, at::ScalarType dtype);

// BERT-style initialisation: Linear/Embedding weights ~ N(0, initializer_range), biases 0,
// LayerNorm weight 1 bias 0, the padding row of word embeddings 0. Uses torch's global RNG.
void init_bert_weights(torch::nn::Module& module, const BertConfig& config);

}  // namespace porkit::model
