#!/usr/bin/python3
"""Plain PyTorch reference for bench/bench_finetune.cpp: the same BERT with a linear head on
the pooled output, trained (cross-entropy, AdamW lr 2e-5 eps 1e-8, eager fp32) on exactly the
batches bench_finetune dumped, padded per batch or, with --pad-to 256, as the authors' code
pads every input.

Usage: /usr/bin/python3 bench/pytorch_finetune.py BATCHES.json THREADS [--pad-to N]
"""
import json
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_bert import SIZES, Bert  # noqa: E402


def main():
    dump = json.load(open(sys.argv[1]))
    threads = int(sys.argv[2])
    pad_to = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--pad-to" else 0
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    layers, h, heads = SIZES[dump["size"]]
    model = Bert(layers, h, heads).train()
    head = nn.Linear(h, 2)
    opt = torch.optim.AdamW(list(model.parameters()) + list(head.parameters()), lr=2e-5, eps=1e-8)
    total, samples = 0.0, 0
    for s, batch in enumerate(dump["batches"]):
        rows = batch["ids"]
        T = pad_to or max(len(r) for r in rows)
        t0 = time.perf_counter()
        ids = torch.zeros(len(rows), T, dtype=torch.long)
        mask = torch.zeros(len(rows), T, dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r[:T])
            mask[i, : len(r)] = 1
        opt.zero_grad()
        _, pooled = model.encode(ids, torch.zeros_like(ids), mask)
        nn.functional.cross_entropy(head(pooled), torch.tensor(batch["labels"])).backward()
        opt.step()
        if s >= 2:  # warm-up
            total += time.perf_counter() - t0
            samples += len(rows)
    padding = f"to {pad_to}" if pad_to else "per batch"
    print(f"pytorch finetune: size {dump['size']} padding {padding} threads {threads}: {samples / total:.1f} samples/s")


if __name__ == "__main__":
    main()
