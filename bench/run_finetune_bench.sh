#!/usr/bin/env bash
# Fine-tuning throughput on real SST-2 and IMDB batches (batch 24, max length 128, mini):
# porkit (padding per batch) vs plain PyTorch on the same batches and padding, and vs the
# authors' protocol (PyTorch, every input padded to 256). One run, same threads.
# Usage: bash bench/run_finetune_bench.sh [THREADS] [STEPS]  (repository root, after a build)
set -euo pipefail
threads=${1:-$(nproc)}
steps=${2:-12}
dump="$(mktemp)"
trap 'rm -f "$dump"' EXIT
rate() { sed -n 's/.*: \([0-9.]*\) samples\/s.*/\1/p'; }
for data in sst2 imdb; do
  p=$(build/bench_finetune mini $data "$steps" "$threads" --dump "$dump" | tee >(cat >&2) | rate)
  r=$(/usr/bin/python3 bench/pytorch_finetune.py "$dump" "$threads" | tee >(cat >&2) | rate)
  a=$(/usr/bin/python3 bench/pytorch_finetune.py "$dump" "$threads" --pad-to 256 | tee >(cat >&2) | rate)
  echo "ratio porkit/pytorch ($data): $(python3 -c "print(round($p/$r, 2))"); porkit/authors' padding: $(python3 -c "print(round($p/$a, 2))")"
done
