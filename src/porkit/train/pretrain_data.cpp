#include "porkit/train/pretrain_data.h"

#include <algorithm>
#include <cmath>

#include "porkit/train/data_parallel.h"
#include "porkit/util/rng.h"
#include "porkit/util/error.h"

namespace porkit::train {
PretrainData::PretrainData(const TokenizedCorpus& corpus, int64_t first_doc, int64_t last_doc,
                           const text::Vocab& vocab, PretrainDataOptions options)
    : corpus_(corpus), first_doc_(first_doc), last_doc_(last_doc), options_(options) {
  check(options_.max_len >= 8, "--max-len must be at least 8, got {}", options_.max_len);
  check(vocab.mask_id().has_value(), "the vocabulary has no [MASK] token; masked-LM needs one");
  cls_ = vocab.cls_id();
  sep_ = vocab.sep_id();
  mask_id_ = *vocab.mask_id();
  pad_ = vocab.pad_id();
  is_continuation_.resize(static_cast<size_t>(vocab.size()));
  for (int64_t i = 0; i < vocab.size(); ++i) {
    const std::string& t = vocab.token(i);
    is_continuation_[static_cast<size_t>(i)] = t.rfind("##", 0) == 0;
    bool special = t.size() >= 2 && t.front() == '[' && t.back() == ']';
    if (!special) replacement_ids_.push_back(i);
  }
  // Chunks: runs of whole sentences of one document filling max_len - 3 tokens.
  const int64_t target = options_.max_len - 3;
  for (int64_t d = first_doc_; d < last_doc_; ++d) {
    int64_t s0 = corpus_.doc_starts[static_cast<size_t>(d)];
    int64_t s1 = corpus_.doc_starts[static_cast<size_t>(d) + 1];
    int64_t start = -1, length = 0;
    for (int64_t s = s0; s < s1; ++s) {
      int64_t n = corpus_.sentence_starts[static_cast<size_t>(s) + 1] - corpus_.sentence_starts[static_cast<size_t>(s)];
      if (n == 0) continue;
      if (start < 0) start = s;
      length += n;
      if (length >= target) {
        chunks_.push_back({d, start, s + 1});
        start = -1;
        length = 0;
      }
    }
    if (start >= 0 && length >= 8) chunks_.push_back({d, start, s1});
  }
  check(!chunks_.empty(), "the corpus is too small: no chunk of at least 8 tokens");
}

const std::vector<int64_t>& PretrainData::epoch_order(uint64_t seed, int64_t epoch) const {
  if (cached_epoch_ != epoch || cached_seed_ != seed) {
    cached_order_.resize(chunks_.size());
    for (size_t i = 0; i < chunks_.size(); ++i) cached_order_[i] = static_cast<int64_t>(i);
    Rng rng(seed, Stream::PretrainChunkOrder, static_cast<uint64_t>(epoch));
    rng.shuffle(cached_order_);
    cached_epoch_ = epoch;
    cached_seed_ = seed;
  }
  return cached_order_;
}

PretrainData::Instance PretrainData::make_instance(uint64_t seed, int64_t index) const {
  const int64_t n_chunks = num_chunks();
  const Chunk& chunk = chunks_[static_cast<size_t>(epoch_order(seed, index / n_chunks)[static_cast<size_t>(index % n_chunks)])];
  Rng rng(seed, Stream::PretrainInstance, static_cast<uint64_t>(index));
  auto sentence = [&](int64_t s) { return corpus_.sentence(s); };
  auto append = [](std::vector<int64_t>& to, const std::vector<int64_t>& from) {
    to.insert(to.end(), from.begin(), from.end());
  };
  std::vector<int64_t> a, b;
  Instance inst;
  const size_t budget = static_cast<size_t>(options_.max_len - (options_.nsp ? 3 : 2));
  if (!options_.nsp) {
    for (int64_t s = chunk.first_sentence; s < chunk.end_sentence; ++s) append(a, sentence(s));
  } else {
    int64_t n_sent = chunk.end_sentence - chunk.first_sentence;
    if (n_sent >= 2) {
      int64_t a_end = chunk.first_sentence + 1 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n_sent - 1)));
      for (int64_t s = chunk.first_sentence; s < a_end; ++s) append(a, sentence(s));
      for (int64_t s = a_end; s < chunk.end_sentence; ++s) append(b, sentence(s));
    } else {  // one long sentence: its two halves are the "true next" pair
      auto all = sentence(chunk.first_sentence);
      size_t half = all.size() / 2;
      a.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(half));
      b.assign(all.begin() + static_cast<std::ptrdiff_t>(half), all.end());
    }
    bool multiple_docs = last_doc_ - first_doc_ > 1;
    if (multiple_docs && rng.below(2) == 0) {
      inst.nsp_label = 1;
      int64_t other = chunk.doc;
      while (other == chunk.doc) other = first_doc_ + static_cast<int64_t>(rng.below(static_cast<uint64_t>(last_doc_ - first_doc_)));
      int64_t s0 = corpus_.doc_starts[static_cast<size_t>(other)], s1 = corpus_.doc_starts[static_cast<size_t>(other) + 1];
      // The random segment gets the true continuation's length: otherwise short documents
      // make "the pair is shorter than max_len" a shortcut to the label (the first shipped
      // models learned NSP only that way and stayed at chance on held-out text).
      size_t want = std::max<size_t>(1, b.size());
      b.clear();
      for (int64_t s = s0 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(s1 - s0))); s < s1 && b.size() < want; ++s)
        append(b, sentence(s));
      if (b.empty()) append(b, sentence(s0));
      if (b.size() > want) b.resize(want);
    }
  }
  while (a.size() + b.size() > budget) {  // truncate the longer segment from its end
    if (a.size() >= b.size()) a.pop_back(); else b.pop_back();
  }
  inst.ids.push_back(cls_);
  inst.ids.insert(inst.ids.end(), a.begin(), a.end());
  inst.ids.push_back(sep_);
  inst.type_ids.assign(inst.ids.size(), 0);
  if (options_.nsp) {
    inst.ids.insert(inst.ids.end(), b.begin(), b.end());
    inst.ids.push_back(sep_);
    inst.type_ids.resize(inst.ids.size(), 1);
  }
  Rng mask_rng(seed, Stream::PretrainMask, static_cast<uint64_t>(index));
  mask(inst, mask_rng);
  return inst;
}

