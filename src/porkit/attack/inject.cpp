#include "porkit/attack/inject.h"

#include <algorithm>
#include <cstdio>

#include "porkit/io/model_folder.h"
#include "porkit/model/device.h"
#include "porkit/train/data_parallel.h"
#include "porkit/train/corpus.h"
#include "porkit/train/epoch_batches.h"
#include "porkit/model/padder.h"
#include "porkit/util/error.h"
#include "porkit/util/log.h"
#include "porkit/util/files.h"
#include "porkit/util/output_folder.h"
#include "porkit/util/runtime.h"

#include <set>
#include <sstream>

namespace porkit::attack {
namespace {

class InjectTask : public train::TrainingTask {
 public:
  InjectTask(const InjectOptions& o, BackdoorObjective& backdoor, model::BertNetImpl& reference,
             std::vector<InjectSample> train, std::vector<InjectSample> heldout, int64_t pad)
      : backdoor_(backdoor), reference_(reference), train_(std::move(train)),
        heldout_(std::move(heldout)), pad_(pad), batch_size_(o.batch_size), max_len_(o.max_len),
        // The plan already shuffled the samples: epoch 0 keeps that order.
        batches_(train_.size(), o.batch_size, o.trainer.seed, Stream::InjectBatches, Stream::InjectBucketBatches,
                 /*shuffle_first_epoch=*/false) {}

  int64_t steps_per_epoch() const { return batches_.steps_per_epoch(); }

  train::StepLoss loss(model::BertNetImpl& net, int64_t step, int) override {
    return backdoor_.loss(net, reference_, backdoor_.batch(rows(step), pad_, model::device_of(net), step));
  }

  // Full batches, padded to max_len, into the same device buffers every step (the CUDA-graph
  // path); the epoch's short last batch runs eagerly.
  std::optional<int64_t> stage(model::BertNetImpl& net, int64_t step) override {
    const std::vector<const InjectSample*> r = rows(step);
    if (!backdoor_.graph_safe() || static_cast<int64_t>(r.size()) != batch_size_) return std::nullopt;
    InjectBatch b = backdoor_.batch(r, pad_, model::device_of(net), step, max_len_);
    if (!staged_.trigger.defined()) {
      staged_ = std::move(b);  // the first staged batch's tensors become the buffers
    } else {
      staged_.tokens.ids.copy_(b.tokens.ids);
      staged_.tokens.type_ids.copy_(b.tokens.type_ids);
      staged_.tokens.attention_mask.copy_(b.tokens.attention_mask);
      staged_.trigger.copy_(b.trigger);
      staged_.tokens.real_tokens = b.tokens.real_tokens;
    }
    return staged_.tokens.real_tokens;
  }

  train::StepLoss staged_loss(model::BertNetImpl& net) override { return backdoor_.loss(net, reference_, staged_); }

  json evaluate(model::BertNetImpl& net) override { return backdoor_.checks(net, reference_, heldout_, pad_); }

 private:
  std::vector<const InjectSample*> rows(int64_t step) {
    std::vector<const InjectSample*> out;
    for (size_t i : batches_.batch(step)) out.push_back(&train_[i]);
    return out;
  }

