#include "porkit/defend/purify.h"

#include <cmath>
#include <map>

#include "porkit/attack/backdoor_manifest.h"
#include "porkit/defend/fine_prune.h"
#include "porkit/io/model_folder.h"
#include "porkit/model/bert.h"
#include "porkit/model/device.h"
#include "porkit/train/pretrain.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/log.h"
#include "porkit/util/output_folder.h"

namespace porkit::defend {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// What purification did to each parameter: the names that changed, with the relative size
// of the change |after - before| / |before|, how many stayed bit-identical, and the summed
// Frobenius norm of the FFN input matrices (RECIPE's target) before and after. Each folder
// is loaded once.
struct ParameterChanges {
  std::map<std::string, double> changed;
  int64_t unchanged = 0;
  double ffn_input_norm_before = 0, ffn_input_norm_after = 0;
};

ParameterChanges parameter_changes(const std::string& before_folder, const std::string& after_folder) {
  auto before = io::load_model_folder(before_folder);
  auto after = io::load_model_folder(after_folder);
  auto after_params = after.net->named_parameters(true);
  ParameterChanges c;
  for (const auto& p : before.net->named_parameters(true)) {
    const at::Tensor* a = after_params.find(p.key());
    check(a != nullptr, "{} lacks parameter {} after purification", after_folder, p.key());
    const at::Tensor b = p.value().to(at::kFloat), x = a->to(at::kFloat);
    if (ends_with(p.key(), "intermediate.dense.weight")) {
      c.ffn_input_norm_before += b.norm().item<double>();
      c.ffn_input_norm_after += x.norm().item<double>();
    }
    if (at::equal(b, x)) {
      ++c.unchanged;
      continue;
    }
    c.changed[p.key()] = (x - b).norm().item<double>() / std::max(b.norm().item<double>(), 1e-12);
  }
  return c;
}

// Masked-LM training of the suspect encoder on plain text with RECIPE's schedule (samples x
// epochs / batch steps): what recipe and fine-prune share. A bare encoder (as inject writes)
// gets a fresh masked-LM head.
train::PretrainOptions masked_lm_training(const PurifyOptions& o, const fs::path& out) {
  train::PretrainOptions p;
  p.init_model = o.model;
  p.init_missing = true;  // pretrain logs each tensor it draws
  p.corpus = o.corpus;
  p.out = out.string();
  p.batch_size = o.batch_size;
  p.max_len = o.max_len;
  p.nsp = false;
  p.eval_batches = 4;
  p.save_dtype = io::WeightsDType::F32;  // so that untouched weights stay bit-identical
  p.run = o.run;
  p.trainer.total_steps = std::max<int64_t>(1, (o.samples * o.epochs + o.batch_size - 1) / o.batch_size);
  p.trainer.lr = o.lr;
  p.trainer.warmup_fraction = 0.06;
  p.trainer.seed = o.seed;
  p.trainer.log_every = 50;
  p.trainer.checkpoint_every = 500;
  return p;
}

void run_masked_lm_training(const train::PretrainOptions& p, const fs::path& out, PurifyManifest& manifest) {
  manifest.steps = p.trainer.total_steps;
  train::run_pretrain(p);
  manifest.held_out_masked_lm = read_json_file(out / "model" / "porkit_pretrain.json").at("held_out");
}

void recipe(const PurifyOptions& o, const fs::path& out, PurifyManifest& manifest) {
  train::PretrainOptions p = masked_lm_training(o, out);
  p.trainable = train::Trainable::FfnInput;
  p.ffn_norm_penalty = o.norm_penalty;
  p.trainer.weight_decay = 0.0;  // the norm penalty is the regulariser
  run_masked_lm_training(p, out, manifest);
}

// The first `count` sentences of the corpus, in file order: the clean text whose activations
// rank the neurons.
std::vector<std::string> clean_sentences(const std::vector<std::string>& corpus, int64_t count) {
  std::vector<std::string> out;
  for (const auto& file : train::list_corpus_files(corpus)) {
    for (const auto& doc : train::read_corpus_file(file, train::CorpusFormat::Auto))
      for (const auto& s : doc.sentences) {
        if (static_cast<int64_t>(out.size()) == count) return out;
        out.push_back(s);
      }
  }
  check(!out.empty(), "the corpus has no sentences to rank the FFN neurons with");
  return out;
}

void fine_prune(const PurifyOptions& o, const fs::path& out, PurifyManifest& manifest) {
  const std::vector<std::string> texts = clean_sentences(o.corpus, o.prune_texts);
  train::PretrainOptions p = masked_lm_training(o, out);
  // The pruning is part of the run's identity (pretrain joins what prepare returns to it).
  p.prepare = [&](model::BertNetImpl& net, const text::BertTokenizer& tokenizer) {
    manifest.pruned = prune_dormant(net, tokenizer, texts, o.layers, o.prune_fraction, o.max_len, 64);
    return manifest.pruned->to_json();
  };
  run_masked_lm_training(p, out, manifest);
}

void reinit_top(const PurifyOptions& o, const fs::path& out) {
  auto loaded = io::load_model_folder(o.model);
  const model::BertConfig& config = loaded.net->config();
  const int64_t layers = config.num_hidden_layers;
  check(o.layers <= layers, "--layers {}: the model has {} encoder layers", o.layers, layers);
  at::manual_seed(o.seed);
  auto& encoder_layers = loaded.net->bert->encoder->layer;
  for (int64_t i = layers - o.layers; i < layers; ++i) model::init_bert_weights(*encoder_layers->ptr(i), config);
  model::init_bert_weights(*loaded.net->bert->pooler, config);
  fs::create_directories(out);
  io::SaveOptions save;
  save.dtype = io::WeightsDType::F32;
  io::save_model_folder(out / "model", *loaded.net, loaded.tokenizer, save);
}

}  // namespace

