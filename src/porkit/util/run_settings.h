// How a command runs, as opposed to what it computes: threads, device, and what it may do
// with an existing output (continue it, replace it). None of these enter a stage key.
#pragma once
#include <string>
#include <vector>

#include "porkit/util/options.h"

namespace porkit {

struct RunSettings {
  int threads = 0;              // intra-op threads; 0: every core
  std::string device = "auto";  // auto, cpu, cuda or cuda:N (auto: CUDA when present)
  bool allow_tf32 = false;      // TF32 matrix products on CUDA (off: CPU-vs-GPU parity holds)
  bool resume = false;          // continue the run in the output folder
  bool overwrite = false;       // replace an earlier porkit output in the output folder
};

// threads, device, allow-tf32, resume, overwrite.
const options::OptionTable<RunSettings>& run_settings_table();

// The run settings of a command that runs a model but writes no resumable run.
inline const std::vector<std::string> kModelRunSettings = {"threads", "device", "allow-tf32"};
// ... and whose output file may replace an earlier one of porkit's.
inline const std::vector<std::string> kModelRunSettingsWithOverwrite = {"threads", "device", "allow-tf32", "overwrite"};

// The most threads porkit accepts: more than this is a typo, and asking OpenMP for 100,000
// threads hangs the process.
constexpr int kMaxThreads = 512;

}  // namespace porkit
