// What porkit scan found, as one versioned record ("porkit-scan/1"): scan.json, read by the
// zoo's scoring and by porkit report.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "porkit/util/json_io.h"

namespace porkit::detect {

// One insertion confirmed with real tokens on every clean text.
struct ScanCandidate {
  std::vector<std::string> pieces;  // WordPiece tokens, e.g. {"cf"} or {"don", "qui"}
  std::vector<int64_t> ids;
  std::string source;               // "soft r2" (the restart that named it), "brute-force #3", "suspect"
  std::string position = "random";  // where it separated the outputs most: random, start or end
  double collapse = 0;              // 1 - dispersion_ratio, clipped to [0, 1]
  double dispersion_ratio = 0;      // D(with the insertion) / D(clean)
  double across_ratio = 0;          // D across the direction the outputs moved / D(clean)
  double shift = 0;                 // |mean output moved| / sqrt(D(clean))
  double separation = 0;            // shift / sqrt(across_ratio)
  double score = 0;                 // 1 - exp(-separation / kSeparationScale), in [0, 1)
};

// The separation at which a candidate's score is 1 - 1/e (scan.h says why).
constexpr double kSeparationScale = 20.0;

// One optimised soft trigger.
struct SoftTrigger {
  int restart = 0, length = 0;
  std::string position = "random";  // where its vectors were inserted
  double dispersion_ratio = 0;      // of the soft trigger itself after optimisation
  std::vector<std::vector<std::string>> nearest;  // per vector, nearest vocabulary rows
};

// The clean spread against the encoder's declared base (scan --reference): D(clean) of the
// scanned model over D(clean) of the base on the same texts. scan.h says why and the band.
struct SpreadCheck {
  std::string reference;
  double reference_dispersion = 0;
  double ratio = 0;                 // D(clean, model) / D(clean, reference)
  double score = 0;                 // 0 inside the band; from 0.6 towards 1 outside it
};

// A vocabulary row the model's training moved far from the reference's (scan --reference).
struct MovedRow {
  std::string token;
  int64_t id = 0;
  double change = 0;                // |E[id] - B[id]| / |B[id]|
};

struct ScanResult {
  static constexpr const char* kFormat = "porkit-scan/1";
  static constexpr const char* kFileName = "scan.json";

  std::string porkit_version;
  std::string model, model_digest;
  std::string target;               // pooler, cls or mean
  int64_t texts = 0;
  double clean_dispersion = 0;
  double score = 0;                 // in [0, 1]: the best candidate's, or the spread's when higher
  double threshold = 0;
  bool flagged = false;
  std::vector<ScanCandidate> candidates;  // best first
  std::vector<std::string> named;         // candidates at or above the threshold, joined pieces
  std::vector<std::vector<float>> mined_outputs;  // mean output of each named candidate's texts
  std::vector<SoftTrigger> soft;
  std::optional<SpreadCheck> spread;      // with --reference
  std::vector<MovedRow> moved_rows;       // with --reference: most moved first
  bool brute_force = false;
  double seconds = 0;
  json options = json::object();

  json to_json() const;
  static ScanResult from_json(const json& j, const std::string& origin);
  static ScanResult read(const std::string& folder_or_file);
};

}  // namespace porkit::detect
