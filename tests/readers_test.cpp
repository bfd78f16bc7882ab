// Data readers: labels mapped and recorded, and every malformed input named precisely.
#include <gtest/gtest.h>

#include <set>

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
  o.label_values = std::vector<std::string>{"0", "1"};
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

namespace porkit {
namespace {

using porkit::testing::TempDir;
using porkit::testing::error_of;
using porkit::testing::write_bytes;

data::DelimitedFormat csv_format() {
  data::DelimitedFormat f;
  f.delimiter = ',';
  f.text_column = "text";
  return f;
}

TEST(Csv, QuotedFieldsHoldNewlinesAndRecordsKeepTheirLines) {
  TempDir tmp;
  write_bytes(tmp / "a.csv",
              "text,label\n\"first line\nsecond line, with a comma\",1\nplain,0\n\n\"say \"\"hi\"\"\",1\n");
  auto d = data::read_delimited(tmp / "a.csv", csv_format());
  ASSERT_EQ(d.rows.size(), 3u);
  EXPECT_EQ(d.rows[0].text, "first line\nsecond line, with a comma");
  EXPECT_EQ(d.rows[2].text, "say \"hi\"");
  // A bad label on the record after a two-line field is reported on its own line (6).
  write_bytes(tmp / "b.csv", "text,label\n\"a\nb\",1\nc,0\n\nd,\n");
  EXPECT_NE(error_of([&] { data::read_delimited(tmp / "b.csv", csv_format()); }).find("b.csv:6: empty label"),
            std::string::npos);
}

TEST(Csv, BrokenQuotingNamesTheLine) {
  TempDir tmp;
  write_bytes(tmp / "a.csv", "text,label\nfine,1\n\"open \"quote\" inside\",0\n");
  const auto e = error_of([&] { data::read_delimited(tmp / "a.csv", csv_format()); });
  EXPECT_NE(e.find("a.csv:3: malformed CSV quoting"), std::string::npos) << e;
  write_bytes(tmp / "b.csv", "text,label\nfine,1\n\"never closed,0\nmore,1\n");
  const auto e2 = error_of([&] { data::read_delimited(tmp / "b.csv", csv_format()); });
  EXPECT_NE(e2.find("b.csv:3: a quoted field opened here is never closed"), std::string::npos) << e2;
}

TEST(Readers, ErrorsNameTheLikelyFix) {
  TempDir tmp;
  // No header: the first row is data.
  write_bytes(tmp / "a.tsv", "this film was a delight to watch\t1\nawful\t0\n");
  data::DelimitedFormat f;
  auto e = error_of([&] { data::read_delimited(tmp / "a.tsv", f); });
  EXPECT_NE(e.find("no header? add --no-header and give columns by 0-based number (here perhaps --text-column 0 --label-column 1)"), std::string::npos) << e;
  // A comma-separated file read as TSV.
  write_bytes(tmp / "b.csv", "sentence,label\ngood,1\n");
  e = error_of([&] { data::read_delimited(tmp / "b.csv", f); });
  EXPECT_NE(e.find("this looks comma-separated: --format csv"), std::string::npos) << e;
  f.header = false;
  f.text_column = "0";
  f.label_column = "1";
  e = error_of([&] { data::read_delimited(tmp / "b.csv", f); });
  EXPECT_NE(e.find("b.csv:1: expected at least 2 columns, found 1; this looks comma-separated: --format csv"),
            std::string::npos) << e;
  // A long header is shortened, not dumped whole.
  write_bytes(tmp / "c.tsv", std::string(300, 'x') + "\t1\n");
  f = data::DelimitedFormat{};
  e = error_of([&] { data::read_delimited(tmp / "c.tsv", f); });
  EXPECT_LT(e.size(), 400u) << e;
}

TEST(Readers, ClassNamesForNumericAndTextLabels) {
  TempDir tmp;
  write_bytes(tmp / "a.tsv", "sentence\tlabel\nx\t1\ny\t0\nz\t1\n");
  data::ReadOptions o;
  o.class_names = {"neg", "pos"};
  auto d = data::read_delimited(tmp / "a.tsv", data::DelimitedFormat{}, o);
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"neg", "pos"}));
  EXPECT_EQ(d.label_values, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(d.rows[0].label, 1);
  // Three named classes where the file shows only two: no "skipped value" error.
  o.class_names = {"neg", "neutral", "pos"};
  write_bytes(tmp / "b.tsv", "sentence\tlabel\nx\t2\ny\t0\n");
  EXPECT_EQ(data::read_delimited(tmp / "b.tsv", data::DelimitedFormat{}, o).rows[0].label, 2);
  // A value outside the named classes names them.
  o.class_names = {"neg", "pos"};
  write_bytes(tmp / "c.tsv", "sentence\tlabel\nx\t7\ny\t0\n");
  auto e = error_of([&] { data::read_delimited(tmp / "c.tsv", data::DelimitedFormat{}, o); });
  EXPECT_NE(e.find("c.tsv:2: label '7' is not in the label set (0, 1 for neg, pos)"), std::string::npos) << e;
  // -1/1 data names its two classes in numeric order.
  write_bytes(tmp / "d.tsv", "sentence\tlabel\nx\t1\ny\t-1\n");
  d = data::read_delimited(tmp / "d.tsv", data::DelimitedFormat{}, o);
  EXPECT_EQ(d.rows[1].label, 0);
  // Text labels take their ids from the names' order, not the sorted order.
  o.class_names = {"pos", "neg"};
  write_bytes(tmp / "e.tsv", "sentence\tlabel\nx\tneg\ny\tpos\n");
  d = data::read_delimited(tmp / "e.tsv", data::DelimitedFormat{}, o);
  EXPECT_EQ(d.rows[0].label, 1);
  EXPECT_EQ(d.rows[1].label, 0);
}

