// Data readers: labels mapped and recorded, and every malformed input named precisely.
#include <gtest/gtest.h>

#include "porkit/data/presets.h"
#include "porkit/data/readers.h"
#include "porkit/util/error.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::TempDir;
using porkit::testing::write_bytes;

using porkit::testing::error_of;

TEST(Readers, TsvWithHeaderAndNamedColumns) {
  TempDir tmp;
  write_bytes(tmp / "a.tsv", "label\tsentence\n1\tgood film\n0\tbad film\n\n");
  data::DelimitedFormat f;
  auto d = data::read_delimited(tmp / "a.tsv", f);
  ASSERT_EQ(d.rows.size(), 2u);
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(d.rows[0].text, "good film");
  EXPECT_EQ(d.rows[0].label, 1);
}

TEST(Readers, CsvWithQuotesAndNoHeader) {
  TempDir tmp;
  write_bytes(tmp / "a.csv", "\"a, \"\"quoted\"\" text\",pos\nplain,neg\n");
  data::DelimitedFormat f;
  f.delimiter = ',';
  f.header = false;
  f.text_column = "0";
  f.label_column = "1";
  auto d = data::read_delimited(tmp / "a.csv", f);
  EXPECT_EQ(d.rows[0].text, "a, \"quoted\" text");
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"neg", "pos"}));
}

TEST(Readers, WrongColumnNameListsTheColumns) {
  TempDir tmp;
  write_bytes(tmp / "a.tsv", "text\tlabel\nx\t1\n");
  data::DelimitedFormat f;
  auto e = error_of([&] { data::read_delimited(tmp / "a.tsv", f); });
  EXPECT_NE(e.find("no column 'sentence' in the header (columns: text, label)"), std::string::npos) << e;
}

TEST(Readers, LabelOutsideTheSetNamesFileAndLine) {
  TempDir tmp;
  write_bytes(tmp / "a.tsv", "sentence\tlabel\nx\t0\ny\t7\n");
  data::DelimitedFormat f;
  data::ReadOptions o;
  o.label_names = std::vector<std::string>{"0", "1"};
  auto e = error_of([&] { data::read_delimited(tmp / "a.tsv", f, o); });
  EXPECT_NE(e.find("a.tsv:3: label '7' is not in the label set (0, 1)"), std::string::npos) << e;
  o.skip_bad_rows = true;
  auto d = data::read_delimited(tmp / "a.tsv", f, o);
  EXPECT_EQ(d.rows.size(), 1u);
  EXPECT_EQ(d.skipped_rows, 1);
}

TEST(Readers, ShortRowAndEmptyFile) {
  TempDir tmp;
  write_bytes(tmp / "a.tsv", "sentence\tlabel\nonly-text\n");
  write_bytes(tmp / "empty.tsv", "");
  data::DelimitedFormat f;
  EXPECT_NE(error_of([&] { data::read_delimited(tmp / "a.tsv", f); }).find("a.tsv:2: expected at least 2 columns, found 1"), std::string::npos);
  EXPECT_NE(error_of([&] { data::read_delimited(tmp / "empty.tsv", f); }).find("is empty"), std::string::npos);
}

TEST(Readers, JsonLinesAndTextLabelPairs) {
  TempDir tmp;
  write_bytes(tmp / "a.jsonl", "{\"t\": \"hi\", \"y\": 1}\n{\"t\": \"yo\", \"y\": 0}\n");
  auto d = data::read_jsonl(tmp / "a.jsonl", "t", "y");
  EXPECT_EQ(d.rows[1].text, "yo");
  write_bytes(tmp / "bad.jsonl", "{\"t\": \"hi\"}\n");
  EXPECT_NE(error_of([&] { data::read_jsonl(tmp / "bad.jsonl", "t", "y"); }).find("bad.jsonl:1: no string or integer field 'y'"), std::string::npos);
  write_bytes(tmp / "x.txt", "a\nb\n");
  write_bytes(tmp / "y.txt", "1\n");
  EXPECT_NE(error_of([&] { data::read_text_label_files(tmp / "x.txt", tmp / "y.txt"); }).find("must pair up"), std::string::npos);
}

TEST(Readers, ConllSentencesAndTags) {
  TempDir tmp;
  write_bytes(tmp / "a.conll", "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\n");
  auto d = data::read_conll(tmp / "a.conll");
  ASSERT_EQ(d.rows.size(), 2u);
  EXPECT_EQ(d.label_names.front(), "O");
  EXPECT_EQ(d.rows[0].words, (std::vector<std::string>{"EU", "rejects"}));
  EXPECT_EQ(d.label_names[static_cast<size_t>(d.rows[1].tags[0])], "B-PER");
}

}  // namespace
}  // namespace porkit
