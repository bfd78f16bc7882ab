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
#include "porkit/util/stats.h"

namespace porkit::attack {

// A file a result was computed from: where it was, what it held, how big it was.
struct FileRecord {
  std::string path, sha256;
  int64_t bytes = 0;
  static FileRecord of(const std::filesystem::path& path);  // hashes the file
};

// Where an evaluation pool came from and how it was drawn.
struct PoolSource {
  std::string split = "test";      // "test", or "train" when asked for (--pool-from train)
  std::string how;                 // how that split was made (data::TestSplit::how)
  std::vector<FileRecord> files;   // the files its rows were read from
  int64_t available = 0;           // rows in the split
  int64_t overlap_removed = 0;     // test rows left out because the training split has their text
  int64_t drawn = 0;               // rows drawn into the pool
  uint64_t seed = 0;               // of the draw
  bool training_rows() const { return split == "train"; }
  std::string describe() const;    // one line: "1000 of 1821 rows of the test split (...), seed 0; files ..."
  json to_json() const;
  static PoolSource from_json(const json& j, const std::string& origin);
};

// One trigger's attack metrics (section 5 of ../shared/docs/method.md).
struct TriggerResult {
  std::string trigger;
  int64_t target_label = -1;
  std::string target_name = "-";
  // How the target was chosen: "evidence" (the label most flips of real triggered samples
  // went to), "probe" (the prediction on "t t", the authors' rule), or "probe (no flips)"
  // (evidence asked for, but no sample flipped). probe_label is the probe's answer either
  // way; evidence_flips counts, per label, the evidence samples that flipped to it.
  std::string target_source = "probe";
  int64_t probe_label = -1;
  int64_t evidence_samples = 0;
  std::vector<int64_t> evidence_flips;
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
  // 2: pool_source, positions, warnings and the targets' evidence; version 1 and unversioned
  // files still load (without them).
  static constexpr const char* kFormat = "porkit-evaluation/2";
  std::string task = "sequence";  // or "token"
  int64_t pool = 0;
  double clean_accuracy = 0;      // token accuracy for NER
  std::optional<PoolSource> pool_source;  // absent in files before version 2
  std::string positions;                  // where triggers were inserted (--positions)
  std::vector<std::string> warnings;      // what a reader must know about these figures
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
  // Rows behind finetune_metric(split) for sequence tasks (0 when unknown, or for tagging,
  // whose accuracy counts words).
  int64_t finetune_rows(const std::string& split) const;
  // 95% Wilson interval of clean_accuracy over the pool (sequence tasks: one row, one trial).
  std::pair<double, double> clean_accuracy_interval() const;
  json to_json() const;
  static EvaluationResult from_json(const json& j, const std::string& origin);
  static EvaluationResult read(const std::filesystem::path& path);
};

struct AttackSummary {
  // 2: victim seeds and the per-seed evaluations; version 1 still loads.
  static constexpr const char* kFormat = "porkit-attack-summary/2";
  std::string clean_model, backdoored_model, manifest;
  EvaluationResult backdoored;
  std::optional<EvaluationResult> clean;  // the control, unless control = false
  // With seeds = [...]: one victim per seed; `backdoored` and `clean` above are the first
  // seed's, and every seed's evaluation is here, in seed order.
  std::vector<uint64_t> victim_seeds;
  std::vector<EvaluationResult> backdoored_by_seed, clean_by_seed;
  std::map<std::string, double> stage_seconds;
  std::string porkit_version;

  json to_json() const;
  static AttackSummary from_json(const json& j, const std::string& origin);
  static AttackSummary read(const std::filesystem::path& path);
};

// Mean and spread across victim seeds: CACC, and per trigger censored E and flip rate.
struct SeedSpread {
  size_t seeds = 0;
  MeanSpread cacc;
  std::vector<std::string> triggers;
  std::vector<MeanSpread> E_censored, flip_rate;
};
SeedSpread spread_over_seeds(const std::vector<EvaluationResult>& by_seed);

struct StudyCellResult {
  std::string name;
  std::map<std::string, std::string> axes;  // "finetune.lr" -> "0.001"
  std::string folder;
  bool shared_injection = false, shared_control = false;
  std::optional<double> cacc_backdoored, cacc_clean;
  double mean_E = 0, mean_flip_rate = 0, mean_asr_1 = 0;
  std::optional<double> control_mean_E;
  std::map<std::string, double> stage_seconds;
  // With several victim seeds: CACC and the means above are averaged over them.
  size_t victims = 1;
  std::string pool;  // PoolSource::describe() of the cell's evaluation pool
  std::optional<double> cacc_backdoored_sd, cacc_clean_sd;
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
  // With several victim seeds the metrics above are means over them, and these their spread.
  size_t victims = 1;
  std::optional<double> E_censored_sd, flip_rate_sd;
};

struct StudyResult {
  // 2: victims and spreads across victim seeds; version 1 still loads.
  static constexpr const char* kFormat = "porkit-study/2";
  std::string title, note;
  std::string clean_model;      // the model every cell injects into (empty in studies written before it was kept)
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
