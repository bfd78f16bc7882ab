#include "porkit/train/data_parallel.h"

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <system_error>

#include "porkit/util/error.h"
#include "porkit/util/log.h"
#include "porkit/util/runtime.h"

// The backends this build has: Gloo (CPU tensors) with Gloo's headers, NCCL (CUDA tensors)
// with a CUDA libtorch built with it (CMakeLists.txt checks both). Either brings the store.
#if defined(PORKIT_WITH_GLOO)
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#if defined(PORKIT_WITH_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#if defined(PORKIT_WITH_GLOO) || defined(PORKIT_WITH_NCCL)
#define PORKIT_WITH_C10D 1
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace porkit::train {
namespace {

constexpr size_t kBucketBytes = 25u << 20;  // all-reduce bucket, as DistributedDataParallel's default

// An exception's message up to its first line break (libtorch appends backtraces).
std::string first_line(const std::exception& e) {
  const std::string what = e.what();
  return what.substr(0, what.find('\n'));
}

std::string env_text(const char* name) {
  const char* text = std::getenv(name);
  return text ? text : "";
}

double timeout_seconds() {
  const long s = env_integer("PORKIT_DIST_TIMEOUT", 120);
  check(s >= 1 && s <= 86400, "PORKIT_DIST_TIMEOUT={}: expected seconds from 1 to 86400", s);
  return static_cast<double>(s);
}

// Scratch folders of ranks other than 0, removed when the process exits.
struct ScratchFolders {
  std::mutex mutex;
  std::vector<std::filesystem::path> paths;
  ~ScratchFolders() {
    for (const auto& p : paths) {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  }
};
ScratchFolders& scratch_folders() {
  static ScratchFolders folders;
  return folders;
}

bool g_grid_sharing = false;

// What a build without the backend a run needs says.
std::string missing_backend(bool cuda) {
  return cuda ? "this porkit was built without NCCL (a CUDA libtorch built with NCCL, and nccl.h, are needed)"
              : "this porkit was built without Gloo's headers (install libgloo-dev and rebuild)";
}

#if defined(PORKIT_WITH_C10D)

// The process group: its store, and the one backend the run's device needs.
struct Group {
  c10::intrusive_ptr<c10d::Store> store;
#if defined(PORKIT_WITH_GLOO)
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#endif
#if defined(PORKIT_WITH_NCCL)
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
  bool started = false;
  at::Device device = at::Device(at::kCPU);  // where the collectives' tensors live
  std::string fingerprint;
};

Group& group() {
  static Group g;
  return g;
}

// Waits for a collective, turning a failure (a rank gone, a timeout) into one clear line.
void wait_for(const char* what, const c10::intrusive_ptr<c10d::Work>& work) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    const std::string why = first_line(e);
    fail("rank {} of {}: the {} across ranks failed ({}); another rank has probably stopped (collectives wait at "
         "most PORKIT_DIST_TIMEOUT = {:.0f} s)", rank_info().rank, rank_info().world, what, why, timeout_seconds());
  }
}

// A tensor that goes through a collective must be on the group's device (CPU for Gloo, this
// rank's GPU for NCCL).
void check_on_group_device(const at::Tensor& t) {
  const at::Device& d = group().device;
  check(t.device() == d, "data-parallel training: a tensor on {} reached a collective of the {} process group on {}",
        t.device().str(), d.is_cuda() ? "NCCL" : "Gloo", d.str());
}

// Runs `call` on the group's backend (NCCL or Gloo, whichever the run's device started),
// after checking that every tensor is on the group's device.
template <class Call>
c10::intrusive_ptr<c10d::Work> collective(const std::vector<at::Tensor>& tensors, Call call) {
  check(group().started, "data-parallel training: the process group was not started");
  for (const auto& t : tensors) check_on_group_device(t);
#if defined(PORKIT_WITH_NCCL)
  if (group().nccl) return call(*group().nccl);
#endif
#if defined(PORKIT_WITH_GLOO)
  if (group().gloo) return call(*group().gloo);
#endif
  fail("data-parallel training: the process group has no backend");
}

c10::intrusive_ptr<c10d::Work> allreduce(std::vector<at::Tensor>& tensors) {
  return collective(tensors, [&](auto& backend) { return backend.allreduce(tensors); });
}

c10::intrusive_ptr<c10d::Work> broadcast(std::vector<at::Tensor>& tensors, const c10d::BroadcastOptions& o) {
  return collective(tensors, [&](auto& backend) { return backend.broadcast(tensors, o); });
}

// The backend of the run's device, over the joined store.
void start_backend(const at::Device& device) {
  const RankInfo& r = rank_info();
  Group& g = group();
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(1000 * timeout_seconds()));
  const std::string backend = device.is_cuda() ? "NCCL" : "Gloo";
  try {
    if (device.is_cuda()) {
#if defined(PORKIT_WITH_NCCL)
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      g.nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(g.store, r.rank, r.world, options);
#endif
    } else {
#if defined(PORKIT_WITH_GLOO)
      const std::string address = env_text("MASTER_ADDR"), interface = env_text("GLOO_SOCKET_IFNAME");
      auto options = c10d::ProcessGroupGloo::Options::create(timeout);
      const bool loopback = address == "localhost" || address.rfind("127.", 0) == 0;
      options->devices.push_back(!interface.empty() ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                                 : loopback         ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                                    : c10d::ProcessGroupGloo::createDefaultDevice());
      options->threads = 1;
      g.gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(g.store, r.rank, r.world, options);
#endif
    }
  } catch (const std::exception& e) {
    const std::string why = first_line(e);
    fail("rank {} of {}: the {} process group did not form within {:.0f} s ({})", r.rank, r.world, backend,
         timeout_seconds(), why);
  }
  g.device = device;
  g.started = true;
}

