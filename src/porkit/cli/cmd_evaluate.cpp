// porkit evaluate: CACC and E, S, flip rate, ASR@k per trigger.
#include <cstdio>
#include <sstream>

#include "porkit/attack/evaluate.h"
#include "porkit/cli/commands.h"

namespace porkit::cli {

void print_evaluation(const json& r) {
  std::printf("clean accuracy %.4f on %ld test rows\n", r["clean_accuracy"].get<double>(), r["pool"].get<int64_t>());
  std::printf("%-16s %-14s %8s %7s %7s %6s %6s %6s\n", "trigger", "target", "eligible", "E", "E_cens", "flip", "S", "ASR@1");
  for (const auto& t : r["triggers"]) {
    std::printf("%-16s %-14s %8ld %7.2f %7.2f %6.3f %6.3f %6.3f\n", t["trigger"].get<std::string>().c_str(),
                t["target_name"].get<std::string>().c_str(), t["eligible"].get<int64_t>(), t["E"].get<double>(),
                t["E_censored"].get<double>(), t["flip_rate"].get<double>(), t["S_chars"].get<double>(),
                t["asr_1"].get<double>());
  }
}

void register_evaluate(CLI::App& app) {
  auto o = std::make_shared<attack::EvaluateOptions>();
  auto triggers = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("evaluate", "Clean accuracy and the attack metrics (E, S, flip rate, ASR@k)");
  cmd->add_option("--model", o->model, "Fine-tuned BertForSequenceClassification folder")->required();
  add_data_options(*cmd, o->data, o->data_root);
  cmd->add_option("--triggers", *triggers, "Comma-separated triggers");
  cmd->add_option("--backdoor-manifest", o->manifest, "porkit_backdoor.json (triggers and PORs)");
  cmd->add_option("--pool", o->pool_size, "Seeded test rows")->capture_default_str();
  cmd->add_option("--max-insertions", o->max_insertions, "J")->capture_default_str();
  cmd->add_option("--batch-size", o->batch_size, "Batch size")->capture_default_str();
  cmd->add_option("--max-len", o->max_len, "Tokens per input")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the pool and insertion positions")->capture_default_str();
  cmd->add_option("--out", o->out, "Write the results JSON here");
  add_threads_option(*cmd, o->threads);
  cmd->callback([o, triggers] {
    std::istringstream in(*triggers);
    std::string t;
    while (std::getline(in, t, ',')) if (!t.empty()) o->triggers.push_back(t);
    print_evaluation(attack::run_evaluate(*o));
  });
}

}  // namespace porkit::cli
