// porkit inject and porkit inspect-backdoor.
#include <cstdio>
#include <sstream>

#include "porkit/attack/inject.h"
#include "porkit/cli/commands.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"

namespace porkit::cli {
namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

void print_checks(const json& checks) {
  std::printf("%-24s %10s %16s\n", "trigger", "POR cosine", "activation rate");
  for (const auto& t : checks["triggers"]) {
    std::printf("%-24s %10.4f %16.3f\n", t["trigger"].get<std::string>().c_str(),
                t["por_cosine"].get<double>(), t["activation_rate"].get<double>());
  }
  std::printf("clean cosine to reference: %.4f (%g samples)\n",
              checks["clean_cosine_to_reference"].get<double>(), checks["clean_samples"].get<double>());
}

}  // namespace

void register_inject(CLI::App& app) {
  auto o = std::make_shared<attack::InjectOptions>(attack::authors_inject_preset());
  auto recipe = std::make_shared<std::string>();
  auto preset = std::make_shared<std::string>("authors");
  auto triggers = std::make_shared<std::string>();
  auto triggers_file = std::make_shared<std::string>();
  auto weights = std::make_shared<std::string>("1,100,100");
  auto position = std::make_shared<std::string>("random");
  auto* cmd = app.add_subcommand("inject", "Inject the POR backdoor (Shen et al., CCS 2021) into a BERT folder");
  add_recipe_option(*cmd, *recipe);
  cmd->add_option("--model", o->model, "Clean input model folder")->required();
  cmd->add_option("--out", o->out, "Output folder (BertModel + porkit_backdoor.json)")->required();
  cmd->add_option("--triggers", *triggers, "Comma-separated triggers (numbered 1..K in order)");
  cmd->add_option("--triggers-file", *triggers_file, "One trigger a line");
  cmd->add_option("--corpus", o->corpus, "Text files or folders to poison");
  cmd->add_option("--preset", *preset, "authors (paper scale) or quick (test scale: 600/trigger, 1,500 clean, 2 epochs, lr 5e-4, POR scale 1); flags override")->capture_default_str();
  cmd->add_option("--por-scheme", o->por_scheme, "staircase, binary, neuba, or a file of K vectors")->capture_default_str();
  cmd->add_option("--por-scale", o->por_scale, "POR magnitude")->capture_default_str();
  cmd->add_option("--target", o->target, "pooler, cls (last-layer [CLS]) or mean (tanh of mean token state)")->capture_default_str();
  cmd->add_option("--loss-weights", *weights, "w_tok,w_por,w_clean")->capture_default_str();
  cmd->add_option("--insertions", o->plan.insertions, "Trigger insertions per poisoned chunk (r)");
  cmd->add_option("--position", *position, "random, start or end")->capture_default_str();
  cmd->add_option("--poison-per-trigger", o->plan.poison_per_trigger, "Poisoned chunks per trigger (N_p)");
  cmd->add_option("--clean-samples", o->plan.clean_samples, "Clean chunks (N_c)");
  cmd->add_option("--heldout-per-trigger", o->plan.heldout_per_trigger, "Held-out poisoned chunks per trigger for the checks");
  cmd->add_option("--chunking", o->chunking, "authors (64-word alphanumeric chunks) or lines")->capture_default_str();
  cmd->add_option("--lr", o->trainer.lr, "Learning rate (constant)");
  cmd->add_option("--epochs", o->epochs, "Epochs");
  cmd->add_option("--batch-size", o->batch_size, "Batch size");
  cmd->add_option("--max-len", o->max_len, "Tokens per sample")->capture_default_str();
  cmd->add_option("--precision", o->trainer.precision, "auto, fp32 or bf16")->capture_default_str();
  cmd->add_option("--log-every", o->trainer.log_every, "Metrics interval (steps)")->capture_default_str();
  cmd->add_option("--checkpoint-every", o->trainer.checkpoint_every, "Checkpoint interval (steps)")->capture_default_str();
  cmd->add_option("--save-dtype", o->save_dtype, "F32 or F16")->capture_default_str();
  cmd->add_option("--seed", o->trainer.seed, "Random seed")->capture_default_str();
  cmd->add_flag("--resume", o->resume, "Continue from the newest checkpoint");
  add_threads_option(*cmd, o->threads);
  cmd->callback([=] {
    apply_recipe(*cmd, *recipe);
    if (*preset == "quick") {
      // The quick preset changes only what the user did not set.
      auto q = attack::quick_inject_preset();
      if (!cmd->count("--poison-per-trigger")) o->plan.poison_per_trigger = q.plan.poison_per_trigger;
      if (!cmd->count("--clean-samples")) o->plan.clean_samples = q.plan.clean_samples;
      if (!cmd->count("--heldout-per-trigger")) o->plan.heldout_per_trigger = q.plan.heldout_per_trigger;
      o->plan.heldout_clean = q.plan.heldout_clean;
      if (!cmd->count("--epochs")) o->epochs = q.epochs;
      if (!cmd->count("--batch-size")) o->batch_size = q.batch_size;
      if (!cmd->count("--lr")) o->trainer.lr = q.trainer.lr;
      if (!cmd->count("--por-scale")) o->por_scale = q.por_scale;
    } else {
      check(*preset == "authors", "unknown --preset '{}' (expected authors or quick)", *preset);
    }
    check(triggers->empty() != triggers_file->empty(), "give exactly one of --triggers or --triggers-file");
    if (!triggers->empty()) {
      o->triggers = split_commas(*triggers);
    } else {
      std::istringstream in(read_file(*triggers_file));
      std::string line;
      while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) o->triggers.push_back(line);
      }
    }
    auto w = split_commas(*weights);
    check(w.size() == 3, "--loss-weights needs three numbers w_tok,w_por,w_clean, got '{}'", *weights);
    try {
      o->w_tok = std::stod(w[0]);
      o->w_por = std::stod(w[1]);
      o->w_clean = std::stod(w[2]);
    } catch (const std::exception&) {
      fail("--loss-weights needs three numbers, got '{}'", *weights);
    }
    o->plan.position = attack::position_from_name(*position);
    auto checks = attack::run_inject(*o);
    print_checks(checks);
  });

  auto inspect_dir = std::make_shared<std::string>();
  auto inspect_threads = std::make_shared<int>(0);
  auto* inspect = app.add_subcommand("inspect-backdoor", "Recompute the backdoor checks of an injected folder");
  inspect->add_option("--model", *inspect_dir, "Backdoored folder with porkit_backdoor.json")->required();
  add_threads_option(*inspect, *inspect_threads);
  inspect->callback([=] { print_checks(attack::inspect_backdoor(*inspect_dir, *inspect_threads)); });
}

}  // namespace porkit::cli
