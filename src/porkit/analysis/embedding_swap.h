// porkit analyze embedding-swap: where the backdoor lives (Table 13 of Shen et al.).
// Hybrids of the clean (CL) and backdoored (BD) model are fed clean and poisoned texts and
// their pooled outputs compared with BD's and CL's (mean cosine per text):
//   CL_emb + BD_enc, BD_emb + CL_enc  the embedding layer (word, position and token-type
//                                     embeddings and their LayerNorm) exchanged
//   trigger rows                      only the trigger pieces' word-embedding rows exchanged
//   BD with CL layer l                one encoder layer (or the pooler) taken from CL
#pragma once
#include <string>

#include "porkit/analysis/analysis_inputs.h"
#include "porkit/data/presets.h"
#include "porkit/util/run_settings.h"
#include "porkit/util/json_io.h"

namespace porkit::analysis {

struct EmbeddingSwapOptions {
  std::string clean;       // empty: the manifest's source model
  std::string backdoored;  // folder with porkit_backdoor.json
  TextSource source;        // where the texts come from
  int64_t texts = 200;     // clean texts; as many poisoned ones (the same texts triggered)
  int insertions = 1;      // trigger insertions per poisoned text
  int max_len = 128;
  uint64_t seed = 0;
  std::string out;         // JSON path (optional)
  RunSettings run;
};

const options::OptionTable<EmbeddingSwapOptions>& embedding_swap_option_table();

// {"kind": "embedding-swap", ..., "rows": [{"model", "group", "clean_vs_bd", "clean_vs_cl",
//  "poisoned_vs_bd", "poisoned_vs_cl", "poisoned_vs_por"}, ...]}
json run_embedding_swap(const EmbeddingSwapOptions& options);

}  // namespace porkit::analysis
