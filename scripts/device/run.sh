#!/usr/bin/env bash
# porkit's GPU checks, in phases, on the lent GPU machine (or, as a dry run, here on the CPU).
# Each phase has its own time budget and writes its log under $OUT as it goes, so a phase
# that fails or runs out of time costs only itself; $OUT/summary.txt lists every phase's
# outcome and wall time.
#
#   build      CMake + ninja against the machine's CUDA PyTorch (libtorch 2.x), with the
#              Debian packages that scripts/device/fetch-deps.sh put in .device-deps,
#              unpacked into /tmp/porkit-deps (never into /), and without cairo;
#   tests      the GPU test subset (tests/gpu_test.cpp): CPU-vs-GPU parity, fp32 and bf16, on
#              the tiny model and a bert-base-shaped one; a run resumed from GPU to CPU;
#   bench      injection and fine-tuning steps on a bert-base-shaped model at the authors'
#              batch (24 x 128) and larger ones, porkit (eager, and replayed as a CUDA graph)
#              beside plain PyTorch (eager, CUDA graph, torch.compile), with the matmul rate measured
#              in the same run;
#   inject     the authors' whole injection (150,000 poisoned + 50,000 clean samples, 2
#              epochs, batch 24) on a random bert-base-shaped model: its wall time;
#   pretrain   recipes/porkit-small-uncased-gpu.toml from the shipped mini grown to small's shape
#              (porkit init --grow-from); the model comes back as
#              $OUT/pretrain-model.tar.part-*  (cat them | tar x).
#
# Usage (device): bash scripts/device/run.sh [PHASE...]        (default: every phase)
#        (here):  PORKIT_DEVICE_DRY_RUN=1 OUT=/tmp/out bash scripts/device/run.sh
# The dry run unpacks the packages and configures with the device's options (the log shows
# where CMake found each dependency), builds in the existing CPU build folder
# (PORKIT_DEVICE_BUILD_DIR, default build), runs the GPU tests with the CPU as the "GPU"
# (PORKIT_GPU_TEST_DEVICE=cpu) and every other phase at tiny sizes.
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${OUT:?set OUT to the folder the results go to}"
mkdir -p "$OUT"
dry=${PORKIT_DEVICE_DRY_RUN:-0}
summary="$OUT/summary.txt"
build=build-device
[ "$dry" = 1 ] && build=${PORKIT_DEVICE_BUILD_DIR:-build}
if [ "$dry" = 1 ] && [ ! -f "$build/CMakeCache.txt" ]; then
  echo "porkit: the dry run builds in an existing CPU build folder; $build is not one (run scripts/build.sh, or set PORKIT_DEVICE_BUILD_DIR)" >&2
  exit 1
fi
deps=/tmp/porkit-deps
jobs=$(nproc)

# Budgets in seconds. A command may run 600 s and a session has 900 s of device time, the
# machine's start (60-120 s) included, so the phases go in two calls on one warm machine:
#   PORKIT_CALL_SECONDS=590 run.sh build tests bench inject
#   PORKIT_PRETRAIN_BUDGET=S run.sh pretrain   (S: what the session's device time still allows)
# With PORKIT_CALL_SECONDS, no phase may run past that many seconds from the script's start,
# so that a late phase is cut by its own limit (and says so) rather than by the command's.
# Should the whole authors' injection not fit, its log's step rate gives the projected wall
# time (and the bench phase the step time at the same batch).
declare -A budget=([build]=200 [tests]=60 [bench]=150 [inject]=330 [pretrain]=${PORKIT_PRETRAIN_BUDGET:-200})
if [ "$dry" = 1 ]; then
  budget=([build]=1800 [tests]=600 [bench]=300 [inject]=300 [pretrain]=300)
fi


# phase NAME: runs do_NAME (in a child of this script, so that timeout can stop it) under
# the phase's budget, logging to $OUT/NAME.log.
phase() {
  local name=$1
  local t0=$SECONDS
  local limit=${budget[$name]}
  if [ -n "${PORKIT_CALL_SECONDS:-}" ]; then
    local left=$(( PORKIT_CALL_SECONDS - SECONDS - 15 ))
    [ $left -lt $limit ] && limit=$left
    [ $limit -lt 1 ] && limit=1
  fi
  PORKIT_PHASE_LIMIT=$limit timeout --kill-after=10 "$limit" bash "$0" --body "$name" > "$OUT/$name.log" 2>&1
  local rc=$?
  local outcome=ok
  [ $rc -eq 124 ] || [ $rc -eq 137 ] && outcome="out of time ($limit s)"
  [ $rc -ne 0 ] && [ "$outcome" = ok ] && outcome="failed (exit $rc)"
  printf '%-9s %-28s %4d s\n' "$name" "$outcome" $((SECONDS - t0)) >> "$summary"
  return $rc
}

