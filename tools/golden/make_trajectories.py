#!/usr/bin/python3
"""Writes the 10-step loss trajectories the C++ trajectory tests compare against, as llm.c's
test_gpt2.c does for its training step.

The PyTorch twin of porkit's BERT (bench/pytorch_bert.py, written from the architecture) is
trained for 10 optimizer steps on fixed batches twice:
  inject    the POR objective of Shen et al. (frozen reference copy; token term + POR term +
            clean term, weights 1/100/100), AdamW lr 1e-3 eps 1e-8, constant rate, no clipping;
  finetune  cross-entropy of a linear head on the pooled output, AdamW lr 5e-3 eps 1e-6, 1 step
            of linear warm-up then linear decay, clipping at 1.0.
Both use weight decay 0.01 except on biases and LayerNorm weights, dropout 0. The script writes
the start weights as Hugging Face folders, the batches, and the loss of every step.

Run with Debian's python3-torch (the tests themselves never need Python):
    /usr/bin/python3 tools/golden/make_trajectories.py tests/fixtures/trajectory
"""
import copy
import json
import os
import shutil
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
sys.path.insert(0, HERE)
from make_bert_golden import write_safetensors  # noqa: E402
from pytorch_bert import Bert  # noqa: E402

LAYERS, HIDDEN, HEADS, VOCAB, STEPS = 2, 32, 2, 64, 10
CONFIG = dict(vocab_size=VOCAB, hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
              intermediate_size=4 * HIDDEN, hidden_act="gelu", hidden_dropout_prob=0.0,
              attention_probs_dropout_prob=0.0, max_position_embeddings=512, type_vocab_size=2,
              initializer_range=0.02, layer_norm_eps=1e-12, pad_token_id=0, position_embedding_type="absolute",
              model_type="bert")


def hf_state(model, prefix):
    """The twin's parameters under Hugging Face names."""
    names = {"word.weight": "embeddings.word_embeddings.weight", "pos.weight": "embeddings.position_embeddings.weight",
             "token_type.weight": "embeddings.token_type_embeddings.weight", "ln.weight": "embeddings.LayerNorm.weight",
             "ln.bias": "embeddings.LayerNorm.bias", "pool.weight": "pooler.dense.weight", "pool.bias": "pooler.dense.bias"}
    layer = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "o": "attention.output.dense", "ln1": "attention.output.LayerNorm", "fc1": "intermediate.dense",
             "fc2": "output.dense", "ln2": "output.LayerNorm"}
    out = {}
    for n, p in model.named_parameters():
        if n in names:
            out[prefix + names[n]] = p
        elif n.startswith("layers."):
            _, i, module, kind = n.split(".")
            out[f"{prefix}encoder.layer.{i}.{layer[module]}.{kind}"] = p
    return out


def no_decay(name):
    return name.endswith("bias") or "LayerNorm" in name


def adamw(named, lr, eps):
    decay = [p for n, p in named.items() if not no_decay(n)]
    plain = [p for n, p in named.items() if no_decay(n)]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": plain, "weight_decay": 0.0}],
                             lr=lr, eps=eps, betas=(0.9, 0.999))


def write_folder(path, architecture, tensors, labels=None):
    os.makedirs(path, exist_ok=True)
    config = dict(CONFIG, architectures=[architecture])
    if labels:
        config["id2label"] = {str(i): l for i, l in enumerate(labels)}
        config["label2id"] = {l: i for i, l in enumerate(labels)}
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    shutil.copy(os.path.join(HERE, "..", "..", "tests", "fixtures", "golden", "pretraining", "vocab.txt"),
                os.path.join(path, "vocab.txt"))
    write_safetensors(os.path.join(path, "model.safetensors"), tensors)


def batches(gen, count, rows, max_len, with_trigger):
    """Rows of ids [CLS]=2 ... [SEP]=3 with random lengths (padding 0), and per row a trigger
    number (inject) or a label (finetune)."""
    out = []
    for _ in range(count):
        b = []
        for r in range(rows):
            n = int(torch.randint(3, max_len - 1, (1,), generator=gen))
            ids = [2] + torch.randint(5, VOCAB, (n,), generator=gen).tolist() + [3]
            # a trigger number 0..2 (inject); a label the first word decides (finetune, learnable)
            tag = int(torch.randint(0, 3, (1,), generator=gen)) if with_trigger else ids[1] % 2
            b.append({"ids": ids, "tag": tag})
        out.append(b)
    return out


