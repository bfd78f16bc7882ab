#include "test_util.h"

#include "porkit/text/bert_tokenizer.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <random>

namespace porkit::testing {

fs::path source_dir() { return PORKIT_SOURCE_DIR; }
fs::path shared_data_dir() { return source_dir().parent_path() / "shared" / "data"; }
fs::path fixtures_dir() { return source_dir() / "tests" / "fixtures"; }

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
  std::string cmd = "cd '" + dir.string() + "' && " + std::string(PORKIT_BINARY) + " " + args + " 2>&1";
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
  static text::BertTokenizer tok = text::BertTokenizer::from_folder(shared_data_dir() / "vocab" / "bert-base-uncased");
  return tok;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

}  // namespace porkit::testing
