// porkit demo: the README's main job on the shipped model. For now a short tour of what
// exists (model folder, tokenizer spans, masked-LM predictions, sentence vectors); it grows
// into inject -> fine-tune -> evaluate -> report as those commands land.
#include <cstdio>

#include "porkit/cli/commands.h"
#include "porkit/io/model_folder.h"
#include "porkit/model/batch.h"
#include "porkit/util/json_io.h"
#include "porkit/util/paths.h"
#include "porkit/util/runtime.h"

namespace porkit::cli {
namespace {

struct DemoOptions {
  std::string model;
  int threads = 0;
};

void run_demo(const DemoOptions& o) {
  configure_runtime(o.threads);
  fs::path folder = o.model.empty() ? porkit_home() / "models" / "porkit-tiny-uncased" : fs::path(o.model);
  std::printf("== porkit demo on %s\n\n", folder.string().c_str());
  auto loaded = io::load_model_folder(folder, model::Architecture::PreTraining);
  auto& net = *loaded.net;
  net.eval();
  at::NoGradGuard no_grad;
  const auto& c = net.config();
  int64_t params = 0;
  for (const auto& p : net.parameters()) params += p.numel();
  std::printf("model: %ld layers, hidden %ld, %ld heads, %ld parameters\n", c.num_hidden_layers,
              c.hidden_size, c.num_attention_heads, params);
  if (fs::exists(folder / "porkit_pretrain.json")) {
    auto info = read_json_file(folder / "porkit_pretrain.json");
    auto held = info.value("held_out", json::object());
    std::printf("pre-trained: %ld steps, %ld tokens seen; held-out masked-token accuracy %.3f "
                "(unigram baseline %.3f), NSP accuracy %.3f\n\n",
                info.value("steps", 0L), info.value("tokens_seen", 0L),
                held.value("mlm_accuracy", 0.0), held.value("unigram_baseline_accuracy", 0.0),
                held.value("nsp_accuracy", 0.0));
  }

  std::string triggered = "I love the cf movie";
  std::printf("tokens of \"%s\" (piece, word, byte span):\n ", triggered.c_str());
  for (const auto& t : loaded.tokenizer.encode(triggered).tokens)
    std::printf(" %s/%ld/%zu:%zu", t.piece.c_str(), t.word, t.begin, t.end);
  std::printf("\n\nmasked-LM predictions:\n");
  for (const char* text : {"the capital of france is [MASK] .", "this movie was [MASK] and i loved it .",
                           "he went to the [MASK] to buy some bread ."}) {
    auto e = loaded.tokenizer.encode(text);
    auto b = model::to_tensors(loaded.tokenizer.pad({e}));
    auto out = net.encode(b.ids, b.type_ids, b.attention_mask);
    for (size_t i = 0; i < e.ids.size(); ++i) {
      if (e.ids[i] != loaded.tokenizer.vocab().mask_id()) continue;
      at::Tensor logits = net.mlm_logits(out.last_hidden_state[0][static_cast<int64_t>(i)].unsqueeze(0));
      auto top = std::get<1>(logits[0].topk(5));
      std::printf("  %-42s ->", text);
      for (int k = 0; k < 5; ++k) std::printf(" %s", loaded.tokenizer.vocab().token(top[k].item<int64_t>()).c_str());
      std::printf("\n");
    }
  }
  std::vector<std::string> texts = {"a wonderful, moving film", "a dull and tedious film", triggered};
  std::vector<text::Encoding> rows;
  for (const auto& t : texts) rows.push_back(loaded.tokenizer.encode(t));
  auto b = model::to_tensors(loaded.tokenizer.pad(rows));
  at::Tensor pooled = net.encode(b.ids, b.type_ids, b.attention_mask).pooler_output;  // (3, H)
  at::Tensor unit = pooled / pooled.norm(2, -1, true);
  at::Tensor cos = at::matmul(unit, unit.t());
  std::printf("\ncosine of pooled outputs:\n");
  for (size_t i = 0; i < texts.size(); ++i) {
    std::printf("  %-26s", texts[i].c_str());
    for (size_t j = 0; j < texts.size(); ++j) std::printf(" %6.3f", cos[i][j].item<double>());
    std::printf("\n");
  }
  std::printf("\nnext: porkit pretrain --help (inject, finetune and evaluate are being built)\n");
}

}  // namespace

void register_demo(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  auto* cmd = app.add_subcommand("demo", "Run the main job on the shipped tiny model");
  cmd->add_option("--model", o->model, "Model folder (default: models/porkit-tiny-uncased)");
  add_threads_option(*cmd, o->threads);
  cmd->callback([o] { run_demo(*o); });
}

}  // namespace porkit::cli
