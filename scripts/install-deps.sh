#!/usr/bin/env bash
# Installs the Debian 12 packages porkit builds and runs with, when any is missing.
# `--tests` adds what only the test suite needs (GoogleTest, Chromium for the report test).
# OpenBLAS is named explicitly: libtorch-dev only recommends a BLAS, and the reference
# BLAS it would otherwise use is ~50x slower.
set -euo pipefail
packages=(
  build-essential cmake ccache pkg-config
  libtorch-dev libopenblas0-openmp libopenblas-openmp-dev
  nlohmann-json3-dev libcli11-dev libcpptoml-dev libfmt-dev libutf8proc-dev liblzma-dev libcsv-dev libgloo-dev libssl-dev libcairo2-dev fonts-dejavu-core
)
if [ "${1:-}" = "--tests" ]; then
  packages+=(libgtest-dev libgmock-dev chromium)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "porkit: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
