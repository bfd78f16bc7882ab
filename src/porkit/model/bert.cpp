#include "porkit/model/bert.h"

#include <cmath>
#include <limits>

#include "porkit/model/torch_compat.h"
#include "porkit/util/error.h"
#include "porkit/util/runtime.h"

namespace porkit::model {
namespace {

torch::nn::Linear make_linear(int64_t in, int64_t out) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out));
}

torch::nn::LayerNorm make_layer_norm(const BertConfig& c) {
  return torch::nn::LayerNorm(
      torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps));
}

// torch::linear is one fused addmm on 3-D input; Linear::forward in 1.13 is matmul + add.
at::Tensor linear(const torch::nn::Linear& l, const at::Tensor& x) {
  return at::linear(x, l->weight, l->bias);
}

// LayerNorm in the input's float type; bf16 input with fp32 weights fails in 1.13.
at::Tensor layer_norm(const torch::nn::LayerNorm& ln, const at::Tensor& x) {
  const auto& o = ln->options;
  at::Tensor in = x.scalar_type() == at::kFloat ? x : x.to(at::kFloat);
  return at::layer_norm(in, o.normalized_shape(), ln->weight, ln->bias, o.eps());
}

at::Tensor maybe_dropout(const at::Tensor& x, double p, bool training) {
  return (training && p > 0) ? at::dropout(x, p, true) : x;
}

}  // namespace

BertEmbeddingsImpl::BertEmbeddingsImpl(const BertConfig& c) : dropout_(c.hidden_dropout_prob) {
  word_embeddings = register_module(
      "word_embeddings",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(c.vocab_size, c.hidden_size)));
  position_embeddings = register_module(
      "position_embeddings",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(c.max_position_embeddings, c.hidden_size)));
  token_type_embeddings = register_module(
      "token_type_embeddings",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(c.type_vocab_size, c.hidden_size)));
  LayerNorm = register_module("LayerNorm", make_layer_norm(c));
}

at::Tensor BertEmbeddingsImpl::forward(const at::Tensor& ids, const at::Tensor& type_ids) {
  const int64_t seq_len = ids.size(1);
  check(seq_len <= position_embeddings->weight.size(0),
        "sequence of {} tokens is longer than max_position_embeddings {}", seq_len,
        position_embeddings->weight.size(0));
  at::Tensor positions = at::arange(seq_len, ids.options().dtype(at::kLong));  // (T)
  at::Tensor x = at::embedding(word_embeddings->weight, ids) +           // (B, T, H)
                 at::embedding(token_type_embeddings->weight, type_ids) +
                 at::embedding(position_embeddings->weight, positions).unsqueeze(0);
  return maybe_dropout(layer_norm(LayerNorm, x), dropout_, is_training());
}

BertSelfAttentionImpl::BertSelfAttentionImpl(const BertConfig& c)
    : heads_(c.num_attention_heads), head_dim_(c.head_dim()),
      dropout_(c.attention_probs_dropout_prob) {
  query = register_module("query", make_linear(c.hidden_size, c.hidden_size));
  key = register_module("key", make_linear(c.hidden_size, c.hidden_size));
  value = register_module("value", make_linear(c.hidden_size, c.hidden_size));
}

at::Tensor BertSelfAttentionImpl::forward(const at::Tensor& x, const at::Tensor& additive_mask,
                                          at::Tensor* probs) {
  const int64_t B = x.size(0), T = x.size(1);
  auto split_heads = [&](const at::Tensor& t) {  // (B, T, H) -> (B, nh, T, dh)
    return t.view({B, T, heads_, head_dim_}).transpose(1, 2);
  };
  at::Tensor q = split_heads(linear(query, x));
  at::Tensor k = split_heads(linear(key, x));
  at::Tensor v = split_heads(linear(value, x));
  // Fused where libtorch has it and no probabilities are asked for (torch_compat.h).
  at::Tensor context = compat::attention(q, k, v, additive_mask, dropout_, is_training(), probs);  // (B, nh, T, dh)
  return context.transpose(1, 2).reshape({B, T, heads_ * head_dim_});
}

BertResidualOutputImpl::BertResidualOutputImpl(int64_t in_features, const BertConfig& c)
    : dropout_(c.hidden_dropout_prob) {
  dense = register_module("dense", make_linear(in_features, c.hidden_size));
  LayerNorm = register_module("LayerNorm", make_layer_norm(c));
}

at::Tensor BertResidualOutputImpl::forward(const at::Tensor& x, const at::Tensor& residual) {
  at::Tensor h = maybe_dropout(linear(dense, x), dropout_, is_training());
  return layer_norm(LayerNorm, h + residual);
}

BertAttentionImpl::BertAttentionImpl(const BertConfig& c) {
  self = register_module("self", BertSelfAttention(c));
  output = register_module("output", BertResidualOutput(c.hidden_size, c));
}

at::Tensor BertAttentionImpl::forward(const at::Tensor& x, const at::Tensor& additive_mask,
                                      at::Tensor* probs) {
  return output->forward(self->forward(x, additive_mask, probs), x);
}

BertIntermediateImpl::BertIntermediateImpl(const BertConfig& c) {
  dense = register_module("dense", make_linear(c.hidden_size, c.intermediate_size));
}

