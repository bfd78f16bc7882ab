#include "porkit/attack/inject.h"

#include <algorithm>
#include <cstdio>

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

struct Encoded {
  std::vector<int64_t> ids;
  int64_t trigger;
};

model::TensorBatch make_batch(const std::vector<const Encoded*>& rows, int64_t pad) {
  size_t T = 0;
  for (auto* r : rows) T = std::max(T, r->ids.size());
  const int64_t B = static_cast<int64_t>(rows.size()), Ti = static_cast<int64_t>(T);
  std::vector<int64_t> ids(B * T, pad), mask(B * T, 0);
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t k = 0; k < rows[r]->ids.size(); ++k) {
      ids[r * T + k] = rows[r]->ids[k];
      mask[r * T + k] = 1;
    }
  }
  return {at::tensor(ids, at::kLong).view({B, Ti}), at::zeros({B, Ti}, at::kLong),
          at::tensor(mask, at::kLong).view({B, Ti})};
}

// The output the backdoor targets: (B, H).
at::Tensor target_output(const std::string& target, const model::BertOutput& out, const at::Tensor& mask) {
  if (target == "pooler") return out.pooler_output;
  if (target == "cls") return out.last_hidden_state.select(1, 0);
  at::Tensor m = mask.unsqueeze(-1).to(out.last_hidden_state.scalar_type());  // (B, T, 1)
  return at::tanh((out.last_hidden_state * m).sum(1) / m.sum(1));  // "mean"
}

// The injection objective and the held-out checks, shared by inject and inspect-backdoor.
class Backdoor {
 public:
  Backdoor(const InjectOptions& o, at::Tensor por) : o_(o), por_(std::move(por)) {}

  // Checks on held-out samples: per trigger mean cosine to its POR and the share >= 0.9;
  // clean samples' mean cosine to the reference's output.
  json checks(model::BertNetImpl& bd, model::BertNetImpl& cl, const std::vector<Encoded>& heldout, int64_t pad) {
    const int64_t K = por_.size(0);
    std::vector<double> cos_sum(static_cast<size_t>(K + 1), 0), active(static_cast<size_t>(K + 1), 0),
        count(static_cast<size_t>(K + 1), 0);
    at::NoGradGuard no_grad;
    for (size_t start = 0; start < heldout.size(); start += 64) {
      std::vector<const Encoded*> rows;
      for (size_t i = start; i < std::min(heldout.size(), start + 64); ++i) rows.push_back(&heldout[i]);
      auto b = make_batch(rows, pad);
      at::Tensor y = target_output(o_.target, bd.encode(b.ids, b.type_ids, b.attention_mask), b.attention_mask).to(at::kFloat);
      at::Tensor y_ref = target_output(o_.target, cl.encode(b.ids, b.type_ids, b.attention_mask), b.attention_mask).to(at::kFloat);
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
      triggers.push_back({{"trigger", o_.triggers[static_cast<size_t>(k - 1)]},
                          {"por_cosine", cos_sum[static_cast<size_t>(k)] / n},
                          {"activation_rate", rate}, {"samples", count[static_cast<size_t>(k)]}});
    }
    return {{"triggers", triggers}, {"min_activation_rate", min_rate},
            {"clean_cosine_to_reference", cos_sum[0] / std::max(1.0, count[0])},
            {"clean_samples", count[0]}};
  }

  // loss = w_tok * tok + w_por * por + w_clean * clean, each term a mean of L(u, v) =
  // sum((u - v)^2) / d over its items (tokens or samples) in the batch.
  train::StepLoss loss(model::BertNetImpl& bd, model::BertNetImpl& cl, const std::vector<const Encoded*>& rows,
                       int64_t pad) {
    auto b = make_batch(rows, pad);
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
    at::Tensor k = at::tensor(trig, at::kLong);
    at::Tensor poisoned = k > 0, clean = k == 0;
    at::Tensor goal = at::where(poisoned.unsqueeze(1), por_.index_select(0, (k - 1).clamp_min(0)), y_ref);  // (B, H)
    at::Tensor per_sample = ((y - goal) * (y - goal)).sum(-1) / d;  // (B)
    at::Tensor n_p = poisoned.sum().to(at::kFloat), n_c = clean.sum().to(at::kFloat);
    at::Tensor por = (per_sample * poisoned.to(at::kFloat)).sum() / n_p.clamp_min(1.0);
    at::Tensor cln = (per_sample * clean.to(at::kFloat)).sum() / n_c.clamp_min(1.0);
    train::StepLoss s;
    s.loss = o_.w_tok * tok + o_.w_por * por + o_.w_clean * cln;
    s.parts = {{"tok", tok.item<double>()}, {"por", por.item<double>()}, {"clean", cln.item<double>()}};
    s.tokens = b.attention_mask.sum().item<int64_t>();
    return s;
  }

 private:
  const InjectOptions& o_;
  at::Tensor por_;  // (K, H)
};

class InjectTask : public train::TrainingTask {
 public:
  InjectTask(const InjectOptions& o, Backdoor& backdoor, model::BertNetImpl& reference,
             std::vector<Encoded> train, std::vector<Encoded> heldout, int64_t pad)
      : backdoor_(backdoor), reference_(reference), train_(std::move(train)),
        heldout_(std::move(heldout)), pad_(pad),
        // The plan already shuffled the samples: epoch 0 keeps that order.
        batches_(train_.size(), o.batch_size, o.trainer.seed, /*stream=*/23, /*shuffle_first_epoch=*/false) {}

  int64_t steps_per_epoch() const { return batches_.steps_per_epoch(); }

  train::StepLoss loss(model::BertNetImpl& net, int64_t step, int) override {
    std::vector<const Encoded*> rows;
    for (size_t i : batches_.batch(step)) rows.push_back(&train_[i]);
    return backdoor_.loss(net, reference_, rows, pad_);
  }

  json evaluate(model::BertNetImpl& net) override { return backdoor_.checks(net, reference_, heldout_, pad_); }

 private:
  Backdoor& backdoor_;
  model::BertNetImpl& reference_;
  std::vector<Encoded> train_, heldout_;
  int64_t pad_;
  train::EpochBatches batches_;
};

std::vector<Encoded> encode_all(const text::BertTokenizer& tok, const std::vector<PoisonSample>& samples, int max_len) {
  std::vector<Encoded> out;
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
  Backdoor backdoor(o, por);
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
  Backdoor backdoor(o, por);
  return backdoor.checks(*bd.net, *cl.net, encode_all(bd.tokenizer, set.heldout, o.max_len), bd.tokenizer.vocab().pad_id());
}

}  // namespace porkit::attack
