// Internal to porkit evaluate: what the classification and the tagging evaluations share,
// and the two evaluations themselves (evaluate_classifier.cpp, evaluate_tagger.cpp).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "porkit/attack/evaluate.h"
#include "porkit/attack/results.h"
#include "porkit/model/bert_net.h"
#include "porkit/text/bert_tokenizer.h"
#include "porkit/util/rng.h"

namespace porkit::attack {

struct EvaluationContext {
  const EvaluateOptions& options;
  model::BertNetImpl& net;  // in eval mode
  const text::BertTokenizer& tokenizer;
  std::vector<std::string> triggers;
  at::Tensor por;           // (K, H) from the manifest; undefined without one
};

// Each fills the task's measurements: pool, clean accuracy, task metrics, triggers.
EvaluationResult evaluate_classifier(const EvaluationContext& ctx);
EvaluationResult evaluate_tagger(const EvaluationContext& ctx);

// Seed of the insertion positions for trigger k, sample i, insertion count j: the same
// across runs and independent of batching.
Rng insertion_rng(uint64_t seed, size_t trigger, size_t sample, int insertions);

}  // namespace porkit::attack
