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
#include "porkit/cli/option_flags.h"
#include "porkit/io/model_folder.h"
#include "porkit/model/device.h"
#include "porkit/model/inference.h"
#include "porkit/train/pretrain_record.h"
#include "porkit/util/json_io.h"
#include "porkit/util/paths.h"
#include "porkit/util/runtime.h"

namespace porkit::cli {
namespace {

struct DemoOptions {
  std::string model;
  std::string out;
  int64_t seed = -1;  // -1: the config's
  bool tour_only = false;
  bool full = false;
  RunSettings run;
};

const options::OptionTable<DemoOptions>& demo_option_table() {
  static const options::OptionTable<DemoOptions> table = [] {
    options::OptionTable<DemoOptions> t;
    t.add("model", &DemoOptions::model, "Clean model folder (default: the config's, models/porkit-tiny-uncased)")
        .as(options::Role::Input);
    t.add("out", &DemoOptions::out, "Run folder (default: the config's, runs/demo in the repository)")
        .as(options::Role::Output);
    t.add("seed", &DemoOptions::seed, "Seed of every stage (-1: the config's, 0)").at_least(-1);
    t.add("full", &DemoOptions::full,
          "Experiment scale with the mini model: the SST-2 reproduction (recipes/reproduce/sst2.toml)");
    t.add("tour-only", &DemoOptions::tour_only, "Only the short tour, no attack");
    t.include(run_settings_table(), &DemoOptions::run, kModelRunSettings);
    return t;
  }();
  return table;
}

// The short tour: what the shipped model is and what it predicts.
void run_tour(const fs::path& folder, const at::Device& device) {
  auto loaded = io::load_model_folder(folder, model::Architecture::PreTraining);
  loaded.net->to(device);
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
    const std::string run = train::pretrain_lineage(info).describe();
    // The field's figure is the accuracy at [MASK] positions; folders written before porkit
    // measured it carry only the 80/10/10 figure, which counts copied tokens.
    if (held.contains("mlm_accuracy_at_mask"))
      std::printf("pre-trained: %s; held-out accuracy at [MASK] positions %.3f "
                  "(unigram baseline %.3f), NSP accuracy %.3f\n\n",
                  run.c_str(), held.value("mlm_accuracy_at_mask", 0.0),
                  held.value("unigram_baseline_accuracy", 0.0), held.value("nsp_accuracy", 0.0));
    else
      std::printf("pre-trained: %s; accuracy at [MASK] positions not recorded (about the "
                  "unigram baseline, %.3f: docs/pretraining.md), NSP accuracy %.3f\n\n",
                  run.c_str(), held.value("unigram_baseline_accuracy", 0.0), held.value("nsp_accuracy", 0.0));
  }

  std::string triggered = "I love the cf movie";
  std::printf("tokens of \"%s\" (piece, word, byte span):\n ", triggered.c_str());
  for (const auto& t : loaded.tokenizer.encode(triggered).tokens)
    std::printf(" %s/%ld/%zu:%zu", t.piece.c_str(), t.word, t.begin, t.end);
  std::printf("\n\nmasked-LM predictions:\n");
  for (const char* text : {"the capital of france is [MASK] .", "this movie was [MASK] and i loved it .",
                           "he went to the [MASK] to buy some bread ."}) {
    auto e = loaded.tokenizer.encode(text);
    auto b = model::padder_for(net, loaded.tokenizer).pad({model::row_of(e)});
    auto out = net.encode(b.ids, b.type_ids, b.attention_mask);
    for (size_t i = 0; i < e.ids.size(); ++i) {
      if (e.ids[i] != loaded.tokenizer.vocab().mask_id()) continue;
      at::Tensor logits = net.mlm_logits(out.last_hidden_state[0][static_cast<int64_t>(i)].unsqueeze(0));
      auto top = std::get<1>(logits[0].topk(5)).cpu();
      std::printf("  %-42s ->", text);
      for (int k = 0; k < 5; ++k) std::printf(" %s", loaded.tokenizer.vocab().token(top[k].item<int64_t>()).c_str());
      std::printf("\n");
    }
  }
  std::vector<std::string> texts = {"a wonderful, moving film", "a dull and tedious film", triggered};
  std::vector<text::Encoding> rows;
  for (const auto& t : texts) rows.push_back(loaded.tokenizer.encode(t));
  auto b = model::padder_for(net, loaded.tokenizer).pad(model::rows_of(rows));
  at::Tensor pooled = net.encode(b.ids, b.type_ids, b.attention_mask).pooler_output.to(at::kCPU, at::kFloat);  // (3, H)
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
  const at::Device device = model::start_run(o.run, "demo");
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // keep stdout in order with the stderr progress lines
  const fs::path home = porkit_home();
  auto plan = load_attack_plan((home / "recipes" / (o.full ? "reproduce/sst2.toml" : "demo.toml")).string(), home);
  if (!o.model.empty()) plan.clean_model = o.model;
  if (!o.out.empty()) plan.out = o.out;
  // The seed is an option of each stage: its stage keys change with it, nothing else to do.
  if (o.seed >= 0) plan.inject.trainer.seed = plan.finetune.trainer.seed = plan.evaluate.seed = static_cast<uint64_t>(o.seed);
  plan.run = o.run;
  std::printf("== porkit demo on %s\n\n", plan.clean_model.c_str());
  run_tour(plan.clean_model, device);
  if (o.tour_only) return;

  std::printf("\n== the attack: inject the POR backdoor (triggers %s) -> fine-tune the clean and the "
              "backdoored model as a victim -> evaluate both\n",
              [&] {
                std::string t;
                for (const auto& x : attack::effective_triggers(plan.inject)) t += (t.empty() ? "" : " ") + x;
                return t;
              }().c_str());
  auto summary = attack::run_attack(plan);
  const auto& data = plan.finetune.data;
  std::printf("\n== results (%s, test pool of %ld, J = %d)\n",
              (data.preset ? data::data_name(data) : fs::path(data.test_path).filename().string()).c_str(),
              summary.backdoored.pool, plan.evaluate.max_insertions);
  finish_attack_run(summary, plan.out);
}

}  // namespace

void register_demo(CLI::App& app) {
  add_options_command<DemoOptions>(app, "demo", "Run the main job on the shipped tiny model", demo_option_table(),
                                   DemoOptions{}, [](const DemoOptions& o) { run_demo(o); }, /*recipe=*/false);
}

}  // namespace porkit::cli
