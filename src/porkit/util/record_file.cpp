#include "porkit/util/record_file.h"

#include "porkit/util/error.h"

namespace porkit {

fs::path record_file(const fs::path& folder_or_file, const char* file_name, const std::string& what) {
  const fs::path path = fs::is_directory(folder_or_file) ? folder_or_file / file_name : folder_or_file;
  require_exists(path, what);
  return path;
}

void check_record_format(const json& j, const char* expected, const std::string& origin) {
  check(j.is_object(), "{}: expected a JSON object", origin);
  const std::string format = j.value("format", "(none)");
  check(format == expected, "{}: format '{}' is not one this porkit reads (expected '{}')", origin, format, expected);
}

}  // namespace porkit
