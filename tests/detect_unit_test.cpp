// The detection's arithmetic, on fixtures only: the embedding-space forward pass the soft
// triggers use is the token forward pass, and the zoo's scores are the textbook ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "porkit/attack/por.h"
#include "porkit/detect/moved_rows.h"
#include "porkit/detect/probe.h"
#include "porkit/detect/scan.h"
#include "porkit/detect/zoo.h"
#include "porkit/model/embedding_input.h"
#include "porkit/text/bert_tokenizer.h"
#include "porkit/util/error.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::bert_base_uncased;
using porkit::testing::error_of;

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

TEST(Scan, TheSpreadScoreIsZeroInsideTheBandAndTheThresholdAtItsEdges) {
  const detect::SpreadBand band{0.5, 8.0};
  EXPECT_EQ(detect::spread_score(1.0, band), 0.0);
  EXPECT_EQ(detect::spread_score(0.5, band), 0.0);
  EXPECT_EQ(detect::spread_score(8.0, band), 0.0);
  EXPECT_NEAR(detect::spread_score(0.4999999, band), 0.6, 1e-6);
  EXPECT_NEAR(detect::spread_score(8.0000001, band), 0.6, 1e-6);
  EXPECT_NEAR(detect::spread_score(16.0, band), 0.9, 1e-12);  // d = ln 2: 1 - 0.4 / 4
  EXPECT_NEAR(detect::spread_score(0.25, band), 0.9, 1e-12);
  EXPECT_GT(detect::spread_score(160.0, band), detect::spread_score(16.0, band));
  EXPECT_NEAR(detect::spread_score(0.0, band), 1.0, 1e-12);
  EXPECT_NE(error_of([] { detect::spread_score(-1.0); }).find("finite and not negative"), std::string::npos);
  const auto c = detect::spread_check("base", 0.2, 0.05);
  EXPECT_DOUBLE_EQ(c.ratio, 0.25);
  EXPECT_EQ(c.score, detect::spread_score(0.25));
  EXPECT_NE(error_of([] { detect::spread_check("base", 0.0, 1.0); }).find("cannot set a band"), std::string::npos);
}

TEST(Scan, InsertionsGoWhereAsked) {
  const detect::Ids text = {101, 5, 6, 7, 102};  // [CLS] a b c [SEP]
  Rng rng(1, Stream::ScanPositions, 0);
  EXPECT_EQ(detect::insert_ids(text, {9, 8}, attack::Position::Start, 3, 48, rng),
            (detect::Ids{101, 9, 8, 5, 6, 7, 102}));
  EXPECT_EQ(detect::insert_ids(text, {9, 8}, attack::Position::End, 3, 48, rng), (detect::Ids{101, 5, 6, 7, 9, 8, 102}));
  // At the end, the text gives way so that the trigger stays inside max_len.
  EXPECT_EQ(detect::insert_ids(text, {9, 8}, attack::Position::End, 3, 5, rng), (detect::Ids{101, 5, 9, 8, 102}));
  EXPECT_EQ(detect::insert_ids(text, {9, 8}, attack::Position::Start, 3, 5, rng), (detect::Ids{101, 9, 8, 5, 102}));
  const detect::Ids anywhere = detect::insert_ids(text, {9}, attack::Position::Random, 3, 48, rng);
  ASSERT_EQ(anywhere.size(), 8u);
  EXPECT_EQ(std::count(anywhere.begin(), anywhere.end(), 9), 3);
  EXPECT_EQ(anywhere.front(), 101);
  EXPECT_EQ(anywhere.back(), 102);
}

TEST(Scan, TheMostMovedRowsAreSuspectedAloneAndAsWordPairs) {
  const auto vocab = text::Vocab::from_tokens({"[PAD]", "a", "##b", "c", "##d", "e", "[CLS]", "[SEP]", "[UNK]"});
  const at::Tensor base = at::ones({9, 2});  // (V, H)
  at::Tensor moved = base.clone();
  moved[2][0] = 4.0;   // ##b: |(3, 0)| / |(1, 1)| = 2.12
  moved[3][1] = -1.0;  // c: 2 / 1.41 = 1.41
  moved[5][0] = 1.5;   // e: 0.35
  const auto rows = detect::most_moved_rows(moved, base, {1, 2, 3, 4, 5}, vocab, 4);
  ASSERT_EQ(rows.size(), 3u) << "a and ##d did not move: they suggest nothing";
  EXPECT_EQ(rows[0].token, "##b");
  EXPECT_NEAR(rows[0].change, 3.0 / std::sqrt(2.0), 1e-6);
  EXPECT_EQ(rows[1].token, "c");
  EXPECT_EQ(rows[2].token, "e");
  EXPECT_EQ(detect::moved_row_candidates(rows),
            (std::vector<detect::Ids>{{2}, {3}, {5}, {3, 2}, {5, 2}}));
  EXPECT_NE(error_of([&] { detect::most_moved_rows(moved, at::ones({5, 2}), {1}, vocab, 4); }).find("same vocabulary"),
            std::string::npos);
}

