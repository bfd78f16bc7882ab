#include "porkit/util/output_folder.h"

#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/json_io.h"

namespace porkit {
namespace {

constexpr const char* kMarker = ".porkit";

// Records that porkit versions before the marker wrote into their folders.
constexpr const char* kLegacyRecords[] = {"run_config.json",      "attack_state.json", "study.json",
                                          "porkit_backdoor.json", "porkit_finetune.json",
                                          "porkit_pretrain.json", "summary.json"};

bool is_empty_folder(const fs::path& folder) {
  return fs::is_directory(folder) && fs::directory_iterator(folder) == fs::directory_iterator();
}

// True when the folder holds nothing but porkit's marker.
bool holds_only_marker(const fs::path& folder) {
  for (const auto& e : fs::directory_iterator(folder))
    if (e.path().filename() != kMarker) return false;
  return true;
}

void write_marker(const fs::path& folder, const std::string& command) {
  write_json_file(folder / kMarker, {{"written_by", "porkit"}, {"porkit_version", PORKIT_VERSION},
                                     {"command", command}});
}

// Names porkit writes into its folders (models, run folders, stage outputs). Anything else in
// a folder porkit is about to remove is the user's, and stops the removal.
bool is_porkit_entry(const std::string& name) {
  static const char* const exact[] = {".porkit", "config.json", "model.safetensors", "model.safetensors.index.json",
                                      "vocab.txt", "tokenizer_config.json", "special_tokens_map.json",
                                      "metrics.jsonl", "metrics.json", "run_config.json", "checkpoints", "model",
                                      "cache", "summary.json", "attack_state.json", "study.json", "cells",
                                      "report.html", "report.md", "report_files", "analysis", "training_log.jsonl",
                                      "pretrain_run_config.json", "scan.json", "zoo.json", "zoo_scores.json", "scans"};
  for (const char* e : exact)
    if (name == e) return true;
  for (const char* prefix : {"porkit_", "evaluate-", "finetune-", "backdoored", "model-", ".staging", "."})
    if (name.rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace

OutputUse output_use(bool resume, bool overwrite) {
  check(!(resume && overwrite), "give --resume or --overwrite, not both");
  return resume ? OutputUse::Resume : overwrite ? OutputUse::Overwrite : OutputUse::Fresh;
}

bool is_porkit_folder(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return false;
  if (fs::exists(folder / kMarker)) return true;
  for (const char* record : kLegacyRecords)
    if (fs::exists(folder / record)) return true;
  return fs::exists(folder / "checkpoints");
}

void claim_output_folder(const fs::path& folder, const std::string& command, OutputUse use) {
  std::error_code ec;
  const auto status = fs::symlink_status(folder, ec);
  if (!fs::exists(status)) {
    fs::create_directories(folder);
    write_marker(folder, command);
    return;
  }
  check(fs::is_directory(status), "{} exists and is not a folder; porkit writes its output into a folder and never "
        "replaces a file it did not write (choose another --out)", folder.string());
  if (is_empty_folder(folder)) {
    write_marker(folder, command);
    return;
  }
  check(is_porkit_folder(folder), "{} holds files porkit did not write; porkit writes only into new or empty folders "
        "or its own earlier output (choose another --out)", folder.string());
  switch (use) {
    case OutputUse::Resume:
      if (!fs::exists(folder / kMarker)) write_marker(folder, command);
      return;
    case OutputUse::Overwrite:
      for (const auto& e : fs::directory_iterator(folder))
        check(is_porkit_entry(e.path().filename().string()), "--overwrite: {} holds {}, which porkit did not write; "
              "move it away first", folder.string(), e.path().filename().string());
      for (const auto& e : fs::directory_iterator(folder)) fs::remove_all(e.path());
      write_marker(folder, command);
      return;
    case OutputUse::Fresh:
      check(holds_only_marker(folder), "{} holds an earlier porkit output; pass --resume to continue it or --overwrite "
            "to replace it", folder.string());
      return;
  }
}

void mark_porkit_folder(const fs::path& folder, const std::string& command) { write_marker(folder, command); }

void remove_porkit_folder(const fs::path& folder, const std::string& why) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(folder, ec))) return;
  check(is_porkit_folder(folder), "{} must be removed ({}) but porkit did not write it; move it away and run again",
        folder.string(), why);
  for (const auto& e : fs::directory_iterator(folder)) {
    const std::string name = e.path().filename().string();
    check(is_porkit_entry(name), "{} must be removed ({}) but holds {}, which porkit did not write; move it away and "
          "run again", folder.string(), why, name);
  }
  fs::remove_all(folder);
}

void claim_output_file(const fs::path& file, bool overwrite) {
  std::error_code ec;
  const auto status = fs::symlink_status(file, ec);
  if (!fs::exists(status)) return;
  check(fs::is_regular_file(status), "{} exists and is not a file; choose another output path", file.string());
  check(overwrite, "{} exists; pass --overwrite to replace it", file.string());
  // porkit's own: a JSON object with "porkit_version", or a safetensors file whose header
  // metadata names porkit as its writer.
  const std::string bytes = read_file(file);
  json existing;
  try {
    existing = json::parse(bytes);
  } catch (const std::exception&) {
    if (bytes.size() >= 8) {
      uint64_t n = 0;
      for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
      if (n <= bytes.size() - 8) {
        const json header = json::parse(bytes.substr(8, n), nullptr, false);
        if (header.is_object() && header.contains("__metadata__") && header["__metadata__"].is_object() &&
            header["__metadata__"].contains("porkit_version"))
          existing = header["__metadata__"];
      }
    }
  }
  check(existing.is_object() && existing.contains("porkit_version"),
        "{} was not written by porkit; porkit never replaces a file it did not write", file.string());
}

}  // namespace porkit
