#!/usr/bin/env bash
# Injection step throughput, porkit vs plain PyTorch, same shapes, same threads, one run.
# Usage: bash bench/run_inject_bench.sh [THREADS]   (from the repository root, after a build)
set -euo pipefail
threads=${1:-$(nproc)}
for size in tiny mini; do
  p=$(build/bench_inject_step $size 24 96 8 "$threads" | tee >(cat >&2) | sed -n 's/.* \([0-9.]*\) samples\/s/\1/p')
  r=$(/usr/bin/python3 bench/pytorch_inject.py $size 24 96 8 "$threads" | tee >(cat >&2) | sed -n 's/.* \([0-9.]*\) samples\/s/\1/p')
  echo "ratio porkit/pytorch ($size): $(python3 -c "print(round($p/$r, 2))")"
done
