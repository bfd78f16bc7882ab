// porkit evaluate: clean accuracy and the attack metrics of Shen et al. (section 5 of
// ../shared/docs/method.md) for each trigger on a fine-tuned classifier.
#pragma once
#include <string>
#include <vector>

#include "porkit/attack/insertion.h"
#include "porkit/attack/results.h"
#include "porkit/data/presets.h"
#include "porkit/util/run_settings.h"
#include "porkit/util/json_io.h"

namespace porkit::attack {

// Which split the pool is drawn from: the test split (held out), or, only when asked, the
// training split, which the output then flags.
enum class PoolFrom { Test, Train };
// How each trigger's target label is chosen: from where real triggered samples flip to
// (evidence), or from the prediction on "t t" (probe, the authors' rule).
enum class TargetFrom { Evidence, Probe };

struct EvaluateOptions {
  std::string model;                  // fine-tuned BertForSequenceClassification folder
  data::DataSpec data;
  std::vector<std::string> triggers;  // or from the manifest
  std::string manifest;               // porkit_backdoor.json: triggers and POR vectors
  int64_t pool_size = 1000;           // seeded test rows
  PoolFrom pool_from = PoolFrom::Test;
  InsertionPositions positions = InsertionPositions::Visible;
  TargetFrom target_from = TargetFrom::Evidence;
  int evidence_insertions = 3;        // insertions per evidence sample
  int64_t evidence_samples = 200;     // correctly classified pool rows the evidence uses
  int max_insertions = 19;            // J
  int batch_size = 64;
  int max_len = 128;
  uint64_t seed = 0;
  std::string out;                    // results JSON path (optional)
  RunSettings run;                    // threads, device; overwrite for --out
};

// Every option of porkit evaluate; with `standalone` false, the ones a pipeline sets itself
// (--model, --out, the data, the manifest, the run settings) are left out.
const options::OptionTable<EvaluateOptions>& evaluate_option_table(bool standalone = true);

// Bumped whenever a metric's definition or computation changes, so that `porkit attack` and
// `porkit study` run evaluations recorded under another version again. 2: S counts the
// clean text with its whitespace normalised as in the triggered one (tweets with runs of
// spaces gave negative sizes), and tokens without truncation or [CLS]/[SEP]. 3: insertion
// positions drawn from one named stream indexed by (trigger, sample, insertions), hashed
// (the old index sample * 64 + j collided once J exceeded 64). 4: the pool never shares a
// text with the training split; the target label comes from evidence; insertions go where
// the model reads them (--positions visible) and S is measured on what the model reads.
constexpr int kMetricsVersion = 4;

// Per trigger: target label (from evidence, or the prediction on "t t"), eligible samples (true label != target
// and correctly classified), E (mean insertions over flipped samples; 20 when none flips,
// as the authors report), censored E (never-flipped counted as J+1), flip rate, S in
// characters and in tokens, ASR@<=k for k = 1..J (share of eligible samples flipped with at
// most k insertions; ASR@1 is exact), and the mean cosine of the pooled output on
// once-triggered inputs to the trigger's POR when a manifest is given.
EvaluationResult run_evaluate(const EvaluateOptions& options);

}  // namespace porkit::attack

template <>
struct porkit::options::EnumNames<porkit::attack::PoolFrom> {
  static const std::vector<std::pair<porkit::attack::PoolFrom, std::string>>& values();
};
template <>
struct porkit::options::EnumNames<porkit::attack::TargetFrom> {
  static const std::vector<std::pair<porkit::attack::TargetFrom, std::string>>& values();
};
