// porkit evaluate: CACC (entity F1 for NER) and E, S, flip rate, ASR@k per trigger.
#include <cstdio>

#include "porkit/attack/evaluate.h"
#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"

namespace porkit::cli {

void print_evaluation(const attack::EvaluationResult& r) {
  const bool training_rows = r.pool_source && r.pool_source->training_rows();
  std::printf("clean accuracy %.4f", r.clean_accuracy);
  if (r.task == "sequence") {
    const auto [lo, hi] = r.clean_accuracy_interval();
    std::printf(" (95%% CI %.3f-%.3f)", lo, hi);
  }
  std::printf(" on %ld %s rows", r.pool, training_rows ? "TRAINING" : "test");
  if (r.task_metrics.contains("entity_f1"))
    std::printf(" (token accuracy; entity F1 %.4f)", r.task_metrics["entity_f1"].get<double>());
  std::printf("\n");
  if (r.pool_source) std::printf("pool: %s\n", r.pool_source->describe().c_str());
  std::printf("triggers placed: %s\n", r.positions.c_str());
  std::printf("%-16s %-14s %-9s %8s %7s %7s %6s %6s %6s\n", "trigger", "target", "from", "eligible", "E", "E_cens",
              "flip", "S", "ASR@1");
  for (const auto& t : r.triggers) {
    std::printf("%-16s %-14s %-9s %8ld %7.2f %7.2f %6.3f %6.3f %6.3f\n", t.trigger.c_str(), t.target_name.c_str(),
                t.target_source.substr(0, t.target_source.find(' ')).c_str(), t.eligible, t.E, t.E_censored,
                t.flip_rate, t.S_chars, t.asr_1);
  }
  for (const auto& w : r.warnings) std::printf("warning: %s\n", w.c_str());
}

void register_evaluate(CLI::App& app) {
  add_options_command<attack::EvaluateOptions>(
      app, "evaluate", "Clean accuracy and the attack metrics (E, S, flip rate, ASR@k)", attack::evaluate_option_table(),
      attack::EvaluateOptions{}, [](const attack::EvaluateOptions& o) { print_evaluation(attack::run_evaluate(o)); },
      /*recipe=*/false);
}

}  // namespace porkit::cli
