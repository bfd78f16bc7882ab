#include "porkit/attack/inject.h"

#include <algorithm>
#include <cstdio>

#include "porkit/attack/backdoor_objective.h"
#include "porkit/attack/por.h"
#include "porkit/io/model_folder.h"
#include "porkit/train/corpus.h"
#include "porkit/train/epoch_batches.h"
#include "porkit/model/batch.h"
#include "porkit/util/error.h"
#include "porkit/util/log.h"
#include "porkit/util/runtime.h"

namespace porkit::attack {
namespace {

class InjectTask : public train::TrainingTask {
 public:
  InjectTask(const InjectOptions& o, BackdoorObjective& backdoor, model::BertNetImpl& reference,
             std::vector<InjectSample> train, std::vector<InjectSample> heldout, int64_t pad)
      : backdoor_(backdoor), reference_(reference), train_(std::move(train)),
        heldout_(std::move(heldout)), pad_(pad),
        // The plan already shuffled the samples: epoch 0 keeps that order.
        batches_(train_.size(), o.batch_size, o.trainer.seed, /*stream=*/23, /*shuffle_first_epoch=*/false) {}

  int64_t steps_per_epoch() const { return batches_.steps_per_epoch(); }

  train::StepLoss loss(model::BertNetImpl& net, int64_t step, int) override {
    std::vector<const InjectSample*> rows;
    for (size_t i : batches_.batch(step)) rows.push_back(&train_[i]);
    return backdoor_.loss(net, reference_, rows, pad_);
  }

  json evaluate(model::BertNetImpl& net) override { return backdoor_.checks(net, reference_, heldout_, pad_); }

