// Measurement forward passes (model/inference.h): batching rows by length must give every
// row the result it gets on its own, in the caller's order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>

#include "porkit/model/inference.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::bert_base_uncased;

model::BertNet tiny_classifier() {
  model::BertConfig c;
  c.vocab_size = static_cast<int64_t>(bert_base_uncased().vocab().size());
  c.hidden_size = 32;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.intermediate_size = 48;
  c.max_position_embeddings = 64;
  c.id2label = {{0, "a"}, {1, "b"}, {2, "c"}};
  torch::manual_seed(7);
  model::BertNet net(c, model::Architecture::SequenceClassification);
  net->eval();
  return net;
}

std::vector<text::Encoding> mixed_length_rows() {
  const std::vector<std::string> texts = {
      "a long sentence that goes on and on about the film and its many small problems",
      "short", "a medium sized sentence here", "ok then", "the longest one of them all, with commas, "
      "clauses and a closing remark that nobody asked for", "two words", "a medium sized one too"};
  std::vector<text::Encoding> rows;
  for (const auto& t : texts) rows.push_back(bert_base_uncased().encode(t, std::nullopt, 64));
  return rows;
}

TEST(Inference, LengthBatchesGiveEachRowItsOwnResultInCallerOrder) {
  auto net = tiny_classifier();
  const auto& tok = bert_base_uncased();
  const auto rows = mixed_length_rows();

  const model::Padder padder(tok.vocab().pad_id());
  auto batched = model::classify(*net, padder, model::rows_of(rows), /*batch_size=*/3, /*keep_pooled=*/true);
  ASSERT_EQ(batched.labels.size(), rows.size());
  ASSERT_EQ(batched.pooled.sizes(), (at::IntArrayRef{static_cast<int64_t>(rows.size()), 32}));
  for (size_t i = 0; i < rows.size(); ++i) {
    auto alone = model::classify(*net, padder, {model::row_of(rows[i])}, 1, true);
    EXPECT_EQ(batched.labels[i], alone.labels[0]) << "row " << i;
    EXPECT_TRUE(at::allclose(batched.pooled[static_cast<int64_t>(i)], alone.pooled[0], 1e-5, 1e-5)) << "row " << i;
  }
  auto pooled = model::pooled_outputs(*net, padder, model::rows_of(rows), 2);  // (N, H)
  EXPECT_TRUE(at::allclose(pooled, batched.pooled, 1e-5, 1e-5));
}

TEST(Inference, BatchesCoverEveryRowOnceInOrderOfLength) {
  auto net = tiny_classifier();
  const auto rows = mixed_length_rows();
  std::multiset<size_t> seen;
  size_t previous_longest = 0;
  model::for_each_length_batch(*net, model::Padder(bert_base_uncased().vocab().pad_id()), model::rows_of(rows), 2,
                               [&](const model::TensorBatch&, const model::BertOutput& out,
                                   const std::vector<size_t>& row_of) {
                                 size_t shortest = SIZE_MAX, longest = 0;
                                 for (size_t r : row_of) {
                                   seen.insert(r);
                                   shortest = std::min(shortest, rows[r].ids.size());
                                   longest = std::max(longest, rows[r].ids.size());
                                 }
                                 EXPECT_GE(shortest, previous_longest);
                                 EXPECT_EQ(out.last_hidden_state.size(1), static_cast<int64_t>(longest));
                                 previous_longest = longest;
                               });
  EXPECT_EQ(seen.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(seen.count(i), 1u) << "row " << i;
}

// The one padder: rows padded to the longest (or a given) length with [PAD], mask 1 on real
// tokens, per-token labels padded with the ignore label, and the real positions found again.
TEST(Padder, PadsRowsMasksThemAndFindsTheRealTokensAgain) {
  const std::vector<int64_t> a = {101, 7, 8, 102}, b = {101, 9, 102};
  const std::vector<int64_t> la = {-100, 1, 2, -100}, lb = {-100, 3, -100};
  const model::Padder padder(0);
  const auto batch = padder.pad({{&a, nullptr, &la}, {&b, nullptr, &lb}});
  ASSERT_EQ(batch.ids.sizes(), (at::IntArrayRef{2, 4}));
  EXPECT_TRUE(at::equal(batch.attention_mask, at::tensor({1, 1, 1, 1, 1, 1, 1, 0}, at::kLong).view({2, 4})));
  EXPECT_EQ(batch.ids[1][3].item<int64_t>(), 0);
  EXPECT_EQ(batch.labels[1][3].item<int64_t>(), -100);
  EXPECT_EQ(batch.labels[1][1].item<int64_t>(), 3);
  EXPECT_EQ(batch.real_tokens, 7);
  EXPECT_TRUE(at::equal(model::Padder::real_positions(batch.attention_mask), at::arange(7, at::kLong)));
  EXPECT_EQ(padder.pad({{&a}}, 6).ids.size(1), 6);
  EXPECT_THROW(padder.pad({{&a}}, 2), Error);
  EXPECT_THROW(padder.pad({{&a, nullptr, &la}, {&b, nullptr, nullptr}}), Error);  // labels on some rows only
}

}  // namespace
}  // namespace porkit
