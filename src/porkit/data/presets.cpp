#include "porkit/data/presets.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <unordered_set>

#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/log.h"
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

template <typename Row>
std::pair<std::vector<Row>, std::vector<Row>> hold_out(const std::vector<Row>& rows, double fraction, uint64_t seed) {
  auto shuffled = seeded_sample(rows, 0, seed);
  const size_t n_test = static_cast<size_t>(static_cast<double>(shuffled.size()) * fraction + 1e-9);
  std::vector<Row> test(shuffled.begin(), shuffled.begin() + static_cast<std::ptrdiff_t>(n_test));
  std::vector<Row> train(shuffled.begin() + static_cast<std::ptrdiff_t>(n_test), shuffled.end());
  return {std::move(train), std::move(test)};
}

std::string text_key(const LabeledText& r) { return r.text; }
std::string text_key(const TaggedSentence& r) {
  std::string key;
  for (const auto& w : r.words) key += w + ' ';
  return key;
}

// Drops test rows whose text the training split has; returns how many.
template <typename Row>
int64_t drop_overlap(const std::vector<Row>& train, std::vector<Row>& test, const std::string& name) {
  std::unordered_set<std::string> seen;
  for (const auto& r : train) seen.insert(text_key(r));
  const size_t before = test.size();
  test.erase(std::remove_if(test.begin(), test.end(), [&](const Row& r) { return seen.count(text_key(r)) > 0; }),
             test.end());
  const auto removed = static_cast<int64_t>(before - test.size());
  if (removed > 0)
    log_info("data: {} of {} test rows of {} have a text the training split also has; they are left out of the "
             "test split",
             removed, before, name);
  return removed;
}

