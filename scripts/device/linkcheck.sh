#!/usr/bin/env bash
# On the GPU machine: builds scripts/device/linkcheck four ways against the machine's PyTorch
# and prints, for each, the first needed library and whether std::filesystem::remove_all
# survives; then the link line porkit's own build uses. Writes $OUT/linkcheck.log.
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${OUT:?set OUT}"
{
  g++ --version | head -1; ld --version | head -1
  torch_dir="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')/Torch"
  command -v nvcc >/dev/null || export PATH=$PATH:/usr/local/cuda/bin
  cmake -S scripts/device/linkcheck -B /tmp/linkcheck -G Ninja -DCMAKE_BUILD_TYPE=Release -DTorch_DIR="$torch_dir" > /tmp/linkcheck-configure.log 2>&1 \
    || { tail -20 /tmp/linkcheck-configure.log; exit 1; }
  cmake --build /tmp/linkcheck -j "$(nproc)" > /tmp/linkcheck-build.log 2>&1 || { tail -30 /tmp/linkcheck-build.log; exit 1; }
  for exe in plain link_options first_library interface_first static_libstdcxx; do
    echo "== $exe: needed $(readelf -d /tmp/linkcheck/$exe | grep NEEDED | head -4 | sed 's/.*\[\(.*\)\]/\1/' | tr '\n' ' ')"
    ninja -C /tmp/linkcheck -t commands $exe | tail -1 | tr ' ' '\n' | grep -n -E 'stdc|torch|push|pop|main' | head -8 | tr '\n' ' '
    echo
    timeout 60 /tmp/linkcheck/$exe; echo "exit $?"
  done
} > "$OUT/linkcheck.log" 2>&1
cat "$OUT/linkcheck.log"
