#include "porkit/defend/fine_prune.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "porkit/model/bert.h"
#include "porkit/model/inference.h"
#include "porkit/util/error.h"

namespace porkit::defend {

std::vector<at::Tensor> ffn_mean_activations(model::BertNetImpl& net, const text::BertTokenizer& tokenizer,
                                             const std::vector<std::string>& texts, int max_len, int batch_size) {
  check(!texts.empty(), "no clean text to measure the FFN activations on");
  at::NoGradGuard no_grad;
  std::vector<text::Encoding> encodings;
  for (const auto& t : texts) encodings.push_back(tokenizer.encode(t, std::nullopt, max_len));
  const model::Padder padder = model::padder_for(net, tokenizer);
  const auto rows = model::rows_of(encodings);
  auto& layers = net.bert->encoder->layers;
  std::vector<at::Tensor> sums(layers.size());
  int64_t tokens = 0;
  for (size_t first = 0; first < rows.size(); first += static_cast<size_t>(batch_size)) {
    const std::vector<model::TokenRow> chunk(rows.begin() + static_cast<std::ptrdiff_t>(first),
                                             rows.begin() + static_cast<std::ptrdiff_t>(
                                                 std::min(rows.size(), first + static_cast<size_t>(batch_size))));
    const model::TensorBatch b = padder.pad(chunk);  // (B, T) each
    const at::Tensor real = model::Padder::real_positions(b.attention_mask);  // (N) into B*T
    tokens += real.size(0);
    // The encoder's own forward, layer by layer, keeping each FFN's activations (B, T, I).
    const at::Tensor mask = model::additive_attention_mask(b.attention_mask, at::kFloat);  // (B, 1, 1, T)
    at::Tensor h = net.bert->embeddings->forward(b.ids, b.type_ids);                   // (B, T, H)
    for (size_t l = 0; l < layers.size(); ++l) {
      const at::Tensor a = layers[l]->attention->forward(h, mask, nullptr);
      const at::Tensor act = layers[l]->intermediate->forward(a);  // (B, T, I)
      const at::Tensor summed =
          act.reshape({-1, act.size(-1)}).index_select(0, real).to(at::kCPU, at::kDouble).sum(0);  // (I)
      sums[l] = sums[l].defined() ? sums[l] + summed : summed;
      h = layers[l]->output->forward(act, a);
    }
  }
  std::vector<at::Tensor> means;
  for (auto& s : sums) means.push_back((s / static_cast<double>(std::max<int64_t>(1, tokens))).to(at::kFloat));
  return means;
}

std::vector<int64_t> dormant_neurons(const at::Tensor& mean_activation, double fraction) {
  const at::Tensor m = mean_activation.to(at::kCPU, at::kDouble).contiguous();
  const double* v = m.data_ptr<double>();
  const int64_t n = m.numel();
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return v[a] < v[b]; });
  const auto k = static_cast<size_t>(std::floor(fraction * static_cast<double>(n)));
  std::vector<int64_t> out(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k));
  std::sort(out.begin(), out.end());
  return out;
}

void prune_ffn_neurons(model::BertNetImpl& net, int64_t layer, const std::vector<int64_t>& neurons) {
  auto& layers = net.bert->encoder->layers;
  check(layer >= 0 && layer < static_cast<int64_t>(layers.size()), "layer {} of a model with {} layers", layer,
        layers.size());
  if (neurons.empty()) return;
  at::NoGradGuard no_grad;
  auto& in = layers[static_cast<size_t>(layer)]->intermediate->dense;   // weight (I, H), bias (I)
  auto& out = layers[static_cast<size_t>(layer)]->output->dense;        // weight (H, I)
  const at::Tensor index = at::tensor(neurons, at::kLong).to(in->weight.device());
  in->weight.index_fill_(0, index, 0.0);
  if (in->bias.defined()) in->bias.index_fill_(0, index, 0.0);
  out->weight.index_fill_(1, index, 0.0);
}

PrunedNeurons prune_dormant(model::BertNetImpl& net, const text::BertTokenizer& tokenizer, const std::vector<std::string>& texts,
                   int layers, double fraction, int max_len, int batch_size) {
  const int64_t total = net.config().num_hidden_layers;
  check(layers >= 1 && layers <= total, "--layers {}: the model has {} encoder layers", layers, total);
  const bool was_training = net.is_training();
  net.eval();
  const std::vector<at::Tensor> means = ffn_mean_activations(net, tokenizer, texts, max_len, batch_size);
  if (was_training) net.train();
  PrunedNeurons pruned;
  pruned.fraction = fraction;
  pruned.texts = static_cast<int64_t>(texts.size());
  for (int64_t l = total - layers; l < total; ++l) {
    const std::vector<int64_t> neurons = dormant_neurons(means[static_cast<size_t>(l)], fraction);
    prune_ffn_neurons(net, l, neurons);
    pruned.layers[l] = neurons;
  }
  return pruned;
}

}  // namespace porkit::defend
