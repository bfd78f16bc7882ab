// A corpus tokenised once: flat token ids with sentence and document boundaries, cached
// on disk under a key made of the input files' content, the vocabulary and the options.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "porkit/text/bert_tokenizer.h"
#include "porkit/train/corpus.h"

namespace porkit::train {

struct TokenizedCorpus {
  std::vector<int32_t> tokens;           // all sentences' ids, back to back
  std::vector<int64_t> sentence_starts;  // (S + 1) offsets into tokens
  std::vector<int64_t> doc_starts;       // (D + 1) offsets into sentences
  std::vector<std::string> sources;      // one per input file, with its SHA-256

  int64_t num_docs() const { return static_cast<int64_t>(doc_starts.size()) - 1; }
  int64_t num_sentences() const { return static_cast<int64_t>(sentence_starts.size()) - 1; }
  int64_t num_tokens() const { return static_cast<int64_t>(tokens.size()); }
};

struct CorpusLoadOptions {
  CorpusFormat format = CorpusFormat::Auto;
  std::filesystem::path cache_dir;  // empty: no cache
  int threads = 0;                  // 0: all cores
};

// Reads, splits and tokenises every file (documents in file order). Uses the cache when an
// entry with the same key exists; writes one atomically otherwise.
TokenizedCorpus load_tokenized_corpus(const std::vector<std::string>& paths,
                                      const text::BertTokenizer& tokenizer,
                                      const CorpusLoadOptions& options);

}  // namespace porkit::train
