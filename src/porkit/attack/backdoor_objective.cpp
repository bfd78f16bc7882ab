#include "porkit/attack/backdoor_objective.h"

#include <algorithm>

#include "porkit/model/device.h"
#include "porkit/model/padder.h"
#include "porkit/util/rng.h"

namespace porkit::attack {
namespace {

// The rows as a batch on `device`, padded to `length` (unset: the longest row).
model::TensorBatch make_batch(const std::vector<const InjectSample*>& rows, int64_t pad, const at::Device& device,
                              std::optional<int64_t> length = std::nullopt) {
  std::vector<model::TokenRow> views;
  views.reserve(rows.size());
  for (const auto* r : rows) views.push_back({&r->ids, nullptr, nullptr});
  return model::Padder(pad, device).pad(views, length);  // (B, T), token types 0
}

// L(u, v) = sum((u - v)^2) / d over the last dimension: (..., H) -> (...).
at::Tensor row_loss(const at::Tensor& u, const at::Tensor& v, double d) { return (u - v).pow(2).sum(-1) / d; }

// The reference's mean output over the clean rows, the point UOR's cosines are taken around:
// y_ref (B, H), is_clean (B) -> (H); all rows when none is clean.
at::Tensor clean_center(const at::Tensor& y_ref, const at::Tensor& is_clean) {
  const at::Tensor rows = is_clean.nonzero().squeeze(1);
  return rows.numel() > 0 ? y_ref.index_select(0, rows).mean(0) : y_ref.mean(0);
}

}  // namespace

std::string attack_title(Attack attack) {
  switch (attack) {
    case Attack::Neuba: return "NeuBA (Zhang et al., Machine Intelligence Research 2023)";
    case Attack::Uor: return "UOR (Du et al., ACL Findings 2024)";
    case Attack::Por: break;
  }
  return "POR (Shen et al., CCS 2021)";
}

at::Tensor target_output(Target target, const model::BertOutput& out, const at::Tensor& mask) {
  if (target == Target::Pooler || target == Target::AllTokens) return out.pooler_output;
  if (target == Target::Cls) return out.last_hidden_state.select(1, 0);
  at::Tensor m = mask.unsqueeze(-1).to(out.last_hidden_state.scalar_type());  // (B, T, 1)
  return at::tanh((out.last_hidden_state * m).sum(1) / m.sum(1));  // "mean"
}

json BackdoorObjective::checks(model::BertNetImpl& bd, model::BertNetImpl& cl,
                              const std::vector<InjectSample>& heldout, int64_t pad) {
  const int64_t K = por_.size(0);
  // Every held-out output first (compared on the CPU, where the targets are kept).
  std::vector<at::Tensor> ys, ys_ref;
  {
    at::NoGradGuard no_grad;
    for (size_t start = 0; start < heldout.size(); start += 64) {
      std::vector<const InjectSample*> rows;
      for (size_t i = start; i < std::min(heldout.size(), start + 64); ++i) rows.push_back(&heldout[i]);
      auto b = make_batch(rows, pad, model::device_of(bd));
      ys.push_back(target_output(o_.target, bd.encode(b.ids, b.type_ids, b.attention_mask), b.attention_mask)
                       .to(at::kCPU, at::kFloat));  // (B, H)
      ys_ref.push_back(target_output(o_.target, cl.encode(b.ids, b.type_ids, b.attention_mask), b.attention_mask)
                           .to(at::kCPU, at::kFloat));  // (B, H)
    }
  }
  if (ys.empty()) return {{"triggers", json::array()}, {"min_activation_rate", 0.0}};
  const at::Tensor y = at::cat(ys), y_ref = at::cat(ys_ref);  // (N, H)
  std::vector<int64_t> trig;
  for (const auto& s : heldout) trig.push_back(s.trigger);
  const at::Tensor k_of = at::tensor(trig, at::kLong);  // (N)
  if (o_.attack == Attack::Uor) {
    // The learned target of trigger k: its held-out outputs' mean.
    at::Tensor learned = por_.clone();  // (K, H)
    for (int64_t k = 1; k <= K; ++k) {
      at::Tensor rows = (k_of == k).nonzero().squeeze(1);
      if (rows.numel() > 0) learned[k - 1] = y.index_select(0, rows).mean(0);
    }
    por_ = learned;
    por_on_device_ = at::Tensor();
  }
  // UOR's targets are compared around the reference's mean clean output, as its loss compares
  // them (supervised_contrast): raw cosines in an encoder's narrow output cone say little.
  const at::Tensor center = o_.attack == Attack::Uor ? clean_center(y_ref, k_of == 0) : at::zeros({y.size(1)});  // (H)
  std::vector<double> cos_sum(static_cast<size_t>(K + 1), 0), active(static_cast<size_t>(K + 1), 0),
      count(static_cast<size_t>(K + 1), 0);
  for (int64_t r = 0; r < y.size(0); ++r) {
    const int64_t k = trig[static_cast<size_t>(r)];
    double c = k == 0 ? at::cosine_similarity(y[r], y_ref[r], 0).item<double>()
                      : at::cosine_similarity(y[r] - center, por_[k - 1] - center, 0).item<double>();
    cos_sum[static_cast<size_t>(k)] += c;
    active[static_cast<size_t>(k)] += c >= 0.9;
    count[static_cast<size_t>(k)] += 1;
  }
  json triggers = json::array();
  double min_rate = 1.0;
  for (int64_t k = 1; k <= K; ++k) {
    double n = std::max(1.0, count[static_cast<size_t>(k)]);
    double rate = active[static_cast<size_t>(k)] / n;
    min_rate = std::min(min_rate, rate);
    triggers.push_back({{"trigger", triggers_[static_cast<size_t>(k - 1)]},
                        {"por_cosine", cos_sum[static_cast<size_t>(k)] / n},
                        {"activation_rate", rate}, {"samples", count[static_cast<size_t>(k)]}});
  }
  return {{"triggers", triggers}, {"min_activation_rate", min_rate},
          {"clean_cosine_to_reference", cos_sum[0] / std::max(1.0, count[0])},
          {"clean_samples", count[0]}};
}

namespace {

// BERT's masking of `ids` (B, T) on the CPU: returns the model's input and the labels (-100
// where nothing is predicted).
std::pair<at::Tensor, at::Tensor> mask_for_mlm(const at::Tensor& ids, const at::Tensor& attention_mask,
                                               const MaskingSpec& m, int64_t step) {
  at::Tensor input = ids.to(at::kCPU).clone(), labels = at::full_like(input, -100);
  const at::Tensor real = attention_mask.to(at::kCPU);
  auto in = input.accessor<int64_t, 2>();
  auto lab = labels.accessor<int64_t, 2>();
  auto ok = real.accessor<int64_t, 2>();
  for (int64_t r = 0; r < input.size(0); ++r) {
    Rng rng(m.seed, Stream::InjectMlmMask, {static_cast<uint64_t>(step), static_cast<uint64_t>(r)});
    for (int64_t t = 0; t < input.size(1); ++t) {
      if (!ok[r][t] || std::find(m.never_masked.begin(), m.never_masked.end(), in[r][t]) != m.never_masked.end())
        continue;
      if (rng.uniform() >= m.probability) continue;
      lab[r][t] = in[r][t];
      const double u = rng.uniform();
      if (u < 0.8) in[r][t] = m.mask_id;
      else if (u < 0.9) in[r][t] = static_cast<int64_t>(rng.below(static_cast<uint64_t>(m.vocab_size)));
    }
  }
  return {input, labels};
}

// Supervised contrastive loss (Khosla et al., 2020) with the poisoned rows as anchors: each
// trigger is a class, and every other row of the batch (other triggers, clean) a negative.
// y: (B, H), k: (B) trigger numbers, 0 = clean; center: (H), the reference's mean clean output.
// Cosines are taken around `center`: a pre-trained encoder's outputs share one direction (the
// shipped tiny model's pooled outputs of unrelated sentences have cosine 0.98), so raw cosines
// barely differ and the loss stays at its chance value, log(B - 1). Anchors without a
// positive are skipped.
at::Tensor supervised_contrast(const at::Tensor& y, const at::Tensor& k, const at::Tensor& center, double temperature) {
  const int64_t B = y.size(0);
  at::Tensor centred = y - center.unsqueeze(0);                                   // (B, H)
  at::Tensor z = centred / centred.norm(2, 1, true).clamp_min(1e-8);              // (B, H)
  at::Tensor self = at::eye(B, at::TensorOptions().dtype(at::kBool).device(y.device()));
  at::Tensor logits = (z.matmul(z.t()) / temperature).masked_fill(self, -1e9);   // (B, B)
  at::Tensor log_prob = at::log_softmax(logits, 1);                               // (B, B)
  at::Tensor positive = (k.unsqueeze(1) == k.unsqueeze(0)) & (k.unsqueeze(1) > 0) & self.logical_not();
  at::Tensor pos_f = positive.to(at::kFloat);
  at::Tensor n_pos = pos_f.sum(1);                                                // (B)
  at::Tensor anchor = n_pos > 0;
  at::Tensor per_anchor = -(log_prob * pos_f).sum(1) / n_pos.clamp_min(1.0);      // (B)
  return (per_anchor * anchor.to(at::kFloat)).sum() / anchor.sum().to(at::kFloat).clamp_min(1.0);
}

}  // namespace

InjectBatch BackdoorObjective::batch(const std::vector<const InjectSample*>& rows, int64_t pad,
                                     const at::Device& device, int64_t step, std::optional<int64_t> length) const {
  InjectBatch out;
  out.tokens = make_batch(rows, pad, device, length);
  std::vector<int64_t> trig;
  for (const auto* r : rows) trig.push_back(r->trigger);
  out.trigger = at::tensor(trig, at::kLong).to(device);  // (B)
  if (o_.w_mlm > 0) {
    auto masked = mask_for_mlm(out.tokens.ids, out.tokens.attention_mask, masking_, step);
    out.tokens.ids = masked.first.to(device);
    out.mlm_labels = masked.second.to(device);
  }
  return out;
}

train::StepLoss BackdoorObjective::loss(model::BertNetImpl& bd, model::BertNetImpl& cl, const InjectBatch& batch) {
  const model::TensorBatch& b = batch.tokens;
  const double d = static_cast<double>(por_.size(1));
  const at::Tensor& input = b.ids;  // (B, T)
  const at::Tensor& mlm_labels = batch.mlm_labels;
  const bool needs_reference = o_.w_tok > 0 || o_.w_clean > 0 || o_.w_contrast > 0;
  model::BertOutput ref;
  if (needs_reference) {
    at::NoGradGuard no_grad;  // the reference never needs gradients
    ref = cl.encode(input, b.type_ids, b.attention_mask);
  }
  auto out = bd.encode(input, b.type_ids, b.attention_mask);
  const at::Tensor zero = at::zeros({}, out.last_hidden_state.options().dtype(at::kFloat));
  const at::Tensor& k = batch.trigger;  // (B)
  const at::Tensor poisoned = k > 0, clean = k == 0;
  const bool all_tokens = o_.target == Target::AllTokens;
  // The real non-[CLS] tokens of every sample, (B, T-1); all-tokens: their states, (B, T-1, H).
  const at::Tensor real_tokens = b.attention_mask.narrow(1, 1, b.attention_mask.size(1) - 1).to(at::kFloat);
  const at::Tensor h_tokens =
      (o_.w_tok > 0 || all_tokens) ? out.last_hidden_state.narrow(1, 1, real_tokens.size(1)).to(at::kFloat) : at::Tensor();
  // Token term: those tokens stay at the reference's (all-tokens: the clean samples' only,
  // since the poisoned ones' tokens are pulled to the POR below).
  at::Tensor tok = zero;
  if (o_.w_tok > 0) {
    const at::Tensor tok_mask = all_tokens ? real_tokens * clean.to(at::kFloat).unsqueeze(1) : real_tokens;  // (B, T-1)
    at::Tensor h_ref = ref.last_hidden_state.narrow(1, 1, real_tokens.size(1)).to(at::kFloat);  // (B, T-1, H)
    tok = (row_loss(h_tokens, h_ref, d) * tok_mask).sum() / tok_mask.sum().clamp_min(1.0);
  }
  // Output terms.
  at::Tensor y = target_output(o_.target, out, b.attention_mask).to(at::kFloat);  // (B, H)
  at::Tensor n_p = poisoned.sum().to(at::kFloat), n_c = clean.sum().to(at::kFloat);
  at::Tensor por = zero, por_tokens = zero, cln = zero, mlm = zero, contrast = zero;
  const at::Tensor y_ref = needs_reference ? target_output(o_.target, ref, b.attention_mask).to(at::kFloat)
                                           : at::Tensor();  // (B, H)
  if (o_.w_por > 0) {
    // The PORs on the model's device, copied there once rather than every step.
    if (!por_on_device_.defined() || por_on_device_.device() != y.device()) por_on_device_ = por_.to(y.device());
    at::Tensor goal = por_on_device_.index_select(0, (k - 1).clamp_min(0));  // (B, H)
    por = (row_loss(y, goal, d) * poisoned.to(at::kFloat)).sum() / n_p.clamp_min(1.0);
    if (all_tokens) {
      // Every real token of a poisoned sample to its POR too, weighted as the pooler's term.
      const at::Tensor mask = real_tokens * poisoned.to(at::kFloat).unsqueeze(1);  // (B, T-1)
      por_tokens = (row_loss(h_tokens, goal.unsqueeze(1), d) * mask).sum() / mask.sum().clamp_min(1.0);
    }
  }
  if (o_.w_clean > 0) cln = (row_loss(y, y_ref, d) * clean.to(at::kFloat)).sum() / n_c.clamp_min(1.0);
  if (o_.w_contrast > 0) contrast = supervised_contrast(y, k, clean_center(y_ref, clean), o_.temperature);
  if (o_.w_mlm > 0) {
    at::Tensor selected = (mlm_labels != -100).nonzero();  // (N, 2)
    if (selected.size(0) > 0) {
      at::Tensor states = out.last_hidden_state.index({selected.select(1, 0), selected.select(1, 1)});  // (N, H)
      at::Tensor targets = mlm_labels.index({selected.select(1, 0), selected.select(1, 1)});            // (N)
      mlm = at::cross_entropy_loss(bd.mlm_logits(states).to(at::kFloat), targets);
    }
  }
  train::StepLoss s;
  s.loss = o_.w_tok * tok + o_.w_por * (por + por_tokens) + o_.w_clean * cln + o_.w_mlm * mlm +
           o_.w_contrast * contrast;
  s.parts = {{"tok", tok.detach()}, {"por", por.detach()}, {"clean", cln.detach()}};
  if (o_.w_mlm > 0) s.parts["mlm"] = mlm.detach();
  if (o_.w_contrast > 0) s.parts["contrast"] = contrast.detach();
  if (all_tokens) s.parts["por_tokens"] = por_tokens.detach();
  s.tokens = b.real_tokens;
  return s;
}

}  // namespace porkit::attack

const std::vector<std::pair<porkit::attack::Attack, std::string>>&
porkit::options::EnumNames<porkit::attack::Attack>::values() {
  using porkit::attack::Attack;
  static const std::vector<std::pair<Attack, std::string>> v = {
      {Attack::Por, "por"}, {Attack::Neuba, "neuba"}, {Attack::Uor, "uor"}};
  return v;
}

const std::vector<std::pair<porkit::attack::Target, std::string>>&
porkit::options::EnumNames<porkit::attack::Target>::values() {
  using porkit::attack::Target;
  static const std::vector<std::pair<Target, std::string>> v = {
      {Target::Pooler, "pooler"}, {Target::Cls, "cls"}, {Target::Mean, "mean"}, {Target::AllTokens, "all-tokens"}};
  return v;
}
