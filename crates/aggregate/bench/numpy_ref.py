#!/usr/bin/env python3
"""numpy reference for crates/aggregate/examples/aggregate_speed.rs.

Usage: numpy_ref.py DIR N D F [REPS]

Reads DIR/input.f32 (N x D row-major little-endian float32), times each rule it implements
(best of REPS, default 5, same definitions as the Rust crate; for the trimmed mean the fastest of
three numpy formulations), compares with the Rust outputs DIR/<rule>.f32
(and DIR/<rule>.selected) and prints one JSON object: {rule: {ms, max_abs_diff, ...}, info: ...}.
"""
import json
import os
import sys
import time

import numpy as np


REPS = 5


def best_of_5(fn):
    best, out = float("inf"), None
    for _ in range(REPS):
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


def trimmed_mean_sort(x, f):
    n = x.shape[0]
    return np.sort(x, axis=0)[f : n - f].mean(axis=0)


def trimmed_mean_transposed(x, f):
    # One contiguous row per coordinate, so each partition works on contiguous memory.
    n = x.shape[0]
    t = np.ascontiguousarray(x.T)
    if f == 0:
        return t.mean(axis=1)
    p = np.partition(t, [f, n - f - 1], axis=1)
    return p[:, f : n - f].mean(axis=1)


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
    global REPS
    d_ir, n, d, f = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    if len(sys.argv) > 5:
        REPS = int(sys.argv[5])
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
    variants = {
        "partition": trimmed_mean,
        "sort": trimmed_mean_sort,
        "transposed partition": trimmed_mean_transposed,
    }
    timed = {name: best_of_5(lambda fn=fn: fn(x, f)) for name, fn in variants.items()}
    fastest = min(timed, key=lambda name: timed[name][0])
    ms, out = timed[fastest]
    record(
        "trimmed-mean",
        ms,
        out,
        {"formulation": fastest, "all_ms": {k: round(v[0], 2) for k, v in timed.items()}},
    )
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
