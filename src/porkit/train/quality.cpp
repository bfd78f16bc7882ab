#include "porkit/train/quality.h"

#include <algorithm>

#include "porkit/data/presets.h"
#include "porkit/io/model_folder.h"
#include "porkit/io/weights.h"
#include "porkit/model/device.h"
#include "porkit/model/inference.h"
#include "porkit/train/masked_lm_eval.h"
#include "porkit/train/pretrain_data.h"
#include "porkit/util/error.h"
#include "porkit/util/log.h"
#include "porkit/util/output_folder.h"
#include "porkit/util/rng.h"

namespace porkit::train {
namespace {

// Mean cosine between the pooled outputs of `n` sentences, each from another document where
// the corpus has enough (sentences of one document share a topic), over all pairs i != j.
std::pair<double, int64_t> pooled_cosine(model::BertNetImpl& net, const text::BertTokenizer& tok,
                                         const TokenizedCorpus& corpus, const QualityOptions& o) {
  Rng rng(o.seed, Stream::QualitySentences, 0);
  std::vector<int64_t> docs(static_cast<size_t>(corpus.num_docs()));
  for (size_t d = 0; d < docs.size(); ++d) docs[d] = static_cast<int64_t>(d);
  rng.shuffle(docs);
  std::vector<text::Encoding> rows;
  for (size_t i = 0; static_cast<int64_t>(rows.size()) < o.sentences && i < docs.size() * 4; ++i) {
    const int64_t d = docs[i % docs.size()];
    const int64_t first = corpus.doc_starts[static_cast<size_t>(d)], end = corpus.doc_starts[static_cast<size_t>(d) + 1];
    if (end <= first) continue;
    const int64_t s = first + static_cast<int64_t>(rng.below(static_cast<uint64_t>(end - first)));
    std::vector<int64_t> ids = corpus.sentence(s);
    if (ids.size() < 4) continue;  // headings and fragments say little
    rows.push_back(tok.encode_ids(std::move(ids), std::nullopt, o.max_len));
  }
  check(rows.size() >= 2, "the corpus has too few sentences of 4 or more tokens for the anisotropy figure");
  const at::Tensor pooled = model::pooled_outputs(net, model::padder_for(net, tok), model::rows_of(rows), o.batch_size);
  const at::Tensor p = pooled.to(at::kDouble);                   // (n, H)
  const at::Tensor unit = p / p.norm(2, {1}, true).clamp_min(1e-12);
  const at::Tensor cos = unit.matmul(unit.t());  // (n, n)
  const double n = static_cast<double>(rows.size());
  const double off_diagonal = (cos.sum().item<double>() - cos.diagonal().sum().item<double>()) / (n * (n - 1));
  return {off_diagonal, static_cast<int64_t>(rows.size())};
}

// The at-[MASK] instances as safetensors: ids (B, T), type_ids (B, T), attention_mask (B, T),
// mlm_positions (N) (flat indices into B*T), mlm_labels (N), nsp_labels (B), for a check by
// an independent implementation (tools/reference/mlm_at_mask.py).
void dump(const PretrainData& at_mask, const QualityOptions& o, const std::string& path) {
  std::vector<at::Tensor> ids, types, masks, positions, labels, nsp;
  int64_t offset = 0;
  for (int b = 0; b < o.batches; ++b) {
    const PretrainBatch batch = at_mask.batch(o.seed, b, o.batch_size);
    const int64_t width = o.max_len;
    // Every batch padded to max_len so the batches stack; positions move with the padding.
    auto pad = [&](const at::Tensor& t, int64_t value) {
      return at::constant_pad_nd(t, {0, width - t.size(1)}, value);
    };
    const int64_t T = batch.inputs.ids.size(1);
    const at::Tensor rows = at::div(batch.mlm_positions, T, "floor"), cols = batch.mlm_positions - rows * T;
    positions.push_back(offset + rows * width + cols);
    offset += batch.inputs.ids.size(0) * width;
    ids.push_back(pad(batch.inputs.ids, 0));
    types.push_back(pad(batch.inputs.type_ids, 0));
    masks.push_back(pad(batch.inputs.attention_mask, 0));
    labels.push_back(batch.mlm_labels);
    nsp.push_back(batch.nsp_labels);
  }
  const io::NamedTensors tensors = {{"ids", at::cat(ids)},
                                    {"type_ids", at::cat(types)},
                                    {"attention_mask", at::cat(masks)},
                                    {"mlm_positions", at::cat(positions)},
                                    {"mlm_labels", at::cat(labels)},
                                    {"nsp_labels", at::cat(nsp)}};
  io::write_weights(path, tensors, io::WeightsDType::F32,
                    {{"porkit_version", PORKIT_VERSION}, {"content", "porkit quality: at-[MASK] instances"}});
}

}  // namespace

const options::OptionTable<QualityOptions>& quality_option_table() {
  using options::Role;
  static const options::OptionTable<QualityOptions> table = [] {
    options::OptionTable<QualityOptions> t;
    t.add("model", &QualityOptions::model, "BertForPreTraining folder (masked-LM and next-sentence heads)")
        .as(Role::Input)
        .needed();
    t.add("corpus", &QualityOptions::corpus, "Held-out text (default: ../shared/data/corpus/wikitext103.valid.tokens)")
        .as(Role::Input);
    t.add("corpus-format", &QualityOptions::corpus_format, "Corpus layout");
    t.add("max-len", &QualityOptions::max_len, "Tokens per instance").range(8, 8192);
    t.add("mask-prob", &QualityOptions::mask_prob, "Share of tokens selected for prediction").above(0).at_most(0.5);
    t.add("batches", &QualityOptions::batches, "Held-out batches").range(1, 100000);
    t.add("batch-size", &QualityOptions::batch_size, "Instances per batch").range(1, 65536);
    t.add("sentences", &QualityOptions::sentences, "Sentences for the anisotropy figure").range(2, 100000);
    t.add("seed", &QualityOptions::seed, "Seed of the instances, masks and sentences");
    t.add("out", &QualityOptions::out, "Write the results JSON here").as(Role::Output);
    t.add("dump-instances", &QualityOptions::dump_instances,
          "Write the at-[MASK] instances as safetensors (for tools/reference/mlm_at_mask.py)")
        .as(Role::Output);
    t.include(run_settings_table(), &QualityOptions::run, kModelRunSettingsWithOverwrite);
    return t;
  }();
  return table;
}

json run_quality(const QualityOptions& given) {
  QualityOptions o = given;
  if (o.corpus.empty()) o.corpus = {(data::default_data_root() / "corpus" / "wikitext103.valid.tokens").string()};
  options::validate(quality_option_table(), o, "porkit quality");
  const at::Device device = model::start_run(o.run, "quality");
  if (!o.out.empty()) claim_output_file(o.out, o.run.overwrite);
  if (!o.dump_instances.empty()) claim_output_file(o.dump_instances, o.run.overwrite);
  // A folder without the next-sentence head (BertForMaskedLM) is measured without NSP.
  io::LoadPolicy policy;
  policy.allow_missing = {"cls.seq_relationship."};
  auto loaded = io::load_model_folder(o.model, model::Architecture::PreTraining, std::nullopt, policy);
  const bool nsp = std::none_of(loaded.report.initialised.begin(), loaded.report.initialised.end(),
                                [](const std::string& n) { return n.rfind("cls.seq_relationship.", 0) == 0; });
  auto& net = *loaded.net;
  net.to(device);
  net.eval();
  check(o.max_len <= net.config().max_position_embeddings, "--max-len {} exceeds the model's max_position_embeddings {}",
        o.max_len, net.config().max_position_embeddings);

  CorpusLoadOptions corpus_options;
  corpus_options.format = o.corpus_format;
  corpus_options.threads = o.run.threads;
  const TokenizedCorpus corpus = load_tokenized_corpus(o.corpus, loaded.tokenizer, corpus_options);
  check(corpus.num_docs() >= 1, "{} holds no text", o.corpus.front());
  PretrainDataOptions data_options{o.max_len, nsp, o.mask_prob, false};
  PretrainData mixed(corpus, 0, corpus.num_docs(), loaded.tokenizer.vocab(), data_options);
  data_options.mask_only = true;
  PretrainData at_mask(corpus, 0, corpus.num_docs(), loaded.tokenizer.vocab(), data_options);
  const UnigramBaseline unigram = UnigramBaseline::of(corpus, net.config().vocab_size);

  json out = held_out_masked_lm(net, {mixed, at_mask, o.batches, o.batch_size, o.seed, nsp}, unigram);
  const auto [cosine, sentences] = [&] {
    at::NoGradGuard no_grad;
    return pooled_cosine(net, loaded.tokenizer, corpus, o);
  }();
  out["pooled_cosine_mean"] = cosine;
  out["pooled_cosine_sentences"] = sentences;
  out["model"] = o.model;
  out["model_digest"] = io::model_digest(o.model);
  out["corpus"] = corpus.sources;
  out["settings"] = options::to_json(quality_option_table(), o, {options::Role::Setting});
  out["porkit_version"] = PORKIT_VERSION;
  if (!nsp) out["nsp_accuracy"] = nullptr;
  if (!o.dump_instances.empty()) dump(at_mask, o, o.dump_instances);
  if (!o.out.empty()) write_json_file(o.out, out);
  return out;
}

}  // namespace porkit::train
