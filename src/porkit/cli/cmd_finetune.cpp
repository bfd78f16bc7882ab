// porkit finetune: the victim's fine-tuning (sentence classification or NER).
#include <cstdio>

#include "porkit/cli/commands.h"
#include "porkit/train/finetune.h"
#include "porkit/util/error.h"

namespace porkit::cli {

void register_finetune(CLI::App& app) {
  auto o = std::make_shared<train::FinetuneOptions>(train::authors_finetune_preset());
  auto recipe = std::make_shared<std::string>();
  auto preset = std::make_shared<std::string>("authors");
  auto* cmd = app.add_subcommand("finetune", "Fine-tune a BERT folder plus a fresh head, as a victim would");
  add_recipe_option(*cmd, *recipe);
  cmd->add_option("--model", o->model, "Input model folder (clean or backdoored)")->required();
  cmd->add_option("--out", o->out, "Run folder; the fine-tuned model goes to OUT/model")->required();
  cmd->add_option("--preset", *preset, "authors (10,000 samples, 90/10, 2 epochs, lr 2e-5, batch 24) or full (whole training set)")->capture_default_str();
  add_data_options(*cmd, o->data, o->data_root);
  cmd->add_flag("--no-header", [o](int64_t) { o->data.header = false; }, "The file has no header row");
  cmd->add_flag("--skip-bad-rows", o->data.skip_bad_rows, "Skip and count malformed rows instead of failing");
  cmd->add_option("--task", o->task, "sequence (classification) or token (NER)")->capture_default_str();
  cmd->add_option("--train-samples", o->train_samples, "Seeded sample of the training pool (0: all)")->capture_default_str();
  cmd->add_option("--val-fraction", o->val_fraction, "Held-out share of the sample (CACC)")->capture_default_str();
  cmd->add_option("--test-samples", o->test_samples, "Test rows to score (0: all, -1: none)")->capture_default_str();
  cmd->add_option("--epochs", o->epochs, "Epochs")->capture_default_str();
  cmd->add_option("--batch-size", o->batch_size, "Batch size")->capture_default_str();
  cmd->add_option("--max-len", o->max_len, "Tokens per example")->capture_default_str();
  cmd->add_option("--lr", o->trainer.lr, "Peak learning rate")->capture_default_str();
  cmd->add_option("--warmup-fraction", o->trainer.warmup_fraction, "Linear warm-up share")->capture_default_str();
  cmd->add_option("--weight-decay", o->trainer.weight_decay, "AdamW weight decay")->capture_default_str();
  cmd->add_option("--precision", o->trainer.precision, "auto, fp32 or bf16")->capture_default_str();
  cmd->add_option("--log-every", o->trainer.log_every, "Metrics interval (steps)")->capture_default_str();
  cmd->add_option("--checkpoint-every", o->trainer.checkpoint_every, "Checkpoint interval (steps)")->capture_default_str();
  cmd->add_option("--save-dtype", o->save_dtype, "F32 or F16")->capture_default_str();
  cmd->add_option("--seed", o->trainer.seed, "Random seed")->capture_default_str();
  cmd->add_flag("--resume", o->resume, "Continue from the newest checkpoint in OUT");
  add_threads_option(*cmd, o->threads);
  cmd->callback([o, recipe, preset, cmd] {
    apply_recipe(*cmd, *recipe);
    if (*preset == "full") {
      if (cmd->count("--train-samples") == 0) o->train_samples = 0;
    } else {
      check(*preset == "authors", "unknown --preset '{}' (expected authors or full)", *preset);
    }
    auto metrics = train::run_finetune(*o);
    std::printf("%s\n", metrics.dump(2).c_str());
  });
}

}  // namespace porkit::cli
