// porkit defend onion: a test-time defence in front of a fine-tuned victim (ONION, Qi et al.,
// EMNLP 2021, with OpenBackdoor's defaults). A word's suspicion is how much the text's
// perplexity falls when the word is deleted, f_i = p_0 - p_i. ONION scores with GPT-2, which
// porkit does not have; here a clean porkit masked LM (--lm) scores by pseudo-perplexity
// (every token masked in turn; Salazar et al., ACL 2020). A weak masked LM (porkit-tiny is at
// the unigram level at [MASK]) makes this close to a rare-word detector; docs/defences says so.
//
// Measured two ways on the same pool as strip and monitor (filter_measure.h):
//   correction  ONION as published: words with suspicion above --bar (0, OpenBackdoor's
//               default) are deleted and the victim classifies what is left: clean accuracy
//               before and after, ASR@1 after, how often the trigger survives, and the
//               control: how often the deletions alone send clean text to the target. Again
//               with the bar at the detection threshold (correction_calibrated), since a
//               pseudo-perplexity's scale is not GPT-2's and bar 0 deletes half of all words;
//   detection   an input's suspicion is its largest word suspicion, rejected above the
//               (1 - --frr) quantile of --threshold-rows clean rows' (--calibrate; clean rows
//               only, as STRIP's threshold): FAR, AUROC, ASR@1 filtered.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "porkit/defend/filter_measure.h"
#include "porkit/model/bert_net.h"
#include "porkit/text/bert_tokenizer.h"
#include "porkit/util/json_io.h"
#include "porkit/util/options.h"

namespace porkit::defend {

// How a word's suspicion is measured: ONION's perplexity drop p_0 - p_i, or the drop in log
// perplexity, log p_0 - log p_i, which does not grow with the text's own perplexity, so one
// threshold suits texts a weak scorer finds easy and hard alike. Bar 0 deletes the same words
// either way.
enum class SuspicionScale { Perplexity, LogPerplexity };

struct OnionOptions {
  FilterRun victim;                    // the victim, its data, the triggers, the pool, out
  std::string lm;                      // clean masked LM (BertForPreTraining folder) that scores words
  SuspicionScale scale = SuspicionScale::Perplexity;
  double bar = 0;                      // correction: delete words whose suspicion exceeds this
  double frr = 0.01;                   // detection: false rejections allowed on clean rows
  int64_t threshold_rows = 400;        // detection: clean rows (FilterRun::calibrate) that set it
  int lm_batch_size = 256;             // masked copies per forward pass of the scorer
  std::string score_cache;             // a file of the scorer's perplexities, shared across victims
                                       // (perplexity_cache.h); empty: none
};

const options::OptionTable<OnionOptions>& onion_option_table();

// Texts in, a perplexity each out (lower: more fluent). Empty texts score NaN.
using Perplexity = std::function<std::vector<double>(const std::vector<std::string>&)>;

// Pseudo-perplexity of each text under a masked LM: exp of the mean negative log-probability
// of each real token (not [CLS]/[SEP]) when it alone is masked. `mlm` is in eval mode on its
// device; texts are cut at max_len tokens.
std::vector<double> pseudo_perplexity(model::BertNetImpl& mlm, const text::BertTokenizer& tokenizer,
                                      const std::vector<std::string>& texts, int max_len, int batch_size);

// For each text, each word's suspicion p_0 - p_i, or log p_0 - log p_i (words split at
// whitespace). A text of one word gives {0}: deleting its only word would leave nothing to score.
std::vector<std::vector<double>> word_suspicion(const Perplexity& perplexity, const std::vector<std::string>& texts,
                                                SuspicionScale scale = SuspicionScale::Perplexity);

// `text` without the words whose suspicion exceeds `bar` (suspicion has one entry per word).
std::string delete_outliers(const std::string& text, const std::vector<double>& suspicion, double bar);

struct OnionData {
  std::vector<std::string> threshold_texts;  // clean: set the detection threshold
  FilterPool measured;                       // clean test rows, and with each trigger
};

// The defence and its measurement on any classifier and scorer: returns porkit-onion/1 less
// the model and settings, which run_onion adds.
json onion_filter(const Probabilities& victim, const Perplexity& perplexity, const OnionData& data,
                  const OnionOptions& options);

// Runs the defence on options.victim.model with options.lm as the scorer, writes
// options.victim.out when set, and returns onion.json's content (porkit-onion/1).
json run_onion(const OnionOptions& options);

}  // namespace porkit::defend

template <>
struct porkit::options::EnumNames<porkit::defend::SuspicionScale> {
  static const std::vector<std::pair<porkit::defend::SuspicionScale, std::string>>& values();
};
