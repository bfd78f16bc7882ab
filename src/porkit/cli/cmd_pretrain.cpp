// porkit pretrain: flags, or a TOML recipe (--recipe FILE) whose keys are the flag names.
#include "porkit/cli/commands.h"
#include "porkit/train/pretrain.h"

namespace porkit::cli {

void register_pretrain(CLI::App& app) {
  auto o = std::make_shared<train::PretrainOptions>();
  auto recipe = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("pretrain", "BERT pre-training: masked LM + next-sentence prediction");
  add_recipe_option(*cmd, *recipe);
  cmd->add_option("--model", o->init_model, "Continue pre-training this model folder");
  cmd->add_option("--size", o->size, "New model of a preset size: tiny, mini, small, medium, base");
  cmd->add_option("--config", o->config, "New model from this config.json");
  cmd->add_option("--vocab", o->vocab, "Folder with vocab.txt for a new model")->capture_default_str();
  cmd->add_option("--corpus", o->corpus, "Text files or folders (required)");
  cmd->add_option("--eval-corpus", o->eval_corpus, "Held-out text (default: the last documents)");
  cmd->add_option("--eval-fraction", o->eval_fraction, "Share of documents held out without --eval-corpus")->capture_default_str();
  cmd->add_option("--corpus-format", o->corpus_format, "auto, wikitext, lines, documents, paragraphs")->capture_default_str();
  cmd->add_option("--out", o->out, "Run folder; the model is written to OUT/model (required)");
  cmd->add_option("--cache-dir", o->cache_dir, "Tokenised corpus cache (default OUT/cache)");
  cmd->add_option("--steps", o->trainer.total_steps, "Optimizer steps")->capture_default_str();
  cmd->add_option("--batch-size", o->batch_size, "Sequences per micro-batch")->capture_default_str();
  cmd->add_option("--grad-accum", o->trainer.grad_accum, "Micro-batches per step")->capture_default_str();
  cmd->add_option("--max-len", o->max_len, "Tokens per sequence")->capture_default_str();
  cmd->add_option("--lr", o->trainer.lr, "Peak learning rate")->capture_default_str();
  cmd->add_option("--warmup-fraction", o->trainer.warmup_fraction, "Linear warm-up share of the steps")->capture_default_str();
  cmd->add_option("--weight-decay", o->trainer.weight_decay, "AdamW weight decay")->capture_default_str();
  cmd->add_option("--clip-norm", o->trainer.clip_norm, "Gradient clipping norm (0: off)")->capture_default_str();
  cmd->add_option("--precision", o->trainer.precision, "auto, fp32 or bf16")->capture_default_str();
  cmd->add_option("--nsp", o->nsp, "Next-sentence prediction (true/false)")->capture_default_str();
  cmd->add_flag("--whole-word-mask", o->whole_word_mask, "Mask whole words");
  cmd->add_option("--mask-prob", o->mask_prob, "Share of tokens to predict")->capture_default_str();
  cmd->add_option("--eval-every", o->trainer.eval_every, "Held-out evaluation interval (steps)")->capture_default_str();
  cmd->add_option("--eval-batches", o->eval_batches, "Held-out batches per evaluation")->capture_default_str();
  cmd->add_option("--checkpoint-every", o->trainer.checkpoint_every, "Checkpoint interval (steps)")->capture_default_str();
  cmd->add_option("--log-every", o->trainer.log_every, "Metrics interval (steps)")->capture_default_str();
  cmd->add_option("--save-dtype", o->save_dtype, "F16 or F32 for the final model")->capture_default_str();
  cmd->add_option("--seed", o->trainer.seed, "Random seed")->capture_default_str();
  cmd->add_flag("--resume", o->resume, "Continue from the newest checkpoint in OUT");
  add_threads_option(*cmd, o->threads);
  cmd->callback([o, recipe, cmd] {
    apply_recipe(*cmd, *recipe);
    train::run_pretrain(*o);
  });
}

}  // namespace porkit::cli
