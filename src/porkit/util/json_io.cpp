#include "porkit/util/json_io.h"

#include <fstream>

#include "porkit/util/error.h"

namespace porkit {

json read_json_file(const fs::path& path) {
  std::string text = read_file(path);
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    fail("{} is not valid JSON (byte {}): {}", path.string(), e.byte, e.what());
  }
}

void write_json_file(const fs::path& path, const json& value) {
  write_file_atomic(path, value.dump(2) + "\n");
}

void append_json_line(const fs::path& path, const json& value) {
  std::ofstream out(path, std::ios::app);
  if (!out) fail("cannot append to {}", path.string());
  out << value.dump() << '\n';
  out.flush();
}

}  // namespace porkit
