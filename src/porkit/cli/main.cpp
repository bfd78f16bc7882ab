// porkit: one binary, one subcommand per job. Errors from anywhere below are caught here
// once and printed as a single line with a non-zero exit code.
#include <c10/util/Exception.h>

#include <cstdio>
#include <string>

#include "porkit/cli/argv_guard.h"
#include "porkit/cli/commands.h"
#include "porkit/util/error.h"
#include "porkit/util/runtime.h"

namespace {

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

int report(const std::string& message) {
  std::fprintf(stderr, "porkit: error: %s\n", first_line(message).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  porkit::reexec_with_blas_coretype_if_needed(argc, argv);
  // CLI11 would split "[a,b]" into a list; see argv_guard.h.
  std::vector<std::string> guarded = porkit::cli::guard_bracketed_arguments(argc, argv);
  CLI::App app{"porkit: task-agnostic backdoor research for BERT-style encoders "
               "(Shen et al., CCS 2021)", "porkit"};
  // Usage errors are one line too; subcommands inherit this when they are added.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "porkit: error: " + first_line(e.what()) + " (see --help)\n";
  });
  app.set_version_flag("--version", std::string("porkit ") + PORKIT_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  porkit::cli::register_info(app);
  porkit::cli::register_tokenize(app);
  porkit::cli::register_encode(app);
  porkit::cli::register_init(app);
  porkit::cli::register_pretrain(app);
  porkit::cli::register_fill_mask(app);
  porkit::cli::register_quality(app);
  porkit::cli::register_demo(app);
  porkit::cli::register_finetune(app);
  porkit::cli::register_inject(app);
  porkit::cli::register_evaluate(app);
  porkit::cli::register_attack(app);
  porkit::cli::register_analyze(app);
  porkit::cli::register_report(app);
  porkit::cli::register_study(app);
  porkit::cli::register_scan(app);
  porkit::cli::register_zoo(app);
  porkit::cli::register_defend(app);
  porkit::cli::register_launch(app);
  try {
    std::vector<std::string> reversed(guarded.rbegin(), guarded.rend() - 1);  // CLI11 takes them last first
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const porkit::Error& e) {
    return report(e.what());
  } catch (const c10::Error& e) {
    return report(std::string("libtorch: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return report(e.what());
  }
  return 0;
}
