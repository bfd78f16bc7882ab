#!/usr/bin/env bash
# Every benchmark in one run, on the same machine and thread count, printing each ratio:
# the machine's matrix-product limit, pre-training and injection steps vs plain PyTorch,
# fine-tuning throughput vs PyTorch and vs the authors' padding, the full E/S evaluation vs
# the authors' protocol, and bert-base's step times and peak memory.
# Usage: bash bench/run_all.sh [THREADS]   (repository root, after a build; needs python3-torch)
# Takes ~15 minutes on 2 cores; run it on an otherwise idle machine. Progress lines and
# figures go to stdout and stderr alike: `bash bench/run_all.sh 2 > bench.log 2>&1` keeps both.
set -euo pipefail
threads=${1:-$(nproc)}
echo "== $(date -u +%FT%TZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $threads threads"
grep -m1 -o -w -E 'avx512_bf16|amx_bf16|avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
echo "== machine limit"; build/bench_matmul "$threads"
echo "== pre-training step";   bash bench/run_pretrain_bench.sh "$threads"
echo "== bert-base-sized pre-training step (batch 32 x 128), fraction of the limit"
build/bench_pretrain_step base 32 128 2 "$threads"
echo "== injection step";      bash bench/run_inject_bench.sh "$threads"
echo "== fine-tuning";         bash bench/run_finetune_bench.sh "$threads" 12
echo "== evaluate (5 triggers, 1,000 SST-2 test rows) vs the authors' protocol"
run=runs/bench-attack
if [ ! -f "$run/summary.json" ]; then
  build/porkit attack recipes/demo.toml --out "$run" --threads "$threads" >/dev/null 2>&1
fi
build/bench_evaluate "$run/finetune-backdoored/model" "$run/backdoored/porkit_backdoor.json" sst2 1000 "$threads"
echo "== bert-base-sized model";  bash bench/estimate_bert_base.sh "$threads"
