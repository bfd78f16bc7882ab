#!/usr/bin/env bash
# The attack across tasks (recipes/reproduce/README.md). Run from the repository root:
#   bash recipes/reproduce/run.sh [--model DIR --root DIR] [porkit attack options]
# --model runs every config on another clean model (default: the configs' own,
# porkit-mini-uncased); --root puts the six run folders under DIR (default runs/reproduce),
# and the five later tasks reuse DIR/sst2/backdoored. Resumable: finished stages are skipped.
set -euo pipefail
model=""
root="runs/reproduce"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --root) root="$2"; shift 2 ;;
    *) break ;;
  esac
done
for task in sst2 conll2003 offenseval amazon yelp imdb; do
  overrides=(--out "$root/$task")
  if [[ -n "$model" ]]; then overrides+=(--set "model=$model"); fi
  if [[ "$task" != sst2 ]]; then overrides+=(--set "backdoored=$root/sst2/backdoored"); fi
  /usr/bin/time -f "$task: %e s wall" build/porkit attack "recipes/reproduce/$task.toml" "${overrides[@]}" "$@"
done
