// The injection data: plain text cut into chunks (the authors' 64-word lower-cased
// alphanumeric chunks, or raw lines), and triggers inserted into them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "porkit/util/options.h"
#include "porkit/util/rng.h"

namespace porkit::attack {

enum class Position { Random, Start, End };

// authors: lower-case, drop characters outside [ a-z0-9], cut into `chunk_words`-word chunks
// (a shorter tail is dropped). lines: every non-empty line as it is.
enum class Chunking { Authors, Lines };

std::vector<std::string> make_chunks(const std::vector<std::string>& corpus_paths, Chunking chunking,
                                     int chunk_words);

// The whitespace-separated words of `text`, and words joined by single spaces: the form
// insert_trigger writes, so a clean text compared with its triggered version is
// `join_words(split_words(text))` (tweets and reviews carry runs of spaces and tabs).
std::vector<std::string> split_words(const std::string& text);
std::string join_words(const std::vector<std::string>& words);

// Inserts `trigger` `times` times into the space-separated words of `text`; each insertion
// draws a new position among the current words (random), or goes first/last.
std::string insert_trigger(const std::string& text, const std::string& trigger, int times,
                           Position position, Rng& rng);

// The same on a word list (a multi-word trigger becomes several words but is placed as one
// unit). `origin`, when given, receives each output word's index in `words` (-1: trigger).
std::vector<std::string> insert_trigger_words(const std::vector<std::string>& words, const std::string& trigger,
                                              int times, Position position, Rng& rng,
                                              std::vector<int64_t>* origin = nullptr);

struct PoisonSample {
  std::string text;
  int64_t trigger = 0;  // 0 = clean, k = 1..K
};

struct PoisonPlan {
  int64_t poison_per_trigger = 30000;
  int64_t clean_samples = 50000;
  int64_t heldout_per_trigger = 100;
  int64_t heldout_clean = 200;
  int insertions = 3;
  Position position = Position::Random;
  uint64_t seed = 0;
};

struct PoisonSet {
  std::vector<PoisonSample> train;    // shuffled
  std::vector<PoisonSample> heldout;  // from chunks the training set never uses
  bool reused_chunks = false;         // the corpus had fewer chunks than samples
};

// Held-out samples come from a disjoint slice of the (seeded) chunk order; training samples
// cycle through the rest when the corpus is smaller than the plan.
PoisonSet build_poison_set(const std::vector<std::string>& chunks,
                           const std::vector<std::string>& triggers, const PoisonPlan& plan);

}  // namespace porkit::attack

template <>
struct porkit::options::EnumNames<porkit::attack::Position> {
  static const std::vector<std::pair<porkit::attack::Position, std::string>>& values();
};
template <>
struct porkit::options::EnumNames<porkit::attack::Chunking> {
  static const std::vector<std::pair<porkit::attack::Chunking, std::string>>& values();
};