// Both zoo records, as written by porkit 0.1.0 before they were typed (trimmed to two models):
// they must still load, and writing them back must give the same JSON.
constexpr const char* kZoo010 = R"({"base_digest": "ab12", "format": "porkit-zoo/1", "porkit_version": "0.1.0",
  "options": {"models": 2, "seed": 1},
  "models": [
    {"attack": "por-1", "backdoored": true, "checks": {"min_activation_rate": 0.975}, "folder": "models/m001",
     "id": "m001", "seconds": 41.5, "seed": 702297,
     "triggers": [{"kind": "common", "pieces": ["why"], "trigger": "why"},
                  {"kind": "multi-piece", "pieces": ["ec", "##ker", "##t"], "trigger": "eckert"}]},
    {"attack": "clean", "backdoored": false, "folder": "models/m002.pretrain/model", "further_steps": 47,
     "id": "m002", "seconds": 31.2, "seed": 327555}]})";

constexpr const char* kZooScores010 = R"({"accuracy_at_threshold": 0.8125, "clean": 1, "format": "porkit-zoo-scores/1",
  "models": [
    {"attack": "por-1", "backdoored": true, "flagged": true, "id": "m001", "named": ["why", "##ker"], "score": 0.99,
     "seconds": 67.8, "triggers": [{"kind": "common", "pieces": ["why"], "trigger": "why"}], "true_trigger_named": true},
    {"attack": "clean", "backdoored": false, "flagged": false, "id": "m000", "named": [], "score": 0.25,
     "seconds": 54.4, "triggers": [], "true_trigger_named": false}],
  "overall": {"auroc": 0.64, "backdoored": 1, "tpr_at_fpr_1pct": 0.625, "tpr_at_fpr_5pct": 0.625},
  "per_attack": {"por-1": {"auroc": 1.0, "backdoored": 1, "tpr_at_fpr_1pct": 1.0, "tpr_at_fpr_5pct": 1.0}, "uor": null},
  "porkit_version": "0.1.0", "scan_options": {"texts": 200}, "seconds_per_model": 59.2, "threshold": 0.6,
  "true_trigger_named_share": 0.625, "zoo": "runs/zoo-tune", "zoo_options": {"seed": 1}})";

TEST(ZooRecord, AnEarlierRecordLoadsAndWritesBackTheSame) {
  const json j = json::parse(kZoo010);
  const auto z = detect::ZooRecord::from_json(j, "zoo.json");
  ASSERT_EQ(z.models.size(), 2u);
  EXPECT_EQ(z.backdoored(), 1);
  EXPECT_EQ(z.models[0].triggers[1].pieces, (std::vector<std::string>{"ec", "##ker", "##t"}));
  EXPECT_FALSE(z.models[0].further_steps.has_value());
  EXPECT_EQ(z.models[1].further_steps, 47);
  EXPECT_EQ(z.models[1].seed, 327555u);
  EXPECT_EQ(z.to_json(), j);
}

TEST(ZooScores, AnEarlierRecordLoadsAndWritesBackTheSame) {
  const json j = json::parse(kZooScores010);
  const auto s = detect::ZooScores::from_json(j, "zoo_scores.json");
  ASSERT_EQ(s.models.size(), 2u);
  ASSERT_TRUE(s.overall.has_value());
  EXPECT_DOUBLE_EQ(s.overall->auroc, 0.64);
  EXPECT_FALSE(s.per_attack.at("uor").has_value()) << "an attack without a summary stays without one";
  EXPECT_EQ(s.models[0].named, (std::vector<std::string>{"why", "##ker"}));
  EXPECT_FALSE(s.models[0].spread_ratio.has_value());
  EXPECT_EQ(s.to_json(), j);
  // Scored with --reference: each row keeps its clean spread ratio.
  json with_spread = j;
  with_spread["models"][0]["spread_ratio"] = 0.31;
  const auto t = detect::ZooScores::from_json(with_spread, "zoo_scores.json");
  EXPECT_EQ(t.models[0].spread_ratio, 0.31);
  EXPECT_EQ(t.to_json(), with_spread);
}

TEST(ZooRecord, AnotherVersionOrAMissingFieldIsRefusedByName) {
  json z = json::parse(kZoo010);
  z["format"] = "porkit-zoo/2";
  EXPECT_NE(error_of([&] { detect::ZooRecord::from_json(z, "zoo.json"); })
                .find("format 'porkit-zoo/2' is not one this porkit reads"),
            std::string::npos);
  json s = json::parse(kZooScores010);
  s["models"][0].erase("score");
  EXPECT_NE(error_of([&] { detect::ZooScores::from_json(s, "zoo_scores.json"); })
                .find("field 'models'"),
            std::string::npos);
  z = json::parse(kZoo010);
  z["models"][0].erase("triggers");
  EXPECT_NE(error_of([&] { detect::ZooRecord::from_json(z, "zoo.json"); })
                .find("field 'triggers' of a zoo member"),
            std::string::npos);
  EXPECT_NE(error_of([&] { detect::ZooScores::from_json(json::parse(kZoo010), "x.json"); })
                .find("expected 'porkit-zoo-scores/1'"),
            std::string::npos);
}

}  // namespace
}  // namespace porkit