// Every rank's fingerprint against rank 0's, through the store: rank 0 compares and posts a
// verdict every rank reads, so that all stop with the same message.
void check_fingerprints(c10d::Store& store, const std::string& fingerprint) {
  const RankInfo& r = rank_info();
  auto bytes = [](const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); };
  store.set("porkit/fingerprint/" + std::to_string(r.rank), bytes(fingerprint));
  if (r.rank == 0) {
    std::string verdict = "ok";
    for (int k = 1; k < r.world && verdict == "ok"; ++k) {
      const auto theirs = store.get("porkit/fingerprint/" + std::to_string(k));
      if (std::string(theirs.begin(), theirs.end()) != fingerprint)
        verdict = fmt::format("rank {} was started with other settings than rank 0 (same command and options on "
                              "every rank expected)", k);
    }
    store.set("porkit/verdict", bytes(verdict));
  }
  const auto v = store.get("porkit/verdict");
  const std::string verdict(v.begin(), v.end());
  check(verdict == "ok", "data-parallel training: {}", verdict);
}

// The process group's store (rank 0 serves it), joined once, with every rank's fingerprint
// checked against rank 0's.
void join_store(const std::string& fingerprint) {
  const RankInfo& r = rank_info();
  Group& g = group();
  if (g.store) return;
  const std::string address = env_text("MASTER_ADDR"), port_text = env_text("MASTER_PORT");
  check(!address.empty() && !port_text.empty(),
        "WORLD_SIZE={} without MASTER_ADDR and MASTER_PORT: set both (torchrun's convention), or start the ranks "
        "with `porkit launch`", r.world);
  const long port = env_integer("MASTER_PORT", 0);
  check(port >= 1 && port <= 65535, "MASTER_PORT={}: expected a port from 1 to 65535", port);
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(1000 * timeout_seconds()));
  c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(port);
  so.isServer = r.rank == 0;
  so.numWorkers = static_cast<size_t>(r.world);
  so.waitWorkers = true;
  so.timeout = timeout;
  try {
    g.store = c10::make_intrusive<c10d::TCPStore>(address, so);
  } catch (const std::exception& e) {
    const std::string why = first_line(e);
    fail("rank {} of {}: the process group's store at {}:{} did not form within {:.0f} s ({}); are all ranks "
         "started, and is the address reachable?", r.rank, r.world, address, port, timeout_seconds(), why);
  }
  try {
    check_fingerprints(*g.store, fingerprint);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    const std::string why = first_line(e);
    fail("rank {} of {}: the other ranks did not all join within {:.0f} s ({})", r.rank, r.world, timeout_seconds(),
         why);
  }
}


