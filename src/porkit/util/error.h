// porkit::Error: the one exception type porkit throws for bad input or misuse.
// Messages are one line: what was expected, what was found, and where.
// The CLI catches it once in main and prints "porkit: error: <message>".
#pragma once
#include <fmt/format.h>
#include <stdexcept>
#include <string>

namespace porkit {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Throws porkit::Error with a fmt-formatted message when `cond` is false.
// Example: check(n > 0, "expected a positive batch size, got {}", n);
template <typename... Args>
inline void check(bool cond, fmt::format_string<Args...> format, Args&&... args) {
  if (!cond) throw Error(fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
[[noreturn]] inline void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace porkit
