#!/usr/bin/python3
"""An independent check of porkit's masked-LM accuracy at [MASK] positions.

porkit quality --dump-instances FILE writes the held-out instances it scores (token ids with
every selected position already [MASK], the positions and the true tokens). This script
reads them and the model folder with its own safetensors reader, runs its own BERT forward
(written from the Hugging Face architecture, not from porkit's C++), and counts how often
the arg-max of the masked-LM head is the true token. It also scores next-sentence
prediction on the same instances. Compare with porkit's figures:

    build/porkit quality --model DIR --out q.json --dump-instances inst.safetensors
    /usr/bin/python3 tools/reference/mlm_at_mask.py DIR inst.safetensors q.json

Exits non-zero when the two accuracies differ by more than 0.01 (issue 16's criterion).
Needs Debian's python3-torch only.
"""
import json
import math
import os
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64,
          "F64": torch.float64, "I32": torch.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[start:end]), dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = t.float() if t.is_floating_point() else t
    return out


def read_model(folder):
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        weights = {}
        for shard in sorted(set(json.load(open(index))["weight_map"].values())):
            weights.update(read_safetensors(os.path.join(folder, shard)))
    else:
        weights = read_safetensors(os.path.join(folder, "model.safetensors"))
    return json.load(open(os.path.join(folder, "config.json"))), weights


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * w + b


def encoder(cfg, W, ids, types, mask):
    eps = cfg.get("layer_norm_eps", 1e-12)
    B, T = ids.shape
    H, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    d = H // heads
    pos = torch.arange(T)
    x = (W["bert.embeddings.word_embeddings.weight"][ids] + W["bert.embeddings.position_embeddings.weight"][pos]
         + W["bert.embeddings.token_type_embeddings.weight"][types])
    x = layer_norm(x, W["bert.embeddings.LayerNorm.weight"], W["bert.embeddings.LayerNorm.bias"], eps)
    bias = (1.0 - mask[:, None, None, :].double()) * -1e9  # keys that are padding get no weight
    for l in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{l}."
        lin = lambda v, n: v @ W[p + n + ".weight"].t() + W[p + n + ".bias"]
        split = lambda v: v.reshape(B, T, heads, d).transpose(1, 2)
        q, k, v = (split(lin(x, "attention.self." + n)) for n in ("query", "key", "value"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + bias
        ctx = (torch.softmax(scores, -1) @ v).transpose(1, 2).reshape(B, T, H)
        x = layer_norm(x + lin(ctx, "attention.output.dense"), W[p + "attention.output.LayerNorm.weight"],
                       W[p + "attention.output.LayerNorm.bias"], eps)
        h = gelu(lin(x, "intermediate.dense"))
        x = layer_norm(x + lin(h, "output.dense"), W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"], eps)
    return x


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    folder, instances, results = sys.argv[1:]
    cfg, W = read_model(folder)
    W = {k if k.startswith(("bert.", "cls.")) else "bert." + k: v.double() if v.is_floating_point() else v
         for k, v in W.items()}
    I = read_safetensors(instances)
    eps = cfg.get("layer_norm_eps", 1e-12)
    decoder = W.get("cls.predictions.decoder.weight", W["bert.embeddings.word_embeddings.weight"])  # tied
    correct = total = nsp_correct = nsp_total = 0
    B = I["ids"].shape[0]
    T = I["ids"].shape[1]
    with torch.no_grad():
        for start in range(0, B, 32):
            sl = slice(start, min(B, start + 32))
            ids, types, mask = I["ids"][sl], I["type_ids"][sl], I["attention_mask"][sl]
            x = encoder(cfg, W, ids, types, mask)
            flat = x.reshape(-1, x.shape[-1])
            pos = I["mlm_positions"]
            chosen = (pos >= start * T) & (pos < sl.stop * T)
            h = flat[pos[chosen] - start * T]
            h = gelu(h @ W["cls.predictions.transform.dense.weight"].t() + W["cls.predictions.transform.dense.bias"])
            h = layer_norm(h, W["cls.predictions.transform.LayerNorm.weight"], W["cls.predictions.transform.LayerNorm.bias"], eps)
            logits = h @ decoder.t() + W["cls.predictions.bias"]
            correct += int((logits.argmax(-1) == I["mlm_labels"][chosen]).sum())
            total += int(chosen.sum())
            if "cls.seq_relationship.weight" in W:
                pooled = torch.tanh(x[:, 0] @ W["bert.pooler.dense.weight"].t() + W["bert.pooler.dense.bias"])
                nsp = pooled @ W["cls.seq_relationship.weight"].t() + W["cls.seq_relationship.bias"]
                nsp_correct += int((nsp.argmax(-1) == I["nsp_labels"][sl]).sum())
                nsp_total += ids.shape[0]
    ours = correct / total
    porkit = json.load(open(results))
    theirs = porkit["mlm_accuracy_at_mask"]
    print(f"masked tokens {total}: reference accuracy at [MASK] {ours:.4f}, porkit {theirs:.4f}, "
          f"difference {abs(ours - theirs):.4f}")
    if nsp_total:
        print(f"next-sentence accuracy on these instances: reference {nsp_correct / nsp_total:.4f} "
              f"(porkit scores NSP on the 80/10/10 form of the same instances: {porkit.get('nsp_accuracy')})")
    sys.exit(0 if abs(ours - theirs) <= 0.01 else 1)


if __name__ == "__main__":
    main()