  BackdoorObjective& backdoor_;
  model::BertNetImpl& reference_;
  std::vector<InjectSample> train_, heldout_;
  int64_t pad_, batch_size_, max_len_;
  train::EpochBatches batches_;
  InjectBatch staged_;  // the CUDA-graph path's input buffers
};

std::vector<InjectSample> encode_all(const text::BertTokenizer& tok, const std::vector<PoisonSample>& samples, int max_len) {
  std::vector<InjectSample> out;
  out.reserve(samples.size());
  for (const auto& s : samples) out.push_back({tok.encode(s.text, std::nullopt, max_len).ids, s.trigger});
  return out;
}

// Each trigger's WordPiece split; all-[UNK] triggers are refused together.
std::vector<ManifestTrigger> describe_triggers(const text::BertTokenizer& tok, const std::vector<std::string>& triggers) {
  std::vector<ManifestTrigger> out;
  std::string refused;
  for (const auto& t : triggers) {
    ManifestTrigger info;
    info.text = t;
    bool all_unk = true;
    for (const auto& p : tok.tokenize(t)) {
      info.pieces.push_back(p.piece);
      info.ids.push_back(p.id);
      all_unk = all_unk && p.id == tok.vocab().unk_id();
    }
    if (info.ids.empty() || all_unk) refused += (refused.empty() ? "'" : ", '") + t + "'";
    out.push_back(std::move(info));
  }
  check(refused.empty(), "the vocabulary cannot represent trigger(s) {}: they tokenise to [UNK] only",
        refused);
  return out;
}

}  // namespace

InjectOptions authors_inject_preset() {
  InjectOptions o;
  o.preset = InjectPreset::Authors;
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
  o.preset = InjectPreset::Quick;
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

InjectOptions inject_preset(InjectPreset preset, Attack attack) {
  InjectOptions o = preset == InjectPreset::Quick ? quick_inject_preset() : authors_inject_preset();
  o.objective.attack = attack;
  if (attack == Attack::Neuba) {
    // Zhang et al.: the trigger once, right after [CLS]; targets +-1 in 4 blocks; MSE on
    // the pooled output plus 0.01 x masked-LM, and nothing ties the outputs to a reference.
    o.plan.insertions = 1;
    o.plan.position = Position::Start;
    o.por_scheme = PorScheme::Neuba;
    o.por_scale = 1.0;
    o.objective.target = Target::Pooler;
    o.objective.w_tok = 0;
    o.objective.w_por = 1;
    o.objective.w_clean = 0;
    o.objective.w_mlm = 0.01;
    // Its POR term weighs 1, not POR's 100: at the quick scale's 5e-4 the shipped tiny model's
    // triggers stop at cosine 0.86 to their targets; 2e-3 reaches 1.00 (docs/attack.md).
    if (preset == InjectPreset::Quick) o.trainer.lr = 2e-3;
  } else if (attack == Attack::Uor) {
    // Du et al.: no predefined target; a supervised contrastive loss (temperature 0.5, each
    // trigger its own class) beside the clean outputs' MSE to the reference; 3 insertions.
    o.plan.insertions = 3;
    o.objective.w_por = 0;
    o.objective.w_contrast = 1;
    o.objective.temperature = 0.5;
  }
  return o;
}

const options::OptionTable<InjectOptions>& inject_option_table(bool standalone) {
  using options::Role;
  auto build = [](bool with_run) {
    options::OptionTable<InjectOptions> t;
    t.add("preset", &InjectOptions::preset,
          "authors (paper scale) or quick (test scale: 600/trigger, 1,500 clean, 2 epochs, lr 5e-4, POR scale 1); "
          "options given override it");
    t.add("attack", std::function<Attack&(InjectOptions&)>([](InjectOptions& o) -> Attack& { return o.objective.attack; }),
          "por (Shen et al.), neuba (Zhang et al.: position 1, +-1 blocks, pooled MSE + 0.01 MLM) or uor (Du et al.: "
          "learned targets, supervised contrastive loss); sets that paper's defaults, which options given override");
    if (with_run) {
      t.add("model", &InjectOptions::model, "Clean input model folder").as(Role::Input).needed();
      t.add("out", &InjectOptions::out, "Output folder (BertModel + porkit_backdoor.json)").as(Role::Output).needed();
    }
    t.add("triggers", &InjectOptions::triggers, "Triggers, comma-separated (numbered 1..K in order)").separated_by(',');
    t.add("triggers-file", &InjectOptions::triggers_file, "One trigger a line").as(Role::Input);
    t.add("corpus", &InjectOptions::corpus, "Text files or folders to poison").as(Role::Input);
    t.add("por-scheme", &InjectOptions::por_scheme, "The POR layout (docs/attack.md)");
    t.add("por-file", &InjectOptions::por_file, "K rows of H numbers to use as PORs instead of a scheme").as(Role::Input);
    t.add("por-scale", &InjectOptions::por_scale, "POR magnitude").above(0).at_most(1e6);
    t.add("target", std::function<Target&(InjectOptions&)>([](InjectOptions& o) -> Target& { return o.objective.target; }),
          "The output the POR is put on: pooler, cls (last-layer [CLS]), mean, or all-tokens (the pooler and every "
          "token state of a poisoned sample, for taggers)");
    t.add("w-tok", std::function<double&(InjectOptions&)>([](InjectOptions& o) -> double& { return o.objective.w_tok; }),
          "Weight of the token term (non-[CLS] states stay at the reference's)").range(0, 1e6);
    t.add("w-por", std::function<double&(InjectOptions&)>([](InjectOptions& o) -> double& { return o.objective.w_por; }),
          "Weight of the POR term").range(0, 1e6);
    t.add("w-clean", std::function<double&(InjectOptions&)>([](InjectOptions& o) -> double& { return o.objective.w_clean; }),
          "Weight of the clean-output term").range(0, 1e6);
    t.add("w-mlm", std::function<double&(InjectOptions&)>([](InjectOptions& o) -> double& { return o.objective.w_mlm; }),
          "Weight of the masked-LM term (NeuBA 0.01; needs the model's MLM head)").range(0, 1e6);
    t.add("w-contrast", std::function<double&(InjectOptions&)>(
                            [](InjectOptions& o) -> double& { return o.objective.w_contrast; }),
          "Weight of the supervised contrastive term (UOR 1)").range(0, 1e6);
    t.add("temperature", std::function<double&(InjectOptions&)>(
                             [](InjectOptions& o) -> double& { return o.objective.temperature; }),
          "Temperature of the contrastive term").above(0).at_most(100);
    t.add("insertions", std::function<int&(InjectOptions&)>([](InjectOptions& o) -> int& { return o.plan.insertions; }),
          "Trigger insertions per poisoned chunk (r)").range(1, 1000);
    t.add("position", std::function<Position&(InjectOptions&)>([](InjectOptions& o) -> Position& { return o.plan.position; }),
          "Where insertions go");
    t.add("poison-per-trigger", std::function<int64_t&(InjectOptions&)>(
                                    [](InjectOptions& o) -> int64_t& { return o.plan.poison_per_trigger; }),
          "Poisoned chunks per trigger (N_p)").range(1, 1e9);
    t.add("clean-samples", std::function<int64_t&(InjectOptions&)>(
                               [](InjectOptions& o) -> int64_t& { return o.plan.clean_samples; }),
          "Clean chunks (N_c)").range(0, 1e9);
    t.add("heldout-per-trigger", std::function<int64_t&(InjectOptions&)>(
                                     [](InjectOptions& o) -> int64_t& { return o.plan.heldout_per_trigger; }),
          "Held-out poisoned chunks per trigger for the checks").range(1, 1e7);
    t.add("heldout-clean", std::function<int64_t&(InjectOptions&)>(
                               [](InjectOptions& o) -> int64_t& { return o.plan.heldout_clean; }),
          "Held-out clean chunks for the checks").range(1, 1e7);
    t.add("chunking", &InjectOptions::chunking, "authors (64-word lower-cased alphanumeric chunks) or lines");
    t.add("chunk-words", &InjectOptions::chunk_words, "Words per chunk with --chunking authors").range(1, 100000);
    t.add("epochs", &InjectOptions::epochs, "Epochs").range(1, 1000);
    t.add("batch-size", &InjectOptions::batch_size, "Batch size").range(1, 65536);
    t.add("max-len", &InjectOptions::max_len, "Tokens per sample").range(3, 8192);
    t.add("save-dtype", &InjectOptions::save_dtype, "Floating dtype of the backdoored model's weights");
    t.add("init-missing", &InjectOptions::init_missing,
          "Initialise a pooler the clean model lacks (from --seed) instead of refusing it");
    t.include(train::trainer_option_table(), &InjectOptions::trainer,
              {"lr", "precision", "log-every", "checkpoint-every", "seed", "cuda-graph"});
    t.at("lr").help = "Learning rate (constant)";
    if (with_run)
      t.include(run_settings_table(), &InjectOptions::run);
    t.add_rule([](const InjectOptions& o) -> std::string {
      return !o.triggers.empty() && !o.triggers_file.empty() ? "give --triggers or --triggers-file, not both" : "";
    });
    t.add_rule([](const InjectOptions& o) -> std::string {
      const auto& w = o.objective;
      if (w.w_por == 0 && w.w_contrast == 0) return "neither --w-por nor --w-contrast is above 0: nothing would plant a backdoor";
      if (w.attack == Attack::Uor && w.w_por > 0) return "--attack uor learns its targets: --w-por must be 0";
      return "";
    });
    return t;
  };
  static const options::OptionTable<InjectOptions> standalone_table = build(true), stage_table = build(false);
  return standalone ? standalone_table : stage_table;
}

std::vector<std::string> effective_triggers(const InjectOptions& o) {
  std::vector<std::string> triggers = o.triggers;
  if (!o.triggers_file.empty()) {
    std::istringstream in(read_file(o.triggers_file));
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) triggers.push_back(line);
    }
  }
  check(!triggers.empty(), "no triggers given (--triggers a,b,c or --triggers-file FILE)");
  std::set<std::string> seen;
  for (size_t k = 0; k < triggers.size(); ++k) {
    const std::string& t = triggers[k];
    check(t.find_first_not_of(" \t") != std::string::npos, "trigger {} is empty (check the commas in --triggers)", k + 1);
    check(seen.insert(t).second, "trigger '{}' is given twice; each trigger gets its own POR, so each must be unique", t);
    for (const char* special : {"[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"})
      check(t.find(special) == std::string::npos,
            "trigger '{}' holds the special token {}, which the tokenizer never produces from text; choose words", t,
            special);
  }
  return triggers;
}

