// Where the data sets of ../shared/data are and how to read them, by name, plus the plain
// path for anything else.
#pragma once
#include <filesystem>
#include <string>

#include "porkit/data/readers.h"

namespace porkit::data {

// How to find a classification data set: a preset name, or a file with a format.
struct DataSpec {
  std::string preset;          // sst2, imdb, amazon, yelp, offenseval (conll2003: tagging)
  std::string path;            // training file (when no preset)
  std::string test_path;       // optional test file (when no preset)
  std::string format = "tsv";  // tsv, csv, jsonl
  bool header = true;
  std::string text_column = "sentence";
  std::string label_column = "label";
  bool skip_bad_rows = false;
};

struct ClassificationData {
  TextDataset train;
  TextDataset test;  // empty rows when the data set has no test split
};

struct TaggingData {
  TaggedDataset train;
  TaggedDataset test;
};

// ../shared/data next to the repository, or $PORKIT_DATA.
std::filesystem::path default_data_root();

// Reads a classification data set. Presets with no test split (amazon) are split 80/20 with
// a fixed seed, so every run sees the same test rows.
ClassificationData load_classification(const DataSpec& spec, const std::filesystem::path& data_root);

// CoNLL-2003 (preset "conll2003") or a CoNLL file.
TaggingData load_tagging(const DataSpec& spec, const std::filesystem::path& data_root);

bool is_tagging_preset(const std::string& preset);

}  // namespace porkit::data
