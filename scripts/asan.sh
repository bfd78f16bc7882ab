#!/usr/bin/env bash
# Runs the unit tier under the address and undefined-behaviour sanitizers (gcc), in its own
# build folder (build-asan). Usage: bash scripts/asan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORKIT_BUILD_TESTS=ON -DPORKIT_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
# Only what the unit tier runs: the e2e tests' objects would add a third to the build.
cmake --build build-asan -j"$(nproc)" --target porkit porkit_unit_tests
cd build-asan
# libtorch and OpenBLAS keep allocations alive until exit by design: leaks are not checked.
ASAN_OPTIONS="detect_leaks=0" UBSAN_OPTIONS="print_stacktrace=1" PORKIT_QUIET=1 \
  ctest -L unit --output-on-failure --timeout 1200
