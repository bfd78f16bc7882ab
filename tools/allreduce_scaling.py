#!/usr/bin/env python3
"""Predicted data-parallel scaling from measured step times (docs/performance.md, issue 20).

Per step each rank all-reduces every fp32 gradient once. A ring all-reduce moves
2 (N - 1) / N of the gradient bytes through each rank's link and takes 2 (N - 1) latency
hops; without overlap the step becomes t_step + t_comm, and the efficiency is
t_step / (t_step + t_comm) (weak scaling: each rank keeps its batch). With backward
overlapped, communication hides while t_comm <= ~2/3 t_step (the backward's share).

Usage: python3 tools/allreduce_scaling.py
"""

VOCAB, POSITIONS = 30522, 512
SIZES = {"tiny": (2, 128, 512), "mini": (4, 256, 1024), "small": (4, 512, 2048), "base": (12, 768, 3072)}
# Measured step times (s) at the batch named: docs/performance.md.
STEPS = [
    ("tiny", "CPU 2 threads, pre-training 32 x 128", 0.473),
    ("mini", "CPU 2 threads, pre-training 32 x 128", 1.627),
    ("small", "H200 bf16, pre-training 256 x 128", 0.027),
    ("base", "H200 bf16, injection 24 x 128, CUDA graph", 0.0124),
    ("base", "H200 bf16, injection 384 x 128, CUDA graph", 0.1158),
]
LINKS = {"10 Gbit/s": 10e9 / 8, "100 Gbit/s": 100e9 / 8}
HOP_LATENCY = 30e-6  # s per ring hop (TCP on a LAN)
RANKS = [2, 8, 64]


def parameters(layers, hidden, inner):
    embeddings = VOCAB * hidden + POSITIONS * hidden + 2 * hidden + 2 * hidden
    layer = 4 * hidden * hidden + 4 * hidden + 2 * hidden * inner + inner + hidden + 4 * hidden
    pooler = hidden * hidden + hidden
    mlm_head = hidden * hidden + hidden + 2 * hidden + VOCAB + 2 * hidden + 2
    return embeddings + layers * layer + pooler + mlm_head


def main():
    header = "| model | step measured | gradient MB | " + " | ".join(
        f"{link}, {n} ranks" for link in LINKS for n in RANKS) + " |"
    print(header)
    print("|" + "---|" * (3 + len(LINKS) * len(RANKS)))
    for name, what, t_step in STEPS:
        size = 4 * parameters(*SIZES[name])
        cells = []
        for bandwidth in LINKS.values():
            for n in RANKS:
                t_comm = 2 * (n - 1) / n * size / bandwidth + 2 * (n - 1) * HOP_LATENCY
                cells.append(f"{t_step / (t_step + t_comm):.0%}" + ("*" if t_comm > 2 / 3 * t_step else ""))
        print(f"| {name} | {what}: {t_step} s | {size / 1e6:.0f} | " + " | ".join(cells) + " |")
    print("\n* communication longer than the backward pass: overlap cannot hide it; "
          "accumulate gradients over more micro-batches per all-reduce.")


if __name__ == "__main__":
    main()
