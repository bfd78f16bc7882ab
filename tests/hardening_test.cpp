// Bad input found by the fault campaign (issue 15), one test each, at library level: every one
// of these was accepted silently, crashed or gave a wrong result before its fix.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>

#include "porkit/data/readers.h"
#include "porkit/io/model_folder.h"
#include "porkit/io/safetensors.h"
#include "porkit/io/weights.h"
#include "porkit/model/bert_config.h"
#include "porkit/report/analysis_report.h"
#include "porkit/report/document.h"
#include "porkit/text/vocab.h"
#include "porkit/train/trainer.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/json_io.h"
#include "porkit/util/output_folder.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::TempDir;
using porkit::testing::bert_base_uncased;
using porkit::testing::error_of;
using porkit::testing::fixtures_dir;
using porkit::testing::write_bytes;

// --- Tokenizer: Hugging Face's BertTokenizer drops private-use and unassigned code points
// (its _is_control is every category "C*") and splits at U+2028/U+2029 (str.split()).
TEST(Hardening, TokenizerDropsPrivateUseAndUnassignedAndSplitsAtLineSeparators) {
  const auto& tok = bert_base_uncased();
  EXPECT_EQ(tok.token_ids("hello\xee\x80\x80world"), (std::vector<int64_t>{7592, 11108}));  // U+E000
  EXPECT_EQ(tok.token_ids("hello\xe2\x80\xa8world"), (std::vector<int64_t>{7592, 2088}));   // U+2028
  EXPECT_EQ(tok.token_ids("hello\xe2\x80\xa9world"), (std::vector<int64_t>{7592, 2088}));   // U+2029
  EXPECT_EQ(tok.token_ids("hello\xcd\xb8world"), (std::vector<int64_t>{7592, 11108}));      // U+0378, unassigned
}

// --- vocab.txt: a BOM, CRLF line ends and duplicate tokens are refused with the reason.
TEST(Hardening, VocabularyBomCrlfAndDuplicatesAreRefused) {
  TempDir tmp;
  write_bytes(tmp / "bom.txt", "\xEF\xBB\xBF[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
  EXPECT_NE(error_of([&] { text::Vocab::load(tmp / "bom.txt"); }).find("starts with a byte-order mark"),
            std::string::npos);
  write_bytes(tmp / "crlf.txt", "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n");
  EXPECT_NE(error_of([&] { text::Vocab::load(tmp / "crlf.txt"); }).find("Windows line endings (CRLF, line 1)"),
            std::string::npos);
  write_bytes(tmp / "dup.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nhello\n");
  EXPECT_NE(error_of([&] { text::Vocab::load(tmp / "dup.txt"); }).find("lists the token 'hello' twice (lines 5 and 6)"),
            std::string::npos);
  write_bytes(tmp / "blank.txt", "[PAD]\n[UNK]\n\n[CLS]\n[SEP]\n");
  EXPECT_EQ(text::Vocab::load(tmp / "blank.txt").size(), 5);  // an empty token, as HF reads it (with a warning)
}

// --- safetensors: the tensors must tile the data section.
std::string safetensors_with(const std::string& header, const std::string& data) {
  std::string out;
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

TEST(Hardening, SafetensorsWithHolesTrailingBytesOrMisalignmentAreRefused) {
  const std::string a8(8, '\0');
  auto parse = [](const std::string& bytes) {
    return error_of([&] { io::SafetensorsFile::parse(bytes, "w.safetensors"); });
  };
  // A hole between two tensors.
  EXPECT_NE(parse(safetensors_with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                   R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                                   std::string(12, '\0')))
                .find("bytes 4 to 8 of the data section belong to no tensor"),
            std::string::npos);
  // Bytes after the last tensor.
  EXPECT_NE(parse(safetensors_with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", a8))
                .find("4 bytes after the last tensor belong to no tensor"),
            std::string::npos);
  // A 4-byte element starting at an odd byte of the file: legal in the format (the reference
  // reader accepts it), loaded with a warning, with its bytes intact.
  const std::string odd = safetensors_with(R"({"h":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                                           R"("a":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}}   )",
                                           std::string("\x07\0\0\x80\x3f", 5));
  EXPECT_EQ(parse(odd), "");
  const auto file = io::SafetensorsFile::parse(odd, "odd");
  EXPECT_EQ(io::to_tensors(file).at("a").item<float>(), 1.0f);
  // Bytes that disagree with the dtype and shape.
  EXPECT_NE(parse(safetensors_with(R"({"a":{"dtype":"F16","shape":[4],"data_offsets":[0,4]}})", std::string(4, '\0')))
                .find("data_offsets cover 4 bytes but 4 F16 needs 8"),
            std::string::npos);
}

