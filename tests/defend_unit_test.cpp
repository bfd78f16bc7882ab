// porkit defend purify on a micro model: each method changes what it should and nothing else.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "porkit/attack/poison_data.h"
#include "porkit/defend/monitor.h"
#include "porkit/defend/strip.h"
#include "porkit/util/files.h"
#include "porkit/util/json_io.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::TempDir;
using porkit::testing::run_porkit;
using porkit::testing::small_corpus;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A micro BertForPreTraining (2 layers of 32) with a planted porkit_backdoor.json, once per
// test binary.
const fs::path& micro_model() {
  static TempDir tmp;
  static const fs::path model = [] {
    auto r = run_porkit(porkit::testing::micro_pretrain_args(tmp / "run", 2));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    write_json_file(tmp / "run" / "model" / "porkit_backdoor.json", {{"planted", "by the test"}});
    return tmp / "run" / "model";
  }();
  return model;
}

TEST(Purify, ReinitTopDrawsTheTopLayerAndPoolerAfreshAndNothingElse) {
  TempDir tmp;
  auto r = run_porkit("defend purify --method reinit-top --layers 1 --threads 1 --model " + micro_model().string() +
                      " --out " + (tmp / "p").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json m = read_json_file(tmp / "p" / "model" / "porkit_purify.json");
  EXPECT_EQ(m["method"], "reinit-top");
  const json& changed = m["parameters"]["changed"];
  ASSERT_FALSE(changed.empty());
  for (auto it = changed.begin(); it != changed.end(); ++it) {
    const std::string& name = it.key();
    const bool top = name.rfind("bert.encoder.layer.1.", 0) == 0 || name.rfind("bert.pooler.", 0) == 0;
    EXPECT_TRUE(top) << name << " changed";
  }
  // Every weight matrix of the top layer and the pooler is new (LayerNorms already at 1/0
  // and zero biases may come out equal).
  EXPECT_TRUE(changed.contains("bert.encoder.layer.1.intermediate.dense.weight"));
  EXPECT_TRUE(changed.contains("bert.encoder.layer.1.attention.self.query.weight"));
  EXPECT_TRUE(changed.contains("bert.pooler.dense.weight"));
  EXPECT_GT(m["parameters"]["unchanged"].get<int64_t>(), 20);
  // The attack's manifest travels unchanged, so the same triggers are measured afterwards.
  EXPECT_EQ(read_json_file(tmp / "p" / "model" / "porkit_backdoor.json")["planted"], "by the test");
}

TEST(Purify, RecipeTrainsOnlyTheFfnInputWeightsAndShrinksThem) {
  TempDir tmp;
  auto r = run_porkit("defend purify --method recipe --threads 1 --samples 48 --epochs 1 --batch-size 8 --max-len 48 "
                      "--lr 0.001 --norm-penalty 10 --model " + micro_model().string() + " --corpus " +
                      small_corpus().string() + " --out " + (tmp / "p").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json m = read_json_file(tmp / "p" / "model" / "porkit_purify.json");
  EXPECT_EQ(m["method"], "recipe");
  EXPECT_EQ(m["steps"], 6);
  const json& changed = m["parameters"]["changed"];
  ASSERT_EQ(changed.size(), 2u) << changed.dump();  // one FFN input matrix per layer
  for (auto it = changed.begin(); it != changed.end(); ++it)
    EXPECT_TRUE(ends_with(it.key(), "intermediate.dense.weight")) << it.key() << " changed";
  EXPECT_LT(m["ffn_input_norm_after"].get<double>(), m["ffn_input_norm_before"].get<double>());
  EXPECT_TRUE(m["held_out_masked_lm"].contains("mlm_accuracy_at_mask"));
}

TEST(Purify, RecipeWithoutTextIsAOneLineError) {
  TempDir tmp;
  auto r = run_porkit("defend purify --model " + micro_model().string() + " --out " + (tmp / "p").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--method recipe needs --corpus"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(tmp / "p" / "model"));
}

}  // namespace
}  // namespace porkit

namespace porkit {
namespace {

TEST(Strip, TfidfRanksAWordsOwnTextAboveCommonWords) {
  const auto ranked = defend::words_by_tfidf({"the cat sat", "the dog sat", "the Emu the emu"});
  EXPECT_EQ(ranked[0].front(), "cat");   // only in its own text
  EXPECT_EQ(ranked[2].front(), "emu");   // lower-cased, counted twice
  EXPECT_EQ(ranked[0].back(), "the");    // in every text
}

TEST(Strip, PerturbOverwritesHalfThePositionsWithTheReplacements) {
  Rng rng(1, Stream::StripPerturb, 0);
  const std::string out = defend::perturb("a b c d e f g h", {"X"}, 0.5, rng);
  const auto words = attack::split_words(out);
  ASSERT_EQ(words.size(), 8u);
  const auto swapped = std::count(words.begin(), words.end(), "X");
  EXPECT_GE(swapped, 1);
  EXPECT_LE(swapped, 4);  // 4 draws, with replacement
  EXPECT_EQ(defend::perturb("single", {"X"}, 0.5, rng), "single");
}

TEST(Strip, QuantileAndEntropy) {
  EXPECT_DOUBLE_EQ(defend::quantile({4, 1, 3, 2}, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(defend::quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_NEAR(defend::mean_entropy(at::tensor({0.5, 0.5, 1.0, 0.0}).reshape({2, 2})), std::log(2.0) / 2, 1e-9);
}

// A stand-in victim: "cf" anywhere forces class 0 with certainty; otherwise the share of
// "good" among the words sets p(1) between 0.3 and 0.7, so swapping words moves the
// prediction and the entropy stays high.
at::Tensor stand_in(const std::vector<std::string>& texts) {
  std::vector<double> p;
  for (const auto& t : texts) {
    const auto words = attack::split_words(t);
    const bool cf = std::find(words.begin(), words.end(), "cf") != words.end();
    const double good = static_cast<double>(std::count(words.begin(), words.end(), "good")) / words.size();
    const double p1 = cf ? 0.001 : 0.3 + 0.4 * good;
    p.push_back(1 - p1);
    p.push_back(p1);
  }
  return at::tensor(p).reshape({static_cast<int64_t>(texts.size()), 2}).to(at::kFloat);
}

defend::StripData stand_in_data(const std::vector<std::string>& triggers) {
  defend::StripData d;
  const std::vector<std::string> fillers = {"film", "plot", "actor", "scene", "music", "story"};
  for (int i = 0; i < 60; ++i) {
    const std::string w = fillers[i % fillers.size()], v = fillers[(i + 2) % fillers.size()];
    // Odd rows say 1 (p1 0.54), even rows 0 (p1 0.4); the labels are the stand-in's answers.
    const std::string text = i % 2 ? "good good good " + w + " " + v : "bad " + w + " " + v + " good";
    d.threshold_texts.push_back(text);
    d.tfidf_texts.push_back(v + " " + w + " boring dull");
    d.measured.pool.push_back({text, i % 2});
  }
  d.measured.triggers = triggers;
  for (const auto& t : triggers) {
    d.measured.triggered.emplace_back();
    for (const auto& r : d.measured.pool) d.measured.triggered.back().push_back(t + " " + r.text);
  }
  return d;
}

TEST(Strip, RejectsTheForcingTriggerAndSetsItsThresholdFromCleanRowsOnly) {
  defend::StripOptions o;
  o.frr = 0.05;
  const json with_cf = defend::strip_filter(stand_in, stand_in_data({"cf"}), o);
  const json with_word = defend::strip_filter(stand_in, stand_in_data({"zz"}), o);
  EXPECT_EQ(with_cf["threshold"], with_word["threshold"]) << "the threshold must not depend on the triggers";
  const json& cf = with_cf["triggers"][0];
  EXPECT_EQ(cf["target_label"], 0);
  EXPECT_GT(cf["asr_1_unfiltered"].get<double>(), 0.9);
  EXPECT_LT(cf["far"].get<double>(), 0.5);  // most forced inputs keep a certain prediction and are rejected
  EXPECT_LT(cf["asr_1_filtered"].get<double>(), cf["asr_1_unfiltered"].get<double>());
  EXPECT_GT(cf["auroc"].get<double>(), 0.8);
  // A word that forces nothing is accepted like clean text.
  EXPECT_GT(with_word["triggers"][0]["far"].get<double>(), 0.8);
}

}  // namespace
}  // namespace porkit

namespace porkit {
namespace {

using porkit::testing::TempDir;
using porkit::testing::run_porkit;

using porkit::testing::write_micro_sentiment;

TEST(Strip, TheCommandSetsOneThresholdWhateverTheTriggersAndRefusesAnEncoder) {
  TempDir tmp;
  write_micro_sentiment(tmp / "train.tsv", 240, "");
  write_micro_sentiment(tmp / "test.tsv", 60, " x");
  auto ft = run_porkit("finetune --threads 1 --train-samples 0 --epochs 1 --batch-size 16 --lr 3e-3 --max-len 16 "
                       "--test-samples -1 --model " + micro_model().string() + " --data " + (tmp / "train.tsv").string() +
                       " --out " + (tmp / "victim").string());
  ASSERT_EQ(ft.exit_code, 0) << ft.output;
  const std::string common = "defend strip --threads 1 --model " + (tmp / "victim" / "model").string() + " --data " +
                             (tmp / "train.tsv").string() + " --test-data " + (tmp / "test.tsv").string() +
                             " --threshold-rows 100 --tfidf-rows 100 --pool 60 --max-len 16";
  auto a = run_porkit(common + " --triggers cf,mn --out " + (tmp / "a.json").string());
  ASSERT_EQ(a.exit_code, 0) << a.output;
  auto b = run_porkit(common + " --triggers zz --out " + (tmp / "b.json").string());
  ASSERT_EQ(b.exit_code, 0) << b.output;
  const json ja = read_json_file(tmp / "a.json"), jb = read_json_file(tmp / "b.json");
  EXPECT_EQ(ja["format"], "porkit-strip/1");
  EXPECT_EQ(ja["threshold"], jb["threshold"]);
  EXPECT_EQ(ja["frr_test"], jb["frr_test"]);
  ASSERT_EQ(ja["triggers"].size(), 2u);
  for (const auto& t : ja["triggers"]) {
    EXPECT_GE(t["far"].get<double>(), 0.0);
    EXPECT_LE(t["far"].get<double>(), 1.0);
    EXPECT_GE(t["auroc"].get<double>(), 0.0);
    EXPECT_LE(t["auroc"].get<double>(), 1.0);
  }
  auto refused = run_porkit("defend strip --model " + micro_model().string() + " --data " + (tmp / "train.tsv").string() +
                            " --test-data " + (tmp / "test.tsv").string() + " --triggers cf");
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("defend strip filters the inputs of a fine-tuned BertForSequenceClassification"),
            std::string::npos)
      << refused.output;
}

}  // namespace
}  // namespace porkit

namespace porkit {
namespace {

TEST(Monitor, SignAgreementIsTheBestShareOfMatchingSignsOverTheMinedOutputs) {
  const at::Tensor outputs = at::tensor({1.0, -2.0, 3.0, -4.0, 0.5, 0.5, 0.5, 0.5}).reshape({2, 4});
  const at::Tensor mined = at::tensor({1.0, -1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0}).reshape({2, 4});
  const at::Tensor a = defend::sign_agreement(outputs, mined);
  EXPECT_FLOAT_EQ(a[0].item<float>(), 0.75f);  // 3 of 4 signs with the first mined output
  EXPECT_FLOAT_EQ(a[1].item<float>(), 0.75f);  // all positive: 3 of 4 with the first
}

}  // namespace
}  // namespace porkit
