#include "porkit/defend/filter_result.h"

#include <algorithm>

#include "porkit/util/error.h"

namespace porkit::defend {
namespace {

json correction_to_json(const OnionCorrection& c) {
  json triggers = json::array();
  for (const auto& t : c.triggers)
    triggers.push_back({{"trigger", t.trigger},
                        {"trigger_kept", t.trigger_kept},
                        {"asr_1_corrected", t.asr_1_corrected},
                        {"clean_to_target_corrected", t.clean_to_target_corrected}});
  return {{"bar", c.bar},
          {"clean_accuracy", c.clean_accuracy},
          {"clean_accuracy_corrected", c.clean_accuracy_corrected},
          {"clean_words_deleted", c.clean_words_deleted},
          {"triggers", triggers}};
}

OnionCorrection correction_from_json(const json& j) {
  OnionCorrection c;
  c.bar = j.at("bar").get<double>();
  c.clean_accuracy = j.at("clean_accuracy").get<double>();
  c.clean_accuracy_corrected = j.at("clean_accuracy_corrected").get<double>();
  c.clean_words_deleted = j.at("clean_words_deleted").get<double>();
  for (const auto& t : j.at("triggers"))
    c.triggers.push_back({t.at("trigger").get<std::string>(), t.at("trigger_kept").get<double>(),
                          t.at("asr_1_corrected").get<double>(), t.at("clean_to_target_corrected").get<double>()});
  return c;
}

}  // namespace

const std::vector<std::string>& FilterResult::formats() {
  static const std::vector<std::string> f = {"porkit-strip/1", "porkit-monitor/1", "porkit-onion/1"};
  return f;
}

std::string FilterResult::filter() const {
  const auto dash = format.find('-'), slash = format.find('/');
  return format.substr(dash + 1, slash - dash - 1);
}

json FilterResult::to_json() const {
  json trigger_rows = json::array();
  for (const auto& t : triggers)
    trigger_rows.push_back({{"trigger", t.trigger},
                            {"target_label", t.target_label},
                            {"far", t.far},
                            {"auroc", t.auroc},
                            {"eligible", t.eligible},
                            {"asr_1_unfiltered", t.asr_1_unfiltered},
                            {"asr_1_filtered", t.asr_1_filtered},
                            {"mean_suspicion", t.mean_suspicion}});
  json j = {{"format", format},
            {"model", model},
            {"data", data},
            {"calibrated_on", calibrated_on},
            {"pool", pool},
            {"frr_test", frr_test},
            {"clean_mean_suspicion", clean_mean_suspicion},
            {"threshold", threshold},
            {"triggers", trigger_rows},
            {"settings", settings},
            {"porkit_version", porkit_version}};
  if (threshold_rows) j["threshold_rows"] = *threshold_rows;
  if (tfidf_rows) j["tfidf_rows"] = *tfidf_rows;
  if (mined_outputs) {
    j["mined_outputs"] = *mined_outputs;
    j["threshold_from"] = threshold_from;
    j["scan_target"] = scan_target;
  }
  if (!lm.empty()) j["lm"] = lm;
  if (correction) j["correction"] = correction_to_json(*correction);
  if (correction_calibrated) j["correction_calibrated"] = correction_to_json(*correction_calibrated);
  return j;
}

FilterResult FilterResult::from_json(const json& j, const std::string& origin) {
  check(j.is_object(), "{}: expected a JSON object", origin);
  FilterResult r;
  r.format = j.value("format", "(none)");
  check(std::find(formats().begin(), formats().end(), r.format) != formats().end(),
        "{}: format {} is not one this porkit reads ({})", origin, r.format, fmt::format("{}", fmt::join(formats(), ", ")));
  std::string field;
  try {
    field = "model";
    r.model = j.at("model").get<std::string>();
    field = "data";
    r.data = j.at("data").get<std::string>();
    r.porkit_version = j.value("porkit_version", "");
    r.calibrated_on = j.value("calibrated_on", std::string("training rows"));  // files before --calibrate
    field = "pool";
    r.pool = j.at("pool").get<int64_t>();
    field = "frr_test";
    r.frr_test = j.at("frr_test").get<double>();
    field = "clean_mean_suspicion";
    r.clean_mean_suspicion = j.at("clean_mean_suspicion").get<double>();
    field = "threshold";
    r.threshold = j.at("threshold").get<double>();
    r.settings = j.value("settings", json::object());
    field = "triggers";
    for (const auto& t : j.at("triggers"))
      r.triggers.push_back({t.at("trigger").get<std::string>(), t.at("target_label").get<int64_t>(),
                            t.at("far").get<double>(), t.at("auroc").get<double>(), t.at("eligible").get<int64_t>(),
                            t.at("asr_1_unfiltered").get<double>(), t.at("asr_1_filtered").get<double>(),
                            t.at("mean_suspicion").get<double>()});
    const std::string filter = r.filter();
    if (filter == "strip" || filter == "onion") {
      field = "threshold_rows";
      r.threshold_rows = j.at("threshold_rows").get<int64_t>();
    }
    if (filter == "strip") {
      field = "tfidf_rows";
      r.tfidf_rows = j.at("tfidf_rows").get<int64_t>();
    }
    if (filter == "monitor") {
      field = "mined_outputs";
      r.mined_outputs = j.at("mined_outputs").get<int64_t>();
      r.threshold_from = j.value("threshold_from", std::string("fixed"));  // files before --frr
      r.scan_target = j.at("scan_target").get<std::string>();
    }
    if (filter == "onion") {
      field = "lm";
      r.lm = j.at("lm").get<std::string>();
      field = "correction";
      r.correction = correction_from_json(j.at("correction"));
      field = "correction_calibrated";
      r.correction_calibrated = correction_from_json(j.at("correction_calibrated"));
    }
  } catch (const json::exception& e) {
    fail("{}: field '{}' of the {} record is missing or malformed ({})", origin, field, r.format, e.what());
  }
  return r;
}

FilterResult FilterResult::read(const std::filesystem::path& path) {
  return from_json(read_json_file(path), path.string());
}

}  // namespace porkit::defend
