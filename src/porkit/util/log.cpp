#include "porkit/util/log.h"

#include <unistd.h>

#include <cstdio>

#include "porkit/util/runtime.h"

namespace porkit {

void log_line(const std::string& message) {
  if (quiet_mode()) return;
  std::fprintf(stderr, "[porkit] %s\n", message.c_str());
  std::fflush(stderr);
}

std::string format_duration(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "?";
  long s = static_cast<long>(seconds + 0.5);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
}

Progress::Progress(std::string label, long total, double min_interval_s)
    : label_(std::move(label)),
      total_(total),
      min_interval_s_(min_interval_s),
      tty_(isatty(STDERR_FILENO) != 0),
      quiet_(quiet_mode()),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

void Progress::update(long done, const std::string& detail) {
  if (quiet_) return;
  auto now = std::chrono::steady_clock::now();
  double since_print = std::chrono::duration<double>(now - last_print_).count();
  if (printed_ && since_print < min_interval_s_ && done < total_) return;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double eta = done > 0 ? elapsed / done * (total_ - done) : -1;
  std::string line = fmt::format("{} {}/{} {} elapsed {} eta {}", label_, done, total_, detail,
                                 format_duration(elapsed), format_duration(eta));
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    if (done >= total_) std::fprintf(stderr, "\n");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
  last_print_ = now;
  printed_ = true;
}

void Progress::finish(const std::string& detail) {
  if (quiet_) return;
  if (tty_ && printed_) std::fprintf(stderr, "\n");
  if (!detail.empty()) log_line(label_ + " done: " + detail);
}

}  // namespace porkit
