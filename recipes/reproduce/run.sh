#!/usr/bin/env bash
# The attack across tasks (recipes/reproduce/README.md). Run from the repository root.
set -euo pipefail
for task in sst2 conll2003 offenseval amazon yelp imdb; do
  /usr/bin/time -f "$task: %e s wall" build/porkit attack "recipes/reproduce/$task.toml" "$@"
done
