#include "porkit/cli/stage_flags.h"

#include <sstream>

#include "porkit/cli/commands.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"

namespace porkit::cli {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

void add_inject_flags(CLI::App& cmd, InjectFlags& f, bool standalone) {
  auto& o = f.options;
  if (standalone) {
    cmd.add_option("--model", o.model, "Clean input model folder")->required();
    cmd.add_option("--out", o.out, "Output folder (BertModel + porkit_backdoor.json)")->required();
    cmd.add_flag("--resume", o.resume, "Continue from the newest checkpoint");
  }
  cmd.add_option("--triggers", f.triggers, "Comma-separated triggers (numbered 1..K in order)");
  cmd.add_option("--triggers-file", f.triggers_file, "One trigger a line");
  cmd.add_option("--corpus", o.corpus, "Text files or folders to poison");
  cmd.add_option("--preset", f.preset, "authors (paper scale) or quick (test scale: 600/trigger, 1,500 clean, 2 epochs, lr 5e-4, POR scale 1); flags override")->capture_default_str();
  cmd.add_option("--por-scheme", o.por_scheme, "staircase, binary, neuba, or a file of K vectors")->capture_default_str();
  cmd.add_option("--por-scale", o.por_scale, "POR magnitude")->capture_default_str();
  cmd.add_option("--target", o.target, "pooler, cls (last-layer [CLS]) or mean (tanh of mean token state)")->capture_default_str();
  cmd.add_option("--loss-weights", f.weights, "w_tok,w_por,w_clean")->capture_default_str();
  cmd.add_option("--insertions", o.plan.insertions, "Trigger insertions per poisoned chunk (r)");
  cmd.add_option("--position", f.position, "random, start or end")->capture_default_str();
  cmd.add_option("--poison-per-trigger", o.plan.poison_per_trigger, "Poisoned chunks per trigger (N_p)");
  cmd.add_option("--clean-samples", o.plan.clean_samples, "Clean chunks (N_c)");
  cmd.add_option("--heldout-per-trigger", o.plan.heldout_per_trigger, "Held-out poisoned chunks per trigger for the checks");
  cmd.add_option("--chunking", o.chunking, "authors (64-word alphanumeric chunks) or lines")->capture_default_str();
  cmd.add_option("--lr", o.trainer.lr, "Learning rate (constant)");
  cmd.add_option("--epochs", o.epochs, "Epochs");
  cmd.add_option("--batch-size", o.batch_size, "Batch size");
  cmd.add_option("--max-len", o.max_len, "Tokens per sample")->capture_default_str();
  cmd.add_option("--precision", o.trainer.precision, "auto, fp32 or bf16")->capture_default_str();
  cmd.add_option("--log-every", o.trainer.log_every, "Metrics interval (steps)")->capture_default_str();
  cmd.add_option("--checkpoint-every", o.trainer.checkpoint_every, "Checkpoint interval (steps)")->capture_default_str();
  cmd.add_option("--save-dtype", o.save_dtype, "F32 or F16")->capture_default_str();
  cmd.add_option("--seed", o.trainer.seed, "Random seed")->capture_default_str();
}

void resolve_inject_flags(const CLI::App& cmd, InjectFlags& f, bool need_triggers) {
  auto& o = f.options;
  if (f.preset == "quick") {
    // The quick preset changes only what the user did not set.
    auto q = attack::quick_inject_preset();
    if (!cmd.count("--poison-per-trigger")) o.plan.poison_per_trigger = q.plan.poison_per_trigger;
    if (!cmd.count("--clean-samples")) o.plan.clean_samples = q.plan.clean_samples;
    if (!cmd.count("--heldout-per-trigger")) o.plan.heldout_per_trigger = q.plan.heldout_per_trigger;
    o.plan.heldout_clean = q.plan.heldout_clean;
    if (!cmd.count("--epochs")) o.epochs = q.epochs;
    if (!cmd.count("--batch-size")) o.batch_size = q.batch_size;
    if (!cmd.count("--lr")) o.trainer.lr = q.trainer.lr;
    if (!cmd.count("--por-scale")) o.por_scale = q.por_scale;
  } else {
    check(f.preset == "authors", "unknown --preset '{}' (expected authors or quick)", f.preset);
  }
  if (need_triggers || !f.triggers.empty() || !f.triggers_file.empty())
    check(f.triggers.empty() != f.triggers_file.empty(), "give exactly one of --triggers or --triggers-file");
  if (!f.triggers.empty()) {
    o.triggers = split_commas(f.triggers);
  } else if (!f.triggers_file.empty()) {
    std::istringstream in(read_file(f.triggers_file));
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) o.triggers.push_back(line);
    }
  }
  auto w = split_commas(f.weights);
  check(w.size() == 3, "--loss-weights needs three numbers w_tok,w_por,w_clean, got '{}'", f.weights);
  try {
    o.w_tok = std::stod(w[0]);
    o.w_por = std::stod(w[1]);
    o.w_clean = std::stod(w[2]);
  } catch (const std::exception&) {
    fail("--loss-weights needs three numbers, got '{}'", f.weights);
  }
  o.plan.position = attack::position_from_name(f.position);
}