TEST(Readers, EncodingByFlagAndUtf8ByDefault) {
  TempDir tmp;
  write_bytes(tmp / "a.tsv", "sentence\tlabel\ncaf\xE9 cr\xE8me\t1\nna\xEFve\t0\n");  // latin-1
  data::ReadOptions o;
  auto e = error_of([&] { data::read_delimited(tmp / "a.tsv", data::DelimitedFormat{}, o); });
  EXPECT_NE(e.find("a.tsv:2: not UTF-8 text"), std::string::npos) << e;
  EXPECT_NE(e.find("--encoding latin1"), std::string::npos) << e;
  o.encoding = "latin1";
  auto d = data::read_delimited(tmp / "a.tsv", data::DelimitedFormat{}, o);
  EXPECT_EQ(d.rows[0].text, "caf\xC3\xA9 cr\xC3\xA8me");
  o.encoding = "no-such-encoding";
  EXPECT_NE(error_of([&] { data::read_delimited(tmp / "a.tsv", data::DelimitedFormat{}, o); }).find("not an encoding"),
            std::string::npos);
  // A UTF-8 byte-order mark is not part of the first column's name.
  write_bytes(tmp / "b.tsv", "\xEF\xBB\xBFsentence\tlabel\nx\t1\ny\t0\n");
  EXPECT_EQ(data::read_delimited(tmp / "b.tsv", data::DelimitedFormat{}).rows.size(), 2u);
}

data::DataSpec file_spec(const std::filesystem::path& path) {
  data::DataSpec spec;
  spec.path = path.string();
  return spec;
}

