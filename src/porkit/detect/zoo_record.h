// The zoo's two records, each one versioned struct with one to/from JSON:
//   ZooRecord  ("porkit-zoo/1", zoo.json): which models the zoo holds and their ground truth;
//   ZooScores  ("porkit-zoo-scores/1", zoo_scores.json): porkit scan's scores over a zoo.
// porkit zoo writes the first and resumes from it, porkit zoo-score reads it and writes the
// second, and porkit report reads the second. A file of another version is refused by name.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "porkit/util/json_io.h"

namespace porkit::detect {

// One planted trigger of a backdoored member.
struct ZooTrigger {
  std::string trigger;              // the word, e.g. "cf"
  std::string kind;                 // "common", "rare" or "multi-piece"
  std::vector<std::string> pieces;  // its WordPiece tokens in the base's vocabulary
};

struct ZooMember {
  std::string id;                   // m000, m001, ...
  bool backdoored = false;
  std::string attack;               // por-1, por-2, neuba, uor; or "clean"
  uint64_t seed = 0;                // the member's own training seed
  std::vector<ZooTrigger> triggers; // empty for clean members
  std::string folder;               // the model folder, relative to the zoo unless absolute
  std::optional<int64_t> further_steps;  // clean members: further pre-training steps (0: the base)
  json checks;                      // backdoored members: porkit inject's own record of the injection
  double seconds = 0;

  json to_json() const;
  static ZooMember from_json(const json& j, const std::string& origin);
};

struct ZooRecord {
  static constexpr const char* kFormat = "porkit-zoo/1";
  static constexpr const char* kFileName = "zoo.json";

  std::string porkit_version;
  json options = json::object();    // the zoo's settings and inputs (zoo_option_table)
  std::string base_digest;          // content digest of the clean base
  std::vector<ZooMember> models;

  int64_t backdoored() const;

  json to_json() const;
  static ZooRecord from_json(const json& j, const std::string& origin);
  static ZooRecord read(const std::filesystem::path& folder_or_file);
};

// How well the scan's score separates one set of backdoored models from all clean ones.
struct DetectionSummary {
  double auroc = 0;
  double tpr_at_fpr_1pct = 0, tpr_at_fpr_5pct = 0;
  int64_t backdoored = 0;
};

// One model of the zoo as the scan saw it.
struct ZooScoreRow {
  std::string id, attack;
  bool backdoored = false;
  double score = 0;
  bool flagged = false;
  std::vector<std::string> named;   // candidates the scan named
  bool true_trigger_named = false;  // a named candidate shares a WordPiece with a planted trigger
  std::optional<bool> true_trigger_first;  // the best named candidate does (absent in older records)
  std::vector<ZooTrigger> triggers;
  double seconds = 0;
  std::optional<double> spread_ratio;  // D(clean) / the reference's, with scan --reference
};

struct ZooScores {
  static constexpr const char* kFormat = "porkit-zoo-scores/1";
  static constexpr const char* kFileName = "zoo_scores.json";

  std::string porkit_version;
  std::string zoo;                  // the zoo folder scored
  json zoo_options = json::object(), scan_options = json::object();
  std::vector<ZooScoreRow> models;
  std::optional<DetectionSummary> overall;  // absent when the zoo lacks clean or backdoored models
  std::map<std::string, std::optional<DetectionSummary>> per_attack;
  int64_t clean = 0;
  double threshold = 0;
  double accuracy_at_threshold = 0;
  double true_trigger_named_share = 0;
  std::optional<double> true_trigger_first_share;  // absent in older records
  double seconds_per_model = 0;

  json to_json() const;
  static ZooScores from_json(const json& j, const std::string& origin);
  static ZooScores read(const std::filesystem::path& folder_or_file);
};

}  // namespace porkit::detect
