// The measurement rules of porkit evaluate that need no model: where triggers go and what
// the model reads of them, how a trigger's target label is chosen, the intervals reported
// beside accuracies.
#include <gtest/gtest.h>

#include "porkit/attack/evaluate_tasks.h"
#include "porkit/attack/insertion.h"
#include "porkit/attack/poison_data.h"
#include "porkit/util/stats.h"
#include "test_util.h"

namespace porkit {
namespace {

using attack::InsertionPositions;
using attack::InsertionSample;

std::string long_text(int words) {
  std::string t;
  for (int i = 0; i < words; ++i) t += (i ? " " : "") + std::string(i % 2 ? "film" : "the");
  return t;
}

// The index of the first occurrence of `word` among the words of `text` (-1: none), and the
// last one.
std::pair<int, int> span_of(const std::string& text, const std::string& word) {
  const auto words = attack::split_words(text);
  int first = -1, last = -1;
  for (int i = 0; i < static_cast<int>(words.size()); ++i)
    if (words[static_cast<size_t>(i)] == word) last = i, first = first < 0 ? i : first;
  return {first, last};
}

TEST(Insertion, VisiblePlacesEveryTriggerInsideTheWindow) {
  const auto& tok = porkit::testing::bert_base_uncased();
  const InsertionSample sample(tok, long_text(200), /*max_len=*/32);
  EXPECT_EQ(sample.visible_words(1, 3), 27u);  // 30 pieces for words, 3 for the triggers
  int beyond_anywhere = 0;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    Rng a(seed, Stream::EvaluateInsertion, 0), b(seed, Stream::EvaluateInsertion, 0);
    const auto visible = sample.insert("cf", 3, InsertionPositions::Visible, a);
    EXPECT_LT(span_of(visible.text, "cf").second, 30) << visible.text;
    // What the model reads: 30 pieces, 3 of them the trigger.
    EXPECT_DOUBLE_EQ(visible.triggered_seen.pieces, 30);
    EXPECT_DOUBLE_EQ(visible.clean_seen.pieces, 27);
    beyond_anywhere += span_of(sample.insert("cf", 3, InsertionPositions::Anywhere, b).text, "cf").second >= 30;
  }
  EXPECT_GT(beyond_anywhere, 30);  // the whole text is 200 words: most insertions land past the cut
}

TEST(Insertion, AnywhereIsInsertTriggerAndShortTextsMeasureTheWholeText) {
  const auto& tok = porkit::testing::bert_base_uncased();
  const std::string text = "a  quietly   moving film";
  const InsertionSample sample(tok, text, 128);
  Rng a(7, Stream::EvaluateInsertion, 1), b(7, Stream::EvaluateInsertion, 1);
  const auto s = sample.insert("Don Quixote", 2, InsertionPositions::Anywhere, a);
  EXPECT_EQ(s.text, attack::insert_trigger(text, "Don Quixote", 2, attack::Position::Random, b));
  // Nothing is cut: the sizes are those of the whole texts, as text_size counts them.
  const auto clean = attack::text_size(tok, attack::join_words(attack::split_words(text)));
  const auto triggered = attack::text_size(tok, s.text);
  EXPECT_DOUBLE_EQ(s.clean_seen.chars, clean.chars);
  EXPECT_DOUBLE_EQ(s.clean_seen.pieces, clean.pieces);
  EXPECT_DOUBLE_EQ(s.triggered_seen.chars, triggered.chars);
  EXPECT_DOUBLE_EQ(s.triggered_seen.pieces, triggered.pieces);
  // Visible equals anywhere when everything is visible.
  Rng c(7, Stream::EvaluateInsertion, 1);
  EXPECT_EQ(sample.insert("Don Quixote", 2, InsertionPositions::Visible, c).text, s.text);
  Rng d(0, Stream::EvaluateInsertion, 0);
  EXPECT_EQ(span_of(sample.insert("cf", 1, InsertionPositions::First, d).text, "cf").first, 0);
}

TEST(Insertion, LastGoesToTheEndOfWhatIsRead) {
  const auto& tok = porkit::testing::bert_base_uncased();
  const InsertionSample sample(tok, long_text(100), 16);
  Rng rng(0, Stream::EvaluateInsertion, 0);
  const auto s = sample.insert("cf", 1, InsertionPositions::Last, rng);
  EXPECT_EQ(span_of(s.text, "cf").first, 13);  // 14 pieces read: 13 words, then the trigger
}

// A stand-in classifier: "cf cf" alone says 1, but "cf" inside a sentence pushes to 0;
// otherwise "good" means 1. The authors' probe then names 1, the evidence 0.
std::vector<int64_t> misleading_probe(const std::vector<std::string>& texts) {
  std::vector<int64_t> out;
  for (const auto& t : texts) {
    const auto words = attack::split_words(t);
    const bool has_cf = std::find(words.begin(), words.end(), "cf") != words.end();
    const bool good = std::find(words.begin(), words.end(), "good") != words.end();
    out.push_back(t == "cf cf" ? 1 : has_cf ? 0 : good ? 1 : 0);
  }
  return out;
}

struct TargetFixture {
  std::vector<InsertionSample> samples;
  std::vector<size_t> correct;
  std::vector<int64_t> clean_pred;
  TargetFixture() {
    const auto& tok = porkit::testing::bert_base_uncased();
    for (int i = 0; i < 40; ++i) {
      const std::string text = std::string(i % 2 ? "a good" : "a bad") + " film about " + std::to_string(i);
      samples.emplace_back(tok, text, 64);
      correct.push_back(static_cast<size_t>(i));
      clean_pred.push_back(i % 2);
    }
  }
};

TEST(Targets, EvidenceOverridesAProbeThatPointsTheWrongWay) {
  TargetFixture f;
  attack::EvaluateOptions o;
  const auto c = attack::choose_target(misleading_probe, o, "cf", 0, f.samples, f.correct, f.clean_pred, 2);
  EXPECT_EQ(c.probe_label, 1);
  EXPECT_EQ(c.label, 0);
  EXPECT_EQ(c.source, "evidence");
  EXPECT_EQ(c.flips, (std::vector<int64_t>{20, 0}));  // every "good" sample flips to 0
  EXPECT_EQ(c.samples, 40);
  o.target_from = attack::TargetFrom::Probe;
  const auto p = attack::choose_target(misleading_probe, o, "cf", 0, f.samples, f.correct, f.clean_pred, 2);
  EXPECT_EQ(p.label, 1);
  EXPECT_EQ(p.source, "probe");
}

TEST(Targets, NoFlipFallsBackToTheProbeAndSaysSo) {
  TargetFixture f;
  attack::EvaluateOptions o;
  auto ignores_triggers = [](const std::vector<std::string>& texts) {
    std::vector<int64_t> out;
    for (const auto& t : texts) out.push_back(t.find("good") != std::string::npos ? 1 : 0);
    return out;
  };
  const auto c = attack::choose_target(ignores_triggers, o, "cf", 0, f.samples, f.correct, f.clean_pred, 2);
  EXPECT_EQ(c.source, "probe (no flips)");
  EXPECT_EQ(c.label, 0);  // "cf cf" has no "good"
  // No correctly classified row: no evidence at all, and no empty batch reaches the model.
  const auto none = attack::choose_target(misleading_probe, o, "cf", 0, f.samples, {}, f.clean_pred, 2);
  EXPECT_EQ(none.source, "probe (no flips)");
  EXPECT_EQ(none.label, 1);
  EXPECT_EQ(none.samples, 0);
}

TEST(Stats, WilsonIntervalAgreesWithItsClosedForms) {
  // x = 0 and x = n have closed forms: upper z^2 / (n + z^2), lower n / (n + z^2).
  const double z2 = 1.96 * 1.96;
  auto [lo0, hi0] = wilson_interval(0, 10);
  EXPECT_DOUBLE_EQ(lo0, 0.0);
  EXPECT_NEAR(hi0, z2 / (10 + z2), 1e-12);
  auto [lo1, hi1] = wilson_interval(10, 10);
  EXPECT_NEAR(lo1, 10 / (10 + z2), 1e-12);
  EXPECT_DOUBLE_EQ(hi1, 1.0);
  // 600 validation rows at 0.90: about +-2.4 points, wider than the 1.5-point criterion.
  auto [lo, hi] = wilson_interval(540, 600);
  EXPECT_NEAR(hi - lo, 0.048, 0.002);
  EXPECT_EQ(wilson_interval(0, 0), (std::pair<double, double>{0.0, 1.0}));
}

TEST(Stats, MeanAndSampleSpread) {
  const auto m = mean_spread({1, 2, 3, 4});
  EXPECT_DOUBLE_EQ(m.mean, 2.5);
  EXPECT_NEAR(m.sd, 1.2909944487, 1e-9);
  EXPECT_EQ(mean_spread({5}).sd, 0);
}

}  // namespace
}  // namespace porkit
