// ONION's scores kept in a file, so that ONION in front of a second victim on the same texts
// (the clean control, another attack on the same task, the next cell of a study) reuses
// them: a text's pseudo-perplexity depends on the scorer and the text alone, never on the
// victim. Scoring is almost all of ONION's time (one masked copy per token per word deleted).
//
// The file is JSON lines: a header naming the scorer, then one line per text:
//   {"format": "porkit-perplexity-cache/1", "lm_digest": "...", "max_len": 128, "device": "cpu"}
//   {"text": "a fine film", "perplexity": 412.7}
// The scorer is its weights' content digest, the token limit and the device type (a GPU's
// sums differ from the CPU's in the last digits). A file of another scorer is refused. New
// texts are appended with one write per call of the scorer, so processes sharing the file
// (ranks of a study) do not interleave lines; a last line cut short by a kill is skipped.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>

#include "porkit/defend/onion.h"

namespace porkit::defend {

struct ScorerKey {
  std::string lm_digest;  // io::model_digest of the scorer's folder
  int max_len = 0;        // texts are cut at this many tokens before scoring
  std::string device;     // "cpu" or "cuda"
};

class PerplexityCache {
 public:
  // Reads what `file` holds; a missing file is created at once, with its folder and header,
  // and starts empty. Throws when the file is another scorer's or not a cache, or cannot be
  // created.
  PerplexityCache(std::filesystem::path file, ScorerKey key);

  // `score`, answering every text the file has from the file; the others (each once) go to
  // `score` in one call and are appended. The cache must outlive the returned function.
  Perplexity wrap(Perplexity score);

  size_t size() const { return known_.size(); }
  int64_t hits() const { return hits_; }
  int64_t misses() const { return misses_; }

 private:
  void append(const std::vector<std::string>& texts, const std::vector<double>& perplexities);

  std::filesystem::path file_;
  ScorerKey key_;
  std::unordered_map<std::string, double> known_;
  int64_t hits_ = 0, misses_ = 0;
};

}  // namespace porkit::defend
