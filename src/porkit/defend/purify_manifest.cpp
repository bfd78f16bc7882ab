#include "porkit/defend/purify_manifest.h"

#include <stdexcept>

#include "porkit/util/error.h"
#include "porkit/util/record_file.h"

namespace porkit::defend {

namespace fs = std::filesystem;

json PrunedNeurons::to_json() const {
  json per_layer = json::object();  // JSON keys are strings: "11": [...]
  for (const auto& [layer, neurons] : layers) per_layer[std::to_string(layer)] = neurons;
  return {{"layers", per_layer}, {"fraction", fraction}, {"texts", texts}};
}

PrunedNeurons PrunedNeurons::from_json(const json& j) {
  PrunedNeurons p;
  p.fraction = j.at("fraction").get<double>();
  p.texts = j.at("texts").get<int64_t>();
  for (auto it = j.at("layers").begin(); it != j.at("layers").end(); ++it) {
    size_t used = 0;
    const int64_t layer = std::stoll(it.key(), &used);
    if (used != it.key().size() || layer < 0) throw std::invalid_argument("'" + it.key() + "' is not a layer index");
    p.layers[layer] = it.value().get<std::vector<int64_t>>();
  }
  return p;
}

json PurifyManifest::to_json() const {
  json j = {{"format", kFormat},
            {"method", method},
            {"source_model", source_model},
            {"source_digest", source_digest},
            {"settings", settings},
            {"porkit_version", porkit_version},
            {"parameters", {{"changed", changed}, {"unchanged", unchanged}}}};
  if (steps) {
    j["steps"] = *steps;
    j["held_out_masked_lm"] = held_out_masked_lm;
  }
  if (ffn_input_norm_before) j["ffn_input_norm_before"] = *ffn_input_norm_before;
  if (ffn_input_norm_after) j["ffn_input_norm_after"] = *ffn_input_norm_after;
  if (pruned) j["pruned"] = pruned->to_json();
  return j;
}

PurifyManifest PurifyManifest::from_json(const json& j, const std::string& origin) {
  check_record_format(j, kFormat, origin);
  PurifyManifest m;
  std::string field;
  try {
    field = "method";
    m.method = j.at("method").get<std::string>();
    field = "source_model";
    m.source_model = j.at("source_model").get<std::string>();
    m.source_digest = j.value("source_digest", "");
    m.porkit_version = j.value("porkit_version", "");
    m.settings = j.value("settings", json::object());
    field = "parameters";
    m.changed = j.at("parameters").at("changed").get<std::map<std::string, double>>();
    m.unchanged = j.at("parameters").at("unchanged").get<int64_t>();
    field = "steps";
    if (j.contains("steps")) {
      m.steps = j.at("steps").get<int64_t>();
      field = "held_out_masked_lm";
      m.held_out_masked_lm = j.at("held_out_masked_lm");
    }
    field = "ffn_input_norm_before";
    if (j.contains("ffn_input_norm_before")) m.ffn_input_norm_before = j.at("ffn_input_norm_before").get<double>();
    field = "ffn_input_norm_after";
    if (j.contains("ffn_input_norm_after")) m.ffn_input_norm_after = j.at("ffn_input_norm_after").get<double>();
    field = "pruned";
    if (j.contains("pruned")) m.pruned = PrunedNeurons::from_json(j.at("pruned"));
  } catch (const json::exception& e) {
    fail("{}: field '{}' of the {} record is missing or malformed ({})", origin, field, kFormat, e.what());
  } catch (const std::logic_error& e) {  // a pruned layer key that is not an index
    fail("{}: field '{}' of the {} record is malformed ({})", origin, field, kFormat, e.what());
  }
  return m;
}

PurifyManifest PurifyManifest::read(const fs::path& folder_or_file) {
  const fs::path path = record_file(folder_or_file, kFileName, "purification record (porkit_purify.json)");
  return from_json(read_json_file(path), path.string());
}

}  // namespace porkit::defend
