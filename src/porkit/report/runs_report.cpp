#include "porkit/report/runs_report.h"

#include <fmt/format.h>

#include <cmath>

#include "porkit/report/attack_report.h"
#include "porkit/report/charts.h"

namespace porkit::report {

namespace {

const json kMissing;

// The victim's headline metric on a split: entity F1 for NER, else accuracy.
const json& split_metric(const json& evaluation, const char* split) {
  return field(field(field(evaluation, "finetune_metrics"), split), headline_metric(evaluation).c_str());
}

// The same metric on test rows: the fine-tune's test split where it scored one, else the
// evaluation's pool (seeded test rows).
const json& test_metric(const json& evaluation) {
  const json& scored = split_metric(evaluation, "test");
  if (!scored.is_null()) return scored;
  return field(evaluation, evaluation.value("task", "sequence") == "token" ? "entity_f1" : "clean_accuracy");
}

std::string difference(const json& a, const json& b) {
  if (!a.is_number() || !b.is_number()) return "-";
  return fmt::format("{:+.1f}", 100 * (a.get<double>() - b.get<double>()));
}

double mean_of(const json& evaluation, const char* key) {
  double sum = 0;
  int n = 0;
  for (const auto& r : field(evaluation, "triggers")) {
    const json& v = field(r, key);
    if (v.is_number() && std::isfinite(v.get<double>())) sum += v.get<double>(), ++n;
  }
  return n ? sum / n : NAN;
}

}  // namespace

std::vector<Section> runs_side_by_side(const std::vector<std::pair<std::string, json>>& runs) {
  Table cacc{"Clean accuracy (entity F1 for NER) of each victim: its validation split (CACC) and test rows "
             "(the fine-tune's test split where scored, else the evaluation pool); differences in points",
             {"run", "data", "metric", "CACC clean", "CACC backdoored", "difference", "test clean",
              "test backdoored", "difference (test)", "minutes"},
             {}};
  Table triggers{"Every trigger against its clean control (E: authors' definition over flipped samples; "
                 "censored: never-flipped samples count as J + 1)",
                 {"run", "trigger", "target", "eligible", "E", "E censored", "flip rate", "S chars", "ASR@1",
                  "control E", "control E censored", "control flip rate", "control ASR@1"},
                 {}};
  BarChart censored{"Mean censored E per run (lower: easier to flip)", "mean censored E", {},
                    {{"backdoored", {}, false, 1}, {"clean control", {}, false, 0}}, {}};
  for (const auto& [name, summary] : runs) {
    const json& bd = field(summary, "backdoored");
    const json& cl = field(summary, "clean");
    double seconds = 0;
    for (const auto& [stage, s] : field(summary, "stage_seconds").items()) seconds += s.get<double>();
    const bool ner = bd.value("task", "sequence") == "token";
    cacc.rows.push_back({name, bd.value("data", "-"), ner ? "entity F1" : "accuracy",
                         cell(split_metric(cl, "validation")), cell(split_metric(bd, "validation")),
                         difference(split_metric(bd, "validation"), split_metric(cl, "validation")),
                         cell(test_metric(cl)), cell(test_metric(bd)), difference(test_metric(bd), test_metric(cl)),
                         cell(seconds / 60, 1)});
    const json& control = field(cl, "triggers");
    size_t i = 0;
    for (const auto& r : field(bd, "triggers")) {
      const json& c = control.is_array() && i < control.size() ? control[i] : kMissing;
      ++i;
      triggers.rows.push_back({name, r.value("trigger", "?"), r.value("target_name", "-"),
                               cell(field(r, "eligible"), 0), cell(field(r, "E"), 2), cell(field(r, "E_censored"), 2),
                               cell(field(r, "flip_rate")), cell(field(r, "S_chars")), cell(field(r, "asr_1")),
                               cell(field(c, "E"), 2), cell(field(c, "E_censored"), 2), cell(field(c, "flip_rate")),
                               cell(field(c, "asr_1"))});
    }
    censored.categories.push_back(name);
    censored.series[0].values.push_back(mean_of(bd, "E_censored"));
    censored.series[1].values.push_back(mean_of(cl, "E_censored"));
  }
  Section section{"Attack runs side by side", {}};
  section.blocks.push_back(Paragraph{fmt::format("{} runs; each run folder has its own report with the ASR@k curves.",
                                                 runs.size())});
  section.blocks.push_back(cacc);
  section.blocks.push_back(Image{"Mean censored E over the triggers of each run: backdoored victim vs clean control "
                                 "(never-flipped samples count as J + 1)",
                                 "runs_censored_e.png", render_bar_chart(censored)});
  section.blocks.push_back(triggers);
  return {section};
}

}  // namespace porkit::report