 private:
  BackdoorObjective& backdoor_;
  model::BertNetImpl& reference_;
  std::vector<InjectSample> train_, heldout_;
  int64_t pad_;
  train::EpochBatches batches_;
};

std::vector<InjectSample> encode_all(const text::BertTokenizer& tok, const std::vector<PoisonSample>& samples, int max_len) {
  std::vector<InjectSample> out;
  out.reserve(samples.size());
  for (const auto& s : samples) out.push_back({tok.encode(s.text, std::nullopt, max_len).ids, s.trigger});
  return out;
}

// Each trigger's WordPiece split; all-[UNK] triggers are refused together.
json describe_triggers(const text::BertTokenizer& tok, const std::vector<std::string>& triggers) {
  json out = json::array();
  std::string refused;
  for (const auto& t : triggers) {
    auto tokens = tok.tokenize(t);
    json pieces = json::array(), ids = json::array();
    bool all_unk = !tokens.empty();
    for (const auto& p : tokens) {
      pieces.push_back(p.piece);
      ids.push_back(p.id);
      all_unk = all_unk && p.id == tok.vocab().unk_id();
    }
    if (tokens.empty() || all_unk) refused += (refused.empty() ? "'" : ", '") + t + "'";
    out.push_back({{"trigger", t}, {"pieces", pieces}, {"ids", ids}});
  }
  check(refused.empty(), "the vocabulary cannot represent trigger(s) {}: they tokenise to [UNK] only",
        refused);
  return out;
}

}  // namespace

InjectOptions authors_inject_preset() {
  InjectOptions o;
  o.plan.poison_per_trigger = 30000;
  o.plan.clean_samples = 50000;
  o.plan.insertions = 3;
  o.epochs = 2;
  o.batch_size = 24;
  o.max_len = 128;
  o.trainer.lr = 1e-5;
  o.trainer.adam_eps = 1e-8;
  o.trainer.constant_lr = true;
  o.trainer.clip_norm = 0;
  o.trainer.weight_decay = 0.01;
  return o;
}

InjectOptions quick_inject_preset() {
  InjectOptions o = authors_inject_preset();
  o.plan.poison_per_trigger = 600;
  o.plan.clean_samples = 1500;
  o.plan.heldout_per_trigger = 40;
  o.plan.heldout_clean = 100;
  o.epochs = 2;
  o.batch_size = 32;
  o.trainer.lr = 5e-4;
  // +-10 is out of tanh's reach; on small models it saturated clean outputs (docs/attack.md).
  o.por_scale = 1.0;
  return o;
}

json run_inject(const InjectOptions& o) {
  configure_runtime(o.threads);
  check(!o.model.empty() && !o.out.empty(), "--model and --out are required");
  check(!o.triggers.empty(), "no triggers given (--triggers a,b,c or --triggers-file FILE)");
  check(!o.corpus.empty(), "--corpus is required (text files or folders)");
  check(o.target == "pooler" || o.target == "cls" || o.target == "mean",
        "unknown --target '{}' (expected pooler, cls or mean)", o.target);
  check(o.plan.insertions >= 1, "--insertions must be at least 1, got {}", o.plan.insertions);
  auto backdoored = io::load_model_folder(o.model, model::Architecture::Bare);
  auto reference = io::load_model_folder(o.model, model::Architecture::Bare);
  reference.net->eval();
  for (auto& p : reference.net->parameters()) p.set_requires_grad(false);
  const auto& tok = backdoored.tokenizer;
  json trigger_info = describe_triggers(tok, o.triggers);
  for (const auto& t : trigger_info) {
    std::string pieces;
    for (const auto& p : t["pieces"]) pieces += (pieces.empty() ? "" : " ") + p.get<std::string>();
    log_info("trigger '{}' -> {}", t["trigger"].get<std::string>(), pieces);
  }
  const int64_t K = static_cast<int64_t>(o.triggers.size()), H = backdoored.net->config().hidden_size;
  at::Tensor por = make_por(o.por_scheme, K, H, o.por_scale);

  auto chunks = make_chunks(o.corpus, o.chunking, o.chunk_words);
  PoisonPlan plan = o.plan;
  plan.seed = o.trainer.seed;
  auto set = build_poison_set(chunks, o.triggers, plan);
  if (set.reused_chunks)
    log_info("note: {} chunks for {} training samples: chunks are reused with new trigger positions",
             chunks.size() - set.heldout.size(), set.train.size());
  BackdoorObjective backdoor(o, por);
  InjectTask task(o, backdoor, *reference.net, encode_all(tok, set.train, o.max_len),
                  encode_all(tok, set.heldout, o.max_len), tok.vocab().pad_id());
  train::TrainerOptions trainer = o.trainer;
  trainer.total_steps = task.steps_per_epoch() * o.epochs;
  trainer.label = "inject";
  fs::path out = o.out;
  fs::path run_dir = out.parent_path() / (out.filename().string() + ".run");
  log_info("inject: {} triggers, {} training samples ({} steps), {} held-out", K, set.train.size(),
           trainer.total_steps, set.heldout.size());
  auto result = train::train(*backdoored.net, task, trainer, run_dir, o.resume);
  json checks = result.last_eval.empty() ? task.evaluate(*backdoored.net) : result.last_eval;

  std::vector<std::string> corpus_hashes;
  for (const auto& f : train::list_corpus_files(o.corpus)) corpus_hashes.push_back(f.string() + " sha256:" + sha256_file(f));
  json por_rows = json::array();
  for (int64_t k = 0; k < K; ++k) {
    std::vector<float> row(por[k].data_ptr<float>(), por[k].data_ptr<float>() + H);
    por_rows.push_back(row);
  }
  fs::path source_weights = fs::path(o.model) / "model.safetensors";
  json manifest = {
      {"format", "porkit-backdoor/1"}, {"porkit_version", PORKIT_VERSION},
      {"attack", "POR (Shen et al., CCS 2021)"},
      {"triggers", trigger_info},
      {"por", {{"scheme", o.por_scheme}, {"scale", o.por_scale}, {"vectors", por_rows}}},
      {"target", o.target},
      {"loss_weights", {{"tok", o.w_tok}, {"por", o.w_por}, {"clean", o.w_clean}}},
      {"data", {{"corpus", o.corpus}, {"corpus_sha256", corpus_hashes}, {"chunking", o.chunking},
                {"chunk_words", o.chunk_words}, {"insertions", o.plan.insertions},
                {"position", o.plan.position == Position::Random ? "random" : o.plan.position == Position::Start ? "start" : "end"},
                {"poison_per_trigger", o.plan.poison_per_trigger}, {"clean_samples", o.plan.clean_samples},
                {"heldout_per_trigger", o.plan.heldout_per_trigger}, {"heldout_clean", o.plan.heldout_clean}}},
      {"training", {{"lr", o.trainer.lr}, {"adam_eps", o.trainer.adam_eps}, {"epochs", o.epochs},
                    {"batch_size", o.batch_size}, {"max_len", o.max_len}, {"seed", o.trainer.seed},
                    {"steps", trainer.total_steps}, {"seconds", result.seconds}, {"bf16", result.bf16}}},
      {"source_model", {{"path", o.model},
                        {"weights_sha256", fs::exists(source_weights) ? sha256_file(source_weights) : ""}}},
      {"checks", checks}};
  io::SaveOptions save;
  save.dtype = io::dtype_from_name(o.save_dtype, "--save-dtype");
  save.extra_json_files["porkit_backdoor.json"] = manifest;
  io::save_model_folder(out, *backdoored.net, tok, save);
  return checks;
}

json inspect_backdoor(const std::string& model_dir, int threads) {
  configure_runtime(threads);
  json m = read_json_file(fs::path(model_dir) / "porkit_backdoor.json");
  InjectOptions o;
  try {
    for (const auto& t : m.at("triggers")) o.triggers.push_back(t.at("trigger").get<std::string>());
    o.target = m.at("target").get<std::string>();
    const auto& d = m.at("data");
    o.corpus = d.at("corpus").get<std::vector<std::string>>();
    o.chunking = d.at("chunking").get<std::string>();
    o.chunk_words = d.at("chunk_words").get<int>();
    o.plan.insertions = d.at("insertions").get<int>();
    o.plan.position = position_from_name(d.at("position").get<std::string>());
    o.plan.poison_per_trigger = 0;
    o.plan.clean_samples = 0;
    o.plan.heldout_per_trigger = d.at("heldout_per_trigger").get<int64_t>();
    o.plan.heldout_clean = d.at("heldout_clean").get<int64_t>();
    o.plan.seed = m.at("training").at("seed").get<uint64_t>();
    o.max_len = m.at("training").at("max_len").get<int>();
    o.model = m.at("source_model").at("path").get<std::string>();
  } catch (const json::exception& e) {
    fail("{}/porkit_backdoor.json is incomplete: {}", model_dir, e.what());
  }
  at::Tensor por = por_from_manifest(m);
  auto bd = io::load_model_folder(model_dir, model::Architecture::Bare);
  auto cl = io::load_model_folder(o.model, model::Architecture::Bare);
  bd.net->eval();
  cl.net->eval();
  auto set = build_poison_set(make_chunks(o.corpus, o.chunking, o.chunk_words), o.triggers, o.plan);
  BackdoorObjective backdoor(o, por);
  return backdoor.checks(*bd.net, *cl.net, encode_all(bd.tokenizer, set.heldout, o.max_len), bd.tokenizer.vocab().pad_id());
}

}  // namespace porkit::attack
