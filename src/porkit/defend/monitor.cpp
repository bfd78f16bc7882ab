#include "porkit/defend/monitor.h"

#include "porkit/attack/backdoor_objective.h"
#include "porkit/detect/probe.h"
#include "porkit/detect/scan_result.h"
#include "porkit/util/rng.h"
#include "porkit/util/error.h"

namespace porkit::defend {

at::Tensor sign_agreement(const at::Tensor& outputs, const at::Tensor& mined) {
  const at::Tensor x = outputs.sign().unsqueeze(1);  // (N, 1, H)
  const at::Tensor m = mined.sign().unsqueeze(0);    // (1, K, H)
  return x.eq(m).to(at::kFloat).mean(-1).amax(1);    // (N)
}

const options::OptionTable<MonitorOptions>& monitor_option_table() {
  using options::Role;
  static const options::OptionTable<MonitorOptions> table = [] {
    options::OptionTable<MonitorOptions> t;
    t.include(filter_run_option_table(), &MonitorOptions::victim);
    t.add("scan", &MonitorOptions::scan, "scan.json (or its folder) of the pre-trained encoder: the mined outputs")
        .as(Role::Input).needed();
    t.add("threshold", &MonitorOptions::threshold, "Reject above this sign agreement with a mined output").range(0, 1);
    t.add("frr", &MonitorOptions::frr, "Instead: set the threshold so clean rows (--calibrate) are rejected at this rate")
        .range(0, 0.5);
    t.add("threshold-rows", &MonitorOptions::threshold_rows, "With --frr: clean rows (--calibrate) that set the threshold")
        .range(10, 1e8);
    return t;
  }();
  return table;
}

json monitor_filter(const Probabilities& victim, const EncoderOutputs& outputs, const at::Tensor& mined,
                    const MonitorData& d, const MonitorOptions& o) {
  auto suspicion = [&](const std::vector<std::string>& texts) {
    const at::Tensor a = sign_agreement(outputs(texts), mined).to(at::kDouble).contiguous();  // (N)
    return std::vector<double>(a.data_ptr<double>(), a.data_ptr<double>() + a.numel());
  };
  double threshold = o.threshold;
  if (o.frr > 0) {
    check(!d.threshold_texts.empty(), "--frr needs clean rows to set the threshold");
    threshold = quantile(suspicion(d.threshold_texts), 1 - o.frr);
  }
  std::vector<std::string> pool_texts;
  for (const auto& r : d.measured.pool) pool_texts.push_back(r.text);
  std::vector<std::vector<double>> triggered;
  for (const auto& texts : d.measured.triggered) triggered.push_back(suspicion(texts));
  json result = measure_filter(victim, d.measured, suspicion(pool_texts), triggered,
                               [&](double s) { return s > threshold; });
  result["format"] = "porkit-monitor/1";
  result["threshold"] = threshold;
  result["mined_outputs"] = mined.size(0);
  return result;
}

json run_monitor(const MonitorOptions& o) {
  options::validate(monitor_option_table(), o, "porkit defend monitor");
  const detect::ScanResult scan = detect::ScanResult::read(o.scan);
  check(!scan.mined_outputs.empty(), "{}: the scan named no candidate, so there are no mined outputs to monitor for",
        o.scan);
  std::vector<at::Tensor> rows;
  for (const auto& v : scan.mined_outputs) rows.push_back(at::tensor(v, at::kFloat));
  const at::Tensor mined = at::stack(rows);  // (K, H)
  Victim v = load_victim(o.victim, "defend monitor");
  check(v.loaded.net->config().hidden_size == mined.size(1), "{} has hidden size {} but the scan's outputs have {}",
        o.victim.model, v.loaded.net->config().hidden_size, mined.size(1));
  const auto target = options::enum_from_name<attack::Target>(scan.target, "the scan's target");
  detect::Probe probe(*v.loaded.net, target, v.loaded.tokenizer.vocab().pad_id());
  MonitorData d;
  if (o.frr > 0) d.threshold_texts = v.calibration_texts(o.threshold_rows, "--threshold-rows");
  d.measured = v.measured;
  json result = monitor_filter(
      [&](const std::vector<std::string>& texts) { return v.probabilities(texts); },
      [&](const std::vector<std::string>& texts) {
        std::vector<detect::Ids> ids;
        for (const auto& t : texts) ids.push_back(v.loaded.tokenizer.encode(t, std::nullopt, o.victim.max_len).ids);
        return probe.outputs(ids);
      },
      mined, d, o);
  result["threshold_from"] = o.frr > 0 ? "clean " + v.calibration_source : "fixed";
  result["scan_target"] = scan.target;
  finish_filter_result(result, o.victim, options::to_json(monitor_option_table(), o, {options::Role::Setting}));
  return result;
}

}  // namespace porkit::defend
