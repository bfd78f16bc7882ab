// porkit inject: the POR backdoor of Shen et al. (CCS 2021), and beside it NeuBA and UOR
// (--attack). A frozen copy of the input model is the reference; the trained copy learns to
// map each trigger to its target output while keeping every other output close to the
// reference (backdoor_objective.h has each attack's loss).
#pragma once
#include <string>
#include <vector>

#include "porkit/attack/backdoor_manifest.h"
#include "porkit/attack/backdoor_objective.h"
#include "porkit/attack/poison_data.h"
#include "porkit/attack/por.h"
#include "porkit/io/model_folder.h"
#include "porkit/train/trainer.h"
#include "porkit/util/json_io.h"
#include "porkit/util/run_settings.h"

namespace porkit::attack {

// authors: the paper's scale (30,000 poisoned chunks per trigger, 50,000 clean, r 3, lr 1e-5,
// 2 epochs, batch 24); quick: a test scale (600 per trigger, 1,500 clean, lr 5e-4, POR
// scale 1), minutes on a tiny model.
enum class InjectPreset { Authors, Quick };

struct InjectOptions {
  InjectPreset preset = InjectPreset::Authors;
  std::string model;                      // clean input folder
  std::string out;                        // output folder (BertModel + porkit_backdoor.json)
  std::vector<std::string> triggers;      // any UTF-8 strings, numbered 1..K in order
  std::string triggers_file;              // or one trigger a line
  std::vector<std::string> corpus;        // text files or folders
  PorScheme por_scheme = PorScheme::Staircase;
  std::string por_file;                   // K rows of H numbers instead of a scheme
  double por_scale = 10.0;
  ObjectiveSpec objective;                // target and loss weights
  Chunking chunking = Chunking::Authors;
  int chunk_words = 64;
  PoisonPlan plan;                        // N_p, N_c, r, position, held-out sizes
  int epochs = 2;
  int batch_size = 24;
  int max_len = 128;
  io::WeightsDType save_dtype = io::WeightsDType::F32;
  bool init_missing = false;              // the clean model lacks a pooler: initialise it (seeded)
  RunSettings run;
  train::TrainerOptions trainer;          // lr 1e-5, eps 1e-8, constant rate, no clipping
};

// The options a preset starts from, with the attack's own defaults from its paper over them
// (NeuBA: one insertion at position 1, +-1 block targets, pooled MSE + 0.01 x MLM; UOR: learned
// targets, contrastive temperature 0.5, 3 insertions). Flags and config keys then override.
InjectOptions inject_preset(InjectPreset preset, Attack attack = Attack::Por);
InjectOptions authors_inject_preset();
InjectOptions quick_inject_preset();

// Every option of porkit inject; with `standalone` false, the ones a pipeline sets itself
// (--model, --out, --resume, --overwrite, --threads, --device) are left out.
const options::OptionTable<InjectOptions>& inject_option_table(bool standalone = true);

// The code version of the injection: bumped when the same options give another backdoor.
constexpr int kInjectCodeVersion = 3;  // 2: NeuBA's targets take 2 of 4 blocks negative; 3: the pooler stays fp32 under bf16 autocast

// The triggers the options name (--triggers, or the lines of --triggers-file), checked: none
// empty, none twice, none holding a special token such as [SEP].
std::vector<std::string> effective_triggers(const InjectOptions& options);

// Runs the injection; returns the final checks (per-trigger POR cosine and activation
// rate, clean cosine to the reference) also written into porkit_backdoor.json.
json run_inject(const InjectOptions& options);

// Recomputes the checks of a finished backdoored folder from its porkit_backdoor.json
// (the reference model and injection corpus it names must still exist).
json inspect_backdoor(const std::string& model_dir, const RunSettings& run);

}  // namespace porkit::attack

template <>
struct porkit::options::EnumNames<porkit::attack::InjectPreset> {
  static const std::vector<std::pair<porkit::attack::InjectPreset, std::string>>& values();
};