void add_finetune_flags(CLI::App& cmd, FinetuneFlags& f, bool standalone) {
  auto& o = f.options;
  if (standalone) {
    cmd.add_option("--model", o.model, "Input model folder (clean or backdoored)")->required();
    cmd.add_option("--out", o.out, "Run folder; the fine-tuned model goes to OUT/model")->required();
    cmd.add_flag("--resume", o.resume, "Continue from the newest checkpoint in OUT");
  }
  cmd.add_option("--preset", f.preset, "authors (10,000 samples, 90/10, 2 epochs, lr 2e-5, batch 24) or full (whole training set)")->capture_default_str();
  add_data_options(cmd, o.data, o.data_root);
  cmd.add_flag("--no-header", [&o](int64_t) { o.data.header = false; }, "The file has no header row");
  cmd.add_flag("--skip-bad-rows", o.data.skip_bad_rows, "Skip and count malformed rows instead of failing");
  cmd.add_option("--task", o.task, "sequence (classification) or token (NER)")->capture_default_str();
  cmd.add_option("--train-samples", o.train_samples, "Seeded sample of the training pool (0: all)")->capture_default_str();
  cmd.add_option("--val-fraction", o.val_fraction, "Held-out share of the sample (CACC)")->capture_default_str();
  cmd.add_option("--test-samples", o.test_samples, "Test rows to score (0: all, -1: none)")->capture_default_str();
  cmd.add_option("--epochs", o.epochs, "Epochs")->capture_default_str();
  cmd.add_option("--batch-size", o.batch_size, "Batch size")->capture_default_str();
  cmd.add_option("--max-len", o.max_len, "Tokens per example")->capture_default_str();
  cmd.add_flag("--bucket-by-length", o.bucket_by_length, "Batch examples of similar length (less padding, faster; changes the batches)");
  cmd.add_option("--lr", o.trainer.lr, "Peak learning rate")->capture_default_str();
  cmd.add_option("--warmup-fraction", o.trainer.warmup_fraction, "Linear warm-up share")->capture_default_str();
  cmd.add_option("--weight-decay", o.trainer.weight_decay, "AdamW weight decay")->capture_default_str();
  cmd.add_option("--precision", o.trainer.precision, "auto, fp32 or bf16")->capture_default_str();
  cmd.add_option("--log-every", o.trainer.log_every, "Metrics interval (steps)")->capture_default_str();
  cmd.add_option("--checkpoint-every", o.trainer.checkpoint_every, "Checkpoint interval (steps)")->capture_default_str();
  cmd.add_option("--save-dtype", o.save_dtype, "F32 or F16")->capture_default_str();
  cmd.add_option("--seed", o.trainer.seed, "Random seed")->capture_default_str();
}

void resolve_finetune_flags(const CLI::App& cmd, FinetuneFlags& f) {
  if (f.preset == "full") {
    if (cmd.count("--train-samples") == 0) f.options.train_samples = 0;
  } else {
    check(f.preset == "authors", "unknown --preset '{}' (expected authors or full)", f.preset);
  }
}

void add_evaluate_flags(CLI::App& cmd, EvaluateFlags& f, bool standalone) {
  auto& o = f.options;
  if (standalone) {
    cmd.add_option("--model", o.model, "Fine-tuned BertForSequenceClassification or BertForTokenClassification folder")->required();
    add_data_options(cmd, o.data, o.data_root);
    cmd.add_option("--backdoor-manifest", o.manifest, "porkit_backdoor.json (triggers and PORs)");
    cmd.add_option("--out", o.out, "Write the results JSON here");
  }
  cmd.add_option("--triggers", f.triggers, "Comma-separated triggers (default: the manifest's)");
  cmd.add_option("--pool", o.pool_size, "Seeded test rows")->capture_default_str();
  cmd.add_option("--max-insertions", o.max_insertions, "J")->capture_default_str();
  cmd.add_option("--batch-size", o.batch_size, "Batch size")->capture_default_str();
  cmd.add_option("--max-len", o.max_len, "Tokens per input")->capture_default_str();
  cmd.add_option("--seed", o.seed, "Seed of the pool and insertion positions")->capture_default_str();
}

void resolve_evaluate_flags(EvaluateFlags& f) {
  f.options.triggers = split_commas(f.triggers);
}

}  // namespace porkit::cli
