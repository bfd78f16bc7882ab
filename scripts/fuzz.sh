#!/usr/bin/env bash
# Fuzzes porkit's parsers with libFuzzer under clang's address and undefined-behaviour
# sanitizers: one binary per target of tests/fuzz/targets.cpp, started from its seed corpus
# (tests/fuzz/corpus/<target>/), SECONDS seconds each (default 60). New inputs that reach new
# code go to build-fuzz/corpus/<target>/; a crash leaves crash-* files in build-fuzz/ and
# stops the script with the target's name.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Needs clang, libclang-rt-14-dev (libFuzzer, sanitizers) and porkit's build dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(safetensors config_json vocab_txt tokenizer delimited conll toml_config report_json)
fi
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DPORKIT_BUILD_TESTS=OFF -DPORKIT_BUILD_BENCH=OFF -DPORKIT_BUILD_FUZZERS=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}")
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1"
export PORKIT_QUIET=1
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  echo "== fuzz $t for ${seconds}s"
  if ! (cd build-fuzz && ./fuzz_"$t" -max_total_time="$seconds" -max_len=65536 -timeout=20 \
        "corpus/$t" "../tests/fuzz/corpus/$t" 2>&1 | tail -3); then
    echo "fuzz: target $t failed; see build-fuzz/crash-* and add the input to tests/fuzz/corpus/$t/" >&2
    exit 1
  fi
done
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no crash"
