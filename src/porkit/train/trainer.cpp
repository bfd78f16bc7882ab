#include "porkit/train/trainer.h"

#include <torch/optim/adamw.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <set>

#include "porkit/io/weights.h"
#include "porkit/model/device.h"
#include "porkit/model/torch_compat.h"
#include "porkit/model/torch_compat_cuda.h"
#include "porkit/train/data_parallel.h"
#include "porkit/train/grad_clip.h"
#include "porkit/train/graphed_step.h"
#include "porkit/train/multi_tensor_adamw.h"
#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/log.h"
#include "porkit/util/runtime.h"

namespace porkit::train {
namespace {

using Clock = std::chrono::steady_clock;

bool no_decay(const std::string& name) {
  return name.size() >= 4 && (name.compare(name.size() - 4, 4, "bias") == 0 ||
                              name.find("LayerNorm") != std::string::npos);
}

fs::path checkpoint_dir(const fs::path& run_dir, int64_t step) {
  return run_dir / "checkpoints" / fmt::format("step-{:08d}", step);
}

// The complete checkpoint folders of run_dir, oldest first.
std::vector<fs::path> complete_checkpoints(const fs::path& run_dir) {
  fs::path root = run_dir / "checkpoints";
  std::vector<fs::path> out;
  if (!fs::is_directory(root)) return out;
  for (const auto& e : fs::directory_iterator(root)) {
    auto name = e.path().filename().string();
    if (name.rfind("step-", 0) == 0 && fs::exists(e.path() / "COMPLETE")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The run a checkpoint belongs to ("" for checkpoints written before runs had identities).
std::string checkpoint_run_id(const fs::path& dir) {
  const json state = read_json_file(dir / "state.json");
  return state.value("run_id", "");
}

void save_checkpoint(const fs::path& run_dir, int64_t step, model::BertNetImpl& net,
                     torch::optim::AdamW& optimizer, const TrainerOptions& options, const RunIdentity& identity) {
  fs::path final_dir = checkpoint_dir(run_dir, step);
  std::random_device rd;
  fs::path staging = run_dir / "checkpoints" / fmt::format(".staging-{:08x}", rd());
  fs::create_directories(staging);
  io::NamedTensors weights, moments;
  int64_t adam_step = 0;
  for (const auto& p : net.named_parameters(true)) {
    weights[p.key()] = p.value();
    auto it = optimizer.state().find(compat::optimizer_state_key(p.value()));
    if (it == optimizer.state().end()) continue;
    auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
    moments["exp_avg." + p.key()] = s.exp_avg();
    moments["exp_avg_sq." + p.key()] = s.exp_avg_sq();
    adam_step = s.step();
  }
  // The default generator of the model's device drives dropout; its state makes a resumed
  // run identical on the same device. (A run resumed on another device seeds that device's
  // generator from the step instead: dropout streams cannot cross devices.)
  moments["rng.torch_cpu"] = at::detail::getDefaultCPUGenerator().get_state();
  const at::Device device = model::device_of(net);
  if (device.is_cuda()) moments["rng.torch_cuda"] = at::globalContext().defaultGenerator(device).get_state().cpu();
  io::write_weights(staging / "model.safetensors", weights, io::WeightsDType::F32);
  io::write_weights(staging / "optimizer.safetensors", moments, io::WeightsDType::F32);
  write_json_file(staging / "state.json", {{"step", step}, {"adam_step", adam_step},
                                           {"total_steps", options.total_steps},
                                           {"seed", options.seed}, {"lr", options.lr},
                                           {"run_id", identity.id()}, {"command", identity.command},
                                           {"settings", identity.settings}});
  write_file_atomic(staging / "COMPLETE", "ok\n");
  if (fs::exists(final_dir)) fs::remove_all(final_dir);
  fs::rename(staging, final_dir);
  // Keep this run's newest `keep_checkpoints` complete checkpoints; never touch another run's.
  for (const auto& e : fs::directory_iterator(run_dir / "checkpoints")) {
    auto name = e.path().filename().string();
    if (name.rfind(".staging-", 0) == 0 && e.path() != staging) fs::remove_all(e.path());
  }
  std::vector<fs::path> mine;
  for (const auto& c : complete_checkpoints(run_dir))
    if (checkpoint_run_id(c) == identity.id()) mine.push_back(c);
  for (size_t i = 0; i + static_cast<size_t>(std::max(1, options.keep_checkpoints)) < mine.size(); ++i)
    fs::remove_all(mine[i]);
}

int64_t load_checkpoint(const fs::path& dir, model::BertNetImpl& net, torch::optim::AdamW& optimizer) {
  auto weights = io::to_tensors(io::SafetensorsFile::read(dir / "model.safetensors"));
  auto moments_file = io::SafetensorsFile::read(dir / "optimizer.safetensors");
  auto state = read_json_file(dir / "state.json");
  int64_t adam_step = state.at("adam_step").get<int64_t>();
  at::NoGradGuard no_grad;
  for (auto& p : net.named_parameters(true)) {
    auto w = weights.find(p.key());
    check(w != weights.end() && w->second.sizes() == p.value().sizes(),
          "checkpoint {} does not match the model: tensor {} missing or mis-shaped", dir.string(), p.key());
    p.value().copy_(w->second);
  }
  io::NamedTensors moments = io::to_tensors(moments_file);
  for (auto& p : net.named_parameters(true)) {
    auto m = moments.find("exp_avg." + p.key());
    auto v = moments.find("exp_avg_sq." + p.key());
    if (m == moments.end() || v == moments.end()) continue;
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->step(adam_step);
    s->exp_avg(m->second.to(p.value().device()).clone());
    s->exp_avg_sq(v->second.to(p.value().device()).clone());
    optimizer.state()[compat::optimizer_state_key(p.value())] = std::move(s);
  }
  auto rng = moments.find("rng.torch_cpu");
  check(rng != moments.end(), "checkpoint {} lacks the RNG state", dir.string());
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  generator.set_state(rng->second.to(at::kByte));
  const int64_t step = state.at("step").get<int64_t>();
  const at::Device device = model::device_of(net);
  if (device.is_cuda()) {
    at::Generator cuda = at::globalContext().defaultGenerator(device);
    auto saved = moments.find("rng.torch_cuda");
    if (saved != moments.end()) cuda.set_state(saved->second.to(at::kByte));
    else cuda.set_current_seed(static_cast<uint64_t>(state.value("seed", uint64_t{0})) + static_cast<uint64_t>(step));
  }
  return step;
}

// A data-parallel run starts every rank from rank 0's state: its step, weights and AdamW
// moments (rank 0 may have resumed from a checkpoint the others never saw, written by a run
// with another number of ranks). Returns the step. Each other rank then draws its own
// dropout stream.
int64_t start_from_rank0(model::BertNetImpl& net, MultiTensorAdamW& optimizer, int64_t step, uint64_t seed) {
  at::Tensor shared_step = at::full({1}, step, at::kLong);
  broadcast_from_rank0({shared_step});
  step = shared_step.item<int64_t>();
  std::vector<at::Tensor> state;
  for (auto& p : net.parameters()) {
    state.push_back(p);
    auto& s = optimizer.state_of(p);
    s.step(step);
    state.push_back(s.exp_avg());
    state.push_back(s.exp_avg_sq());
  }
  broadcast_from_rank0(state);
  const RankInfo& r = rank_info();
  if (r.rank != 0) at::manual_seed(seed + 1000003ull * static_cast<uint64_t>(r.rank) + static_cast<uint64_t>(step));
  return step;
}

// Drops metrics lines written after `step` by a run that was killed before its next checkpoint.
// Drops the lines of steps after `step` and returns the held-out evaluation recorded at
// `step` (empty when none was), which a finished run reports instead of evaluating again.
json truncate_metrics(const fs::path& path, int64_t step) {
  if (!fs::exists(path)) return json();
  std::ifstream in(path);
  std::string line, kept;
  json eval_at_step;
  while (std::getline(in, line)) {
    try {
      auto j = json::parse(line);
      if (j.contains("step") && j["step"].get<int64_t>() > step) continue;
      if (j.value("step", int64_t{-1}) == step && j.contains("eval")) eval_at_step = j["eval"];
    } catch (...) {
      continue;  // a line cut by the kill
    }
    kept += line + "\n";
  }
  write_file_atomic(path, kept);
  return eval_at_step;
}

}  // namespace

StepLoss TrainingTask::staged_loss(model::BertNetImpl&) {
  fail("this training task stages no batches (stage() returned a batch without a staged_loss())");
}

bool use_bf16(Precision precision, const at::Device& device) {
  switch (precision) {
    case Precision::Fp32: return false;
    case Precision::Bf16: return true;
    case Precision::Auto: return device.is_cuda() ? compat::cuda_has_bf16(device) : cpu_has_fast_bf16();
  }
  return false;
}

std::string RunIdentity::id() const { return sha256_hex(command + "\n" + settings.dump()); }

std::string settings_difference(const json& before, const json& now) {
  std::vector<std::string> lines;
  std::set<std::string> keys;
  for (auto it = before.begin(); it != before.end(); ++it) keys.insert(it.key());
  for (auto it = now.begin(); it != now.end(); ++it) keys.insert(it.key());
  for (const auto& k : keys) {
    const json a = before.contains(k) ? before[k] : json("(unset)");
    const json b = now.contains(k) ? now[k] : json("(unset)");
    if (a != b) lines.push_back(fmt::format("{}: {} -> {}", k, a.dump(), b.dump()));
  }
  return options::join(lines, "; ");
}

const options::OptionTable<TrainerOptions>& trainer_option_table() {
  static const options::OptionTable<TrainerOptions> table = [] {
    options::OptionTable<TrainerOptions> t;
    t.add("steps", &TrainerOptions::total_steps, "Optimizer steps").at_least(1);
    t.add("lr", &TrainerOptions::lr, "Peak learning rate").above(0).at_most(1);
    t.add("weight-decay", &TrainerOptions::weight_decay, "AdamW weight decay").range(0, 1);
    t.add("adam-eps", &TrainerOptions::adam_eps, "AdamW epsilon").above(0).at_most(1);
    t.add("warmup-fraction", &TrainerOptions::warmup_fraction, "Linear warm-up share of the steps").range(0, 1);
    t.add("grad-accum", &TrainerOptions::grad_accum, "Micro-batches per optimizer step").range(1, 4096);
    t.add("clip-norm", &TrainerOptions::clip_norm, "Gradient clipping norm (0: off)").at_least(0);
    t.add("precision", &TrainerOptions::precision, "Arithmetic: auto is bf16 autocast where the device computes bf16 natively (GPUs from Ampere, CPUs with AMX/AVX512-BF16)");
    t.add("log-every", &TrainerOptions::log_every, "Metrics interval (steps)").at_least(1).as(options::Role::Runtime);
    t.add("eval-every", &TrainerOptions::eval_every, "Held-out evaluation interval (steps; 0: at the end)")
        .at_least(0).as(options::Role::Runtime);
    t.add("checkpoint-every", &TrainerOptions::checkpoint_every, "Checkpoint interval (steps; 0: at the end)")
        .at_least(0).as(options::Role::Runtime);
    t.add("time-limit", &TrainerOptions::time_limit_minutes,
          "Stop after this many minutes of training (0: none), with a checkpoint and the model as it is; "
          "--resume continues the schedule")
        .range(0, 1e6).as(options::Role::Runtime);
    t.add("seed", &TrainerOptions::seed, "Random seed");
    t.add("cuda-graph", &TrainerOptions::cuda_graph,
          "On a GPU, capture the training step in a CUDA graph where the command allows it (fixed-shape batches, "
          "no gradient accumulation)")
        .as(options::Role::Runtime);
    return t;
  }();
  return table;
}

double scheduled_lr(const TrainerOptions& o, int64_t step) {
  if (o.constant_lr) return o.lr;
  int64_t warmup = o.warmup_steps >= 0 ? o.warmup_steps
                                       : static_cast<int64_t>(o.warmup_fraction * o.total_steps);
  if (step < warmup) return o.lr * static_cast<double>(step + 1) / static_cast<double>(warmup);
  double rest = static_cast<double>(o.total_steps - warmup);
  return o.lr * std::max(0.0, static_cast<double>(o.total_steps - step) / std::max(1.0, rest));
}

TrainResult train(model::BertNetImpl& net, TrainingTask& task, const TrainerOptions& o,
                  const fs::path& run_dir, bool resume, const RunIdentity& identity) {
  check(o.total_steps > 0, "the number of training steps must be positive, got {}", o.total_steps);
  check(o.grad_accum >= 1, "gradient accumulation must be at least 1, got {}", o.grad_accum);
  fs::create_directories(run_dir);
  TrainResult result;
  const at::Device device = model::device_of(net);
  result.bf16 = use_bf16(o.precision, device);
  // The resolved arithmetic, since `auto` means bf16 on some machines and fp32 on others and
  // runs compared across machines differ by it (also recorded as "bf16" in the model's JSON).
  const bool emulated = result.bf16 && device.is_cpu() && !cpu_has_fast_bf16();
  log_info("{}: arithmetic {} (--precision {}){}", o.label, result.bf16 ? "bf16 autocast" : "fp32",
           options::enum_name(o.precision), emulated ? "; warning: this CPU has no bf16 units, it will be slow" : "");

  std::vector<at::Tensor> decay, plain;
  for (const auto& p : net.named_parameters(true)) (no_decay(p.key()) ? plain : decay).push_back(p.value());
  auto adam = torch::optim::AdamWOptions(o.lr).betas({o.adam_beta1, o.adam_beta2}).eps(o.adam_eps);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(adam.weight_decay(o.weight_decay)));
  groups.emplace_back(plain, std::make_unique<torch::optim::AdamWOptions>(adam.weight_decay(0.0)));
  MultiTensorAdamW optimizer(std::move(groups), adam);

  const fs::path metrics = run_dir / "metrics.jsonl";
  int64_t step = 0;
  const auto checkpoints = complete_checkpoints(run_dir);
  fs::path ckpt;
  if (!checkpoints.empty()) {
    // The newest checkpoint decides: it is this run's, or the folder belongs to another run.
    const fs::path newest = checkpoints.back();
    const json state = read_json_file(newest / "state.json");
    check(resume, "{}: {} holds checkpoints of an earlier run; pass --resume to continue it, or --overwrite to "
          "start again", o.label, run_dir.string());
    if (state.value("run_id", "") != identity.id()) {
      const std::string diff = state.contains("settings") ? settings_difference(state["settings"], identity.settings)
                                                          : "the checkpoint records no settings";
      fail("{}: cannot resume {}: the checkpoint was written by a run with other settings ({}); resume with the "
           "same settings, or --overwrite to start again", o.label, run_dir.string(), diff.empty() ? "another command" : diff);
    }
    ckpt = newest;
  }
  if (!ckpt.empty()) {
    step = load_checkpoint(ckpt, net, optimizer);  // restores the dropout generator too
    log_info("{}: resumed from {} (step {})", o.label, ckpt.string(), step);
    result.last_eval = truncate_metrics(metrics, step);
  } else {
    if (resume) log_info("{}: nothing to resume in {}; starting fresh", o.label, run_dir.string());
    // Every fresh start seeds the dropout generator: libtorch seeds its default generator
    // from the OS, so an unseeded run differs from process to process.
    at::manual_seed(o.seed);
    if (fs::exists(metrics)) fs::remove(metrics);
  }
  if (data_parallel()) {
    start_data_parallel(identity.command + "\n" + identity.settings.dump(), device);
    step = start_from_rank0(net, optimizer, step, o.seed);
  }
  // The held-out evaluation, in the arithmetic the run trains in: an fp32 evaluation of bf16
  // training scores a few borderline rows differently.
  auto evaluate_now = [&] {
    net.eval();
    {
      at::NoGradGuard no_grad;
      compat::AutocastGuard autocast(device.type(), result.bf16);
      result.last_eval = task.evaluate(net);
    }
    net.train();
  };
  if (step >= o.total_steps) {
    log_info("{}: already at step {} of {}", o.label, step, o.total_steps);
    // A finished run reports the evaluation it recorded (truncate_metrics found it), so that
    // resuming it changes no figure.
    if (result.last_eval.empty()) evaluate_now();
    return result;
  }

  net.train();
  std::vector<at::Tensor> params = net.parameters();
  // The CUDA-graph path: a GPU, a libtorch that captures graphs, one micro-batch a step, one
  // process, and a task that stages its batches; steps it cannot stage still run eagerly.
  const bool graphs =
      o.cuda_graph && device.is_cuda() && compat::has_cuda_graphs() && o.grad_accum == 1 && !data_parallel();
  std::optional<compat::SideStreamGuard> side_stream;
  if (graphs) side_stream.emplace(device);
  GraphedStep graphed(params);
  std::vector<std::string> staged_part_names;  // the order of the parts in the graph's outputs
  bool graph_reported = false;
  Progress progress(o.label, o.total_steps, quiet_mode() ? 1e9 : 5.0);
  auto start = Clock::now();
  auto window_start = start;
  int64_t window_tokens = 0, window_steps = 0, window_first = step + 1;
  // Sums over the log window, kept on the device and read once a window.
  const auto on_device = at::TensorOptions().dtype(at::kDouble).device(device);
  at::Tensor window_loss = at::zeros({}, on_device), grad_norm = at::zeros({}, on_device);
  std::map<std::string, at::Tensor> window_parts;
  auto add_part = [&](const std::string& name, const at::Tensor& value, double weight) {
    at::Tensor v = value.detach().to(at::kDouble) * weight;
    auto it = window_parts.find(name);
    if (it == window_parts.end()) window_parts.emplace(name, v);
    else it->second = it->second + v;
  };
  for (; step < o.total_steps; ++step) {
    double lr = scheduled_lr(o, step);
    optimizer.set_lr(lr);
    const std::optional<int64_t> staged = graphs ? task.stage(net, step) : std::nullopt;
    if (staged) {
      // One step as the graph body: loss, backward, clipping and the update, nothing read on
      // the host; its outputs are the loss, the gradient norm and the parts, in that order.
      const std::vector<at::Tensor> outputs = graphed.run([&] {
        StepLoss part;
        {
          compat::AutocastGuard autocast(device.type(), result.bf16);
          part = task.staged_loss(net);
        }
        part.loss.backward();
        at::Tensor norm = o.clip_norm > 0 ? clip_grad_norm(params, o.clip_norm) : at::zeros({}, part.loss.options());
        optimizer.step();
        std::vector<at::Tensor> out = {part.loss.detach(), norm};
        staged_part_names.clear();
        for (const auto& [k, v] : part.parts) {
          staged_part_names.push_back(k);
          out.push_back(v.detach());
        }
        return out;
      });
      window_loss = window_loss + outputs[0].to(at::kDouble);
      grad_norm = outputs[1].to(at::kDouble);
      for (size_t i = 0; i < staged_part_names.size(); ++i) add_part(staged_part_names[i], outputs[i + 2], 1.0);
      window_tokens += *staged;
      if (!graph_reported && (graphed.captured() || !graphed.failure().empty())) {
        graph_reported = true;
        if (graphed.captured()) log_info("{}: the training step runs as a CUDA graph from step {}", o.label, step + 1);
      }
    } else {
      optimizer.zero_grad();
      for (int micro = 0; micro < o.grad_accum; ++micro) {
        StepLoss part;
        {
          compat::AutocastGuard autocast(device.type(), result.bf16);
          part = task.loss(net, step, micro);
        }
        (part.loss / o.grad_accum).backward();
        window_loss = window_loss + part.loss.detach().to(at::kDouble) / o.grad_accum;
        for (const auto& [k, v] : part.parts) add_part(k, v, 1.0 / o.grad_accum);
        window_tokens += part.tokens;
      }
      average_gradients(params);  // over the ranks of a data-parallel run
      if (o.clip_norm > 0) grad_norm = clip_grad_norm(params, o.clip_norm);
      optimizer.step();
    }
    ++window_steps;
    ++result.steps_run;

    const int64_t done = step + 1;
    bool last = done == o.total_steps;
    if (done % std::max<int64_t>(1, o.log_every) == 0 || last) {
      // The one host read of the window: the loss, its parts and the last gradient norm
      // (the loss and parts as means over the ranks, the tokens as their sum).
      const double loss = mean_over_ranks(window_loss.item<double>()) / window_steps;
      window_tokens =
          static_cast<int64_t>(std::llround(mean_over_ranks(static_cast<double>(window_tokens)) * rank_info().world));
      check(std::isfinite(loss),
            "{}: the loss became {} between steps {} and {}; lower the learning rate or check the data", o.label, loss,
            window_first, done);
      double secs = std::chrono::duration<double>(Clock::now() - window_start).count();
      json line = {{"step", done},
                   {"loss", loss},
                   {"lr", lr},
                   {"grad_norm", grad_norm.item<double>()},
                   {"tokens", window_tokens},
                   {"tokens_per_s", window_tokens / std::max(secs, 1e-9)},
                   {"elapsed_s", std::chrono::duration<double>(Clock::now() - start).count()}};
      std::string detail = fmt::format("loss {:.4f}", loss);
      for (const auto& [k, v] : window_parts) {
        const double mean = mean_over_ranks(v.item<double>()) / window_steps;
        line[k] = mean;
        detail += fmt::format(" {} {:.4f}", k, mean);
      }
      detail += fmt::format(" lr {:.2e} tok/s {:.0f}", lr, window_tokens / std::max(secs, 1e-9));
      append_json_line(metrics, line);
      progress.update(done, detail);
      window_start = Clock::now();
      window_tokens = window_steps = 0;
      window_first = done + 1;
      window_loss = at::zeros({}, on_device);
      window_parts.clear();
    }
    // A lease (a GPU machine, a batch job) ends at a fixed time: stop cleanly before it does,
    // evaluated and checkpointed like a last step.
    bool out_of_time = !last && o.time_limit_minutes > 0 &&
                       std::chrono::duration<double>(Clock::now() - start).count() >= 60 * o.time_limit_minutes;
    // Ranks stop together: as soon as one of them is out of time.
    if (data_parallel() && !last && o.time_limit_minutes > 0)
      out_of_time = mean_over_ranks(out_of_time ? 1.0 : 0.0) > 0;
    if ((o.eval_every > 0 && done % o.eval_every == 0) || last || out_of_time) {
      evaluate_now();
      if (!result.last_eval.empty()) {
        append_json_line(metrics, {{"step", done}, {"eval", result.last_eval}});
        log_info("{}: step {} held-out {}", o.label, done, result.last_eval.dump());
      }
    }
    if ((o.checkpoint_every > 0 && done % o.checkpoint_every == 0) || last || out_of_time) {
      // Graph replays count their steps on the device only; the checkpoint records them.
      if (graphed.captured()) optimizer.set_step_count(done);
      save_checkpoint(run_dir, done, net, optimizer, o, identity);
    }
    if (out_of_time) {
      log_info("{}: --time-limit {} min reached at step {} of {}; checkpointed (--resume continues)", o.label,
               o.time_limit_minutes, done, o.total_steps);
      result.stopped_at = done;
      break;
    }
  }
  net.eval();
  side_stream.reset();  // waits for the last step's work before the caller reads the model
  result.cuda_graph = graphed.captured();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  progress.finish(fmt::format("{} steps in {}", result.steps_run, format_duration(result.seconds)));
  return result;
}

}  // namespace porkit::train

const std::vector<std::pair<porkit::train::Precision, std::string>>&
porkit::options::EnumNames<porkit::train::Precision>::values() {
  static const std::vector<std::pair<porkit::train::Precision, std::string>> v = {
      {porkit::train::Precision::Auto, "auto"}, {porkit::train::Precision::Fp32, "fp32"},
      {porkit::train::Precision::Bf16, "bf16"}};
  return v;
}
