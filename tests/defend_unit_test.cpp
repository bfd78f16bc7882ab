// porkit defend on micro models and stand-ins: each defence changes what it should and nothing
// else, and its thresholds come from clean rows only.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "porkit/attack/poison_data.h"
#include "porkit/defend/filter_result.h"
#include "porkit/defend/fine_prune.h"
#include "porkit/defend/monitor.h"
#include "porkit/defend/onion.h"
#include "porkit/defend/perplexity_cache.h"
#include "porkit/defend/purify_manifest.h"
#include "porkit/defend/strip.h"
#include "porkit/io/model_folder.h"
#include "porkit/model/bert.h"
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

// A micro sentiment victim fine-tuned from micro_model(), with its training and test files,
// once per test binary.
struct MicroVictim {
  fs::path train, test, model;
  bool trained = false;
  std::string output;  // the fine-tuning's, when it failed
};
const MicroVictim& micro_victim() {
  static TempDir tmp;
  static const MicroVictim victim = [] {
    porkit::testing::write_micro_sentiment(tmp / "train.tsv", 240, "");
    porkit::testing::write_micro_sentiment(tmp / "test.tsv", 60, " x");
    auto ft = run_porkit("finetune --threads 1 --train-samples 0 --epochs 1 --batch-size 16 --lr 3e-3 --max-len 16 "
                         "--test-samples -1 --model " + micro_model().string() + " --data " +
                         (tmp / "train.tsv").string() + " --out " + (tmp / "victim").string());
    return MicroVictim{tmp / "train.tsv", tmp / "test.tsv", tmp / "victim" / "model", ft.exit_code == 0, ft.output};
  }();
  return victim;
}

