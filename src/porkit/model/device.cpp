#include "porkit/model/device.h"

#include <ATen/Context.h>

#include <regex>

#include "porkit/model/torch_compat.h"
#include "porkit/util/error.h"
#include "porkit/util/log.h"
#include "porkit/util/runtime.h"

namespace porkit::model {
namespace {

// torchrun's LOCAL_RANK and LOCAL_WORLD_SIZE (0 and 1 when unset).
int env_count(const char* name, long fallback) {
  const long value = env_integer(name, fallback);
  check(value >= 0 && value <= 4096, "{}={}: expected a count from 0 to 4096", name, value);
  return static_cast<int>(value);
}
int local_rank_from_env() { return env_count("LOCAL_RANK", 0); }
int ranks_on_this_host() { return env_count("LOCAL_WORLD_SIZE", env_count("WORLD_SIZE", 1)); }

}  // namespace

bool cuda_available() { return compat::cuda_device_count() > 0; }

at::Device resolve_device(const std::string& spec) {
  static const std::regex form("auto|cpu|cuda(:([0-9]{1,2}))?");
  std::smatch m;
  check(std::regex_match(spec, m, form), "--device: expected auto, cpu, cuda or cuda:N, got '{}'", spec);
  if (spec == "cpu") return at::Device(at::kCPU);
  const int count = compat::cuda_device_count();
  // Ranks of one host (torchrun, porkit launch) take the GPUs in turn by LOCAL_RANK, unless
  // --device names one. More ranks than GPUs share them: ranks sharing a grid may; NCCL
  // refuses two ranks of one training run on one GPU, in its own words.
  const int local_rank = ranks_on_this_host() > 1 ? local_rank_from_env() : 0;
  if (spec == "auto" && count == 0) return at::Device(at::kCPU);
  check(count > 0, "--device {}: {}; use --device cpu or auto", spec,
        compat::has_cuda_build() ? "no CUDA device is visible" : "this porkit is built with a CPU-only libtorch");
  const int index = m[2].matched ? std::stoi(m[2].str()) : local_rank % count;
  check(index < count, "--device {}: only {} CUDA device(s) are visible (cuda:0..cuda:{})", spec, count, count - 1);
  return at::Device(at::kCUDA, static_cast<at::DeviceIndex>(index));
}

std::string describe_device(const at::Device& device) {
  if (device.is_cpu()) return "cpu";
  return device.str() + " (" + compat::cuda_device_name(device) + ")";
}

at::Device device_of(const torch::nn::Module& module) {
  const auto params = module.parameters();
  return params.empty() ? at::Device(at::kCPU) : params.front().device();
}

void configure_device_numerics(bool allow_tf32) {
  at::globalContext().setAllowTF32CuBLAS(allow_tf32);
  at::globalContext().setAllowTF32CuDNN(allow_tf32);
}

at::Device start_run(const RunSettings& run, const std::string& command) {
  configure_runtime(run.threads);
  const at::Device device = resolve_device(run.device);
  configure_device_numerics(run.allow_tf32);
  if (device.is_cuda()) log_info("{}: device {}{}", command, describe_device(device), run.allow_tf32 ? ", TF32 allowed" : "");
  return device;
}

}  // namespace porkit::model
