// porkit evaluate on a sentence classifier: target label = prediction on "t t"; eligible
// samples have another true label and are classified correctly; a flip is a prediction of
// the target label.

#include "porkit/attack/evaluate_tasks.h"
#include "porkit/attack/poison_data.h"
#include "porkit/attack/trigger_trials.h"
#include "porkit/model/inference.h"
#include "porkit/util/error.h"

namespace porkit::attack {
namespace {

struct Classifier {
  model::BertNetImpl& net;
  const text::BertTokenizer& tok;
  int max_len, batch_size;

  // Predicted labels (and optionally pooled outputs (N, H)) for texts.
  std::vector<int64_t> predict(const std::vector<std::string>& texts, at::Tensor* pooled = nullptr) {
    std::vector<text::Encoding> rows;
    rows.reserve(texts.size());
    for (const auto& t : texts) rows.push_back(tok.encode(t, std::nullopt, max_len));
    auto out = model::classify(net, model::padder_for(net, tok), model::rows_of(rows), batch_size,
                               /*keep_pooled=*/pooled != nullptr);
    if (pooled) *pooled = out.pooled;
    return out.labels;
  }
};

}  // namespace

EvaluationResult evaluate_classifier(const EvaluationContext& ctx) {
  const EvaluateOptions& o = ctx.options;
  Classifier clf{ctx.net, ctx.tokenizer, o.max_len, o.batch_size};
  const auto& label_names = ctx.net.config().id2label;
  auto d = data::load_classification(o.data);
  const auto& test_rows = d.test.rows.empty() ? d.train.rows : d.test.rows;
  // The labels must be the model's, name by name: a -1/1 file must not pass for a 0/1 model.
  std::vector<std::string> model_labels;
  for (const auto& [id, name] : label_names) model_labels.push_back(name);
  check(d.train.label_names == model_labels,
        "the data's labels ({}) are not the model's ({}): was it fine-tuned on this data set?",
        options::join(d.train.label_names), options::join(model_labels));
  auto pool = data::seeded_sample(test_rows, o.pool_size, o.seed);
  std::vector<std::string> texts;
  for (const auto& r : pool) texts.push_back(r.text);
  auto clean_pred = clf.predict(texts);
  double correct = 0;
  for (size_t i = 0; i < pool.size(); ++i) correct += clean_pred[i] == pool[i].label;

  EvaluationResult result;
  result.task = "sequence";
  result.pool = static_cast<int64_t>(pool.size());
  result.clean_accuracy = correct / static_cast<double>(pool.size());
  const int J = o.max_insertions;
  for (size_t k = 0; k < ctx.triggers.size(); ++k) {
    const std::string& t = ctx.triggers[k];
    const int64_t target = clf.predict({t + " " + t})[0];
    std::vector<size_t> eligible;
    for (size_t i = 0; i < pool.size(); ++i) {
      if (pool[i].label != target && clean_pred[i] == pool[i].label) eligible.push_back(i);
    }
    TriggerTrials trials(eligible.size());
    std::vector<size_t> pending(eligible.size());
    for (size_t e = 0; e < pending.size(); ++e) pending[e] = e;
    double por_cos = 0;
    const bool measure_por = ctx.por.defined() && static_cast<int64_t>(k) < ctx.por.size(0);
    for (int j = 1; j <= J && !pending.empty(); ++j) {
      // Every still-unflipped sample goes through the model together at this j.
      std::vector<std::string> batch;
      for (size_t e : pending) {
        auto rng = insertion_rng(o.seed, k, eligible[e], j);
        batch.push_back(insert_trigger(pool[eligible[e]].text, t, j, Position::Random, rng));
      }
      at::Tensor pooled;  // (N, H) at j = 1
      auto pred = clf.predict(batch, j == 1 && measure_por ? &pooled : nullptr);
      if (j == 1 && measure_por && pooled.size(0) > 0)
        por_cos = at::cosine_similarity(pooled, ctx.por[static_cast<int64_t>(k)].unsqueeze(0), 1).mean().item<double>();
      std::vector<size_t> still;
      for (size_t p = 0; p < pending.size(); ++p) {
        const size_t e = pending[p];
        if (pred[p] != target) { still.push_back(e); continue; }
        trials.record_flip(e, j, text_size(ctx.tokenizer, join_words(split_words(pool[eligible[e]].text))),
                           text_size(ctx.tokenizer, batch[p]));
      }
      pending = std::move(still);
    }
    TriggerResult r = summarize_trials(trials, J);
    r.trigger = t;
    r.target_label = target;
    r.target_name = label_names.count(target) ? label_names.at(target) : std::to_string(target);
    if (ctx.por.defined()) r.pooled_por_cosine = por_cos;
    result.triggers.push_back(std::move(r));
  }
  return result;
}

}  // namespace porkit::attack
