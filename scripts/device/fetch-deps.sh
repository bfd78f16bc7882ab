#!/usr/bin/env bash
# Downloads, here, the Debian packages a porkit build needs beyond what the GPU machine's
# image has (CMake, ninja, nvcc, CUDA PyTorch), into .device-deps/, which git ignores
# (.git/info/exclude) and the device run carries. scripts/device/run.sh unpacks them there
# with dpkg -x into a prefix of its own, never into /.
# It also copies two shards of ../shared/data/corpus-large (about 18 MB, some 15 M tokens):
# ../shared does not travel, and the pre-training phase needs text.
# Usage: bash scripts/device/fetch-deps.sh   (from the repository root; about 24 MB in all)
set -euo pipefail
cd "$(dirname "$0")/../.."
packages=(
  nlohmann-json3-dev libcli11-dev libcpptoml-dev   # header-only
  libfmt-dev libfmt9 libutf8proc-dev libutf8proc2 libcsv-dev libcsv3 liblzma-dev liblzma5 libssl-dev libssl3
  libgtest-dev                                     # the GPU tests
)
mkdir -p .device-deps
grep -qx '/.device-deps/' .git/info/exclude 2>/dev/null || echo '/.device-deps/' >> .git/info/exclude
# apt's sandbox user cannot write into a root-owned checkout: download in a scratch folder.
scratch=$(mktemp -d)
chmod 755 "$scratch"
(cd "$scratch" && apt-get -o APT::Sandbox::User=root download "${packages[@]}" >/dev/null)
rm -f .device-deps/*.deb
mv "$scratch"/*.deb .device-deps/
rmdir "$scratch"
mkdir -p .device-deps/corpus
for shard in wiki_00 books_00; do
  cp ../shared/data/corpus-large/$shard.txt.xz .device-deps/corpus/
done
cp ../shared/data/corpus/wikitext103.valid.tokens .device-deps/corpus/  # the held-out text
echo "porkit: $(ls .device-deps/*.deb | wc -l) packages in .device-deps ($(du -sh .device-deps | cut -f1))"
