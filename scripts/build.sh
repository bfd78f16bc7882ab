#!/usr/bin/env bash
# Configures and builds porkit into build/ (Release, ccache when present). Arguments are
# passed to cmake's configure step, e.g. -DPORKIT_BUILD_TESTS=OFF for the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)"
