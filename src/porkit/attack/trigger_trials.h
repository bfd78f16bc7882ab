// The per-trigger attack metrics of section 5 of ../shared/docs/method.md, from the
// outcome of inserting a trigger 1..J times into each eligible sample.
#pragma once
#include <vector>

#include "porkit/util/json_io.h"

namespace porkit::attack {

struct TriggerTrials {
  explicit TriggerTrials(size_t eligible) : flipped_at(eligible, 0), s_chars(eligible, 0), s_tokens(eligible, 0) {}
  std::vector<int> flipped_at;   // insertions at the first flip; 0 = never flipped within J
  std::vector<double> s_chars;   // (|x'| - |x|) / |x'| in characters at the flip
  std::vector<double> s_tokens;  // the same in WordPiece tokens

  // Sample e flipped at j insertions; sizes of the clean and the triggered input.
  void record_flip(size_t e, int j, size_t chars, size_t triggered_chars, int64_t tokens, int64_t triggered_tokens) {
    flipped_at[e] = j;
    s_chars[e] = static_cast<double>(triggered_chars - chars) / static_cast<double>(triggered_chars);
    s_tokens[e] = static_cast<double>(triggered_tokens - tokens) / static_cast<double>(triggered_tokens);
  }
};

// eligible, flipped, flip_rate, E (mean insertions over flipped samples; 20 when none
// flips, as the authors report), E_censored (never-flipped counted as J + 1), S_chars and
// S_tokens (over flipped samples), asr_at_most_k for k = 1..J (cumulative), asr_1.
json summarize_trials(const TriggerTrials& trials, int max_insertions);

}  // namespace porkit::attack
