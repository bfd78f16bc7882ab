// porkit pretrain: BERT pre-training (masked LM + next-sentence prediction) of a new model
// or continued pre-training of an existing folder.
#pragma once
#include <string>
#include <vector>

#include "porkit/train/trainer.h"

namespace porkit::train {

struct PretrainOptions {
  std::string init_model;            // continue from this folder, or
  std::string size;                  // a new model of this preset size, or
  std::string config;                // a new model from this config.json
  std::string vocab = "../shared/data/vocab/bert-base-uncased";  // for new models
  std::vector<std::string> corpus;
  std::vector<std::string> eval_corpus;  // held out; empty: eval_fraction of the documents
  double eval_fraction = 0.01;
  std::string corpus_format = "auto";
  std::string out;                   // run folder; the model is written to out/model
  std::string cache_dir;             // tokenised-corpus cache (empty: out/cache)
  int batch_size = 64;
  int max_len = 128;
  bool nsp = true;
  bool whole_word_mask = false;
  double mask_prob = 0.15;
  int eval_batches = 16;
  std::string save_dtype = "F16";
  bool resume = false;
  int threads = 0;
  TrainerOptions trainer;
};

// Runs the whole job: corpus -> model -> training -> out/model (HF BertForPreTraining folder
// with porkit_pretrain.json: recipe, tokens seen, wall time, held-out metrics).
void run_pretrain(const PretrainOptions& options);

}  // namespace porkit::train