std::string percent(double fraction) { return fmt::format("{:g}%", fraction * 100); }

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
    t.add("data-labels", &DataSpec::labels_path, "Labels of --data, one a line (--format lines)").as(Role::Input);
    t.add("test-data-labels", &DataSpec::test_labels_path, "Labels of --test-data, one a line (--format lines)")
        .as(Role::Input);
    t.add("format", &DataSpec::format,
          "Layout of --data and --test-data: tsv, csv (RFC 4180 quoting), jsonl, lines (texts and --data-labels)");
    t.add("no-header", &DataSpec::no_header, "The file has no header row: columns are 0-based numbers");
    t.add("text-column", &DataSpec::text_column, "Text column (or JSON key) name, or 0-based index");
    t.add("label-column", &DataSpec::label_column, "Label column (or JSON key) name, or 0-based index");
    t.add("labels", &DataSpec::labels, "Class names in id order, comma-separated; whole-number labels 0..K-1 map to them")
        .separated_by(',');
    t.add("labels-file", &DataSpec::labels_file, "Class names in id order, one a line or \"ID<TAB>name\" (TweetEval mapping.txt)")
        .as(Role::Input);
    t.add("encoding", &DataSpec::encoding, "Encoding of the data files (iconv names: latin1, cp1252, utf-16, ...)");
    t.add("holdout", &DataSpec::holdout, "Share of a --data file without --test-data held out as its test split")
        .range(0, 0.9);
    t.add("split-seed", &DataSpec::split_seed, "Seed of the held-out split");
    t.add("skip-bad-rows", &DataSpec::skip_bad_rows, "Skip and count malformed rows instead of failing");
    t.add("data-root", &DataSpec::data_root, "Folder of the data presets (default ../shared/data)").as(Role::Input);
    t.add_rule([](const DataSpec& d) -> std::string {
      if (d.preset && !d.path.empty())
        return "give --data-preset or --data, not both (--data " + d.path + " would be ignored)";
      if (!d.preset && d.path.empty()) return "give --data-preset NAME or --data FILE";
      if (d.preset && !d.test_path.empty()) return "--test-data goes with --data, not with a preset";
      const bool lines = d.format == DataFormat::Lines;
      if (lines && d.labels_path.empty() && !d.path.empty())
        return "--format lines reads texts from --data and their labels from --data-labels FILE";
      if (!lines && !d.labels_path.empty()) return "--data-labels goes with --format lines";
      if (lines && !d.test_path.empty() && d.test_labels_path.empty())
        return "--format lines needs --test-data-labels FILE beside --test-data";
      if (d.test_path.empty() && !d.test_labels_path.empty()) return "--test-data-labels goes with --test-data";
      if (!d.labels.empty() && !d.labels_file.empty()) return "give --labels or --labels-file, not both";
      if (d.labels.size() == 1) return "--labels names every class (at least two), comma-separated";
      for (size_t i = 0; i < d.labels.size(); ++i)
        for (size_t j = 0; j < i; ++j)
          if (d.labels[i] == d.labels[j]) return "--labels names '" + d.labels[i] + "' twice";
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
    for (const auto* f : {&spec.labels_path, &spec.test_path, &spec.test_labels_path, &spec.labels_file})
      if (!f->empty()) files.push_back(*f);
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

namespace {

ReadOptions read_options(const DataSpec& spec) {
  ReadOptions o;
  o.skip_bad_rows = spec.skip_bad_rows;
  o.encoding = spec.encoding;
  o.class_names = spec.labels;
  if (!spec.labels_file.empty()) {
    require_exists(spec.labels_file, "labels file");
    // One name a line, or TweetEval's mapping.txt: "<id><TAB><name>" with ids 0, 1, ... in order.
    std::istringstream in(read_file(spec.labels_file));
    size_t line_no = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      const size_t tab = line.find('\t');
      if (tab != std::string::npos) {
        check(line.substr(0, tab) == std::to_string(o.class_names.size()),
              "{}:{}: expected '{}<TAB>name' (ids in order from 0), found '{}'", spec.labels_file, line_no,
              o.class_names.size(), line.substr(0, tab));
        line = line.substr(tab + 1);
      }
      o.class_names.push_back(line);
    }
    check(o.class_names.size() >= 2, "{}: a labels file names every class, one a line (at least two)",
          spec.labels_file);
  }
  return o;
}

TextDataset read_user_file(const DataSpec& spec, const std::string& path, const std::string& labels_path,
                           const ReadOptions& o) {
  switch (spec.format) {
    case DataFormat::Jsonl:
      return read_jsonl(path, spec.text_column, spec.label_column, o);
    case DataFormat::Lines:
      return read_text_label_files(path, labels_path, o);
    case DataFormat::Tsv:
    case DataFormat::Csv: {
      DelimitedFormat f;
      f.delimiter = spec.format == DataFormat::Csv ? ',' : '\t';
      f.header = !spec.no_header;
      f.text_column = spec.text_column;
      f.label_column = spec.label_column;
      return read_delimited(path, f, o);
    }
  }
  fail("unknown data format");
}

// A split of one file's rows into train and a held-out test part.
template <typename Data>
void split_single_file(Data& d, const DataSpec& spec, const std::vector<fs::path>& files) {
  d.test_split.files = files;
  if (spec.holdout <= 0) {
    d.test = d.train;
    d.test.rows.clear();
    d.test_split.how = "none (--holdout 0)";
    return;
  }
  auto [train, test] = hold_out(d.train.rows, spec.holdout, spec.split_seed);
  check(!train.empty() && !test.empty(), "{} has {} rows: too few to hold out {} of them as a test split",
        d.train.source, d.train.rows.size(), percent(spec.holdout));
  d.test = d.train;
  d.test.rows = std::move(test);
  d.train.rows = std::move(train);
  d.test_split.how = fmt::format("held out {} of the training file (seed {})", percent(spec.holdout), spec.split_seed);
}

}  // namespace

ClassificationData load_classification(const DataSpec& spec) {
  const fs::path root = root_of(spec);
  ReadOptions o = read_options(spec);
  ClassificationData d;
  if (!spec.preset) {
    check(!spec.path.empty(), "give --data-preset NAME or --data PATH");
    d.train = read_user_file(spec, spec.path, spec.labels_path, o);
    if (!spec.test_path.empty()) {
      o.label_values = d.train.label_values;
      d.test = read_user_file(spec, spec.test_path, spec.test_labels_path, o);
      d.test_split.how = "test file";
      d.test_split.files = {spec.test_path};
      if (!spec.test_labels_path.empty()) d.test_split.files.push_back(spec.test_labels_path);
    } else {
      std::vector<fs::path> files = {spec.path};
      if (!spec.labels_path.empty()) files.push_back(spec.labels_path);
      split_single_file(d, spec, files);
    }
  } else {
    check(spec.labels.empty() && spec.labels_file.empty(), "a preset names its own classes: --labels goes with --data");
    const std::vector<std::string> binary = {"0", "1"};
    o.label_values = binary;
    switch (*spec.preset) {
      case DataPreset::Sst2: {
        // GLUE SST-2: train.tsv + dev.tsv here are the GLUE train set; test.tsv is GLUE dev.
        DelimitedFormat f;
        o.class_names = {"negative", "positive"};
        d.train = concat({read_delimited(root / "sst2/glue/train.tsv", f, o), read_delimited(root / "sst2/glue/dev.tsv", f, o)});
        d.test = read_delimited(root / "sst2/glue/test.tsv", f, o);
        d.test_split = {"GLUE dev (the preset's test split)", {root / "sst2/glue/test.tsv"}, 0};
        break;
      }
      case DataPreset::Imdb: {
        DelimitedFormat f;
        f.text_column = "text";
        o.class_names = {"negative", "positive"};
        d.train = concat(read_shards(root / "imdb", "train", f, o));
        d.test = concat(read_shards(root / "imdb", "test", f, o));
        d.test_split = {"the preset's test shards", shard_files(root / "imdb", "test"), 0};
        break;
      }
      case DataPreset::Amazon: {
        DelimitedFormat f;
        f.text_column = "text";
        o.class_names = {"negative", "positive"};
        d.train = concat({read_delimited(root / "amazon/books_dvd.tsv", f, o),
                          read_delimited(root / "amazon/electronics_kitchen.tsv", f, o)});
        DataSpec amazon_split = spec;
        amazon_split.holdout = 0.2;
        amazon_split.split_seed = 2007;
        split_single_file(d, amazon_split, {root / "amazon/books_dvd.tsv", root / "amazon/electronics_kitchen.tsv"});
        d.test_split.how = "held out 20% of the preset's files (seed 2007)";
        break;
      }
      case DataPreset::Yelp:
        // Only dev and test exist here: dev is the training pool, test the test set.
        d.train = read_class_files({root / "yelp/sentiment.dev.0", root / "yelp/sentiment.dev.1"}, {"negative", "positive"});
        d.test = read_class_files({root / "yelp/sentiment.test.0", root / "yelp/sentiment.test.1"}, {"negative", "positive"});
        d.test_split = {"the preset's test files", {root / "yelp/sentiment.test.0", root / "yelp/sentiment.test.1"}, 0};
        break;
      case DataPreset::OffensEval:
        o.class_names = {"not-offensive", "offensive"};
        d.train = read_text_label_files(root / "offenseval/train_text.txt", root / "offenseval/train_labels.txt", o);
        d.test = read_text_label_files(root / "offenseval/test_text.txt", root / "offenseval/test_labels.txt", o);
        d.test_split = {"the preset's test files",
                        {root / "offenseval/test_text.txt", root / "offenseval/test_labels.txt"}, 0};
        break;
      case DataPreset::Conll2003:
        fail("'conll2003' is a token-tagging data set: fine-tune it with --task token");
    }
  }
  d.test_split.overlap_removed = drop_overlap(d.train.rows, d.test.rows, data_name(spec));
  return d;
}

TaggingData load_tagging(const DataSpec& spec) {
  const fs::path root = root_of(spec);
  ReadOptions o;
  o.skip_bad_rows = spec.skip_bad_rows;
  o.encoding = spec.encoding;
  TaggingData d;
  if (spec.preset == DataPreset::Conll2003) {
    d.train = read_conll(root / "conll2003/train.txt", o);
    o.label_values = d.train.label_names;
    d.test = read_conll(root / "conll2003/test.txt", o);
    d.test_split = {"the preset's test file", {root / "conll2003/test.txt"}, 0};
  } else {
    check(!spec.preset, "'{}' is not a tagging data set (expected conll2003 or --data FILE)", data_name(spec));
    check(!spec.path.empty(), "give --data-preset conll2003 or --data FILE (CoNLL format)");
    d.train = read_conll(spec.path, o);
    if (!spec.test_path.empty()) {
      o.label_values = d.train.label_names;
      d.test = read_conll(spec.test_path, o);
      d.test_split = {"test file", {spec.test_path}, 0};
    } else {
      split_single_file(d, spec, {spec.path});
    }
  }
  d.test_split.overlap_removed = drop_overlap(d.train.rows, d.test.rows, data_name(spec));
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
      {DataFormat::Tsv, "tsv"}, {DataFormat::Csv, "csv"}, {DataFormat::Jsonl, "jsonl"}, {DataFormat::Lines, "lines"}};
  return v;
}
