// Batches over a data set reshuffled every epoch, as a pure function of the step: a resumed
// run draws exactly the batches an uninterrupted run draws.
#pragma once
#include <cstdint>
#include <vector>

#include "porkit/train/rng.h"

namespace porkit::train {

class EpochBatches {
 public:
  // `shuffle_first_epoch` false keeps epoch 0 in the given order (already shuffled data).
  EpochBatches(size_t items, int batch_size, uint64_t seed, uint64_t stream, bool shuffle_first_epoch = true)
      : items_(items), batch_size_(batch_size), seed_(seed), stream_(stream), shuffle_first_(shuffle_first_epoch) {}

  int64_t steps_per_epoch() const {
    return (static_cast<int64_t>(items_) + batch_size_ - 1) / batch_size_;
  }

  // Item indices of the batch of optimizer step `step` (the last batch of an epoch may be short).
  std::vector<size_t> batch(int64_t step) {
    int64_t epoch = step / steps_per_epoch(), index = step % steps_per_epoch();
    if (epoch != epoch_) {
      order_.resize(items_);
      for (size_t i = 0; i < items_; ++i) order_[i] = i;
      if (epoch > 0 || shuffle_first_) Rng(seed_, stream_, static_cast<uint64_t>(epoch)).shuffle(order_);
      epoch_ = epoch;
    }
    size_t begin = static_cast<size_t>(index * batch_size_);
    size_t end = std::min(items_, begin + static_cast<size_t>(batch_size_));
    return std::vector<size_t>(order_.begin() + static_cast<std::ptrdiff_t>(begin),
                               order_.begin() + static_cast<std::ptrdiff_t>(end));
  }

 private:
  size_t items_;
  int batch_size_;
  uint64_t seed_, stream_;
  bool shuffle_first_;
  int64_t epoch_ = -1;
  std::vector<size_t> order_;
};

}  // namespace porkit::train
