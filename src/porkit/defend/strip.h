// porkit defend strip: a test-time filter in front of a fine-tuned victim (STRIP, Gao et al.,
// ACSAC 2019, with OpenBackdoor's text defaults). Each input is copied --perturbations times
// with --swap-fraction of its word positions (drawn with replacement) overwritten by the words
// of highest TF-IDF of one random clean training sentence; the filter scores the input by the
// mean entropy of the victim's predicted distribution over the copies. A trigger that forces a
// label keeps that label whatever the rest of the words say, so triggered inputs score low.
// Inputs below the threshold, the --frr quantile of clean rows' scores (--calibrate: training
// or held-out test rows), are
// rejected. The threshold sees clean rows only; the triggers are used to measure the filter,
// never to set it.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "porkit/defend/filter_measure.h"
#include "porkit/util/json_io.h"
#include "porkit/util/options.h"
#include "porkit/util/rng.h"

namespace porkit::defend {

struct StripOptions {
  FilterRun victim;                    // the victim, its data, the triggers, the pool, out
  int64_t threshold_rows = 400;        // clean rows (FilterRun::calibrate) that set the threshold
  int64_t tfidf_rows = 2000;           // clean training rows whose words replace
  int perturbations = 5;
  double swap_fraction = 0.5;
  double frr = 0.01;                   // false rejections allowed on clean rows
};

const options::OptionTable<StripOptions>& strip_option_table();

// Each text's distinct words (lower-cased, split at whitespace) ordered by TF-IDF within it,
// highest first (ties: alphabetical), the inverse document frequency taken over `texts`.
std::vector<std::vector<std::string>> words_by_tfidf(const std::vector<std::string>& texts);

// `text` with floor(swap_fraction x words) positions, drawn with replacement, overwritten in
// turn by `replacements` (cycled when shorter). Texts of one word are returned whole.
std::string perturb(const std::string& text, const std::vector<std::string>& replacements, double swap_fraction,
                    Rng& rng);

// Entropy (nats) of each row of (N, C) probabilities, averaged.
double mean_entropy(const at::Tensor& probs);

struct StripData {
  std::vector<std::string> threshold_texts;  // clean: set the threshold
  std::vector<std::string> tfidf_texts;      // clean: their top TF-IDF words replace
  FilterPool measured;                       // clean test rows, and with each trigger
};

// The filter and its measurement (filter_measure.h) on any classifier: the threshold from
// threshold_texts alone, the suspicion of an input minus its STRIP entropy. Returns
// porkit-strip/1 less the model and settings, which run_strip adds.
json strip_filter(const Probabilities& victim, const StripData& data, const StripOptions& options);

// Runs the filter on options.model, prints nothing, writes options.out when set, and returns
// strip.json's content (porkit-strip/1).
json run_strip(const StripOptions& options);

}  // namespace porkit::defend
