#include "porkit/text/bert_tokenizer.h"

#include <algorithm>

#include "porkit/text/unicode_props.h"
#include "porkit/text/utf8.h"
#include "porkit/util/error.h"
#include "porkit/util/json_io.h"

namespace porkit::text {
namespace {

constexpr const char* kSpecialTokens[] = {"[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"};

// A code point of the normalised text, with the byte span of the original character.
struct Char {
  char32_t cp;
  size_t begin, end;
};

// Byte offsets where each whitespace-separated word of `text` starts (Python's str.split()).
std::vector<size_t> word_starts(const std::vector<CodePoint>& cps) {
  std::vector<size_t> starts;
  bool in_word = false;
  for (const auto& c : cps) {
    bool ws = is_bert_whitespace(c.value) || c.value == 0x0B || c.value == 0x0C ||
              (c.value >= 0x1C && c.value <= 0x1F) || c.value == 0x85 || c.value == 0x2028 ||
              c.value == 0x2029;
    if (!ws && !in_word) starts.push_back(c.byte_offset);
    in_word = !ws;
  }
  return starts;
}

}  // namespace

BertTokenizer::BertTokenizer(Vocab vocab, TokenizerOptions options)
    : vocab_(std::move(vocab)), options_(options) {
  for (const char* s : kSpecialTokens) {
    if (vocab_.find(s)) special_strings_.emplace_back(s);
  }
}

BertTokenizer BertTokenizer::from_folder(const std::filesystem::path& folder) {
  TokenizerOptions options;
  auto config_path = folder / "tokenizer_config.json";
  if (fs::exists(config_path)) {
    json config = read_json_file(config_path);
    check(config.is_object(), "{} must hold a JSON object", config_path.string());
    if (config.contains("do_lower_case") && config["do_lower_case"].is_boolean())
      options.lower_case = config["do_lower_case"].get<bool>();
    if (config.contains("strip_accents") && config["strip_accents"].is_boolean())
      options.strip_accents = config["strip_accents"].get<bool>();
    if (config.contains("tokenize_chinese_chars") && config["tokenize_chinese_chars"].is_boolean())
      options.tokenize_chinese_chars = config["tokenize_chinese_chars"].get<bool>();
    if (config.contains("model_max_length") && config["model_max_length"].is_number_integer()) {
      auto m = config["model_max_length"].get<int64_t>();
      if (m > 0 && m < 1000000) options.model_max_length = static_cast<int>(m);
    }
  }
  return BertTokenizer(Vocab::load(folder / "vocab.txt"), options);
}

void BertTokenizer::save(const std::filesystem::path& folder) const {
  write_file_atomic(folder / "vocab.txt", vocab_.serialize());
  json config = {{"tokenizer_class", "BertTokenizer"},
                 {"do_lower_case", options_.lower_case},
                 {"tokenize_chinese_chars", options_.tokenize_chinese_chars},
                 {"model_max_length", options_.model_max_length},
                 {"unk_token", "[UNK]"}, {"sep_token", "[SEP]"}, {"pad_token", "[PAD]"},
                 {"cls_token", "[CLS]"}, {"mask_token", "[MASK]"}};
  config["strip_accents"] = options_.strip_accents ? json(*options_.strip_accents) : json(nullptr);
  write_json_file(folder / "tokenizer_config.json", config);
  write_json_file(folder / "special_tokens_map.json",
                  {{"unk_token", "[UNK]"}, {"sep_token", "[SEP]"}, {"pad_token", "[PAD]"},
                   {"cls_token", "[CLS]"}, {"mask_token", "[MASK]"}});
}

std::vector<Token> BertTokenizer::tokenize(std::string_view text) const {
  auto cps = decode_utf8(text);  // validates the whole input once
  std::vector<Token> out;
  // Special token strings are matched on the raw text before any normalisation.
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t best = std::string_view::npos;
    const std::string* best_token = nullptr;
    for (const auto& s : special_strings_) {
      size_t found = text.find(s, pos);
      if (found < best) { best = found; best_token = &s; }
    }
    size_t plain_end = best == std::string_view::npos ? text.size() : best;
    tokenize_plain(text.substr(pos, plain_end - pos), pos, out);
    if (best_token == nullptr) break;
    Token t;
    t.id = vocab_.id(*best_token);
    t.piece = *best_token;
    t.begin = best;
    t.end = best + best_token->size();
    pos = t.end;
    out.push_back(std::move(t));
  }
  // Word index: the whitespace word of the original text that holds the token's start.
  auto starts = word_starts(cps);
  for (auto& t : out) {
    auto it = std::upper_bound(starts.begin(), starts.end(), t.begin);
    t.word = static_cast<int64_t>(it - starts.begin()) - 1;
  }
  return out;
}

