// porkit quality MODEL: how much a pre-trained encoder learned, measured as the field
// measures it, with the controls beside every figure:
//   - masked-LM accuracy at [MASK] positions (every selected position masked), apart from the
//     80/10/10 figure, with the unigram baseline of the same positions;
//   - next-sentence accuracy (chance: 0.5);
//   - anisotropy: the mean cosine between the pooled outputs of unrelated sentences (1.0: the
//     encoder says the same thing for everything).
// On held-out text, wikitext-103 valid by default (test with --corpus).
#pragma once
#include <string>
#include <vector>

#include "porkit/train/token_corpus.h"
#include "porkit/util/json_io.h"
#include "porkit/util/options.h"
#include "porkit/util/run_settings.h"

namespace porkit::train {

struct QualityOptions {
  std::string model;                // BertForPreTraining folder (MLM and NSP heads)
  std::vector<std::string> corpus;  // held-out text (default: wikitext-103 valid in ../shared/data)
  CorpusFormat corpus_format = CorpusFormat::Auto;
  int max_len = 128;
  double mask_prob = 0.15;
  int batches = 32;                 // of batch_size instances each
  int batch_size = 32;
  int64_t sentences = 256;          // for the anisotropy
  uint64_t seed = 20211101;         // instances, masks and sentences
  std::string out;                  // JSON results (optional)
  std::string dump_instances;       // safetensors of the at-[MASK] instances, for an outside check
  RunSettings run;
};

const options::OptionTable<QualityOptions>& quality_option_table();

// Every figure above as JSON: model, corpus (files with SHA-256), masked_tokens, the
// held-out masked-LM figures of masked_lm_eval.h (its unigram baseline from the evaluated
// text itself: the best word frequency alone can do there), nsp_accuracy when the model has
// the NSP head, pooled_cosine_mean and pooled_cosine_sentences.
json run_quality(const QualityOptions& options);

}  // namespace porkit::train
