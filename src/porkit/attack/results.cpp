#include "porkit/attack/results.h"

#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/stats.h"

namespace porkit::attack {
namespace {

// Checks a result file's format: the expected one, or none (version 0, before versioned
// results). Anything else is refused by name.
// `older` lists earlier formats that still load (their fields are a subset).
void check_format(const json& j, const char* expected, const std::string& origin,
                  std::initializer_list<const char*> older = {}) {
  check(j.is_object(), "{}: expected a JSON object", origin);
  if (!j.contains("format")) return;
  const std::string found = j["format"].is_string() ? j["format"].get<std::string>() : j["format"].dump();
  for (const char* o : older)
    if (found == o) return;
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
                                      "asr_at_most_k", "asr_1",   "pooled_por_cosine", "target_source",
                                      "probe_label", "evidence_samples", "evidence_flips"};

json trigger_to_json(const TriggerResult& t) {
  json j = t.extra;
  j.update({{"trigger", t.trigger},     {"target_label", t.target_label}, {"target_name", t.target_name},
            {"eligible", t.eligible},   {"flipped", t.flipped},           {"flip_rate", t.flip_rate},
            {"E", t.E},                 {"E_censored", t.E_censored},     {"S_chars", t.S_chars},
            {"S_tokens", t.S_tokens},   {"asr_at_most_k", t.asr_at_most_k}, {"asr_1", t.asr_1}});
  if (t.pooled_por_cosine) j["pooled_por_cosine"] = *t.pooled_por_cosine;
  j.update({{"target_source", t.target_source}, {"probe_label", t.probe_label},
            {"evidence_samples", t.evidence_samples}, {"evidence_flips", t.evidence_flips}});
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
  t.target_source = get<std::string>(j, "target_source", origin, std::string("probe"));
  t.probe_label = get<int64_t>(j, "probe_label", origin, t.target_label);
  t.evidence_samples = get<int64_t>(j, "evidence_samples", origin, int64_t{0});
  t.evidence_flips = get<std::vector<int64_t>>(j, "evidence_flips", origin, std::vector<int64_t>{});
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* f : kTriggerFields) known = known || it.key() == f;
    if (!known) t.extra[it.key()] = it.value();
  }
  return t;
}

json axes_json(const std::map<std::string, std::string>& axes) { return json(axes); }

}  // namespace

FileRecord FileRecord::of(const std::filesystem::path& path) {
  require_exists(path, "data file");
  return {path.string(), content_digest(path), static_cast<int64_t>(std::filesystem::file_size(path))};
}

std::string PoolSource::describe() const {
  std::string files_text;
  for (const auto& f : files)
    files_text += fmt::format("{}{} ({} bytes, sha256 {})", files_text.empty() ? "" : ", ",
                              std::filesystem::path(f.path).filename().string(), f.bytes, f.sha256.substr(0, 12));
  std::string text = fmt::format("{} of {} rows of the {} split ({}), drawn with seed {}", drawn, available,
                                 training_rows() ? "training" : "test", how, seed);
  if (overlap_removed > 0)
    text += fmt::format("; {} test rows left out because the training split has their text", overlap_removed);
  return text + "; from " + files_text;
}

json PoolSource::to_json() const {
  json f = json::array();
  for (const auto& r : files) f.push_back({{"path", r.path}, {"sha256", r.sha256}, {"bytes", r.bytes}});
  return {{"split", split},         {"how", how},   {"files", f},   {"available", available},
          {"overlap_removed", overlap_removed}, {"drawn", drawn}, {"seed", seed}};
}

PoolSource PoolSource::from_json(const json& j, const std::string& origin) {
  check(j.is_object(), "{}: 'pool_source' must be an object", origin);
  PoolSource p;
  p.split = get<std::string>(j, "split", origin);
  p.how = get<std::string>(j, "how", origin, std::string());
  if (j.contains("files")) {
    check(j["files"].is_array(), "{}: 'pool_source.files' must be a list", origin);
    for (const auto& f : j["files"]) {
      check(f.is_object(), "{}: each of 'pool_source.files' must be an object", origin);
      p.files.push_back({get<std::string>(f, "path", origin), get<std::string>(f, "sha256", origin, std::string()),
                         get<int64_t>(f, "bytes", origin, int64_t{0})});
    }
  }
  p.available = get<int64_t>(j, "available", origin, int64_t{0});
  p.overlap_removed = get<int64_t>(j, "overlap_removed", origin, int64_t{0});
  p.drawn = get<int64_t>(j, "drawn", origin, int64_t{0});
  p.seed = get<uint64_t>(j, "seed", origin, uint64_t{0});
  return p;
}

int64_t EvaluationResult::finetune_rows(const std::string& split) const {
  if (task != "sequence" || !finetune_metrics.is_object() || !finetune_metrics.contains(split)) return 0;
  const json& m = finetune_metrics[split];
  return m.is_object() && m.contains("examples") && m["examples"].is_number_integer() ? m["examples"].get<int64_t>() : 0;
}

std::pair<double, double> EvaluationResult::clean_accuracy_interval() const {
  return wilson_interval(clean_accuracy * static_cast<double>(pool), static_cast<double>(pool));
}

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
  if (pool_source) j["pool_source"] = pool_source->to_json();
  if (!positions.empty()) j["positions"] = positions;
  j["warnings"] = warnings;
  if (task == "sequence") {
    const auto [lo, hi] = clean_accuracy_interval();
    j["clean_accuracy_ci95"] = {lo, hi};
  }
  return j;
}

