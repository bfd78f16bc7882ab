#include "porkit/train/masked_lm_eval.h"

#include <algorithm>
#include <cmath>

#include "porkit/model/device.h"

namespace porkit::train {

UnigramBaseline UnigramBaseline::of(const TokenizedCorpus& corpus, int64_t vocab_size) {
  std::vector<double> counts(static_cast<size_t>(vocab_size), 1.0);
  for (int64_t i = 0; i < corpus.num_tokens(); ++i) counts[static_cast<size_t>(corpus.tokens[i])] += 1;
  double total = 0;
  for (double c : counts) total += c;
  UnigramBaseline u;
  u.log_prob.resize(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) u.log_prob[i] = std::log(counts[i] / total);
  u.argmax = std::max_element(counts.begin(), counts.end()) - counts.begin();
  return u;
}

PretrainingForward pretraining_forward(model::BertNetImpl& net, const PretrainBatch& batch, bool nsp) {
  auto out = net.encode(batch.inputs.ids, batch.inputs.type_ids, batch.inputs.attention_mask);
  const int64_t H = out.last_hidden_state.size(-1);
  // The vocabulary projection only at the selected positions: (N, H) -> (N, V).
  at::Tensor selected = out.last_hidden_state.reshape({-1, H}).index_select(0, batch.mlm_positions);
  PretrainingForward f;
  f.mlm_logits = net.mlm_logits(selected).to(at::kFloat);
  f.mlm_loss = at::cross_entropy_loss(f.mlm_logits, batch.mlm_labels);
  f.nsp_loss = at::zeros({}, at::kFloat);
  if (nsp) {
    f.nsp_logits = net.nsp_logits(out.pooler_output).to(at::kFloat);  // (B, 2)
    f.nsp_loss = at::cross_entropy_loss(f.nsp_logits, batch.nsp_labels);
  }
  return f;
}

json held_out_masked_lm(model::BertNetImpl& net, const HeldOutText& text, const UnigramBaseline& unigram) {
  at::NoGradGuard no_grad;
  const at::Device device = model::device_of(net);
  struct Masked {
    double loss = 0, correct = 0, n = 0;
  };
  // Masked-LM loss and accuracy over the held-out batches of `data`; `also` sees each batch
  // with its NSP logits.
  auto masked_lm = [&](const PretrainData& data, const auto& also) {
    Masked m;
    for (int b = 0; b < text.batches; ++b) {
      const PretrainBatch batch = data.batch(text.seed, b, text.batch_size, device);
      const PretrainingForward f = pretraining_forward(net, batch, text.nsp);
      const int64_t n = batch.mlm_labels.size(0);
      m.loss += f.mlm_loss.item<double>() * n;
      m.n += n;
      m.correct += (f.mlm_logits.argmax(-1) == batch.mlm_labels).sum().item<double>();
      also(batch, f.nsp_logits);
    }
    return m;
  };
  double nsp_correct = 0, nsp_total = 0, unigram_nll = 0, unigram_correct = 0;
  const Masked mixed = masked_lm(text.mixed, [&](const PretrainBatch& batch, const at::Tensor& nsp_logits) {
    if (text.nsp) {
      nsp_correct += (nsp_logits.argmax(-1) == batch.nsp_labels).sum().item<double>();
      nsp_total += static_cast<double>(batch.nsp_labels.size(0));
    }
    const at::Tensor labels_cpu = batch.mlm_labels.cpu();  // (N)
    const int64_t* labels = labels_cpu.data_ptr<int64_t>();
    for (int64_t i = 0; i < labels_cpu.size(0); ++i) {
      unigram_nll -= unigram.log_prob[static_cast<size_t>(labels[i])];
      unigram_correct += labels[i] == unigram.argmax;
    }
  });
  // The field's figure: accuracy where the input shows [MASK] (the 80/10/10 figure also
  // counts the kept 10%, which the model copies).
  const Masked at_mask = masked_lm(text.at_mask, [](const PretrainBatch&, const at::Tensor&) {});
  json out = {{"mlm_loss", mixed.loss / mixed.n},
              {"perplexity", std::exp(mixed.loss / mixed.n)},
              {"mlm_accuracy", mixed.correct / mixed.n},
              {"masked_tokens", mixed.n},
              {"unigram_baseline_accuracy", unigram_correct / mixed.n},
              {"unigram_baseline_perplexity", std::exp(unigram_nll / mixed.n)},
              {"mlm_accuracy_at_mask", at_mask.correct / at_mask.n},
              {"mlm_loss_at_mask", at_mask.loss / at_mask.n},
              {"perplexity_at_mask", std::exp(at_mask.loss / at_mask.n)}};
  if (text.nsp) out["nsp_accuracy"] = nsp_correct / nsp_total;
  return out;
}

}  // namespace porkit::train
