// The results porkit writes between stages and reads back in reports and studies, each one
// struct with one reader and one writer:
//   EvaluationResult  evaluate-*.json  (porkit evaluate --out, the attack's evaluate stages)
//   AttackSummary     summary.json     (porkit attack, demo, each study cell)
//   StudyResult       study.json       (porkit study)
// Each file carries "format": "<kind>/<version>". A file without it was written by porkit
// before versioned results and is read as version 0 (the same fields); any other format is
// an error that names the format found and the one expected.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "porkit/util/json_io.h"

namespace porkit::attack {

// One trigger's attack metrics (section 5 of ../shared/docs/method.md).
struct TriggerResult {
  std::string trigger;
  int64_t target_label = -1;
  std::string target_name = "-";
  int64_t eligible = 0;
  double flipped = 0, flip_rate = 0;
  double E = 20;            // mean insertions over flipped samples (20 when none flips)
  double E_censored = 0;    // never-flipped samples counted as J + 1
  double S_chars = 0, S_tokens = 0;
  std::vector<double> asr_at_most_k;  // k = 1..J
  double asr_1 = 0;
  std::optional<double> pooled_por_cosine;  // with a manifest
  json extra = json::object();              // task-specific fields (NER: flipped_entity_tags, ...)
};

struct EvaluationResult {
  static constexpr const char* kFormat = "porkit-evaluation/1";
  std::string task = "sequence";  // or "token"
  int64_t pool = 0;
  double clean_accuracy = 0;      // token accuracy for NER
  json task_metrics = json::object();  // NER: entity_f1, entity_precision, entity_recall
  std::vector<TriggerResult> triggers;
  std::string model, data;
  int max_insertions = 0;
  uint64_t seed = 0;
  int metrics_version = 0;
  std::string porkit_version;
  // Set by the attack pipeline: the victim's fine-tuning metrics and its CACC (accuracy or
  // entity F1 on the victim's own held-out split).
  json finetune_metrics;
  std::optional<double> cacc;

  // The fine-tune's headline metric ("accuracy", or "entity_f1" for NER) on a split.
  std::optional<double> finetune_metric(const std::string& split) const;
  json to_json() const;
  static EvaluationResult from_json(const json& j, const std::string& origin);
  static EvaluationResult read(const std::filesystem::path& path);
};

struct AttackSummary {
  static constexpr const char* kFormat = "porkit-attack-summary/1";
  std::string clean_model, backdoored_model, manifest;
  EvaluationResult backdoored;
  std::optional<EvaluationResult> clean;  // the control, unless control = false
  std::map<std::string, double> stage_seconds;
  std::string porkit_version;

  json to_json() const;
  static AttackSummary from_json(const json& j, const std::string& origin);
  static AttackSummary read(const std::filesystem::path& path);
};

struct StudyCellResult {
  std::string name;
  std::map<std::string, std::string> axes;  // "finetune.lr" -> "0.001"
  std::string folder;
  bool shared_injection = false, shared_control = false;
  std::optional<double> cacc_backdoored, cacc_clean;
  double mean_E = 0, mean_flip_rate = 0, mean_asr_1 = 0;
  std::optional<double> control_mean_E;
  std::map<std::string, double> stage_seconds;
};

struct StudyRow {
  std::string cell;
  std::map<std::string, std::string> axes;
  std::string trigger;
  std::optional<int64_t> pieces;
  double E = 0, E_censored = 0, flip_rate = 0, asr_1 = 0, S_chars = 0, S_tokens = 0;
  std::string target;
  json appearances = json::object();  // {label name: whole-word count}
  std::optional<double> control_E, control_flip_rate;
};

struct StudyResult {
  static constexpr const char* kFormat = "porkit-study/1";
  std::string title, note;
  json paper = json::object();  // the config's [paper] figures
  size_t cells_done = 0, cells_planned = 0;
  std::vector<StudyCellResult> cells;
  std::vector<StudyRow> rows;
  std::string porkit_version;

  json to_json() const;
  static StudyResult from_json(const json& j, const std::string& origin);
  static StudyResult read(const std::filesystem::path& path);
};

}  // namespace porkit::attack
