// porkit zoo and porkit zoo-score: a labelled zoo of clean and backdoored encoders, and the
// scan's scores on it (detect/zoo.h).
#include <cstdio>

#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/detect/zoo.h"
#include "porkit/train/data_parallel.h"

namespace porkit::cli {
namespace {

void print_line(const char* name, const json& s) {
  if (s.is_null()) return;
  std::printf("%-10s AUROC %.3f   TPR@1%%FPR %.2f   TPR@5%%FPR %.2f   (%ld backdoored)\n", name,
              s["auroc"].get<double>(), s["tpr_at_fpr_1pct"].get<double>(), s["tpr_at_fpr_5pct"].get<double>(),
              s["backdoored"].get<int64_t>());
}

}  // namespace

void register_zoo(CLI::App& app) {
  add_options_command<detect::ZooOptions>(
      app, "zoo", "Build a seeded, labelled zoo of clean and backdoored encoders (POR-1, POR-2, NeuBA, UOR)",
      detect::zoo_option_table(), detect::ZooOptions{},
      [](const detect::ZooOptions& o) {
        // Several ranks (porkit launch, torchrun): they share out the members; rank 0 records.
        train::start_grid_sharing(
            options::to_json(detect::zoo_option_table(), o, {options::Role::Setting, options::Role::Input}).dump() +
            "\n" + o.out);
        const json z = detect::run_zoo(o);
        if (train::rank_info().rank != 0) return;
        int64_t bd = 0;
        for (const auto& m : z["models"]) bd += m["backdoored"].get<bool>();
        std::printf("zoo: %zu models (%ld backdoored) in %s/zoo.json\n", z["models"].size(), bd, o.out.c_str());
      },
      /*recipe=*/true);
  add_options_command<detect::ZooScoreOptions>(
      app, "zoo-score", "Scan every model of a zoo and score the scan: AUROC, TPR at 1% and 5% FPR, triggers named",
      detect::zoo_score_option_table(), detect::ZooScoreOptions{},
      [](const detect::ZooScoreOptions& o) {
        const json s = detect::run_zoo_score(o);
        print_line("all", s["overall"]);
        for (auto it = s["per_attack"].begin(); it != s["per_attack"].end(); ++it) print_line(it.key().c_str(), it.value());
        std::printf("accuracy at threshold %.2f: %.3f; a true trigger token named in %.0f%% of backdoored models; "
                    "%.1f s per model\n",
                    s["threshold"].get<double>(), s["accuracy_at_threshold"].get<double>(),
                    100 * s["true_trigger_named_share"].get<double>(), s["seconds_per_model"].get<double>());
      },
      /*recipe=*/true);
}

}  // namespace porkit::cli