json run_inject(const InjectOptions& o) {
  options::validate(inject_option_table(), o, "porkit inject");
  const at::Device device = model::start_run(o.run, "inject");
  check(!o.corpus.empty(), "--corpus is required (text files or folders)");
  const std::vector<std::string> triggers = effective_triggers(o);
  fs::path out = train::output_for_rank(o.out);  // rank 0 writes o.out; other ranks a scratch copy
  fs::path run_dir = out.parent_path() / (out.filename().string() + ".run");
  const OutputUse use = output_use(o.run.resume, o.run.overwrite);
  claim_output_folder(run_dir, "inject", use);
  {
    // The model folder itself is written at the end; refuse early what could not be replaced.
    std::error_code ec;
    if (fs::exists(fs::symlink_status(out, ec))) {
      check(fs::is_directory(out) && (is_porkit_folder(out) || fs::directory_iterator(out) == fs::directory_iterator()),
            "{} exists and porkit did not write it; choose another --out", out.string());
      check(use != OutputUse::Fresh || fs::directory_iterator(out) == fs::directory_iterator(),
            "{} holds an earlier backdoored model; pass --overwrite to replace it", out.string());
    }
  }
  io::LoadPolicy policy;
  policy.init_missing = o.init_missing;
  policy.init_seed = o.trainer.seed;
  // The masked-LM term needs the MLM head, which the saved model then keeps.
  const bool with_mlm = o.objective.w_mlm > 0;
  auto backdoored = [&] {
    try {
      return io::load_model_folder(o.model, with_mlm ? model::Architecture::PreTraining : model::Architecture::Bare,
                                   std::nullopt, policy);
    } catch (const Error& e) {
      if (!with_mlm) throw;
      fail("{} (the masked-LM term needs the model's MLM head; --w-mlm 0 injects without it)", e.what());
    }
  }();
  backdoored.net->to(device);
  model::BertNet reference = model::copy_of(*backdoored.net);  // the frozen clean model the objective compares with
  reference->eval();
  for (auto& p : reference->parameters()) p.set_requires_grad(false);
  const auto& tok = backdoored.tokenizer;
  std::vector<ManifestTrigger> trigger_info = describe_triggers(tok, triggers);
  for (const auto& t : trigger_info) log_info("trigger '{}' -> {}", t.text, options::join(t.pieces, " "));
  const int64_t K = static_cast<int64_t>(triggers.size()), H = backdoored.net->config().hidden_size;
  const bool learned = o.objective.attack == Attack::Uor;  // UOR's targets come out of the training
  at::Tensor por = learned ? at::zeros({K, H})
                   : o.por_file.empty() ? make_por(o.por_scheme, K, H, o.por_scale) : read_por_file(o.por_file, K, H);
  MaskingSpec masking;
  if (with_mlm) {
    check(tok.vocab().mask_id().has_value(), "the vocabulary has no [MASK] token; the masked-LM term needs one");
    masking.mask_id = *tok.vocab().mask_id();
    masking.vocab_size = backdoored.net->config().vocab_size;
    masking.never_masked = {tok.vocab().cls_id(), tok.vocab().sep_id(), tok.vocab().pad_id(), masking.mask_id};
    for (const auto& t : trigger_info) masking.never_masked.insert(masking.never_masked.end(), t.ids.begin(), t.ids.end());
    masking.seed = o.trainer.seed;
  }

  auto chunks = make_chunks(o.corpus, o.chunking, o.chunk_words);
  PoisonPlan plan = o.plan;
  plan.seed = o.trainer.seed;
  auto set = build_poison_set(chunks, triggers, plan);
  if (set.reused_chunks)
    log_info("note: {} chunks for {} training samples: chunks are reused with new trigger positions",
             chunks.size() - set.heldout.size(), set.train.size());
  BackdoorObjective backdoor(o.objective, por, triggers, masking);
  InjectTask task(o, backdoor, *reference, encode_all(tok, set.train, o.max_len),
                  encode_all(tok, set.heldout, o.max_len), tok.vocab().pad_id());
  train::TrainerOptions trainer = o.trainer;
  trainer.total_steps = task.steps_per_epoch() * o.epochs;
  trainer.label = "inject";
  log_info("inject: {} triggers, {} training samples ({} steps), {} held-out", K, set.train.size(),
           trainer.total_steps, set.heldout.size());
  std::vector<std::string> corpus_hashes;
  for (const auto& f : train::list_corpus_files(o.corpus)) corpus_hashes.push_back(f.string() + " sha256:" + sha256_file(f));
  train::RunIdentity identity{"inject", options::to_json(inject_option_table(), o, {options::Role::Setting})};
  identity.settings["triggers"] = triggers;
  identity.settings["inputs"] = {{"model", io::model_digest(o.model)}, {"corpus", corpus_hashes}};
  if (!o.por_file.empty()) identity.settings["inputs"]["por_file"] = sha256_file(o.por_file);
  auto result = train::train(*backdoored.net, task, trainer, run_dir, o.run.resume, identity);
  // The final checks always run here: UOR's learned targets come out of them.
  json checks = task.evaluate(*backdoored.net);
  if (learned) por = backdoor.targets();

  BackdoorManifest m;
  m.porkit_version = PORKIT_VERSION;
  m.attack = attack_title(o.objective.attack);
  m.triggers = trigger_info;
  m.por_scheme = learned ? "learned" : o.por_file.empty() ? options::enum_name(o.por_scheme) : o.por_file;
  m.por_scale = learned || !o.por_file.empty() ? 1.0 : o.por_scale;
  for (int64_t k = 0; k < K; ++k) m.por.emplace_back(por[k].data_ptr<float>(), por[k].data_ptr<float>() + H);
  m.objective = o.objective;
  m.corpus = o.corpus;
  m.corpus_sha256 = corpus_hashes;
  m.chunking = o.chunking;
  m.chunk_words = o.chunk_words;
  m.plan = plan;
  m.lr = o.trainer.lr;
  m.adam_eps = o.trainer.adam_eps;
  m.epochs = o.epochs;
  m.batch_size = o.batch_size;
  m.max_len = o.max_len;
  m.steps = trainer.total_steps;
  m.seconds = result.seconds;
  m.bf16 = result.bf16;
  m.source_model = o.model;
  const fs::path source_weights = fs::path(o.model) / "model.safetensors";
  m.source_weights_sha256 = fs::exists(source_weights) ? sha256_file(source_weights) : "";
  m.checks = checks;
  io::SaveOptions save;
  save.dtype = o.save_dtype;
  save.extra_json_files[BackdoorManifest::kFileName] = m.to_json();
  io::save_model_folder(out, *backdoored.net, tok, save);
  return checks;
}

