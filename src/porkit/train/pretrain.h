// porkit pretrain: BERT pre-training (masked LM + next-sentence prediction) of a new model
// or continued pre-training of an existing folder.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "porkit/io/model_folder.h"
#include "porkit/model/bert_config.h"
#include "porkit/train/corpus.h"
#include "porkit/train/trainer.h"
#include "porkit/util/run_settings.h"

namespace porkit::train {

// Which weights continued pre-training updates: every one, or only each layer's FFN input
// matrix (intermediate.dense.weight), as RECIPE's purification does (porkit defend purify).
enum class Trainable { All, FfnInput };

struct PretrainOptions {
  std::string init_model;                  // continue from this folder, or
  std::optional<model::SizePreset> size;   // a new model of this preset size, or
  std::string config;                      // a new model from this config.json
  std::string vocab = "../shared/data/vocab/bert-base-uncased";  // for new models
  std::vector<std::string> corpus;
  std::vector<std::string> eval_corpus;    // held out; empty: eval_fraction of the documents
  double eval_fraction = 0.01;
  CorpusFormat corpus_format = CorpusFormat::Auto;
  std::string out;                         // run folder; the model is written to out/model
  std::string cache_dir;                   // tokenised-corpus cache (empty: out/cache)
  int batch_size = 64;
  int max_len = 128;
  bool nsp = true;
  bool whole_word_mask = false;
  double mask_prob = 0.15;
  int eval_batches = 16;
  io::WeightsDType save_dtype = io::WeightsDType::F16;
  int64_t shard_mb = 0;             // > 0: save in shards of at most this many MiB
  bool init_missing = false;               // --model lacks the pre-training heads: initialise them
  // Set by porkit defend purify, not pretrain flags (they join the run's identity when set):
  Trainable trainable = Trainable::All;
  double ffn_norm_penalty = 0;   // > 0: + this x the sum of the FFN input matrices' Frobenius norms
  // Changes the loaded model (on its device) before training, e.g. fine-prune's pruning; what
  // it returns describes the change and joins the run's identity. It must be deterministic:
  // --resume runs it again and checks that it says the same.
  std::function<json(model::BertNetImpl&, const text::BertTokenizer&)> prepare;
  RunSettings run;
  TrainerOptions trainer;
};

// Every option of porkit pretrain (flags and recipe keys).
const options::OptionTable<PretrainOptions>& pretrain_option_table();

// Runs the whole job: corpus -> model -> training -> out/model (HF BertForPreTraining folder
// with porkit_pretrain.json: recipe, tokens seen, wall time, held-out metrics). Validates the
// options first.
void run_pretrain(const PretrainOptions& options);

}  // namespace porkit::train
