// porkit finetune: the victim's full fine-tuning of a BERT folder (clean or backdoored)
// plus a fresh head, for sentence classification or token tagging (NER).
#pragma once
#include <string>

#include "porkit/data/presets.h"
#include "porkit/io/model_folder.h"
#include "porkit/train/trainer.h"
#include "porkit/util/run_settings.h"

namespace porkit::train {

enum class TaskKind { Sequence, Token };
// authors: the paper's victim (10,000 samples, 90/10, 2 epochs, lr 2e-5, batch 24);
// full: the same on the whole training set.
enum class FinetunePreset { Authors, Full };

struct FinetuneOptions {
  FinetunePreset preset = FinetunePreset::Authors;
  std::string model;               // input folder
  std::string out;                 // run folder; the fine-tuned model goes to out/model
  data::DataSpec data;
  TaskKind task = TaskKind::Sequence;
  int64_t train_samples = 10000;   // seeded sample of the training pool (0: all)
  double val_fraction = 0.1;       // of the sample, held out for CACC
  int64_t test_samples = 0;        // also evaluate on this many test rows (0: all, -1: none)
  int epochs = 2;
  int batch_size = 24;
  int max_len = 128;
  int eval_batch_size = 64;
  bool bucket_by_length = false;   // batches of similar length (train/epoch_batches.h)
  bool init_missing = false;       // initialise a pooler the input lacks (seeded) instead of refusing
  io::WeightsDType save_dtype = io::WeightsDType::F32;
  RunSettings run;
  TrainerOptions trainer;          // lr 2e-5, warm-up 10%, linear decay by default
};

// The options a preset starts from (flags and config keys then override them).
FinetuneOptions finetune_preset(FinetunePreset preset);
FinetuneOptions authors_finetune_preset();

// Every option of porkit finetune; with `standalone` false, the ones a pipeline sets itself
// (--model, --out, --resume, --overwrite, --threads, --device) are left out.
const options::OptionTable<FinetuneOptions>& finetune_option_table(bool standalone = true);

// The code version of fine-tuning: bumped when the same options give a different model.
constexpr int kFinetuneCodeVersion = 2;  // 2: the pooler stays fp32 under bf16 autocast

// Runs the job and returns the final metrics (validation and test accuracy or F1).
json run_finetune(const FinetuneOptions& options);

}  // namespace porkit::train

template <>
struct porkit::options::EnumNames<porkit::train::TaskKind> {
  static const std::vector<std::pair<porkit::train::TaskKind, std::string>>& values();
};
template <>
struct porkit::options::EnumNames<porkit::train::FinetunePreset> {
  static const std::vector<std::pair<porkit::train::FinetunePreset, std::string>>& values();
};
