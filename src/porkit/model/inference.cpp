#include "porkit/model/inference.h"

#include <algorithm>
#include <numeric>

#include "porkit/model/device.h"

namespace porkit::model {

Padder padder_for(const BertNetImpl& net, const text::BertTokenizer& tok) {
  return Padder(tok.vocab().pad_id(), device_of(net));
}

void for_each_length_batch(BertNetImpl& net, const Padder& padder, const std::vector<TokenRow>& rows, int batch_size,
                           const BatchConsumer& take) {
  at::NoGradGuard no_grad;
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Stable, so rows of equal length keep their order and the batches are deterministic.
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rows[a].ids->size() < rows[b].ids->size(); });
  const size_t step = static_cast<size_t>(std::max(1, batch_size));
  for (size_t start = 0; start < order.size(); start += step) {
    const std::vector<size_t> row_of(order.begin() + static_cast<std::ptrdiff_t>(start),
                                     order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + step)));
    std::vector<TokenRow> chunk;
    chunk.reserve(row_of.size());
    for (size_t r : row_of) chunk.push_back(rows[r]);
    const TensorBatch b = padder.pad(chunk);  // (n, T) each
    take(b, net.encode(b.ids, b.type_ids, b.attention_mask), row_of);
  }
}

namespace {

// Copies a batch's rows (n, H) into `into` (N, H) at the batch rows' places in the caller's order.
void scatter_rows(at::Tensor& into, const std::vector<size_t>& row_of, const at::Tensor& rows) {
  const at::Tensor where = at::tensor(std::vector<int64_t>(row_of.begin(), row_of.end()), at::kLong);
  into.index_copy_(0, where, rows.to(at::kCPU, at::kFloat));
}

}  // namespace

Classified classify(BertNetImpl& classifier, const Padder& padder, const std::vector<TokenRow>& rows, int batch_size,
                    bool keep_pooled) {
  Classified out;
  out.labels.assign(rows.size(), -1);
  if (keep_pooled) out.pooled = at::zeros({static_cast<int64_t>(rows.size()), classifier.config().hidden_size});
  for_each_length_batch(classifier, padder, rows, batch_size,
                        [&](const TensorBatch&, const BertOutput& enc, const std::vector<size_t>& row_of) {
    const at::Tensor pred = classifier.classifier_logits(enc).argmax(-1).to(at::kCPU).contiguous();  // (n)
    const int64_t* p = pred.data_ptr<int64_t>();
    for (size_t i = 0; i < row_of.size(); ++i) out.labels[row_of[i]] = p[i];
    if (keep_pooled) scatter_rows(out.pooled, row_of, enc.pooler_output);
  });
  return out;
}

at::Tensor class_probabilities(BertNetImpl& classifier, const Padder& padder, const std::vector<TokenRow>& rows,
                               int batch_size) {
  at::Tensor probs;  // (N, C), allocated at the first batch, when C is known
  for_each_length_batch(classifier, padder, rows, batch_size,
                        [&](const TensorBatch&, const BertOutput& enc, const std::vector<size_t>& row_of) {
    const at::Tensor p = at::softmax(classifier.classifier_logits(enc).to(at::kFloat), -1).to(at::kCPU);  // (n, C)
    if (!probs.defined()) probs = at::zeros({static_cast<int64_t>(rows.size()), p.size(1)});
    scatter_rows(probs, row_of, p);
  });
  return probs.defined() ? probs : at::zeros({0, 0});
}

at::Tensor pooled_outputs(BertNetImpl& net, const Padder& padder, const std::vector<TokenRow>& rows, int batch_size) {
  at::Tensor pooled = at::zeros({static_cast<int64_t>(rows.size()), net.config().hidden_size});  // (N, H)
  for_each_length_batch(net, padder, rows, batch_size,
                        [&](const TensorBatch&, const BertOutput& enc, const std::vector<size_t>& row_of) {
    scatter_rows(pooled, row_of, enc.pooler_output);
  });
  return pooled;
}

}  // namespace porkit::model
