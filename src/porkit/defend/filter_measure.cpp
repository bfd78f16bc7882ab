#include "porkit/defend/filter_measure.h"

#include "porkit/defend/filter_result.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "porkit/attack/backdoor_manifest.h"
#include "porkit/attack/insertion.h"
#include "porkit/detect/zoo.h"
#include "porkit/model/device.h"
#include "porkit/model/inference.h"
#include "porkit/util/error.h"
#include "porkit/util/output_folder.h"
#include "porkit/util/rng.h"

namespace porkit::defend {
namespace {

double mean(const std::vector<double>& v) { return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }

}  // namespace

const options::OptionTable<FilterRun>& filter_run_option_table() {
  using options::Role;
  static const options::OptionTable<FilterRun> table = [] {
    options::OptionTable<FilterRun> t;
    t.add("model", &FilterRun::model, "Fine-tuned BertForSequenceClassification folder (the victim)")
        .as(Role::Input).needed();
    t.include(data::data_option_table(), &FilterRun::data);
    t.add("triggers", &FilterRun::triggers, "Triggers to measure the filter with (default: the manifest's)")
        .separated_by(',');
    t.add("backdoor-manifest", &FilterRun::manifest, "porkit_backdoor.json (its triggers)").as(Role::Input);
    t.add("pool", &FilterRun::pool, "Test rows scored, clean and with each trigger").range(1, 1e8);
    t.add("insertions", &FilterRun::insertions, "Trigger insertions per triggered input").range(1, 100);
    t.add("max-len", &FilterRun::max_len, "Tokens per input").range(3, 8192);
    t.add("batch-size", &FilterRun::batch_size, "Rows per forward pass").range(1, 65536).as(Role::Runtime);
    t.add("seed", &FilterRun::seed, "Seed of the rows, the trigger positions and any random perturbation");
    t.add("calibrate", &FilterRun::calibrate, "Clean rows that set thresholds: train (the victim's training rows) or "
                                              "held-out (test rows outside the measured pool)");
    t.add("out", &FilterRun::out, "Write the filter's JSON here").as(Role::Output);
    t.include(run_settings_table(), &FilterRun::run, kModelRunSettingsWithOverwrite);
    return t;
  }();
  return table;
}

at::Tensor Victim::probabilities(const std::vector<std::string>& texts) {
  std::vector<text::Encoding> rows;
  rows.reserve(texts.size());
  for (const auto& t : texts) rows.push_back(loaded.tokenizer.encode(t, std::nullopt, max_len));
  return model::class_probabilities(*loaded.net, model::padder_for(*loaded.net, loaded.tokenizer), model::rows_of(rows),
                                    batch_size);
}

Victim load_victim(const FilterRun& o, const std::string& command) {
  const at::Device device = model::start_run(o.run, command);
  if (!o.out.empty()) claim_output_file(o.out, o.run.overwrite);
  const auto arch = io::declared_architecture(o.model);
  check(arch == model::Architecture::SequenceClassification,
        "{} is a {} folder; {} filters the inputs of a fine-tuned BertForSequenceClassification", o.model,
        model::architecture_name(arch), command);
  std::vector<std::string> triggers = o.triggers;
  if (triggers.empty() && !o.manifest.empty()) triggers = attack::BackdoorManifest::read(o.manifest).trigger_texts();
  check(!triggers.empty(), "no triggers to measure the filter with (give --triggers or --backdoor-manifest)");
  Victim v{io::load_model_folder(o.model, arch), data::load_classification(o.data), {}, {}, "", o.max_len, o.batch_size};
  v.loaded.net->to(device);
  v.loaded.net->eval();
  check(!v.data.test.rows.empty(), "{} has no test split: give --test-data FILE", data::data_name(o.data));
  // The streams are named after STRIP, the first filter; every filter draws its pool from
  // them, so that strip and monitor are measured on the same rows and positions.
  FilterPool& p = v.measured;
  p.pool = data::seeded_sample(v.data.test.rows, o.pool, Rng(o.seed, Stream::StripPool, 1).next());
  p.triggers = triggers;
  for (size_t k = 0; k < triggers.size(); ++k) {
    p.triggered.emplace_back();
    for (size_t i = 0; i < p.pool.size(); ++i) {
      Rng rng(o.seed, Stream::StripInsert, {k, i});
      p.triggered.back().push_back(attack::InsertionSample(v.loaded.tokenizer, p.pool[i].text, o.max_len)
                                       .insert(triggers[k], o.insertions, attack::InsertionPositions::Visible, rng)
                                       .text);
    }
  }
  // Calibration rows: a seeded order of the training rows (the order STRIP has always drawn
  // from), or the test rows after the pool's in the pool's own order, so never a pool row.
  if (o.calibrate == Calibration::Train) {
    for (const auto& r : data::seeded_sample(v.data.train.rows, -1, Rng(o.seed, Stream::StripPool, 0).next()))
      v.calibration.push_back(r.text);
    v.calibration_source = "training rows";
  } else {
    const auto all = data::seeded_sample(v.data.test.rows, -1, Rng(o.seed, Stream::StripPool, 1).next());
    for (size_t i = p.pool.size(); i < all.size(); ++i) v.calibration.push_back(all[i].text);
    v.calibration_source = "held-out test rows";
  }
  return v;
}

std::vector<std::string> Victim::calibration_texts(int64_t n, const std::string& option) const {
  check(static_cast<int64_t>(calibration.size()) >= n, "{} {} needs {} clean {}, but there are {}{}", option, n, n,
        calibration_source, calibration.size(),
        calibration_source == "training rows" ? "" : " (the test rows outside --pool)");
  return std::vector<std::string>(calibration.begin(), calibration.begin() + n);
}

void finish_filter_result(json& result, const FilterRun& o, const json& settings) {
  result["model"] = o.model;
  result["data"] = data::data_name(o.data);
  result["settings"] = settings;
  result["calibrated_on"] = o.calibrate == Calibration::Train ? "training rows" : "held-out test rows";
  result["porkit_version"] = PORKIT_VERSION;
  // Through the typed record, so that every filter's file is written by one to_json.
  result = FilterResult::from_json(result, "the filter's result").to_json();
  if (!o.out.empty()) write_json_file(o.out, result);
}

std::vector<int64_t> argmax_rows(const at::Tensor& probs) {
  const at::Tensor a = probs.argmax(-1).contiguous();
  return std::vector<int64_t>(a.data_ptr<int64_t>(), a.data_ptr<int64_t>() + a.numel());
}

double share(int64_t count, int64_t of) { return of > 0 ? static_cast<double>(count) / of : 0.0; }

double quantile(std::vector<double> values, double q) {
  check(!values.empty(), "quantile of no values");
  std::sort(values.begin(), values.end());
  const double at = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(at)), hi = std::min(values.size() - 1, lo + 1);
  return values[lo] + (at - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

json measure_filter(const Probabilities& victim, const FilterPool& p, const std::vector<double>& clean_suspicion,
                    const std::vector<std::vector<double>>& triggered_suspicion,
                    const std::function<bool(double)>& rejected) {
  std::vector<std::string> pool_texts;
  for (const auto& r : p.pool) pool_texts.push_back(r.text);
  const std::vector<int64_t> clean_pred = argmax_rows(victim(pool_texts));
  int64_t clean_rejected = 0;
  for (double s : clean_suspicion) clean_rejected += rejected(s);

  json per_trigger = json::array();
  for (size_t k = 0; k < p.triggers.size(); ++k) {
    const std::vector<double>& suspicion = triggered_suspicion[k];
    const std::vector<int64_t> pred = argmax_rows(victim(p.triggered[k]));
    // The target: where the changed predictions of correctly classified rows go (the most).
    std::map<int64_t, int64_t> moved_to;
    for (size_t i = 0; i < p.pool.size(); ++i)
      if (clean_pred[i] == p.pool[i].label && pred[i] != clean_pred[i]) ++moved_to[pred[i]];
    int64_t target = -1, most = 0;
    for (const auto& [label, n] : moved_to)
      if (n > most) target = label, most = n;
    int64_t accepted = 0, eligible = 0, flipped = 0, flipped_accepted = 0;
    for (size_t i = 0; i < p.pool.size(); ++i) {
      const bool passes = !rejected(suspicion[i]);
      accepted += passes;
      if (target < 0 || clean_pred[i] != p.pool[i].label || p.pool[i].label == target) continue;
      ++eligible;
      if (pred[i] == target) {
        ++flipped;
        flipped_accepted += passes;
      }
    }
    per_trigger.push_back({{"trigger", p.triggers[k]},
                           {"target_label", target},
                           {"far", share(accepted, static_cast<int64_t>(p.pool.size()))},
                           {"auroc", detect::auroc(suspicion, clean_suspicion)},
                           {"eligible", eligible},
                           {"asr_1_unfiltered", share(flipped, eligible)},
                           {"asr_1_filtered", share(flipped_accepted, eligible)},
                           {"mean_suspicion", mean(suspicion)}});
  }
  return {{"pool", p.pool.size()},
          {"frr_test", share(clean_rejected, static_cast<int64_t>(p.pool.size()))},
          {"clean_mean_suspicion", mean(clean_suspicion)},
          {"triggers", per_trigger}};
}

}  // namespace porkit::defend

const std::vector<std::pair<porkit::defend::Calibration, std::string>>&
porkit::options::EnumNames<porkit::defend::Calibration>::values() {
  using porkit::defend::Calibration;
  static const std::vector<std::pair<Calibration, std::string>> v = {{Calibration::Train, "train"},
                                                                     {Calibration::HeldOut, "held-out"}};
  return v;
}
