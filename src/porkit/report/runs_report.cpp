#include "porkit/report/runs_report.h"

#include <fmt/format.h>

#include <cmath>

#include "porkit/report/attack_report.h"
#include "porkit/report/charts.h"

namespace porkit::report {

namespace {

using attack::EvaluationResult;

// The victim's headline metric on test rows: the fine-tune's test split where it scored one,
// else the evaluation's pool (seeded test rows).
std::optional<double> test_metric(const std::optional<EvaluationResult>& evaluation) {
  if (!evaluation) return std::nullopt;
  if (auto scored = evaluation->finetune_metric("test")) return scored;
  if (evaluation->task == "token") {
    const json& f1 = field(evaluation->task_metrics, "entity_f1");
    return f1.is_number() ? std::optional<double>(f1.get<double>()) : std::nullopt;
  }
  return evaluation->clean_accuracy;
}

std::optional<double> validation_metric(const std::optional<EvaluationResult>& evaluation) {
  return evaluation ? evaluation->finetune_metric("validation") : std::nullopt;
}

std::string difference(std::optional<double> a, std::optional<double> b) {
  if (!a || !b) return "-";
  return fmt::format("{:+.1f}", 100 * (*a - *b));
}

double mean_censored_e(const std::optional<EvaluationResult>& evaluation) {
  if (!evaluation) return NAN;
  double sum = 0;
  int n = 0;
  for (const auto& r : evaluation->triggers)
    if (std::isfinite(r.E_censored)) sum += r.E_censored, ++n;
  return n ? sum / n : NAN;
}

}  // namespace

std::vector<Section> runs_side_by_side(const std::vector<std::pair<std::string, attack::AttackSummary>>& runs) {
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
    const std::optional<EvaluationResult> bd = summary.backdoored;
    const std::optional<EvaluationResult>& cl = summary.clean;
    double seconds = 0;
    for (const auto& [stage, s] : summary.stage_seconds) seconds += s;
    const bool ner = bd->task == "token";
    cacc.rows.push_back({name, bd->data, ner ? "entity F1" : "accuracy", cell(validation_metric(cl)),
                         cell(validation_metric(bd)), difference(validation_metric(bd), validation_metric(cl)),
                         cell(test_metric(cl)), cell(test_metric(bd)), difference(test_metric(bd), test_metric(cl)),
                         cell(seconds / 60, 1)});
    for (size_t i = 0; i < bd->triggers.size(); ++i) {
      const auto& r = bd->triggers[i];
      const attack::TriggerResult* c = cl && i < cl->triggers.size() ? &cl->triggers[i] : nullptr;
      auto control = [&](double attack::TriggerResult::*f, int decimals) {
        return c ? cell(c->*f, decimals) : std::string("-");
      };
      triggers.rows.push_back({name, r.trigger, r.target_name, cell(json(r.eligible), 0), cell(r.E, 2),
                               cell(r.E_censored, 2), cell(r.flip_rate), cell(r.S_chars), cell(r.asr_1),
                               control(&attack::TriggerResult::E, 2), control(&attack::TriggerResult::E_censored, 2),
                               control(&attack::TriggerResult::flip_rate, 3), control(&attack::TriggerResult::asr_1, 3)});
    }
    censored.categories.push_back(name);
    censored.series[0].values.push_back(mean_censored_e(bd));
    censored.series[1].values.push_back(mean_censored_e(cl));
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
