#!/usr/bin/env python3
"""Build a hybrid model folder: BASE's folder with the named tensors taken from DONOR.

For ablations of what pre-training contributes, e.g. a pre-trained encoder with the word
embeddings of a randomly initialised one (docs/pretraining.md, "SST-2 with all its training
data"). Both folders must be single-file safetensors of the same config; the tensors keep
their own dtypes. The non-weight files (config, vocabulary, tokenizer) come from BASE.

    python3 tools/swap_tensors.py BASE DONOR OUT bert.embeddings.word_embeddings.weight [NAME...]
"""
import json
import os
import shutil
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def main(argv):
    if len(argv) < 5:
        sys.exit("usage: swap_tensors.py BASE DONOR OUT NAME [NAME...]")
    base, donor, out, names = argv[1], argv[2], argv[3], set(argv[4:])
    base_h, base_d = read(os.path.join(base, "model.safetensors"))
    donor_h, donor_d = read(os.path.join(donor, "model.safetensors"))
    for name in names:
        if name not in base_h or name not in donor_h:
            sys.exit(f"{name}: expected in both folders' model.safetensors")
        if base_h[name]["shape"] != donor_h[name]["shape"]:
            sys.exit(f"{name}: shape {base_h[name]['shape']} in BASE against {donor_h[name]['shape']} in DONOR")
    if os.path.exists(out):
        sys.exit(f"{out} exists; expected a new folder")
    header, chunks, offset = {}, [], 0
    for name, entry in base_h.items():
        if name == "__metadata__":
            continue
        h, d = (donor_h, donor_d) if name in names else (base_h, base_d)
        start, end = h[name]["data_offsets"]
        header[name] = dict(h[name], data_offsets=[offset, offset + end - start])
        chunks.append(d[start:end])
        offset += end - start
    encoded = json.dumps(header).encode()
    encoded += b" " * ((8 - len(encoded) % 8) % 8)
    os.makedirs(out)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks))
    for name in ("config.json", "vocab.txt", "special_tokens_map.json", "tokenizer_config.json"):
        if os.path.exists(os.path.join(base, name)):
            shutil.copy(os.path.join(base, name), os.path.join(out, name))


if __name__ == "__main__":
    main(sys.argv)
