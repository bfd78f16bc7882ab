#!/usr/bin/python3
"""Writes the golden BERT fixtures the C++ parity tests compare against.

An independent PyTorch implementation of the Hugging Face BERT math (written from the
architecture, not from porkit's C++), on a tiny random model. For each architecture it
writes a Hugging Face folder (config.json, model.safetensors, vocab.txt) and
expected.safetensors holding the inputs, the outputs, a loss and the gradient of every
parameter.

Run with Debian's python3-torch (the tests themselves never need Python):
    /usr/bin/python3 tools/golden/make_bert_golden.py tests/fixtures/golden
"""
import json
import math
import os
import struct
import sys

import torch

CONFIG = dict(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
              intermediate_size=48, hidden_act="gelu", hidden_dropout_prob=0.1,
              attention_probs_dropout_prob=0.1, max_position_embeddings=24, type_vocab_size=2,
              initializer_range=0.3, layer_norm_eps=1e-12, pad_token_id=0,
              position_embedding_type="absolute", model_type="bert")
LABELS = {"0": "negative", "1": "neutral", "2": "positive"}


def write_safetensors(path, tensors):
    """Minimal safetensors writer (format: u64 header length, JSON header, raw data)."""
    names = sorted(tensors)
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    dtypes = {torch.float32: "F32", torch.int64: "I64"}
    for n in names:
        t = tensors[n].detach().contiguous().cpu()
        data = t.numpy().tobytes()
        header[n] = {"dtype": dtypes[t.dtype], "shape": list(t.shape),
                     "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def make_params(gen, heads):
    """Random parameters under Hugging Face names. Non-trivial LayerNorm and bias values so
    that a mix-up of weight and bias shows."""
    c = CONFIG
    H, I, V = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    p = {}

    def rnd(*shape, scale=0.3):
        return torch.randn(*shape, generator=gen) * scale

    def ln(prefix):
        p[prefix + ".weight"] = 1.0 + rnd(H, scale=0.1)
        p[prefix + ".bias"] = rnd(H, scale=0.1)

    def lin(prefix, i, o):
        p[prefix + ".weight"] = rnd(o, i, scale=1.0 / math.sqrt(i))
        p[prefix + ".bias"] = rnd(o, scale=0.1)

    p["bert.embeddings.word_embeddings.weight"] = rnd(V, H, scale=1.0)
    p["bert.embeddings.position_embeddings.weight"] = rnd(c["max_position_embeddings"], H)
    p["bert.embeddings.token_type_embeddings.weight"] = rnd(c["type_vocab_size"], H)
    ln("bert.embeddings.LayerNorm")
    for l in range(c["num_hidden_layers"]):
        b = f"bert.encoder.layer.{l}."
        for n in ("query", "key", "value"):
            lin(b + "attention.self." + n, H, H)
        lin(b + "attention.output.dense", H, H)
        ln(b + "attention.output.LayerNorm")
        lin(b + "intermediate.dense", H, I)
        lin(b + "output.dense", I, H)
        ln(b + "output.LayerNorm")
    lin("bert.pooler.dense", H, H)
    if heads == "pretraining":
        lin("cls.predictions.transform.dense", H, H)
        ln("cls.predictions.transform.LayerNorm")
        p["cls.predictions.bias"] = rnd(V, scale=0.1)
        lin("cls.seq_relationship", H, 2)
    elif heads in ("seqcls", "tokcls"):
        lin("classifier", H, len(LABELS))
    return {k: v.requires_grad_(True) for k, v in p.items()}


def layer_norm(x, p, prefix):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + CONFIG["layer_norm_eps"]) * p[prefix + ".weight"] + p[prefix + ".bias"]


def dense(x, p, prefix):
    return x @ p[prefix + ".weight"].T + p[prefix + ".bias"]


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def bert(p, ids, types, mask):
    c = CONFIG
    B, T = ids.shape
    nh = c["num_attention_heads"]
    dh = c["hidden_size"] // nh
    x = (p["bert.embeddings.word_embeddings.weight"][ids]
         + p["bert.embeddings.position_embeddings.weight"][torch.arange(T)][None]
         + p["bert.embeddings.token_type_embeddings.weight"][types])
    x = layer_norm(x, p, "bert.embeddings.LayerNorm")
    bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    attentions = []
    for l in range(c["num_hidden_layers"]):
        b = f"bert.encoder.layer.{l}."

        def heads(t):
            return t.view(B, T, nh, dh).permute(0, 2, 1, 3)
        q = heads(dense(x, p, b + "attention.self.query"))
        k = heads(dense(x, p, b + "attention.self.key"))
        v = heads(dense(x, p, b + "attention.self.value"))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + bias, dim=-1)
        attentions.append(probs)
        ctx = (probs @ v).permute(0, 2, 1, 3).reshape(B, T, nh * dh)
        a = layer_norm(dense(ctx, p, b + "attention.output.dense") + x, p, b + "attention.output.LayerNorm")
        h = gelu(dense(a, p, b + "intermediate.dense"))
        x = layer_norm(dense(h, p, b + "output.dense") + a, p, b + "output.LayerNorm")
    pooled = torch.tanh(dense(x[:, 0], p, "bert.pooler.dense"))
    return x, pooled, attentions


