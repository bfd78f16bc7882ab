#include "porkit/defend/perplexity_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <unordered_set>

#include "porkit/util/error.h"
#include "porkit/util/json_io.h"

namespace porkit::defend {
namespace {

constexpr const char* kFormat = "porkit-perplexity-cache/1";

json header_of(const ScorerKey& k) {
  return {{"format", kFormat}, {"lm_digest", k.lm_digest}, {"max_len", k.max_len}, {"device", k.device}};
}

// Appends `bytes` with one write(2) on an O_APPEND descriptor: another process appending to
// the same file lands before or after it, never inside it.
void append_bytes(const std::filesystem::path& file, const std::string& bytes) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  check(fd >= 0, "cannot open the perplexity cache {} for appending: {}", file.string(), std::strerror(errno));
  const ssize_t written = ::write(fd, bytes.data(), bytes.size());
  const int write_errno = errno;
  ::close(fd);
  check(written == static_cast<ssize_t>(bytes.size()), "cannot append to the perplexity cache {}: {}", file.string(),
        written < 0 ? std::strerror(write_errno) : "short write");
}

}  // namespace

PerplexityCache::PerplexityCache(std::filesystem::path file, ScorerKey key) : file_(std::move(file)), key_(std::move(key)) {
  if (!std::filesystem::exists(file_)) {
    // Created now, folder and header, so that a place it cannot be written fails before the
    // scoring it would keep, not after.
    const std::filesystem::path folder = file_.parent_path();
    std::error_code error;
    if (!folder.empty()) std::filesystem::create_directories(folder, error);
    check(!error, "cannot create the folder {} of the perplexity cache: {}", folder.string(), error.message());
    append_bytes(file_, header_of(key_).dump() + "\n");
    return;
  }
  check(std::filesystem::is_regular_file(file_), "the perplexity cache {} is not a regular file", file_.string());
  std::ifstream in(file_);
  std::string line;
  check(static_cast<bool>(std::getline(in, line)), "the perplexity cache {} is empty (expected a {} header)",
        file_.string(), kFormat);
  const json header = json::parse(line, nullptr, /*allow_exceptions=*/false);
  check(header.is_object() && header.value("format", "") == kFormat, "{} is not a perplexity cache (expected a {} header)",
        file_.string(), kFormat);
  const json expected = header_of(key_);
  for (const char* field : {"lm_digest", "max_len", "device"})
    check(header.value(field, json()) == expected[field],
          "the perplexity cache {} holds another scorer's scores ({} {} there, {} here); give another file",
          file_.string(), field, header.value(field, json()).dump(), expected[field].dump());
  int64_t line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    const json entry = json::parse(line, nullptr, false);
    // A line cut short (a process killed mid-write) is skipped; its text is scored again.
    if (!entry.is_object() || !entry.contains("text") || !entry.contains("perplexity")) continue;
    const json& p = entry["perplexity"];
    check(p.is_null() || p.is_number(), "{} line {}: perplexity is not a number", file_.string(), line_number);
    known_[entry["text"].get<std::string>()] = p.is_null() ? std::numeric_limits<double>::quiet_NaN() : p.get<double>();
  }
}

void PerplexityCache::append(const std::vector<std::string>& texts, const std::vector<double>& perplexities) {
  std::string bytes;
  if (!std::filesystem::exists(file_)) bytes = header_of(key_).dump() + "\n";
  for (size_t i = 0; i < texts.size(); ++i) {
    const json p = std::isfinite(perplexities[i]) ? json(perplexities[i]) : json(nullptr);  // NaN: an empty text
    bytes += json{{"text", texts[i]}, {"perplexity", p}}.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  }
  append_bytes(file_, bytes);
}

Perplexity PerplexityCache::wrap(Perplexity score) {
  return [this, score = std::move(score)](const std::vector<std::string>& texts) {
    std::vector<std::string> missing;  // each text the file lacks, once
    std::unordered_set<std::string> asked;
    for (const auto& t : texts)
      if (!known_.count(t) && asked.insert(t).second) missing.push_back(t);
    hits_ += static_cast<int64_t>(texts.size() - missing.size());
    misses_ += static_cast<int64_t>(missing.size());
    if (!missing.empty()) {
      const std::vector<double> scored = score(missing);
      check(scored.size() == missing.size(), "the scorer returned {} perplexities for {} texts", scored.size(),
            missing.size());
      append(missing, scored);
      for (size_t i = 0; i < missing.size(); ++i) known_[missing[i]] = scored[i];
    }
    std::vector<double> out;
    out.reserve(texts.size());
    for (const auto& t : texts) out.push_back(known_.at(t));
    return out;
  };
}

}  // namespace porkit::defend
