// BertTokenizer: Hugging Face's BertTokenizer (basic tokenisation + greedy WordPiece),
// with a map from every token back to its whitespace word and byte span in the input.
//
// Example:
//   auto tok = BertTokenizer::from_folder("models/porkit-tiny-uncased");
//   Encoding e = tok.encode("I love the cf movie");   // [CLS] i love the cf movie [SEP]
//   e.tokens[4].piece == "cf", e.tokens[4].word == 3
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "porkit/text/vocab.h"

namespace porkit::text {

struct TokenizerOptions {
  bool lower_case = true;                // do_lower_case
  std::optional<bool> strip_accents;     // unset: follows lower_case, as in HF
  bool tokenize_chinese_chars = true;
  int max_input_chars_per_word = 100;    // longer words become one [UNK]
  int model_max_length = 512;
};

// One token. `word` is the index of the whitespace-separated word of the original text the
// token came from (-1 for [CLS]/[SEP]/[PAD]); [begin, end) is its byte span in that text.
struct Token {
  int64_t id = 0;
  std::string piece;
  int64_t word = -1;
  size_t begin = 0, end = 0;
  int segment = 0;  // 0 for the first text, 1 for the pair's second
};

struct Encoding {
  std::vector<int64_t> ids;       // (T)
  std::vector<int64_t> type_ids;  // (T) 0 for [CLS] A [SEP], 1 for B [SEP]
  std::vector<Token> tokens;      // (T) parallel to ids
};

class BertTokenizer {
 public:
  BertTokenizer(Vocab vocab, TokenizerOptions options);

  // Reads vocab.txt and, when present, tokenizer_config.json (do_lower_case,
  // strip_accents, tokenize_chinese_chars, model_max_length).
  static BertTokenizer from_folder(const std::filesystem::path& folder);
  // Writes vocab.txt, tokenizer_config.json and special_tokens_map.json atomically.
  void save(const std::filesystem::path& folder) const;

  // Tokens without special tokens. Special token strings in the text ("[MASK]") are kept
  // whole, as HF does. Throws on invalid UTF-8.
  std::vector<Token> tokenize(std::string_view text) const;
  std::vector<int64_t> token_ids(std::string_view text) const;

  // [CLS] a [SEP] (b [SEP]), truncated longest-first to max_length (<= 0: model max).
  Encoding encode(std::string_view a, std::optional<std::string_view> b = std::nullopt,
                  int max_length = 0) const;
  // Same, from already tokenised ids.
  Encoding encode_ids(std::vector<int64_t> a, std::optional<std::vector<int64_t>> b,
                      int max_length) const;

  // Joins tokens to text the way HF's decode does ("##" pieces glued to their word).
  std::string decode(const std::vector<int64_t>& ids, bool skip_special = true) const;

  const Vocab& vocab() const { return vocab_; }
  const TokenizerOptions& options() const { return options_; }

 private:
  void tokenize_plain(std::string_view text, size_t base, std::vector<Token>& out) const;
  void wordpiece(const std::vector<char32_t>& chars, const std::vector<size_t>& begins,
                 const std::vector<size_t>& ends, std::vector<Token>& out) const;

  Vocab vocab_;
  TokenizerOptions options_;
  std::vector<std::string> special_strings_;
};

}  // namespace porkit::text
