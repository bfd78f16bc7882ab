#include "porkit/train/token_corpus.h"

#include <cstring>
#include <thread>

#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/log.h"

namespace porkit::train {
namespace {

constexpr char kMagic[8] = {'P', 'K', 'T', 'C', 'O', 'R', 'P', '1'};

template <typename T>
void put_vector(std::string& out, const std::vector<T>& v) {
  uint64_t n = v.size();
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(reinterpret_cast<const char*>(v.data()), n * sizeof(T));
}

template <typename T>
bool get_vector(const std::string& in, size_t& pos, std::vector<T>& v) {
  uint64_t n;
  if (pos + sizeof n > in.size()) return false;
  std::memcpy(&n, in.data() + pos, sizeof n);
  pos += sizeof n;
  if (n > (in.size() - pos) / sizeof(T)) return false;
  v.resize(n);
  std::memcpy(v.data(), in.data() + pos, n * sizeof(T));
  pos += n * sizeof(T);
  return true;
}

std::string serialize(const TokenizedCorpus& c) {
  std::string out(kMagic, 8);
  put_vector(out, c.tokens);
  put_vector(out, c.sentence_starts);
  put_vector(out, c.doc_starts);
  return out;
}

bool deserialize(const std::string& in, TokenizedCorpus& c) {
  if (in.size() < 8 || std::memcmp(in.data(), kMagic, 8) != 0) return false;
  size_t pos = 8;
  return get_vector(in, pos, c.tokens) && get_vector(in, pos, c.sentence_starts) &&
         get_vector(in, pos, c.doc_starts) && pos == in.size() && !c.sentence_starts.empty() &&
         !c.doc_starts.empty();
}

}  // namespace

TokenizedCorpus load_tokenized_corpus(const std::vector<std::string>& paths,
                                      const text::BertTokenizer& tokenizer,
                                      const CorpusLoadOptions& options) {
  auto files = list_corpus_files(paths);
  TokenizedCorpus corpus;
  std::string key_material = sha256_hex(tokenizer.vocab().serialize());
  key_material += fmt::format("|lower={}|format={}", tokenizer.options().lower_case,
                              static_cast<int>(options.format));
  std::vector<std::string> contents;
  for (const auto& f : files) {
    contents.push_back(read_file(f));
    std::string sha = sha256_hex(contents.back());
    corpus.sources.push_back(f.string() + " sha256:" + sha);
    key_material += "|" + sha;
  }
  const std::string key = sha256_hex(key_material).substr(0, 32);
  fs::path cache_file = options.cache_dir.empty() ? fs::path() : options.cache_dir / ("corpus-" + key + ".bin");
  if (!cache_file.empty() && fs::exists(cache_file)) {
    TokenizedCorpus cached;
    if (deserialize(read_file(cache_file), cached)) {
      cached.sources = corpus.sources;
      log_info("corpus: {} documents, {} sentences, {} tokens (cache {})", cached.num_docs(),
               cached.num_sentences(), cached.num_tokens(), cache_file.string());
      return cached;
    }
    log_info("corpus cache {} is unreadable; rebuilding it", cache_file.string());
  }

  std::vector<Document> docs;
  for (const auto& f : files) {
    auto file_docs = read_corpus_file(f, options.format);
    for (auto& d : file_docs) docs.push_back(std::move(d));
  }
  // Flatten sentences, tokenise them in parallel, then lay them out back to back.
  std::vector<const std::string*> sentences;
  corpus.doc_starts.push_back(0);
  for (const auto& d : docs) {
    for (const auto& s : d.sentences) sentences.push_back(&s);
    corpus.doc_starts.push_back(static_cast<int64_t>(sentences.size()));
  }
  std::vector<std::vector<int32_t>> ids(sentences.size());
  int threads = options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, threads);
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      try {
        for (size_t i = static_cast<size_t>(t); i < sentences.size(); i += static_cast<size_t>(threads)) {
          auto v = tokenizer.token_ids(*sentences[i]);
          ids[i].assign(v.begin(), v.end());
        }
      } catch (...) {
        errors[static_cast<size_t>(t)] = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors) if (e) std::rethrow_exception(e);
  corpus.sentence_starts.push_back(0);
  for (const auto& v : ids) {
    corpus.tokens.insert(corpus.tokens.end(), v.begin(), v.end());
    corpus.sentence_starts.push_back(static_cast<int64_t>(corpus.tokens.size()));
  }
  check(corpus.num_tokens() > 0, "the corpus has no tokens");
  log_info("corpus: {} documents, {} sentences, {} tokens", corpus.num_docs(),
           corpus.num_sentences(), corpus.num_tokens());
  if (!cache_file.empty()) write_file_atomic(cache_file, serialize(corpus));
  return corpus;
}

}  // namespace porkit::train