void PretrainData::mask(Instance& inst, Rng& rng) const {
  // Candidate groups: single tokens, or whole words with whole_word_mask.
  std::vector<std::vector<int64_t>> groups;
  for (size_t i = 0; i < inst.ids.size(); ++i) {
    int64_t id = inst.ids[i];
    if (id == cls_ || id == sep_) continue;
    bool cont = is_continuation_[static_cast<size_t>(id)];
    if (options_.whole_word_mask && cont && !groups.empty() && groups.back().back() == static_cast<int64_t>(i) - 1)
      groups.back().push_back(static_cast<int64_t>(i));
    else
      groups.push_back({static_cast<int64_t>(i)});
  }
  size_t candidates = 0;
  for (const auto& g : groups) candidates += g.size();
  if (candidates == 0) return;
  size_t to_mask = std::max<size_t>(1, static_cast<size_t>(std::lround(candidates * options_.mask_prob)));
  rng.shuffle(groups);
  std::vector<int64_t> chosen;
  for (const auto& g : groups) {
    if (chosen.size() >= to_mask) break;
    if (chosen.size() + g.size() > to_mask && !chosen.empty()) continue;
    chosen.insert(chosen.end(), g.begin(), g.end());
  }
  std::sort(chosen.begin(), chosen.end());
  for (int64_t pos : chosen) {
    int64_t original = inst.ids[static_cast<size_t>(pos)];
    inst.mlm_positions.push_back(pos);
    inst.mlm_labels.push_back(original);
    double r = rng.uniform();
    if (options_.mask_only || r < 0.8) inst.ids[static_cast<size_t>(pos)] = mask_id_;
    else if (r < 0.9) inst.ids[static_cast<size_t>(pos)] = replacement_ids_[rng.below(replacement_ids_.size())];
  }
}

PretrainBatch PretrainData::batch(uint64_t seed, int64_t step, int batch_size, const at::Device& device,
                                  bool rank_share) const {
  // This rank's slice of the global batch, or all of it.
  const auto [begin, end] = rank_share ? rank_slice(static_cast<size_t>(batch_size))
                                       : std::pair<size_t, size_t>{0, static_cast<size_t>(batch_size)};
  std::vector<Instance> rows;
  rows.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) rows.push_back(make_instance(seed, step * batch_size + static_cast<int64_t>(i)));
  std::vector<model::TokenRow> views;
  views.reserve(rows.size());
  for (const auto& inst : rows) views.push_back({&inst.ids, &inst.type_ids, nullptr});
  PretrainBatch out;
  out.inputs = model::Padder(pad_, device).pad(views);  // (B, T)
  out.real_tokens = out.inputs.real_tokens;
  const int64_t T = out.inputs.ids.size(1);
  std::vector<int64_t> positions, labels, nsp;
  for (int64_t r = 0; r < static_cast<int64_t>(rows.size()); ++r) {
    const auto& inst = rows[static_cast<size_t>(r)];
    for (size_t k = 0; k < inst.mlm_positions.size(); ++k) {
      positions.push_back(r * T + inst.mlm_positions[k]);  // flat index into B*T
      labels.push_back(inst.mlm_labels[k]);
    }
    nsp.push_back(inst.nsp_label);
  }
  auto make = [&](const std::vector<int64_t>& v) { return at::tensor(v, at::kLong).to(device); };
  out.mlm_positions = make(positions);
  out.mlm_labels = make(labels);
  out.nsp_labels = make(nsp);
  return out;
}

}  // namespace porkit::train
