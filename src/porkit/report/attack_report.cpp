#include "porkit/report/attack_report.h"

#include <fmt/format.h>

#include <cmath>

#include "porkit/report/charts.h"

namespace porkit::report {

std::string cell(const json& value, int decimals) {
  if (!value.is_number()) return value.is_string() ? value.get<std::string>() : "-";
  const double v = value.get<double>();
  if (!std::isfinite(v)) return "-";
  return fmt::format("{:.{}f}", v, decimals);
}

namespace {
const json kMissing;
}  // namespace

const json& field(const json& object, const char* key) {
  return object.is_object() && object.contains(key) ? object.at(key) : kMissing;
}

std::string cell(std::optional<double> value, int decimals) { return value ? cell(*value, decimals) : "-"; }

std::string cell(double value, int decimals) { return cell(json(value), decimals); }

std::string headline_metric(const attack::EvaluationResult& evaluation) {
  return evaluation.task == "token" ? "entity_f1" : "accuracy";
}

namespace {

using attack::EvaluationResult;
using attack::TriggerResult;

Table trigger_table(const EvaluationResult& evaluation, const std::string& caption) {
  Table t{caption,
          {"trigger", "target", "eligible", "E", "E censored", "flip rate", "ASR@1", "S chars", "S tokens",
           "POR cosine"},
          {}};
  for (const auto& r : evaluation.triggers) {
    t.rows.push_back({r.trigger, r.target_name, cell(json(r.eligible), 0), cell(r.E, 2), cell(r.E_censored, 2),
                      cell(r.flip_rate), cell(r.asr_1), cell(r.S_chars, 4), cell(r.S_tokens, 4),
                      cell(r.pooled_por_cosine)});
  }
  return t;
}

std::vector<std::string> trigger_names(const EvaluationResult& evaluation) {
  std::vector<std::string> names;
  for (const auto& r : evaluation.triggers) names.push_back(r.trigger);
  return names;
}

// One bar per model for each trigger.
Image metric_bars(const EvaluationResult& backdoored, const std::optional<EvaluationResult>& clean,
                  double TriggerResult::*metric, const std::string& title, const std::string& y_label,
                  const std::string& file_name, std::optional<double> y_max) {
  BarChart chart{title, y_label, trigger_names(backdoored), {}, y_max};
  auto add = [&](const std::string& name, const EvaluationResult& evaluation, int colour) {
    Series s{name, {}, false, colour};
    for (const auto& r : evaluation.triggers) s.values.push_back(r.*metric);
    s.values.resize(chart.categories.size(), NAN);
    chart.series.push_back(s);
  };
  add("backdoored", backdoored, 1);
  if (clean) add("clean control", *clean, 0);
  return {title, file_name, render_bar_chart(chart)};
}

Image asr_curves(const EvaluationResult& backdoored, const std::optional<EvaluationResult>& clean,
                 const std::string& file_name) {
  LineChart chart{"ASR@k: share of eligible samples flipped with at most k insertions", "insertions k",
                  "ASR@k", {}, {}, 0.0, 1.0};
  size_t i = 0;
  for (const auto& r : backdoored.triggers) {
    if (chart.x.empty())
      for (size_t k = 1; k <= r.asr_at_most_k.size(); ++k) chart.x.push_back(static_cast<double>(k));
    chart.series.push_back({r.trigger + " backdoored", r.asr_at_most_k, false, static_cast<int>(i++)});
  }
  i = 0;
  if (clean) {
    for (const auto& r : clean->triggers) {
      auto values = r.asr_at_most_k;
      values.resize(chart.x.size(), NAN);
      chart.series.push_back({r.trigger + " clean", values, true, static_cast<int>(i++)});
    }
  }
  return {chart.title, file_name, render_line_chart(chart)};
}

}  // namespace

std::vector<Section> attack_sections(const attack::AttackSummary& summary, const std::string& prefix) {
  const EvaluationResult& backdoored = summary.backdoored;
  const std::optional<EvaluationResult>& clean = summary.clean;
  std::vector<Section> sections;

  Section setup{prefix.empty() ? "Setup" : prefix + ": setup", {}};
  setup.blocks.push_back(Paragraph{fmt::format(
      "Clean model `{}`; backdoored model `{}`; fine-tuning data `{}` ({} task); evaluation pool {} test samples, "
      "up to {} insertions, seed {}.",
      summary.clean_model, summary.backdoored_model, backdoored.data, backdoored.task, backdoored.pool,
      backdoored.max_insertions, backdoored.seed)});
  Table times{"Stage wall times", {"stage", "seconds"}, {}};
  for (const auto& [stage, seconds] : summary.stage_seconds) times.rows.push_back({stage, cell(seconds, 1)});
  setup.blocks.push_back(times);
  sections.push_back(setup);

  Section accuracy{prefix.empty() ? "Clean accuracy" : prefix + ": clean accuracy", {}};
  accuracy.blocks.push_back(Paragraph{
      "CACC is the fine-tuned model's score on the victim's held-out validation split (accuracy, or entity F1 for "
      "NER); `test` is the same on the data set's test split; `pool` is accuracy on the evaluation pool before any "
      "trigger."});
  Table cacc{"Clean accuracy (CACC)", {"model", "CACC (validation)", "test", "pool accuracy"}, {}};
  if (clean)
    cacc.rows.push_back({"clean", cell(clean->finetune_metric("validation")), cell(clean->finetune_metric("test")),
                         cell(clean->clean_accuracy)});
  cacc.rows.push_back({"backdoored", cell(backdoored.finetune_metric("validation")),
                       cell(backdoored.finetune_metric("test")), cell(backdoored.clean_accuracy)});
  accuracy.blocks.push_back(cacc);
  sections.push_back(accuracy);

  Section attack{prefix.empty() ? "Trigger effectiveness" : prefix + ": trigger effectiveness", {}};
  attack.blocks.push_back(Paragraph{
      "E: mean insertions needed to flip a prediction, over flipped samples (20 when none flips, as the authors "
      "report); E censored counts never-flipped samples as J+1; S: the trigger's share of the input, in characters "
      "and in WordPiece tokens, at the flip. Eligible samples are correctly classified with a true label other "
      "than the trigger's target."});
  attack.blocks.push_back(trigger_table(backdoored, "Backdoored model"));
  if (clean) attack.blocks.push_back(trigger_table(*clean, "Clean model (control)"));
  attack.blocks.push_back(asr_curves(backdoored, clean, prefix + "asr_at_k.png"));
  attack.blocks.push_back(metric_bars(backdoored, clean, &TriggerResult::E, "Effectiveness E (lower = stronger)",
                                      "insertions", prefix + "effectiveness.png", 20.0));
  attack.blocks.push_back(metric_bars(backdoored, clean, &TriggerResult::flip_rate, "Flip rate",
                                      "share of eligible samples", prefix + "flip_rate.png", 1.0));
  attack.blocks.push_back(metric_bars(backdoored, clean, &TriggerResult::S_tokens,
                                      "Stealthiness S (token share at the flip)", "S tokens",
                                      prefix + "stealthiness.png", std::nullopt));
  sections.push_back(attack);
  return sections;
}

}  // namespace porkit::report
