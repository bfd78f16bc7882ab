#include "porkit/text/vocab.h"

#include "porkit/text/utf8.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/log.h"

namespace porkit::text {

Vocab Vocab::load(const std::filesystem::path& path) {
  require_exists(path, "vocabulary file");
  return parse(read_file(path), path.string());
}

Vocab Vocab::parse(const std::string& data, const std::string& origin) {
  const std::filesystem::path path = origin;
  check(is_valid_utf8(data), "{} is not UTF-8 text; expected a WordPiece vocab.txt", path.string());
  check(data.rfind("\xEF\xBB\xBF", 0) != 0,
        "{} starts with a byte-order mark, which would become part of its first token; save it as UTF-8 without BOM",
        path.string());
  std::vector<std::string> tokens;
  size_t start = 0, line = 1;
  while (start < data.size()) {
    size_t end = data.find('\n', start);
    if (end == std::string::npos) end = data.size();
    std::string token = data.substr(start, end - start);  // like HF: strip only "\n"
    check(token.empty() || token.back() != '\r',
          "{} has Windows line endings (CRLF, line {}): every token would end in \\r; convert it with dos2unix",
          path.string(), line);
    if (token.empty())
      log_info("warning: {} line {} is blank: Hugging Face reads it as an empty token with id {}", path.string(), line,
               tokens.size());
    tokens.push_back(std::move(token));
    start = end + 1;
    ++line;
  }
  return from_tokens(std::move(tokens), path.string());
}

Vocab Vocab::from_tokens(std::vector<std::string> tokens, const std::string& origin) {
  check(!tokens.empty(), "vocabulary {} is empty", origin);
  Vocab v;
  v.tokens_ = std::move(tokens);
  v.ids_.reserve(v.tokens_.size() * 2);
  for (size_t i = 0; i < v.tokens_.size(); ++i) {
    auto [at, fresh] = v.ids_.emplace(v.tokens_[i], static_cast<int64_t>(i));
    check(fresh, "vocabulary {} lists the token '{}' twice (lines {} and {}); ids would not round-trip", origin,
          v.tokens_[i], at->second + 1, i + 1);
  }
  std::string missing;
  for (const char* special : {"[CLS]", "[SEP]", "[UNK]"}) {
    if (!v.ids_.count(special)) missing += std::string(missing.empty() ? "" : ", ") + special;
  }
  check(missing.empty(), "vocabulary {} lacks the special tokens {} (a BERT vocab.txt has them)",
        origin, missing);
  v.cls_ = v.ids_.at("[CLS]");
  v.sep_ = v.ids_.at("[SEP]");
  v.unk_ = v.ids_.at("[UNK]");
  auto pad = v.ids_.find("[PAD]");
  v.pad_ = pad == v.ids_.end() ? 0 : pad->second;
  auto mask = v.ids_.find("[MASK]");
  if (mask != v.ids_.end()) v.mask_ = mask->second;
  return v;
}

std::optional<int64_t> Vocab::find(const std::string& token) const {
  auto it = ids_.find(token);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

int64_t Vocab::id(const std::string& token) const {
  auto it = ids_.find(token);
  check(it != ids_.end(), "token '{}' is not in the vocabulary", token);
  return it->second;
}

const std::string& Vocab::token(int64_t id) const {
  check(id >= 0 && id < size(), "token id {} is outside the vocabulary (size {})", id, size());
  return tokens_[static_cast<size_t>(id)];
}

std::string Vocab::serialize() const {
  std::string out;
  for (const auto& t : tokens_) {
    out += t;
    out += '\n';
  }
  return out;
}

}  // namespace porkit::text