TEST(Purify, ReinitTopDrawsTheTopLayerAndPoolerAfreshAndNothingElse) {
  TempDir tmp;
  auto r = run_porkit("defend purify --method reinit-top --layers 1 --threads 1 --model " + micro_model().string() +
                      " --out " + (tmp / "p").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto m = defend::PurifyManifest::read(tmp / "p" / "model");
  EXPECT_EQ(m.method, "reinit-top");
  const auto& changed = m.changed;
  ASSERT_FALSE(changed.empty());
  for (const auto& [name, size] : changed) {
    const bool top = name.rfind("bert.encoder.layer.1.", 0) == 0 || name.rfind("bert.pooler.", 0) == 0;
    EXPECT_TRUE(top) << name << " changed";
  }
  // Every weight matrix of the top layer and the pooler is new (LayerNorms already at 1/0
  // and zero biases may come out equal).
  EXPECT_TRUE(changed.count("bert.encoder.layer.1.intermediate.dense.weight"));
  EXPECT_TRUE(changed.count("bert.encoder.layer.1.attention.self.query.weight"));
  EXPECT_TRUE(changed.count("bert.pooler.dense.weight"));
  EXPECT_GT(m.unchanged, 20);
  EXPECT_FALSE(m.steps.has_value()) << "reinit-top trains nothing";
  // The attack's manifest travels unchanged, so the same triggers are measured afterwards.
  EXPECT_EQ(read_json_file(tmp / "p" / "model" / "porkit_backdoor.json")["planted"], "by the test");
}

TEST(Purify, RecipeTrainsOnlyTheFfnInputWeightsAndShrinksThem) {
  TempDir tmp;
  auto r = run_porkit("defend purify --method recipe --threads 1 --samples 48 --epochs 1 --batch-size 8 --max-len 48 "
                      "--lr 0.001 --norm-penalty 10 --model " + micro_model().string() + " --corpus " +
                      small_corpus().string() + " --out " + (tmp / "p").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto m = defend::PurifyManifest::read(tmp / "p" / "model");
  EXPECT_EQ(m.method, "recipe");
  EXPECT_EQ(m.steps, 6);
  ASSERT_EQ(m.changed.size(), 2u);  // one FFN input matrix per layer
  for (const auto& [name, size] : m.changed) EXPECT_TRUE(ends_with(name, "intermediate.dense.weight")) << name << " changed";
  ASSERT_TRUE(m.ffn_input_norm_before && m.ffn_input_norm_after);
  EXPECT_LT(*m.ffn_input_norm_after, *m.ffn_input_norm_before);
  EXPECT_TRUE(m.held_out_masked_lm.contains("mlm_accuracy_at_mask"));
  // The record reads back to the same JSON it was written as.
  EXPECT_EQ(m.to_json(), read_json_file(tmp / "p" / "model" / "porkit_purify.json"));
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
  const MicroVictim& victim = micro_victim();
  ASSERT_TRUE(victim.trained) << victim.output;
  const std::string common = "defend strip --threads 1 --model " + victim.model.string() + " --data " +
                             victim.train.string() + " --test-data " + victim.test.string() +
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
  // Held-out calibration: test rows outside the pool, never a pool row; too few is one line.
  const std::string held_out = "defend strip --threads 1 --model " + victim.model.string() + " --data " +
                               victim.train.string() + " --test-data " + victim.test.string() +
                               " --tfidf-rows 100 --pool 20 --max-len 16 --triggers cf --calibrate held-out";
  auto held = run_porkit(held_out + " --threshold-rows 40 --out " + (tmp / "h.json").string());
  ASSERT_EQ(held.exit_code, 0) << held.output;
  EXPECT_EQ(read_json_file(tmp / "h.json")["calibrated_on"], "held-out test rows");
  auto too_few = run_porkit(held_out + " --threshold-rows 41");
  EXPECT_EQ(too_few.exit_code, 1);
  EXPECT_NE(too_few.output.find("--threshold-rows 41 needs 41 clean held-out test rows, but there are 40"),
            std::string::npos) << too_few.output;
  defend::FilterRun run;
  run.model = victim.model.string();
  run.data.path = victim.train.string();
  run.data.test_path = victim.test.string();
  run.triggers = {"cf"};
  run.pool = 20;
  run.calibrate = defend::Calibration::HeldOut;
  const defend::Victim v = defend::load_victim(run, "defend strip");
  ASSERT_EQ(v.calibration.size(), 40u);
  // Pool and calibration split the test rows: each text as often as the test file has it.
  std::map<std::string, int> split, file;
  for (const auto& row : v.measured.pool) ++split[row.text];
  for (const auto& text : v.calibration) ++split[text];
  for (const auto& row : v.data.test.rows) ++file[row.text];
  EXPECT_EQ(split, file);
  auto refused = run_porkit("defend strip --model " + micro_model().string() + " --data " + victim.train.string() +
                            " --test-data " + victim.test.string() + " --triggers cf");
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("defend strip filters the inputs of a fine-tuned BertForSequenceClassification"),
            std::string::npos)
      << refused.output;
}

}  // namespace
}  // namespace porkit

