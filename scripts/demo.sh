#!/usr/bin/env bash
# The README's main-job command: install what is missing, build, run `porkit demo` on the
# shipped model and data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
exec build/porkit demo "$@"
