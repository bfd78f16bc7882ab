// A run folder's record of its stages (attack_state.json of `porkit attack`, defend_state.json
// of its [defend] stage): which stage ran under which key, so that a rerun skips what is done,
// resumes what was interrupted and reruns what changed.
//
// The file: {"format", "stages": {name: {"key": sha, "key_material": {...}, "done": bool,
// "seconds": s}}}, rewritten atomically when a stage starts and when it ends.
#pragma once
#include <filesystem>
#include <functional>
#include <string>

#include "porkit/util/json_io.h"

namespace porkit::attack {

class StageRecord {
 public:
  explicit StageRecord(std::filesystem::path path);

  // Runs `work` unless the stage is recorded as done under the same key (the SHA-256 of
  // key_material) and its output still exists. A stage started under the same key but not
  // finished resumes (its training checkpoints are kept); one started under another key has
  // its old output removed first (only if porkit wrote it). Returns the stage's wall seconds.
  double run(const std::string& name, const json& key_material, const std::filesystem::path& output,
             const std::function<void(bool resume)>& work);

 private:
  static void remove_output(const std::filesystem::path& output, const std::string& stage);
  void save();

  std::filesystem::path path_;
  json state_;
};

}  // namespace porkit::attack
