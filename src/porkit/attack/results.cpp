#include "porkit/attack/results.h"

#include "porkit/util/error.h"
#include "porkit/util/files.h"

namespace porkit::attack {
namespace {

// Checks a result file's format: the expected one, or none (version 0, before versioned
// results). Anything else is refused by name.
void check_format(const json& j, const char* expected, const std::string& origin) {
  check(j.is_object(), "{}: expected a JSON object", origin);
  if (!j.contains("format")) return;
  const std::string found = j["format"].is_string() ? j["format"].get<std::string>() : j["format"].dump();
  check(found == expected, "{}: format '{}' is not one this porkit reads (expected '{}'; written by porkit {})", origin,
        found, expected, j.value("porkit_version", std::string("?")));
}

// Typed reads that name the file and the field on a wrong type.
template <class T>
T get(const json& j, const char* key, const std::string& origin, std::optional<T> fallback = std::nullopt) {
  if (!j.contains(key) || j[key].is_null()) {
    if (fallback) return *fallback;
    fail("{}: field '{}' is missing", origin, key);
  }
  try {
    return j[key].get<T>();
  } catch (const json::exception&) {
    fail("{}: field '{}' has the wrong type (found {})", origin, key, j[key].dump());
  }
}

std::optional<double> optional_number(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

json optional_json(const std::optional<double>& v) { return v ? json(*v) : json(); }

const char* const kTriggerFields[] = {"trigger",  "target_label", "target_name", "eligible", "flipped",
                                      "flip_rate", "E",           "E_censored",  "S_chars",  "S_tokens",
                                      "asr_at_most_k", "asr_1",   "pooled_por_cosine"};

json trigger_to_json(const TriggerResult& t) {
  json j = t.extra;
  j.update({{"trigger", t.trigger},     {"target_label", t.target_label}, {"target_name", t.target_name},
            {"eligible", t.eligible},   {"flipped", t.flipped},           {"flip_rate", t.flip_rate},
            {"E", t.E},                 {"E_censored", t.E_censored},     {"S_chars", t.S_chars},
            {"S_tokens", t.S_tokens},   {"asr_at_most_k", t.asr_at_most_k}, {"asr_1", t.asr_1}});
  if (t.pooled_por_cosine) j["pooled_por_cosine"] = *t.pooled_por_cosine;
  return j;
}

TriggerResult trigger_from_json(const json& j, const std::string& origin) {
  check(j.is_object(), "{}: a trigger result must be an object", origin);
  TriggerResult t;
  t.trigger = get<std::string>(j, "trigger", origin);
  t.target_label = get<int64_t>(j, "target_label", origin, -1);
  t.target_name = get<std::string>(j, "target_name", origin, std::string("-"));
  t.eligible = get<int64_t>(j, "eligible", origin);
  t.flipped = get<double>(j, "flipped", origin);
  t.flip_rate = get<double>(j, "flip_rate", origin);
  t.E = get<double>(j, "E", origin);
  t.E_censored = get<double>(j, "E_censored", origin, 0.0);
  t.S_chars = get<double>(j, "S_chars", origin, 0.0);
  t.S_tokens = get<double>(j, "S_tokens", origin, 0.0);
  t.asr_at_most_k = get<std::vector<double>>(j, "asr_at_most_k", origin, std::vector<double>{});
  t.asr_1 = get<double>(j, "asr_1", origin, 0.0);
  t.pooled_por_cosine = optional_number(j, "pooled_por_cosine");
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* f : kTriggerFields) known = known || it.key() == f;
    if (!known) t.extra[it.key()] = it.value();
  }
  return t;
}

json axes_json(const std::map<std::string, std::string>& axes) { return json(axes); }

}  // namespace

std::optional<double> EvaluationResult::finetune_metric(const std::string& split) const {
  if (!finetune_metrics.is_object() || !finetune_metrics.contains(split)) return std::nullopt;
  return optional_number(finetune_metrics[split], task == "token" ? "entity_f1" : "accuracy");
}