at::Tensor BertIntermediateImpl::forward(const at::Tensor& x) {
  return at::gelu(linear(dense, x));  // exact erf GELU, as HF's "gelu"
}

BertLayerImpl::BertLayerImpl(const BertConfig& c) {
  attention = register_module("attention", BertAttention(c));
  intermediate = register_module("intermediate", BertIntermediate(c));
  output = register_module("output", BertResidualOutput(c.intermediate_size, c));
}

at::Tensor BertLayerImpl::forward(const at::Tensor& x, const at::Tensor& additive_mask,
                                  at::Tensor* probs) {
  at::Tensor a = attention->forward(x, additive_mask, probs);
  return output->forward(intermediate->forward(a), a);
}

BertPoolerImpl::BertPoolerImpl(const BertConfig& c) {
  dense = register_module("dense", make_linear(c.hidden_size, c.hidden_size));
}

// Always fp32, even under bf16 autocast: the pooled outputs of different inputs lie in a
// narrow cone (cosine 0.98 on the shipped tiny model), and what tells them apart, the thing
// UOR's contrastive loss and the detectors compare, is below bf16's 8-bit mantissa. In bf16,
// UOR's two learned targets came out one vector (cosine 0.99999 against 0.85 in fp32). One
// (B, H) x (H, H) product costs nothing beside the encoder.
at::Tensor BertPoolerImpl::pre_activation(const at::Tensor& hidden) {
  compat::AutocastSuspended fp32(hidden.device().type());
  return linear(dense, hidden.select(1, 0).to(dense->weight.scalar_type()));  // (B, H)
}

at::Tensor BertPoolerImpl::forward(const at::Tensor& hidden) {
  return at::tanh(pre_activation(hidden));
}

BertEncoderImpl::BertEncoderImpl(const BertConfig& c) {
  layer = register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    layers.emplace_back(c);
    layer->push_back(layers.back());
  }
}

BertModelImpl::BertModelImpl(const BertConfig& config) : config_(config) {
  config_.validate();
  // Refuse before the allocator sees it: fp32 weights that cannot fit this machine's memory.
  const double bytes = config_.estimated_parameters() * 4;
  const double memory = physical_memory_bytes();
  check(memory <= 0 || bytes <= memory, "the config needs {:.1f} GiB of fp32 weights (before gradients and optimizer "
        "state); this machine has {:.1f} GiB", bytes / (1 << 30), memory / (1 << 30));
  embeddings = register_module("embeddings", BertEmbeddings(config_));
  encoder = register_module("encoder", BertEncoder(config_));
  pooler = register_module("pooler", BertPooler(config_));
}

at::Tensor additive_attention_mask(const at::Tensor& attention_mask, at::ScalarType dtype) {
  at::Tensor m = attention_mask.to(dtype).unsqueeze(1).unsqueeze(2);  // (B, 1, 1, T)
  double min = dtype == at::kBFloat16 ? -3.38e38 : dtype == at::kHalf ? -65504.0
                                                                      : std::numeric_limits<float>::lowest();
  return (1.0 - m) * min;
}

BertOutput BertModelImpl::forward(const at::Tensor& ids, const at::Tensor& type_ids,
                                  const at::Tensor& attention_mask, const ForwardOptions& options) {
  check(ids.dim() == 2, "expected token ids of shape (batch, length), got {} dimensions", ids.dim());
  check(type_ids.sizes() == ids.sizes() && attention_mask.sizes() == ids.sizes(),
        "ids, token type ids and attention mask must have the same shape");
  BertOutput out;
  at::Tensor mask = additive_attention_mask(attention_mask, at::kFloat);  // (B, 1, 1, T)
  at::Tensor h = embeddings->forward(ids, type_ids);                      // (B, T, H)
  if (options.output_hidden_states) out.hidden_states.push_back(h);
  for (auto& layer : encoder->layers) {
    at::Tensor probs;
    h = layer->forward(h, mask, options.output_attentions ? &probs : nullptr);
    if (options.output_hidden_states) out.hidden_states.push_back(h);
    if (options.output_attentions) out.attentions.push_back(probs);
  }
  out.last_hidden_state = h;
  out.pooler_output = pooler->forward(h);
  return out;
}

void init_bert_weights(torch::nn::Module& module, const BertConfig& config) {
  at::NoGradGuard no_grad;
  for (auto& m : module.modules(/*include_self=*/true)) {
    if (auto* linear = m->as<torch::nn::Linear>()) {
      linear->weight.normal_(0.0, config.initializer_range);
      if (linear->bias.defined()) linear->bias.zero_();
    } else if (auto* emb = m->as<torch::nn::Embedding>()) {
      emb->weight.normal_(0.0, config.initializer_range);
    } else if (auto* ln = m->as<torch::nn::LayerNorm>()) {
      ln->weight.fill_(1.0);
      ln->bias.zero_();
    }
  }
  for (auto& m : module.modules(/*include_self=*/true)) {
    if (auto* e = m->as<BertEmbeddingsImpl>()) e->word_embeddings->weight[config.pad_token_id].zero_();
  }
}

}  // namespace porkit::model