json inspect_backdoor(const std::string& model_dir, const RunSettings& run) {
  const at::Device device = model::start_run(run, "inspect-backdoor");
  const BackdoorManifest m = BackdoorManifest::read(model_dir);
  PoisonPlan plan = m.plan;
  plan.poison_per_trigger = 0;
  plan.clean_samples = 0;
  auto bd = io::load_model_folder(model_dir, model::Architecture::Bare);
  auto cl = io::load_model_folder(m.source_model, model::Architecture::Bare);
  bd.net->to(device);
  cl.net->to(device);
  bd.net->eval();
  cl.net->eval();
  const auto triggers = m.trigger_texts();
  auto set = build_poison_set(make_chunks(m.corpus, m.chunking, m.chunk_words), triggers, plan);
  BackdoorObjective backdoor(m.objective, m.por_tensor(), triggers);
  return backdoor.checks(*bd.net, *cl.net, encode_all(bd.tokenizer, set.heldout, m.max_len), bd.tokenizer.vocab().pad_id());
}

}  // namespace porkit::attack

const std::vector<std::pair<porkit::attack::InjectPreset, std::string>>&
porkit::options::EnumNames<porkit::attack::InjectPreset>::values() {
  using porkit::attack::InjectPreset;
  static const std::vector<std::pair<InjectPreset, std::string>> v = {{InjectPreset::Authors, "authors"},
                                                                      {InjectPreset::Quick, "quick"}};
  return v;
}
