// Data-parallel training over torch.distributed's c10d (Gloo on the CPU, NCCL on CUDA), in
// torchrun's convention: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT in the
// environment, as torchrun, Slurm's srun (with the variables exported) or `porkit launch` set
// them. On CUDA each rank takes the GPU of its LOCAL_RANK (model/device.h).
//
// Every rank takes its slice of the same global batch (rank_slice: EpochBatches and the
// pre-training sampler call it), gradients are averaged with one all-reduce per bucket of
// ~25 MB before clipping and AdamW, and every rank then holds the same model. Rank 0 alone
// writes the output folder; the others write the same files into a scratch sibling that is
// removed when they exit (output_for_rank). At the start of training rank 0's weights,
// optimizer moments and step are broadcast, so a run resumes from rank 0's checkpoint with any
// number of ranks. Ranks that were given different settings stop at start-up with an error;
// a rank that dies makes the others fail within the collective timeout
// (PORKIT_DIST_TIMEOUT, seconds, default 120) instead of hanging.
#pragma once
#include <ATen/ATen.h>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace porkit::train {

// This process's place in the run, from the environment (rank 0 of 1 without WORLD_SIZE).
struct RankInfo {
  int rank = 0;
  int world = 1;
};
const RankInfo& rank_info();
// Whether the ranks train together (more than one rank, and not sharing out a grid).
bool data_parallel();

// Whether this build has the backend for tensors on `device`: Gloo (built with Gloo's headers)
// for the CPU, NCCL (a CUDA libtorch built with it) for CUDA.
bool has_data_parallel_backend(const at::Device& device = at::Device(at::kCPU));
// Whether this build can join torch.distributed's store (either backend brings it): what
// ranks sharing a grid need.
bool has_grid_store();

// Joins the process group (once; later calls only check that `fingerprint` is the one the
// group started with), with the backend of `device`, where the model and its gradients live.
// `fingerprint` names the command and its effective settings: ranks whose fingerprints differ
// stop with an error naming the first that differs. A no-op without data parallelism.
void start_data_parallel(const std::string& fingerprint, const at::Device& device);

// The rows [begin, end) of this rank's slice of a global batch of n rows ([0, n) unless the
// ranks train together). A slice that would be empty (n smaller than the number of ranks) is
// an error that says so.
std::pair<size_t, size_t> rank_slice(size_t n);

// Averages the gradients of `params` over the ranks (those without a gradient are skipped;
// every rank has the same set).
void average_gradients(const std::vector<at::Tensor>& params);
// Every rank's tensors[i] becomes rank 0's, in place.
void broadcast_from_rank0(const std::vector<at::Tensor>& tensors);
// The mean of `value` over the ranks.
double mean_over_ranks(double value);

// Where this rank writes the output folder `out`: `out` on rank 0; elsewhere a scratch
// sibling, emptied now and removed when the process exits. `out` itself when sharing a grid.
std::filesystem::path output_for_rank(const std::filesystem::path& out);

// Grids (porkit study) share out their cells instead of their batches: each rank runs whole
// units of cells alone, handed out one at a time by a counter in the process group's store,
// into the one output folder (a shared filesystem across hosts), and rank 0 then assembles
// the result. Joins the store (no Gloo); from then on data_parallel() is false and
// output_for_rank() returns its argument. A no-op with one rank.
void start_grid_sharing(const std::string& fingerprint);
bool grid_sharing();
// The next of `units` units of `grid` for this rank, or nothing once all are handed out.
std::optional<size_t> next_grid_unit(const std::string& grid, size_t units);
// Rank 0 runs `work` (claiming the output folder, say) while the other ranks wait for it to
// finish; without grid sharing every process just runs it.
void rank0_first(const std::string& grid, const std::function<void()>& work);
// Marks unit `unit` of `grid` done, with its result (a short text, JSON say) for rank 0.
void finish_grid_unit(const std::string& grid, size_t unit, const std::string& result = "");
// The result a rank posted for a finished unit.
std::string grid_result(const std::string& grid, size_t unit);
// Waits (without a time limit: cells take what they take; a rank that dies is stopped by its
// launcher) until every unit of `grid` is done.
void wait_for_grid(const std::string& grid, size_t units);

}  // namespace porkit::train
