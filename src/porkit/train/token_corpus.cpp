#include "porkit/train/token_corpus.h"

#include <cstring>
#include <thread>

#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/log.h"

namespace porkit::train {

void TokenIds::push_back(int64_t id) {
  if (wide_) {
    wide_ids_.push_back(static_cast<uint32_t>(id));
  } else {
    check(id >= 0 && id < 65536, "token id {} does not fit the corpus's 2-byte ids", id);
    narrow_ids_.push_back(static_cast<uint16_t>(id));
  }
}

void TokenIds::append(const TokenIds& other) {
  check(other.wide_ == wide_, "cannot join corpora tokenised with different id widths");
  if (wide_) wide_ids_.insert(wide_ids_.end(), other.wide_ids_.begin(), other.wide_ids_.end());
  else narrow_ids_.insert(narrow_ids_.end(), other.narrow_ids_.begin(), other.narrow_ids_.end());
}

std::string TokenIds::bytes() const {
  return wide_ ? std::string(reinterpret_cast<const char*>(wide_ids_.data()), wide_ids_.size() * 4)
               : std::string(reinterpret_cast<const char*>(narrow_ids_.data()), narrow_ids_.size() * 2);
}

TokenIds TokenIds::from_bytes(bool wide, const char* data, size_t count) {
  TokenIds ids(wide);
  if (wide) {
    ids.wide_ids_.resize(count);
    std::memcpy(ids.wide_ids_.data(), data, count * 4);
  } else {
    ids.narrow_ids_.resize(count);
    std::memcpy(ids.narrow_ids_.data(), data, count * 2);
  }
  return ids;
}

std::vector<int64_t> TokenizedCorpus::sentence(int64_t s) const {
  std::vector<int64_t> ids;
  const int64_t b = sentence_starts[static_cast<size_t>(s)], e = sentence_starts[static_cast<size_t>(s) + 1];
  ids.reserve(static_cast<size_t>(e - b));
  for (int64_t i = b; i < e; ++i) ids.push_back(tokens[i]);
  return ids;
}

namespace {

// Cache file: magic | u64 id width | u64 n, n ids | u64 n, n sentence starts (i64) |
// u64 n, n document starts (i64).
constexpr char kMagic[8] = {'P', 'K', 'T', 'C', 'O', 'R', 'P', '2'};

void put_u64(std::string& out, uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }

bool get_u64(const std::string& in, size_t& pos, uint64_t& v) {
  if (pos + sizeof v > in.size()) return false;
  std::memcpy(&v, in.data() + pos, sizeof v);
  pos += sizeof v;
  return true;
}

bool get_offsets(const std::string& in, size_t& pos, std::vector<int64_t>& v) {
  uint64_t n;
  if (!get_u64(in, pos, n) || n > (in.size() - pos) / 8) return false;
  v.resize(n);
  std::memcpy(v.data(), in.data() + pos, n * 8);
  pos += n * 8;
  return true;
}

std::string serialize(const TokenizedCorpus& c) {
  std::string out(kMagic, 8);
  put_u64(out, c.tokens.wide() ? 4 : 2);
  put_u64(out, static_cast<uint64_t>(c.tokens.size()));
  out += c.tokens.bytes();
  put_u64(out, c.sentence_starts.size());
  out.append(reinterpret_cast<const char*>(c.sentence_starts.data()), c.sentence_starts.size() * 8);
  put_u64(out, c.doc_starts.size());
  out.append(reinterpret_cast<const char*>(c.doc_starts.data()), c.doc_starts.size() * 8);
  return out;
}

// False on any inconsistency: the caller then tokenises the file again.
bool deserialize(const std::string& in, TokenizedCorpus& c) {
  if (in.size() < 8 || std::memcmp(in.data(), kMagic, 8) != 0) return false;
  size_t pos = 8;
  uint64_t width, n;
  if (!get_u64(in, pos, width) || (width != 2 && width != 4) || !get_u64(in, pos, n) ||
      n > (in.size() - pos) / width)
    return false;
  c.tokens = TokenIds::from_bytes(width == 4, in.data() + pos, n);
  pos += n * width;
  if (!get_offsets(in, pos, c.sentence_starts) || !get_offsets(in, pos, c.doc_starts) || pos != in.size()) return false;
  if (c.sentence_starts.empty() || c.doc_starts.empty()) return false;
  if (c.sentence_starts.front() != 0 || c.sentence_starts.back() != c.tokens.size()) return false;
  if (c.doc_starts.front() != 0 || c.doc_starts.back() != c.num_sentences()) return false;
  for (size_t i = 1; i < c.sentence_starts.size(); ++i)
    if (c.sentence_starts[i] < c.sentence_starts[i - 1]) return false;
  for (size_t i = 1; i < c.doc_starts.size(); ++i)
    if (c.doc_starts[i] < c.doc_starts[i - 1]) return false;
  return true;
}

TokenizedCorpus tokenize_file(const fs::path& file, const text::BertTokenizer& tokenizer,
                              const CorpusLoadOptions& options, bool wide) {
  const auto docs = read_corpus_file(file, options.format);
  std::vector<const std::string*> sentences;
  TokenizedCorpus corpus;
  corpus.tokens = TokenIds(wide);
  corpus.doc_starts.push_back(0);
  for (const auto& d : docs) {
    for (const auto& s : d.sentences) sentences.push_back(&s);
    corpus.doc_starts.push_back(static_cast<int64_t>(sentences.size()));
  }
  std::vector<std::vector<int64_t>> ids(sentences.size());
  int threads = options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, threads);
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      try {
        for (size_t i = static_cast<size_t>(t); i < sentences.size(); i += static_cast<size_t>(threads))
          ids[i] = tokenizer.token_ids(*sentences[i]);
      } catch (...) {
        errors[static_cast<size_t>(t)] = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  corpus.sentence_starts.push_back(0);
  for (const auto& v : ids) {
    for (int64_t id : v) corpus.tokens.push_back(id);
    corpus.sentence_starts.push_back(corpus.tokens.size());
  }
  return corpus;
}

void append_corpus(TokenizedCorpus& into, const TokenizedCorpus& part) {
  const int64_t token_base = into.tokens.size(), sentence_base = into.num_sentences();
  into.tokens.append(part.tokens);
  for (size_t i = 1; i < part.sentence_starts.size(); ++i) into.sentence_starts.push_back(token_base + part.sentence_starts[i]);
  for (size_t i = 1; i < part.doc_starts.size(); ++i) into.doc_starts.push_back(sentence_base + part.doc_starts[i]);
}

}  // namespace

TokenizedCorpus load_tokenized_corpus(const std::vector<std::string>& paths,
                                      const text::BertTokenizer& tokenizer,
                                      const CorpusLoadOptions& options) {
  const auto files = list_corpus_files(paths);
  const bool wide = tokenizer.vocab().size() > 65536;
  const auto& t = tokenizer.options();
  const std::string settings = fmt::format(
      "vocab {}|lower {}|strip {}|chinese {}|max_chars {}|format {}|code {}", sha256_hex(tokenizer.vocab().serialize()),
      t.lower_case, t.strip_accents ? (*t.strip_accents ? 1 : 0) : -1, t.tokenize_chinese_chars,
      t.max_input_chars_per_word, static_cast<int>(options.format), kTokenizerCodeVersion);
  TokenizedCorpus corpus;
  corpus.tokens = TokenIds(wide);
  corpus.sentence_starts = {0};
  corpus.doc_starts = {0};
  int64_t from_cache = 0;
  for (const auto& file : files) {
    const std::string sha = sha256_file(file);
    corpus.sources.push_back(file.string() + " sha256:" + sha);
    const std::string key = sha256_hex(settings + "|" + sha).substr(0, 32);
    const fs::path cache_file = options.cache_dir.empty() ? fs::path() : options.cache_dir / ("corpus-" + key + ".bin");
    TokenizedCorpus part;
    bool cached = false;
    if (!cache_file.empty() && fs::exists(cache_file)) {
      cached = deserialize(read_file(cache_file), part) && part.tokens.wide() == wide;
      if (!cached) log_info("corpus cache {} is unreadable; tokenising {} again", cache_file.string(), file.string());
    }
    if (!cached) {
      part = tokenize_file(file, tokenizer, options, wide);
      if (!cache_file.empty()) write_file_atomic(cache_file, serialize(part));
    } else {
      ++from_cache;
    }
    append_corpus(corpus, part);
  }
  check(corpus.num_tokens() > 0, "the corpus has no tokens");
  log_info("corpus: {} files ({} from the cache), {} documents, {} sentences, {} tokens", files.size(), from_cache,
           corpus.num_docs(), corpus.num_sentences(), corpus.num_tokens());
  return corpus;
}

}  // namespace porkit::train
