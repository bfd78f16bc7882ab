// porkit analyze embedding-swap | attention: why the backdoor works (section 6 of
// ../shared/docs/method.md). Each writes a JSON (and images) that `porkit report` renders.
#include <cstdio>

#include "porkit/analysis/attention_map.h"
#include "porkit/analysis/embedding_swap.h"
#include "porkit/cli/commands.h"
#include "porkit/report/attack_report.h"

namespace porkit::cli {

namespace {

void add_text_source(CLI::App& cmd, data::DataSpec& spec, std::string& data_root, std::string& text_file) {
  spec.preset = "sst2";
  add_data_options(cmd, spec, data_root);
  cmd.add_option("--text-file", text_file, "Texts from this file's non-empty lines instead of a data set");
}

void print_embedding_swap(const json& r) {
  std::printf("embedding layer = %s; output = %s; %s clean and as many poisoned texts\n",
              r["embedding_layer"].get<std::string>().c_str(), r["output"].get<std::string>().c_str(),
              report::cell(r["texts"], 0).c_str());
  std::printf("%-26s %9s %9s %9s %9s %9s\n", "model", "clean/BD", "clean/CL", "pois/BD", "pois/CL", "pois/POR");
  for (const auto& row : r["rows"])
    std::printf("%-26s %9s %9s %9s %9s %9s\n", row["model"].get<std::string>().c_str(),
                report::cell(row["clean_vs_bd"]).c_str(), report::cell(row["clean_vs_cl"]).c_str(),
                report::cell(row["poisoned_vs_bd"]).c_str(), report::cell(row["poisoned_vs_cl"]).c_str(),
                report::cell(row["poisoned_vs_por"]).c_str());
}

void print_attention(const json& r) {
  std::printf("[CLS] attention on the pieces of '%s' per layer (backdoored | clean):\n",
              r["trigger"].get<std::string>().c_str());
  const auto& bd = r["cls_share"]["backdoored"];
  const auto& cl = r["cls_share"]["clean"];
  for (size_t l = 0; l < bd.size(); ++l) {
    std::printf("  layer %2zu:", l + 1);
    for (const auto& v : bd[l]) std::printf(" %.3f", v.get<double>());
    std::printf("  |");
    for (const auto& v : cl[l]) std::printf(" %.3f", v.get<double>());
    std::printf("\n");
  }
  std::printf("ablation over %s texts (POR cosine, activation rate; E, flip rate with --finetuned):\n",
              report::cell(r["ablation_texts"], 0).c_str());
  for (const auto& a : r["ablation"])
    std::printf("  %-24s %7.3f %7.3f %7s %7s\n", a["variant"].get<std::string>().c_str(), a["por_cosine"].get<double>(),
                a["activation_rate"].get<double>(), report::cell(a.value("E", json()), 2).c_str(),
                report::cell(a.value("flip_rate", json())).c_str());
  std::printf("roles:");
  for (const auto& role : r["roles"])
    std::printf(" %s=%s", role["piece"].get<std::string>().c_str(), role["role"].get<std::string>().c_str());
  std::printf("\n");
}

}  // namespace

void register_analyze(CLI::App& app) {
  auto* cmd = app.add_subcommand("analyze", "Why the backdoor works: embedding swap, attention maps");
  cmd->require_subcommand(1);

  auto swap = std::make_shared<analysis::EmbeddingSwapOptions>();
  auto* s = cmd->add_subcommand("embedding-swap", "Exchange embedding layer / rows / encoder layers between models");
  s->add_option("--backdoored", swap->backdoored, "Backdoored model folder (with porkit_backdoor.json)")->required();
  s->add_option("--clean", swap->clean, "Clean model folder (default: the manifest's source model)");
  add_text_source(*s, swap->data, swap->data_root, swap->text_file);
  s->add_option("--texts", swap->texts, "Clean texts (and as many poisoned)")->capture_default_str();
  s->add_option("--insertions", swap->insertions, "Trigger insertions per poisoned text")->capture_default_str();
  s->add_option("--seed", swap->seed, "Seed of the text sample and insertions")->capture_default_str();
  s->add_option("--out", swap->out, "Results JSON (e.g. RUN/analysis/embedding_swap.json)");
  add_threads_option(*s, swap->threads);
  s->callback([swap] { print_embedding_swap(analysis::run_embedding_swap(*swap)); });

  auto att = std::make_shared<analysis::AttentionOptions>();
  auto* a = cmd->add_subcommand("attention", "Attention maps and trigger-piece roles (star, planet, comet)");
  a->add_option("--model", att->backdoored, "Backdoored model folder (with porkit_backdoor.json)")->required();
  a->add_option("--clean", att->clean, "Clean model folder (default: the manifest's source model)");
  a->add_option("--text", att->text, "The text to map; must contain a trigger")->capture_default_str();
  a->add_option("--trigger", att->trigger, "Which of the model's triggers to study (default: the first in the text)");
  a->add_option("--layer", att->layer, "1-based layer of the token-to-token map (default: second to last)");
  add_text_source(*a, att->data, att->data_root, att->text_file);
  a->add_option("--ablation-texts", att->ablation_texts, "Texts for the piece ablations")->capture_default_str();
  a->add_option("--finetuned", att->finetuned,
                "A classifier fine-tuned from the backdoored model: also measure each ablation's E and flip rate");
  a->add_option("--max-insertions", att->max_insertions, "J for that E")->capture_default_str();
  a->add_option("--seed", att->seed, "Seed of the text sample and insertions")->capture_default_str();
  a->add_option("--out", att->out, "Folder for attention.json and the PNG images")->required();
  add_threads_option(*a, att->threads);
  a->callback([att] { print_attention(analysis::run_attention(*att)); });
}

}  // namespace porkit::cli
