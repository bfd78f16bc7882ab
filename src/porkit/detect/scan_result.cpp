#include "porkit/detect/scan_result.h"

#include <filesystem>

#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/record_file.h"

namespace porkit::detect {

json ScanResult::to_json() const {
  json cands = json::array();
  for (const auto& c : candidates)
    cands.push_back({{"pieces", c.pieces}, {"ids", c.ids}, {"source", c.source}, {"position", c.position}, {"collapse", c.collapse},
                     {"dispersion_ratio", c.dispersion_ratio}, {"across_ratio", c.across_ratio}, {"shift", c.shift}, {"separation", c.separation}, {"score", c.score}});
  json softs = json::array();
  for (const auto& s : soft)
    softs.push_back({{"restart", s.restart}, {"length", s.length}, {"position", s.position}, {"dispersion_ratio", s.dispersion_ratio},
                     {"nearest", s.nearest}});
  json j = {{"format", kFormat},        {"porkit_version", porkit_version},
          {"model", model},           {"model_digest", model_digest},
          {"target", target},         {"texts", texts},
          {"clean_dispersion", clean_dispersion},
          {"score", score},           {"threshold", threshold},
          {"flagged", flagged},       {"named", named},
          {"candidates", cands},      {"mined_outputs", mined_outputs},
          {"soft_triggers", softs},   {"brute_force", brute_force},
          {"seconds", seconds},       {"options", options}};
  if (spread)
    j["spread"] = {{"reference", spread->reference}, {"reference_dispersion", spread->reference_dispersion},
                   {"ratio", spread->ratio}, {"score", spread->score}};
  if (!moved_rows.empty()) {
    json moved = json::array();
    for (const auto& m : moved_rows) moved.push_back({{"token", m.token}, {"id", m.id}, {"change", m.change}});
    j["moved_rows"] = moved;
  }
  return j;
}

ScanResult ScanResult::from_json(const json& j, const std::string& origin) {
  check(j.is_object(), "{}: expected a JSON object", origin);
  const std::string format = j.value("format", "(none)");
  check(format == kFormat, "{}: scan format '{}' is not one porkit reads (expected '{}')", origin, format, kFormat);
  ScanResult r;
  std::string field;
  try {
    field = "model";
    r.porkit_version = j.value("porkit_version", "");
    r.model = j.at("model").get<std::string>();
    r.model_digest = j.value("model_digest", "");
    field = "target";
    r.target = j.at("target").get<std::string>();
    r.texts = j.at("texts").get<int64_t>();
    r.clean_dispersion = j.at("clean_dispersion").get<double>();
    field = "score";
    r.score = j.at("score").get<double>();
    r.threshold = j.at("threshold").get<double>();
    r.flagged = j.at("flagged").get<bool>();
    r.named = j.at("named").get<std::vector<std::string>>();
    field = "candidates";
    for (const auto& c : j.at("candidates")) {
      ScanCandidate sc;
      sc.pieces = c.at("pieces").get<std::vector<std::string>>();
      sc.ids = c.at("ids").get<std::vector<int64_t>>();
      sc.source = c.at("source").get<std::string>();
      sc.position = c.value("position", "random");  // scans before --positions inserted at random
      sc.collapse = c.at("collapse").get<double>();
      sc.dispersion_ratio = c.at("dispersion_ratio").get<double>();
      sc.shift = c.at("shift").get<double>();
      sc.across_ratio = c.at("across_ratio").get<double>();
      sc.separation = c.at("separation").get<double>();
      sc.score = c.at("score").get<double>();
      r.candidates.push_back(std::move(sc));
    }
    field = "mined_outputs";
    r.mined_outputs = j.at("mined_outputs").get<std::vector<std::vector<float>>>();
    field = "soft_triggers";
    for (const auto& s : j.at("soft_triggers")) {
      SoftTrigger st;
      st.restart = s.at("restart").get<int>();
      st.length = s.at("length").get<int>();
      st.position = s.value("position", "random");
      st.dispersion_ratio = s.at("dispersion_ratio").get<double>();
      st.nearest = s.at("nearest").get<std::vector<std::vector<std::string>>>();
      r.soft.push_back(std::move(st));
    }
    field = "spread";
    if (j.contains("spread")) {  // scans before --reference have none
      const json& sp = j.at("spread");
      r.spread = SpreadCheck{sp.at("reference").get<std::string>(), sp.at("reference_dispersion").get<double>(),
                             sp.at("ratio").get<double>(), sp.at("score").get<double>()};
    }
    field = "moved_rows";
    for (const auto& m : j.value("moved_rows", json::array()))  // scans before --moved-rows have none
      r.moved_rows.push_back({m.at("token").get<std::string>(), m.at("id").get<int64_t>(), m.at("change").get<double>()});
    field = "seconds";
    r.brute_force = j.value("brute_force", false);
    r.seconds = j.at("seconds").get<double>();
    r.options = j.value("options", json::object());
  } catch (const json::exception& e) {
    fail("{}: field '{}' of the {} record is missing or malformed ({})", origin, field, kFormat, e.what());
  }
  return r;
}

ScanResult ScanResult::read(const std::string& folder_or_file) {
  const std::filesystem::path path = record_file(folder_or_file, kFileName, "scan record (scan.json)");
  return from_json(read_json_file(path), path.string());
}

}  // namespace porkit::detect