// --- config.json: sizes must be whole numbers, dropout a probability, sizes possible.
TEST(Hardening, ConfigFloatSizesBadDropoutAndAbsurdSizesAreRefused) {
  auto load = [](nlohmann::json j) { return error_of([&] { model::BertConfig::from_json(j, "config.json"); }); };
  const nlohmann::json base = {{"vocab_size", 64}, {"hidden_size", 32}, {"num_hidden_layers", 2},
                               {"num_attention_heads", 2}, {"intermediate_size", 64}};
  auto with = [&](const char* key, nlohmann::json v) {
    auto j = base;
    j[key] = v;
    return j;
  };
  EXPECT_EQ(load(with("hidden_size", 32.5)), "config.json: field 'hidden_size' must be a whole number, found 32.5");
  EXPECT_EQ(load(with("hidden_dropout_prob", 1.5)), "config.json: hidden_dropout_prob must be in [0, 1), got 1.5");
  EXPECT_EQ(load(with("attention_probs_dropout_prob", -0.1)),
            "config.json: attention_probs_dropout_prob must be in [0, 1), got -0.1");
  EXPECT_EQ(load(with("initializer_range", -1.0)), "config.json: initializer_range must be positive, got -1");
  EXPECT_NE(load(with("vocab_size", int64_t{1} << 50)).find("no model porkit can hold is that large"), std::string::npos);
  // Possible in principle, but not on this machine: refused before any allocation.
  auto big = model::BertConfig::from_json(with("intermediate_size", int64_t{1} << 36), "big.json");
  EXPECT_NE(error_of([&] { model::BertModel m(big); }).find("GiB of fp32 weights"), std::string::npos);
}

// --- Weights: NaN or infinite values are refused, by tensor name.
TEST(Hardening, NanWeightsAreRefusedByName) {
  TempDir tmp;
  auto src = fixtures_dir() / "golden" / "pretraining";
  auto weights = io::read_folder_weights(src);
  weights.at("bert.pooler.dense.bias")[0] = NAN;
  fs::create_directories(tmp / "nan");
  for (const char* f : {"config.json", "vocab.txt"}) fs::copy_file(src / f, tmp / "nan" / f);
  io::write_weights(tmp / "nan" / "model.safetensors", weights, io::WeightsDType::F32);
  EXPECT_NE(error_of([&] { io::load_model_folder(tmp / "nan"); }).find("NaN or infinite values in: bert.pooler.dense.bias"),
            std::string::npos);
}

// --- An unknown declared architecture does not fail a caller that names its own.
TEST(Hardening, UnknownDeclaredArchitectureIsNotReadWhenTheCallerNamesOne) {
  TempDir tmp;
  auto src = fixtures_dir() / "golden" / "pretraining";
  fs::copy(src, tmp / "m");
  auto config = read_json_file(tmp / "m" / "config.json");
  config["architectures"] = {"BertForSomethingNew"};
  write_json_file(tmp / "m" / "config.json", config);
  EXPECT_NE(error_of([&] { io::load_model_folder(tmp / "m"); }).find("'BertForSomethingNew' is not a BERT architecture"),
            std::string::npos);
  EXPECT_NO_THROW(io::load_model_folder(tmp / "m", model::Architecture::PreTraining));
}

