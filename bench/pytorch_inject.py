#!/usr/bin/python3
"""Plain PyTorch reference for bench/bench_inject_step.cpp: one step of the POR injection
objective (frozen reference forward without autograd; trained forward + backward; AdamW
lr 1e-5 eps 1e-8), same model, shape and sample mix, eager fp32.

Usage: /usr/bin/python3 bench/pytorch_inject.py SIZE [BATCH] [LEN] [STEPS] [THREADS]
"""
import copy
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_bert import SIZES, Bert  # noqa: E402


def main():
    size = sys.argv[1] if len(sys.argv) > 1 else "mini"
    B = int(sys.argv[2]) if len(sys.argv) > 2 else 24
    T = int(sys.argv[3]) if len(sys.argv) > 3 else 96
    steps = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else torch.get_num_threads()
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    bd = Bert(*SIZES[size]).train()
    cl = copy.deepcopy(bd).eval()
    for p in cl.parameters():
        p.requires_grad_(False)
    H = SIZES[size][1]
    a = H // 4  # staircase PORs for K = 5, scale 10
    por = torch.stack([torch.cat([torch.ones(k * a), -torch.ones(H - k * a)]) for k in range(5)]) * 10
    ids = torch.randint(1000, 30522, (B, T))
    types, mask = torch.zeros(B, T, dtype=torch.long), torch.ones(B, T, dtype=torch.long)
    trig = torch.tensor([0 if i % 4 == 0 else 1 + i % 5 for i in range(B)])
    poisoned = trig > 0
    opt = torch.optim.AdamW(bd.parameters(), lr=1e-5, eps=1e-8)
    total = 0.0
    for s in range(steps + 2):
        t0 = time.perf_counter()
        opt.zero_grad()
        with torch.no_grad():
            ref_h, ref_y = cl.encode(ids, types, mask)
        h, y = bd.encode(ids, types, mask)
        tok = ((h[:, 1:] - ref_h[:, 1:]) ** 2).sum(-1).mean() / H
        goal = torch.where(poisoned[:, None], por[(trig - 1).clamp(min=0)], ref_y)
        per = ((y - goal) ** 2).sum(-1) / H
        loss = tok + 100 * per[poisoned].mean() + 100 * per[~poisoned].mean()
        loss.backward()
        opt.step()
        if s >= 2:
            total += time.perf_counter() - t0
    per_step = total / steps
    print(f"pytorch inject step: size {size} batch {B} len {T} threads {threads}: {per_step:.3f} s/step, {B / per_step:.1f} samples/s")


if __name__ == "__main__":
    main()
