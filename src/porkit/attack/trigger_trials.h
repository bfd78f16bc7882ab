// The per-trigger attack metrics of section 5 of ../shared/docs/method.md, from the
// outcome of inserting a trigger 1..J times into each eligible sample.
#pragma once
#include <string>
#include <vector>

#include "porkit/attack/results.h"
#include "porkit/text/bert_tokenizer.h"
#include "porkit/util/json_io.h"

namespace porkit::attack {

// The size of an input as stealthiness measures it: characters, and WordPiece pieces
// without [CLS]/[SEP] and without truncation (S is a property of the text, not of the
// model's window: a 300-token review truncated to 128 would otherwise show no insertion).
struct TextSize {
  double chars = 0, pieces = 0;
};
TextSize text_size(const text::BertTokenizer& tok, const std::string& text);

struct TriggerTrials {
  explicit TriggerTrials(size_t eligible) : flipped_at(eligible, 0), s_chars(eligible, 0), s_tokens(eligible, 0) {}
  std::vector<int> flipped_at;   // insertions at the first flip; 0 = never flipped within J
  std::vector<double> s_chars;   // (|x'| - |x|) / |x'| in characters at the flip
  std::vector<double> s_tokens;  // the same in WordPiece pieces

  // Sample e flipped at j insertions; sizes of the clean input (words joined by single
  // spaces, as the triggered one is) and of the triggered input.
  void record_flip(size_t e, int j, const TextSize& clean, const TextSize& triggered) {
    flipped_at[e] = j;
    s_chars[e] = (triggered.chars - clean.chars) / triggered.chars;
    s_tokens[e] = (triggered.pieces - clean.pieces) / triggered.pieces;
  }
};

// eligible, flipped, flip_rate, E (mean insertions over flipped samples; 20 when none
// flips, as the authors report), E_censored (never-flipped counted as J + 1), S_chars and
// S_tokens (over flipped samples), asr_at_most_k for k = 1..J (cumulative), asr_1. The
// caller sets the trigger, its target and any task-specific fields.
TriggerResult summarize_trials(const TriggerTrials& trials, int max_insertions);

}  // namespace porkit::attack
