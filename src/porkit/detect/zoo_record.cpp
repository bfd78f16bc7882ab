#include "porkit/detect/zoo_record.h"

#include "porkit/util/error.h"
#include "porkit/util/record_file.h"

namespace porkit::detect {
namespace {

namespace fs = std::filesystem;

json triggers_to_json(const std::vector<ZooTrigger>& triggers) {
  json a = json::array();
  for (const auto& t : triggers) a.push_back({{"trigger", t.trigger}, {"kind", t.kind}, {"pieces", t.pieces}});
  return a;
}

std::vector<ZooTrigger> triggers_from_json(const json& a) {
  std::vector<ZooTrigger> triggers;
  for (const auto& t : a)
    triggers.push_back({t.at("trigger").get<std::string>(), t.at("kind").get<std::string>(),
                        t.at("pieces").get<std::vector<std::string>>()});
  return triggers;
}

json summary_to_json(const std::optional<DetectionSummary>& s) {
  if (!s) return json(nullptr);
  return {{"auroc", s->auroc},
          {"tpr_at_fpr_1pct", s->tpr_at_fpr_1pct},
          {"tpr_at_fpr_5pct", s->tpr_at_fpr_5pct},
          {"backdoored", s->backdoored}};
}

std::optional<DetectionSummary> summary_from_json(const json& j) {
  if (j.is_null()) return std::nullopt;
  return DetectionSummary{j.at("auroc").get<double>(), j.at("tpr_at_fpr_1pct").get<double>(),
                          j.at("tpr_at_fpr_5pct").get<double>(), j.at("backdoored").get<int64_t>()};
}

}  // namespace

json ZooMember::to_json() const {
  json j = {{"id", id}, {"backdoored", backdoored}, {"attack", attack}, {"seed", seed},
            {"folder", folder}, {"seconds", seconds}};
  if (backdoored) {
    j["triggers"] = triggers_to_json(triggers);
    j["checks"] = checks;
  }
  if (further_steps) j["further_steps"] = *further_steps;
  return j;
}

ZooMember ZooMember::from_json(const json& j, const std::string& origin) {
  ZooMember m;
  std::string field;
  try {
    field = "id";
    m.id = j.at("id").get<std::string>();
    field = "backdoored";
    m.backdoored = j.at("backdoored").get<bool>();
    field = "attack";
    m.attack = j.at("attack").get<std::string>();
    field = "seed";
    m.seed = j.at("seed").get<uint64_t>();
    field = "folder";
    m.folder = j.at("folder").get<std::string>();
    field = "seconds";
    m.seconds = j.at("seconds").get<double>();
    if (m.backdoored) {
      field = "triggers";
      m.triggers = triggers_from_json(j.at("triggers"));
      m.checks = j.value("checks", json::object());
    }
    field = "further_steps";
    if (j.contains("further_steps")) m.further_steps = j.at("further_steps").get<int64_t>();
  } catch (const json::exception& e) {
    fail("{}: field '{}' of a zoo member is missing or malformed ({})", origin, field, e.what());
  }
  return m;
}

int64_t ZooRecord::backdoored() const {
  int64_t n = 0;
  for (const auto& m : models) n += m.backdoored;
  return n;
}

json ZooRecord::to_json() const {
  json members = json::array();
  for (const auto& m : models) members.push_back(m.to_json());
  return {{"format", kFormat}, {"porkit_version", porkit_version}, {"options", options},
          {"base_digest", base_digest}, {"models", members}};
}

ZooRecord ZooRecord::from_json(const json& j, const std::string& origin) {
  check_record_format(j, kFormat, origin);
  ZooRecord r;
  std::string field;
  try {
    r.porkit_version = j.value("porkit_version", "");
    field = "options";
    r.options = j.at("options");
    field = "base_digest";
    r.base_digest = j.at("base_digest").get<std::string>();
    field = "models";
    const json& members = j.at("models");
    check(members.is_array(), "{}: field 'models' of the {} record is not a list", origin, kFormat);
    for (size_t i = 0; i < members.size(); ++i)
      r.models.push_back(ZooMember::from_json(members[i], origin + " model " + std::to_string(i)));
  } catch (const json::exception& e) {
    fail("{}: field '{}' of the {} record is missing or malformed ({})", origin, field, kFormat, e.what());
  }
  return r;
}

ZooRecord ZooRecord::read(const fs::path& folder_or_file) {
  const fs::path path = record_file(folder_or_file, kFileName, "zoo record (zoo.json)");
  return from_json(read_json_file(path), path.string());
}

json ZooScores::to_json() const {
  json rows = json::array();
  for (const auto& r : models) {
    rows.push_back({{"id", r.id}, {"backdoored", r.backdoored}, {"attack", r.attack}, {"score", r.score},
                    {"flagged", r.flagged}, {"named", r.named}, {"true_trigger_named", r.true_trigger_named},
                    {"triggers", triggers_to_json(r.triggers)}, {"seconds", r.seconds}});
    if (r.spread_ratio) rows.back()["spread_ratio"] = *r.spread_ratio;
    if (r.true_trigger_first) rows.back()["true_trigger_first"] = *r.true_trigger_first;
  }
  json attacks = json::object();
  for (const auto& [attack, s] : per_attack) attacks[attack] = summary_to_json(s);
  json j = {{"format", kFormat},
          {"porkit_version", porkit_version},
          {"zoo", zoo},
          {"zoo_options", zoo_options},
          {"scan_options", scan_options},
          {"models", rows},
          {"overall", summary_to_json(overall)},
          {"per_attack", attacks},
          {"clean", clean},
          {"threshold", threshold},
          {"accuracy_at_threshold", accuracy_at_threshold},
          {"true_trigger_named_share", true_trigger_named_share},
          {"seconds_per_model", seconds_per_model}};
  if (true_trigger_first_share) j["true_trigger_first_share"] = *true_trigger_first_share;
  return j;
}

ZooScores ZooScores::from_json(const json& j, const std::string& origin) {
  check_record_format(j, kFormat, origin);
  ZooScores s;
  std::string field;
  try {
    s.porkit_version = j.value("porkit_version", "");
    field = "zoo";
    s.zoo = j.at("zoo").get<std::string>();
    s.zoo_options = j.value("zoo_options", json::object());
    s.scan_options = j.value("scan_options", json::object());
    field = "models";
    for (const auto& r : j.at("models")) {
      s.models.push_back({r.at("id").get<std::string>(), r.at("attack").get<std::string>(),
                          r.at("backdoored").get<bool>(), r.at("score").get<double>(), r.at("flagged").get<bool>(),
                          r.at("named").get<std::vector<std::string>>(), r.at("true_trigger_named").get<bool>(),
                          std::nullopt, triggers_from_json(r.at("triggers")), r.at("seconds").get<double>(), std::nullopt});
      if (r.contains("spread_ratio")) s.models.back().spread_ratio = r.at("spread_ratio").get<double>();
      if (r.contains("true_trigger_first")) s.models.back().true_trigger_first = r.at("true_trigger_first").get<bool>();
    }
    field = "overall";
    s.overall = summary_from_json(j.at("overall"));
    field = "per_attack";
    for (auto it = j.at("per_attack").begin(); it != j.at("per_attack").end(); ++it)
      s.per_attack[it.key()] = summary_from_json(it.value());
    field = "clean";
    s.clean = j.at("clean").get<int64_t>();
    field = "threshold";
    s.threshold = j.at("threshold").get<double>();
    field = "accuracy_at_threshold";
    s.accuracy_at_threshold = j.at("accuracy_at_threshold").get<double>();
    field = "true_trigger_named_share";
    s.true_trigger_named_share = j.at("true_trigger_named_share").get<double>();
    if (j.contains("true_trigger_first_share"))
      s.true_trigger_first_share = j.at("true_trigger_first_share").get<double>();
    field = "seconds_per_model";
    s.seconds_per_model = j.at("seconds_per_model").get<double>();
  } catch (const json::exception& e) {
    fail("{}: field '{}' of the {} record is missing or malformed ({})", origin, field, kFormat, e.what());
  }
  return s;
}

ZooScores ZooScores::read(const fs::path& folder_or_file) {
  const fs::path path = record_file(folder_or_file, kFileName, "zoo scores (zoo_scores.json)");
  return from_json(read_json_file(path), path.string());
}

}  // namespace porkit::detect