#endif

}  // namespace

const RankInfo& rank_info() {
  static const RankInfo info = [] {
    RankInfo r;
    const long world = env_integer("WORLD_SIZE", 1), rank = env_integer("RANK", 0);
    check(world >= 1 && world <= 4096, "WORLD_SIZE={}: expected 1 to 4096 ranks", world);
    check(rank >= 0 && rank < world, "RANK={}: expected 0 to WORLD_SIZE - 1 = {}", rank, world - 1);
    r.world = static_cast<int>(world);
    r.rank = static_cast<int>(rank);
    return r;
  }();
  return info;
}

bool data_parallel() { return rank_info().world > 1 && !g_grid_sharing; }

bool has_data_parallel_backend(const at::Device& device) {
  if (device.is_cuda()) {
#if defined(PORKIT_WITH_NCCL)
    return true;
#endif
    return false;
  }
#if defined(PORKIT_WITH_GLOO)
  return true;
#endif
  return false;
}

bool has_grid_store() {
#if defined(PORKIT_WITH_C10D)
  return true;
#else
  return false;
#endif
}

void start_data_parallel(const std::string& fingerprint, const at::Device& device) {
  const RankInfo& r = rank_info();
  if (r.world == 1) return;
  check(has_data_parallel_backend(device), "WORLD_SIZE={} asks for data-parallel training on {}, but {}", r.world,
        device.str(), missing_backend(device.is_cuda()));
#if defined(PORKIT_WITH_C10D)
  Group& g = group();
  if (g.started) {
    check(fingerprint == g.fingerprint, "data-parallel training: one process runs one training command");
    return;
  }
  join_store(fingerprint);
  start_backend(device);
  g.fingerprint = fingerprint;
  log_info("data-parallel: rank {} of {}, {} over {}:{}", r.rank, r.world, device.is_cuda() ? "NCCL" : "Gloo",
           env_text("MASTER_ADDR"), env_integer("MASTER_PORT", 0));
#endif
}

std::pair<size_t, size_t> rank_slice(size_t n) {
  if (!data_parallel()) return {0, n};  // one process, or ranks sharing a grid: the whole batch
  const RankInfo& r = rank_info();
  const size_t world = static_cast<size_t>(r.world), rank = static_cast<size_t>(r.rank);
  const size_t begin = n * rank / world, end = n * (rank + 1) / world;
  check(begin < end, "a batch of {} rows cannot be shared by {} ranks (each needs at least one row): use a larger "
        "batch or fewer ranks", n, r.world);
  return {begin, end};
}

void average_gradients(const std::vector<at::Tensor>& params) {
  if (!data_parallel()) return;
#if defined(PORKIT_WITH_C10D)
  std::vector<at::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  for (size_t first = 0; first < grads.size();) {
    // One bucket: consecutive gradients up to ~25 MB, flattened into one buffer.
    size_t last = first, bytes = 0;
    std::vector<at::Tensor> flat_parts;
    while (last < grads.size() && (last == first || bytes + grads[last].nbytes() <= kBucketBytes)) {
      bytes += grads[last].nbytes();
      flat_parts.push_back(grads[last].reshape({-1}));
      ++last;
    }
    std::vector<at::Tensor> bucket = {at::cat(flat_parts)};  // (sum of numels)
    wait_for("gradient all-reduce", allreduce(bucket));
    bucket[0].div_(static_cast<double>(rank_info().world));
    int64_t offset = 0;
    for (size_t i = first; i < last; ++i) {
      const int64_t n = grads[i].numel();
      grads[i].view({-1}).copy_(bucket[0].narrow(0, offset, n));
      offset += n;
    }
    first = last;
  }
#endif
}

