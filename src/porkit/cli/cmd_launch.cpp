// porkit launch --nproc N -- porkit pretrain|finetune|inject|study|zoo ...: N copies of a
// command on this host: a training command as one data-parallel run, a study or zoo as N
// ranks sharing out its cells or members. They run in torchrun's environment (RANK,
// WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT; train/data_parallel.h).
// Should one copy fail, the launcher stops the others at once and fails with that copy's
// exit code in its message. Across hosts, use torchrun or srun with the same variables.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "porkit/cli/commands.h"
#include "porkit/cli/option_flags.h"
#include "porkit/util/error.h"
#include "porkit/util/log.h"

namespace porkit::cli {
namespace {

struct LaunchOptions {
  int nproc = 2;
  int master_port = 0;  // 0: a free port
  std::vector<std::string> command;
};

// A TCP port on 127.0.0.1 that nothing listens on now (rank 0's store binds it moments later).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  check(fd >= 0, "launch: cannot open a socket to find a free port ({})", std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  close(fd);
  check(ok, "launch: cannot find a free port on 127.0.0.1 ({}); pass --master-port", std::strerror(errno));
  return ntohs(a.sin_port);
}

// This executable's path, so that `porkit` in the command means this very binary.
std::string self_path() {
  char buffer[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "porkit";
}

void run_launch(const LaunchOptions& o) {
  check(!o.command.empty(), "no command to launch: porkit launch --nproc N -- porkit pretrain|finetune|inject ...");
  const std::string& program = o.command.front();
  const bool is_porkit = program.find("porkit") != std::string::npos;
  check(!is_porkit || o.command.size() < 2 || o.command[1] == "pretrain" || o.command[1] == "finetune" ||
            o.command[1] == "inject" || o.command[1] == "study" || o.command[1] == "zoo",
        "launch: data-parallel runs are pretrain, finetune and inject; study and zoo share out their cells; got '{}'",
        o.command.size() > 1 ? o.command[1] : "");
  const int port = o.master_port > 0 ? o.master_port : free_port();
  std::vector<std::string> args = o.command;
  if (program == "porkit") args.front() = self_path();
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<pid_t> pids;
  for (int rank = 0; rank < o.nproc; ++rank) {
    const pid_t pid = fork();
    check(pid >= 0, "launch: cannot start rank {} ({})", rank, std::strerror(errno));
    if (pid == 0) {
      const std::string r = std::to_string(rank), n = std::to_string(o.nproc), p = std::to_string(port);
      setenv("RANK", r.c_str(), 1);
      setenv("LOCAL_RANK", r.c_str(), 1);
      setenv("WORLD_SIZE", n.c_str(), 1);
      setenv("LOCAL_WORLD_SIZE", n.c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", p.c_str(), 1);
      if (rank != 0) setenv("PORKIT_QUIET", "1", 0);  // one progress display: rank 0's
      execvp(argv[0], argv.data());
      std::fprintf(stderr, "porkit: error: launch: cannot run %s (%s)\n", argv[0], std::strerror(errno));
      _exit(127);
    }
    pids.push_back(pid);
  }
  log_info("launch: {} ranks of `{}` on 127.0.0.1:{}", o.nproc, options::join(o.command, " "), port);
  int failed_rank = -1, failed_code = 0, running = o.nproc;
  while (running > 0) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    --running;
    int rank = 0;
    while (rank < o.nproc && pids[static_cast<size_t>(rank)] != pid) ++rank;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    if (code != 0 && failed_rank < 0) {
      failed_rank = rank;
      failed_code = code;
      // The others would only wait for the missing rank until their collectives time out.
      for (int k = 0; k < o.nproc; ++k)
        if (k != rank) kill(pids[static_cast<size_t>(k)], SIGTERM);
    }
  }
  check(failed_rank < 0, "launch: rank {} of {} failed (exit {}); the other ranks were stopped", failed_rank, o.nproc,
        failed_code);
}

}  // namespace

void register_launch(CLI::App& app) {
  static const options::OptionTable<LaunchOptions> table = [] {
    options::OptionTable<LaunchOptions> t;
    t.add("nproc", &LaunchOptions::nproc, "Ranks (processes) on this host").range(1, 256);
    t.add("master-port", &LaunchOptions::master_port, "Port of rank 0's store on 127.0.0.1 (0: a free one)")
        .range(0, 65535);
    return t;
  }();
  auto given = std::make_shared<GivenValues>();
  auto command = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand(
      "launch", "Run a training command as N data-parallel ranks on this host (torch.distributed: Gloo on the CPU, NCCL on GPUs)");
  cmd->add_option("command", *command, "The command, after --: porkit pretrain|finetune|inject|study|zoo ...");
  add_flags(*cmd, table, LaunchOptions{}, given);
  cmd->callback([given, command] {
    LaunchOptions o = resolve_options(table, LaunchOptions{}, json(), "", *given, "porkit launch");
    for (const auto& a : *command) o.command.push_back(original_argument(a));
    run_launch(o);
  });
}

}  // namespace porkit::cli
