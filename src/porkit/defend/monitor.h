// porkit defend monitor: a test-time filter in front of a fine-tuned victim (after
// LMSanitator's output monitoring, Wei et al., NDSS 2024). `porkit scan` on the pre-trained
// encoder mines the outputs its triggers force (scan.json's mined_outputs); a POR-family
// backdoor survives fine-tuning because the victim's encoder still produces those outputs. An
// input is rejected when the sign pattern of the victim's encoder output (the scan's target:
// pooler, [CLS] or mean) agrees with a mined output's in more than --threshold of the
// dimensions (0.8, as the reading of LMSanitator). That threshold is fixed, so a
// fine-tuned pooler whose clean outputs already agree that much with a mined output is
// rejected wholesale; --frr F instead sets it at the (1 - F) quantile of --threshold-rows
// clean rows' agreement (training or held-out test rows, --calibrate; clean rows only, as
// STRIP's threshold).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "porkit/defend/filter_measure.h"
#include "porkit/util/json_io.h"
#include "porkit/util/options.h"

namespace porkit::defend {

struct MonitorOptions {
  FilterRun victim;                    // the victim, its data, the triggers, the pool, out
  std::string scan;                    // scan.json (or its folder) of the pre-trained encoder
  double threshold = 0.8;              // sign agreement above which an input is rejected
  double frr = 0;                      // > 0: the threshold from clean rows instead
  int64_t threshold_rows = 400;        // with --frr: clean rows (FilterRun::calibrate) that set it
};

const options::OptionTable<MonitorOptions>& monitor_option_table();

// For each row of outputs (N, H), the largest share of dimensions whose sign agrees with
// one of the mined outputs (K, H): (N) in [0, 1].
at::Tensor sign_agreement(const at::Tensor& outputs, const at::Tensor& mined);

// Texts in, the encoder outputs the monitor compares (N, H) out.
using EncoderOutputs = std::function<at::Tensor(const std::vector<std::string>&)>;

struct MonitorData {
  std::vector<std::string> threshold_texts;  // clean: set the threshold with --frr
  FilterPool measured;                       // clean test rows, and with each trigger
};

// The filter and its measurement on any classifier and encoder: returns porkit-monitor/1 less
// the model, settings and scan fields, which run_monitor adds.
json monitor_filter(const Probabilities& victim, const EncoderOutputs& outputs, const at::Tensor& mined,
                    const MonitorData& data, const MonitorOptions& options);

// Runs the filter on options.model and returns monitor.json's content (porkit-monitor/1),
// also written to options.out when set.
json run_monitor(const MonitorOptions& options);

}  // namespace porkit::defend
