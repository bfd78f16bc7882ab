// Batches over a data set reshuffled every epoch, as a pure function of the step: a resumed
// run draws exactly the batches an uninterrupted run draws. In a data-parallel run each rank
// gets its slice of the same global batch (train/data_parallel.h).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "porkit/train/data_parallel.h"
#include "porkit/util/rng.h"

namespace porkit::train {

class EpochBatches {
 public:
  // Batches per length window when bucketing: large enough that a window spans the data's
  // range of lengths, small enough that a batch is still a random draw of the epoch.
  static constexpr size_t kBucketWindowBatches = 50;

  // `order` shuffles the items of each epoch; `bucket_order` shuffles the batches of a
  // length-bucketed epoch. `shuffle_first_epoch` false keeps epoch 0 in the given order
  // (already shuffled data).
  EpochBatches(size_t items, int batch_size, uint64_t seed, Stream order, Stream bucket_order,
               bool shuffle_first_epoch = true)
      : items_(items), batch_size_(batch_size), seed_(seed), order_(order), bucket_order_(bucket_order),
        shuffle_first_(shuffle_first_epoch) {}

  // Length bucketing: from now on each epoch's shuffled order is cut into windows of
  // kBucketWindowBatches batches, each window is sorted by length and cut into batches, and
  // the epoch's batches are shuffled again. Batches then pad to nearly their own length
  // (per-batch padding alone leaves ~60% of SST-2's computed tokens as padding).
  void bucket_by_length(std::vector<int64_t> lengths) {
    lengths_ = std::move(lengths);
    epoch_ = -1;
  }

  int64_t steps_per_epoch() const {
    return (static_cast<int64_t>(items_) + batch_size_ - 1) / batch_size_;
  }

  // Item indices of the batch of optimizer step `step` (one batch of an epoch may be short):
  // this rank's slice of it in a data-parallel run.
  std::vector<size_t> batch(int64_t step) {
    const int64_t epoch = step / steps_per_epoch(), index = step % steps_per_epoch();
    if (epoch != epoch_) arrange(epoch);
    const std::vector<size_t>& global = batches_[static_cast<size_t>(index)];
    if (!data_parallel()) return global;
    const auto [begin, end] = rank_slice(global.size());
    return std::vector<size_t>(global.begin() + static_cast<std::ptrdiff_t>(begin),
                               global.begin() + static_cast<std::ptrdiff_t>(end));
  }

 private:
  void arrange(int64_t epoch) {
    std::vector<size_t> order(items_);
    for (size_t i = 0; i < items_; ++i) order[i] = i;
    if (epoch > 0 || shuffle_first_) Rng(seed_, order_, static_cast<uint64_t>(epoch)).shuffle(order);
    const size_t B = static_cast<size_t>(batch_size_);
    if (!lengths_.empty()) {
      const size_t window = kBucketWindowBatches * B;
      for (size_t w = 0; w < order.size(); w += window) {
        const auto first = order.begin() + static_cast<std::ptrdiff_t>(w);
        const auto last = order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), w + window));
        std::stable_sort(first, last, [&](size_t a, size_t b) { return lengths_[a] < lengths_[b]; });
      }
    }
    batches_.clear();
    for (size_t begin = 0; begin < order.size(); begin += B)
      batches_.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(begin),
                            order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), begin + B)));
    // A separate stream, so bucketing leaves the item shuffle of the plain order unchanged.
    if (!lengths_.empty()) Rng(seed_, bucket_order_, static_cast<uint64_t>(epoch)).shuffle(batches_);
    epoch_ = epoch;
  }

  size_t items_;
  int batch_size_;
  uint64_t seed_;
  Stream order_, bucket_order_;
  bool shuffle_first_;
  std::vector<int64_t> lengths_;  // empty: no bucketing
  int64_t epoch_ = -1;
  std::vector<std::vector<size_t>> batches_;  // this epoch's batches in step order
};

}  // namespace porkit::train
