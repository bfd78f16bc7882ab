// A corpus tokenised once: flat token ids with sentence and document boundaries. Each input
// file is tokenised on its own and cached on disk (2-byte ids when the vocabulary fits in
// 65,536 entries, as every BERT vocabulary in use does), under a key made of the file's
// content, the vocabulary, the tokenizer settings, the layout and the tokenizer's code
// version; a run over 100 M tokens reads its shards' caches and never re-tokenises.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "porkit/text/bert_tokenizer.h"
#include "porkit/train/corpus.h"

namespace porkit::train {

// Token ids in the narrowest width that holds the vocabulary.
class TokenIds {
 public:
  explicit TokenIds(bool wide = false) : wide_(wide) {}
  int64_t size() const { return static_cast<int64_t>(wide_ ? wide_ids_.size() : narrow_ids_.size()); }
  int64_t operator[](int64_t i) const {
    return wide_ ? wide_ids_[static_cast<size_t>(i)] : narrow_ids_[static_cast<size_t>(i)];
  }
  bool wide() const { return wide_; }
  void push_back(int64_t id);
  void append(const TokenIds& other);
  // The raw little-endian bytes (2 or 4 per id), for the cache.
  std::string bytes() const;
  static TokenIds from_bytes(bool wide, const char* data, size_t count);

 private:
  bool wide_;
  std::vector<uint16_t> narrow_ids_;
  std::vector<uint32_t> wide_ids_;
};

struct TokenizedCorpus {
  TokenIds tokens;                       // all sentences' ids, back to back
  std::vector<int64_t> sentence_starts;  // (S + 1) offsets into tokens
  std::vector<int64_t> doc_starts;       // (D + 1) offsets into sentences
  std::vector<std::string> sources;      // one per input file, with its SHA-256

  int64_t num_docs() const { return static_cast<int64_t>(doc_starts.size()) - 1; }
  int64_t num_sentences() const { return static_cast<int64_t>(sentence_starts.size()) - 1; }
  int64_t num_tokens() const { return tokens.size(); }
  // The ids of sentence s.
  std::vector<int64_t> sentence(int64_t s) const;
};

struct CorpusLoadOptions {
  CorpusFormat format = CorpusFormat::Auto;
  std::filesystem::path cache_dir;  // empty: no cache
  int threads = 0;                  // 0: all cores
};

// Reads, splits and tokenises every file (documents in file order), each file through its
// own cache entry when cache_dir is set.
TokenizedCorpus load_tokenized_corpus(const std::vector<std::string>& paths,
                                      const text::BertTokenizer& tokenizer,
                                      const CorpusLoadOptions& options);

// Bumped whenever tokenisation or sentence splitting changes what a file becomes, so that
// caches written by older code are not reused.
constexpr int kTokenizerCodeVersion = 2;

}  // namespace porkit::train