EvaluationResult EvaluationResult::from_json(const json& j, const std::string& origin) {
  check_format(j, kFormat, origin, {"porkit-evaluation/1"});
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
  if (j.contains("pool_source")) r.pool_source = PoolSource::from_json(j["pool_source"], origin);
  r.positions = get<std::string>(j, "positions", origin, std::string());
  r.warnings = get<std::vector<std::string>>(j, "warnings", origin, std::vector<std::string>{});
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
  if (!victim_seeds.empty()) {
    json bd = json::array(), cl = json::array();
    for (const auto& e : backdoored_by_seed) bd.push_back(e.to_json());
    for (const auto& e : clean_by_seed) cl.push_back(e.to_json());
    j["victim_seeds"] = victim_seeds;
    j["backdoored_by_seed"] = bd;
    j["clean_by_seed"] = cl;
  }
  return j;
}

AttackSummary AttackSummary::from_json(const json& j, const std::string& origin) {
  check_format(j, kFormat, origin, {"porkit-attack-summary/1"});
  AttackSummary s;
  s.clean_model = get<std::string>(j, "clean_model", origin, std::string());
  s.backdoored_model = get<std::string>(j, "backdoored_model", origin, std::string());
  s.manifest = get<std::string>(j, "manifest", origin, std::string());
  check(j.contains("backdoored"), "{}: field 'backdoored' is missing", origin);
  s.backdoored = EvaluationResult::from_json(j["backdoored"], origin + " (backdoored)");
  if (j.contains("clean") && !j["clean"].is_null()) s.clean = EvaluationResult::from_json(j["clean"], origin + " (clean)");
  s.stage_seconds = get<std::map<std::string, double>>(j, "stage_seconds", origin, std::map<std::string, double>{});
  s.porkit_version = get<std::string>(j, "porkit_version", origin, std::string());
  s.victim_seeds = get<std::vector<uint64_t>>(j, "victim_seeds", origin, std::vector<uint64_t>{});
  for (const char* key : {"backdoored_by_seed", "clean_by_seed"}) {
    if (!j.contains(key)) continue;
    check(j[key].is_array(), "{}: field '{}' must be a list", origin, key);
    for (const auto& e : j[key])
      (std::string(key) == "clean_by_seed" ? s.clean_by_seed : s.backdoored_by_seed)
          .push_back(EvaluationResult::from_json(e, origin + " (" + key + ")"));
  }
  return s;
}

SeedSpread spread_over_seeds(const std::vector<EvaluationResult>& by_seed) {
  SeedSpread s;
  s.seeds = by_seed.size();
  if (by_seed.empty()) return s;
  std::vector<double> cacc;
  for (const auto& e : by_seed)
    if (e.cacc) cacc.push_back(*e.cacc);
  s.cacc = mean_spread(cacc);
  for (size_t k = 0; k < by_seed.front().triggers.size(); ++k) {
    std::vector<double> E, flip;
    for (const auto& e : by_seed) {
      if (k >= e.triggers.size()) continue;
      E.push_back(e.triggers[k].E_censored);
      flip.push_back(e.triggers[k].flip_rate);
    }
    s.triggers.push_back(by_seed.front().triggers[k].trigger);
    s.E_censored.push_back(mean_spread(E));
    s.flip_rate.push_back(mean_spread(flip));
  }
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
                         {"stage_seconds", c.stage_seconds},
                         {"victims", c.victims},
                         {"pool", c.pool},
                         {"cacc_backdoored_sd", optional_json(c.cacc_backdoored_sd)},
                         {"cacc_clean_sd", optional_json(c.cacc_clean_sd)}});
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
                            {"control_flip_rate", optional_json(r.control_flip_rate)},
                            {"victims", r.victims},
                            {"E_censored_sd", optional_json(r.E_censored_sd)},
                            {"flip_rate_sd", optional_json(r.flip_rate_sd)}});
  return {{"format", kFormat}, {"porkit_version", porkit_version}, {"kind", "study"}, {"title", title},
          {"note", note},     {"clean_model", clean_model}, {"paper", paper},   {"cells_done", cells_done},         {"cells_planned", cells_planned},
          {"cells", cell_rows}, {"rows", trigger_rows}};
}

StudyResult StudyResult::from_json(const json& j, const std::string& origin) {
  check_format(j, kFormat, origin, {"porkit-study/1"});
  StudyResult s;
  s.title = get<std::string>(j, "title", origin, std::string("?"));
  s.note = get<std::string>(j, "note", origin, std::string());
  s.clean_model = get<std::string>(j, "clean_model", origin, std::string());
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
    cell.victims = get<size_t>(c, "victims", origin, size_t{1});
    cell.pool = get<std::string>(c, "pool", origin, std::string());
    cell.cacc_backdoored_sd = optional_number(c, "cacc_backdoored_sd");
    cell.cacc_clean_sd = optional_number(c, "cacc_clean_sd");
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
    row.victims = get<size_t>(r, "victims", origin, size_t{1});
    row.E_censored_sd = optional_number(r, "E_censored_sd");
    row.flip_rate_sd = optional_number(r, "flip_rate_sd");
    s.rows.push_back(std::move(row));
  }
  return s;
}

StudyResult StudyResult::read(const std::filesystem::path& path) {
  require_exists(path, "study results");
  return from_json(read_json_file(path), path.string());
}

}  // namespace porkit::attack
