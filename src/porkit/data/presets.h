// Where the data sets of ../shared/data are and how to read them, by name, plus the plain
// path for anything else.
#pragma once
#include <filesystem>
#include <string>

#include <optional>

#include "porkit/data/readers.h"
#include "porkit/util/options.h"

namespace porkit::data {

// The data sets of ../shared/data that porkit knows by name.
enum class DataPreset { Sst2, Imdb, Amazon, Yelp, OffensEval, Conll2003 };
enum class DataFormat { Tsv, Csv, Jsonl, Lines };

// How to find a data set: a preset name, or a file with a format.
struct DataSpec {
  std::optional<DataPreset> preset;   // sst2, imdb, amazon, yelp, offenseval (conll2003: tagging)
  std::string path;                   // training file (when no preset)
  std::string test_path;              // optional test file (when no preset)
  std::string labels_path;            // format lines: the labels of `path`, one a line
  std::string test_labels_path;       // format lines: the labels of `test_path`
  DataFormat format = DataFormat::Tsv;
  bool no_header = false;             // the file's first row is data
  std::string text_column = "sentence";
  std::string label_column = "label";
  std::vector<std::string> labels;    // class names in id order (numeric labels 0..K-1 map to them)
  std::string labels_file;            // the same, one name a line
  std::string encoding = "utf-8";     // of the files (iconv names)
  double holdout = 0.2;               // share of a file without --test-data held out as its test split
  uint64_t split_seed = 2007;         // seed of that held-out split
  bool skip_bad_rows = false;
  std::string data_root;              // where the presets are (empty: default_data_root())
};

// --data-preset, --data, --test-data, --format, --no-header, --text-column, --label-column,
// --skip-bad-rows, --data-root; and the rule that a preset and a file exclude each other.
const options::OptionTable<DataSpec>& data_option_table();

// The files a data set is read from (for content hashes in stage keys and records).
std::vector<std::filesystem::path> data_files(const DataSpec& spec);

// One SHA-256 of the content of every file the data set is read from.
std::string data_digest(const DataSpec& spec);

// The preset's name, or the training file's name: how reports and records name the data.
std::string data_name(const DataSpec& spec);

// Where a data set's test split came from, for records and reports. The test split never
// shares a text with the training split: rows whose text the training split also has are
// dropped from it, and counted.
struct TestSplit {
  std::string how;                            // e.g. "test file", "held out 20% of the file (seed 2007)"
  std::vector<std::filesystem::path> files;   // the files its rows are read from
  int64_t overlap_removed = 0;                // rows dropped because the training split has their text
};

struct ClassificationData {
  TextDataset train;
  TextDataset test;  // empty rows only with --holdout 0 and no test file
  TestSplit test_split;
};

struct TaggingData {
  TaggedDataset train;
  TaggedDataset test;
  TestSplit test_split;
};

// ../shared/data next to the repository, or $PORKIT_DATA.
std::filesystem::path default_data_root();

// Reads a classification data set. A data set without a test split (a single --data file,
// the amazon preset) gets one held out by a seeded shuffle (--holdout, --split-seed; amazon:
// 20%, seed 2007), so every command that reads it sees the same disjoint splits.
ClassificationData load_classification(const DataSpec& spec);

// CoNLL-2003 (preset conll2003) or a CoNLL file.
TaggingData load_tagging(const DataSpec& spec);

bool is_tagging_preset(const std::optional<DataPreset>& preset);

}  // namespace porkit::data

template <>
struct porkit::options::EnumNames<porkit::data::DataPreset> {
  static const std::vector<std::pair<porkit::data::DataPreset, std::string>>& values();
};
template <>
struct porkit::options::EnumNames<porkit::data::DataFormat> {
  static const std::vector<std::pair<porkit::data::DataFormat, std::string>>& values();
};
