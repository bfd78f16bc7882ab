// porkit report DIR: a self-contained HTML page and Markdown from a run or analysis folder.
#include <cstdio>

#include "porkit/cli/commands.h"
#include "porkit/cli/argv_guard.h"
#include "porkit/report/folder_report.h"

namespace porkit::cli {

void register_report(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("report", "Write report.html and report.md for a run or analysis folder");
  cmd->add_option("dir", *dir, "Run folder (porkit attack / demo) or analysis folder")->required();
  cmd->callback([dir] {
    const auto written = report::write_folder_report(original_argument(*dir));
    std::printf("report: %s (%zu tables, %zu images; Markdown: %s)\n", written.html.string().c_str(), written.tables,
                written.images, written.markdown.string().c_str());
  });
}

}  // namespace porkit::cli
