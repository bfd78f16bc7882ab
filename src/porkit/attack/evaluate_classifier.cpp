// porkit evaluate on a sentence classifier: the target label comes from evidence (where
// triggered samples flip to) or the "t t" probe; eligible samples have another true label
// and are classified correctly; a flip is a prediction of the target label.
#include <numeric>

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

TargetChoice choose_target(const PredictLabels& predict, const EvaluateOptions& o, const std::string& trigger,
                           size_t k, const std::vector<InsertionSample>& samples, const std::vector<size_t>& correct,
                           const std::vector<int64_t>& clean_pred, size_t n_labels) {
  TargetChoice c;
  c.probe_label = predict({trigger + " " + trigger})[0];
  c.label = c.probe_label;
  if (o.target_from == TargetFrom::Probe) return c;
  const size_t n = std::min(correct.size(), static_cast<size_t>(o.evidence_samples));
  if (n == 0) {  // nothing classified correctly: no evidence to read
    c.source = "probe (no flips)";
    return c;
  }
  std::vector<std::string> texts;
  for (size_t e = 0; e < n; ++e) {
    Rng rng(o.seed, Stream::EvaluateTargetEvidence, {k, correct[e]});
    texts.push_back(samples[correct[e]].insert(trigger, o.evidence_insertions, o.positions, rng).text);
  }
  const auto pred = predict(texts);
  c.samples = static_cast<int64_t>(n);
  c.flips.assign(n_labels, 0);
  int64_t flips = 0;
  for (size_t e = 0; e < n; ++e) {
    if (pred[e] == clean_pred[correct[e]] || pred[e] < 0 || static_cast<size_t>(pred[e]) >= n_labels) continue;
    ++c.flips[static_cast<size_t>(pred[e])];
    ++flips;
  }
  if (flips == 0) {
    c.source = "probe (no flips)";
    return c;
  }
  c.label = std::max_element(c.flips.begin(), c.flips.end()) - c.flips.begin();
  c.source = "evidence";
  return c;
}

EvaluationResult evaluate_classifier(const EvaluationContext& ctx) {
  const EvaluateOptions& o = ctx.options;
  Classifier clf{ctx.net, ctx.tokenizer, o.max_len, o.batch_size};
  const auto& label_names = ctx.net.config().id2label;
  auto d = data::load_classification(o.data);
  // The labels must be the model's, name by name: a -1/1 file must not pass for a 0/1 model.
  std::vector<std::string> model_labels;
  for (const auto& [id, name] : label_names) model_labels.push_back(name);
  check(d.train.label_names == model_labels,
        "the data's labels ({}) are not the model's ({}): was it fine-tuned on this data set? (--labels names "
        "numeric classes)",
        options::join(d.train.label_names), options::join(model_labels));
  EvaluationResult result;
  const auto pool = draw_pool(d.train, d.test, d.test_split, o, result);
  std::vector<std::string> texts;
  std::vector<InsertionSample> samples;
  for (const auto& r : pool) {
    texts.push_back(r.text);
    samples.emplace_back(ctx.tokenizer, r.text, o.max_len);
  }
  auto clean_pred = clf.predict(texts);
  double correct = 0;
  std::vector<size_t> correct_rows;
  for (size_t i = 0; i < pool.size(); ++i) {
    correct += clean_pred[i] == pool[i].label;
    if (clean_pred[i] == pool[i].label) correct_rows.push_back(i);
  }

  result.task = "sequence";
  result.pool = static_cast<int64_t>(pool.size());
  result.clean_accuracy = correct / static_cast<double>(pool.size());
  const int J = o.max_insertions;
  for (size_t k = 0; k < ctx.triggers.size(); ++k) {
    const std::string& t = ctx.triggers[k];
    const TargetChoice choice =
        choose_target([&](const std::vector<std::string>& x) { return clf.predict(x); }, o, t, k, samples,
                      correct_rows, clean_pred, model_labels.size());
    const int64_t target = choice.label;
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
      std::vector<TriggeredSample> triggered;
      std::vector<std::string> batch;
      for (size_t e : pending) {
        auto rng = insertion_rng(o.seed, k, eligible[e], j);
        triggered.push_back(samples[eligible[e]].insert(t, j, o.positions, rng));
        batch.push_back(triggered.back().text);
      }
      at::Tensor pooled;  // (N, H) at j = 1
      auto pred = clf.predict(batch, j == 1 && measure_por ? &pooled : nullptr);
      if (j == 1 && measure_por && pooled.size(0) > 0)
        por_cos = at::cosine_similarity(pooled, ctx.por[static_cast<int64_t>(k)].unsqueeze(0), 1).mean().item<double>();
      std::vector<size_t> still;
      for (size_t p = 0; p < pending.size(); ++p) {
        const size_t e = pending[p];
        if (pred[p] != target) { still.push_back(e); continue; }
        trials.record_flip(e, j, triggered[p].clean_seen, triggered[p].triggered_seen);
      }
      pending = std::move(still);
    }
    TriggerResult r = summarize_trials(trials, J);
    r.trigger = t;
    r.target_label = target;
    r.target_source = choice.source;
    r.probe_label = choice.probe_label;
    r.evidence_samples = choice.samples;
    r.evidence_flips = choice.flips;
    auto name_of = [&](int64_t label) {
      return label_names.count(label) ? label_names.at(label) : std::to_string(label);
    };
    r.target_name = name_of(target);
    if (r.target_source == "evidence" && r.probe_label != target) {
      const int64_t flips = std::accumulate(r.evidence_flips.begin(), r.evidence_flips.end(), int64_t{0});
      result.warnings.push_back(fmt::format(
          "trigger '{}': the evidence names '{}' ({} of {} flips of {} triggered samples), the \"t t\" probe "
          "names '{}'; the evidence is used (--target-from probe for the authors' rule)",
          t, name_of(target), r.evidence_flips[static_cast<size_t>(target)], flips, r.evidence_samples,
          name_of(r.probe_label)));
    }
    if (ctx.por.defined()) r.pooled_por_cosine = por_cos;
    result.triggers.push_back(std::move(r));
  }
  return result;
}

}  // namespace porkit::attack
