#!/usr/bin/env python3
"""Independent reference for the MiniLM embedder: BERT in plain numpy.

Reads the fetched all-MiniLM-L6-v2 files (model.safetensors, tokenizer.json), tokenizes with a
from-scratch BERT basic tokenizer + WordPiece, runs the 6-layer encoder, mean-pools and
L2-normalises, and writes minilm_reference.json next to this script. The Rust test
`minilm_matches_the_numpy_reference` compares candle's output with it.

Usage: python3 minilm_reference.py MODELS_DIR   (needs numpy only)
"""
import json, math, os, struct, sys, unicodedata
import numpy as np

SENTENCES = [
    "17 is a prime number.",
    "17 is not a prime number.",
    "The cat sat on the mat.",
    "A cat was sitting on the mat.",
    "Stock markets fell sharply on Monday.",
    "Yes",
    "No",
    "Café owners in Zürich don't open before 9:30!",
]


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__" or v["dtype"] != "F32":
            continue
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(data[a:b], dtype="<f4").reshape(v["shape"]).astype(np.float64)
    return out


def is_punct(c):
    o = ord(c)
    if 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def basic_tokens(text):
    text = "".join(" " if c.isspace() else c for c in text if not (ord(c) == 0 or ord(c) == 0xFFFD or unicodedata.category(c) in ("Cc", "Cf") and not c.isspace()))
    text = text.lower()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    out = []
    for word in text.split():
        cur = ""
        for c in word:
            if is_punct(c):
                if cur:
                    out.append(cur)
                    cur = ""
                out.append(c)
            else:
                cur += c
        if cur:
            out.append(cur)
    return out


def wordpiece(word, vocab):
    if len(word) > 100:
        return [vocab["[UNK]"]]
    ids, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                found = vocab[piece]
                break
            end -= 1
        if found is None:
            return [vocab["[UNK]"]]
        ids.append(found)
        start = end
    return ids


def layer_norm(x, w, b, eps=1e-12):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


ERF = np.vectorize(math.erf)


def embed(ids, W):
    t = len(ids)
    x = W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][:t] + W["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"])
    lin = lambda x, p: x @ W[p + ".weight"].T + W[p + ".bias"]
    for l in range(6):
        p = f"encoder.layer.{l}."
        q, k, v = (lin(x, p + "attention.self." + n).reshape(t, 12, 32).transpose(1, 0, 2) for n in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / math.sqrt(32)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(t, 384)
        x = layer_norm(lin(ctx, p + "attention.output.dense") + x, W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"])
        h = lin(x, p + "intermediate.dense")
        h = 0.5 * h * (1 + ERF(h / math.sqrt(2)))
        x = layer_norm(lin(h, p + "output.dense") + x, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"])
    m = x.mean(0)
    return m / np.linalg.norm(m)


def main():
    d = sys.argv[1]
    W = load_safetensors(os.path.join(d, "all-minilm-l6-v2.safetensors"))
    vocab = json.load(open(os.path.join(d, "all-minilm-l6-v2.tokenizer.json")))["model"]["vocab"]
    out = []
    for s in SENTENCES:
        ids = [vocab["[CLS]"]] + [i for w in basic_tokens(s) for i in wordpiece(w, vocab)] + [vocab["[SEP]"]]
        out.append({"text": s, "ids": ids, "embedding": [round(float(v), 7) for v in embed(ids, W)]})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "minilm_reference.json")
    json.dump(out, open(path, "w"), indent=0)
    e = np.array([o["embedding"] for o in out])
    print("cos(prime, not prime) = %.4f  cos(yes, no) = %.4f" % (e[0] @ e[1], e[5] @ e[6]))


main()
