// porkit init --config FILE|--size NAME --out DIR: a randomly initialised, seeded model folder.
#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/io/model_folder.h"
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
    t.add("overwrite", &InitOptions::overwrite, "Replace an earlier porkit model in --out").as(Role::Runtime);
    t.add_rule([](const InitOptions& o) -> std::string {
      return !o.config.empty() != o.size.has_value() ? "" : "give exactly one of --config FILE or --size NAME";
    });
    return t;
  }();
  return table;
}

void run_init(const InitOptions& o) {
  model::BertConfig config = o.size ? model::BertConfig::preset(*o.size) : model::BertConfig::load(o.config);
  auto tokenizer = text::BertTokenizer::from_folder(o.vocab);
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
  claim_output_folder(o.out, "init", output_use(false, o.overwrite));
  at::manual_seed(o.seed);
  model::BertNet net(config, o.architecture);
  model::init_bert_weights(*net, config);
  io::SaveOptions save;
  save.dtype = o.dtype;
  io::save_model_folder(o.out, *net, tokenizer, save);
  log_info("wrote {} ({}, seed {})", o.out, model::architecture_name(o.architecture), o.seed);
}

}  // namespace

void register_init(CLI::App& app) {
  add_options_command<InitOptions>(app, "init", "Write a randomly initialised (seeded) model folder",
                                   init_option_table(), InitOptions{}, [](const InitOptions& o) { run_init(o); },
                                   /*recipe=*/false);
}

}  // namespace porkit::cli
