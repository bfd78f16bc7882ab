// The tokenizer against Hugging Face's own outputs for bert-base-uncased: 46 llama.cpp
// golden texts (ids without [CLS]/[SEP]) and 30 transformers.js cases (tokens and ids).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "porkit/text/bert_tokenizer.h"
#include "porkit/util/files.h"
#include "porkit/util/json_io.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::shared_data_dir;

const text::BertTokenizer& uncased() { return porkit::testing::bert_base_uncased(); }

std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> parts;
  size_t start = 0, pos;
  while ((pos = s.find(sep, start)) != std::string::npos) {
    parts.push_back(s.substr(start, pos - start));
    start = pos + sep.size();
  }
  parts.push_back(s.substr(start));
  return parts;
}

TEST(TokenizerGolden, LlamaCppBgeCases) {
  auto dir = porkit::testing::fixtures_dir() / "tokenizer-golden";
  auto texts = split(read_file(dir / "ggml-vocab-bert-bge.gguf.inp"), "\n__ggml_vocab_test__\n");
  // The file ends with the separator followed by nothing.
  if (!texts.empty() && texts.back().empty()) texts.pop_back();
  auto expected_lines = split(read_file(dir / "ggml-vocab-bert-bge.gguf.out"), "\n");
  if (!expected_lines.empty() && expected_lines.back().empty()) expected_lines.pop_back();
  ASSERT_EQ(texts.size(), 46u);
  ASSERT_EQ(expected_lines.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<int64_t> expected;
    std::istringstream in(expected_lines[i]);
    int64_t id;
    while (in >> id) expected.push_back(id);
    EXPECT_EQ(uncased().token_ids(texts[i]), expected) << "case " << i << ": \"" << texts[i] << "\"";
  }
}

TEST(TokenizerGolden, TransformersJsCases) {
  auto j = read_json_file(porkit::testing::fixtures_dir() / "tokenizer-golden" /
                          "transformersjs_bert_base_uncased_tokenization.json");
  const auto& cases = j.at("Xenova/bert-base-uncased");
  ASSERT_EQ(cases.size(), 30u);
  for (auto it = cases.begin(); it != cases.end(); ++it) {
    const auto& c = it.value();
    std::optional<std::string> pair;
    if (c.contains("text_pair")) pair = c["text_pair"].get<std::string>();
    std::string text = c["text"].get<std::string>();
    auto e = pair ? uncased().encode(text, std::string_view(*pair)) : uncased().encode(text);
    EXPECT_EQ(e.ids, c["ids"].get<std::vector<int64_t>>()) << it.key();
    std::vector<std::string> pieces;
    for (const auto& t : e.tokens) {
      if (t.piece != "[CLS]" && t.piece != "[SEP]") pieces.push_back(t.piece);
    }
    EXPECT_EQ(pieces, c["tokens"].get<std::vector<std::string>>()) << it.key();
    if (pair) {
      std::vector<int64_t> types = e.type_ids;
      EXPECT_EQ(types, (std::vector<int64_t>{0, 0, 0, 1, 1})) << it.key();
    }
  }
}

}  // namespace
}  // namespace porkit