def save_folder(folder, p, architecture, tensors):
    os.makedirs(folder, exist_ok=True)
    config = dict(CONFIG, architectures=[architecture])
    if architecture != "BertForPreTraining":
        config["id2label"] = LABELS
        config["label2id"] = {v: int(k) for k, v in LABELS.items()}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"tok{i}" for i in range(CONFIG["vocab_size"] - 5)]
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")
    write_safetensors(os.path.join(folder, "model.safetensors"), p)
    write_safetensors(os.path.join(folder, "expected.safetensors"), tensors)


def main(out):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1234)
    # Batch of 3 rows, lengths 9, 6 and 4: padding in rows 1 and 2; a pair in row 0.
    ids = torch.tensor([[2, 10, 11, 12, 3, 20, 21, 22, 3],
                        [2, 30, 31, 32, 33, 3, 0, 0, 0],
                        [2, 40, 41, 3, 0, 0, 0, 0, 0]])
    types = torch.tensor([[0, 0, 0, 0, 0, 1, 1, 1, 1]] + [[0] * 9] * 2)
    mask = (torch.arange(9)[None] < torch.tensor([[9], [6], [4]])).long()

    # BertForPreTraining: MLM at 4 positions + NSP.
    p = make_params(gen, "pretraining")
    hidden, pooled, attentions = bert(p, ids, types, mask)
    t = gelu(dense(hidden, p, "cls.predictions.transform.dense"))
    t = layer_norm(t, p, "cls.predictions.transform.LayerNorm")
    mlm_logits = t @ p["bert.embeddings.word_embeddings.weight"].T + p["cls.predictions.bias"]
    nsp_logits = dense(pooled, p, "cls.seq_relationship")
    positions = torch.tensor([1, 3, 11, 19])          # flat indices into B*T
    mlm_labels = torch.tensor([17, 5, 63, 40])
    nsp_labels = torch.tensor([0, 1, 1])
    loss = (torch.nn.functional.cross_entropy(mlm_logits.reshape(-1, CONFIG["vocab_size"])[positions], mlm_labels)
            + torch.nn.functional.cross_entropy(nsp_logits, nsp_labels))
    loss.backward()
    expected = {"input.ids": ids, "input.type_ids": types, "input.attention_mask": mask,
                "input.mlm_positions": positions, "input.mlm_labels": mlm_labels,
                "input.nsp_labels": nsp_labels,
                "out.last_hidden_state": hidden, "out.pooler_output": pooled,
                "out.mlm_logits": mlm_logits, "out.nsp_logits": nsp_logits, "out.loss": loss.reshape(1)}
    for l, a in enumerate(attentions):
        expected[f"out.attentions.{l}"] = a
    for k, v in p.items():
        expected["grad." + k] = v.grad
    save_folder(os.path.join(out, "pretraining"), p, "BertForPreTraining", expected)

    # BertForSequenceClassification: logits, cross-entropy loss, gradients.
    p = make_params(gen, "seqcls")
    hidden, pooled, _ = bert(p, ids, types, mask)
    logits = dense(pooled, p, "classifier")
    labels = torch.tensor([2, 0, 1])
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    expected = {"input.ids": ids, "input.type_ids": types, "input.attention_mask": mask,
                "input.labels": labels, "out.logits": logits, "out.loss": loss.reshape(1)}
    for k, v in p.items():
        expected["grad." + k] = v.grad
    save_folder(os.path.join(out, "seqcls"), p, "BertForSequenceClassification", expected)

    # BertForTokenClassification: logits only.
    p = make_params(gen, "tokcls")
    hidden, _, _ = bert(p, ids, types, mask)
    logits = dense(hidden, p, "classifier")
    expected = {"input.ids": ids, "input.type_ids": types, "input.attention_mask": mask,
                "out.logits": logits}
    save_folder(os.path.join(out, "tokcls"), p, "BertForTokenClassification", expected)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/golden")
