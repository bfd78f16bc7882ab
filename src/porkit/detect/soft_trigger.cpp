#include "porkit/detect/soft_trigger.h"

#include <torch/optim/adam.h>

#include "porkit/model/embedding_input.h"

namespace porkit::detect {

SoftTrigger optimise_soft(Probe& probe, const ProbeTexts& texts, int restart, int length, attack::Position where,
                          const std::vector<int64_t>& allowed, const at::Tensor& clean_mean, double clean_dispersion,
                          const ScanOptions& o, const text::Vocab& vocab, std::vector<Ids>* candidates) {
  model::BertNetImpl& net = probe.net();
  const at::Tensor E = net.bert->embeddings->word_embeddings->weight.detach();  // (V, H)
  const at::Device device = E.device();
  Rng init(o.seed, Stream::ScanSoftInit, static_cast<uint64_t>(restart));
  std::vector<int64_t> start_rows;
  for (int j = 0; j < length; ++j) start_rows.push_back(allowed[init.below(allowed.size())]);
  at::Tensor soft = E.index_select(0, at::tensor(start_rows, at::kLong).to(device)).clone().set_requires_grad(true);  // (k, H)
  const double max_norm = E.index_select(0, at::tensor(allowed, at::kLong).to(device)).norm(2, 1).max().item<double>();
  torch::optim::Adam adam({soft}, torch::optim::AdamOptions(o.lr));
  const int64_t placeholder = probe.padder().pad_id();
  const at::Tensor clean_mean_on_device = clean_mean.to(device);  // (H)
  Ids block(static_cast<size_t>(length), placeholder);

  auto soft_dispersion = [&](int step) {
    // The texts with the placeholder block inserted as a real trigger would be (insert_ids),
    // and which vector each placeholder stands for: [PAD] never comes out of text, so every
    // placeholder in a row is an inserted one, blocks in order.
    std::vector<Ids> rows;
    std::vector<std::vector<int64_t>> slots;
    for (size_t r = 0; r < texts.ids.size(); ++r) {
      Rng rng(o.seed, Stream::ScanPositions,
              {static_cast<uint64_t>(restart), static_cast<uint64_t>(step), static_cast<uint64_t>(r)});
      Ids with = insert_ids(texts.ids[r], block, where, o.insertions, o.max_len, rng);
      std::vector<int64_t> slot(with.size(), -1);
      int64_t seen = 0;
      for (size_t t = 0; t < with.size(); ++t)
        if (with[t] == placeholder) slot[t] = seen++ % length;
      rows.push_back(std::move(with));
      slots.push_back(std::move(slot));
    }
    std::vector<model::TokenRow> views;
    for (const auto& r : rows) views.push_back({&r, nullptr, nullptr});
    auto b = probe.padder().pad(views);  // (B, T)
    at::Tensor slot = at::full(b.ids.sizes(), -1, at::kLong);  // (B, T)
    auto cell = slot.accessor<int64_t, 2>();
    for (size_t r = 0; r < slots.size(); ++r)
      for (size_t t = 0; t < slots[r].size(); ++t) cell[static_cast<int64_t>(r)][static_cast<int64_t>(t)] = slots[r][t];
    slot = slot.to(device);
    at::Tensor words = E.index_select(0, b.ids.reshape({-1})).reshape({b.ids.size(0), b.ids.size(1), -1});  // (B, T, H)
    at::Tensor inserted = soft.index_select(0, slot.clamp_min(0).reshape({-1})).reshape(words.sizes());   // (B, T, H)
    words = at::where(slot.ge(0).unsqueeze(-1), inserted, words);
    auto out = model::forward_from_word_embeddings(*net.bert, words, b.attention_mask);
    at::Tensor y = attack::target_output(probe.target(), out, b.attention_mask).to(at::kFloat);  // (B, H)
    at::Tensor ratio = dispersion(y) / clean_dispersion;
    at::Tensor across = dispersion_across(y, clean_mean_on_device) / clean_dispersion;
    at::Tensor shift2 = (y.mean(0) - clean_mean_on_device).pow(2).sum() / clean_dispersion;
    // Minimised: log of 1 / separation^2, so the outputs gather far from the clean ones.
    return std::make_pair(ratio, at::log(across.clamp_min(0) + 1e-9) - at::log(shift2 + 1e-9));
  };

  for (int step = 0; step < o.steps; ++step) {
    adam.zero_grad();
    at::Tensor loss = soft_dispersion(step).second;
    loss.backward();
    adam.step();
    at::NoGradGuard no_grad;
    // Keep each vector within the vocabulary's reach: no longer than the longest real row.
    soft.mul_((max_norm / soft.norm(2, 1, true).clamp_min(1e-12)).clamp_max(1.0));
  }
  SoftTrigger s;
  s.restart = restart;
  s.length = length;
  s.position = options::enum_name(where);
  {
    at::NoGradGuard no_grad;
    s.dispersion_ratio = soft_dispersion(o.steps).first.item<double>();
    // Nearest insertable rows by cosine.
    at::Tensor rows = at::tensor(allowed, at::kLong).to(device);
    at::Tensor En = E.index_select(0, rows);
    En = En / En.norm(2, 1, true).clamp_min(1e-12);                               // (A, H)
    at::Tensor sims = (soft / soft.norm(2, 1, true).clamp_min(1e-12)).matmul(En.t());  // (k, A)
    at::Tensor top = std::get<1>(sims.topk(std::min<int64_t>(o.nearest, En.size(0)), 1)).to(at::kCPU);  // (k, m)
    Ids best_sequence;
    for (int j = 0; j < length; ++j) {
      std::vector<std::string> names;
      for (int64_t m = 0; m < top.size(1); ++m) {
        const int64_t id = allowed[static_cast<size_t>(top[j][m].item<int64_t>())];
        names.push_back(vocab.token(id));
        candidates->push_back({id});
        if (m == 0) best_sequence.push_back(id);
      }
      s.nearest.push_back(std::move(names));
    }
    if (length > 1) candidates->push_back(best_sequence);
  }
  return s;
}

}  // namespace porkit::detect
