// Fuzz targets, one per parser porkit exposes to files users bring: safetensors, config.json,
// vocab.txt, text for the tokenizer, delimited data, CoNLL data, TOML configs, and the JSON
// that reports read. Each takes arbitrary bytes and must end in success or a porkit::Error
// (or a JSON error, which main() prints as one line); anything else (a crash, an ASan report,
// a std::out_of_range) is a bug.
//
// Used twice: the unit tier replays the seed corpus in tests/fuzz/corpus/<target>/
// (fuzz_replay_test.cpp), and scripts/fuzz.sh builds each as a libFuzzer binary with clang's
// address and undefined-behaviour sanitizers (fuzz_main.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace porkit::fuzz {

using Target = void (*)(const uint8_t* data, size_t size);

struct NamedTarget {
  const char* name;  // also the corpus folder's name
  Target run;
};

const std::vector<NamedTarget>& targets();

// Runs `target` on one input, swallowing the errors bad input is allowed to give.
void run_one(Target target, const uint8_t* data, size_t size);

}  // namespace porkit::fuzz
