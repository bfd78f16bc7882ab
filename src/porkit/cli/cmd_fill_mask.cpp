// porkit fill-mask --model DIR "the capital of france is [MASK] .": top-k fillers per [MASK].
#include <cstdio>

#include "porkit/cli/commands.h"
#include "porkit/io/model_folder.h"
#include "porkit/model/batch.h"
#include "porkit/util/error.h"
#include "porkit/util/runtime.h"

namespace porkit::cli {
namespace {

struct FillMaskOptions {
  std::string model;
  std::vector<std::string> texts;
  int top_k = 5;
  int threads = 0;
};

void run_fill_mask(const FillMaskOptions& o) {
  configure_runtime(o.threads);
  auto loaded = io::load_model_folder(o.model, model::Architecture::PreTraining);
  check(loaded.report.initialised.empty() || loaded.report.initialised.front().rfind("cls.", 0) != 0,
        "{} has no masked-LM head (cls.predictions); fill-mask needs a pre-training folder", o.model);
  loaded.net->eval();
  at::NoGradGuard no_grad;
  auto mask_id = loaded.tokenizer.vocab().mask_id();
  check(mask_id.has_value(), "the vocabulary has no [MASK] token");
  for (const auto& t : o.texts) {
    auto e = loaded.tokenizer.encode(t);
    auto batch = model::to_tensors(loaded.tokenizer.pad({e}));
    auto out = loaded.net->encode(batch.ids, batch.type_ids, batch.attention_mask);
    std::printf("%s\n", t.c_str());
    bool any = false;
    for (size_t i = 0; i < e.ids.size(); ++i) {
      if (e.ids[i] != *mask_id) continue;
      any = true;
      at::Tensor logits = loaded.net->mlm_logits(out.last_hidden_state[0][static_cast<int64_t>(i)].unsqueeze(0));
      auto [probs, ids] = at::softmax(logits[0], -1).topk(o.top_k);
      std::printf("  [MASK] at token %zu:", i);
      for (int k = 0; k < o.top_k; ++k) {
        std::printf(" %s (%.3f)", loaded.tokenizer.vocab().token(ids[k].item<int64_t>()).c_str(),
                    probs[k].item<double>());
      }
      std::printf("\n");
    }
    check(any, "no [MASK] in \"{}\"", t);
  }
}

}  // namespace

void register_fill_mask(CLI::App& app) {
  auto o = std::make_shared<FillMaskOptions>();
  auto* cmd = app.add_subcommand("fill-mask", "Top-k predictions for each [MASK] in a text");
  cmd->add_option("--model", o->model, "Pre-training model folder (with MLM head)")->required();
  cmd->add_option("texts", o->texts, "Texts containing [MASK]")->required();
  cmd->add_option("--top-k", o->top_k, "Predictions per mask")->capture_default_str()->check(CLI::PositiveNumber);
  add_threads_option(*cmd, o->threads);
  cmd->callback([o] { run_fill_mask(*o); });
}

}  // namespace porkit::cli
