// Tokenizer behaviour beyond the golden ids: spans and words, pairs, truncation, padding,
// cased vocabularies, special tokens in text, and bad input.
#include <gtest/gtest.h>

#include "porkit/text/bert_tokenizer.h"
#include "porkit/util/error.h"
#include "test_util.h"

namespace porkit {
namespace {

using porkit::testing::shared_data_dir;

const text::BertTokenizer& uncased() { return porkit::testing::bert_base_uncased(); }

TEST(Tokenizer, SpansAndWordsPointIntoTheOriginalText) {
  std::string text = "I love  the Xenotransplantation movie, HäLLo!";
  auto tokens = uncased().tokenize(text);
  for (const auto& t : tokens) {
    ASSERT_LE(t.end, text.size());
    ASSERT_LT(t.begin, t.end) << t.piece;
  }
  EXPECT_EQ(tokens[0].piece, "i");
  EXPECT_EQ(tokens[0].word, 0);
  // Every piece of the long word maps to word 3 and together covers its bytes.
  size_t first = 0, last = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].word == 3) { if (!first) first = i; last = i; }
  }
  EXPECT_GT(last, first);
  EXPECT_EQ(text.substr(tokens[first].begin, tokens[last].end - tokens[first].begin), "Xenotransplantation");
  // "HäLLo!" -> hall ##o ! : the accented character keeps its 2-byte span.
  auto& o = tokens[tokens.size() - 2];
  EXPECT_EQ(o.piece, "##o");
  EXPECT_EQ(text.substr(o.begin, o.end - o.begin), "o");
  EXPECT_EQ(tokens.back().piece, "!");
  EXPECT_EQ(tokens.back().word, 5);
}

TEST(Tokenizer, SpecialTokensInTextStayWhole) {
  auto ids = uncased().token_ids("the capital of france is [MASK] .");
  EXPECT_EQ(ids[5], *uncased().vocab().mask_id());
  // Lower-case "[mask]" is ordinary text.
  auto lower = uncased().token_ids("[mask]");
  EXPECT_GT(lower.size(), 1u);
}

TEST(Tokenizer, PairsTruncateLongestFirst) {
  auto e = uncased().encode("one two three four five six", std::string_view("seven eight"), 8);
  ASSERT_EQ(e.ids.size(), 8u);
  EXPECT_EQ(e.tokens[1].piece, "one");
  EXPECT_EQ(e.tokens[3].piece, "three");
  EXPECT_EQ(e.tokens[4].piece, "[SEP]");
  EXPECT_EQ(e.tokens[5].piece, "seven");
  EXPECT_EQ(e.type_ids, (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 1, 1}));
}

TEST(Tokenizer, LongWordsBecomeOneUnknown) {
  std::string word(101, 'a');
  auto tokens = uncased().tokenize(word + " b");
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].piece, "[UNK]");
  EXPECT_EQ(tokens[0].end, 101u);
  EXPECT_NE(uncased().tokenize(std::string(100, 'a')).front().piece, "[UNK]");  // 100 is allowed
}

TEST(Tokenizer, CasedModeKeepsCaseAndAccents) {
  text::TokenizerOptions cased;
  cased.lower_case = false;
  text::BertTokenizer tok(text::Vocab::from_tokens({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "Hello", "hello", "é", "!"}), cased);
  auto ids = tok.token_ids("Hello hello é!");
  EXPECT_EQ(ids, (std::vector<int64_t>{4, 5, 6, 7}));
}

TEST(Tokenizer, FinalSigmaAndDottedCapitalI) {
  text::BertTokenizer tok(text::Vocab::from_tokens({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "οδος", "οδοσ", "σοφια", "i"}), {});
  EXPECT_EQ(tok.token_ids("ΟΔΟΣ"), (std::vector<int64_t>{4}));    // final form ς then accents off? ς kept
  EXPECT_EQ(tok.token_ids("ΣΟΦΙΑ"), (std::vector<int64_t>{6}));
  EXPECT_EQ(tok.token_ids("\u0130"), (std::vector<int64_t>{7}));  // İ -> i + U+0307 -> i
}

TEST(Tokenizer, InvalidUtf8IsAnError) {
  try {
    uncased().tokenize("ok \xff\xfe");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("invalid UTF-8 at byte 3"), std::string::npos) << e.what();
  }
}

TEST(Tokenizer, VocabularyWithoutSpecialTokensIsRefused) {
  try {
    text::Vocab::from_tokens({"a", "b", "[CLS]"}, "v.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lacks the special tokens [SEP], [UNK]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace porkit
