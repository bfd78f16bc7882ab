// porkit defend ...: what to do with a suspect encoder or a deployed victim (defend/).
#include <cstdio>

#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/defend/monitor.h"
#include "porkit/defend/onion.h"
#include "porkit/defend/purify.h"
#include "porkit/defend/strip.h"

namespace porkit::cli {
namespace {

// A filter's measurement (defend/filter_measure.h), one line per trigger.
void print_filter(const json& r) {
  std::printf("clean test rows rejected %.3f\n", r["frr_test"].get<double>());
  std::printf("%-12s %6s %6s %6s %8s %12s %11s\n", "trigger", "target", "FAR", "AUROC", "eligible", "ASR@1 before",
              "ASR@1 after");
  for (const auto& t : r["triggers"])
    std::printf("%-12s %6ld %6.3f %6.3f %8ld %12.3f %11.3f\n", t["trigger"].get<std::string>().c_str(),
                t["target_label"].get<int64_t>(), t["far"].get<double>(), t["auroc"].get<double>(),
                t["eligible"].get<int64_t>(), t["asr_1_unfiltered"].get<double>(), t["asr_1_filtered"].get<double>());
}

}  // namespace

void register_defend(CLI::App& app) {
  auto* defend = app.add_subcommand("defend", "Defences: purify a suspect encoder, filter a victim's inputs (strip, monitor, onion)");
  defend->require_subcommand(1);
  add_options_command<defend::PurifyOptions>(
      *defend, "purify", "Take a backdoor out of an encoder with plain text only (recipe, reinit-top, fine-prune)",
      defend::purify_option_table(), defend::PurifyOptions{},
      [](const defend::PurifyOptions& o) {
        const defend::PurifyManifest m = defend::run_purify(o);
        std::printf("purified (%s): %s/model; %zu parameters changed, %ld unchanged\n", m.method.c_str(), o.out.c_str(),
                    m.changed.size(), static_cast<long>(m.unchanged));
        if (m.ffn_input_norm_before && m.ffn_input_norm_after)
          std::printf("FFN input weights, summed Frobenius norm: %.2f -> %.2f\n", *m.ffn_input_norm_before,
                      *m.ffn_input_norm_after);
      });
  add_options_command<defend::StripOptions>(
      *defend, "strip", "Test-time filter: reject inputs whose prediction perturbation cannot move (STRIP)",
      defend::strip_option_table(), defend::StripOptions{},
      [](const defend::StripOptions& o) {
        const json r = defend::run_strip(o);
        std::printf("threshold %.4f (STRIP entropy, the %.0f%% quantile of %ld clean %s)\n",
                    r["threshold"].get<double>(), 100 * o.frr, r["threshold_rows"].get<int64_t>(),
                    r["calibrated_on"].get<std::string>().c_str());
        print_filter(r);
      });
  add_options_command<defend::MonitorOptions>(
      *defend, "monitor", "Test-time filter: reject inputs whose encoder output matches an output the scan mined",
      defend::monitor_option_table(), defend::MonitorOptions{},
      [](const defend::MonitorOptions& o) {
        const json r = defend::run_monitor(o);
        std::printf("threshold %.3f (%s; sign agreement with %ld mined outputs, %s)\n", r["threshold"].get<double>(),
                    r["threshold_from"].get<std::string>().c_str(), r["mined_outputs"].get<int64_t>(),
                    r["scan_target"].get<std::string>().c_str());
        print_filter(r);
      });
  add_options_command<defend::OnionOptions>(
      *defend, "onion", "Test-time defence: delete words whose removal makes the text more fluent (ONION)",
      defend::onion_option_table(), defend::OnionOptions{},
      [](const defend::OnionOptions& o) {
        const json r = defend::run_onion(o);
        for (const char* which : {"correction", "correction_calibrated"}) {
          const json& c = r[which];
          std::printf("%s (delete words above suspicion %.4g): clean accuracy %.3f -> %.3f, %.1f%% of clean words "
                      "deleted\n", which, c["bar"].get<double>(), c["clean_accuracy"].get<double>(),
                      c["clean_accuracy_corrected"].get<double>(), 100 * c["clean_words_deleted"].get<double>());
          std::printf("  %-12s %12s %12s %22s\n", "trigger", "trigger kept", "ASR@1 after", "clean text to target");
          for (const auto& t : c["triggers"])
            std::printf("  %-12s %12.3f %12.3f %22.3f\n", t["trigger"].get<std::string>().c_str(),
                        t["trigger_kept"].get<double>(), t["asr_1_corrected"].get<double>(),
                        t["clean_to_target_corrected"].get<double>());
        }
        std::printf("detection: threshold %.4g (largest word suspicion, the %.0f%% quantile of %ld clean %s)\n",
                    r["threshold"].get<double>(), 100 * (1 - o.frr), r["threshold_rows"].get<int64_t>(),
                    r["calibrated_on"].get<std::string>().c_str());
        print_filter(r);
      });
}

}  // namespace porkit::cli
