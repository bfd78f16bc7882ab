#!/usr/bin/env bash
# The README's main-job command: install what is missing, build, run `porkit demo` on the
# shipped model and data. Only the porkit binary is built (no tests, no benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh -DPORKIT_BUILD_TESTS=OFF -DPORKIT_BUILD_BENCH=OFF
exec build/porkit demo "$@"
