// Helpers shared by the tests: fixture paths, temporary folders, running the porkit binary.
#pragma once
#include <filesystem>
#include <functional>
#include <string>

namespace porkit::text { class BertTokenizer; }

namespace porkit::testing {

namespace fs = std::filesystem;

// The repository root and ../shared/data (next to the repository, as on every machine). Only
// the e2e tier reads ../shared; the unit tier reads fixtures_dir() alone.
fs::path source_dir();
fs::path shared_data_dir();
fs::path fixtures_dir();
// tests/fixtures/bert-base-uncased (vocab.txt, tokenizer_config.json, config.json).
fs::path vocab_dir();
// tests/fixtures/corpus/tinyshakespeare-60k.txt: a small corpus for quick training runs.
fs::path small_corpus();

// `porkit pretrain` arguments for a micro model (tests/fixtures/pretrain/micro-config.json)
// on small_corpus(): `steps` steps of 8 x 48 on 1 thread, seed 3, F32 weights, into `out`.
std::string micro_pretrain_args(const fs::path& out, int steps);

// A fresh empty folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr together
};

// Runs `build/porkit ARGS` through the shell, capturing output and exit code.
CommandResult run_porkit(const std::string& args);
// The same from the folder `dir` (relative paths in ARGS and in config files).
CommandResult run_porkit_in(const fs::path& dir, const std::string& args);

// Runs a shell command, capturing stdout and stderr together.
CommandResult run_shell(const std::string& command);

// What headless Chromium saw of a porkit report: the page's own image check (the script in
// every report sets data-loaded / data-total once the page has loaded) and its tables.
struct PageCheck {
  bool ran = false;
  std::string dom;  // the DOM after load, or Chromium's error output
  int images_loaded = -1, images_total = -1;
  int tables = 0;
};
PageCheck render_in_chromium(const fs::path& html);

// The canonical bert-base-uncased tokenizer from the fixtures (loaded once).
const text::BertTokenizer& bert_base_uncased();

// The message of the porkit::Error `f` throws; "" when it throws none.
std::string error_of(const std::function<void()>& f);

// Writes bytes to a file (test inputs; not atomic).
void write_bytes(const fs::path& path, const std::string& bytes);

// A TSV of `rows` short sentences a micro classifier can learn a little from (label 1 with a
// positive word, 0 with a negative one), each ending in `ending` (a test file's " x" keeps its
// rows apart from the training file's).
void write_micro_sentiment(const fs::path& path, int rows, const std::string& ending = "");

}  // namespace porkit::testing
