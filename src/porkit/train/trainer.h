// The training loop every porkit training command shares (pretrain, inject, finetune):
// AdamW without weight decay on biases and LayerNorm weights, linear warm-up then linear
// decay (or a constant rate), gradient accumulation and clipping, bf16 autocast where the CPU
// has bf16 units, periodic held-out evaluation, JSON-lines metrics, and atomic checkpoints
// (weights, optimizer moments, RNG state, step) from which --resume continues bit-for-bit.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <ATen/ATen.h>

#include "porkit/model/bert_net.h"
#include "porkit/util/json_io.h"
#include "porkit/util/options.h"

namespace porkit::train {

// Arithmetic of the forward and backward passes: auto is bf16 autocast only where the CPU has
// bf16 units (elsewhere bf16 is emulated and ~15x slower), fp32 always, bf16 always.
enum class Precision { Auto, Fp32, Bf16 };

struct TrainerOptions {
  int64_t total_steps = 1000;       // optimizer steps
  double lr = 1e-4;
  double weight_decay = 0.01;
  double adam_beta1 = 0.9, adam_beta2 = 0.999, adam_eps = 1e-6;
  double warmup_fraction = 0.1;     // of total_steps; ignored when warmup_steps >= 0
  int64_t warmup_steps = -1;
  bool constant_lr = false;         // no warm-up, no decay
  int grad_accum = 1;               // micro-batches per optimizer step
  double clip_norm = 1.0;           // 0: no clipping
  Precision precision = Precision::Auto;
  int64_t log_every = 10;
  int64_t eval_every = 0;           // 0: only at the end
  int64_t checkpoint_every = 0;     // 0: only at the end
  int keep_checkpoints = 2;
  double time_limit_minutes = 0;    // > 0: stop (checkpointed) once training has run this long
  uint64_t seed = 0;
  bool cuda_graph = true;           // capture the step in a CUDA graph where the task allows it
  std::string label = "train";      // progress-line prefix
};

// What a micro-batch contributes: the loss to back-propagate and named parts to log. The
// parts stay on the model's device (detached scalars): the trainer reads them on the host
// only when it writes a metrics line, never once a step.
struct StepLoss {
  at::Tensor loss;                           // scalar
  std::map<std::string, at::Tensor> parts;   // e.g. {"mlm": 3.2, "nsp": 0.6}, each ()
  int64_t tokens = 0;                        // real tokens processed (for throughput)
};

class TrainingTask {
 public:
  virtual ~TrainingTask() = default;
  // Loss of micro-batch `micro` (0..grad_accum-1) of optimizer step `step`. Must be a pure
  // function of (step, micro) and the model, so that a resumed run sees the same data.
  virtual StepLoss loss(model::BertNetImpl& net, int64_t step, int micro) = 0;
  // Held-out metrics, computed without gradients.
  virtual json evaluate(model::BertNetImpl& net) { return json::object(); }

  // A task whose batches all have one shape may let the trainer capture its step in a CUDA
  // graph on a GPU (train/graphed_step.h). stage() copies the inputs of optimizer step
  // `step` into device buffers that keep their addresses and returns the batch's real
  // tokens, or nothing where that step cannot be staged (a short last batch; it then runs
  // eagerly through loss()). staged_loss() is the staged batch's loss, computed without any
  // synchronisation with the host. The default: no staging.
  virtual std::optional<int64_t> stage(model::BertNetImpl& net, int64_t step) { return std::nullopt; }
  virtual StepLoss staged_loss(model::BertNetImpl& net);
};

struct TrainResult {
  int64_t steps_run = 0;       // in this process
  double seconds = 0;
  json last_eval;              // the final held-out evaluation (a finished run: the one it recorded)
  bool bf16 = false;
  int64_t stopped_at = 0;      // > 0: the step at which --time-limit stopped the run early
  bool cuda_graph = false;     // the step ran as a replayed CUDA graph
};

// The run a checkpoint belongs to: the command's effective settings (options of role
// Setting, as canonical JSON). A resumed run must have the same; checkpoints of another run
// are never loaded or pruned.
struct RunIdentity {
  std::string command;
  json settings = json::object();
  std::string id() const;  // SHA-256 of command and settings
};

// Trains `net` in place. With `resume`, continues from the newest complete checkpoint of the
// same run in run_dir/checkpoints (a fresh start when there is none); a checkpoint of a run
// with other settings is an error that names every differing setting. A fresh start refuses
// a folder that holds checkpoints. metrics.jsonl in run_dir gets one line per log interval
// and per evaluation.
TrainResult train(model::BertNetImpl& net, TrainingTask& task, const TrainerOptions& options,
                  const std::filesystem::path& run_dir, bool resume, const RunIdentity& identity);

// Whether bf16 autocast will be used for `precision` on `device` (auto: only where the CPU
// or GPU computes bf16 natively).
bool use_bf16(Precision precision, const at::Device& device = at::Device(at::kCPU));

// Every trainer option; commands include the ones they expose.
const options::OptionTable<TrainerOptions>& trainer_option_table();

// The settings that differ between two runs' settings, as "name: a -> b" lines joined by
// "; " (empty when equal).
std::string settings_difference(const json& before, const json& now);

// Learning rate of `step` under the options' schedule.
double scheduled_lr(const TrainerOptions& options, int64_t step);

}  // namespace porkit::train

template <>
struct porkit::options::EnumNames<porkit::train::Precision> {
  static const std::vector<std::pair<porkit::train::Precision, std::string>>& values();
};
