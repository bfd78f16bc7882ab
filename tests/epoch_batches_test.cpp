// Epoch batches: every item once per epoch, a pure function of the step (resume draws the
// same batches), and with length bucketing batches of similar length.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "porkit/train/epoch_batches.h"

namespace porkit {
namespace {

using train::EpochBatches;

std::vector<int64_t> spread_lengths(size_t n) {
  std::vector<int64_t> lengths(n);
  Rng rng(3, Stream::DataSample, 0);
  for (auto& l : lengths) l = 3 + static_cast<int64_t>(rng.below(120));
  return lengths;
}

void expect_each_item_once_per_epoch(EpochBatches& batches, size_t items, int64_t epoch) {
  std::multiset<size_t> seen;
  for (int64_t s = 0; s < batches.steps_per_epoch(); ++s)
    for (size_t i : batches.batch(epoch * batches.steps_per_epoch() + s)) seen.insert(i);
  ASSERT_EQ(seen.size(), items);
  for (size_t i = 0; i < items; ++i) EXPECT_EQ(seen.count(i), 1u) << "item " << i << " epoch " << epoch;
}

TEST(EpochBatches, BucketingCoversEveryItemOnceAndShrinksTheLengthSpread) {
  const size_t items = 2500;
  const int B = 24;
  const auto lengths = spread_lengths(items);
  EpochBatches plain(items, B, 11, Stream::FinetuneBatches, Stream::FinetuneBucketBatches),
      bucketed(items, B, 11, Stream::FinetuneBatches, Stream::FinetuneBucketBatches);
  bucketed.bucket_by_length(lengths);
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    expect_each_item_once_per_epoch(plain, items, epoch);
    expect_each_item_once_per_epoch(bucketed, items, epoch);
  }
  // Mean (longest - shortest) within a batch: ~110 for random batches of lengths 3..122.
  auto mean_spread = [&](EpochBatches& b) {
    double total = 0;
    for (int64_t s = 0; s < b.steps_per_epoch(); ++s) {
      int64_t lo = 1 << 30, hi = 0;
      for (size_t i : b.batch(s)) lo = std::min(lo, lengths[i]), hi = std::max(hi, lengths[i]);
      total += static_cast<double>(hi - lo);
    }
    return total / static_cast<double>(b.steps_per_epoch());
  };
  EXPECT_GT(mean_spread(plain), 90.0);
  EXPECT_LT(mean_spread(bucketed), 10.0);
}

TEST(EpochBatches, ABucketedBatchIsAPureFunctionOfTheStep) {
  const size_t items = 700;
  const auto lengths = spread_lengths(items);
  EpochBatches straight(items, 16, 5, Stream::FinetuneBatches, Stream::FinetuneBucketBatches),
      resumed(items, 16, 5, Stream::FinetuneBatches, Stream::FinetuneBucketBatches);
  straight.bucket_by_length(lengths);
  resumed.bucket_by_length(lengths);
  std::vector<std::vector<size_t>> drawn;
  for (int64_t s = 0; s < 3 * straight.steps_per_epoch(); ++s) drawn.push_back(straight.batch(s));
  // A resumed run starts in the middle of epoch 1 and must see exactly the same batches.
  const int64_t from = straight.steps_per_epoch() + 7;
  for (int64_t s = from; s < 3 * straight.steps_per_epoch(); ++s)
    EXPECT_EQ(resumed.batch(s), drawn[static_cast<size_t>(s)]) << "step " << s;
  // And the batch order differs between epochs.
  EXPECT_NE(drawn[0], drawn[static_cast<size_t>(straight.steps_per_epoch())]);
}

}  // namespace
}  // namespace porkit
