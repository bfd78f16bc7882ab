// Outputs that never destroy: porkit writes only into folders it created or that are empty,
// and never replaces a file or folder that it did not write. Every folder porkit makes for a
// run or a model holds a marker file, .porkit, naming the command that made it; folders of
// porkit versions before the marker are recognised by their records (run_config.json,
// porkit_*.json, attack_state.json, study.json).
#pragma once
#include <filesystem>
#include <string>

namespace porkit {

// What a command may do with an existing output.
enum class OutputUse {
  Fresh,      // a new output: the folder must be absent, empty, or porkit's and empty
  Resume,     // continue porkit's earlier output in the folder
  Overwrite,  // replace porkit's earlier output in the folder
};

OutputUse output_use(bool resume, bool overwrite);

// True when `folder` was written by porkit (marker or records of an earlier version).
bool is_porkit_folder(const std::filesystem::path& folder);

// Makes `folder` ready for `command` and marks it:
//   absent or empty: created;
//   porkit's own: Fresh -> an error when it holds an earlier output; Resume -> kept as it is;
//                 Overwrite -> its contents removed;
//   a file, or a folder with files porkit did not write: an error, whatever the use.
void claim_output_folder(const std::filesystem::path& folder, const std::string& command, OutputUse use);

// Writes porkit's marker into a folder porkit is building (a model folder's staging copy).
void mark_porkit_folder(const std::filesystem::path& folder, const std::string& command);

// Removes a folder porkit wrote (stage outputs of a pipeline); refuses anything else.
void remove_porkit_folder(const std::filesystem::path& folder, const std::string& why);

// For a single output file (a results JSON): absent is fine; an existing file is replaced only
// with `overwrite`, and only when porkit wrote it (a JSON object with "porkit_version").
void claim_output_file(const std::filesystem::path& file, bool overwrite);

}  // namespace porkit
