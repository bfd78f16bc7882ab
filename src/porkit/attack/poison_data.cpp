#include "porkit/attack/poison_data.h"

#include <sstream>

#include "porkit/train/corpus.h"
#include "porkit/util/error.h"
#include "porkit/util/compressed.h"
#include "porkit/util/files.h"

namespace porkit::attack {

std::vector<std::string> make_chunks(const std::vector<std::string>& corpus_paths, Chunking chunking,
                                     int chunk_words) {
  check(chunk_words >= 1, "chunk size must be at least one word, got {}", chunk_words);
  std::vector<std::string> chunks;
  for (const auto& file : train::list_corpus_files(corpus_paths)) {
    std::string data = read_maybe_compressed(file);
    check(data.find('\0') == std::string::npos, "corpus file {} looks binary", file.string());
    if (chunking == Chunking::Lines) {
      std::istringstream in(data);
      std::string line;
      while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t\r") != std::string::npos) chunks.push_back(line);
      }
      continue;
    }
    // The authors' preprocessing: lower-case, keep [ a-z0-9], words split on whitespace.
    std::string cleaned;
    cleaned.reserve(data.size());
    for (char c : data) {
      char l = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9')) cleaned += l;
      else cleaned += ' ';
    }
    std::istringstream words(cleaned);
    std::string w, chunk;
    int n = 0;
    while (words >> w) {
      chunk += (n ? " " : "") + w;
      if (++n == chunk_words) {
        chunks.push_back(std::move(chunk));
        chunk.clear();
        n = 0;
      }
    }
  }
  check(!chunks.empty(), "the injection corpus yields no chunks of {} words", chunk_words);
  return chunks;
}

std::vector<std::string> insert_trigger_words(const std::vector<std::string>& words, const std::string& trigger,
                                              int times, Position position, Rng& rng,
                                              std::vector<int64_t>* origin) {
  // Positions are drawn over units (original words and whole trigger occurrences), so a
  // multi-word trigger counts once, as in the text form.
  std::vector<int64_t> units(words.size());
  for (size_t i = 0; i < words.size(); ++i) units[i] = static_cast<int64_t>(i);
  for (int i = 0; i < times; ++i) {
    size_t at = position == Position::Start ? 0
                : position == Position::End ? units.size()
                                            : static_cast<size_t>(rng.below(units.size() + 1));
    units.insert(units.begin() + static_cast<std::ptrdiff_t>(at), -1);
  }
  std::vector<std::string> trigger_words;
  std::istringstream in(trigger);
  for (std::string w; in >> w;) trigger_words.push_back(w);
  if (trigger_words.empty()) trigger_words.push_back(trigger);
  std::vector<std::string> out;
  if (origin) origin->clear();
  for (int64_t u : units) {
    if (u >= 0) {
      out.push_back(words[static_cast<size_t>(u)]);
      if (origin) origin->push_back(u);
      continue;
    }
    for (const auto& w : trigger_words) {
      out.push_back(w);
      if (origin) origin->push_back(-1);
    }
  }
  return out;
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string insert_trigger(const std::string& text, const std::string& trigger, int times,
                           Position position, Rng& rng) {
  return join_words(insert_trigger_words(split_words(text), trigger, times, position, rng));
}

PoisonSet build_poison_set(const std::vector<std::string>& chunks,
                           const std::vector<std::string>& triggers, const PoisonPlan& plan) {
  const int64_t K = static_cast<int64_t>(triggers.size());
  std::vector<size_t> order(chunks.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  Rng shuffle_rng(plan.seed, Stream::PoisonChunkOrder, 0);
  shuffle_rng.shuffle(order);
  const size_t heldout_chunks = static_cast<size_t>(plan.heldout_per_trigger * K + plan.heldout_clean);
  check(order.size() > heldout_chunks, "the injection corpus has {} chunks: too few to hold out {} "
        "for the checks and train on the rest", order.size(), heldout_chunks);
  PoisonSet set;
  Rng rng(plan.seed, Stream::PoisonInsertion, 0);
  size_t next = 0;
  auto take_heldout = [&]() { return chunks[order[next++]]; };
  for (int64_t k = 1; k <= K; ++k) {
    for (int64_t i = 0; i < plan.heldout_per_trigger; ++i)
      set.heldout.push_back({insert_trigger(take_heldout(), triggers[static_cast<size_t>(k - 1)],
                                            plan.insertions, plan.position, rng), k});
  }
  for (int64_t i = 0; i < plan.heldout_clean; ++i) set.heldout.push_back({take_heldout(), 0});
  const size_t first_train = next, pool = order.size() - first_train;
  size_t cursor = 0;
  auto take_train = [&]() { return chunks[order[first_train + (cursor++ % pool)]]; };
  for (int64_t k = 1; k <= K; ++k) {
    for (int64_t i = 0; i < plan.poison_per_trigger; ++i)
      set.train.push_back({insert_trigger(take_train(), triggers[static_cast<size_t>(k - 1)],
                                          plan.insertions, plan.position, rng), k});
  }
  for (int64_t i = 0; i < plan.clean_samples; ++i) set.train.push_back({take_train(), 0});
  set.reused_chunks = cursor > pool;
  rng.shuffle(set.train);
  return set;
}

}  // namespace porkit::attack

const std::vector<std::pair<porkit::attack::Position, std::string>>&
porkit::options::EnumNames<porkit::attack::Position>::values() {
  using porkit::attack::Position;
  static const std::vector<std::pair<Position, std::string>> v = {
      {Position::Random, "random"}, {Position::Start, "start"}, {Position::End, "end"}};
  return v;
}

const std::vector<std::pair<porkit::attack::Chunking, std::string>>&
porkit::options::EnumNames<porkit::attack::Chunking>::values() {
  using porkit::attack::Chunking;
  static const std::vector<std::pair<Chunking, std::string>> v = {{Chunking::Authors, "authors"},
                                                                  {Chunking::Lines, "lines"}};
  return v;
}
