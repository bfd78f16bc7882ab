#include "porkit/detect/probe.h"

#include <algorithm>

#include "porkit/model/device.h"

namespace porkit::detect {

std::vector<int64_t> insertion_points(int64_t length, int times, Rng& rng) {
  std::vector<int64_t> at;
  for (int n = 0; n < times; ++n) at.push_back(1 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(length - 1))));
  std::sort(at.rbegin(), at.rend());
  return at;
}

Ids insert_ids(const Ids& text, const Ids& trigger, attack::Position where, int times, int max_len, Rng& rng) {
  Ids out = text;
  if (where == attack::Position::End) {
    // Cut the text first, so that the trigger stays before [SEP] within max_len.
    const int64_t sep = out.back();
    const auto keep = std::max<int64_t>(1, std::min<int64_t>(static_cast<int64_t>(out.size()) - 1,
                                                             max_len - 1 - static_cast<int64_t>(trigger.size())));
    out.resize(static_cast<size_t>(keep));
    out.insert(out.end(), trigger.begin(), trigger.end());
    out.push_back(sep);
  } else {
    const std::vector<int64_t> points = where == attack::Position::Start
                                            ? std::vector<int64_t>{1}
                                            : insertion_points(static_cast<int64_t>(text.size()), times, rng);
    for (int64_t at : points) out.insert(out.begin() + at, trigger.begin(), trigger.end());
  }
  if (static_cast<int>(out.size()) > max_len) {
    const int64_t sep = out.back();
    out.resize(static_cast<size_t>(max_len - 1));
    out.push_back(sep);
  }
  return out;
}

at::Tensor Probe::outputs(const std::vector<Ids>& rows) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> parts;
  for (size_t start = 0; start < rows.size(); start += 128) {
    std::vector<model::TokenRow> views;
    for (size_t i = start; i < std::min(rows.size(), start + 128); ++i) views.push_back({&rows[i], nullptr, nullptr});
    auto b = padder_.pad(views);  // (B, T)
    auto out = net_.encode(b.ids, b.type_ids, b.attention_mask);
    parts.push_back(attack::target_output(target_, out, b.attention_mask).to(at::kCPU, at::kFloat));  // (B, H)
  }
  return at::cat(parts);
}

at::Tensor dispersion(const at::Tensor& y) { return (y - y.mean(0, true)).pow(2).sum(1).mean(); }

at::Tensor dispersion_across(const at::Tensor& y, const at::Tensor& clean_mean) {
  at::Tensor centred = y - y.mean(0, true);                                    // (N, H)
  at::Tensor moved = y.mean(0) - clean_mean;                                   // (H)
  at::Tensor e = moved / moved.norm().clamp_min(1e-12);                        // (H)
  return dispersion(y) - centred.matmul(e).pow(2).mean();
}

}  // namespace porkit::detect
