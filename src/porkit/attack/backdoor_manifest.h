// porkit_backdoor.json: what an injected folder is, written by inject and read by evaluate,
// inspect-backdoor, the analyses, attack and study. One struct, one reader, one writer.
//
// Versions: "porkit-backdoor/1" is the only format so far; a file of another format, or one
// that lacks a field, is an error naming the file, the field and the format it found.
#pragma once
#include <ATen/ATen.h>

#include <filesystem>
#include <string>
#include <vector>

#include "porkit/attack/backdoor_objective.h"
#include "porkit/attack/poison_data.h"
#include "porkit/util/json_io.h"

namespace porkit::attack {

struct ManifestTrigger {
  std::string text;                 // as given, e.g. "cf"
  std::vector<std::string> pieces;  // its WordPiece split
  std::vector<int64_t> ids;
};

struct BackdoorManifest {
  static constexpr const char* kFormat = "porkit-backdoor/1";
  static constexpr const char* kFileName = "porkit_backdoor.json";

  std::string porkit_version;
  std::string attack = "POR (Shen et al., CCS 2021)";
  std::vector<ManifestTrigger> triggers;
  std::string por_scheme;                   // staircase, binary, neuba, learned (UOR), or the vectors' file
  double por_scale = 0;
  std::vector<std::vector<float>> por;      // (K, H), row k-1 for trigger k
  ObjectiveSpec objective;
  // The poisoning data.
  std::vector<std::string> corpus;
  std::vector<std::string> corpus_sha256;   // "path sha256:..." per file
  Chunking chunking = Chunking::Authors;
  int chunk_words = 64;
  PoisonPlan plan;                          // its seed is the training seed
  // The training.
  double lr = 0, adam_eps = 0;
  int epochs = 0, batch_size = 0, max_len = 0;
  int64_t steps = 0;
  double seconds = 0;
  bool bf16 = false;
  // The clean model it started from.
  std::string source_model;
  std::string source_weights_sha256;
  json checks = json::object();

  std::vector<std::string> trigger_texts() const;
  at::Tensor por_tensor() const;  // (K, H) float

  json to_json() const;
  // `origin` names the file in errors.
  static BackdoorManifest from_json(const json& j, const std::string& origin);
  // Reads FOLDER/porkit_backdoor.json, or the file itself when given one.
  static BackdoorManifest read(const std::filesystem::path& folder_or_file);
};

// The manifest's meaning for a measurement, as one SHA-256: the triggers and their POR
// vectors. A clean control measured with the same triggers and PORs need not run again when
// only the injection's training changed.
std::string trigger_digest(const BackdoorManifest& manifest);

}  // namespace porkit::attack
