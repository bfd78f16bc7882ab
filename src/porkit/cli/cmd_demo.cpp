// porkit demo: the README's main job on the shipped tiny model: a short tour (model,
// tokenizer spans, masked-LM predictions), then the attack end to end from
// recipes/demo.toml (with --full, recipes/reproduce/sst2.toml: the SST-2 reproduction on the
// mini model, the same run folder): inject the authors' 5 triggers ->
// fine-tune the clean and the backdoored model on SST-2 as a victim -> evaluate both ->
// summary table and an HTML report. Everything goes to a run folder (default runs/demo); a second run reuses
// the finished stages.
#include <cstdio>

#include <optional>

#include "porkit/attack/pipeline.h"
#include "porkit/cli/attack_config.h"
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
  std::string out;
  int threads = 0;
  std::optional<uint64_t> seed;
  bool tour_only = false;
  bool full = false;
};

// The short tour: what the shipped model is and what it predicts.
void run_tour(const fs::path& folder) {
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
}

void run_demo(const DemoOptions& o) {
  configure_runtime(o.threads);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // keep stdout in order with the stderr progress lines
  const fs::path home = porkit_home();
  auto plan = load_attack_plan((home / "recipes" / (o.full ? "reproduce/sst2.toml" : "demo.toml")).string(), home);
  if (!o.model.empty()) plan.clean_model = o.model;
  if (!o.out.empty()) plan.out = o.out;
  if (o.seed) {
    plan.inject.trainer.seed = plan.finetune.trainer.seed = plan.evaluate.seed = *o.seed;
    const std::string s = "seed override " + std::to_string(*o.seed) + "\n";
    plan.inject_settings += s;
    plan.finetune_settings += s;
    plan.evaluate_settings += s;
  }
  plan.inject.threads = plan.finetune.threads = plan.evaluate.threads = o.threads;
  std::printf("== porkit demo on %s\n\n", plan.clean_model.c_str());
  run_tour(plan.clean_model);
  if (o.tour_only) return;

  std::printf("\n== the attack: inject the POR backdoor (triggers %s) -> fine-tune the clean and the "
              "backdoored model as a victim -> evaluate both\n",
              [&] {
                std::string t;
                for (const auto& x : plan.inject.triggers) t += (t.empty() ? "" : " ") + x;
                return t;
              }().c_str());
  auto summary = attack::run_attack(plan);
  const auto& data = plan.finetune.data;
  std::printf("\n== results (%s, test pool of %ld, J = %d)\n",
              (data.preset.empty() ? fs::path(data.test_path).filename().string() : data.preset).c_str(),
              summary["backdoored"]["pool"].get<int64_t>(), plan.evaluate.max_insertions);
  finish_attack_run(summary, plan.out);
}

}  // namespace

void register_demo(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  auto* cmd = app.add_subcommand("demo", "Run the main job on the shipped tiny model");
  cmd->add_option("--model", o->model, "Clean model folder (default: the config's, models/porkit-tiny-uncased)");
  cmd->add_option("--out", o->out, "Run folder (default: the config's, runs/demo in the repository)");
  cmd->add_option("--seed", o->seed, "Seed of every stage (default: the config's, 0)");
  cmd->add_flag("--full", o->full, "Experiment scale with the mini model: the SST-2 reproduction (recipes/reproduce/sst2.toml)");
  cmd->add_flag("--tour-only", o->tour_only, "Only the short tour, no attack");
  add_threads_option(*cmd, o->threads);
  cmd->callback([o] { run_demo(*o); });
}

}  // namespace porkit::cli
