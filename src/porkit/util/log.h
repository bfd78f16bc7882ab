// Logging to stderr with a fixed prefix, and a progress line that redraws on a terminal
// and prints plain, greppable lines otherwise (CI logs, files).
#pragma once
#include <fmt/format.h>

#include <chrono>
#include <string>

namespace porkit {

void log_line(const std::string& message);

template <typename... Args>
void log_info(fmt::format_string<Args...> format, Args&&... args) {
  log_line(fmt::format(format, std::forward<Args>(args)...));
}

// Progress of a loop with a known number of steps. `update` prints at most every
// `min_interval_s` seconds (always on the last step), with rate and ETA.
class Progress {
 public:
  Progress(std::string label, long total, double min_interval_s = 2.0);
  void update(long done, const std::string& detail = "");
  void finish(const std::string& detail = "");

 private:
  std::string label_;
  long total_;
  double min_interval_s_;
  bool tty_;
  bool quiet_;
  std::chrono::steady_clock::time_point start_, last_print_;
  bool printed_ = false;
};

std::string format_duration(double seconds);

}  // namespace porkit
