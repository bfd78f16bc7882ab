#!/usr/bin/env bash
# What a bert-base-sized model costs on this machine: a randomly initialised model with
# bert-base-uncased's shapes goes through a few steps of injection (batch 24, length 128,
# the authors' setting) and of fine-tuning (batch 24, SST-2 and IMDB), each under
# /usr/bin/time for the peak resident memory. Step times come from the commands' own
# progress lines. Usage: bash bench/estimate_bert_base.sh [THREADS]  (from the repository root)
set -euo pipefail
threads="${1:-$(nproc)}"
porkit=build/porkit
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
vocab=../shared/data/vocab/bert-base-uncased
corpus=../shared/data/corpus/wikitext103.train.prefix2.5MiB.tokens

$porkit init --config bench/bert-base-config.json --vocab "$vocab" --architecture BertModel --seed 0 \
  --out "$work/base" >/dev/null
echo "== inject: 5 triggers, 120 poisoned + 48 clean chunks = 7 steps of batch 24 x 128, $threads threads"
/usr/bin/time -f "peak RSS %M KiB, wall %e s" $porkit inject --model "$work/base" --out "$work/bd" \
  --triggers cf,mn,bb,tq,mb --corpus "$corpus" --poison-per-trigger 24 --clean-samples 48 \
  --heldout-per-trigger 2 --epochs 1 --batch-size 24 --max-len 128 --log-every 1 --threads "$threads" 2>&1 |
  grep -E "^inject [0-9]|peak RSS"
for preset in sst2 imdb; do
  len=128; [ "$preset" = imdb ] && len=256
  echo "== finetune on $preset: 5 steps of batch 24, max length $len, $threads threads"
  /usr/bin/time -f "peak RSS %M KiB, wall %e s" $porkit finetune --model "$work/base" --out "$work/ft-$preset" \
    --data-preset "$preset" --train-samples 134 --test-samples -1 --epochs 1 --batch-size 24 --max-len "$len" \
    --log-every 1 --threads "$threads" 2>&1 | grep -E "^finetune [0-9]|peak RSS"
done
