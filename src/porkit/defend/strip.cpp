#include "porkit/defend/strip.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "porkit/attack/poison_data.h"
#include "porkit/util/error.h"

namespace porkit::defend {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// STRIP's score of each text: the mean entropy over its perturbed copies. `stream_index`
// keeps the copies of different sets (threshold rows, clean pool, each trigger) apart.
std::vector<double> strip_scores(const Probabilities& victim, const std::vector<std::string>& texts,
                                 const std::vector<std::vector<std::string>>& replacement_sets, const StripOptions& o,
                                 uint64_t stream_index) {
  std::vector<std::string> copies;
  copies.reserve(texts.size() * o.perturbations);
  for (size_t i = 0; i < texts.size(); ++i) {
    for (int c = 0; c < o.perturbations; ++c) {
      Rng rng(o.victim.seed, Stream::StripPerturb, {stream_index, i, static_cast<uint64_t>(c)});
      const auto& replacements = replacement_sets[rng.below(replacement_sets.size())];
      copies.push_back(perturb(texts[i], replacements, o.swap_fraction, rng));
    }
  }
  const at::Tensor probs = victim(copies);  // (N * P, C)
  std::vector<double> scores(texts.size());
  for (size_t i = 0; i < texts.size(); ++i)
    scores[i] = mean_entropy(probs.narrow(0, static_cast<int64_t>(i) * o.perturbations, o.perturbations));
  return scores;
}

}  // namespace

std::vector<std::vector<std::string>> words_by_tfidf(const std::vector<std::string>& texts) {
  std::vector<std::map<std::string, int>> counts(texts.size());
  std::map<std::string, int> document_frequency;
  for (size_t i = 0; i < texts.size(); ++i) {
    for (const auto& w : attack::split_words(texts[i])) ++counts[i][lower(w)];
    for (const auto& [w, n] : counts[i]) ++document_frequency[w];
  }
  const double docs = static_cast<double>(texts.size());
  std::vector<std::vector<std::string>> out(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<std::pair<double, std::string>> scored;
    for (const auto& [w, n] : counts[i])  // smoothed idf, as scikit-learn's default
      scored.emplace_back(n * (std::log((1 + docs) / (1 + document_frequency[w])) + 1), w);
    std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [s, w] : scored) out[i].push_back(w);
  }
  return out;
}

std::string perturb(const std::string& text, const std::vector<std::string>& replacements, double swap_fraction,
                    Rng& rng) {
  std::vector<std::string> words = attack::split_words(text);
  const size_t swaps = static_cast<size_t>(std::floor(swap_fraction * static_cast<double>(words.size())));
  if (swaps == 0 || replacements.empty()) return text;
  for (size_t k = 0; k < swaps; ++k) words[rng.below(words.size())] = replacements[k % replacements.size()];
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

double mean_entropy(const at::Tensor& probs) {
  const at::Tensor p = probs.to(at::kDouble).clamp_min(1e-12);
  return (-(p * p.log()).sum(-1)).mean().item<double>();
}


const options::OptionTable<StripOptions>& strip_option_table() {
  static const options::OptionTable<StripOptions> table = [] {
    options::OptionTable<StripOptions> t;
    t.include(filter_run_option_table(), &StripOptions::victim);
    t.add("threshold-rows", &StripOptions::threshold_rows, "Clean rows (--calibrate) that set the threshold").range(10, 1e8);
    t.add("tfidf-rows", &StripOptions::tfidf_rows, "Clean training rows whose top TF-IDF words replace").range(1, 1e8);
    t.add("perturbations", &StripOptions::perturbations, "Perturbed copies per input").range(1, 1000);
    t.add("swap-fraction", &StripOptions::swap_fraction, "Share of word positions overwritten per copy").above(0).at_most(1);
    t.add("frr", &StripOptions::frr, "False rejections allowed on clean rows (sets the threshold)").above(0).at_most(0.5);
    return t;
  }();
  return table;
}

json strip_filter(const Probabilities& victim, const StripData& d, const StripOptions& o) {
  check(!d.threshold_texts.empty() && !d.tfidf_texts.empty() && !d.measured.pool.empty(),
        "STRIP needs clean threshold rows, clean TF-IDF rows and a test pool");
  const auto replacement_sets = words_by_tfidf(d.tfidf_texts);
  const double threshold = quantile(strip_scores(victim, d.threshold_texts, replacement_sets, o, 0), o.frr);
  // Suspicion: minus the entropy (a trigger that forces its label keeps it under perturbation).
  auto suspicion = [&](const std::vector<std::string>& texts, uint64_t stream_index) {
    std::vector<double> s = strip_scores(victim, texts, replacement_sets, o, stream_index);
    for (double& x : s) x = -x;
    return s;
  };
  std::vector<std::string> pool_texts;
  for (const auto& r : d.measured.pool) pool_texts.push_back(r.text);
  const std::vector<double> clean = suspicion(pool_texts, 1);
  std::vector<std::vector<double>> triggered;
  for (size_t k = 0; k < d.measured.triggers.size(); ++k) triggered.push_back(suspicion(d.measured.triggered[k], 2 + k));
  json result = measure_filter(victim, d.measured, clean, triggered, [&](double s) { return -s < threshold; });
  result["format"] = "porkit-strip/1";
  result["threshold"] = threshold;
  result["threshold_rows"] = d.threshold_texts.size();
  result["tfidf_rows"] = d.tfidf_texts.size();
  return result;
}

json run_strip(const StripOptions& o) {
  options::validate(strip_option_table(), o, "porkit defend strip");
  Victim v = load_victim(o.victim, "defend strip");
  StripData d;
  d.threshold_texts = v.calibration_texts(o.threshold_rows, "--threshold-rows");
  // The replacement words come from clean training rows; when the threshold rows are training
  // rows too, from the ones after them in the same seeded order (two disjoint sets).
  const auto train = data::seeded_sample(v.data.train.rows, -1, Rng(o.victim.seed, Stream::StripPool, 0).next());
  const size_t first = o.victim.calibrate == Calibration::Train ? static_cast<size_t>(o.threshold_rows) : 0;
  for (size_t i = first; i < train.size() && static_cast<int64_t>(d.tfidf_texts.size()) < o.tfidf_rows; ++i)
    d.tfidf_texts.push_back(train[i].text);
  check(!d.tfidf_texts.empty(), "{} has {} training rows: none is left for the TF-IDF words after --threshold-rows {}",
        data::data_name(o.victim.data), train.size(), o.threshold_rows);
  d.measured = v.measured;
  json result = strip_filter([&](const std::vector<std::string>& texts) { return v.probabilities(texts); }, d, o);
  finish_filter_result(result, o.victim, options::to_json(strip_option_table(), o, {options::Role::Setting}));
  return result;
}

}  // namespace porkit::defend
