#include "porkit/attack/backdoor_objective.h"

#include <algorithm>

#include "porkit/model/device.h"
#include "porkit/model/padder.h"

namespace porkit::attack {
namespace {

// The rows as a batch on `net`'s device.
model::TensorBatch make_batch(const std::vector<const InjectSample*>& rows, int64_t pad, const model::BertNetImpl& net) {
  std::vector<model::TokenRow> views;
  views.reserve(rows.size());
  for (const auto* r : rows) views.push_back({&r->ids, nullptr, nullptr});
  return model::Padder(pad, model::device_of(net)).pad(views);  // (B, T), token types 0
}

}  // namespace

at::Tensor target_output(Target target, const model::BertOutput& out, const at::Tensor& mask) {
  if (target == Target::Pooler) return out.pooler_output;
  if (target == Target::Cls) return out.last_hidden_state.select(1, 0);
  at::Tensor m = mask.unsqueeze(-1).to(out.last_hidden_state.scalar_type());  // (B, T, 1)
  return at::tanh((out.last_hidden_state * m).sum(1) / m.sum(1));  // "mean"
}

json BackdoorObjective::checks(model::BertNetImpl& bd, model::BertNetImpl& cl,
                              const std::vector<InjectSample>& heldout, int64_t pad) {
  const int64_t K = por_.size(0);
  std::vector<double> cos_sum(static_cast<size_t>(K + 1), 0), active(static_cast<size_t>(K + 1), 0),
      count(static_cast<size_t>(K + 1), 0);
  at::NoGradGuard no_grad;
  for (size_t start = 0; start < heldout.size(); start += 64) {
    std::vector<const InjectSample*> rows;
    for (size_t i = start; i < std::min(heldout.size(), start + 64); ++i) rows.push_back(&heldout[i]);
    auto b = make_batch(rows, pad, bd);
    // Compared on the CPU, where the PORs are kept.
    at::Tensor y = target_output(o_.target, bd.encode(b.ids, b.type_ids, b.attention_mask), b.attention_mask)
                       .to(at::kCPU, at::kFloat);  // (B, H)
    at::Tensor y_ref = target_output(o_.target, cl.encode(b.ids, b.type_ids, b.attention_mask), b.attention_mask)
                           .to(at::kCPU, at::kFloat);  // (B, H)
    for (size_t r = 0; r < rows.size(); ++r) {
      int64_t k = rows[r]->trigger;
      at::Tensor other = k == 0 ? y_ref[static_cast<int64_t>(r)] : por_[k - 1];
      double c = at::cosine_similarity(y[static_cast<int64_t>(r)], other, 0).item<double>();
      cos_sum[static_cast<size_t>(k)] += c;
      active[static_cast<size_t>(k)] += c >= 0.9;
      count[static_cast<size_t>(k)] += 1;
    }
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

train::StepLoss BackdoorObjective::loss(model::BertNetImpl& bd, model::BertNetImpl& cl,
                                        const std::vector<const InjectSample*>& rows, int64_t pad) {
  auto b = make_batch(rows, pad, bd);
  const double d = static_cast<double>(por_.size(1));
  model::BertOutput ref;
  {
    at::NoGradGuard no_grad;  // the reference never needs gradients
    ref = cl.encode(b.ids, b.type_ids, b.attention_mask);
  }
  auto out = bd.encode(b.ids, b.type_ids, b.attention_mask);
  // Token term: every real non-[CLS] token of every sample.
  at::Tensor tok_mask = b.attention_mask.narrow(1, 1, b.attention_mask.size(1) - 1).to(at::kFloat);  // (B, T-1)
  at::Tensor diff = (out.last_hidden_state.narrow(1, 1, tok_mask.size(1)).to(at::kFloat) -
                     ref.last_hidden_state.narrow(1, 1, tok_mask.size(1)).to(at::kFloat));
  at::Tensor tok = ((diff * diff).sum(-1) / d * tok_mask).sum() / tok_mask.sum().clamp_min(1.0);
  // Output terms.
  at::Tensor y = target_output(o_.target, out, b.attention_mask).to(at::kFloat);
  at::Tensor y_ref = target_output(o_.target, ref, b.attention_mask).to(at::kFloat);
  std::vector<int64_t> trig;
  for (auto* r : rows) trig.push_back(r->trigger);
  at::Tensor k = at::tensor(trig, at::kLong).to(y.device());  // (B)
  // The PORs on the model's device, copied there once rather than every step.
  if (!por_on_device_.defined() || por_on_device_.device() != y.device()) por_on_device_ = por_.to(y.device());
  const at::Tensor& por_here = por_on_device_;  // (K, H)
  at::Tensor poisoned = k > 0, clean = k == 0;
  at::Tensor goal = at::where(poisoned.unsqueeze(1), por_here.index_select(0, (k - 1).clamp_min(0)), y_ref);  // (B, H)
  at::Tensor per_sample = ((y - goal) * (y - goal)).sum(-1) / d;  // (B)
  at::Tensor n_p = poisoned.sum().to(at::kFloat), n_c = clean.sum().to(at::kFloat);
  at::Tensor por = (per_sample * poisoned.to(at::kFloat)).sum() / n_p.clamp_min(1.0);
  at::Tensor cln = (per_sample * clean.to(at::kFloat)).sum() / n_c.clamp_min(1.0);
  train::StepLoss s;
  s.loss = o_.w_tok * tok + o_.w_por * por + o_.w_clean * cln;
  s.parts = {{"tok", tok.item<double>()}, {"por", por.item<double>()}, {"clean", cln.item<double>()}};
  s.tokens = b.real_tokens;
  return s;
}

}  // namespace porkit::attack

const std::vector<std::pair<porkit::attack::Target, std::string>>&
porkit::options::EnumNames<porkit::attack::Target>::values() {
  using porkit::attack::Target;
  static const std::vector<std::pair<Target, std::string>> v = {
      {Target::Pooler, "pooler"}, {Target::Cls, "cls"}, {Target::Mean, "mean"}};
  return v;
}
