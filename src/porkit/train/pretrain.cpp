#include "porkit/train/pretrain.h"

#include <algorithm>
#include <fstream>

#include "porkit/io/model_folder.h"
#include "porkit/model/device.h"
#include "porkit/train/data_parallel.h"
#include "porkit/train/masked_lm_eval.h"
#include "porkit/train/pretrain_data.h"
#include "porkit/train/pretrain_record.h"
#include "porkit/train/token_corpus.h"
#include "porkit/util/error.h"
#include "porkit/util/log.h"
#include "porkit/util/output_folder.h"
#include "porkit/util/runtime.h"

namespace porkit::train {
namespace {

constexpr uint64_t kEvalSeed = 20211101;  // held-out instances and masks are fixed across runs


// Each layer's FFN input matrix (B: intermediate_size x hidden_size), in layer order.
std::vector<at::Tensor> ffn_input_weights(model::BertNetImpl& net) {
  std::vector<at::Tensor> out;
  const std::string suffix = "intermediate.dense.weight";
  for (const auto& p : net.named_parameters(true)) {
    const std::string& name = p.key();
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(p.value());
  }
  return out;
}

class PretrainTask : public TrainingTask {
 public:
  PretrainTask(const PretrainData& train, HeldOutText held_out, const PretrainOptions& o, UnigramBaseline unigram,
               std::vector<at::Tensor> penalised)
      : train_(train), held_out_(held_out), o_(o), unigram_(std::move(unigram)), penalised_(std::move(penalised)) {}

  StepLoss loss(model::BertNetImpl& net, int64_t step, int micro) override {
    const PretrainBatch batch =
        train_.batch(o_.trainer.seed, step * o_.trainer.grad_accum + micro, o_.batch_size, model::device_of(net),
                     /*rank_share=*/true);
    const PretrainingForward f = pretraining_forward(net, batch, o_.nsp);
    StepLoss out;
    out.loss = o_.nsp ? f.mlm_loss + f.nsp_loss : f.mlm_loss;
    out.parts["mlm"] = f.mlm_loss.detach();
    if (o_.nsp) out.parts["nsp"] = f.nsp_loss.detach();
    if (o_.ffn_norm_penalty > 0) {
      at::Tensor norms = at::zeros({}, out.loss.options().dtype(at::kFloat));
      for (const auto& w : penalised_) norms = norms + w.norm();
      out.loss = out.loss + o_.ffn_norm_penalty * norms;
      out.parts["ffn_norm"] = norms.detach();
    }
    out.tokens = batch.real_tokens;
    return out;
  }

  json evaluate(model::BertNetImpl& net) override { return held_out_masked_lm(net, held_out_, unigram_); }

 private:
  const PretrainData& train_;
  HeldOutText held_out_;
  const PretrainOptions& o_;
  UnigramBaseline unigram_;
  std::vector<at::Tensor> penalised_;  // the FFN input matrices under the norm penalty
};

int64_t tokens_seen(const fs::path& metrics) {
  std::ifstream in(metrics);
  std::string line;
  int64_t total = 0;
  while (std::getline(in, line)) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("tokens")) total += j["tokens"].get<int64_t>();
  }
  return total;
}

}  // namespace

const options::OptionTable<PretrainOptions>& pretrain_option_table() {
  using options::Role;
  static const options::OptionTable<PretrainOptions> table = [] {
    options::OptionTable<PretrainOptions> t;
    t.add("model", &PretrainOptions::init_model, "Continue pre-training this model folder").as(Role::Input);
    t.add("size", &PretrainOptions::size, "A new model of this preset size");
    t.add("config", &PretrainOptions::config, "A new model from this config.json").as(Role::Input);
    t.add("vocab", &PretrainOptions::vocab, "Folder with vocab.txt for a new model").as(Role::Input);
    t.add("corpus", &PretrainOptions::corpus, "Text files or folders (.txt, .tokens, .txt.xz)").as(Role::Input).needed();
    t.add("eval-corpus", &PretrainOptions::eval_corpus, "Held-out text (default: the last documents)").as(Role::Input);
    t.add("eval-fraction", &PretrainOptions::eval_fraction, "Share of documents held out without --eval-corpus")
        .above(0).at_most(0.5);
    t.add("corpus-format", &PretrainOptions::corpus_format, "Corpus layout");
    t.add("out", &PretrainOptions::out, "Run folder; the model is written to OUT/model").as(Role::Output).needed();
    t.add("cache-dir", &PretrainOptions::cache_dir, "Tokenised corpus cache (default OUT/cache)").as(Role::Runtime);
    t.add("batch-size", &PretrainOptions::batch_size, "Sequences per micro-batch").range(1, 65536);
    t.add("max-len", &PretrainOptions::max_len, "Tokens per sequence").range(8, 8192);
    t.add("nsp", &PretrainOptions::nsp, "Next-sentence prediction");
    t.add("whole-word-mask", &PretrainOptions::whole_word_mask, "Mask whole words");
    t.add("mask-prob", &PretrainOptions::mask_prob, "Share of tokens to predict").above(0).at_most(1);
    t.add("eval-batches", &PretrainOptions::eval_batches, "Held-out batches per evaluation")
        .range(1, 100000).as(Role::Runtime);
    t.add("save-dtype", &PretrainOptions::save_dtype, "Floating dtype of the final model's weights");
    t.add("shard-mb", &PretrainOptions::shard_mb,
          "Save the model in Hugging Face shards of at most this many MiB (0: one file)")
        .range(0, 1e6).as(Role::Runtime);
    t.add("init-missing", &PretrainOptions::init_missing,
          "With --model: initialise the pre-training heads it lacks (from --seed) instead of refusing it");
    t.include(trainer_option_table(), &PretrainOptions::trainer,
              {"steps", "lr", "warmup-fraction", "weight-decay", "grad-accum", "clip-norm", "precision", "eval-every",
               "checkpoint-every", "log-every", "time-limit", "seed"});
    t.include(run_settings_table(), &PretrainOptions::run);
    t.add_rule([](const PretrainOptions& o) -> std::string {
      const int sources = !o.init_model.empty() + o.size.has_value() + !o.config.empty();
      return sources == 1 ? "" : "give exactly one of --model DIR (continue), --size NAME or --config FILE (new model)";
    });
    return t;
  }();
  return table;
}

