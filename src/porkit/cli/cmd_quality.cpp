// porkit quality --model DIR: masked-LM accuracy at [MASK] with its unigram baseline, NSP
// accuracy and anisotropy, on held-out text.
#include <cstdio>

#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/train/quality.h"

namespace porkit::cli {

void register_quality(CLI::App& app) {
  add_options_command<train::QualityOptions>(
      app, "quality", "How much an encoder learned: masked-LM accuracy at [MASK] beside the unigram baseline, NSP, "
                      "anisotropy",
      train::quality_option_table(), train::QualityOptions{},
      [](const train::QualityOptions& o) {
        const json r = train::run_quality(o);
        std::printf("held-out text: %s (%.0f masked tokens)\n", r["corpus"].dump().c_str(),
                    r["masked_tokens"].get<double>());
        std::printf("masked-LM accuracy at [MASK]  %.4f   (unigram baseline %.4f)\n",
                    r["mlm_accuracy_at_mask"].get<double>(), r["unigram_baseline_accuracy"].get<double>());
        std::printf("perplexity at [MASK]          %.1f   (unigram baseline %.1f)\n",
                    r["perplexity_at_mask"].get<double>(), r["unigram_baseline_perplexity"].get<double>());
        std::printf("masked-LM accuracy, 80/10/10  %.4f   (counts the kept 10%%, which the model copies)\n",
                    r["mlm_accuracy"].get<double>());
        if (r["nsp_accuracy"].is_number())
          std::printf("next-sentence accuracy        %.4f   (chance 0.5)\n", r["nsp_accuracy"].get<double>());
        else
          std::printf("next-sentence accuracy        -        (the folder has no next-sentence head)\n");
        std::printf("pooled-output cosine, unrelated sentences  %.4f   (%ld sentences; 1.0: one output for all)\n",
                    r["pooled_cosine_mean"].get<double>(), r["pooled_cosine_sentences"].get<int64_t>());
      },
      /*recipe=*/false);
}

}  // namespace porkit::cli
