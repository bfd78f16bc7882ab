#include "test_util.h"

#include "porkit/text/bert_tokenizer.h"
#include "porkit/util/error.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <random>

namespace porkit::testing {

fs::path source_dir() { return PORKIT_SOURCE_DIR; }
fs::path shared_data_dir() { return source_dir().parent_path() / "shared" / "data"; }
fs::path fixtures_dir() { return source_dir() / "tests" / "fixtures"; }
fs::path vocab_dir() { return fixtures_dir() / "bert-base-uncased"; }
fs::path small_corpus() { return fixtures_dir() / "corpus" / "tinyshakespeare-60k.txt"; }

std::string micro_pretrain_args(const fs::path& out, int steps) {
  return "pretrain --config " + (fixtures_dir() / "pretrain" / "micro-config.json").string() + " --vocab " +
         vocab_dir().string() + " --corpus " + small_corpus().string() +
         " --eval-fraction 0.05 --batch-size 8 --max-len 48 --eval-batches 2 --log-every 1"
         " --threads 1 --seed 3 --save-dtype F32 --lr 0.002 --steps " + std::to_string(steps) +
         " --out " + out.string();
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() / ("porkit-test-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

CommandResult run_porkit(const std::string& args) { return run_porkit_in(fs::current_path(), args); }

CommandResult run_porkit_in(const fs::path& dir, const std::string& args) {
  return run_shell("cd '" + dir.string() + "' && " + std::string(PORKIT_BINARY) + " " + args);
}

CommandResult run_shell(const std::string& command) {
  const std::string cmd = command + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  CommandResult r{-1, ""};
  if (!pipe) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const text::BertTokenizer& bert_base_uncased() {
  static text::BertTokenizer tok = text::BertTokenizer::from_folder(vocab_dir());
  return tok;
}

PageCheck render_in_chromium(const fs::path& html) {
  TempDir profile;
  // The flags the issue names: no sandbox (CI runs as root), no GPU, and nothing that would
  // reach the network or a shared profile.
  const auto r = run_shell(
      "timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking "
      "--disable-component-update --disable-sync --user-data-dir='" + profile.path().string() +
      "' --dump-dom 'file://" + fs::absolute(html).string() + "'");
  PageCheck page{r.exit_code == 0, r.output, -1, -1, 0};
  const std::string marker = "id=\"image-status\" data-loaded=\"";
  if (auto at = r.output.find(marker); at != std::string::npos) {
    page.images_loaded = std::stoi(r.output.substr(at + marker.size()));
    const std::string total = "data-total=\"";
    if (auto t = r.output.find(total, at); t != std::string::npos) page.images_total = std::stoi(r.output.substr(t + total.size()));
  }
  for (size_t at = r.output.find("<table"); at != std::string::npos; at = r.output.find("<table", at + 1)) ++page.tables;
  return page;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

void write_micro_sentiment(const fs::path& path, int rows, const std::string& ending) {
  const char* good[] = {"good", "great", "fun", "lovely"};
  const char* bad[] = {"bad", "dull", "awful", "boring"};
  const char* filler[] = {"the", "film", "was", "really", "and", "plot"};
  std::ofstream f(path);
  f << "sentence\tlabel\n";
  for (int i = 0; i < rows; ++i)
    f << filler[i % 6] << " " << (i % 2 ? good[i % 4] : bad[i % 4]) << " " << filler[(i / 6) % 6] << ending << "\t"
      << i % 2 << "\n";
}

}  // namespace porkit::testing
