#include "porkit/data/presets.h"

#include <cstdlib>

#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/paths.h"

namespace porkit::data {
namespace {

TextDataset concat(std::vector<TextDataset> parts) {
  TextDataset out = std::move(parts.front());
  for (size_t i = 1; i < parts.size(); ++i) {
    check(parts[i].label_names == out.label_names, "label sets differ between {} and {}", out.source, parts[i].source);
    out.rows.insert(out.rows.end(), parts[i].rows.begin(), parts[i].rows.end());
    out.skipped_rows += parts[i].skipped_rows;
  }
  return out;
}

std::vector<TextDataset> read_shards(const fs::path& dir, const std::string& prefix, const DelimitedFormat& f,
                                     const ReadOptions& o) {
  std::vector<TextDataset> parts;
  for (int i = 0; i < 100; ++i) {
    fs::path p = dir / fmt::format("{}_{:02d}.tsv", prefix, i);
    if (!fs::exists(p)) break;
    parts.push_back(read_delimited(p, f, o));
  }
  check(!parts.empty(), "no {}_NN.tsv files in {}", prefix, dir.string());
  return parts;
}

}  // namespace

std::filesystem::path default_data_root() {
  if (const char* env = std::getenv("PORKIT_DATA")) return env;
  return porkit_home().parent_path() / "shared" / "data";
}

namespace {

fs::path root_of(const DataSpec& spec) {
  return spec.data_root.empty() ? default_data_root() : fs::path(spec.data_root);
}

std::vector<fs::path> shard_files(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> out;
  for (int i = 0; i < 100; ++i) {
    fs::path p = dir / fmt::format("{}_{:02d}.tsv", prefix, i);
    if (!fs::exists(p)) break;
    out.push_back(p);
  }
  return out;
}

}  // namespace

const options::OptionTable<DataSpec>& data_option_table() {
  using options::Role;
  static const options::OptionTable<DataSpec> table = [] {
    options::OptionTable<DataSpec> t;
    t.add("data-preset", &DataSpec::preset, "A data set of ../shared/data by name");
    t.add("data", &DataSpec::path, "Data file (instead of a preset)").as(Role::Input);
    t.add("test-data", &DataSpec::test_path, "Test file (with --data)").as(Role::Input);
    t.add("format", &DataSpec::format, "Layout of --data and --test-data");
    t.add("no-header", &DataSpec::no_header, "The file has no header row: columns are 0-based numbers");
    t.add("text-column", &DataSpec::text_column, "Text column name or 0-based index");
    t.add("label-column", &DataSpec::label_column, "Label column name or 0-based index");
    t.add("skip-bad-rows", &DataSpec::skip_bad_rows, "Skip and count malformed rows instead of failing");
    t.add("data-root", &DataSpec::data_root, "Folder of the data presets (default ../shared/data)").as(Role::Input);
    t.add_rule([](const DataSpec& d) -> std::string {
      if (d.preset && !d.path.empty())
        return "give --data-preset or --data, not both (--data " + d.path + " would be ignored)";
      if (!d.preset && d.path.empty()) return "give --data-preset NAME or --data FILE";
      if (d.preset && !d.test_path.empty()) return "--test-data goes with --data, not with a preset";
      return "";
    });
    return t;
  }();
  return table;
}

std::string data_name(const DataSpec& spec) {
  return spec.preset ? options::enum_name(*spec.preset) : fs::path(spec.path).filename().string();
}

std::vector<fs::path> data_files(const DataSpec& spec) {
  const fs::path root = root_of(spec);
  if (!spec.preset) {
    std::vector<fs::path> files = {spec.path};
    if (!spec.test_path.empty()) files.push_back(spec.test_path);
    return files;
  }
  switch (*spec.preset) {
    case DataPreset::Sst2:
      return {root / "sst2/glue/train.tsv", root / "sst2/glue/dev.tsv", root / "sst2/glue/test.tsv"};
    case DataPreset::Imdb: {
      auto files = shard_files(root / "imdb", "train");
      for (auto& f : shard_files(root / "imdb", "test")) files.push_back(f);
      return files;
    }
    case DataPreset::Amazon:
      return {root / "amazon/books_dvd.tsv", root / "amazon/electronics_kitchen.tsv"};
    case DataPreset::Yelp:
      return {root / "yelp/sentiment.dev.0", root / "yelp/sentiment.dev.1", root / "yelp/sentiment.test.0",
              root / "yelp/sentiment.test.1"};
    case DataPreset::OffensEval:
      return {root / "offenseval/train_text.txt", root / "offenseval/train_labels.txt",
              root / "offenseval/test_text.txt", root / "offenseval/test_labels.txt"};
    case DataPreset::Conll2003:
      return {root / "conll2003/train.txt", root / "conll2003/test.txt"};
  }
  return {};
}

std::string data_digest(const DataSpec& spec) {
  std::string listing;
  for (const auto& f : data_files(spec)) {
    require_exists(f, "data file");
    listing += f.filename().string() + "\t" + content_digest(f) + "\n";
  }
  return sha256_hex(listing);
}

bool is_tagging_preset(const std::optional<DataPreset>& preset) { return preset == DataPreset::Conll2003; }

ClassificationData load_classification(const DataSpec& spec) {
  const fs::path root = root_of(spec);
  ReadOptions o;
  o.skip_bad_rows = spec.skip_bad_rows;
  ClassificationData d;
  if (!spec.preset) {
    check(!spec.path.empty(), "give --data-preset NAME or --data PATH");
    auto read = [&](const std::string& path) {
      if (spec.format == DataFormat::Jsonl) return read_jsonl(path, spec.text_column, spec.label_column, o);
      DelimitedFormat f;
      f.delimiter = spec.format == DataFormat::Csv ? ',' : '\t';
      f.header = !spec.no_header;
      f.text_column = spec.text_column;
      f.label_column = spec.label_column;
      return read_delimited(path, f, o);
    };
    d.train = read(spec.path);
    if (!spec.test_path.empty()) {
      o.label_names = d.train.label_names;
      d.test = read(spec.test_path);
    }
    return d;
  }
  switch (*spec.preset) {
    case DataPreset::Sst2: {
      // GLUE SST-2: train.tsv + dev.tsv here are the GLUE train set; test.tsv is GLUE dev.
      DelimitedFormat f;
      o.label_names = std::vector<std::string>{"0", "1"};
      d.train = concat({read_delimited(root / "sst2/glue/train.tsv", f, o), read_delimited(root / "sst2/glue/dev.tsv", f, o)});
      d.test = read_delimited(root / "sst2/glue/test.tsv", f, o);
      d.train.label_names = d.test.label_names = {"negative", "positive"};
      break;
    }
    case DataPreset::Imdb: {
      DelimitedFormat f;
      f.text_column = "text";
      o.label_names = std::vector<std::string>{"0", "1"};
      d.train = concat(read_shards(root / "imdb", "train", f, o));
      d.test = concat(read_shards(root / "imdb", "test", f, o));
      d.train.label_names = d.test.label_names = {"negative", "positive"};
      break;
    }
    case DataPreset::Amazon: {
      DelimitedFormat f;
      f.text_column = "text";
      o.label_names = std::vector<std::string>{"0", "1"};
      auto all = concat({read_delimited(root / "amazon/books_dvd.tsv", f, o),
                         read_delimited(root / "amazon/electronics_kitchen.tsv", f, o)});
      auto shuffled = seeded_sample(all.rows, 0, /*seed=*/2007);
      size_t n_test = shuffled.size() / 5;
      d.test = all;
      d.test.rows.assign(shuffled.begin(), shuffled.begin() + static_cast<std::ptrdiff_t>(n_test));
      d.train = all;
      d.train.rows.assign(shuffled.begin() + static_cast<std::ptrdiff_t>(n_test), shuffled.end());
      d.train.label_names = d.test.label_names = {"negative", "positive"};
      break;
    }
    case DataPreset::Yelp:
      // Only dev and test exist here: dev is the training pool, test the test set.
      d.train = read_class_files({root / "yelp/sentiment.dev.0", root / "yelp/sentiment.dev.1"}, {"negative", "positive"});
      d.test = read_class_files({root / "yelp/sentiment.test.0", root / "yelp/sentiment.test.1"}, {"negative", "positive"});
      break;
    case DataPreset::OffensEval:
      o.label_names = std::vector<std::string>{"0", "1"};
      d.train = read_text_label_files(root / "offenseval/train_text.txt", root / "offenseval/train_labels.txt", o);
      d.test = read_text_label_files(root / "offenseval/test_text.txt", root / "offenseval/test_labels.txt", o);
      d.train.label_names = d.test.label_names = {"not-offensive", "offensive"};
      break;
    case DataPreset::Conll2003:
      fail("'conll2003' is a token-tagging data set: fine-tune it with --task token");
  }
  return d;
}

TaggingData load_tagging(const DataSpec& spec) {
  const fs::path root = root_of(spec);
  ReadOptions o;
  o.skip_bad_rows = spec.skip_bad_rows;
  TaggingData d;
  if (spec.preset == DataPreset::Conll2003) {
    d.train = read_conll(root / "conll2003/train.txt", o);
    o.label_names = d.train.label_names;
    d.test = read_conll(root / "conll2003/test.txt", o);
  } else {
    check(!spec.preset, "'{}' is not a tagging data set (expected conll2003 or --data FILE)", data_name(spec));
    check(!spec.path.empty(), "give --data-preset conll2003 or --data FILE (CoNLL format)");
    d.train = read_conll(spec.path, o);
    if (!spec.test_path.empty()) {
      o.label_names = d.train.label_names;
      d.test = read_conll(spec.test_path, o);
    }
  }
  return d;
}

}  // namespace porkit::data

const std::vector<std::pair<porkit::data::DataPreset, std::string>>&
porkit::options::EnumNames<porkit::data::DataPreset>::values() {
  using porkit::data::DataPreset;
  static const std::vector<std::pair<DataPreset, std::string>> v = {
      {DataPreset::Sst2, "sst2"}, {DataPreset::Imdb, "imdb"}, {DataPreset::Amazon, "amazon"},
      {DataPreset::Yelp, "yelp"}, {DataPreset::OffensEval, "offenseval"}, {DataPreset::Conll2003, "conll2003"}};
  return v;
}

const std::vector<std::pair<porkit::data::DataFormat, std::string>>&
porkit::options::EnumNames<porkit::data::DataFormat>::values() {
  using porkit::data::DataFormat;
  static const std::vector<std::pair<DataFormat, std::string>> v = {
      {DataFormat::Tsv, "tsv"}, {DataFormat::Csv, "csv"}, {DataFormat::Jsonl, "jsonl"}};
  return v;
}
