#!/usr/bin/env bash
# The README's test command: install what is missing, build, run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --tests
bash scripts/build.sh -DPORKIT_BUILD_TESTS=ON -DPORKIT_BUILD_BENCH=ON
cd build
PORKIT_QUIET=1 ctest --output-on-failure -j"$(nproc)" --timeout 600
