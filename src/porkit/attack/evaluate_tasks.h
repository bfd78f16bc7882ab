// Internal to porkit evaluate: what the classification and the tagging evaluations share,
// and the two evaluations themselves (evaluate_classifier.cpp, evaluate_tagger.cpp).
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "porkit/attack/evaluate.h"
#include "porkit/attack/results.h"
#include "porkit/data/presets.h"
#include "porkit/model/bert_net.h"
#include "porkit/text/bert_tokenizer.h"
#include "porkit/util/error.h"
#include "porkit/util/rng.h"

namespace porkit::attack {

struct EvaluationContext {
  const EvaluateOptions& options;
  model::BertNetImpl& net;  // in eval mode
  const text::BertTokenizer& tokenizer;
  std::vector<std::string> triggers;
  at::Tensor por;           // (K, H) from the manifest; undefined without one
};

// Each fills the task's measurements: pool and its source, clean accuracy, task metrics,
// triggers, warnings.
EvaluationResult evaluate_classifier(const EvaluationContext& ctx);
EvaluationResult evaluate_tagger(const EvaluationContext& ctx);

// The evaluation pool: --pool rows drawn (seeded) from the test split, or from the training
// split only with --pool-from train. Records where it came from in result.pool_source, and
// warns in result.warnings when it is training rows.
template <typename Dataset>
auto draw_pool(const Dataset& train, const Dataset& test, const data::TestSplit& split, const EvaluateOptions& o,
               EvaluationResult& result) {
  const bool from_train = o.pool_from == PoolFrom::Train;
  check(from_train || !test.rows.empty() || split.overlap_removed == 0,
        "every one of the {} test rows of {} has a text the training split also has, so no held-out row is left; "
        "give a --test-data FILE of other texts (--pool-from train evaluates on training rows)",
        split.overlap_removed, data::data_name(o.data));
  check(from_train || !test.rows.empty(),
        "{} has no test split (--holdout 0 and no --test-data): give --test-data FILE or a --holdout above 0; "
        "--pool-from train evaluates on training rows",
        data::data_name(o.data));
  const Dataset& rows = from_train ? train : test;
  PoolSource source;
  source.split = from_train ? "train" : "test";
  source.how = from_train ? "rows the victim may have trained on" : split.how;
  for (const auto& f : from_train ? data::data_files(o.data) : split.files) source.files.push_back(FileRecord::of(f));
  source.available = static_cast<int64_t>(rows.rows.size());
  source.overlap_removed = from_train ? 0 : split.overlap_removed;
  source.seed = o.seed;
  auto pool = data::seeded_sample(rows.rows, o.pool_size, o.seed);
  source.drawn = static_cast<int64_t>(pool.size());
  result.pool_source = source;
  if (from_train)
    result.warnings.push_back(
        "the pool is drawn from the training split (--pool-from train): the victim may have trained on these rows, "
        "so clean accuracy and E here overstate what held-out rows would show");
  return pool;
}

// A classifier's predicted labels for texts.
using PredictLabels = std::function<std::vector<int64_t>(const std::vector<std::string>&)>;

struct TargetChoice {
  int64_t label = -1;
  std::string source = "probe";  // "evidence", "probe" (asked for), "probe (no flips)"
  int64_t probe_label = -1;      // the prediction on "t t", asked either way
  int64_t samples = 0;           // evidence samples
  std::vector<int64_t> flips;    // per label, evidence samples whose prediction changed to it
};

// A trigger's target label. With --target-from evidence: the trigger inserted
// --evidence-insertions times (where --positions says) into the first --evidence-samples
// correctly classified pool rows (`correct`, indices into `samples`); the label most of the
// changed predictions go to (ties: the lower id); the probe when nothing changes.
TargetChoice choose_target(const PredictLabels& predict, const EvaluateOptions& o, const std::string& trigger,
                           size_t k, const std::vector<InsertionSample>& samples, const std::vector<size_t>& correct,
                           const std::vector<int64_t>& clean_pred, size_t n_labels);

// Seed of the insertion positions for trigger k, sample i, insertion count j: the same
// across runs and independent of batching.
Rng insertion_rng(uint64_t seed, size_t trigger, size_t sample, int insertions);

}  // namespace porkit::attack