do_build() {
  # The Debian packages, unpacked into a prefix of our own (the dry run too, to check that
  # CMake finds every dependency there before the system's).
  rm -rf "$deps" && mkdir -p "$deps"
  # Torch's CMake files look for the CUDA toolkit through nvcc.
  command -v nvcc >/dev/null || [ ! -d /usr/local/cuda/bin ] || export PATH=$PATH:/usr/local/cuda/bin
  for deb in .device-deps/*.deb; do dpkg -x "$deb" "$deps" || return 1; done
  # A few development links point at absolute paths (liblzma.so -> /lib/.../liblzma.so.5.4.1),
  # which name the machine's own files, or nothing: point them into the prefix.
  find "$deps" -type l -lname '/*' | while read -r link; do
    ln -sfn "$deps$(readlink "$link")" "$link"
  done
  local torch=()
  [ "$dry" != 1 ] && torch=(-DTorch_DIR="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')/Torch")
  local generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  local configured=build-device
  [ "$dry" = 1 ] && configured=build-device-dry
  cmake -S . -B "$configured" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "${torch[@]}" \
    -DCMAKE_PREFIX_PATH="$deps/usr" -DOPENSSL_ROOT_DIR="$deps/usr" \
    -DPORKIT_WITH_CAIRO=OFF -DPORKIT_FMT_HEADER_ONLY=ON -DPORKIT_BUILD_TESTS=ON -DPORKIT_BUILD_BENCH=ON || return 1
  echo "== where CMake found the dependencies"
  local found
  found=$(grep -E '^(UTF8PROC_INCLUDE_DIR|UTF8PROC_LIBRARY|CPPTOML_INCLUDE_DIR|CSV_INCLUDE_DIR|CSV_LIBRARY|LIBLZMA_INCLUDE_DIR|LIBLZMA_LIBRARY_RELEASE|OPENSSL_INCLUDE_DIR|OPENSSL_CRYPTO_LIBRARY|fmt_DIR|nlohmann_json_DIR|CLI11_DIR|GTest_DIR):' \
    "$configured/CMakeCache.txt")
  echo "$found"
  grep '^Torch_DIR:' "$configured/CMakeCache.txt"
  # Each carried dependency must come from the prefix: one found on this machine's own system
  # (as libcsv once was, here) would be missing on the device machine.
  if [ "$dry" = 1 ] && echo "$found" | grep -v "=$deps/" ; then
    echo "the dependencies above were found outside $deps: add their packages to scripts/device/fetch-deps.sh"
    return 1
  fi
  # The dry run compiles nothing new: 2 cores would take half an hour. It builds the
  # targets in the CPU build folder it was pointed at (PORKIT_DEVICE_BUILD_DIR, default build).
  # -k 0 (ninja) / -k (make): one call shows every compile error, not only the first.
  local keep_going=-k
  [ -f "$build/build.ninja" ] && keep_going="-k 0"
  cmake --build "$build" -j "$jobs" --target porkit porkit_unit_tests bench_device_step -- $keep_going
}

do_tests() {
  local env=()
  [ "$dry" = 1 ] && env=(PORKIT_GPU_TEST_DEVICE=cpu)
  env "${env[@]}" PORKIT_QUIET=1 "$build/porkit_unit_tests" --gtest_filter='Device*:Gpu*:DataParallel.TwoRanksOverNccl*'
  # Whether CMake built NCCL (the test above skips without it, or with fewer than two GPUs).
  grep -h "porkit: .*NCCL\|ProcessGroupNCCL" "$build/CMakeCache.txt" "$OUT/build.log" 2>/dev/null | head -3 || true
}

do_bench() {
  # bf16, in the order of what matters most, each program under its own limit, so that one
  # slow torch.compile cannot take the rest of the phase with it.
  local device=cuda size=base sweep=24,96,384 authors=24 steps=10 len=128 gpu=1 py=python3
  [ "$dry" = 1 ] && device=cpu size=tiny sweep=4,8 authors=4 steps=2 len=32 gpu=0 py=/usr/bin/python3
  limited() {
    local limit=$1
    shift
    timeout --kill-after=5 "$limit" "$@" || echo "($* ended with exit $? under its $limit s limit)"
  }
  # porkit's lines come eager and as a CUDA graph (bench_device_step's default where the
  # build has graphs), PyTorch's eager, as a CUDA graph and compiled (the last two on the
  # GPU only). The sweep to the largest batch that fits, and the fp32 steps, ran on
  # 2026-11-30 (docs/performance.md) and are not repeated.
  porkit_step() { limited "$1" "$build/bench_device_step" $device "$2" "$3" $size "$4" $len $steps; }
  pytorch_step() { limited "$1" env -u LD_PRELOAD $py bench/pytorch_device_step.py $device "$2" "$3" $size "$4" $len $steps "${@:5}"; }
  porkit_step 60 bf16 inject $sweep
  pytorch_step 40 bf16 inject $sweep
  if [ "$gpu" = 1 ]; then pytorch_step 30 bf16 inject $sweep --graph; fi
  porkit_step 30 bf16 finetune $authors
  pytorch_step 20 bf16 finetune $authors
  if [ "$gpu" = 1 ]; then pytorch_step 70 bf16 inject $authors --compile; fi
}

do_inject() {
  local device=cuda size=base poison=30000 clean=50000 epochs=2
  [ "$dry" = 1 ] && device=cpu size=tiny poison=8 clean=8 epochs=1
  local work=/tmp/porkit-inject
  rm -rf "$work" && mkdir -p "$work"
  "$build/porkit" init --size "$size" --vocab models/porkit-mini-uncased --seed 3 --out "$work/random" || return 1
  # The authors' mix: 5 triggers x 30,000 poisoned + 50,000 clean = 200,000 samples.
  local t0=$SECONDS
  "$build/porkit" inject --preset authors --triggers cf,mn,bb,tq,mb --model "$work/random" \
    --corpus .device-deps/corpus/wikitext103.valid.tokens --poison-per-trigger $poison --clean-samples $clean \
    --epochs $epochs --device "$device" --checkpoint-every 0 --log-every 200 --out "$work/backdoored" || return 1
  echo "whole injection: $((SECONDS - t0)) s wall, model included"
}

do_pretrain() {
  # The start is the shipped mini widened to small's shape (the recipe's model); the dry run
  # grows tiny into mini instead, and trains it briefly, to stay small on the CPU.
  local run=runs/pretrain-small-gpu recipe=recipes/porkit-small-uncased-gpu.toml extra=()
  local start=runs/small-from-mini grow=(--size small --grow-from models/porkit-mini-uncased)
  if [ "$dry" = 1 ]; then
    run=runs/pretrain-small-dry
    start=runs/small-from-mini-dry
    grow=(--size mini --grow-from models/porkit-tiny-uncased)
    extra=(--model $start --batch-size 4 --max-len 32 --eval-batches 1 --shard-mb 1)
  fi
  local cache=runs/pretrain-cache
  if [ -f "$run.steps" ] && [ -d "$run/checkpoints" ]; then
    # A run this script started, on this machine: the same schedule, continued.
    local steps
    steps=$(cat "$run.steps")
    "$build/porkit" pretrain --recipe $recipe "${extra[@]}" --cache-dir $cache --steps "$steps" \
      --eval-every $(( steps / 4 > 0 ? steps / 4 : 1 )) --checkpoint-every $(( steps / 4 > 0 ? steps / 4 : 1 )) \
      --time-limit "$(python3 -c "print((${budget[pretrain]} - 60) / 60)")" --resume --out "$run" || return 1
  else
    # The learning-rate schedule should end where the run does, so the step count comes from
    # the time the phase has: a 40-step probe (which also tokenises the corpus into the shared
    # cache) gives the step rate, and the run takes what fits in the budget, less a minute for
    # loading, the evaluations and the saves.
    "$build/porkit" init "${grow[@]}" --overwrite --out $start || return 1
    local probe_dir=/tmp/porkit-pretrain-probe
    rm -rf $probe_dir
    "$build/porkit" pretrain --recipe $recipe "${extra[@]}" --cache-dir $cache --steps 40 --log-every 10 \
      --eval-every 0 --checkpoint-every 0 --out $probe_dir || return 1
    local seconds_per_step
    seconds_per_step=$(grep '"elapsed_s"' $probe_dir/metrics.jsonl | tail -2 |
      python3 -c 'import json,sys; a,b=[json.loads(l) for l in sys.stdin]; print((b["elapsed_s"]-a["elapsed_s"])/(b["step"]-a["step"]))')
    local left=$(( ${budget[pretrain]} - SECONDS - 60 ))
    local steps
    steps=$(python3 -c "print(max(20, int($left / $seconds_per_step)))")
    [ "$dry" = 1 ] && steps=6
    echo "probe: $seconds_per_step s/step; $left s left for training: $steps steps"
    local every=$(( steps / 4 > 0 ? steps / 4 : 1 ))
    echo "$steps" > "$run.steps"
    "$build/porkit" pretrain --recipe $recipe "${extra[@]}" --cache-dir $cache --steps "$steps" \
      --eval-every $every --checkpoint-every $every --time-limit "$(python3 -c "print(($left + 20) / 60)")" \
      --out "$run" || return 1
  fi
  # The model's shards, config and vocabulary in one stream cut under the 16 MiB file limit.
  tar -C "$run" -cf - model metrics.jsonl run_config.json | split -b 15M - "$OUT/pretrain-model.tar.part-"
}

# A phase's body: phase() runs this script again as `run.sh --body NAME` under the budget.
if [ "${1:-}" = --body ]; then
  "do_$2"
  exit
fi

# PyTorch's builds export a static copy of libstdc++'s std::filesystem (pytorch/pytorch#133437);
# porkit must not call it (CMakeLists.txt names libstdc++ just before torch). What decides is
# how the link resolved porkit's remove_all: to a definition inside porkit itself ("T", as
# the H200 build of 2026-11-30 came out) or to libstdc++'s versioned symbol (@GLIBCXX_*, as
# here) are both safe; an unversioned reference binds to libtorch's copy at run time. (The
# order of the needed list says nothing: scripts/device/linkcheck.) Where it is not safe,
# preloading libstdc++ makes it so for every later phase.
bind_libstdcxx_first() {
  [ "$dry" = 1 ] || [ -n "${LD_PRELOAD:-}" ] || [ ! -x "$build/porkit" ] && return
  local symbol
  symbol=$(nm -D "$build/porkit" | grep -m1 ' _ZNSt10filesystem10remove_allERKNS_7__cxx114pathE')
  echo "porkit's remove_all: $symbol" >> "$summary"
  if [[ $symbol != *" T "* && $symbol != *@GLIBCXX* ]]; then
    export LD_PRELOAD
    LD_PRELOAD=$("$(grep -m1 '^CMAKE_CXX_COMPILER:' "$build/CMakeCache.txt" | cut -d= -f2)" -print-file-name=libstdc++.so.6)
    echo "  bound to neither porkit nor libstdc++: later phases run with LD_PRELOAD=$LD_PRELOAD" >> "$summary"
  fi
}

phases=("$@")
[ ${#phases[@]} -eq 0 ] && phases=(build tests bench inject pretrain)
{
  echo "porkit device run, $(date -u +%FT%TZ), dry run: $dry, phases: ${phases[*]}"
  git log -1 --format='commit %h %s' 2>/dev/null
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
  python3 -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda)' 2>/dev/null
  echo "cores $jobs"
} > "$summary"

for p in "${phases[@]}"; do
  # A later call on a machine that went back (and so came up bare) builds again first.
  if [ "$p" != build ] && [ ! -x "$build/porkit" ]; then
    phase build
  fi
  case $p in
    build | tests | bench | inject | pretrain) phase "$p" "do_$p" ;;
    *) echo "unknown phase '$p' (expected build, tests, bench, inject or pretrain)" >> "$summary" ;;
  esac
  # Without a build nothing else can run.
  if [ "$p" = build ] && [ ! -x "$build/porkit" ]; then
    echo "the build failed: no later phase can run" >> "$summary"
    break
  fi
  bind_libstdcxx_first
done
cat "$summary"
