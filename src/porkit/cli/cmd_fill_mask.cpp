// porkit fill-mask --model DIR "the capital of france is [MASK] .": top-k fillers per [MASK].
#include <cstdio>

#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/util/run_settings.h"
#include "porkit/io/model_folder.h"
#include "porkit/model/device.h"
#include "porkit/model/inference.h"
#include "porkit/util/error.h"
#include "porkit/util/runtime.h"

namespace porkit::cli {
namespace {

struct FillMaskOptions {
  std::string model;
  std::vector<std::string> texts;
  int top_k = 5;
  RunSettings run;
};

void run_fill_mask(const FillMaskOptions& o) {
  const at::Device device = model::start_run(o.run, "fill-mask");
  check(!o.texts.empty(), "no text given");
  // Strict: a folder without the masked-LM head is refused with the names it lacks. The
  // next-sentence head and the pooler are not used here, so they may be absent.
  io::LoadPolicy policy;
  policy.allow_missing = {"cls.seq_relationship.", "bert.pooler."};
  auto loaded = io::load_model_folder(o.model, model::Architecture::PreTraining, std::nullopt, policy);
  loaded.net->to(device);
  loaded.net->eval();
  at::NoGradGuard no_grad;
  auto mask_id = loaded.tokenizer.vocab().mask_id();
  check(mask_id.has_value(), "the vocabulary has no [MASK] token");
  for (const auto& t : o.texts) {
    auto e = loaded.tokenizer.encode(t);
    auto batch = model::padder_for(*loaded.net, loaded.tokenizer).pad({model::row_of(e)});
    auto out = loaded.net->encode(batch.ids, batch.type_ids, batch.attention_mask);
    std::printf("%s\n", t.c_str());
    bool any = false;
    for (size_t i = 0; i < e.ids.size(); ++i) {
      if (e.ids[i] != *mask_id) continue;
      any = true;
      at::Tensor logits = loaded.net->mlm_logits(out.last_hidden_state[0][static_cast<int64_t>(i)].unsqueeze(0));
      const int64_t k = std::min<int64_t>(o.top_k, logits.size(-1));
      auto [probs, ids] = at::softmax(logits[0].to(at::kCPU, at::kFloat), -1).topk(k);
      std::printf("  [MASK] at token %zu:", i);
      for (int64_t r = 0; r < k; ++r) {
        std::printf(" %s (%.3f)", loaded.tokenizer.vocab().token(ids[r].item<int64_t>()).c_str(),
                    probs[r].item<double>());
      }
      std::printf("\n");
    }
    check(any, "no [MASK] in \"{}\"", t);
  }
}

}  // namespace

void register_fill_mask(CLI::App& app) {
  static const options::OptionTable<FillMaskOptions> table = [] {
    options::OptionTable<FillMaskOptions> t;
    t.add("model", &FillMaskOptions::model, "Pre-training model folder (with MLM head)").as(options::Role::Input).needed();
    t.add("top-k", &FillMaskOptions::top_k, "Predictions per mask").range(1, 1000);
    t.include(run_settings_table(), &FillMaskOptions::run, kModelRunSettings);
    return t;
  }();
  auto given = std::make_shared<GivenValues>();
  auto texts = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("fill-mask", "Top-k predictions for each [MASK] in a text");
  cmd->add_option("texts", *texts, "Texts containing [MASK] (after --, texts may start with -)")->required();
  add_flags(*cmd, table, FillMaskOptions{}, given);
  cmd->callback([given, texts] {
    FillMaskOptions o = resolve_options(table, FillMaskOptions{}, json(), "", *given, "porkit fill-mask");
    for (const auto& t : *texts) o.texts.push_back(original_argument(t));
    run_fill_mask(o);
  });
}

}  // namespace porkit::cli
