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
enum class DataFormat { Tsv, Csv, Jsonl };

// How to find a data set: a preset name, or a file with a format.
struct DataSpec {
  std::optional<DataPreset> preset;   // sst2, imdb, amazon, yelp, offenseval (conll2003: tagging)
  std::string path;                   // training file (when no preset)
  std::string test_path;              // optional test file (when no preset)
  DataFormat format = DataFormat::Tsv;
  bool no_header = false;             // the file's first row is data
  std::string text_column = "sentence";
  std::string label_column = "label";
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
