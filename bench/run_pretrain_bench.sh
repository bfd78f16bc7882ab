#!/usr/bin/env bash
# Pre-training step throughput, porkit vs plain PyTorch, same shapes, same threads, one run.
# Usage: bash bench/run_pretrain_bench.sh [THREADS]   (from the repository root, after a build)
set -euo pipefail
threads=${1:-$(nproc)}
for size in tiny mini; do
  p=$(build/bench_pretrain_step $size 32 128 8 "$threads" | tee >(cat >&2) | sed -n 's/.* \([0-9]*\) tokens\/s/\1/p')
  r=$(/usr/bin/python3 bench/pytorch_bert.py $size 32 128 8 "$threads" | tee >(cat >&2) | sed -n 's/.* \([0-9]*\) tokens\/s/\1/p')
  echo "ratio porkit/pytorch ($size): $(python3 -c "print(round($p/$r, 2))")"
done
