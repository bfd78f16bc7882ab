#!/usr/bin/python3
"""Plain PyTorch reference for the benchmarks: the same BERT (HF architecture, erf GELU,
post-LayerNorm), the same pre-training step (MLM at 15% of positions + NSP, AdamW) and the
same fixed shape as bench/bench_pretrain_step.cpp, eager mode, fp32.

Usage: /usr/bin/python3 bench/pytorch_bert.py SIZE [BATCH] [LEN] [STEPS] [THREADS]
"""
import math
import os
import sys
import time

import torch
from torch import nn

# Fused attention where PyTorch has it; PORKIT_BENCH_PLAIN_ATTENTION=1 keeps the matmul/softmax path.
USE_SDPA = hasattr(nn.functional, "scaled_dot_product_attention") and not os.environ.get("PORKIT_BENCH_PLAIN_ATTENTION")

SIZES = {"tiny": (2, 128, 2), "mini": (4, 256, 4), "small": (4, 512, 8), "medium": (8, 512, 8), "base": (12, 768, 12)}


class Layer(nn.Module):
    def __init__(self, h, heads):
        super().__init__()
        self.heads, self.dh = heads, h // heads
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(h, eps=1e-12), nn.LayerNorm(h, eps=1e-12)
        self.fc1, self.fc2 = nn.Linear(h, 4 * h), nn.Linear(4 * h, h)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, bias):
        B, T, H = x.shape
        split = lambda t: t.view(B, T, self.heads, self.dh).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        if USE_SDPA:  # the fused kernel, as PyTorch users get it (torch >= 2)
            ctx = nn.functional.scaled_dot_product_attention(q, k, v, bias.to(q.dtype), self.drop.p if self.training else 0.0)
        else:
            ctx = self.drop(torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.dh) + bias, -1)) @ v
        a = self.ln1(x + self.drop(self.o(ctx.transpose(1, 2).reshape(B, T, H))))
        return self.ln2(a + self.drop(self.fc2(nn.functional.gelu(self.fc1(a)))))


class Bert(nn.Module):
    def __init__(self, layers, h, heads, vocab=30522):
        super().__init__()
        self.word, self.pos, self.token_type = nn.Embedding(vocab, h), nn.Embedding(512, h), nn.Embedding(2, h)
        self.ln = nn.LayerNorm(h, eps=1e-12)
        self.layers = nn.ModuleList(Layer(h, heads) for _ in range(layers))
        self.pool = nn.Linear(h, h)
        self.t_dense, self.t_ln = nn.Linear(h, h), nn.LayerNorm(h, eps=1e-12)
        self.mlm_bias = nn.Parameter(torch.zeros(vocab))
        self.nsp = nn.Linear(h, 2)
        self.drop = nn.Dropout(0.1)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.data.normal_(0, 0.02)

    def encode(self, ids, types, mask):
        """Last hidden states (B, T, H) and pooled output (B, H)."""
        T = ids.shape[1]
        x = self.drop(self.ln(self.word(ids) + self.pos(torch.arange(T, device=ids.device))[None] + self.token_type(types)))
        bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, bias)
        return x, torch.tanh(self.pool(x[:, 0]))

    def forward(self, ids, types, mask, positions):
        x, pooled = self.encode(ids, types, mask)
        h = x.reshape(-1, x.shape[-1])[positions]
        h = self.t_ln(nn.functional.gelu(self.t_dense(h)))
        return h @ self.word.weight.T + self.mlm_bias, self.nsp(pooled)


def main():
    size = sys.argv[1] if len(sys.argv) > 1 else "mini"
    B = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    T = int(sys.argv[3]) if len(sys.argv) > 3 else 128
    steps = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else torch.get_num_threads()
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    model = Bert(*SIZES[size]).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(1000, 30522, (B, T))
    types, mask = torch.zeros(B, T, dtype=torch.long), torch.ones(B, T, dtype=torch.long)
    n = B * T * 15 // 100
    positions = torch.randperm(B * T)[:n]
    labels, nsp_labels = torch.randint(1000, 30522, (n,)), torch.randint(0, 2, (B,))
    total = 0.0
    for s in range(steps + 2):
        t0 = time.perf_counter()
        opt.zero_grad()
        mlm, nsp = model(ids, types, mask, positions)
        loss = nn.functional.cross_entropy(mlm, labels) + nn.functional.cross_entropy(nsp, nsp_labels)
        loss.backward()
        opt.step()
        if s >= 2:
            total += time.perf_counter() - t0
    per = total / steps
    print(f"pytorch pretrain step: size {size} batch {B} len {T} threads {threads}: {per:.3f} s/step, {B * T / per:.0f} tokens/s")


if __name__ == "__main__":
    main()
