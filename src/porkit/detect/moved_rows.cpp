#include "porkit/detect/moved_rows.h"

#include <algorithm>

#include "porkit/util/error.h"

namespace porkit::detect {

std::vector<MovedRow> most_moved_rows(const at::Tensor& rows, const at::Tensor& base_rows,
                                      const std::vector<int64_t>& allowed, const text::Vocab& vocab, int count) {
  check(rows.sizes() == base_rows.sizes(),
        "the word embeddings are {} x {} but the reference's {} x {}; moved rows need the same vocabulary", rows.size(0),
        rows.size(1), base_rows.size(0), base_rows.size(1));
  at::NoGradGuard no_grad;
  const at::Tensor index = at::tensor(allowed, at::kLong).to(rows.device());
  const at::Tensor e = rows.index_select(0, index).to(at::kFloat);       // (A, H)
  const at::Tensor b = base_rows.index_select(0, index).to(at::kFloat);  // (A, H)
  const at::Tensor change = ((e - b).norm(2, 1) / b.norm(2, 1).clamp_min(1e-12)).to(at::kCPU);  // (A)
  const int64_t k = std::min<int64_t>(count, change.size(0));
  const auto [values, at] = change.topk(k);  // largest first
  std::vector<MovedRow> out;
  for (int64_t i = 0; i < k; ++i) {
    if (values[i].item<double>() <= 0) break;  // unmoved rows suggest nothing (a model against itself)
    const int64_t id = allowed[static_cast<size_t>(at[i].item<int64_t>())];
    out.push_back({vocab.token(id), id, values[i].item<double>()});
  }
  return out;
}

std::vector<Ids> moved_row_candidates(const std::vector<MovedRow>& moved) {
  auto continues = [](const MovedRow& r) { return r.token.rfind("##", 0) == 0; };
  std::vector<Ids> out;
  for (const auto& r : moved) out.push_back({r.id});
  for (const auto& first : moved) {
    if (continues(first)) continue;
    for (const auto& next : moved)
      if (continues(next)) out.push_back({first.id, next.id});
  }
  return out;
}

}  // namespace porkit::detect
