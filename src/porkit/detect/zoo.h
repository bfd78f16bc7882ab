// porkit zoo: a seeded, resumable grid of clean and backdoored encoders with ground truth,
// to score a detector on; and porkit zoo-score: porkit scan over a zoo, with AUROC, TPR at
// fixed false-positive rates, accuracy and how often a true trigger token is named.
//
// Each model's draw is a function of (seed, model number) only, so two zoos with different
// seeds share no draws, and a zoo grown from 40 to 80 models keeps its first 40. Backdoored
// models take the attacks in turn (POR-1, POR-2, NeuBA, UOR), with 1-3 triggers drawn from
// the vocabulary (common and rare one-piece words of the corpus, and multi-piece words).
// Clean models are the base model itself and copies of it further pre-trained with their own
// seeds and step counts, so "changed since the base" is no sign of a backdoor.
#pragma once
#include <string>
#include <vector>

#include "porkit/detect/scan.h"
#include "porkit/detect/zoo_record.h"
#include "porkit/util/json_io.h"
#include "porkit/util/options.h"
#include "porkit/util/run_settings.h"

namespace porkit::detect {

struct ZooOptions {
  std::string out;                         // zoo folder: zoo.json, models/<id>/
  std::string model;                       // the clean base (e.g. models/porkit-tiny-uncased)
  std::vector<std::string> corpus;         // injection and further pre-training text
  int64_t models = 40;
  double backdoored_share = 0.5;
  std::vector<std::string> attacks = {"por-1", "por-2", "neuba", "uor"};
  int max_triggers = 3;                    // 1..max_triggers per backdoored model
  int64_t poison_per_trigger = 300;        // the injection's scale (quick preset otherwise)
  int64_t clean_samples = 600;
  int epochs = 2;
  int max_len = 64;
  int further_steps_min = 20, further_steps_max = 80;  // clean models' further pre-training
  uint64_t seed = 1;
  RunSettings run;                         // threads, resume
};

const options::OptionTable<ZooOptions>& zoo_option_table();

// Builds (or, with --resume, completes) the zoo and writes zoo.json; returns its record
// (empty on ranks other than 0 when ranks share the zoo).
ZooRecord run_zoo(const ZooOptions& options);

struct ZooScoreOptions {
  std::string zoo;                         // a zoo folder
  std::string out;                         // scores folder: zoo_scores.json, scans/<id>/
  ScanOptions scan;                        // how each model is scanned (its model/out are set here)
};

const options::OptionTable<ZooScoreOptions>& zoo_score_option_table();

// Scans every model (a model's earlier scan with the same options is reused), scores, and
// writes zoo_scores.json.
ZooScores run_zoo_score(const ZooScoreOptions& options);

// Area under the ROC curve of scores (positives vs negatives), ties counted half.
double auroc(const std::vector<double>& positives, const std::vector<double>& negatives);

// The true-positive rate at the lowest threshold whose false-positive rate is <= fpr.
double tpr_at_fpr(const std::vector<double>& positives, const std::vector<double>& negatives, double fpr);

}  // namespace porkit::detect
