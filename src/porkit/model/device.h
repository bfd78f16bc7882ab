// Where models run. --device auto|cpu|cuda|cuda:N is resolved once per command against what
// this libtorch build and this machine have; everything a run keeps (checkpoints, generator
// states, results) is stored device-independently, so a run started on a GPU resumes on a CPU
// and the other way round.
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <string>

#include "porkit/util/run_settings.h"

namespace porkit::model {

// "auto": a CUDA device when this build and machine have one, else the CPU. "cuda" or
// "cuda:N" without CUDA is an error that says what this build has. "auto" and "cuda" give
// cuda:0, or, for ranks of one host (LOCAL_RANK, LOCAL_WORLD_SIZE or WORLD_SIZE set, as
// torchrun and porkit launch do), cuda:(LOCAL_RANK mod the GPUs visible).
at::Device resolve_device(const std::string& spec);

bool cuda_available();

// "cpu", or "cuda:0 (NVIDIA H200, 139 GiB)".
std::string describe_device(const at::Device& device);

// The device a module's parameters are on.
at::Device device_of(const torch::nn::Module& module);

// Process-wide numerics of CUDA matrix products: TF32 stays off unless asked for, so that
// CPU-vs-GPU parity means something.
void configure_device_numerics(bool allow_tf32);

// What every command that runs a model does first: applies the run's threads and TF32
// setting, resolves its device and logs where it runs.
at::Device start_run(const RunSettings& run, const std::string& command);

}  // namespace porkit::model