// --- Labels: a stray value in a 0/1 file is not a new class.
TEST(Hardening, StrayLabelsAndSingleLabelFilesAreRefused) {
  TempDir tmp;
  data::DelimitedFormat f;
  auto read = [&](const std::string& rows) {
    write_bytes(tmp / "d.tsv", "sentence\tlabel\n" + rows);
    return error_of([&] { data::read_delimited(tmp / "d.tsv", f); });
  };
  EXPECT_NE(read("a\t0\nb\t1\nc\t1.0\n").find("mixes whole-number labels with others"), std::string::npos);
  EXPECT_NE(read("a\t0\nb\t1\nc\tpositive\n").find("'positive' (1 row, first on line 4)"), std::string::npos);
  EXPECT_NE(read("a\t0\nb\t1\nc\t7\n").find("whole-number labels that skip values"), std::string::npos);
  EXPECT_NE(read("a\t1\nb\t1\n").find("one label only ('1' (2 rows, first on line 2))"), std::string::npos);
  EXPECT_EQ(read("a\t1\nb\t2\nc\t3\n"), "");  // 1..3: names in numeric order
  EXPECT_EQ(read("a\tneg\nb\tpos\n"), "");
  EXPECT_EQ(read("a\t-1\nb\t1\n"), "");  // the -1/1 convention
  EXPECT_NE(read("a\t-1\nb\t0\nc\t2\n").find("skip values"), std::string::npos);
}

// --- A column index beyond any row was a segfault.
TEST(Hardening, HugeColumnIndexIsAnError) {
  TempDir tmp;
  write_bytes(tmp / "d.tsv", "a\t0\nb\t1\n");
  data::DelimitedFormat f;
  f.header = false;
  f.text_column = "0";
  f.label_column = "9223372036854775807";
  EXPECT_NE(error_of([&] { data::read_delimited(tmp / "d.tsv", f); }).find("column number 9223372036854775807 is out of range"),
            std::string::npos);
  f.label_column = "5";
  EXPECT_NE(error_of([&] { data::read_delimited(tmp / "d.tsv", f); }).find("expected at least 6 columns, found 2"),
            std::string::npos);
}

