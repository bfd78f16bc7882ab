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

bool is_tagging_preset(const std::string& preset) { return preset == "conll2003"; }

ClassificationData load_classification(const DataSpec& spec, const fs::path& root) {
  ReadOptions o;
  o.skip_bad_rows = spec.skip_bad_rows;
  ClassificationData d;
  const std::string& p = spec.preset;
  if (p.empty()) {
    check(!spec.path.empty(), "give --data-preset NAME or --data PATH");
    auto read = [&](const std::string& path) {
      if (spec.format == "jsonl") return read_jsonl(path, spec.text_column, spec.label_column, o);
      check(spec.format == "tsv" || spec.format == "csv", "unknown --format '{}' (expected tsv, csv or jsonl)", spec.format);
      DelimitedFormat f;
      f.delimiter = spec.format == "csv" ? ',' : '\t';
      f.header = spec.header;
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
  if (p == "sst2") {
    // GLUE SST-2: train.tsv + dev.tsv here are the GLUE train set; test.tsv is GLUE dev.
    DelimitedFormat f;
    o.label_names = std::vector<std::string>{"0", "1"};
    d.train = concat({read_delimited(root / "sst2/glue/train.tsv", f, o), read_delimited(root / "sst2/glue/dev.tsv", f, o)});
    d.test = read_delimited(root / "sst2/glue/test.tsv", f, o);
    d.train.label_names = d.test.label_names = {"negative", "positive"};
  } else if (p == "imdb") {
    DelimitedFormat f;
    f.text_column = "text";
    o.label_names = std::vector<std::string>{"0", "1"};
    d.train = concat(read_shards(root / "imdb", "train", f, o));
    d.test = concat(read_shards(root / "imdb", "test", f, o));
    d.train.label_names = d.test.label_names = {"negative", "positive"};
  } else if (p == "amazon") {
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
  } else if (p == "yelp") {
    // Only dev and test exist here: dev is the training pool, test the test set.
    d.train = read_class_files({root / "yelp/sentiment.dev.0", root / "yelp/sentiment.dev.1"}, {"negative", "positive"});
    d.test = read_class_files({root / "yelp/sentiment.test.0", root / "yelp/sentiment.test.1"}, {"negative", "positive"});
  } else if (p == "offenseval") {
    o.label_names = std::vector<std::string>{"0", "1"};
    d.train = read_text_label_files(root / "offenseval/train_text.txt", root / "offenseval/train_labels.txt", o);
    d.test = read_text_label_files(root / "offenseval/test_text.txt", root / "offenseval/test_labels.txt", o);
    d.train.label_names = d.test.label_names = {"not-offensive", "offensive"};
  } else if (is_tagging_preset(p)) {
    fail("'{}' is a token-tagging data set: fine-tune it with --task token", p);
  } else {
    fail("unknown data preset '{}' (expected sst2, imdb, amazon, yelp, offenseval or conll2003)", p);
  }
  return d;
}

TaggingData load_tagging(const DataSpec& spec, const fs::path& root) {
  ReadOptions o;
  o.skip_bad_rows = spec.skip_bad_rows;
  TaggingData d;
  if (spec.preset == "conll2003") {
    d.train = read_conll(root / "conll2003/train.txt", o);
    o.label_names = d.train.label_names;
    d.test = read_conll(root / "conll2003/test.txt", o);
  } else {
    check(spec.preset.empty(), "'{}' is not a tagging data set (expected conll2003 or --data FILE)", spec.preset);
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
