// porkit defend purify: take the backdoor out of a bare encoder before anyone fine-tunes it,
// with plain text only (no labels, no knowledge of the triggers).
//
//   recipe      continued masked-LM training in which only each layer's FFN input matrix
//               (intermediate.dense.weight) is trainable, with the sum of those matrices'
//               Frobenius norms added to the loss (after RECIPE, Zhao et al., TACL 2023:
//               backdoor neurons sit in the feed-forward layers, and shrinking their input
//               weights while the model keeps its masked-LM skill removes them). A bare
//               encoder (as `porkit inject` writes) gets a fresh masked-LM head, trained
//               alongside and kept in the output;
//   reinit-top  the top --layers encoder layers and the pooler drawn afresh from BERT's
//               initialiser (the victim's fine-tuning then has to learn them), everything else
//               untouched.
//   fine-prune  the --prune-fraction of FFN neurons of the top --layers layers that clean
//               text (--prune-texts sentences of the corpus) leaves most dormant are pruned,
//               then every weight is re-trained on masked LM with the recipe's schedule
//               (label-free fine-pruning; defend/fine_prune.h).
//
// The output is a run folder whose model/ is a normal Hugging Face folder, holding
// porkit_purify.json (the method, its settings, which parameters changed and by how much) and,
// when the input had one, its porkit_backdoor.json unchanged, so that `porkit attack` with
// `backdoored = OUT/model` measures the same triggers after the purification.
#pragma once
#include <string>
#include <vector>

#include "porkit/defend/purify_manifest.h"
#include "porkit/util/options.h"
#include "porkit/util/run_settings.h"

namespace porkit::defend {

enum class PurifyMethod { Recipe, ReinitTop, FinePrune };

struct PurifyOptions {
  std::string model;                 // the suspect encoder (Hugging Face BERT folder)
  std::string out;                   // run folder; the purified model goes to out/model
  PurifyMethod method = PurifyMethod::Recipe;
  // recipe and fine-prune's re-training: RECIPE's setting for POR (AdamW lr 2e-5, batch 32, length 64, 4 epochs over
  // 20,000 lines), as samples x epochs / batch optimiser steps of masked-LM training.
  std::vector<std::string> corpus;   // plain text (.txt, .tokens, .txt.xz)
  int64_t samples = 20000;
  int epochs = 4;
  int batch_size = 32;
  int max_len = 64;
  double lr = 2e-5;
  double norm_penalty = 1e-3;        // weight of the summed Frobenius norms in the loss
  // reinit-top and fine-prune: how many encoder layers, from the top
  int layers = 1;
  // fine-prune
  double prune_fraction = 0.3;       // of each pruned layer's FFN neurons
  int64_t prune_texts = 2000;        // clean sentences whose activations rank the neurons
  uint64_t seed = 0;
  RunSettings run;
};

const options::OptionTable<PurifyOptions>& purify_option_table();

// Runs the purification, writes OUT/model/porkit_purify.json and returns its record.
PurifyManifest run_purify(const PurifyOptions& options);

}  // namespace porkit::defend

template <>
struct porkit::options::EnumNames<porkit::defend::PurifyMethod> {
  static const std::vector<std::pair<porkit::defend::PurifyMethod, std::string>>& values();
};
