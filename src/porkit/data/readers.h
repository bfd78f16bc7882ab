// Readers for the formats users have. Every malformed row is an error naming the file, the
// line and the reason, or, with skip_bad_rows, is skipped and counted; never a silent
// wrong label.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "porkit/data/dataset.h"

namespace porkit::data {

struct ReadOptions {
  bool skip_bad_rows = false;
  // Fixes the label values as written in the file, in id order; unset: taken from the data
  // (whole numbers in numeric order, otherwise names sorted). Names are the values.
  std::optional<std::vector<std::string>> label_values;
  // The user's names for the classes, in id order (--labels). Whole-number labels then map
  // to them by value (0..K-1, or -1/1 for two classes); text labels must be among them and
  // take their ids from this order.
  std::vector<std::string> class_names;
  std::string encoding = "utf-8";  // of the file's bytes (data/encoding.h)
};

// TSV (no quoting: a tab always separates) or CSV (RFC 4180: quoted fields may hold commas,
// doubled quotes and newlines; parsed by libcsv in strict mode), with or without a header.
// Columns by header name or 0-based index ("1").
struct DelimitedFormat {
  char delimiter = '\t';
  bool header = true;
  std::string text_column = "sentence";
  std::string label_column = "label";
  std::string text_b_column;  // optional second text, joined to the first with a space
};
TextDataset read_delimited(const std::filesystem::path& path, const DelimitedFormat& format,
                           const ReadOptions& options = {});
// The same on text already in memory; `origin` names it in errors.
TextDataset parse_delimited(const std::string& text, const std::string& origin, const DelimitedFormat& format,
                            const ReadOptions& options = {});

// JSON lines: one object a line with text and label keys.
TextDataset read_jsonl(const std::filesystem::path& path, const std::string& text_key,
                       const std::string& label_key, const ReadOptions& options = {});

// Parallel files (TweetEval style): one text a line in one file, its label on the same line
// of another.
TextDataset read_text_label_files(const std::filesystem::path& texts,
                                  const std::filesystem::path& labels,
                                  const ReadOptions& options = {});

// One file per class, one text a line (Yelp ".0"/".1" style); label i = files[i].
TextDataset read_class_files(const std::vector<std::filesystem::path>& files,
                             const std::vector<std::string>& label_names);

// CoNLL: "token ... TAG" per line (tag in the last column), blank lines between sentences,
// -DOCSTART- lines ignored.
TaggedDataset read_conll(const std::filesystem::path& path, const ReadOptions& options = {});
TaggedDataset parse_conll(const std::string& text, const std::string& origin, const ReadOptions& options = {});

}  // namespace porkit::data
