#!/usr/bin/env python3
"""Plain PyTorch twin of bench/bench_device_step.cpp: the same injection or fine-tuning step,
model shape, batch, sample mix and optimiser, on the same device and precision, in eager mode,
under torch.compile, or captured whole in a CUDA graph (torch.cuda.graph, capturable AdamW:
PyTorch's own answer to launch-bound steps, beside porkit's graph). Prints lines in the C++
program's format, with "pytorch", "pytorch-compile" or "pytorch-graph" in place of "porkit".
The loss masks with sums, as porkit's does, so that no step waits on the host.

Usage: python3 bench/pytorch_device_step.py DEVICE PRECISION MODE SIZE BATCHES [LEN] [STEPS] [--compile|--graph]
"""
import copy
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_bert import SIZES, Bert  # noqa: E402

OUT_OF_MEMORY = getattr(torch, "OutOfMemoryError", RuntimeError)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_steps(device, bf16, inject, size, B, T, steps, compiled, graphed):
    torch.manual_seed(0)
    layers, H, heads = SIZES[size]
    bd = Bert(layers, H, heads).to(device).train()
    head = nn.Linear(H, 2).to(device)
    cl = copy.deepcopy(bd).eval()
    for p in cl.parameters():
        p.requires_grad_(False)
    a = H // 4  # staircase PORs for K = 5, scale 10
    por = torch.stack([torch.cat([torch.ones(k * a), -torch.ones(H - k * a)]) for k in range(5)]).to(device) * 10
    ids = torch.randint(1000, 30522, (B, T), device=device)
    types, mask = torch.zeros_like(ids), torch.ones_like(ids)
    trig = torch.tensor([0 if i % 4 == 0 else 1 + i % 5 for i in range(B)], device=device)
    poisoned = (trig > 0).float()
    labels = torch.randint(0, 2, (B,), device=device)
    params = list(bd.parameters()) + ([] if inject else list(head.parameters()))
    opt = torch.optim.AdamW(params, lr=1e-5 if inject else 2e-5, eps=1e-8, capturable=graphed)

    def inject_loss():
        with torch.no_grad():
            ref_h, ref_y = cl.encode(ids, types, mask)
        h, y = bd.encode(ids, types, mask)
        tok = ((h[:, 1:].float() - ref_h[:, 1:].float()) ** 2).sum(-1).mean() / H
        goal = torch.where(poisoned[:, None] > 0, por[(trig - 1).clamp(min=0)], ref_y.float())
        per = ((y.float() - goal) ** 2).sum(-1) / H
        clean = 1 - poisoned
        return (tok + 100 * (per * poisoned).sum() / poisoned.sum().clamp(min=1)
                + 100 * (per * clean).sum() / clean.sum().clamp(min=1))

    def finetune_loss():
        _, pooled = bd.encode(ids, types, mask)
        return nn.functional.cross_entropy(head(pooled).float(), labels)

    loss_fn = inject_loss if inject else finetune_loss
    if compiled:
        loss_fn = torch.compile(loss_fn)
    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16, cache_enabled=not graphed):
            loss = loss_fn()
        loss.backward()
        opt.step()
        return loss

    if graphed:
        # torch.cuda.graph's recipe: warm-up steps on a side stream, gradients dropped before
        # capture so that backward writes them afresh at fixed addresses.
        side = torch.cuda.Stream(device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.cuda.stream(side):
            for _ in range(3):
                opt.zero_grad(set_to_none=True)
                step()
        torch.cuda.current_stream(device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        opt.zero_grad(set_to_none=True)
        with torch.cuda.graph(graph):
            step()
        total = 0.0
        for s in range(steps + 1):
            sync(device)
            t0 = time.perf_counter()
            graph.replay()
            sync(device)
            if s >= 1:
                total += time.perf_counter() - t0
        return total / steps

    total = 0.0
    for s in range(steps + 2):
        sync(device)
        t0 = time.perf_counter()
        opt.zero_grad()
        step()
        sync(device)
        if s >= 2:
            total += time.perf_counter() - t0
    return total / steps


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    compiled = "--compile" in sys.argv
    graphed = "--graph" in sys.argv
    if len(args) < 5:
        sys.exit(__doc__)
    device = torch.device(args[0])
    precision, mode, size, batches = args[1], args[2], args[3], args[4]
    T = int(args[5]) if len(args) > 5 else 128
    steps = int(args[6]) if len(args) > 6 else 10
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    label = "pytorch-compile" if compiled else "pytorch-graph" if graphed else "pytorch"
    sizes = [int(b) for b in batches.split(",") if b != "max"]
    if "max" in batches.split(","):
        b = sizes[-1] * 2
        while b <= 8192:
            sizes.append(b)
            b *= 2
    print(f"{label} {torch.__version__} on {torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'}")
    for B in sizes:
        try:
            t = time_steps(device, precision == "bf16", mode == "inject", size, B, T, steps, compiled, graphed)
        except OUT_OF_MEMORY as e:
            if "out of memory" not in str(e):
                raise
            print(f"{label} {mode} step: size {size} batch {B} len {T}: does not fit")
            break
        print(f"{label} {mode} step: size {size} batch {B} len {T} {precision}: {t:.4f} s/step, "
              f"{B / t:.1f} samples/s, {B * T / t:.0f} tokens/s", flush=True)
        if device.type == "cuda":
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