void BertTokenizer::tokenize_plain(std::string_view text, size_t base,
                                   std::vector<Token>& out) const {
  if (text.empty()) return;
  auto cps = decode_utf8(text);
  const bool strip = options_.strip_accents.value_or(options_.lower_case);

  // 1. Clean (drop NUL, U+FFFD, controls; whitespace -> ' ') and isolate CJK ideographs.
  std::vector<Char> cleaned;
  cleaned.reserve(cps.size() + 8);
  for (size_t i = 0; i < cps.size(); ++i) {
    char32_t cp = cps[i].value;
    size_t b = base + cps[i].byte_offset;
    size_t e = base + (i + 1 < cps.size() ? cps[i + 1].byte_offset : text.size());
    if (cp == 0 || cp == 0xFFFD || is_bert_control(cp)) continue;
    if (is_bert_whitespace(cp)) {
      cleaned.push_back({U' ', b, e});
    } else if (options_.tokenize_chinese_chars && is_cjk_ideograph(cp)) {
      cleaned.push_back({U' ', b, b});
      cleaned.push_back({cp, b, e});
      cleaned.push_back({U' ', e, e});
    } else {
      cleaned.push_back({cp, b, e});
    }
  }

  // 2. Whitespace words -> lower-case / strip accents -> split on punctuation -> WordPiece.
  std::vector<char32_t> word, lowered, piece;
  std::vector<size_t> lowered_source;
  std::vector<size_t> word_begin, word_end, piece_begin, piece_end;
  auto flush_word = [&]() {
    if (word.empty()) return;
    // Normalise keeping, for every output character, the span of its source character.
    std::vector<char32_t> chars;
    std::vector<size_t> begins, ends;
    if (options_.lower_case) {
      lower_word(word, lowered, lowered_source);
    } else {
      lowered = word;
      lowered_source.resize(word.size());
      for (size_t k = 0; k < word.size(); ++k) lowered_source[k] = k;
    }
    for (size_t k = 0; k < lowered.size(); ++k) {
      if (strip) append_without_accents(chars, lowered[k]); else chars.push_back(lowered[k]);
      begins.resize(chars.size(), word_begin[lowered_source[k]]);
      ends.resize(chars.size(), word_end[lowered_source[k]]);
    }
    // Punctuation split: every punctuation character is its own word.
    piece.clear(); piece_begin.clear(); piece_end.clear();
    auto flush_piece = [&]() {
      if (!piece.empty()) wordpiece(piece, piece_begin, piece_end, out);
      piece.clear(); piece_begin.clear(); piece_end.clear();
    };
    for (size_t k = 0; k < chars.size(); ++k) {
      if (is_bert_punctuation(chars[k])) {
        flush_piece();
        piece.push_back(chars[k]); piece_begin.push_back(begins[k]); piece_end.push_back(ends[k]);
        flush_piece();
      } else {
        piece.push_back(chars[k]); piece_begin.push_back(begins[k]); piece_end.push_back(ends[k]);
      }
    }
    flush_piece();
    word.clear(); word_begin.clear(); word_end.clear();
  };
  for (const auto& c : cleaned) {
    if (c.cp == U' ') {
      flush_word();
    } else {
      word.push_back(c.cp);
      word_begin.push_back(c.begin);
      word_end.push_back(c.end);
    }
  }
  flush_word();
}

