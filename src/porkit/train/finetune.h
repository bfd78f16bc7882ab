// porkit finetune: the victim's full fine-tuning of a BERT folder (clean or backdoored)
// plus a fresh head, for sentence classification or token tagging (NER).
#pragma once
#include <string>

#include "porkit/data/presets.h"
#include "porkit/train/trainer.h"

namespace porkit::train {

struct FinetuneOptions {
  std::string model;               // input folder
  std::string out;                 // run folder; the fine-tuned model goes to out/model
  data::DataSpec data;
  std::string data_root;           // default: ../shared/data
  std::string task = "sequence";   // sequence or token
  int64_t train_samples = 10000;   // seeded sample of the training pool (<= 0: all)
  double val_fraction = 0.1;       // of the sample, held out for CACC
  int64_t test_samples = 0;        // also evaluate on this many test rows (0: all, -1: none)
  int epochs = 2;
  int batch_size = 24;
  int max_len = 128;
  int eval_batch_size = 64;
  bool bucket_by_length = false;   // batches of similar length (train/epoch_batches.h)
  std::string save_dtype = "F32";
  bool resume = false;
  int threads = 0;
  TrainerOptions trainer;          // lr 2e-5, warm-up 10%, linear decay by default
};

// The authors' victim recipe: 10,000 samples, 90/10 split, 2 epochs, lr 2e-5, batch 24.
FinetuneOptions authors_finetune_preset();

// Runs the job and returns the final metrics (validation and test accuracy or F1).
json run_finetune(const FinetuneOptions& options);

}  // namespace porkit::train
