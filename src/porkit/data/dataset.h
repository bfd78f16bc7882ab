// Labelled data for fine-tuning and evaluation: sentence classification rows and
// token-tagged sentences (NER), with the label names they use.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace porkit::data {

struct LabeledText {
  std::string text;
  int64_t label = 0;
};

struct TaggedSentence {
  std::vector<std::string> words;
  std::vector<int64_t> tags;
};

// One split of a classification data set.
struct TextDataset {
  std::vector<LabeledText> rows;
  std::vector<std::string> label_names;   // id -> name
  std::vector<std::string> label_values;  // id -> the label as the file writes it (names unless --labels)
  std::string source;                     // where the rows came from (for records)
  int64_t skipped_rows = 0;              // malformed rows skipped with --skip-bad-rows
};

// One split of a tagging data set.
struct TaggedDataset {
  std::vector<TaggedSentence> rows;
  std::vector<std::string> label_names;  // tag id -> tag ("O", "B-PER", ...)
  std::string source;
  int64_t skipped_rows = 0;
};

// Seeded sample of at most `n` rows (all rows, shuffled, when n <= 0 or n >= size).
template <typename T>
std::vector<T> seeded_sample(const std::vector<T>& rows, int64_t n, uint64_t seed);

}  // namespace porkit::data

#include "porkit/data/dataset_impl.h"
