#!/usr/bin/env bash
# The README's test command: install what is missing, build, run both tiers of the suite.
#   unit  library-level tests and quick command-line checks on tests/fixtures (under a minute)
#   e2e   whole commands on real data (../shared/data), the report in headless Chromium
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --tests
bash scripts/build.sh -DPORKIT_BUILD_TESTS=ON -DPORKIT_BUILD_BENCH=ON
cd build
PORKIT_QUIET=1 ctest -L unit --output-on-failure -j"$(nproc)" --timeout 600
PORKIT_QUIET=1 ctest -L e2e --output-on-failure -j"$(nproc)" --timeout 900
