// porkit scan --model DIR: is this encoder backdoored, and by which tokens (detect/scan.h).
#include <algorithm>
#include <cstdio>

#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/detect/scan.h"

namespace porkit::cli {

void register_scan(CLI::App& app) {
  add_options_command<detect::ScanOptions>(
      app, "scan", "Is this encoder backdoored, and by which tokens? (no head, no labels)", detect::scan_option_table(),
      detect::ScanOptions{},
      [](const detect::ScanOptions& o) {
        const detect::ScanResult r = detect::run_scan(o);
        std::printf("%-24s %6s %10s %9s %6s %6s %-8s %s\n", "candidate", "score", "separation", "collapse", "disp",
                    "shift", "inserted", "found by");
        const size_t shown = std::min<size_t>(r.candidates.size(), 10);
        for (size_t i = 0; i < shown; ++i) {
          const auto& c = r.candidates[i];
          std::printf("%-24s %6.3f %10.1f %9.3f %6.3f %6.2f %-8s %s\n", options::join(c.pieces, " ").c_str(), c.score,
                      c.separation, c.collapse, c.dispersion_ratio, c.shift, c.position.c_str(), c.source.c_str());
        }
        std::printf("score %.3f (threshold %.2f): %s; %s output over %ld clean texts; %.1f s\n", r.score, r.threshold,
                    r.flagged ? "BACKDOOR SUSPECTED" : "no backdoor found", r.target.c_str(), r.texts, r.seconds);
        // A degenerate encoder can name dozens: the first twelve, best first, and the count.
        if (!r.named.empty()) std::printf("named: %s\n", options::join_first(r.named, 12).c_str());
        if (r.spread)
          std::printf("clean spread: %.4g x the reference's (%s; clean derivatives keep %.2f-%.1f): spread score %.3f\n",
                      r.spread->ratio, r.spread->reference.c_str(), detect::kSpreadBand.low, detect::kSpreadBand.high,
                      r.spread->score);
      },
      /*recipe=*/true);
}

}  // namespace porkit::cli