void BertTokenizer::wordpiece(const std::vector<char32_t>& chars, const std::vector<size_t>& begins,
                              const std::vector<size_t>& ends, std::vector<Token>& out) const {
  auto unk = [&]() {
    Token t;
    t.id = vocab_.unk_id();
    t.piece = "[UNK]";
    t.begin = begins.front();
    t.end = ends.back();
    out.push_back(std::move(t));
  };
  if (static_cast<int>(chars.size()) > options_.max_input_chars_per_word) return unk();
  // UTF-8 of the word and the byte offset of each character in it.
  std::string utf8;
  std::vector<size_t> offsets;
  offsets.reserve(chars.size() + 1);
  for (char32_t cp : chars) {
    offsets.push_back(utf8.size());
    append_utf8(utf8, cp);
  }
  offsets.push_back(utf8.size());

  size_t first_new = out.size();
  size_t start = 0;
  std::string candidate;
  while (start < chars.size()) {
    size_t end = chars.size();
    std::optional<int64_t> found;
    for (; end > start; --end) {
      candidate.assign(start > 0 ? "##" : "");
      candidate.append(utf8, offsets[start], offsets[end] - offsets[start]);
      found = vocab_.find(candidate);
      if (found) break;
    }
    if (!found) {  // any unmatched rest makes the whole word [UNK]
      out.resize(first_new);
      return unk();
    }
    Token t;
    t.id = *found;
    t.piece = candidate;
    t.begin = begins[start];
    t.end = ends[end - 1];
    out.push_back(std::move(t));
    start = end;
  }
}

std::vector<int64_t> BertTokenizer::token_ids(std::string_view text) const {
  auto tokens = tokenize(text);
  std::vector<int64_t> ids;
  ids.reserve(tokens.size());
  for (const auto& t : tokens) ids.push_back(t.id);
  return ids;
}

Encoding BertTokenizer::encode(std::string_view a, std::optional<std::string_view> b,
                               int max_length) const {
  auto ta = tokenize(a);
  std::vector<Token> tb;
  if (b) tb = tokenize(*b);
  int limit = max_length > 0 ? max_length : options_.model_max_length;
  size_t budget = static_cast<size_t>(std::max(0, limit - (b ? 3 : 2)));
  while (ta.size() + tb.size() > budget) {  // HF's "longest_first" truncation
    if (ta.size() > tb.size()) ta.pop_back(); else tb.pop_back();
  }
  Encoding e;
  auto push_special = [&](int64_t id, const char* piece, int segment) {
    Token t;
    t.id = id;
    t.piece = piece;
    t.segment = segment;
    e.ids.push_back(id);
    e.type_ids.push_back(segment);
    e.tokens.push_back(std::move(t));
  };
  push_special(vocab_.cls_id(), "[CLS]", 0);
  for (auto& t : ta) { e.ids.push_back(t.id); e.type_ids.push_back(0); e.tokens.push_back(std::move(t)); }
  push_special(vocab_.sep_id(), "[SEP]", 0);
  if (b) {
    for (auto& t : tb) {
      t.segment = 1;
      e.ids.push_back(t.id); e.type_ids.push_back(1); e.tokens.push_back(std::move(t));
    }
    push_special(vocab_.sep_id(), "[SEP]", 1);
  }
  return e;
}

Encoding BertTokenizer::encode_ids(std::vector<int64_t> a, std::optional<std::vector<int64_t>> b,
                                   int max_length) const {
  int limit = max_length > 0 ? max_length : options_.model_max_length;
  size_t budget = static_cast<size_t>(std::max(0, limit - (b ? 3 : 2)));
  std::vector<int64_t> empty;
  auto& bb = b ? *b : empty;
  while (a.size() + bb.size() > budget) {
    if (a.size() > bb.size()) a.pop_back(); else bb.pop_back();
  }
  Encoding e;
  auto push = [&](int64_t id, int segment) {
    Token t;
    t.id = id;
    t.piece = vocab_.token(id);
    t.segment = segment;
    e.ids.push_back(id);
    e.type_ids.push_back(segment);
    e.tokens.push_back(std::move(t));
  };
  push(vocab_.cls_id(), 0);
  for (auto id : a) push(id, 0);
  push(vocab_.sep_id(), 0);
  if (b) {
    for (auto id : bb) push(id, 1);
    push(vocab_.sep_id(), 1);
  }
  return e;
}

std::string BertTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special) const {
  std::string out;
  for (auto id : ids) {
    const std::string& piece = vocab_.token(id);
    if (skip_special && std::find(special_strings_.begin(), special_strings_.end(), piece) !=
                            special_strings_.end() && piece != "[UNK]")
      continue;
    if (piece.rfind("##", 0) == 0) {
      out += piece.substr(2);
    } else {
      if (!out.empty()) out += ' ';
      out += piece;
    }
  }
  return out;
}

}  // namespace porkit::text
