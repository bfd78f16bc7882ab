#include "porkit/train/data_parallel.h"

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <system_error>

#include "porkit/util/error.h"
#include "porkit/util/log.h"

#if defined(PORKIT_WITH_GLOO)
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace porkit::train {
namespace {

constexpr size_t kBucketBytes = 25u << 20;  // all-reduce bucket, as DistributedDataParallel's default

// An integer from the environment: `fallback` when unset, an error when malformed.
long env_integer(const char* name, long fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  check(end != nullptr && *end == '\0', "{}={}: expected an integer", name, text);
  return value;
}

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

#if defined(PORKIT_WITH_GLOO)

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
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

c10d::ProcessGroupGloo& gloo() {
  check(group().gloo, "data-parallel training: the process group was not started");
  return *group().gloo;
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

bool has_data_parallel_backend() {
#if defined(PORKIT_WITH_GLOO)
  return true;
#else
  return false;
#endif
}

void start_data_parallel(const std::string& fingerprint) {
  const RankInfo& r = rank_info();
  if (r.world == 1) return;
  check(has_data_parallel_backend(),
        "WORLD_SIZE={} asks for data-parallel training, but this porkit was built without Gloo's headers "
        "(install libgloo-dev and rebuild)", r.world);
#if defined(PORKIT_WITH_GLOO)
  Group& g = group();
  if (g.gloo) {
    check(fingerprint == g.fingerprint, "data-parallel training: one process runs one training command");
    return;
  }
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(1000 * timeout_seconds()));
  join_store(fingerprint);
  const std::string address = env_text("MASTER_ADDR");
  const long port = env_integer("MASTER_PORT", 0);
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  const std::string interface = env_text("GLOO_SOCKET_IFNAME");
  const bool loopback = address == "localhost" || address.rfind("127.", 0) == 0;
  options->devices.push_back(!interface.empty() ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                             : loopback         ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                                : c10d::ProcessGroupGloo::createDefaultDevice());
  options->threads = 1;
  try {
    g.gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(g.store, r.rank, r.world, options);
  } catch (const std::exception& e) {
    const std::string why = first_line(e);
    fail("rank {} of {}: the Gloo process group did not form within {:.0f} s ({})", r.rank, r.world,
         timeout_seconds(), why);
  }
  g.fingerprint = fingerprint;
  log_info("data-parallel: rank {} of {}, Gloo over {}:{}", r.rank, r.world, address, port);
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
#if defined(PORKIT_WITH_GLOO)
  std::vector<at::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  for (size_t first = 0; first < grads.size();) {
    // One bucket: consecutive gradients up to ~25 MB, flattened into one buffer.
    size_t last = first, bytes = 0;
    std::vector<at::Tensor> flat_parts;
    while (last < grads.size() && (last == first || bytes + grads[last].nbytes() <= kBucketBytes)) {
      check(grads[last].is_cpu(), "data-parallel training runs on the CPU (Gloo); use --device cpu");
      bytes += grads[last].nbytes();
      flat_parts.push_back(grads[last].reshape({-1}));
      ++last;
    }
    std::vector<at::Tensor> bucket = {at::cat(flat_parts)};  // (sum of numels)
    wait_for("gradient all-reduce", gloo().allreduce(bucket));
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
#if defined(PORKIT_WITH_GLOO)
  at::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    check(t.is_cpu(), "data-parallel training runs on the CPU (Gloo); use --device cpu");
    std::vector<at::Tensor> one = {t.is_contiguous() ? t : t.contiguous()};
    c10d::BroadcastOptions o;
    o.rootRank = 0;
    wait_for("broadcast of rank 0's state", gloo().broadcast(one, o));
    if (!one[0].is_same(t)) t.copy_(one[0]);
  }
#endif
}

double mean_over_ranks(double value) {
  if (!data_parallel()) return value;
#if defined(PORKIT_WITH_GLOO)
  std::vector<at::Tensor> one = {at::full({1}, value, at::kDouble)};
  wait_for("all-reduce of the logged figures", gloo().allreduce(one));
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
  check(has_data_parallel_backend(),
        "WORLD_SIZE={} asks for ranks sharing a grid, but this porkit was built without Gloo's headers (install "
        "libgloo-dev and rebuild)", r.world);
#if defined(PORKIT_WITH_GLOO)
  join_store(fingerprint);
  g_grid_sharing = true;
  log_info("grid: rank {} of {} takes cells as they come", r.rank, r.world);
#endif
}

bool grid_sharing() { return g_grid_sharing; }

std::optional<size_t> next_grid_unit(const std::string& grid, size_t units) {
  if (!g_grid_sharing) return std::nullopt;
#if defined(PORKIT_WITH_GLOO)
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
#if defined(PORKIT_WITH_GLOO)
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
#if defined(PORKIT_WITH_GLOO)
  if (!g_grid_sharing) return;
  const std::string text = result.empty() ? "done" : result;
  group().store->set("porkit/grid/" + grid + "/done/" + std::to_string(unit),
                     std::vector<uint8_t>(text.begin(), text.end()));
#endif
}

std::string grid_result(const std::string& grid, size_t unit) {
#if defined(PORKIT_WITH_GLOO)
  if (g_grid_sharing) {
    const auto bytes = group().store->get("porkit/grid/" + grid + "/done/" + std::to_string(unit));
    return std::string(bytes.begin(), bytes.end());
  }
#endif
  fail("grid_result: this process shares no grid");
}

void wait_for_grid(const std::string& grid, size_t units) {
#if defined(PORKIT_WITH_GLOO)
  if (!g_grid_sharing) return;
  std::vector<std::string> keys;
  for (size_t u = 0; u < units; ++u) keys.push_back("porkit/grid/" + grid + "/done/" + std::to_string(u));
  group().store->wait(keys, std::chrono::hours(24 * 365));
#endif
}

}  // namespace porkit::train
