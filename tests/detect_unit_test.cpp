// The detection's arithmetic, on fixtures only: the embedding-space forward pass the soft
// triggers use is the token forward pass, and the zoo's scores are the textbook ones.
#include <gtest/gtest.h>

#include "porkit/attack/por.h"
#include "porkit/detect/zoo.h"
#include "porkit/model/embedding_input.h"
#include "porkit/text/bert_tokenizer.h"
#include "porkit/util/error.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::bert_base_uncased;

TEST(EmbeddingInput, IsTheTokenForwardPass) {
  const model::BertConfig c = model::BertConfig::load(porkit::testing::fixtures_dir() / "pretrain" / "micro-config.json");
  torch::manual_seed(11);
  model::BertNet net(c, model::Architecture::Bare);
  net->eval();
  at::NoGradGuard no_grad;
  const auto a = bert_base_uncased().encode("the film was a quiet triumph", std::nullopt, 64).ids;
  const auto b = bert_base_uncased().encode("short one", std::nullopt, 64).ids;
  const int64_t T = static_cast<int64_t>(a.size());
  at::Tensor ids = at::zeros({2, T}, at::kLong), mask = at::zeros({2, T}, at::kLong);  // (2, T)
  for (int64_t t = 0; t < T; ++t) ids[0][t] = a[static_cast<size_t>(t)], mask[0][t] = 1;
  for (int64_t t = 0; t < static_cast<int64_t>(b.size()); ++t) ids[1][t] = b[static_cast<size_t>(t)], mask[1][t] = 1;
  const auto by_ids = net->encode(ids, at::zeros_like(ids), mask);
  const at::Tensor words = at::embedding(net->bert->embeddings->word_embeddings->weight, ids);  // (2, T, H)
  const auto by_embeddings = model::forward_from_word_embeddings(*net->bert, words, mask);
  EXPECT_LT((by_ids.pooler_output - by_embeddings.pooler_output).abs().max().item<double>(), 1e-6);
  EXPECT_LT((by_ids.last_hidden_state - by_embeddings.last_hidden_state).abs().max().item<double>(), 1e-6);
  // A changed embedding changes the output: the function reads its input.
  const auto moved = model::forward_from_word_embeddings(*net->bert, words * 2, mask);
  EXPECT_GT((moved.pooler_output - by_ids.pooler_output).abs().max().item<double>(), 1e-3);
}

TEST(Por, NeubaTargetsHaveTwoOfFourBlocksNegative) {
  const at::Tensor p = attack::make_por(attack::PorScheme::Neuba, 6, 768, 1.0);  // (6, 768)
  for (int64_t k = 0; k < 6; ++k) EXPECT_EQ((p[k] < 0).sum().item<int64_t>(), 384) << k;
  // Trigger 1: blocks 0 and 1 negative; trigger 6: blocks 2 and 3.
  EXPECT_EQ(p[0][0].item<double>(), -1.0);
  EXPECT_EQ(p[0][192].item<double>(), -1.0);
  EXPECT_EQ(p[0][384].item<double>(), 1.0);
  EXPECT_EQ(p[5][0].item<double>(), 1.0);
  EXPECT_EQ(p[5][767].item<double>(), -1.0);
  // Two targets share one negative block (agree on half the dimensions) or are opposite.
  for (int64_t a = 0; a < 6; ++a)
    for (int64_t b = a + 1; b < 6; ++b)
      EXPECT_EQ((p[a] == p[b]).sum().item<int64_t>(), a + b == 5 ? 0 : 384) << a << " " << b;
  EXPECT_THROW(attack::make_por(attack::PorScheme::Neuba, 7, 768, 1.0), Error);
}

TEST(ZooScores, AurocCountsPairsAndTiesHalf) {
  EXPECT_DOUBLE_EQ(detect::auroc({0.9, 0.8}, {0.1, 0.2}), 1.0);
  EXPECT_DOUBLE_EQ(detect::auroc({0.1, 0.2}, {0.9, 0.8}), 0.0);
  EXPECT_DOUBLE_EQ(detect::auroc({0.5}, {0.5}), 0.5);
  EXPECT_DOUBLE_EQ(detect::auroc({0.9, 0.3}, {0.5, 0.1}), 0.75);
}

TEST(ZooScores, TprAtFixedFalsePositiveRate) {
  const std::vector<double> neg = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
  // No false positive allowed at 1% of 10: the threshold must pass 0.95.
  EXPECT_DOUBLE_EQ(detect::tpr_at_fpr({0.99, 0.96, 0.5}, neg, 0.01), 2.0 / 3.0);
  // One false positive (10%) allowed at 10%: threshold 0.95 includes it.
  EXPECT_DOUBLE_EQ(detect::tpr_at_fpr({0.99, 0.96, 0.5}, neg, 0.10), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(detect::tpr_at_fpr({0.99, 0.96, 0.5}, neg, 0.60), 1.0);
  EXPECT_DOUBLE_EQ(detect::tpr_at_fpr({0.0}, neg, 0.0), 0.0);
}

}  // namespace
}  // namespace porkit
