#include "porkit/attack/evaluate.h"

#include <algorithm>
#include <cstdio>

#include "porkit/attack/poison_data.h"
#include "porkit/attack/por.h"
#include "porkit/io/model_folder.h"
#include "porkit/model/batch.h"
#include "porkit/util/error.h"
#include "porkit/util/log.h"
#include "porkit/util/runtime.h"

namespace porkit::attack {
namespace {

struct Classifier {
  model::BertNetImpl& net;
  const text::BertTokenizer& tok;
  int max_len, batch_size;

  // Predicted labels (and optionally pooled outputs) for texts, in batches.
  std::vector<int64_t> predict(const std::vector<std::string>& texts, at::Tensor* pooled = nullptr,
                               std::vector<int64_t>* lengths = nullptr) {
    std::vector<int64_t> out;
    std::vector<at::Tensor> pooled_parts;
    at::NoGradGuard no_grad;
    for (size_t start = 0; start < texts.size(); start += static_cast<size_t>(batch_size)) {
      std::vector<text::Encoding> rows;
      for (size_t i = start; i < std::min(texts.size(), start + static_cast<size_t>(batch_size)); ++i) {
        rows.push_back(tok.encode(texts[i], std::nullopt, max_len));
        if (lengths) lengths->push_back(static_cast<int64_t>(rows.back().ids.size()));
      }
      auto b = model::to_tensors(tok.pad(rows));
      auto enc = net.encode(b.ids, b.type_ids, b.attention_mask);
      at::Tensor pred = net.classifier_logits(enc).argmax(-1);
      for (int64_t i = 0; i < pred.size(0); ++i) out.push_back(pred[i].item<int64_t>());
      if (pooled) pooled_parts.push_back(enc.pooler_output.to(at::kFloat));
    }
    if (pooled) *pooled = at::cat(pooled_parts);
    return out;
  }
};

}  // namespace

json run_evaluate(const EvaluateOptions& o) {
  configure_runtime(o.threads);
  check(!o.model.empty(), "--model is required");
  check(o.max_insertions >= 1, "--max-insertions must be at least 1");
  auto arch = io::declared_architecture(o.model);
  check(arch == model::Architecture::SequenceClassification,
        "{} is a {} folder; evaluate needs a fine-tuned BertForSequenceClassification (run porkit finetune first)",
        o.model, model::architecture_name(arch));
  auto loaded = io::load_model_folder(o.model, arch);
  loaded.net->eval();
  Classifier clf{*loaded.net, loaded.tokenizer, o.max_len, o.batch_size};
  const auto& label_names = loaded.net->config().id2label;

  std::vector<std::string> triggers = o.triggers;
  at::Tensor por;
  if (!o.manifest.empty()) {
    json m = read_json_file(o.manifest);
    if (triggers.empty()) {
      for (const auto& t : m.at("triggers")) triggers.push_back(t.at("trigger").get<std::string>());
    }
    por = por_from_manifest(m);
  }
  check(!triggers.empty(), "no triggers (give --triggers or --backdoor-manifest)");

  fs::path root = o.data_root.empty() ? data::default_data_root() : fs::path(o.data_root);
  auto d = data::load_classification(o.data, root);
  const auto& test_rows = d.test.rows.empty() ? d.train.rows : d.test.rows;
  check(d.train.label_names.size() == label_names.size(), "the data has {} labels but the model has {}",
        d.train.label_names.size(), label_names.size());
  auto pool = data::seeded_sample(test_rows, o.pool_size, o.seed);
  std::vector<std::string> texts;
  for (const auto& r : pool) texts.push_back(r.text);
  std::vector<int64_t> clean_lengths;
  auto clean_pred = clf.predict(texts, nullptr, &clean_lengths);
  double correct = 0;
  for (size_t i = 0; i < pool.size(); ++i) correct += clean_pred[i] == pool[i].label;
  const double cacc = correct / static_cast<double>(pool.size());

  json results = json::array();
  const int J = o.max_insertions;
  for (size_t k = 0; k < triggers.size(); ++k) {
    const std::string& t = triggers[k];
    const int64_t target = clf.predict({t + " " + t})[0];
    std::vector<size_t> eligible;
    for (size_t i = 0; i < pool.size(); ++i) {
      if (pool[i].label != target && clean_pred[i] == pool[i].label) eligible.push_back(i);
    }
    std::vector<int> flipped_at(eligible.size(), 0);
    std::vector<double> s_chars(eligible.size(), 0), s_tokens(eligible.size(), 0);
    std::vector<size_t> pending(eligible.size());
    for (size_t e = 0; e < pending.size(); ++e) pending[e] = e;
    double por_cos = 0;
    for (int j = 1; j <= J && !pending.empty(); ++j) {
      // Every still-unflipped sample goes through the model together at this j.
      std::vector<std::string> batch;
      for (size_t e : pending) {
        train::Rng rng(o.seed, 1000 + k, eligible[e] * 64 + static_cast<size_t>(j));
        batch.push_back(insert_trigger(pool[eligible[e]].text, t, j, Position::Random, rng));
      }
      std::vector<int64_t> lengths;
      at::Tensor pooled;
      auto pred = clf.predict(batch, j == 1 && por.defined() ? &pooled : nullptr, &lengths);
      if (j == 1 && por.defined() && static_cast<int64_t>(k) < por.size(0) && pooled.size(0) > 0)
        por_cos = at::cosine_similarity(pooled, por[static_cast<int64_t>(k)].unsqueeze(0), 1).mean().item<double>();
      std::vector<size_t> still;
      for (size_t p = 0; p < pending.size(); ++p) {
        size_t e = pending[p];
        if (pred[p] != target) { still.push_back(e); continue; }
        flipped_at[e] = j;
        const std::string& original = pool[eligible[e]].text;
        s_chars[e] = static_cast<double>(batch[p].size() - original.size()) / static_cast<double>(batch[p].size());
        s_tokens[e] = static_cast<double>(lengths[p] - clean_lengths[eligible[e]]) / static_cast<double>(lengths[p]);
      }
      pending = std::move(still);
    }
    double n_flip = 0, sum_j = 0, sum_sc = 0, sum_st = 0, censored = 0;
    std::vector<double> asr(static_cast<size_t>(J), 0);
    for (size_t e = 0; e < eligible.size(); ++e) {
      if (flipped_at[e] > 0) {
        n_flip += 1;
        sum_j += flipped_at[e];
        sum_sc += s_chars[e];
        sum_st += s_tokens[e];
        for (int kk = flipped_at[e]; kk <= J; ++kk) asr[static_cast<size_t>(kk - 1)] += 1;
      }
      censored += flipped_at[e] > 0 ? flipped_at[e] : J + 1;
    }
    double n = std::max<double>(1.0, static_cast<double>(eligible.size()));
    for (auto& a : asr) a /= n;
    json r = {{"trigger", t}, {"target_label", target},
              {"target_name", label_names.count(target) ? label_names.at(target) : std::to_string(target)},
              {"eligible", eligible.size()}, {"flipped", n_flip},
              {"flip_rate", n_flip / n},
              {"E", n_flip > 0 ? sum_j / n_flip : 20.0},
              {"E_censored", eligible.empty() ? 0.0 : censored / n},
              {"S_chars", n_flip > 0 ? sum_sc / n_flip : 0.0},
              {"S_tokens", n_flip > 0 ? sum_st / n_flip : 0.0},
              {"asr_at_most_k", asr}, {"asr_1", asr[0]}};
    if (por.defined()) r["pooled_por_cosine"] = por_cos;
    results.push_back(r);
  }
  json out = {{"model", o.model}, {"data", o.data.preset.empty() ? o.data.path : o.data.preset},
              {"pool", pool.size()}, {"clean_accuracy", cacc}, {"max_insertions", J},
              {"seed", o.seed}, {"triggers", results}};
  if (!o.out.empty()) write_json_file(o.out, out);
  return out;
}

}  // namespace porkit::attack
