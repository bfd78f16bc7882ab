// porkit zoo and porkit zoo-score: a labelled zoo of clean and backdoored encoders, and the
// scan's scores on it (detect/zoo.h).
#include <cstdio>
#include <optional>
#include <string>

#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/detect/zoo.h"
#include "porkit/train/data_parallel.h"

namespace porkit::cli {
namespace {

void print_line(const std::string& name, const std::optional<detect::DetectionSummary>& s) {
  if (!s) return;
  std::printf("%-10s AUROC %.3f   TPR@1%%FPR %.2f   TPR@5%%FPR %.2f   (%ld backdoored)\n", name.c_str(), s->auroc,
              s->tpr_at_fpr_1pct, s->tpr_at_fpr_5pct, static_cast<long>(s->backdoored));
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
        const detect::ZooRecord z = detect::run_zoo(o);
        if (train::rank_info().rank != 0) return;
        std::printf("zoo: %zu models (%ld backdoored) in %s/%s\n", z.models.size(), static_cast<long>(z.backdoored()),
                    o.out.c_str(), detect::ZooRecord::kFileName);
      },
      /*recipe=*/true);
  add_options_command<detect::ZooScoreOptions>(
      app, "zoo-score", "Scan every model of a zoo and score the scan: AUROC, TPR at 1% and 5% FPR, triggers named",
      detect::zoo_score_option_table(), detect::ZooScoreOptions{},
      [](const detect::ZooScoreOptions& o) {
        const detect::ZooScores s = detect::run_zoo_score(o);
        print_line("all", s.overall);
        for (const auto& [attack, summary] : s.per_attack) print_line(attack, summary);
        std::printf("accuracy at threshold %.2f: %.3f; a true trigger token named in %.0f%% of backdoored models "
                    "(as the best candidate in %.0f%%); %.1f s per model\n",
                    s.threshold, s.accuracy_at_threshold, 100 * s.true_trigger_named_share,
                    100 * s.true_trigger_first_share.value_or(0), s.seconds_per_model);
      },
      /*recipe=*/true);
}

}  // namespace porkit::cli
