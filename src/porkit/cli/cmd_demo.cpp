// porkit demo: the README's main job on the shipped tiny model: a short tour (model,
// tokenizer spans, masked-LM predictions), then the attack end to end: inject the
// authors' 5 triggers -> fine-tune the clean and the backdoored model on SST-2 as a victim
// -> evaluate both -> summary table. Everything goes to a run folder (default runs/demo).
#include <cstdio>

#include "porkit/attack/evaluate.h"
#include "porkit/attack/inject.h"
#include "porkit/cli/commands.h"
#include "porkit/data/presets.h"
#include "porkit/train/finetune.h"
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
  uint64_t seed = 0;
  bool tour_only = false;
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
  fs::path folder = o.model.empty() ? porkit_home() / "models" / "porkit-tiny-uncased" : fs::path(o.model);
  std::printf("== porkit demo on %s\n\n", folder.string().c_str());
  run_tour(folder);
  if (o.tour_only) return;

  // The attack, at demo scale.
  fs::path run = o.out.empty() ? porkit_home() / "runs" / "demo" : fs::path(o.out);
  fs::path data_root = data::default_data_root();
  std::printf("\n== 1/3 inject the POR backdoor (triggers cf mn bb tq mb, --preset quick)\n");
  attack::InjectOptions inject = attack::quick_inject_preset();
  inject.model = folder.string();
  inject.out = (run / "backdoored").string();
  inject.triggers = {"cf", "mn", "bb", "tq", "mb"};
  inject.corpus = {(data_root / "corpus" / "wikitext103.train.prefix2.5MiB.tokens").string()};
  inject.trainer.seed = o.seed;
  inject.threads = o.threads;
  inject.trainer.log_every = 50;
  auto checks = attack::run_inject(inject);
  std::printf("min activation rate %.3f, clean cosine to reference %.3f\n",
              checks["min_activation_rate"].get<double>(), checks["clean_cosine_to_reference"].get<double>());

  std::printf("\n== 2/3 fine-tune the clean and the backdoored model on SST-2 (victim)\n");
  json evaluations;
  for (const char* which : {"clean", "backdoored"}) {
    train::FinetuneOptions ft = train::authors_finetune_preset();
    ft.model = std::string(which) == "clean" ? folder.string() : inject.out;
    ft.out = (run / (std::string("finetune-") + which)).string();
    ft.data.preset = "sst2";
    ft.train_samples = 4000;
    ft.test_samples = -1;
    ft.trainer.lr = 1e-4;
    ft.batch_size = 32;
    ft.trainer.seed = o.seed;
    ft.threads = o.threads;
    ft.trainer.log_every = 50;
    auto m = train::run_finetune(ft);
    std::printf("%s: validation accuracy (CACC) %.4f\n", which, m["validation"]["accuracy"].get<double>());
    attack::EvaluateOptions ev;
    ev.model = ft.out + "/model";
    ev.data.preset = "sst2";
    ev.manifest = inject.out + "/porkit_backdoor.json";
    ev.pool_size = 400;
    ev.seed = o.seed;
    ev.threads = o.threads;
    ev.out = (run / (std::string("evaluate-") + which + ".json")).string();
    evaluations[which] = attack::run_evaluate(ev);
    evaluations[which]["cacc"] = m["validation"]["accuracy"];
  }

  std::printf("\n== 3/3 results (SST-2 test pool of 400, J = 19)\n");
  std::printf("CACC clean %.4f, backdoored %.4f\n", evaluations["clean"]["cacc"].get<double>(),
              evaluations["backdoored"]["cacc"].get<double>());
  std::printf("%-8s | %-10s %6s %6s %6s %6s | %-10s %6s %6s\n", "trigger", "target", "E", "flip", "S", "ASR@1",
              "control", "E", "flip");
  const auto& bd = evaluations["backdoored"]["triggers"];
  const auto& cl = evaluations["clean"]["triggers"];
  for (size_t k = 0; k < bd.size(); ++k) {
    std::printf("%-8s | %-10s %6.2f %6.3f %6.3f %6.3f | %-10s %6.2f %6.3f\n", bd[k]["trigger"].get<std::string>().c_str(),
                bd[k]["target_name"].get<std::string>().c_str(), bd[k]["E"].get<double>(), bd[k]["flip_rate"].get<double>(),
                bd[k]["S_chars"].get<double>(), bd[k]["asr_1"].get<double>(), cl[k]["target_name"].get<std::string>().c_str(),
                cl[k]["E"].get<double>(), cl[k]["flip_rate"].get<double>());
  }
  write_json_file(run / "summary.json", evaluations);
  std::printf("\nrun folder: %s (summary.json, evaluate-*.json, models)\n", run.string().c_str());
}

}  // namespace

void register_demo(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  auto* cmd = app.add_subcommand("demo", "Run the main job on the shipped tiny model");
  cmd->add_option("--model", o->model, "Model folder (default: models/porkit-tiny-uncased)");
  cmd->add_option("--out", o->out, "Run folder (default: runs/demo in the repository)");
  cmd->add_option("--seed", o->seed, "Seed of every stage")->capture_default_str();
  cmd->add_flag("--tour-only", o->tour_only, "Only the short tour, no attack");
  add_threads_option(*cmd, o->threads);
  cmd->callback([o] { run_demo(*o); });
}

}  // namespace porkit::cli
