// What every test-time filter (strip, monitor) is measured on and how: a seeded pool of clean
// test rows, the same rows with each trigger inserted, and per trigger the share of triggered
// inputs the filter accepts (FAR), AUROC of its score (triggered against clean), and ASR@1
// with and without the filter. The filters differ only in their score and threshold.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "porkit/data/presets.h"
#include "porkit/io/model_folder.h"
#include "porkit/text/bert_tokenizer.h"
#include "porkit/util/json_io.h"
#include "porkit/util/options.h"
#include "porkit/util/run_settings.h"

namespace porkit::defend {

// Which clean rows set a filter's threshold: the victim's training rows, or test rows outside
// the measured pool (held out: the victim never saw them, as a deployer's own clean inputs).
enum class Calibration { Train, HeldOut };

// What every filter is run on and measured with (the options strip, monitor and onion share).
struct FilterRun {
  std::string model;                   // fine-tuned BertForSequenceClassification folder
  data::DataSpec data;                 // the victim's task: clean training rows, test pool
  std::vector<std::string> triggers;   // measured (default: the manifest's)
  std::string manifest;                // porkit_backdoor.json
  int64_t pool = 400;                  // test rows scored, clean and with each trigger
  int insertions = 1;                  // of the trigger in each triggered input
  int max_len = 128;
  int batch_size = 64;
  uint64_t seed = 0;                   // of the rows, the trigger positions (and STRIP's copies)
  Calibration calibrate = Calibration::Train;  // where thresholds come from
  std::string out;                     // the filter's JSON
  RunSettings run;
};

const options::OptionTable<FilterRun>& filter_run_option_table();

// A classifier as a filter sees it: texts in, class probabilities (N, C) out.
using Probabilities = std::function<at::Tensor(const std::vector<std::string>&)>;

struct FilterPool {
  std::vector<data::LabeledText> pool;              // clean test rows
  std::vector<std::string> triggers;
  std::vector<std::vector<std::string>> triggered;  // per trigger, the pool rows with it inserted
};

// The victim a filter stands in front of, on its device, in eval mode, with its task's data
// and the pool it is measured on: `pool` seeded test rows, and each trigger inserted
// `insertions` times where the model reads it (evaluate's `visible` positions). Checks the
// folder is a sequence classifier (`command` names the filter in the error) and that the
// data has a test split.
struct Victim {
  io::LoadedModel loaded;
  data::ClassificationData data;
  FilterPool measured;
  std::vector<std::string> calibration;  // clean texts that may set a threshold, in a seeded order
  std::string calibration_source;        // "training rows" or "held-out test rows"
  int max_len = 128, batch_size = 64;
  at::Tensor probabilities(const std::vector<std::string>& texts);  // (N, C)
  // The first n calibration texts; a one-line error naming `option` when there are fewer.
  std::vector<std::string> calibration_texts(int64_t n, const std::string& option) const;
};
Victim load_victim(const FilterRun& run, const std::string& command);

// Writes the filter's result to run.out (when set), with the run's model, data and settings.
void finish_filter_result(json& result, const FilterRun& run, const json& settings);

// Each row's argmax of (N, C) probabilities: the victim's predictions.
std::vector<int64_t> argmax_rows(const at::Tensor& probs);

// count / of, 0 when of is 0.
double share(int64_t count, int64_t of);

// The q-quantile of `values` (linear interpolation between order statistics): where a
// filter's threshold sits when it is set from clean rows.
double quantile(std::vector<double> values, double q);

// Per trigger: FAR (triggered inputs accepted), AUROC of `suspicion` (higher: more likely
// triggered) against the clean pool, and ASR@1 unfiltered and filtered (eligible: correctly
// classified rows whose label is not the target, the label most changed predictions go to).
// `rejected(score)` is the filter's decision on a suspicion score. Also the clean test rows
// rejected (frr_test).
json measure_filter(const Probabilities& victim, const FilterPool& p, const std::vector<double>& clean_suspicion,
                    const std::vector<std::vector<double>>& triggered_suspicion,
                    const std::function<bool(double)>& rejected);

}  // namespace porkit::defend

template <>
struct porkit::options::EnumNames<porkit::defend::Calibration> {
  static const std::vector<std::pair<porkit::defend::Calibration, std::string>>& values();
};
