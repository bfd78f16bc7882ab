#include "porkit/util/run_settings.h"

#include <regex>

namespace porkit {

const options::OptionTable<RunSettings>& run_settings_table() {
  static const options::OptionTable<RunSettings> table = [] {
    options::OptionTable<RunSettings> t;
    t.add("threads", &RunSettings::threads, "Intra-op threads (0: every core)")
        .range(0, kMaxThreads)
        .as(options::Role::Runtime);
    t.add("device", &RunSettings::device, "Where the model runs: auto (CUDA when present), cpu, cuda or cuda:N")
        .as(options::Role::Runtime)
        .rule([](const RunSettings& s) -> std::string {
          static const std::regex form("auto|cpu|cuda(:[0-9]{1,2})?");
          if (std::regex_match(s.device, form)) return "";
          return "--device: expected auto, cpu, cuda or cuda:N, got '" + s.device + "'";
        });
    t.add("allow-tf32", &RunSettings::allow_tf32,
          "Let CUDA matrix products use TF32 (faster on GPUs, about 1e-3 relative error; off by default)")
        .as(options::Role::Runtime);
    t.add("resume", &RunSettings::resume, "Continue the run in the output folder (same settings)")
        .as(options::Role::Runtime);
    t.add("overwrite", &RunSettings::overwrite, "Replace an earlier porkit output in the output folder")
        .as(options::Role::Runtime);
    t.add_rule([](const RunSettings& s) -> std::string {
      return s.resume && s.overwrite ? "give --resume or --overwrite, not both" : "";
    });
    return t;
  }();
  return table;
}

}  // namespace porkit