TEST(Splits, ParallelFilesThroughTheDataSpec) {
  TempDir tmp;
  std::string texts, labels;
  for (int i = 0; i < 50; ++i) {
    texts += "text number " + std::to_string(i) + "\n";
    labels += std::to_string(i % 2) + "\n";
  }
  write_bytes(tmp / "x.txt", texts);
  write_bytes(tmp / "y.txt", labels);
  auto spec = file_spec(tmp / "x.txt");
  spec.format = data::DataFormat::Lines;
  spec.labels = {"even", "odd"};
  const auto problem = error_of([&] { options::validate(data::data_option_table(), spec, "porkit finetune"); });
  EXPECT_NE(problem.find("--data-labels FILE"), std::string::npos) << problem;
  spec.labels_path = (tmp / "y.txt").string();
  options::validate(data::data_option_table(), spec, "porkit finetune");
  auto d = data::load_classification(spec);
  EXPECT_EQ(d.train.rows.size() + d.test.rows.size(), 50u);
  EXPECT_EQ(d.test.label_names, (std::vector<std::string>{"even", "odd"}));
  EXPECT_EQ(d.test_split.files.size(), 2u);
}

TEST(Splits, ASingleFileGetsASeededHeldOutSplitThatNeverLeaks) {
  TempDir tmp;
  // 200 rows, of which 40 are exact repeats of other rows: a held-out row must not have its
  // text in the training split.
  std::string tsv = "sentence\tlabel\n";
  for (int i = 0; i < 200; ++i) tsv += "row " + std::to_string(i < 160 ? i : i - 160) + "\t" + std::to_string(i % 2) + "\n";
  write_bytes(tmp / "a.tsv", tsv);
  const auto spec = file_spec(tmp / "a.tsv");
  const auto d = data::load_classification(spec);
  std::set<std::string> train;
  for (const auto& r : d.train.rows) train.insert(r.text);
  ASSERT_FALSE(d.test.rows.empty());
  for (const auto& r : d.test.rows) EXPECT_EQ(train.count(r.text), 0u) << r.text;
  EXPECT_EQ(d.train.rows.size(), 160u);
  EXPECT_EQ(d.test.rows.size() + static_cast<size_t>(d.test_split.overlap_removed), 40u);
  EXPECT_NE(d.test_split.how.find("held out 20% of the training file (seed 2007)"), std::string::npos);
  // The same split every time, another with another seed.
  EXPECT_EQ(data::load_classification(spec).test.rows.front().text, d.test.rows.front().text);
  auto other = spec;
  other.split_seed = 5;
  std::vector<std::string> a, b;
  for (const auto& r : d.test.rows) a.push_back(r.text);
  for (const auto& r : data::load_classification(other).test.rows) b.push_back(r.text);
  EXPECT_NE(a, b);
  // --holdout 0 keeps every row for training and leaves no test split.
  other.holdout = 0;
  EXPECT_TRUE(data::load_classification(other).test.rows.empty());
}

}  // namespace
}  // namespace porkit

namespace porkit {
namespace {

TEST(Splits, LabelsFileTakesNamesOrATweetEvalMapping) {
  porkit::testing::TempDir tmp;
  std::string tsv = "sentence\tlabel\n";
  for (int i = 0; i < 20; ++i) tsv += "row " + std::to_string(i) + "\t" + std::to_string(i % 2) + "\n";
  porkit::testing::write_bytes(tmp / "a.tsv", tsv);
  porkit::testing::write_bytes(tmp / "mapping.txt", "0\tnot-offensive\n1\toffensive\n");
  porkit::testing::write_bytes(tmp / "bad.txt", "1\tnot-offensive\n0\toffensive\n");
  data::DataSpec spec;
  spec.path = (tmp / "a.tsv").string();
  spec.labels_file = (tmp / "mapping.txt").string();
  EXPECT_EQ(data::load_classification(spec).train.label_names,
            (std::vector<std::string>{"not-offensive", "offensive"}));
  spec.labels_file = (tmp / "bad.txt").string();
  const auto e = porkit::testing::error_of([&] { data::load_classification(spec); });
  EXPECT_NE(e.find("bad.txt:1: expected '0<TAB>name'"), std::string::npos) << e;
}

}  // namespace
}  // namespace porkit