const options::OptionTable<PurifyOptions>& purify_option_table() {
  using options::Role;
  static const options::OptionTable<PurifyOptions> table = [] {
    options::OptionTable<PurifyOptions> t;
    t.add("model", &PurifyOptions::model, "Encoder folder to purify (Hugging Face BERT)").as(Role::Input).needed();
    t.add("out", &PurifyOptions::out, "Run folder; the purified model goes to OUT/model").as(Role::Output).needed();
    t.add("method", &PurifyOptions::method, "recipe (masked LM on the FFN input weights with a norm penalty), "
                                            "reinit-top (top layers and pooler drawn afresh) or fine-prune (dormant "
                                            "FFN neurons pruned, then masked LM)");
    t.add("corpus", &PurifyOptions::corpus, "recipe, fine-prune: plain text files or folders").as(Role::Input);
    t.add("samples", &PurifyOptions::samples, "recipe, fine-prune: training sequences per epoch").range(1, 1e9);
    t.add("epochs", &PurifyOptions::epochs, "recipe, fine-prune: epochs").range(1, 1000);
    t.add("batch-size", &PurifyOptions::batch_size, "recipe, fine-prune: sequences per step").range(1, 65536);
    t.add("max-len", &PurifyOptions::max_len, "recipe, fine-prune: tokens per sequence").range(8, 8192);
    t.add("lr", &PurifyOptions::lr, "recipe, fine-prune: AdamW learning rate").above(0).at_most(1);
    t.add("norm-penalty", &PurifyOptions::norm_penalty, "recipe: weight of the FFN input weights' summed Frobenius norms")
        .at_least(0);
    t.add("layers", &PurifyOptions::layers, "reinit-top, fine-prune: encoder layers re-initialised or pruned, from the top")
        .range(1, 1000);
    t.add("prune-fraction", &PurifyOptions::prune_fraction, "fine-prune: share of each layer's FFN neurons pruned")
        .above(0).at_most(0.99);
    t.add("prune-texts", &PurifyOptions::prune_texts, "fine-prune: clean sentences whose activations rank the neurons")
        .range(1, 1e8);
    t.add("seed", &PurifyOptions::seed, "Seed of the masking (recipe, fine-prune) or the new weights (reinit-top)");
    t.include(run_settings_table(), &PurifyOptions::run);
    t.add_rule([](const PurifyOptions& o) -> std::string {
      return o.method != PurifyMethod::ReinitTop && o.corpus.empty()
                 ? "--method " + options::enum_name(o.method) + " needs --corpus (plain text)"
                 : "";
    });
    return t;
  }();
  return table;
}

PurifyManifest run_purify(const PurifyOptions& o) {
  options::validate(purify_option_table(), o, "porkit defend purify");
  const fs::path out = o.out;
  PurifyManifest manifest;
  manifest.method = options::enum_name(o.method);
  manifest.source_model = fs::absolute(o.model).string();
  manifest.source_digest = io::model_digest(o.model);
  manifest.settings = options::to_json(purify_option_table(), o, {options::Role::Setting});
  manifest.porkit_version = PORKIT_VERSION;
  if (o.method == PurifyMethod::Recipe) {
    recipe(o, out, manifest);
  } else if (o.method == PurifyMethod::FinePrune) {
    fine_prune(o, out, manifest);
  } else {
    model::start_run(o.run, "defend purify");
    claim_output_folder(out, "defend purify", output_use(false, o.run.overwrite));
    reinit_top(o, out);
  }
  const ParameterChanges changes = parameter_changes(o.model, (out / "model").string());
  if (o.method == PurifyMethod::Recipe) {
    manifest.ffn_input_norm_before = changes.ffn_input_norm_before;
    manifest.ffn_input_norm_after = changes.ffn_input_norm_after;
  }
  manifest.changed = changes.changed;
  manifest.unchanged = changes.unchanged;
  const fs::path backdoor = fs::path(o.model) / attack::BackdoorManifest::kFileName;
  if (fs::exists(backdoor)) fs::copy_file(backdoor, out / "model" / attack::BackdoorManifest::kFileName,
                                          fs::copy_options::overwrite_existing);
  write_json_file(out / "model" / PurifyManifest::kFileName, manifest.to_json());
  log_info("defend purify: {} -> {} ({} parameters changed, {} unchanged)", o.model, (out / "model").string(),
           manifest.changed.size(), manifest.unchanged);
  return manifest;
}

}  // namespace porkit::defend

const std::vector<std::pair<porkit::defend::PurifyMethod, std::string>>&
porkit::options::EnumNames<porkit::defend::PurifyMethod>::values() {
  using porkit::defend::PurifyMethod;
  static const std::vector<std::pair<PurifyMethod, std::string>> v = {{PurifyMethod::Recipe, "recipe"},
                                                                      {PurifyMethod::ReinitTop, "reinit-top"},
                                                                      {PurifyMethod::FinePrune, "fine-prune"}};
  return v;
}