namespace porkit {
namespace {

// A stand-in encoder: texts with "cf" give the all-positive output; others a sign pattern
// drawn from the text, so clean outputs agree with it on about half the dimensions.
at::Tensor stand_in_outputs(const std::vector<std::string>& texts) {
  std::vector<at::Tensor> rows;
  for (const auto& t : texts) {
    const auto words = attack::split_words(t);
    if (std::find(words.begin(), words.end(), "cf") != words.end()) {
      rows.push_back(at::ones({16}));
      continue;
    }
    at::manual_seed(static_cast<uint64_t>(std::hash<std::string>{}(t)));
    rows.push_back(at::randn({16}));
  }
  return at::stack(rows);  // (N, 16)
}

TEST(Monitor, RejectsInputsThatMatchAMinedOutputWithAThresholdFromCleanRowsOnly) {
  defend::MonitorOptions o;
  o.frr = 0.05;
  const at::Tensor mined = at::ones({1, 16});
  auto with_cf = stand_in_data({"cf"}), with_word = stand_in_data({"zz"});
  const json a = defend::monitor_filter(stand_in, stand_in_outputs, mined, {with_cf.threshold_texts, with_cf.measured}, o);
  const json b = defend::monitor_filter(stand_in, stand_in_outputs, mined, {with_word.threshold_texts, with_word.measured}, o);
  EXPECT_EQ(a["threshold"], b["threshold"]) << "the threshold must not depend on the triggers";
  EXPECT_LT(a["threshold"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(a["triggers"][0]["far"].get<double>(), 0.0);  // every cf output is the mined one
  EXPECT_DOUBLE_EQ(a["triggers"][0]["asr_1_filtered"].get<double>(), 0.0);
  EXPECT_GT(b["triggers"][0]["far"].get<double>(), 0.8);          // a word that forces nothing passes
  EXPECT_LE(a["frr_test"].get<double>(), 0.15);
  // Without --frr the fixed threshold is used as given.
  o.frr = 0;
  o.threshold = 0.99;
  EXPECT_EQ(defend::monitor_filter(stand_in, stand_in_outputs, mined, {{}, with_cf.measured}, o)["threshold"], 0.99);
}

TEST(Monitor, SignAgreementIsTheBestShareOfMatchingSignsOverTheMinedOutputs) {
  const at::Tensor outputs = at::tensor({1.0, -2.0, 3.0, -4.0, 0.5, 0.5, 0.5, 0.5}).reshape({2, 4});
  const at::Tensor mined = at::tensor({1.0, -1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0}).reshape({2, 4});
  const at::Tensor a = defend::sign_agreement(outputs, mined);
  EXPECT_FLOAT_EQ(a[0].item<float>(), 0.75f);  // 3 of 4 signs with the first mined output
  EXPECT_FLOAT_EQ(a[1].item<float>(), 0.75f);  // all positive: 3 of 4 with the first
}

}  // namespace
}  // namespace porkit

namespace porkit {
namespace {

using porkit::testing::TempDir;
using porkit::testing::error_of;
using porkit::testing::run_porkit;
using porkit::testing::small_corpus;
using porkit::testing::write_bytes;
using porkit::testing::write_micro_sentiment;

// A stand-in scorer: every word costs 10 perplexity points, "cf" 1,000 more.
std::vector<double> stand_in_perplexity(const std::vector<std::string>& texts) {
  std::vector<double> out;
  for (const auto& t : texts) {
    const auto words = attack::split_words(t);
    out.push_back(10.0 * words.size() + 1000.0 * std::count(words.begin(), words.end(), "cf"));
  }
  return out;
}

TEST(Onion, WordSuspicionIsThePerplexityDropWhenTheWordGoes) {
  const auto s = defend::word_suspicion(stand_in_perplexity, {"a cf b", "single"});
  ASSERT_EQ(s.size(), 2u);
  ASSERT_EQ(s[0].size(), 3u);
  EXPECT_DOUBLE_EQ(s[0][0], 10.0);    // 1030 - 1020
  EXPECT_DOUBLE_EQ(s[0][1], 1010.0);  // 1030 - 20
  EXPECT_EQ(s[1], std::vector<double>{0.0});  // nothing left to score without its only word
  const auto logs = defend::word_suspicion(stand_in_perplexity, {"a cf b"}, defend::SuspicionScale::LogPerplexity);
  EXPECT_DOUBLE_EQ(logs[0][1], std::log(1030.0) - std::log(20.0));
  EXPECT_EQ(defend::delete_outliers("a cf b", s[0], 100.0), "a b");
  EXPECT_EQ(defend::delete_outliers("a cf b", s[0], 0.0), "");
  EXPECT_EQ(defend::delete_outliers("single", s[1], -1.0), "single");
}

// The cache answers every text it has seen from its file, scores the rest once, and survives
// a process (a second cache object on the same file); another scorer's file is refused, and
// a last line cut short is skipped.
TEST(Onion, PerplexityCacheScoresEachTextOnceAcrossVictimsAndRefusesAnotherScorer) {
  TempDir tmp;
  const fs::path file = tmp / "scores.jsonl";
  const defend::ScorerKey key{"digest-a", 64, "cpu"};
  int64_t scored = 0;
  const defend::Perplexity counting = [&](const std::vector<std::string>& texts) {
    scored += static_cast<int64_t>(texts.size());
    std::vector<double> p = stand_in_perplexity(texts);
    for (size_t i = 0; i < texts.size(); ++i)
      if (texts[i].empty()) p[i] = std::nan("");  // as pseudo_perplexity scores an empty text
    return p;
  };
  const std::vector<std::string> first = {"a cf b", "a b", "a b", ""};
  const std::vector<double> expected = {1030.0, 20.0, 20.0};
  {
    defend::PerplexityCache cache(file, key);
    const auto got = cache.wrap(counting)(first);
    EXPECT_EQ(scored, 3) << "each distinct text is scored once";
    for (size_t i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(got[i], expected[i]);
    EXPECT_TRUE(std::isnan(got[3]));
  }
  defend::PerplexityCache again(file, key);
  EXPECT_EQ(again.size(), 3u);
  EXPECT_TRUE(std::isnan(again.wrap(counting)({""})[0])) << "an empty text's NaN survives the file";
  const auto got = again.wrap(counting)({"a b", "cf", "a cf b"});
  EXPECT_EQ(scored, 4) << "only the new text is scored";
  EXPECT_DOUBLE_EQ(got[2], expected[0]);
  EXPECT_EQ(again.hits(), 3);
  EXPECT_EQ(again.misses(), 1);
  // A kill mid-write leaves half a line: it is skipped, and the rest still loads.
  { std::ofstream(file, std::ios::app) << "{\"text\": \"half"; }
  EXPECT_EQ(defend::PerplexityCache(file, key).size(), 4u);
  EXPECT_NE(error_of([&] { defend::PerplexityCache(file, {"digest-b", 64, "cpu"}); })
                .find("holds another scorer's scores (lm_digest"),
            std::string::npos);
  EXPECT_NE(error_of([&] { defend::PerplexityCache(file, {"digest-a", 128, "cpu"}); }).find("max_len 64 there"),
            std::string::npos);
  // A file in a folder that does not exist yet is created with its folder at once, before
  // any scoring; one that cannot be created fails at once too.
  const fs::path nested = tmp / "onion" / "scores.jsonl";
  EXPECT_EQ(defend::PerplexityCache(nested, key).size(), 0u);
  EXPECT_TRUE(fs::is_regular_file(nested));
  EXPECT_EQ(defend::PerplexityCache(nested, key).size(), 0u) << "the header alone reads back as an empty cache";
  write_bytes(tmp / "a-file", "x");
  EXPECT_NE(error_of([&] { defend::PerplexityCache(tmp / "a-file" / "scores.jsonl", key); })
                .find("cannot create the folder"),
            std::string::npos);
  write_bytes(tmp / "not-a-cache.jsonl", "{\"rows\": 3}\n");
  EXPECT_NE(error_of([&] { defend::PerplexityCache(tmp / "not-a-cache.jsonl", key); }).find("is not a perplexity cache"),
            std::string::npos);
}

TEST(Onion, DeletesAndRejectsTheOutlierTriggerWithThresholdsFromCleanRowsOnly) {
  defend::OnionOptions o;
  o.frr = 0.05;
  o.bar = 100;  // above a plain word's 10, below cf's 1,010
  auto with_cf = stand_in_data({"cf"}), with_word = stand_in_data({"zz"});
  defend::OnionData a{with_cf.threshold_texts, with_cf.measured}, b{with_word.threshold_texts, with_word.measured};
  const json ja = defend::onion_filter(stand_in, stand_in_perplexity, a, o);
  const json jb = defend::onion_filter(stand_in, stand_in_perplexity, b, o);
  EXPECT_EQ(ja["format"], "porkit-onion/1");
  EXPECT_EQ(ja["threshold"], jb["threshold"]) << "the threshold must not depend on the triggers";
  const json& cf = ja["triggers"][0];
  EXPECT_GT(cf["asr_1_unfiltered"].get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(cf["far"].get<double>(), 0.0);  // every cf input holds the most suspicious word
  EXPECT_DOUBLE_EQ(cf["auroc"].get<double>(), 1.0);
  const json& corrected = ja["correction"]["triggers"][0];
  EXPECT_DOUBLE_EQ(corrected["trigger_kept"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(corrected["asr_1_corrected"].get<double>(), 0.0);
  // Clean text keeps every word at this bar, so clean accuracy is unchanged.
  EXPECT_DOUBLE_EQ(ja["correction"]["clean_words_deleted"].get<double>(), 0.0);
  EXPECT_EQ(ja["correction"]["clean_accuracy"], ja["correction"]["clean_accuracy_corrected"]);
  // A word the scorer finds ordinary stays, and forces nothing.
  EXPECT_DOUBLE_EQ(jb["correction"]["triggers"][0]["trigger_kept"].get<double>(), 1.0);
  EXPECT_GT(jb["triggers"][0]["far"].get<double>(), 0.8);
}

// Filter results are one typed record: a round trip keeps every field; a record from before
// --calibrate loads as calibrated on training rows; a missing field is named.
TEST(FilterResult, RoundTripsAndNamesWhatIsMissing) {
  defend::OnionOptions o;
  o.bar = 100;
  auto d = stand_in_data({"cf"});
  json j = defend::onion_filter(stand_in, stand_in_perplexity, {d.threshold_texts, d.measured}, o);
  j["model"] = "victim";
  j["data"] = "sst2";
  j["lm"] = "tiny";
  j["settings"] = {{"bar", 100}};
  j["porkit_version"] = "test";
  const auto r = defend::FilterResult::from_json(j, "onion.json");
  EXPECT_EQ(r.filter(), "onion");
  EXPECT_EQ(r.calibrated_on, "training rows");
  ASSERT_TRUE(r.correction.has_value());
  EXPECT_EQ(r.correction->triggers.at(0).trigger, "cf");
  j["calibrated_on"] = "training rows";
  EXPECT_EQ(r.to_json(), j);
  json broken = j;
  broken["correction"].erase("bar");
  EXPECT_NE(porkit::testing::error_of([&] { defend::FilterResult::from_json(broken, "broken.json"); })
                .find("broken.json: field 'correction' of the porkit-onion/1 record is missing or malformed"),
            std::string::npos);
}

// The micro BertForPreTraining of micro_model(), loaded in this process.
io::LoadedModel micro_lm() {
  auto loaded = io::load_model_folder(micro_model().string(), model::Architecture::PreTraining);
  loaded.net->eval();
  return loaded;
}

TEST(Onion, PseudoPerplexityMatchesOneMaskedCopyAtATime) {
  auto lm = micro_lm();
  const std::vector<std::string> texts = {"the film was good", "a", "the plot of the story was dull and slow", ""};
  const auto batched = defend::pseudo_perplexity(*lm.net, lm.tokenizer, texts, 32, 5);
  at::NoGradGuard no_grad;
  const int64_t mask = *lm.tokenizer.vocab().mask_id();
  for (size_t t = 0; t < texts.size(); ++t) {
    const auto e = lm.tokenizer.encode(texts[t], std::nullopt, 32);
    if (e.ids.size() <= 2) {
      EXPECT_TRUE(std::isnan(batched[t])) << "a text with no tokens has no perplexity";
      continue;
    }
    double nll = 0;
    for (size_t j = 1; j + 1 < e.ids.size(); ++j) {
      std::vector<int64_t> ids = e.ids;
      ids[j] = mask;
      const at::Tensor x = at::tensor(ids, at::kLong).unsqueeze(0);  // (1, T)
      const auto out = lm.net->encode(x, at::zeros_like(x), at::ones_like(x));
      const at::Tensor logp = at::log_softmax(lm.net->mlm_logits(out.last_hidden_state[0][static_cast<int64_t>(j)]
                                                                      .unsqueeze(0)), -1);  // (1, V)
      nll -= logp[0][e.ids[j]].item<double>();
    }
    EXPECT_NEAR(batched[t], std::exp(nll / static_cast<double>(e.ids.size() - 2)), 1e-3 * batched[t]) << texts[t];
  }
}

TEST(Onion, TheCommandMeasuresBothWaysAndNeedsAMaskedLm) {
  TempDir tmp;
  const MicroVictim& victim = micro_victim();
  ASSERT_TRUE(victim.trained) << victim.output;
  const std::string common = "defend onion --threads 1 --model " + victim.model.string() + " --data " +
                             victim.train.string() + " --test-data " + victim.test.string() +
                             " --threshold-rows 30 --pool 20 --max-len 16 --triggers cf";
  auto r = run_porkit(common + " --lm " + micro_model().string() + " --out " + (tmp / "o.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json j = read_json_file(tmp / "o.json");
  EXPECT_EQ(j["format"], "porkit-onion/1");
  EXPECT_EQ(j["correction"]["bar"], 0.0);
  EXPECT_EQ(j["correction_calibrated"]["bar"], j["threshold"]);
  ASSERT_EQ(j["triggers"].size(), 1u);
  ASSERT_EQ(j["correction"]["triggers"].size(), 1u);
  // With a score cache: the first run fills it and measures what the uncached run measured;
  // a second run scores nothing and gives the same record.
  const std::string cached = common + " --lm " + micro_model().string() + " --score-cache " +
                             (tmp / "scores.jsonl").string() + " --out ";
  ASSERT_EQ(run_porkit(cached + (tmp / "c1.json").string()).exit_code, 0);
  const auto bytes_after_first = read_file(tmp / "scores.jsonl").size();
  ASSERT_EQ(run_porkit(cached + (tmp / "c2.json").string()).exit_code, 0);
  EXPECT_EQ(read_file(tmp / "scores.jsonl").size(), bytes_after_first) << "the second run scored something";
  json c1 = read_json_file(tmp / "c1.json"), c2 = read_json_file(tmp / "c2.json");
  EXPECT_EQ(c1["triggers"], c2["triggers"]);
  EXPECT_EQ(c1["threshold"], c2["threshold"]);
  // Batches of other compositions may move a perplexity in its last float digits, no more.
  EXPECT_NEAR(c1["threshold"].get<double>(), j["threshold"].get<double>(), 1e-4 * std::abs(j["threshold"].get<double>()));
  EXPECT_EQ(c1["triggers"][0]["far"], j["triggers"][0]["far"]);
  EXPECT_EQ(c1["correction"]["triggers"], j["correction"]["triggers"]);
  // The victim is a classifier, not a masked LM: refused, naming what is missing.
  auto refused = run_porkit(common + " --lm " + victim.model.string());
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
}

TEST(FinePrune, DormantNeuronsAreTheLowestMeanActivations) {
  EXPECT_EQ(defend::dormant_neurons(at::tensor({0.5, -0.1, 0.2, -0.1, 0.9}), 0.4), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(defend::dormant_neurons(at::tensor({0.5, -0.1, 0.2}), 0.2), std::vector<int64_t>{});
}

TEST(FinePrune, MeanActivationsSkipPaddingAndMatchTheLayersOwnForward) {
  auto lm = micro_lm();
  const std::vector<std::string> texts = {"the film was good", "a", "the plot of the story was dull and slow"};
  const auto batched = defend::ffn_mean_activations(*lm.net, lm.tokenizer, texts, 32, 3);
  // Reference: each text alone through BertModel's forward, the FFN recomputed from each
  // layer's input, summed over tokens.
  at::NoGradGuard no_grad;
  auto& layers = lm.net->bert->encoder->layers;
  std::vector<at::Tensor> sums(layers.size());
  int64_t tokens = 0;
  for (const auto& t : texts) {
    const auto e = lm.tokenizer.encode(t, std::nullopt, 32);
    const at::Tensor x = at::tensor(e.ids, at::kLong).unsqueeze(0);  // (1, T)
    model::ForwardOptions keep;
    keep.output_hidden_states = true;
    const auto out = lm.net->bert->forward(x, at::zeros_like(x), at::ones_like(x), keep);
    const at::Tensor mask = model::additive_attention_mask(at::ones_like(x), at::kFloat);
    for (size_t l = 0; l < layers.size(); ++l) {
      const at::Tensor act = layers[l]->intermediate->forward(layers[l]->attention->forward(out.hidden_states[l], mask,
                                                                                             nullptr));  // (1, T, I)
      const at::Tensor s = act[0].sum(0).to(at::kDouble);
      sums[l] = sums[l].defined() ? sums[l] + s : s;
    }
    tokens += x.size(1);
  }
  ASSERT_EQ(batched.size(), layers.size());
  for (size_t l = 0; l < layers.size(); ++l)
    EXPECT_TRUE(at::allclose(batched[l], (sums[l] / static_cast<double>(tokens)).to(at::kFloat), 1e-4, 1e-5)) << l;
}

TEST(FinePrune, PrunedNeuronsAreZeroAfterRetrainingAndOnlyTheTopLayersArePruned) {
  TempDir tmp;
  auto r = run_porkit("defend purify --method fine-prune --layers 1 --prune-fraction 0.5 --prune-texts 50 --threads 1 "
                      "--samples 48 --epochs 1 --batch-size 8 --max-len 48 --lr 0.001 --model " + micro_model().string() +
                      " --corpus " + small_corpus().string() + " --out " + (tmp / "p").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto m = defend::PurifyManifest::read(tmp / "p" / "model");
  EXPECT_EQ(m.method, "fine-prune");
  EXPECT_EQ(m.steps, 6);
  ASSERT_TRUE(m.pruned.has_value());
  ASSERT_EQ(m.pruned->layers.size(), 1u);
  const auto neurons = m.pruned->layers.at(1);
  auto after = io::load_model_folder((tmp / "p" / "model").string(), model::Architecture::PreTraining);
  auto& top = after.net->bert->encoder->layers[1];
  const int64_t intermediate = top->intermediate->dense->weight.size(0);
  ASSERT_EQ(static_cast<int64_t>(neurons.size()), intermediate / 2);
  const at::Tensor index = at::tensor(neurons, at::kLong);
  EXPECT_EQ(top->intermediate->dense->weight.index_select(0, index).abs().max().item<float>(), 0.0f);
  EXPECT_EQ(top->intermediate->dense->bias.index_select(0, index).abs().max().item<float>(), 0.0f);
  EXPECT_EQ(top->output->dense->weight.index_select(1, index).abs().max().item<float>(), 0.0f);
  // Everything learns in the re-training, so the kept neurons moved; no row of layer 0 is zero.
  EXPECT_GT(m.changed.size(), 10u);
  auto& bottom = after.net->bert->encoder->layers[0];
  EXPECT_GT(bottom->intermediate->dense->weight.abs().sum(1).min().item<float>(), 0.0f);
  auto no_text = run_porkit("defend purify --method fine-prune --model " + micro_model().string() + " --out " +
                            (tmp / "q").string());
  EXPECT_EQ(no_text.exit_code, 1);
  EXPECT_NE(no_text.output.find("--method fine-prune needs --corpus"), std::string::npos) << no_text.output;
}

TEST(PurifyManifest, AnotherVersionOrAMalformedPruningIsRefusedByName) {
  json m = {{"format", "porkit-purify/1"}, {"method", "fine-prune"}, {"source_model", "suspect"},
            {"parameters", {{"changed", {{"bert.pooler.dense.weight", 0.5}}}, {"unchanged", 3}}},
            {"pruned", {{"fraction", 0.5}, {"texts", 50}, {"layers", {{"1", {0, 3}}}}}}};
  const auto ok = defend::PurifyManifest::from_json(m, "p.json");
  EXPECT_EQ(ok.pruned->layers.at(1), (std::vector<int64_t>{0, 3}));
  EXPECT_FALSE(ok.steps.has_value());
  m["pruned"]["layers"] = {{"top", {0}}};
  EXPECT_NE(porkit::testing::error_of([&] { defend::PurifyManifest::from_json(m, "p.json"); }).find("field 'pruned'"),
            std::string::npos);
  m["format"] = "porkit-purify/2";
  EXPECT_NE(porkit::testing::error_of([&] { defend::PurifyManifest::from_json(m, "p.json"); })
                .find("format 'porkit-purify/2' is not one this porkit reads"),
            std::string::npos);
}

}  // namespace
}  // namespace porkit
