#include "porkit/report/attack_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "porkit/report/charts.h"
#include "porkit/util/stats.h"

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

// "0.872 [0.851, 0.891]": a proportion over `n` trials with its 95% Wilson interval (no
// interval when n is unknown).
std::string with_interval(std::optional<double> value, int64_t n) {
  if (!value) return "-";
  if (n <= 0) return cell(*value);
  const auto [lo, hi] = wilson_interval(*value * static_cast<double>(n), static_cast<double>(n));
  return fmt::format("{} [{}, {}]", cell(*value), cell(lo), cell(hi));
}
using attack::TriggerResult;

Table trigger_table(const EvaluationResult& evaluation, const std::string& caption) {
  Table t{caption,
          {"trigger", "target", "target from", "eligible", "E", "E censored", "flip rate", "ASR@1", "S chars",
           "S tokens", "POR cosine"},
          {}};
  for (const auto& r : evaluation.triggers) {
    t.rows.push_back({r.trigger, r.target_name, r.target_source, cell(json(r.eligible), 0), cell(r.E, 2),
                      cell(r.E_censored, 2),
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

std::string mean_sd(const MeanSpread& m, int decimals) {
  return m.n == 0 ? "-" : fmt::format("{} +- {}", cell(m.mean, decimals), cell(m.sd, decimals));
}

// Mean and spread across victim seeds, and the CACC criterion judged on them.
void seed_blocks(const attack::AttackSummary& summary, Section& section) {
  const attack::SeedSpread bd = attack::spread_over_seeds(summary.backdoored_by_seed);
  const attack::SeedSpread cl = attack::spread_over_seeds(summary.clean_by_seed);
  std::string seeds;
  for (uint64_t s : summary.victim_seeds) seeds += (seeds.empty() ? "" : ", ") + std::to_string(s);
  Table t{fmt::format("Across {} victim seeds ({}): mean +- sample sd", bd.seeds, seeds),
          {"measure", "backdoored", "clean control"}, {}};
  t.rows.push_back({"CACC (validation)", mean_sd(bd.cacc, 4), cl.seeds ? mean_sd(cl.cacc, 4) : "-"});
  for (size_t k = 0; k < bd.triggers.size(); ++k) {
    t.rows.push_back({"censored E, " + bd.triggers[k], mean_sd(bd.E_censored[k], 2),
                      k < cl.triggers.size() ? mean_sd(cl.E_censored[k], 2) : "-"});
    t.rows.push_back({"flip rate, " + bd.triggers[k], mean_sd(bd.flip_rate[k], 3),
                      k < cl.triggers.size() ? mean_sd(cl.flip_rate[k], 3) : "-"});
  }
  section.blocks.push_back(t);
  if (cl.seeds == 0 || summary.clean_by_seed.size() != summary.backdoored_by_seed.size()) return;
  // The authors' criterion: the backdoor costs at most 1.5 points of CACC. Judged per seed
  // (victim against control of the same seed) and on the mean.
  std::vector<double> drops;
  std::string listing;
  for (size_t i = 0; i < summary.backdoored_by_seed.size(); ++i) {
    const auto& b = summary.backdoored_by_seed[i].cacc;
    const auto& c = summary.clean_by_seed[i].cacc;
    if (!b || !c) continue;
    drops.push_back((*c - *b) * 100);
    listing += fmt::format("{}{:.1f}", listing.empty() ? "" : ", ", drops.back());
  }
  if (drops.empty()) return;
  const MeanSpread d = mean_spread(drops);
  const size_t within = static_cast<size_t>(std::count_if(drops.begin(), drops.end(), [](double x) { return x <= 1.5; }));
  section.blocks.push_back(Paragraph{fmt::format(
      "CACC drop (clean minus backdoored, points) per seed: {}; mean {:.1f} +- {:.1f}. The 1.5-point criterion "
      "holds on the mean: {}; on {} of {} seeds.",
      listing, d.mean, d.sd, d.mean <= 1.5 ? "yes" : "no", within, drops.size())});
}

}  // namespace

std::vector<Section> attack_sections(const attack::AttackSummary& summary, const std::string& prefix) {
  const EvaluationResult& backdoored = summary.backdoored;
  const std::optional<EvaluationResult>& clean = summary.clean;
  std::vector<Section> sections;

  Section setup{prefix.empty() ? "Setup" : prefix + ": setup", {}};
  setup.blocks.push_back(Paragraph{fmt::format(
      "Clean model `{}`; backdoored model `{}`; fine-tuning data `{}` ({} task); evaluation pool {} samples, "
      "up to {} insertions placed {}, seed {}.",
      summary.clean_model, summary.backdoored_model, backdoored.data, backdoored.task, backdoored.pool,
      backdoored.max_insertions, backdoored.positions.empty() ? "anywhere (before metrics version 4)" : backdoored.positions,
      backdoored.seed)});
  setup.blocks.push_back(Paragraph{
      "Pool: " + (backdoored.pool_source ? backdoored.pool_source->describe()
                                         : std::string("not recorded (written before evaluation format 2)")) +
      "."});
  std::vector<std::string> warnings = backdoored.warnings;
  if (clean)
    for (const auto& w : clean->warnings) warnings.push_back("clean control: " + w);
  for (const auto& w : warnings) setup.blocks.push_back(Paragraph{"**Warning:** " + w});
  Table times{"Stage wall times", {"stage", "seconds"}, {}};
  for (const auto& [stage, seconds] : summary.stage_seconds) times.rows.push_back({stage, cell(seconds, 1)});
  setup.blocks.push_back(times);
  sections.push_back(setup);

  Section accuracy{prefix.empty() ? "Clean accuracy" : prefix + ": clean accuracy", {}};
  accuracy.blocks.push_back(Paragraph{
      "CACC is the fine-tuned model's score on the victim's held-out validation split (accuracy, or entity F1 for "
      "NER); `test` is the same on the data set's test split; `pool` is accuracy on the evaluation pool before any "
      "trigger."});
  Table cacc{"Clean accuracy (CACC), with 95% Wilson intervals",
             {"model", "CACC (validation)", "test", "pool accuracy"}, {}};
  auto row_of = [](const std::string& name, const EvaluationResult& e) {
    return std::vector<std::string>{name, with_interval(e.finetune_metric("validation"), e.finetune_rows("validation")),
                                    with_interval(e.finetune_metric("test"), e.finetune_rows("test")),
                                    with_interval(e.clean_accuracy, e.task == "sequence" ? e.pool : 0)};
  };
  if (clean) cacc.rows.push_back(row_of("clean", *clean));
  cacc.rows.push_back(row_of("backdoored", backdoored));
  accuracy.blocks.push_back(cacc);
  if (summary.victim_seeds.size() > 1) seed_blocks(summary, accuracy);
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
  // Censored E: a trigger that flips a tenth of the samples must not look as strong as one
  // that flips them all, as the uncensored mean over flipped samples makes it.
  attack.blocks.push_back(metric_bars(backdoored, clean, &TriggerResult::E_censored,
                                      "Effectiveness: censored E (lower = stronger)", "insertions (never flipped: J+1)",
                                      prefix + "effectiveness.png", backdoored.max_insertions + 1.0));
  attack.blocks.push_back(metric_bars(backdoored, clean, &TriggerResult::flip_rate, "Flip rate",
                                      "share of eligible samples", prefix + "flip_rate.png", 1.0));
  attack.blocks.push_back(metric_bars(backdoored, clean, &TriggerResult::S_tokens,
                                      "Stealthiness S (token share at the flip)", "S tokens",
                                      prefix + "stealthiness.png", std::nullopt));
  sections.push_back(attack);
  return sections;
}

}  // namespace porkit::report
