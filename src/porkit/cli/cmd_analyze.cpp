// porkit analyze embedding-swap | attention: why the backdoor works (section 6 of
// ../shared/docs/method.md). Each writes a JSON (and images) that `porkit report` renders.
#include <cstdio>

#include "porkit/analysis/attention_map.h"
#include "porkit/analysis/embedding_swap.h"
#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/report/analysis_report.h"
#include "porkit/report/attack_report.h"
#include "porkit/util/files.h"

namespace porkit::cli {

namespace {

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
  add_options_command<analysis::EmbeddingSwapOptions>(
      *cmd, "embedding-swap", "Exchange embedding layer / rows / encoder layers between models",
      analysis::embedding_swap_option_table(), analysis::EmbeddingSwapOptions{},
      [](const analysis::EmbeddingSwapOptions& o) { print_embedding_swap(analysis::run_embedding_swap(o)); },
      /*recipe=*/false);
  add_options_command<analysis::AttentionOptions>(
      *cmd, "attention", "Attention maps and trigger-piece roles (star, planet, comet)", analysis::attention_option_table(),
      analysis::AttentionOptions{},
      [](const analysis::AttentionOptions& o) {
        const json result = analysis::run_attention(o);
        // The heat maps are report images: the analysis layer computes, the report layer draws.
        for (const auto& image : report::attention_images(result, "attention_"))
          if (!image.png.empty()) write_file_atomic(fs::path(o.out) / image.file_name, image.png);
        print_attention(result);
      },
      /*recipe=*/false);
}

}  // namespace porkit::cli
