// Template definitions for dataset.h.
#pragma once
#include "porkit/util/rng.h"

namespace porkit::data {

template <typename T>
std::vector<T> seeded_sample(const std::vector<T>& rows, int64_t n, uint64_t seed) {
  std::vector<size_t> order(rows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  Rng rng(seed, Stream::DataSample, 0);
  rng.shuffle(order);
  if (n > 0 && static_cast<size_t>(n) < order.size()) order.resize(static_cast<size_t>(n));
  std::vector<T> out;
  out.reserve(order.size());
  for (size_t i : order) out.push_back(rows[i]);
  return out;
}

}  // namespace porkit::data