// --- A FIFO in place of a file hung the reader forever.
TEST(Hardening, FifoIsRefusedInsteadOfHanging) {
  TempDir tmp;
  ASSERT_EQ(::mkfifo((tmp / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(error_of([&] { read_file(tmp / "fifo"); }), "expected a regular file but " + (tmp / "fifo").string() + " is a FIFO");
}

// --- Outputs never destroy: files and foreign folders are refused, porkit's own need a word.
TEST(Hardening, OutputFoldersAreClaimedOnlyWhenNewEmptyOrPorkits) {
  TempDir tmp;
  write_bytes(tmp / "file", "notes");
  EXPECT_NE(error_of([&] { claim_output_folder(tmp / "file", "init", OutputUse::Overwrite); }).find("is not a folder"),
            std::string::npos);
  EXPECT_EQ(read_file(tmp / "file"), "notes");
  fs::create_directories(tmp / "mine");
  write_bytes(tmp / "mine" / "notes.txt", "keep me");
  EXPECT_NE(error_of([&] { claim_output_folder(tmp / "mine", "init", OutputUse::Overwrite); }).find("did not write"),
            std::string::npos);
  EXPECT_NE(error_of([&] { remove_porkit_folder(tmp / "mine", "a test"); }).find("porkit did not write it"),
            std::string::npos);
  EXPECT_EQ(read_file(tmp / "mine" / "notes.txt"), "keep me");
  claim_output_folder(tmp / "new", "pretrain", OutputUse::Fresh);
  write_bytes(tmp / "new" / "metrics.jsonl", "{}\n");
  EXPECT_NE(error_of([&] { claim_output_folder(tmp / "new", "pretrain", OutputUse::Fresh); }).find("--resume"),
            std::string::npos);
  claim_output_folder(tmp / "new", "pretrain", OutputUse::Resume);
  EXPECT_TRUE(fs::exists(tmp / "new" / "metrics.jsonl"));
  claim_output_folder(tmp / "new", "pretrain", OutputUse::Overwrite);
  EXPECT_FALSE(fs::exists(tmp / "new" / "metrics.jsonl"));
  // Every record porkit names its own is replaceable: an earlier scan gives way to a new one.
  claim_output_folder(tmp / "scan", "scan", OutputUse::Fresh);
  write_bytes(tmp / "scan" / "scan.json", "{}");
  claim_output_folder(tmp / "scan", "scan", OutputUse::Overwrite);
  EXPECT_FALSE(fs::exists(tmp / "scan" / "scan.json"));
  EXPECT_NE(error_of([&] { claim_output_file(tmp / "file", true); }).find("not written by porkit"), std::string::npos);
}

// --- report.md escapes what report.html escapes.
TEST(Hardening, MarkdownReportEscapesHtml) {
  report::Document doc{"t", {{"s", {}}}};
  doc.sections[0].blocks.push_back(report::Paragraph{"trigger <script>alert(1)</script>"});
  doc.sections[0].blocks.push_back(report::Table{"c", {"trigger"}, {{"<b>x</b> | y"}}});
  const std::string md = report::to_markdown(doc, "files");
  EXPECT_EQ(md.find("<script>"), std::string::npos) << md;
  EXPECT_NE(md.find("&lt;script&gt;"), std::string::npos) << md;
  EXPECT_NE(md.find("&lt;b&gt;x&lt;/b&gt; \\| y"), std::string::npos) << md;
}

// --- An attention analysis with empty rows or a position out of range crashed the report.
TEST(Hardening, InconsistentAttentionAnalysisIsAnErrorNotACrash) {
  nlohmann::json a = {{"kind", "attention"}, {"tokens", {"[CLS]", "cf", "[SEP]"}}, {"trigger_positions", {7}},
                      {"cls_share", {{"backdoored", {{0.5}}}, {"clean", {{0.5}}}}},
                      {"attention", {{"backdoored", {nlohmann::json::array()}}, {"clean", {nlohmann::json::array()}}}},
                      {"ablation", nlohmann::json::array()}, {"roles", nlohmann::json::array()}};
  EXPECT_NE(error_of([&] { report::analysis_sections(a, "attention"); }).find("trigger position 7 is outside the 3 tokens"),
            std::string::npos);
  a["trigger_positions"] = {1};
  EXPECT_NE(error_of([&] { report::analysis_sections(a, "attention"); }).find("does not have one row per token"),
            std::string::npos);
  // Found by fuzzing (tests/fuzz/corpus/report_json/attention_map_layer_0): a map layer of 0
  // read before the first layer.
  const nlohmann::json map = {{0.3, 0.3, 0.4}, {0.3, 0.3, 0.4}, {0.3, 0.3, 0.4}};
  a["attention"] = {{"backdoored", {map}}, {"clean", {map}}};
  a["map_layer"] = 0;
  EXPECT_NE(error_of([&] { report::analysis_sections(a, "attention"); }).find("map_layer 0 is not a layer 1..1"),
            std::string::npos);
  a["map_layer"] = 2;
  EXPECT_NE(error_of([&] { report::analysis_sections(a, "attention"); }).find("map_layer 2 is not a layer 1..1"),
            std::string::npos);
}

// --- A resumed run with other settings is refused, naming what differs.
TEST(Hardening, SettingsDifferenceNamesEveryChange) {
  EXPECT_EQ(train::settings_difference({{"lr", 2e-5}, {"seed", 0}}, {{"lr", 0.001}, {"seed", 5}}),
            "lr: 2e-05 -> 0.001; seed: 0 -> 5");
  EXPECT_EQ(train::settings_difference({{"lr", 1e-5}}, {{"lr", 0.00001}}), "");
}

}  // namespace
}  // namespace porkit
