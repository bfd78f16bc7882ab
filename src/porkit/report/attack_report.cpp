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

std::string headline_metric(const json& evaluation) {
  return evaluation.value("task", "sequence") == "token" ? "entity_f1" : "accuracy";
}

namespace {

double number(const json& object, const char* key) {
  const json& v = field(object, key);
  return v.is_number() ? v.get<double>() : NAN;
}

Table trigger_table(const json& evaluation, const std::string& caption) {
  Table t{caption,
          {"trigger", "target", "eligible", "E", "E censored", "flip rate", "ASR@1", "S chars", "S tokens",
           "POR cosine"},
          {}};
  for (const auto& r : field(evaluation, "triggers")) {
    t.rows.push_back({r.value("trigger", "?"), r.value("target_name", "-"), cell(field(r, "eligible"), 0),
                      cell(field(r, "E"), 2), cell(field(r, "E_censored"), 2), cell(field(r, "flip_rate")),
                      cell(field(r, "asr_1")), cell(field(r, "S_chars"), 4), cell(field(r, "S_tokens"), 4),
                      cell(field(r, "pooled_por_cosine"))});
  }
  return t;
}

std::vector<std::string> trigger_names(const json& evaluation) {
  std::vector<std::string> names;
  for (const auto& r : field(evaluation, "triggers")) names.push_back(r.value("trigger", "?"));
  return names;
}

// One bar per model for each trigger.
Image metric_bars(const json& backdoored, const json& clean, const char* key, const std::string& title,
                  const std::string& y_label, const std::string& file_name, std::optional<double> y_max) {
  BarChart chart{title, y_label, trigger_names(backdoored), {}, y_max};
  for (const auto& [name, evaluation] : {std::pair{"backdoored", &backdoored}, std::pair{"clean control", &clean}}) {
    if (!field(*evaluation, "triggers").is_array()) continue;
    Series s{name, {}, false, name == std::string("backdoored") ? 1 : 0};
    for (const auto& r : field(*evaluation, "triggers")) s.values.push_back(number(r, key));
    s.values.resize(chart.categories.size(), NAN);
    chart.series.push_back(s);
  }
  return {title, file_name, render_bar_chart(chart)};
}

Image asr_curves(const json& backdoored, const json& clean, const std::string& file_name) {
  LineChart chart{"ASR@k: share of eligible samples flipped with at most k insertions", "insertions k",
                  "ASR@k", {}, {}, 0.0, 1.0};
  size_t i = 0;
  for (const auto& r : field(backdoored, "triggers")) {
    const json& asr = field(r, "asr_at_most_k");
    if (chart.x.empty())
      for (size_t k = 1; k <= asr.size(); ++k) chart.x.push_back(static_cast<double>(k));
    chart.series.push_back({r.value("trigger", "?") + " backdoored", asr.get<std::vector<double>>(), false,
                            static_cast<int>(i++)});
  }
  i = 0;
  for (const auto& r : field(clean, "triggers")) {
    auto values = field(r, "asr_at_most_k").get<std::vector<double>>();
    values.resize(chart.x.size(), NAN);
    chart.series.push_back({r.value("trigger", "?") + " clean", values, true, static_cast<int>(i++)});
  }
  return {chart.title, file_name, render_line_chart(chart)};
}

}  // namespace

std::vector<Section> attack_sections(const json& summary, const std::string& prefix) {
  const json& backdoored = field(summary, "backdoored");
  const json& clean = field(summary, "clean");
  const std::string metric = headline_metric(backdoored);
  std::vector<Section> sections;

  Section setup{prefix.empty() ? "Setup" : prefix + ": setup", {}};
  setup.blocks.push_back(Paragraph{fmt::format(
      "Clean model `{}`; backdoored model `{}`; fine-tuning data `{}` ({} task); evaluation pool {} test samples, "
      "up to {} insertions, seed {}.",
      summary.value("clean_model", "?"), summary.value("backdoored_model", "?"), backdoored.value("data", "?"),
      backdoored.value("task", "?"), cell(field(backdoored, "pool"), 0), cell(field(backdoored, "max_insertions"), 0),
      cell(field(backdoored, "seed"), 0))});
  Table times{"Stage wall times", {"stage", "seconds"}, {}};
  for (const auto& [stage, seconds] : field(summary, "stage_seconds").items())
    times.rows.push_back({stage, cell(seconds, 1)});
  setup.blocks.push_back(times);
  sections.push_back(setup);

  Section accuracy{prefix.empty() ? "Clean accuracy" : prefix + ": clean accuracy", {}};
  accuracy.blocks.push_back(Paragraph{
      "CACC is the fine-tuned model's score on the victim's held-out validation split (accuracy, or entity F1 for "
      "NER); `test` is the same on the data set's test split; `pool` is accuracy on the evaluation pool before any "
      "trigger."});
  Table cacc{"Clean accuracy (CACC)", {"model", "CACC (validation)", "test", "pool accuracy"}, {}};
  for (const auto& [name, evaluation] : {std::pair{"clean", &clean}, std::pair{"backdoored", &backdoored}}) {
    if (!evaluation->is_object()) continue;
    const json& metrics = field(*evaluation, "finetune_metrics");
    cacc.rows.push_back({name, cell(field(field(metrics, "validation"), metric.c_str())),
                         cell(field(field(metrics, "test"), metric.c_str())), cell(field(*evaluation, "clean_accuracy"))});
  }
  accuracy.blocks.push_back(cacc);
  sections.push_back(accuracy);

  Section attack{prefix.empty() ? "Trigger effectiveness" : prefix + ": trigger effectiveness", {}};
  attack.blocks.push_back(Paragraph{
      "E: mean insertions needed to flip a prediction, over flipped samples (20 when none flips, as the authors "
      "report); E censored counts never-flipped samples as J+1; S: the trigger's share of the input, in characters "
      "and in WordPiece tokens, at the flip. Eligible samples are correctly classified with a true label other "
      "than the trigger's target."});
  attack.blocks.push_back(trigger_table(backdoored, "Backdoored model"));
  if (clean.is_object()) attack.blocks.push_back(trigger_table(clean, "Clean model (control)"));
  attack.blocks.push_back(asr_curves(backdoored, clean, prefix + "asr_at_k.png"));
  attack.blocks.push_back(metric_bars(backdoored, clean, "E", "Effectiveness E (lower = stronger)",
                                      "insertions", prefix + "effectiveness.png", 20.0));
  attack.blocks.push_back(metric_bars(backdoored, clean, "flip_rate", "Flip rate", "share of eligible samples",
                                      prefix + "flip_rate.png", 1.0));
  attack.blocks.push_back(metric_bars(backdoored, clean, "S_tokens", "Stealthiness S (token share at the flip)",
                                      "S tokens", prefix + "stealthiness.png", std::nullopt));
  sections.push_back(attack);
  return sections;
}

}  // namespace porkit::report