void broadcast_from_rank0(const std::vector<at::Tensor>& tensors) {
  if (!data_parallel()) return;
#if defined(PORKIT_WITH_C10D)
  at::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    // The step counter and other bookkeeping start on the CPU; NCCL moves CUDA tensors only.
    const at::Device d = group().device;
    std::vector<at::Tensor> one = {t.device() == d && t.is_contiguous() ? t : t.to(d).contiguous()};
    c10d::BroadcastOptions o;
    o.rootRank = 0;
    wait_for("broadcast of rank 0's state", broadcast(one, o));
    if (!one[0].is_same(t)) t.copy_(one[0]);
  }
#endif
}

double mean_over_ranks(double value) {
  if (!data_parallel()) return value;
#if defined(PORKIT_WITH_C10D)
  std::vector<at::Tensor> one = {at::full({1}, value, at::TensorOptions().dtype(at::kDouble).device(group().device))};
  wait_for("all-reduce of the logged figures", allreduce(one));
  return one[0].item<double>() / rank_info().world;
#else
  return value;
#endif
}

std::filesystem::path output_for_rank(const std::filesystem::path& out) {
  const RankInfo& r = rank_info();
  if (r.rank == 0 || g_grid_sharing) return out;
  std::filesystem::path absolute = std::filesystem::absolute(out).lexically_normal();
  if (absolute.filename().empty()) absolute = absolute.parent_path();
  const std::filesystem::path scratch =
      absolute.parent_path() / fmt::format(".porkit-rank-{}-{}", r.rank, absolute.filename().string());
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);  // a leftover of a killed run: this rank's own
  std::lock_guard<std::mutex> lock(scratch_folders().mutex);
  scratch_folders().paths.push_back(scratch);
  return scratch;
}

void start_grid_sharing(const std::string& fingerprint) {
  const RankInfo& r = rank_info();
  if (r.world == 1) return;
  check(has_grid_store(),
        "WORLD_SIZE={} asks for ranks sharing a grid, but this porkit was built without torch.distributed's store "
        "(install libgloo-dev and rebuild)", r.world);
#if defined(PORKIT_WITH_C10D)
  join_store(fingerprint);
  g_grid_sharing = true;
  log_info("grid: rank {} of {} takes cells as they come", r.rank, r.world);
#endif
}

bool grid_sharing() { return g_grid_sharing; }

std::optional<size_t> next_grid_unit(const std::string& grid, size_t units) {
  if (!g_grid_sharing) return std::nullopt;
#if defined(PORKIT_WITH_C10D)
  const int64_t taken = group().store->add("porkit/grid/" + grid + "/next", 1);  // 1 for the first taker
  const size_t unit = static_cast<size_t>(taken - 1);
  if (unit < units) return unit;
#endif
  return std::nullopt;
}

void rank0_first(const std::string& grid, const std::function<void()>& work) {
  if (!g_grid_sharing) {
    work();
    return;
  }
#if defined(PORKIT_WITH_C10D)
  const std::string key = "porkit/grid/" + grid + "/ready";
  if (rank_info().rank == 0) {
    work();
    group().store->set(key, {'1'});
  } else {
    group().store->wait({key}, std::chrono::hours(24));
  }
#endif
}

void finish_grid_unit(const std::string& grid, size_t unit, const std::string& result) {
#if defined(PORKIT_WITH_C10D)
  if (!g_grid_sharing) return;
  const std::string text = result.empty() ? "done" : result;
  group().store->set("porkit/grid/" + grid + "/done/" + std::to_string(unit),
                     std::vector<uint8_t>(text.begin(), text.end()));
#endif
}

std::string grid_result(const std::string& grid, size_t unit) {
#if defined(PORKIT_WITH_C10D)
  if (g_grid_sharing) {
    const auto bytes = group().store->get("porkit/grid/" + grid + "/done/" + std::to_string(unit));
    return std::string(bytes.begin(), bytes.end());
  }
#endif
  fail("grid_result: this process shares no grid");
}

void wait_for_grid(const std::string& grid, size_t units) {
#if defined(PORKIT_WITH_C10D)
  if (!g_grid_sharing) return;
  std::vector<std::string> keys;
  for (size_t u = 0; u < units; ++u) keys.push_back("porkit/grid/" + grid + "/done/" + std::to_string(u));
  group().store->wait(keys, std::chrono::hours(24 * 365));
#endif
}

}  // namespace porkit::train
