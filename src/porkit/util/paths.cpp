#include "porkit/util/paths.h"

#include <cstdlib>

namespace porkit {

std::filesystem::path porkit_home() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("PORKIT_HOME")) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
      if (fs::exists(dir / "recipes") && fs::exists(dir / "src" / "porkit")) return dir;
    }
  }
  return fs::current_path();
}

}  // namespace porkit