def tensors_of(batch):
    T = max(len(r["ids"]) for r in batch)
    ids = torch.zeros(len(batch), T, dtype=torch.long)
    mask = torch.zeros(len(batch), T, dtype=torch.long)
    for i, r in enumerate(batch):
        ids[i, : len(r["ids"])] = torch.tensor(r["ids"])
        mask[i, : len(r["ids"])] = 1
    return ids, torch.zeros_like(ids), mask, torch.tensor([r["tag"] for r in batch])


def inject_trajectory(out):
    torch.manual_seed(1)
    bd = Bert(LAYERS, HIDDEN, HEADS, VOCAB).eval()  # eval: no dropout; gradients still flow
    cl = copy.deepcopy(bd)
    for p in cl.parameters():
        p.requires_grad_(False)
    write_folder(os.path.join(out, "inject-model"), "BertModel",
                 {n: p.detach() for n, p in hf_state(bd, "").items()})
    por = torch.stack([-torch.ones(HIDDEN), torch.cat([torch.ones(HIDDEN // 2), -torch.ones(HIDDEN // 2)])])
    data = batches(torch.Generator().manual_seed(2), STEPS, 6, 12, with_trigger=True)
    named = hf_state(bd, "bert.")
    opt = adamw(named, 1e-3, 1e-8)
    losses = []
    for batch in data:
        ids, types, mask, trig = tensors_of(batch)
        opt.zero_grad()
        with torch.no_grad():
            ref_h, ref_y = cl.encode(ids, types, mask)
        h, y = bd.encode(ids, types, mask)
        tok_mask = mask[:, 1:].float()
        tok = (((h[:, 1:] - ref_h[:, 1:]) ** 2).sum(-1) / HIDDEN * tok_mask).sum() / tok_mask.sum()
        poisoned = trig > 0
        goal = torch.where(poisoned[:, None], por[(trig - 1).clamp(min=0)], ref_y)
        per = ((y - goal) ** 2).sum(-1) / HIDDEN
        por_term = per[poisoned].sum() / max(1, int(poisoned.sum()))
        clean_term = per[~poisoned].sum() / max(1, int((~poisoned).sum()))
        loss = tok + 100 * por_term + 100 * clean_term
        losses.append(loss.item())
        loss.backward()
        opt.step()
    return {"batches": data, "por": por.tolist(), "losses": losses}


def finetune_trajectory(out):
    torch.manual_seed(3)
    model = Bert(LAYERS, HIDDEN, HEADS, VOCAB).eval()
    head = nn.Linear(HIDDEN, 2)
    head.weight.data.normal_(0, 0.02)
    head.bias.data.zero_()
    tensors = {n: p.detach() for n, p in hf_state(model, "bert.").items()}
    tensors["classifier.weight"], tensors["classifier.bias"] = head.weight.detach(), head.bias.detach()
    write_folder(os.path.join(out, "finetune-model"), "BertForSequenceClassification", tensors, ["neg", "pos"])
    data = batches(torch.Generator().manual_seed(4), STEPS, 8, 12, with_trigger=False)
    named = hf_state(model, "bert.")
    named["classifier.weight"], named["classifier.bias"] = head.weight, head.bias
    lr, warmup = 5e-3, int(0.1 * STEPS)
    opt = adamw(named, lr, 1e-6)
    losses = []
    for step, batch in enumerate(data):
        scheduled = lr * (step + 1) / warmup if step < warmup else lr * (STEPS - step) / (STEPS - warmup)
        for g in opt.param_groups:
            g["lr"] = scheduled
        ids, types, mask, labels = tensors_of(batch)
        opt.zero_grad()
        _, pooled = model.encode(ids, types, mask)
        loss = nn.functional.cross_entropy(head(pooled), labels)
        losses.append(loss.item())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(named.values()), 1.0)
        opt.step()
    return {"batches": data, "losses": losses}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    result = {"inject": inject_trajectory(out), "finetune": finetune_trajectory(out)}
    with open(os.path.join(out, "trajectories.json"), "w") as f:
        json.dump(result, f, indent=1)
    print("inject losses  ", " ".join(f"{x:.5f}" for x in result["inject"]["losses"]))
    print("finetune losses", " ".join(f"{x:.5f}" for x in result["finetune"]["losses"]))


if __name__ == "__main__":
    main()
