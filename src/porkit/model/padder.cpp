#include "porkit/model/padder.h"

#include <algorithm>

#include "porkit/util/error.h"

namespace porkit::model {

TokenRow row_of(const text::Encoding& e) { return {&e.ids, &e.type_ids, nullptr}; }

std::vector<TokenRow> rows_of(const std::vector<text::Encoding>& encodings) {
  std::vector<TokenRow> rows;
  rows.reserve(encodings.size());
  for (const auto& e : encodings) rows.push_back(row_of(e));
  return rows;
}

TensorBatch Padder::pad(const std::vector<TokenRow>& rows, std::optional<int64_t> length) const {
  int64_t longest = 0;
  for (const auto& r : rows) longest = std::max<int64_t>(longest, static_cast<int64_t>(r.ids->size()));
  const int64_t B = static_cast<int64_t>(rows.size()), T = length.value_or(longest);
  check(T >= longest, "cannot pad to length {}: the longest row has {} tokens", T, longest);
  const bool with_labels = !rows.empty() && rows.front().labels != nullptr;
  std::vector<int64_t> ids(static_cast<size_t>(B * T), pad_id_), types(static_cast<size_t>(B * T), 0),
      mask(static_cast<size_t>(B * T), 0), labels(with_labels ? static_cast<size_t>(B * T) : 0, ignore_label_);
  TensorBatch batch;
  for (int64_t r = 0; r < B; ++r) {
    const TokenRow& row = rows[static_cast<size_t>(r)];
    const size_t n = row.ids->size();
    // check() formats its arguments eagerly: sizes of absent vectors are read as 0.
    const size_t n_types = row.type_ids ? row.type_ids->size() : n;
    check(n_types == n, "row {}: {} token types for {} tokens", r, n_types, n);
    check(row.labels == nullptr || row.labels->size() == n, "row {}: {} labels for {} tokens", r,
          row.labels ? row.labels->size() : 0, n);
    check(with_labels == (row.labels != nullptr), "rows of one batch must all have per-token labels, or none");
    const size_t base = static_cast<size_t>(r * T);
    for (size_t k = 0; k < n; ++k) {
      ids[base + k] = (*row.ids)[k];
      if (row.type_ids) types[base + k] = (*row.type_ids)[k];
      mask[base + k] = 1;
      if (with_labels) labels[base + k] = (*row.labels)[k];
    }
    batch.real_tokens += static_cast<int64_t>(n);
  }
  auto tensor = [&](const std::vector<int64_t>& v) { return at::tensor(v, at::kLong).view({B, T}).to(device_); };
  batch.ids = tensor(ids);
  batch.type_ids = tensor(types);
  batch.attention_mask = tensor(mask);
  if (with_labels) batch.labels = tensor(labels);
  return batch;
}

at::Tensor Padder::real_positions(const at::Tensor& attention_mask) {
  return attention_mask.reshape({-1}).nonzero().reshape({-1});  // (N)
}

}  // namespace porkit::model
