#include "porkit/model/bert_net.h"

#include <ATen/CPUGeneratorImpl.h>

#include "porkit/util/error.h"

namespace porkit::model {

std::string architecture_name(Architecture a) {
  switch (a) {
    case Architecture::Bare: return "BertModel";
    case Architecture::PreTraining: return "BertForPreTraining";
    case Architecture::SequenceClassification: return "BertForSequenceClassification";
    case Architecture::TokenClassification: return "BertForTokenClassification";
  }
  return "?";
}

std::optional<Architecture> architecture_from_name(const std::string& name) {
  if (name == "BertModel") return Architecture::Bare;
  if (name == "BertForPreTraining" || name == "BertForMaskedLM" ||
      name == "BertForNextSentencePrediction" || name == "BertLMHeadModel")
    return Architecture::PreTraining;
  if (name == "BertForSequenceClassification") return Architecture::SequenceClassification;
  if (name == "BertForTokenClassification") return Architecture::TokenClassification;
  return std::nullopt;
}

BertPredictionHeadTransformImpl::BertPredictionHeadTransformImpl(const BertConfig& c) {
  dense = register_module("dense", torch::nn::Linear(c.hidden_size, c.hidden_size));
  LayerNorm = register_module(
      "LayerNorm",
      torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
}

at::Tensor BertPredictionHeadTransformImpl::forward(const at::Tensor& hidden) {
  at::Tensor h = at::gelu(at::linear(hidden, dense->weight, dense->bias));  // (N, H)
  const auto& o = LayerNorm->options;
  return at::layer_norm(h.to(at::kFloat), o.normalized_shape(), LayerNorm->weight, LayerNorm->bias,
                        o.eps());
}

BertLMPredictionHeadImpl::BertLMPredictionHeadImpl(const BertConfig& c) {
  transform = register_module("transform", BertPredictionHeadTransform(c));
  bias = register_parameter("bias", at::zeros({c.vocab_size}));
}

at::Tensor BertLMPredictionHeadImpl::forward(const at::Tensor& hidden,
                                             const at::Tensor& decoder_weight) {
  return at::linear(transform->forward(hidden), decoder_weight, bias);  // (N, V)
}

BertPreTrainingHeadsImpl::BertPreTrainingHeadsImpl(const BertConfig& c) {
  predictions = register_module("predictions", BertLMPredictionHead(c));
  seq_relationship = register_module("seq_relationship", torch::nn::Linear(c.hidden_size, 2));
}

BertNetImpl::BertNetImpl(const BertConfig& config, Architecture architecture)
    : config_(config), architecture_(architecture) {
  bert = register_module("bert", BertModel(config_));
  if (architecture == Architecture::PreTraining) {
    cls = register_module("cls", BertPreTrainingHeads(config_));
  } else if (architecture == Architecture::SequenceClassification ||
             architecture == Architecture::TokenClassification) {
    check(config_.num_labels() >= 1, "{} needs labels (id2label in config.json), found none",
          architecture_name(architecture));
    classifier = register_module("classifier",
                                 torch::nn::Linear(config_.hidden_size, config_.num_labels()));
  }
  config_.architectures = {architecture_name(architecture)};
}

BertOutput BertNetImpl::encode(const at::Tensor& ids, const at::Tensor& type_ids,
                               const at::Tensor& attention_mask, const ForwardOptions& options) {
  return bert->forward(ids, type_ids, attention_mask, options);
}

at::Tensor BertNetImpl::mlm_logits(const at::Tensor& token_states) {
  check(!cls.is_empty(), "this {} has no masked-LM head", architecture_name(architecture_));
  return cls->predictions->forward(token_states, bert->embeddings->word_embeddings->weight);
}

at::Tensor BertNetImpl::nsp_logits(const at::Tensor& pooled) {
  check(!cls.is_empty(), "this {} has no next-sentence head", architecture_name(architecture_));
  return at::linear(pooled, cls->seq_relationship->weight, cls->seq_relationship->bias);
}

at::Tensor BertNetImpl::classifier_logits(const BertOutput& out) {
  check(!classifier.is_empty(), "this {} has no classification head (expected a "
        "BertForSequenceClassification or BertForTokenClassification folder)",
        architecture_name(architecture_));
  double p = config_.hidden_dropout_prob;
  const at::Tensor& x =
      architecture_ == Architecture::TokenClassification ? out.last_hidden_state : out.pooler_output;
  at::Tensor h = (is_training() && p > 0) ? at::dropout(x, p, true) : x;
  return at::linear(h, classifier->weight, classifier->bias);
}

BertNet copy_of(BertNetImpl& net) {
  // Building the modules draws their default initialisation from the global generator; put
  // its state back, so that a copy leaves the run's random streams (dropout) as they were.
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  const at::Tensor generator_state = generator.get_state();
  BertNet copy(net.config(), net.architecture());
  generator.set_state(generator_state);
  at::NoGradGuard no_grad;
  const auto params = net.named_parameters();
  const auto buffers = net.named_buffers();
  if (!params.is_empty()) copy->to(params.begin()->value().device());
  for (auto& p : copy->named_parameters()) p.value().copy_(params[p.key()]);
  for (auto& b : copy->named_buffers()) b.value().copy_(buffers[b.key()]);
  copy->train(net.is_training());
  return copy;
}

}  // namespace porkit::model

const std::vector<std::pair<porkit::model::Architecture, std::string>>&
porkit::options::EnumNames<porkit::model::Architecture>::values() {
  using porkit::model::Architecture;
  static const std::vector<std::pair<Architecture, std::string>> v = {
      {Architecture::Bare, "BertModel"},
      {Architecture::PreTraining, "BertForPreTraining"},
      {Architecture::SequenceClassification, "BertForSequenceClassification"},
      {Architecture::TokenClassification, "BertForTokenClassification"}};
  return v;
}
