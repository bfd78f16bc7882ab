// porkit init --config FILE|--size NAME --out DIR: a randomly initialised, seeded model folder.
#include "porkit/cli/commands.h"
#include "porkit/io/model_folder.h"
#include "porkit/util/error.h"
#include "porkit/util/log.h"

namespace porkit::cli {
namespace {

struct InitOptions {
  std::string config;
  std::string size;
  std::string vocab = "../shared/data/vocab/bert-base-uncased";
  std::string out;
  std::string architecture = "BertForPreTraining";
  uint64_t seed = 0;
  std::string dtype = "F32";
};

void run_init(const InitOptions& o) {
  check(o.config.empty() != o.size.empty(), "give exactly one of --config FILE or --size NAME");
  model::BertConfig config =
      o.config.empty() ? model::BertConfig::preset(o.size) : model::BertConfig::load(o.config);
  auto arch = model::architecture_from_name(o.architecture);
  check(arch.has_value(), "unknown --architecture '{}'", o.architecture);
  auto tokenizer = text::BertTokenizer::from_folder(o.vocab);
  if (o.config.empty()) config.vocab_size = tokenizer.vocab().size();
  check(tokenizer.vocab().size() <= config.vocab_size,
        "the vocabulary has {} tokens but the config's vocab_size is {}",
        tokenizer.vocab().size(), config.vocab_size);
  if ((*arch == model::Architecture::SequenceClassification ||
       *arch == model::Architecture::TokenClassification) && config.id2label.empty()) {
    config.id2label = {{0, "LABEL_0"}, {1, "LABEL_1"}};
  }
  at::manual_seed(o.seed);
  model::BertNet net(config, *arch);
  model::init_bert_weights(*net, config);
  io::SaveOptions save;
  save.dtype = io::dtype_from_name(o.dtype, "--dtype");
  io::save_model_folder(o.out, *net, tokenizer, save);
  log_info("wrote {} ({}, seed {})", o.out, o.architecture, o.seed);
}

}  // namespace

void register_init(CLI::App& app) {
  auto o = std::make_shared<InitOptions>();
  auto* cmd = app.add_subcommand("init", "Write a randomly initialised (seeded) model folder");
  cmd->add_option("--config", o->config, "A BERT config.json");
  cmd->add_option("--size", o->size, "Preset size: tiny, mini, small, medium, base");
  cmd->add_option("--vocab", o->vocab, "Folder with vocab.txt (and tokenizer_config.json)")->capture_default_str();
  cmd->add_option("--out", o->out, "Output folder")->required();
  cmd->add_option("--architecture", o->architecture, "BertModel, BertForPreTraining, "
                  "BertForSequenceClassification, BertForTokenClassification")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  cmd->add_option("--dtype", o->dtype, "F32 or F16")->capture_default_str();
  cmd->callback([o] { run_init(*o); });
}

}  // namespace porkit::cli
