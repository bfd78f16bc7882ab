// JSON file helpers on top of nlohmann::json with errors that name the file.
#pragma once
#include <nlohmann/json.hpp>

#include "porkit/util/files.h"

namespace porkit {

using json = nlohmann::json;

// Parses a JSON file; a syntax error names the file and the byte offset.
json read_json_file(const fs::path& path);

// Writes pretty-printed JSON (2-space indent, trailing newline) atomically.
void write_json_file(const fs::path& path, const json& value);

// Appends one compact JSON object as a line (metrics logs). Not atomic by design:
// a line is small and each is flushed on its own.
void append_json_line(const fs::path& path, const json& value);

}  // namespace porkit