json EvaluationResult::to_json() const {
  json trigger_rows = json::array();
  for (const auto& t : triggers) trigger_rows.push_back(trigger_to_json(t));
  json j = task_metrics;
  j.update({{"format", kFormat},
            {"porkit_version", porkit_version},
            {"task", task},
            {"pool", pool},
            {"clean_accuracy", clean_accuracy},
            {"triggers", trigger_rows},
            {"model", model},
            {"data", data},
            {"max_insertions", max_insertions},
            {"seed", seed},
            {"metrics_version", metrics_version}});
  if (!finetune_metrics.is_null()) j["finetune_metrics"] = finetune_metrics;
  if (cacc) j["cacc"] = *cacc;
  return j;
}

EvaluationResult EvaluationResult::from_json(const json& j, const std::string& origin) {
  check_format(j, kFormat, origin);
  EvaluationResult r;
  r.task = get<std::string>(j, "task", origin, std::string("sequence"));
  r.pool = get<int64_t>(j, "pool", origin);
  r.clean_accuracy = get<double>(j, "clean_accuracy", origin);
  for (const char* key : {"entity_f1", "entity_precision", "entity_recall"})
    if (j.contains(key)) r.task_metrics[key] = j[key];
  const json& rows = j.contains("triggers") ? j["triggers"] : json();
  check(rows.is_array(), "{}: field 'triggers' must be a list", origin);
  for (const auto& t : rows) r.triggers.push_back(trigger_from_json(t, origin));
  r.model = get<std::string>(j, "model", origin, std::string());
  r.data = get<std::string>(j, "data", origin, std::string());
  r.max_insertions = get<int>(j, "max_insertions", origin, 0);
  r.seed = get<uint64_t>(j, "seed", origin, uint64_t{0});
  r.metrics_version = get<int>(j, "metrics_version", origin, 1);
  r.porkit_version = get<std::string>(j, "porkit_version", origin, std::string());
  if (j.contains("finetune_metrics")) r.finetune_metrics = j["finetune_metrics"];
  r.cacc = optional_number(j, "cacc");
  return r;
}

EvaluationResult EvaluationResult::read(const std::filesystem::path& path) {
  require_exists(path, "evaluation results");
  return from_json(read_json_file(path), path.string());
}

json AttackSummary::to_json() const {
  json j = {{"format", kFormat},
            {"porkit_version", porkit_version},
            {"clean_model", clean_model},
            {"backdoored_model", backdoored_model},
            {"manifest", manifest},
            {"backdoored", backdoored.to_json()},
            {"stage_seconds", stage_seconds}};
  if (clean) j["clean"] = clean->to_json();
  return j;
}

AttackSummary AttackSummary::from_json(const json& j, const std::string& origin) {
  check_format(j, kFormat, origin);
  AttackSummary s;
  s.clean_model = get<std::string>(j, "clean_model", origin, std::string());
  s.backdoored_model = get<std::string>(j, "backdoored_model", origin, std::string());
  s.manifest = get<std::string>(j, "manifest", origin, std::string());
  check(j.contains("backdoored"), "{}: field 'backdoored' is missing", origin);
  s.backdoored = EvaluationResult::from_json(j["backdoored"], origin + " (backdoored)");
  if (j.contains("clean") && !j["clean"].is_null()) s.clean = EvaluationResult::from_json(j["clean"], origin + " (clean)");
  s.stage_seconds = get<std::map<std::string, double>>(j, "stage_seconds", origin, std::map<std::string, double>{});
  s.porkit_version = get<std::string>(j, "porkit_version", origin, std::string());
  return s;
}

AttackSummary AttackSummary::read(const std::filesystem::path& path) {
  require_exists(path, "attack summary");
  return from_json(read_json_file(path), path.string());
}

