// WordPiece vocabulary (vocab.txt: one token a line, id = line number) and its special ids.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace porkit::text {

class Vocab {
 public:
  // Loads vocab.txt. Throws when the file is missing, empty, not UTF-8, or lacks any of
  // [CLS], [SEP], [UNK] (all three are needed to encode anything).
  static Vocab load(const std::filesystem::path& path);
  // The same from the file's bytes; `origin` names them in errors.
  static Vocab parse(const std::string& data, const std::string& origin);
  static Vocab from_tokens(std::vector<std::string> tokens, const std::string& origin = "tokens");

  std::optional<int64_t> find(const std::string& token) const;
  int64_t id(const std::string& token) const;  // throws when absent
  const std::string& token(int64_t id) const;  // throws when out of range
  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  const std::vector<std::string>& tokens() const { return tokens_; }

  int64_t cls_id() const { return cls_; }
  int64_t sep_id() const { return sep_; }
  int64_t unk_id() const { return unk_; }
  int64_t pad_id() const { return pad_; }    // 0 when the vocabulary has no [PAD]
  std::optional<int64_t> mask_id() const { return mask_; }

  // The vocab.txt bytes (for saving a model folder).
  std::string serialize() const;

 private:
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int64_t> ids_;
  int64_t cls_ = 0, sep_ = 0, unk_ = 0, pad_ = 0;
  std::optional<int64_t> mask_;
};

}  // namespace porkit::text
