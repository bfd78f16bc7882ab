// A test-time filter's result (strip, monitor, onion): the record `porkit defend ... --out` and
// the [defend] stage write, and the report and the stage read. One to/from JSON, versioned
// per filter ("porkit-strip/1", "porkit-monitor/1", "porkit-onion/1"); a file of another
// version is refused by name.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "porkit/util/json_io.h"

namespace porkit::defend {

// One trigger through the filter (filter_measure.h says how each figure is counted).
struct FilteredTrigger {
  std::string trigger;
  int64_t target_label = -1;
  double far = 0, auroc = 0;
  int64_t eligible = 0;
  double asr_1_unfiltered = 0, asr_1_filtered = 0;
  double mean_suspicion = 0;
};

// ONION's correction at one bar.
struct OnionCorrection {
  struct Trigger {
    std::string trigger;
    double trigger_kept = 0, asr_1_corrected = 0, clean_to_target_corrected = 0;
  };
  double bar = 0;
  double clean_accuracy = 0, clean_accuracy_corrected = 0, clean_words_deleted = 0;
  std::vector<Trigger> triggers;
};

struct FilterResult {
  std::string format;  // one of kFormats
  std::string model, data, porkit_version;
  std::string calibrated_on = "training rows";  // or "held-out test rows"
  int64_t pool = 0;
  double frr_test = 0, clean_mean_suspicion = 0, threshold = 0;
  std::vector<FilteredTrigger> triggers;
  json settings = json::object();
  // strip and onion
  std::optional<int64_t> threshold_rows;
  // strip
  std::optional<int64_t> tfidf_rows;
  // monitor
  std::optional<int64_t> mined_outputs;
  std::string threshold_from, scan_target;
  // onion
  std::string lm;
  std::optional<OnionCorrection> correction, correction_calibrated;

  static const std::vector<std::string>& formats();
  std::string filter() const;  // "strip", "monitor" or "onion"

  json to_json() const;
  static FilterResult from_json(const json& j, const std::string& origin);
  static FilterResult read(const std::filesystem::path& path);
};

}  // namespace porkit::defend