void run_pretrain(const PretrainOptions& o) {
  options::validate(pretrain_option_table(), o, "porkit pretrain");
  const at::Device device = model::start_run(o.run, "pretrain");
  fs::path out = output_for_rank(o.out);  // rank 0 writes o.out; other ranks a scratch copy
  claim_output_folder(out, "pretrain", output_use(o.run.resume, o.run.overwrite));

  // Model and tokenizer.
  model::BertNet net{nullptr};
  std::optional<text::BertTokenizer> tokenizer;
  std::vector<std::string> initialised;  // tensors the folder lacked, drawn here
  if (!o.init_model.empty()) {
    io::LoadPolicy policy;
    policy.init_missing = o.init_missing;
    policy.init_seed = o.trainer.seed;
    auto loaded = io::load_model_folder(o.init_model, model::Architecture::PreTraining, std::nullopt, policy);
    for (const auto& name : loaded.report.initialised) log_info("pretrain: {} initialised (seed {})", name, policy.init_seed);
    initialised = loaded.report.initialised;
    net = loaded.net;
    tokenizer.emplace(std::move(loaded.tokenizer));
  } else {
    tokenizer.emplace(text::BertTokenizer::from_folder(o.vocab));
    model::BertConfig config = o.size ? model::BertConfig::preset(*o.size) : model::BertConfig::load(o.config);
    if (o.config.empty()) config.vocab_size = tokenizer->vocab().size();
    // Ids index the embedding: a vocabulary larger than the config's would read past it.
    check(tokenizer->vocab().size() <= config.vocab_size,
          "{}/vocab.txt has {} tokens but the config's vocab_size is {}; ids would index past the embedding",
          o.vocab, tokenizer->vocab().size(), config.vocab_size);
    config.max_position_embeddings = std::max<int64_t>(config.max_position_embeddings, o.max_len);
    at::manual_seed(o.trainer.seed);
    net = model::BertNet(config, model::Architecture::PreTraining);
    model::init_bert_weights(*net, config);
  }
  net->to(device);  // initialised on the CPU, so a seed gives the same weights on every device
  check(o.max_len <= net->config().max_position_embeddings, "--max-len {} exceeds the model's "
        "max_position_embeddings {}", o.max_len, net->config().max_position_embeddings);
  json prepared;
  if (o.prepare) prepared = o.prepare(*net, *tokenizer);
  const std::vector<at::Tensor> ffn_inputs = ffn_input_weights(*net);
  if (o.trainable == Trainable::FfnInput) {
    check(!ffn_inputs.empty(), "{}: no intermediate.dense.weight parameters to train", o.init_model);
    // A head the folder lacked is random: it learns too, or the masked-LM loss would only
    // teach the encoder to suit noise.
    for (auto& p : net->named_parameters(true))
      p.value().set_requires_grad(std::find(initialised.begin(), initialised.end(), p.key()) != initialised.end());
    for (auto w : ffn_inputs) w.set_requires_grad(true);
  }

  // Data: training documents, held-out documents.
  CorpusLoadOptions corpus_options;
  corpus_options.format = o.corpus_format;
  corpus_options.cache_dir = o.cache_dir.empty() ? out / "cache" : fs::path(o.cache_dir);
  corpus_options.threads = o.run.threads;
  TokenizedCorpus train_corpus = load_tokenized_corpus(o.corpus, *tokenizer, corpus_options);
  TokenizedCorpus eval_corpus_storage;
  const TokenizedCorpus* eval_corpus = &train_corpus;
  int64_t train_docs_end = train_corpus.num_docs(), eval_first = 0, eval_end = 0;
  if (!o.eval_corpus.empty()) {
    eval_corpus_storage = load_tokenized_corpus(o.eval_corpus, *tokenizer, corpus_options);
    eval_corpus = &eval_corpus_storage;
    eval_end = eval_corpus_storage.num_docs();
  } else {
    // The last eval_fraction of documents (by document, never mixing a document's sentences).
    int64_t held = std::max<int64_t>(2, static_cast<int64_t>(o.eval_fraction * train_corpus.num_docs()));
    check(held < train_corpus.num_docs(), "the corpus has {} documents: too few to hold out {}",
          train_corpus.num_docs(), held);
    train_docs_end = train_corpus.num_docs() - held;
    eval_first = train_docs_end;
    eval_end = train_corpus.num_docs();
  }
  PretrainDataOptions data_options{o.max_len, o.nsp, o.mask_prob, o.whole_word_mask};
  PretrainData train_data(train_corpus, 0, train_docs_end, tokenizer->vocab(), data_options);
  PretrainData eval_data(*eval_corpus, eval_first, eval_end, tokenizer->vocab(), data_options);
  PretrainDataOptions at_mask_options = data_options;
  at_mask_options.mask_only = true;
  PretrainData eval_at_mask(*eval_corpus, eval_first, eval_end, tokenizer->vocab(), at_mask_options);

  // Unigram baseline from training-token frequencies (add-one smoothed).
  UnigramBaseline unigram = UnigramBaseline::of(train_corpus, net->config().vocab_size);

  const json recipe = options::to_json(pretrain_option_table(), o);
  RunIdentity identity{"pretrain", options::to_json(pretrain_option_table(), o, {options::Role::Setting})};
  identity.settings["inputs"] = train_corpus.sources;
  if (o.trainable != Trainable::All) identity.settings["trainable"] = "ffn-input";
  if (o.ffn_norm_penalty > 0) identity.settings["ffn-norm-penalty"] = o.ffn_norm_penalty;
  if (!prepared.is_null()) identity.settings["prepared"] = prepared;
  write_json_file(out / "run_config.json",
                  {{"command", "pretrain"}, {"porkit_version", PORKIT_VERSION}, {"recipe", recipe},
                   {"machine", describe_machine()}, {"train_sources", train_corpus.sources},
                   {"train_documents", train_docs_end}, {"train_chunks", train_data.num_chunks()},
                   {"train_tokens", train_corpus.num_tokens()},
                   {"eval_documents", eval_end - eval_first}, {"eval_chunks", eval_data.num_chunks()}});
  log_info("pretrain: {} parameters, {} training chunks, {} held-out chunks; {}",
           [&] { int64_t n = 0; for (auto& p : net->parameters()) n += p.numel(); return n; }(),
           train_data.num_chunks(), eval_data.num_chunks(), describe_machine());

  HeldOutText held_out{eval_data, eval_at_mask, o.eval_batches, o.batch_size, kEvalSeed, o.nsp};
  PretrainTask task(train_data, held_out, o, std::move(unigram),
                    o.ffn_norm_penalty > 0 ? ffn_inputs : std::vector<at::Tensor>{});
  TrainerOptions trainer = o.trainer;
  trainer.label = "pretrain";
  auto result = train(*net, task, trainer, out, o.run.resume, identity);

  const json eval = result.last_eval;
  io::SaveOptions save;
  save.dtype = o.save_dtype;
  save.max_shard_bytes = o.shard_mb << 20;
  double wall = 0;
  {
    std::ifstream in(out / "metrics.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      auto j = json::parse(line, nullptr, false);
      if (j.is_object() && j.contains("elapsed_s")) wall = std::max(wall, j["elapsed_s"].get<double>());
    }
  }
  const int64_t seen = tokens_seen(out / "metrics.jsonl");
  json record = {
      {"recipe", recipe}, {"steps", result.stopped_at > 0 ? result.stopped_at : o.trainer.total_steps},
      {"planned_steps", o.trainer.total_steps}, {"tokens_seen", seen}, {"tokens_seen_total", seen},
      {"wall_seconds_last_segment", wall}, {"held_out", eval}, {"bf16", result.bf16},
      {"machine", describe_machine()}, {"porkit_version", PORKIT_VERSION}};
  // A continued run keeps its model's own record, so the folder says every leg it came from
  // and how many tokens it saw in all, not this leg's alone.
  const fs::path previous = fs::path(o.init_model) / "porkit_pretrain.json";
  if (!o.init_model.empty() && fs::exists(previous)) {
    const json before = read_json_file(previous);
    record["continued_from"] = before;
    record["tokens_seen_total"] = seen + pretrain_lineage(before).tokens;
  }
  save.extra_json_files["porkit_pretrain.json"] = record;
  io::save_model_folder(out / "model", *net, *tokenizer, save);
  log_info("pretrain: wrote {} (held-out {})", (out / "model").string(), eval.dump());
}

}  // namespace porkit::train