json StudyResult::to_json() const {
  json cell_rows = json::array(), trigger_rows = json::array();
  for (const auto& c : cells)
    cell_rows.push_back({{"name", c.name},
                         {"axes", axes_json(c.axes)},
                         {"folder", c.folder},
                         {"shared_injection", c.shared_injection},
                         {"shared_control", c.shared_control},
                         {"cacc_backdoored", optional_json(c.cacc_backdoored)},
                         {"cacc_clean", optional_json(c.cacc_clean)},
                         {"mean_E", c.mean_E},
                         {"mean_flip_rate", c.mean_flip_rate},
                         {"mean_asr_1", c.mean_asr_1},
                         {"control_mean_E", optional_json(c.control_mean_E)},
                         {"stage_seconds", c.stage_seconds}});
  for (const auto& r : rows)
    trigger_rows.push_back({{"cell", r.cell},
                            {"axes", axes_json(r.axes)},
                            {"trigger", r.trigger},
                            {"pieces", r.pieces ? json(*r.pieces) : json()},
                            {"E", r.E},
                            {"E_censored", r.E_censored},
                            {"flip_rate", r.flip_rate},
                            {"asr_1", r.asr_1},
                            {"S_chars", r.S_chars},
                            {"S_tokens", r.S_tokens},
                            {"target", r.target},
                            {"appearances", r.appearances},
                            {"control_E", optional_json(r.control_E)},
                            {"control_flip_rate", optional_json(r.control_flip_rate)}});
  return {{"format", kFormat}, {"porkit_version", porkit_version}, {"kind", "study"}, {"title", title},
          {"note", note},     {"paper", paper},   {"cells_done", cells_done},         {"cells_planned", cells_planned},
          {"cells", cell_rows}, {"rows", trigger_rows}};
}

StudyResult StudyResult::from_json(const json& j, const std::string& origin) {
  check_format(j, kFormat, origin);
  StudyResult s;
  s.title = get<std::string>(j, "title", origin, std::string("?"));
  s.note = get<std::string>(j, "note", origin, std::string());
  s.paper = j.value("paper", json::object());
  s.cells_done = get<size_t>(j, "cells_done", origin, size_t{0});
  s.cells_planned = get<size_t>(j, "cells_planned", origin, size_t{0});
  s.porkit_version = get<std::string>(j, "porkit_version", origin, std::string());
  for (const auto& c : j.value("cells", json::array())) {
    StudyCellResult cell;
    cell.name = get<std::string>(c, "name", origin);
    cell.axes = get<std::map<std::string, std::string>>(c, "axes", origin, std::map<std::string, std::string>{});
    cell.folder = get<std::string>(c, "folder", origin, std::string());
    cell.shared_injection = get<bool>(c, "shared_injection", origin, false);
    cell.shared_control = get<bool>(c, "shared_control", origin, false);
    cell.cacc_backdoored = optional_number(c, "cacc_backdoored");
    cell.cacc_clean = optional_number(c, "cacc_clean");
    cell.mean_E = get<double>(c, "mean_E", origin, 0.0);
    cell.mean_flip_rate = get<double>(c, "mean_flip_rate", origin, 0.0);
    cell.mean_asr_1 = get<double>(c, "mean_asr_1", origin, 0.0);
    cell.control_mean_E = optional_number(c, "control_mean_E");
    cell.stage_seconds = get<std::map<std::string, double>>(c, "stage_seconds", origin, std::map<std::string, double>{});
    s.cells.push_back(std::move(cell));
  }
  for (const auto& r : j.value("rows", json::array())) {
    StudyRow row;
    row.cell = get<std::string>(r, "cell", origin);
    row.axes = get<std::map<std::string, std::string>>(r, "axes", origin, std::map<std::string, std::string>{});
    row.trigger = get<std::string>(r, "trigger", origin);
    if (r.contains("pieces") && r["pieces"].is_number_integer()) row.pieces = r["pieces"].get<int64_t>();
    row.E = get<double>(r, "E", origin, 0.0);
    row.E_censored = get<double>(r, "E_censored", origin, 0.0);
    row.flip_rate = get<double>(r, "flip_rate", origin, 0.0);
    row.asr_1 = get<double>(r, "asr_1", origin, 0.0);
    row.S_chars = get<double>(r, "S_chars", origin, 0.0);
    row.S_tokens = get<double>(r, "S_tokens", origin, 0.0);
    row.target = get<std::string>(r, "target", origin, std::string("-"));
    row.appearances = r.value("appearances", json::object());
    row.control_E = optional_number(r, "control_E");
    row.control_flip_rate = optional_number(r, "control_flip_rate");
    s.rows.push_back(std::move(row));
  }
  return s;
}

StudyResult StudyResult::read(const std::filesystem::path& path) {
  require_exists(path, "study results");
  return from_json(read_json_file(path), path.string());
}

}  // namespace porkit::attack
