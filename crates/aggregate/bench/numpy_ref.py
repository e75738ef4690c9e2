#!/usr/bin/env python3
"""numpy reference for crates/aggregate/examples/aggregate_speed.rs.

Usage: numpy_ref.py DIR N D F

Reads DIR/input.f32 (N x D row-major little-endian float32), times each rule it implements
(best of 5, same definitions as the Rust crate), compares with the Rust outputs DIR/<rule>.f32
(and DIR/<rule>.selected) and prints one JSON object: {rule: {ms, max_abs_diff, ...}, info: ...}.
"""
import json
import os
import sys
import time

import numpy as np


def best_of_5(fn):
    best, out = float("inf"), None
    for _ in range(5):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best * 1e3, out


def trimmed_mean(x, f):
    n = x.shape[0]
    if f == 0:
        return x.mean(axis=0)
    p = np.partition(x, [f, n - f - 1], axis=0)
    return p[f : n - f].mean(axis=0)


def krum_scores(x, f):
    n = x.shape[0]
    c = x - x.mean(axis=0)  # same centring as the Rust code, for the same rounding behaviour
    g = c @ c.T
    sq = np.diag(g)
    dist = np.maximum(sq[:, None] + sq[None, :] - 2.0 * g, 0.0).astype(np.float64)
    np.fill_diagonal(dist, np.inf)
    k = n - f - 2
    nearest = np.partition(dist, k - 1, axis=1)[:, :k]
    return nearest.sum(axis=1)


def krum(x, f):
    return int(np.argmin(krum_scores(x, f)))


def multi_krum(x, f):
    s = krum_scores(x, f)
    sel = np.argsort(s, kind="stable")[: x.shape[0] - f]
    return x[sel].mean(axis=0, dtype=np.float64), sel


def cgc(x, f):
    n = x.shape[0]
    norms = np.linalg.norm(x.astype(np.float64), axis=1)
    thr = np.sort(norms)[n - f - 1]
    w = np.where(norms > thr, thr / norms, 1.0) / n
    return w @ x.astype(np.float64)


def main():
    d_ir, n, d, f = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    x = np.fromfile(os.path.join(d_ir, "input.f32"), dtype="<f4").reshape(n, d)

    def rust(rule):
        return np.fromfile(os.path.join(d_ir, rule + ".f32"), dtype="<f4").astype(np.float64)

    def rust_sel(rule):
        with open(os.path.join(d_ir, rule + ".selected")) as fh:
            return [int(v) for v in fh.read().split(",") if v]

    result = {}

    def record(rule, ms, out, extra=None):
        diff = float(np.max(np.abs(np.asarray(out, dtype=np.float64) - rust(rule))))
        result[rule] = {"ms": ms, "max_abs_diff": diff, **(extra or {})}

    ms, out = best_of_5(lambda: x.mean(axis=0))
    record("mean", ms, out)
    ms, out = best_of_5(lambda: np.median(x, axis=0))
    record("median", ms, out)
    ms, out = best_of_5(lambda: trimmed_mean(x, f))
    record("trimmed-mean", ms, out)
    ms, idx = best_of_5(lambda: krum(x, f))
    record("krum", ms, x[idx], {"selected": idx, "same_selection": idx == rust_sel("krum")[0]})
    ms, (out, sel) = best_of_5(lambda: multi_krum(x, f))
    record("multi-krum", ms, out, {"same_selection": sorted(sel.tolist()) == sorted(rust_sel("multi-krum"))})
    ms, out = best_of_5(lambda: cgc(x, f))
    record("cgc", ms, out)

    info = {"numpy": np.__version__}
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {k: p.get(k) for k in ("internal_api", "num_threads", "architecture", "version")}
            for p in threadpool_info()
        ]
    except ImportError:
        info["blas"] = "threadpoolctl not installed"
    info["OPENBLAS_CORETYPE"] = os.environ.get("OPENBLAS_CORETYPE")
    result["info"] = info
    print(json.dumps(result))


if __name__ == "__main__":
    main()
