// porkit inject: the POR backdoor of Shen et al. (CCS 2021). A frozen copy of the input
// model is the reference; the trained copy learns to map each trigger to its POR at the
// target output while keeping every other output close to the reference.
#pragma once
#include <string>
#include <vector>

#include "porkit/attack/poison_data.h"
#include "porkit/train/trainer.h"
#include "porkit/util/json_io.h"

namespace porkit::attack {

struct InjectOptions {
  std::string model;                      // clean input folder
  std::string out;                        // output folder (BertModel + porkit_backdoor.json)
  std::vector<std::string> triggers;      // any UTF-8 strings, numbered 1..K in order
  std::vector<std::string> corpus;        // text files or folders
  std::string por_scheme = "staircase";   // staircase, binary, neuba, or a file of vectors
  double por_scale = 10.0;
  std::string target = "pooler";          // pooler, cls, mean
  double w_tok = 1.0, w_por = 100.0, w_clean = 100.0;
  std::string chunking = "authors";       // authors (64-word alphanumeric chunks) or lines
  int chunk_words = 64;
  PoisonPlan plan;                        // N_p, N_c, r, position, held-out sizes
  int epochs = 2;
  int batch_size = 24;
  int max_len = 128;
  int threads = 0;
  bool resume = false;
  std::string save_dtype = "F32";
  train::TrainerOptions trainer;          // lr 1e-5, eps 1e-8, constant rate, no clipping
};

// The authors' release: N_p 30,000 per trigger, N_c 50,000, r 3, lr 1e-5, 2 epochs, batch 24.
InjectOptions authors_inject_preset();
// A test scale: a few minutes at most on a tiny model.
InjectOptions quick_inject_preset();

// Runs the injection; returns the final checks (per-trigger POR cosine and activation
// rate, clean cosine to the reference) also written into porkit_backdoor.json.
json run_inject(const InjectOptions& options);

// Recomputes the checks of a finished backdoored folder from its porkit_backdoor.json
// (the reference model and injection corpus it names must still exist).
json inspect_backdoor(const std::string& model_dir, int threads);

}  // namespace porkit::attack
