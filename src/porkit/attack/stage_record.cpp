#include "porkit/attack/stage_record.h"

#include <chrono>

#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/log.h"
#include "porkit/util/output_folder.h"

namespace porkit::attack {
namespace {

constexpr const char* kStateFormat = "porkit-attack-state/2";

}  // namespace

StageRecord::StageRecord(fs::path path) : path_(std::move(path)) {
  if (fs::exists(path_)) state_ = read_json_file(path_);
  if (!state_.is_object()) state_ = json::object();
  if (state_.value("format", "") != kStateFormat) {
    if (state_.contains("stages"))
      log_info("attack: {} was written by an older porkit (no '{}'); its stages will run again", path_.string(),
               kStateFormat);
    state_ = {{"format", kStateFormat}, {"stages", json::object()}};
  }
}

double StageRecord::run(const std::string& name, const json& key_material, const fs::path& output,
                        const std::function<void(bool resume)>& work) {
  const std::string key = sha256_hex(key_material.dump());
  auto& stages = state_["stages"];
  const bool same = stages.contains(name) && stages[name].value("key", "") == key;
  if (same && stages[name].value("done", false) && fs::exists(output)) {
    log_info("attack: stage {} already done ({}); skipped", name, output.string());
    return stages[name].value("seconds", 0.0);
  }
  if (!same) {
    if (stages.contains(name)) log_info("attack: stage {} ran under other settings; starting it again", name);
    remove_output(output, name);
    remove_output(output.parent_path() / (output.filename().string() + ".run"), name);
  } else {
    log_info("attack: stage {} was interrupted; resuming", name);
  }
  stages[name] = {{"key", key}, {"key_material", key_material}, {"done", false}};
  save();
  log_info("attack: stage {}", name);
  const auto start = std::chrono::steady_clock::now();
  work(/*resume=*/same);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stages[name] = {{"key", key}, {"key_material", key_material}, {"done", true}, {"seconds", seconds}};
  save();
  return seconds;
}

void StageRecord::remove_output(const fs::path& output, const std::string& stage) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(output, ec))) return;
  if (fs::is_directory(output)) {
    remove_porkit_folder(output, "stage " + stage + " runs again");
    return;
  }
  json record;
  try {
    record = json::parse(read_file(output));
  } catch (const std::exception&) {
  }
  check(record.is_object() && (record.contains("porkit_version") || record.contains("metrics_version")),
        "{} must be replaced (stage {} runs again) but porkit did not write it; move it away and run again",
        output.string(), stage);
  fs::remove(output);
}

void StageRecord::save() { write_json_file(path_, state_); }

}  // namespace porkit::attack
