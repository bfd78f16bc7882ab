#include "porkit/util/options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace porkit::options {

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string join_first(const std::vector<std::string>& items, size_t count, const std::string& separator) {
  if (items.size() <= count) return join(items, separator);
  const std::vector<std::string> first(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(count));
  return join(first, separator) + separator + "... (" + std::to_string(items.size()) + " in all)";
}

bool parse_bool(const std::string& text, const std::string& what) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  fail("{}: expected true or false, got '{}'", what, text);
}

int64_t parse_integer(const std::string& text, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  const long long v = text.empty() ? 0 : std::strtoll(text.c_str(), &end, 10);
  check(!text.empty() && end == text.c_str() + text.size() && text.find_first_of(" \t") == std::string::npos,
        "{}: expected a whole number, got '{}'", what, text);
  check(errno != ERANGE, "{}: {} is out of range", what, text);
  return v;
}

uint64_t parse_unsigned(const std::string& text, const std::string& what) {
  check(!text.empty() && text[0] != '-' && text[0] != '+' && text.find_first_of(" \t") == std::string::npos,
        "{}: expected a whole number from 0 to {}, got '{}'", what, UINT64_MAX, text);
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  check(end == text.c_str() + text.size(), "{}: expected a whole number from 0 to {}, got '{}'", what, UINT64_MAX,
        text);
  check(errno != ERANGE, "{}: {} is out of range (at most {})", what, text, UINT64_MAX);
  return v;
}

double parse_real(const std::string& text, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  const double v = text.empty() ? 0 : std::strtod(text.c_str(), &end);
  check(!text.empty() && end == text.c_str() + text.size() && text.find_first_of(" \t") == std::string::npos,
        "{}: expected a number, got '{}'", what, text);
  check(std::isfinite(v), "{}: expected a finite number, got '{}'", what, text);
  return v;
}

namespace detail {

std::string range_words(Kind kind, std::optional<double> min, bool min_open, std::optional<double> max) {
  const std::string noun = kind == Kind::Real ? "a number" : "a whole number";
  auto num = [](double v) { return fmt::format("{}", v); };
  if (min && max) {
    if (min_open) return fmt::format("{} above {} and at most {}", noun, num(*min), num(*max));
    return fmt::format("{} from {} to {}", noun, num(*min), num(*max));
  }
  if (min) return fmt::format("{} {} {}", noun, min_open ? "above" : "of at least", num(*min));
  if (max) return fmt::format("{} of at most {}", noun, num(*max));
  return noun;
}

json json_number_checked(const json& value, const std::string& what, Kind kind) {
  check(value.is_number(), "{}: expected a number, got {}", what, value.dump());
  check(std::isfinite(value.get<double>()), "{}: expected a finite number, got {}", what, value.dump());
  (void)kind;
  return value;
}

}  // namespace detail

}  // namespace porkit::options
