#!/usr/bin/python3
"""Reads a safetensors file with nothing but the format's specification and numpy:
checks the header, that offsets tile the data section exactly, dtypes and sizes, and
prints a tensor table. Used to confirm that folders porkit writes are plain safetensors.

Usage: /usr/bin/python3 tools/check_safetensors.py MODEL_DIR_OR_FILE
"""
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64,
          "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def check(path):
    if os.path.isdir(path):
        path = os.path.join(path, "model.safetensors")
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    meta = header.pop("__metadata__", {})
    spans, total = [], 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, e = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        count = int(np.prod(info["shape"])) if info["shape"] else 1
        assert e - b == count * np.dtype(dtype).itemsize, f"{name}: size mismatch"
        arr = np.frombuffer(body[b:e], dtype=dtype).reshape(info["shape"])
        assert np.isfinite(arr.astype(np.float64)).all(), f"{name}: non-finite values"
        spans.append((b, e))
        total += arr.size
        print(f"{name:64s} {info['dtype']:5s} {info['shape']}")
    spans.sort()
    assert spans[0][0] == 0 and all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1)), "holes or overlaps"
    assert spans[-1][1] == len(body), "data section has trailing bytes"
    print(f"ok: {len(header)} tensors, {total} values, metadata {meta}, header {n} bytes")


if __name__ == "__main__":
    check(sys.argv[1])
