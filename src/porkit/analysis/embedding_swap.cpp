#include "porkit/analysis/embedding_swap.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "porkit/analysis/analysis_inputs.h"
#include "porkit/attack/poison_data.h"
#include "porkit/model/device.h"
#include "porkit/model/inference.h"
#include "porkit/util/error.h"
#include "porkit/util/log.h"
#include "porkit/util/output_folder.h"
#include "porkit/util/runtime.h"

namespace porkit::analysis {

namespace {

using NamePredicate = std::function<bool(const std::string&)>;

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// A fresh BertModel net: every parameter from `base`, except those `from_donor` names, which
// come from `donor`; then the word-embedding rows `donor_rows` from `donor`.
model::BertNet hybrid(model::BertNetImpl& base, model::BertNetImpl& donor, const NamePredicate& from_donor,
                      const std::vector<int64_t>& donor_rows = {}) {
  model::BertNet net = model::copy_of(base);
  at::NoGradGuard no_grad;
  auto donor_params = donor.named_parameters();
  for (auto& p : net->named_parameters())
    if (from_donor(p.key())) p.value().copy_(donor_params[p.key()]);
  if (!donor_rows.empty()) {
    const at::Tensor rows = at::tensor(donor_rows, at::kLong).to(model::device_of(base));
    auto& words = net->bert->embeddings->word_embeddings->weight;
    words.index_copy_(0, rows, donor.bert->embeddings->word_embeddings->weight.index_select(0, rows));
  }
  net->eval();
  return net;
}

struct Outputs {
  at::Tensor clean, poisoned;  // (N, H) each
};

}  // namespace

const options::OptionTable<EmbeddingSwapOptions>& embedding_swap_option_table() {
  using options::Role;
  static const options::OptionTable<EmbeddingSwapOptions> table = [] {
    options::OptionTable<EmbeddingSwapOptions> t;
    t.add("backdoored", &EmbeddingSwapOptions::backdoored, "Backdoored model folder (with porkit_backdoor.json)")
        .as(Role::Input).needed();
    t.add("clean", &EmbeddingSwapOptions::clean, "Clean model folder (default: the manifest's source model)")
        .as(Role::Input);
    t.include(text_source_table(), &EmbeddingSwapOptions::source);
    t.add("texts", &EmbeddingSwapOptions::texts, "Clean texts (and as many poisoned)").range(1, 1e7);
    t.add("insertions", &EmbeddingSwapOptions::insertions, "Trigger insertions per poisoned text").range(1, 1000);
    t.add("max-len", &EmbeddingSwapOptions::max_len, "Tokens per input").range(3, 8192);
    t.add("seed", &EmbeddingSwapOptions::seed, "Seed of the text sample and insertions");
    t.add("out", &EmbeddingSwapOptions::out, "Results JSON (e.g. RUN/analysis/embedding_swap.json)").as(Role::Output);
    t.include(run_settings_table(), &EmbeddingSwapOptions::run, kModelRunSettingsWithOverwrite);
    return t;
  }();
  return table;
}

json run_embedding_swap(const EmbeddingSwapOptions& o) {
  options::validate(embedding_swap_option_table(), o, "porkit analyze embedding-swap");
  const at::Device device = model::start_run(o.run, "analyze embedding-swap");
  if (!o.out.empty()) claim_output_file(o.out, o.run.overwrite);
  check(o.texts > 0, "--texts must be positive, got {}", o.texts);
  check(o.insertions > 0, "--insertions must be positive, got {}", o.insertions);
  BackdoorPair pair = load_backdoor_pair(o.backdoored, o.clean, device);
  auto& bd = *pair.backdoored.net;
  auto& cl = *pair.clean.net;
  const auto& tok = pair.backdoored.tokenizer;
  const int64_t layers = bd.config().num_hidden_layers;
  const int max_len = static_cast<int>(std::min<int64_t>(o.max_len, bd.config().max_position_embeddings));

  // Poisoned text i carries trigger i mod K, so every trigger is equally represented.
  const auto texts = sample_texts(o.source, o.texts, o.seed);
  std::vector<text::Encoding> clean_rows, poisoned_rows;
  std::vector<int64_t> trigger_of;
  for (size_t i = 0; i < texts.size(); ++i) {
    const size_t k = i % pair.triggers.size();
    Rng rng(o.seed, Stream::EmbeddingSwapTexts, i);
    clean_rows.push_back(tok.encode(texts[i], std::nullopt, max_len));
    poisoned_rows.push_back(tok.encode(
        attack::insert_trigger(texts[i], pair.triggers[k].text, o.insertions, attack::Position::Random, rng),
        std::nullopt, max_len));
    trigger_of.push_back(static_cast<int64_t>(k));
  }
  const at::Tensor por_of_text = pair.por.index_select(0, at::tensor(trigger_of, at::kLong)).to(at::kFloat);  // (N, H)

  auto run = [&](model::BertNetImpl& net) {
    const model::Padder padder = model::padder_for(net, tok);
    return Outputs{model::pooled_outputs(net, padder, model::rows_of(clean_rows), kAnalysisBatch),
                   model::pooled_outputs(net, padder, model::rows_of(poisoned_rows), kAnalysisBatch)};
  };
  const Outputs ref_bd = run(bd), ref_cl = run(cl);

  json rows = json::array();
  auto add = [&](const std::string& name, const std::string& group, model::BertNetImpl& net) {
    const Outputs out = run(net);
    rows.push_back({{"model", name},
                    {"group", group},
                    {"clean_vs_bd", mean_row_cosine(out.clean, ref_bd.clean)},
                    {"clean_vs_cl", mean_row_cosine(out.clean, ref_cl.clean)},
                    {"poisoned_vs_bd", mean_row_cosine(out.poisoned, ref_bd.poisoned)},
                    {"poisoned_vs_cl", mean_row_cosine(out.poisoned, ref_cl.poisoned)},
                    {"poisoned_vs_por", mean_row_cosine(out.poisoned, por_of_text)}});
    log_info("embedding swap: {}", name);
  };
  const NamePredicate embedding = [](const std::string& n) { return starts_with(n, "bert.embeddings."); };
  std::vector<int64_t> trigger_rows;
  for (const auto& t : pair.triggers) trigger_rows.insert(trigger_rows.end(), t.ids.begin(), t.ids.end());

  add("BD (BD_emb + BD_enc)", "reference", bd);
  add("CL (CL_emb + CL_enc)", "reference", cl);
  add("CL_emb + BD_enc", "embedding layer", *hybrid(bd, cl, embedding));
  add("BD_emb + CL_enc", "embedding layer", *hybrid(cl, bd, embedding));
  add("BD with CL trigger rows", "trigger rows", *hybrid(bd, cl, [](const std::string&) { return false; }, trigger_rows));
  add("CL with BD trigger rows", "trigger rows", *hybrid(cl, bd, [](const std::string&) { return false; }, trigger_rows));
  for (int64_t l = 0; l < layers; ++l) {
    const std::string prefix = fmt::format("bert.encoder.layer.{}.", l);
    add(fmt::format("BD with CL layer {}", l + 1), "one layer from CL",
        *hybrid(bd, cl, [&](const std::string& n) { return starts_with(n, prefix); }));
  }
  add("BD with CL pooler", "one layer from CL", *hybrid(bd, cl, [](const std::string& n) {
        return starts_with(n, "bert.pooler.");
      }));

  json result = {{"kind", "embedding-swap"}, {"porkit_version", PORKIT_VERSION},
                 {"clean_model", pair.clean_path.string()},
                 {"backdoored_model", pair.backdoored_path.string()},
                 {"texts", texts.size()},
                 {"text_source", o.source.text_file.empty() ? data::data_name(o.source.data) : o.source.text_file},
                 {"insertions", o.insertions},
                 {"seed", o.seed},
                 {"triggers", [&] {
                    json t = json::array();
                    for (const auto& x : pair.triggers) t.push_back(x.text);
                    return t;
                  }()},
                 {"embedding_layer", "word, position and token-type embeddings and their LayerNorm"},
                 {"output", "pooler output"},
                 {"rows", rows}};
  if (!o.out.empty()) write_json_file(o.out, result);
  return result;
}

}  // namespace porkit::analysis
