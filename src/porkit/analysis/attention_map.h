// porkit analyze attention: how the backdoored encoder reads a trigger (Fig. 7-8 of Shen et
// al.). For one text: head-averaged attention of every layer in the backdoored and the clean
// model, and [CLS]'s attention share on each trigger piece per layer. Then the pieces' roles
// by ablation over sample texts: each piece removed, or replaced by [MASK], and the
// backdoored pooled output compared with the trigger's POR:
//   star    needed, and the piece [CLS] attends to most in the upper half of the layers
//   planet  needed, not the star
//   comet   not needed (the trigger still activates without it)
// A piece is needed when the activation rate (share of texts with POR cosine >= 0.9)
// without it falls below half of the full trigger's. Given a classifier fine-tuned from the
// backdoored model, each variant's E and flip rate are measured too (texts not already
// predicted as the full trigger's target get 1..J insertions of the variant's pieces).
#pragma once
#include <string>
#include <vector>

#include "porkit/analysis/analysis_inputs.h"
#include "porkit/data/presets.h"
#include "porkit/util/run_settings.h"
#include "porkit/util/json_io.h"

namespace porkit::analysis {

struct AttentionOptions {
  std::string backdoored;  // folder with porkit_backdoor.json
  std::string clean;       // empty: the manifest's source model
  std::string text = "I love the cf movie";
  std::string trigger;     // empty: the first manifest trigger found in the text
  int layer = 0;           // 1-based layer of the token-to-token map; 0: second to last
  TextSource texts;        // the ablation texts
  int64_t ablation_texts = 200;
  std::string finetuned;   // optional BertForSequenceClassification: E of each variant
  int max_insertions = 19; // J for that E
  int max_len = 128;
  uint64_t seed = 0;
  std::string out;         // folder: attention.json (and the report's PNG images)
  RunSettings run;
};

const options::OptionTable<AttentionOptions>& attention_option_table();

json run_attention(const AttentionOptions& options);

}  // namespace porkit::analysis
