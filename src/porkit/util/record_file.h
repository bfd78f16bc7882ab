// The steps every versioned record (porkit-zoo/1, porkit-purify/1, porkit-scan/1, ...) shares
// on its way in: where its file is, and whether its format is the one this porkit reads.
#pragma once
#include <string>

#include "porkit/util/files.h"
#include "porkit/util/json_io.h"

namespace porkit {

// `folder_or_file` itself, or `file_name` inside it when it is a folder; throws, naming
// `what`, when that file does not exist.
fs::path record_file(const fs::path& folder_or_file, const char* file_name, const std::string& what);

// Throws unless `j` is an object whose "format" is `expected`, naming `origin` and what was
// found (a record without a format counts as "(none)").
void check_record_format(const json& j, const char* expected, const std::string& origin);

}  // namespace porkit
