#!/usr/bin/env python3
"""sentence-transformers baseline for the built-in embedder (all-MiniLM-L6-v2), one CPU thread.

Issue 3 asks the Rust embedder (crates/builtin, `MiniLm`) for at least 1.5x the batch-of-8
throughput of sentence-transformers on one thread, with the same cosines (within 1e-3). This
script times sentence-transformers on exactly the sentence sets the Rust benchmark uses
(crates/builtin/testdata/embed_speed_sets.json), alone and in batches of 8, and writes the
embeddings so that `embed_speed --compare FILE` can check the cosines.

Dependencies: torch and sentence-transformers, installed OUTSIDE the repository (never add them
to the repo's requirements or tests). What was used here (PyPI only, no Hugging Face access):

    python3 -m pip install --target /work/st-py --no-deps torch==2.9.1 \
        sentence-transformers transformers huggingface-hub tokenizers safetensors tqdm \
        filelock fsspec packaging scipy scikit-learn threadpoolctl joblib narwhals
    # the PyPI torch build is the CUDA one: `import torch` needs its nvidia-* libraries
    grep '^Requires-Dist: nvidia' /work/st-py/torch-*.dist-info/METADATA \
        | sed 's/Requires-Dist: //; s/;.*//; s/ //g' > /tmp/nv.txt
    python3 -m pip install --target /work/st-py --no-deps -r /tmp/nv.txt   # ~3 GB
    python3 -m pip install --target /work/st-py httpx2 typer click hf-xet

(numpy, sympy, networkx, jinja2, pyyaml, regex, requests came from the system Python.)
Versions measured: torch 2.9.1 (MKL, AVX-512), sentence-transformers 6.2.0, transformers 5.24.0.

Run (offline; the model is read from the files `byzvote models fetch` installed):

    PYTHONPATH=/work/st-py python3 scripts/embed-baseline.py --out /tmp/st-embeddings.json
    cargo run --release -p byzvote-builtin --example embed_speed -- --compare /tmp/st-embeddings.json

Options: --models-dir DIR (default ~/.local/share/byzvote/models), --rounds N (default 20),
--sets a,b (default all sets in the JSON). Prints ms per sentence, wall and CPU (process CPU
time, all threads), for `SentenceTransformer.encode` (what users call) and for the bare torch
forward (tokenizer + BertModel + mean pooling + L2 norm, no encode() bookkeeping), and one
machine-readable `RESULT ...` line per engine and set (scripts/embed-compare.sh collects them).

The pipeline is the one all-MiniLM-L6-v2's sentence-transformers config builds: Transformer
(max_seq_length 256) -> Pooling(mean) -> Normalize.
"""
import argparse
import json
import os
import sys
import tempfile
import time

# One thread everywhere, before torch / tokenizers start their pools; no network.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(var, "1")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer, models  # noqa: E402
import sentence_transformers  # noqa: E402
import transformers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SETS = os.path.join(HERE, "..", "crates", "builtin", "testdata", "embed_speed_sets.json")
# The byzvote file names and the names transformers expects in a model folder.
FILES = {
    "all-minilm-l6-v2.safetensors": "model.safetensors",
    "all-minilm-l6-v2.tokenizer.json": "tokenizer.json",
    "all-minilm-l6-v2.config.json": "config.json",
}


def model_folder(models_dir):
    """A temporary folder of symlinks with the names transformers looks for."""
    folder = tempfile.mkdtemp(prefix="minilm-st-")
    for src, dst in FILES.items():
        path = os.path.join(models_dir, src)
        if not os.path.exists(path):
            sys.exit(f"missing {path}: run `byzvote models fetch` first")
        os.symlink(path, os.path.join(folder, dst))
    return folder


def load(models_dir):
    folder = model_folder(models_dir)
    word = models.Transformer(folder, max_seq_length=256)
    pool = models.Pooling(word.get_embedding_dimension(), pooling_mode="mean")
    return SentenceTransformer(modules=[word, pool, models.Normalize()], device="cpu")


def make_forward(st):
    """The bare torch path: tokenizer, BertModel, mean pooling, L2 normalisation."""
    tok, bert = st[0].tokenizer, st[0].auto_model

    def forward(texts):
        with torch.inference_mode():
            enc = tok(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
            hidden = bert(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1).numpy()

    return forward


class Clock:
    def __init__(self):
        self.wall = self.cpu = 0.0
        self.n = 0

    def time(self, f, batch):
        w, c = time.perf_counter(), time.process_time()
        f(batch)
        self.wall += time.perf_counter() - w
        self.cpu += time.process_time() - c
        self.n += len(batch)

    def ms(self):
        n = max(self.n, 1)
        return self.wall * 1e3 / n, self.cpu * 1e3 / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models-dir", default=os.path.expanduser("~/.local/share/byzvote/models"))
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--sets", default="")
    ap.add_argument("--out", help="write the embeddings (JSON) here")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    with open(SETS) as f:
        sets = {k: v for k, v in json.load(f).items() if not k.startswith("_")}
    if args.sets:
        sets = {k: sets[k] for k in args.sets.split(",")}
    st = load(args.models_dir)
    st.eval()
    forward = make_forward(st)

    def encode(texts):
        with torch.inference_mode():
            return st.encode(texts, batch_size=8, show_progress_bar=False, convert_to_numpy=True)

    engines = [("st-encode", encode), ("torch-forward", forward)]
    print(
        f"torch {torch.__version__} ({torch.get_num_threads()} thread), sentence-transformers "
        f"{sentence_transformers.__version__}, transformers {transformers.__version__}, "
        f"attention {st[0].auto_model.config._attn_implementation}"
    )
    out = {
        "engine": f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}",
        "sets": {},
    }
    for name, texts in sets.items():
        batch = encode(texts)
        alone = [encode([t])[0] for t in texts]
        bare = forward(texts)
        drift = max(float(abs(batch - bare).max()), max(float(abs(a - b).max()) for a, b in zip(alone, batch)))
        out["sets"][name] = [
            {"text": t, "embedding": [float(x) for x in b], "alone": [float(x) for x in a]}
            for t, b, a in zip(texts, batch, alone)
        ]
        for _, f in engines:  # warm up
            for _ in range(3):
                f(texts)
                for t in texts:
                    f([t])
        clocks = {e: (Clock(), Clock()) for e, _ in engines}
        for _ in range(args.rounds):
            for e, f in engines:
                one, eight = clocks[e]
                for t in texts:
                    one.time(f, [t])
                eight.time(f, texts)
        print(f"set {name}: {args.rounds} rounds of {len(texts)} sentences; encode vs forward vs alone max |diff| {drift:.1e}")
        for e, _ in engines:
            (aw, ac), (bw, bc) = (c.ms() for c in clocks[e])
            print(
                f"  {e:<14} alone {aw:6.2f} ms/sentence wall ({ac:5.2f} CPU)   "
                f"batches of 8 {bw:6.2f} ms/sentence wall ({bc:5.2f} CPU)"
            )
            print(f"RESULT engine={e} set={name} alone_wall={aw:.3f} alone_cpu={ac:.3f} batch_wall={bw:.3f} batch_cpu={bc:.3f}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f)
        print(f"embeddings written to {args.out}")


if __name__ == "__main__":
    main()
