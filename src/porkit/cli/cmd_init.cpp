// porkit init --config FILE|--size NAME --out DIR: a randomly initialised, seeded model folder,
// or with --grow-from DIR a smaller trained model grown into that shape (model/grow.h).
#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/io/model_folder.h"
#include "porkit/model/grow.h"
#include "porkit/util/error.h"
#include "porkit/util/log.h"
#include "porkit/util/output_folder.h"

namespace porkit::cli {
namespace {

struct InitOptions {
  std::string config;
  std::optional<model::SizePreset> size;
  std::string vocab = "../shared/data/vocab/bert-base-uncased";
  std::string out;
  model::Architecture architecture = model::Architecture::PreTraining;
  uint64_t seed = 0;
  io::WeightsDType dtype = io::WeightsDType::F32;
  std::string grow_from;
  double grow_noise = 0.0;
  bool overwrite = false;
};

const options::OptionTable<InitOptions>& init_option_table() {
  using options::Role;
  static const options::OptionTable<InitOptions> table = [] {
    options::OptionTable<InitOptions> t;
    t.add("config", &InitOptions::config, "A BERT config.json").as(Role::Input);
    t.add("size", &InitOptions::size, "A preset size");
    t.add("vocab", &InitOptions::vocab, "Folder with vocab.txt (and tokenizer_config.json)").as(Role::Input);
    t.add("out", &InitOptions::out, "Output folder (new or empty)").as(Role::Output).needed();
    t.add("architecture", &InitOptions::architecture, "The Hugging Face architecture of the folder");
    t.add("seed", &InitOptions::seed, "Random seed of the initialisation");
    t.add("dtype", &InitOptions::dtype, "Floating dtype of the weights");
    t.add("grow-from", &InitOptions::grow_from,
          "A trained smaller model to grow into this shape (units copied, layers stacked) instead of random weights; "
          "its vocabulary is used").as(Role::Input);
    t.add("grow-noise", &InitOptions::grow_noise, "With --grow-from: std of noise added to every weight matrix");
    t.add("overwrite", &InitOptions::overwrite, "Replace an earlier porkit model in --out").as(Role::Runtime);
    t.add_rule([](const InitOptions& o) -> std::string {
      return !o.config.empty() != o.size.has_value() ? "" : "give exactly one of --config FILE or --size NAME";
    });
    t.add_rule([](const InitOptions& o) -> std::string {
      if (o.grow_noise < 0) return "--grow-noise must be 0 or more";
      return o.grow_noise == 0 || !o.grow_from.empty() ? "" : "--grow-noise needs --grow-from";
    });
    return t;
  }();
  return table;
}

void run_init(const InitOptions& o) {
  model::BertConfig config = o.size ? model::BertConfig::preset(*o.size) : model::BertConfig::load(o.config);
  std::optional<io::LoadedModel> grown_from;
  if (!o.grow_from.empty()) grown_from = io::load_model_folder(o.grow_from);
  auto tokenizer = grown_from ? grown_from->tokenizer : text::BertTokenizer::from_folder(o.vocab);
  if (!o.size) {
    check(tokenizer.vocab().size() <= config.vocab_size,
          "the vocabulary has {} tokens but the config's vocab_size is {}; ids would index past the embedding",
          tokenizer.vocab().size(), config.vocab_size);
  } else {
    config.vocab_size = tokenizer.vocab().size();
  }
  // The tokenizer truncates to what the position embeddings hold.
  tokenizer = text::BertTokenizer(tokenizer.vocab(), [&] {
    auto t = tokenizer.options();
    t.model_max_length = static_cast<int>(config.max_position_embeddings);
    return t;
  }());
  if ((o.architecture == model::Architecture::SequenceClassification ||
       o.architecture == model::Architecture::TokenClassification) &&
      config.id2label.empty()) {
    config.id2label = {{0, "LABEL_0"}, {1, "LABEL_1"}};
  }
  if (grown_from) model::check_growable(grown_from->net->config(), config);
  claim_output_folder(o.out, "init", output_use(false, o.overwrite));
  at::manual_seed(o.seed);
  model::BertNet net(config, o.architecture);
  io::SaveOptions save;
  save.dtype = o.dtype;
  if (grown_from) {
    // Growing writes every parameter, so nothing is drawn at random but the optional noise.
    model::GrowOptions grow;
    grow.noise_std = o.grow_noise;
    grow.seed = o.seed;
    model::grow_bert_weights(*grown_from->net, *net, grow);
    save.extra_json_files["porkit_grow.json"] = {
        {"grown_from", o.grow_from},
        {"grown_from_digest", io::model_digest(o.grow_from)},
        {"width", "Net2Net: units copied, weights reading them divided by the copy count"},
        {"depth", "stacking: layer i is the smaller model's layer i mod its layer count"},
        {"noise_std", o.grow_noise},
        {"seed", o.seed}};
  } else {
    model::init_bert_weights(*net, config);
  }
  io::save_model_folder(o.out, *net, tokenizer, save);
  log_info("wrote {} ({}, {})", o.out, model::architecture_name(o.architecture),
           grown_from ? "grown from " + o.grow_from : "seed " + std::to_string(o.seed));
}

}  // namespace

void register_init(CLI::App& app) {
  add_options_command<InitOptions>(app, "init",
                                   "Write a randomly initialised (seeded) model folder, or grow a smaller trained one",
                                   init_option_table(), InitOptions{}, [](const InitOptions& o) { run_init(o); },
                                   /*recipe=*/false);
}

}  // namespace porkit::cli
