// porkit evaluate: CACC (entity F1 for NER) and E, S, flip rate, ASR@k per trigger.
#include <cstdio>

#include "porkit/attack/evaluate.h"
#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"

namespace porkit::cli {

void print_evaluation(const attack::EvaluationResult& r) {
  std::printf("clean accuracy %.4f on %ld test rows", r.clean_accuracy, r.pool);
  if (r.task_metrics.contains("entity_f1"))
    std::printf(" (token accuracy; entity F1 %.4f)", r.task_metrics["entity_f1"].get<double>());
  std::printf("\n%-16s %-14s %8s %7s %7s %6s %6s %6s\n", "trigger", "target", "eligible", "E", "E_cens", "flip", "S",
              "ASR@1");
  for (const auto& t : r.triggers) {
    std::printf("%-16s %-14s %8ld %7.2f %7.2f %6.3f %6.3f %6.3f\n", t.trigger.c_str(), t.target_name.c_str(), t.eligible,
                t.E, t.E_censored, t.flip_rate, t.S_chars, t.asr_1);
  }
}

void register_evaluate(CLI::App& app) {
  add_options_command<attack::EvaluateOptions>(
      app, "evaluate", "Clean accuracy and the attack metrics (E, S, flip rate, ASR@k)", attack::evaluate_option_table(),
      attack::EvaluateOptions{}, [](const attack::EvaluateOptions& o) { print_evaluation(attack::run_evaluate(o)); },
      /*recipe=*/false);
}

}  // namespace porkit::cli
