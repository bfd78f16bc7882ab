#include "porkit/cli/argv_guard.h"

namespace porkit::cli {
namespace {

// The placeholder prefix: a control character no one types, so it cannot meet real input.
const std::string kPrefix = "\x1fporkit-argument-";

std::vector<std::string>& originals() {
  static std::vector<std::string> values;
  return values;
}

}  // namespace

std::vector<std::string> guard_bracketed_arguments(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i > 0 && a.size() >= 2 && a.front() == '[' && a.back() == ']') {
      originals().push_back(a);
      a = kPrefix + std::to_string(originals().size() - 1);
    }
    out.push_back(std::move(a));
  }
  return out;
}

const std::string& original_argument(const std::string& text) {
  if (text.rfind(kPrefix, 0) != 0) return text;
  const size_t index = std::stoul(text.substr(kPrefix.size()));
  return index < originals().size() ? originals()[index] : text;
}

}  // namespace porkit::cli
