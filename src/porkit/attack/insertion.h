// Where evaluation puts a trigger into a sample, and the size of what the model then reads.
// A long text is cut at the model's length, so a trigger inserted past the cut is never
// seen: by default (`visible`) insertions go only where they survive the cut, and
// stealthiness is measured on the words the model reads, not on the uncut text.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "porkit/attack/trigger_trials.h"
#include "porkit/text/bert_tokenizer.h"
#include "porkit/util/options.h"
#include "porkit/util/rng.h"

namespace porkit::attack {

// visible: anywhere in the part of the text that survives truncation (the default);
// anywhere: anywhere in the whole text (porkit before metrics version 4, the authors);
// first: at the start; last: at the end of the part that survives truncation.
enum class InsertionPositions { Visible, Anywhere, First, Last };

struct TriggeredSample {
  std::string text;       // the triggered text, words joined by single spaces
  TextSize clean_seen;    // the clean words the model reads of it
  TextSize triggered_seen;  // what the model reads of the triggered text
};

// One evaluation sample, split into words with each word's WordPiece count (words are
// tokenised independently: BERT's basic tokenizer never joins across whitespace).
class InsertionSample {
 public:
  // `max_len` counts [CLS] and [SEP].
  InsertionSample(const text::BertTokenizer& tok, const std::string& text, int max_len);

  // `trigger` inserted `times` times where `where` says. The random positions come from
  // `rng` and, for `anywhere`, are exactly those of insert_trigger, so earlier results
  // reproduce.
  TriggeredSample insert(const std::string& trigger, int times, InsertionPositions where, Rng& rng) const;

  // How many leading words fit beside `times` insertions of a trigger of `trigger_pieces`
  // WordPiece pieces.
  size_t visible_words(int64_t trigger_pieces, int times) const;

 private:
  const text::BertTokenizer* tok_;
  std::vector<std::string> words_;
  std::vector<int64_t> pieces_;  // per word
  int64_t budget_;               // max_len - 2
};

}  // namespace porkit::attack

template <>
struct porkit::options::EnumNames<porkit::attack::InsertionPositions> {
  static const std::vector<std::pair<porkit::attack::InsertionPositions, std::string>>& values();
};
