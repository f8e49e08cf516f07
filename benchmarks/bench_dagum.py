"""Benchmark: Dagum Gini decomposition, ours (O(n log n)) against the O(n^2) double loop.

Run by hand (never in CI):

    python benchmarks/bench_dagum.py            # n = 5 000 comparison, then 1e5 and 1e6 alone
    python benchmarks/bench_dagum.py --quick    # skip the pure-Python loop and n = 1e6

The peers are the O(n^2) formulas of Dagum (1997) as circulated in scripts:
(a) a pure-Python double loop over all pairs of units (what the copied
scripts do), and (b) the same sums vectorised with numpy broadcasting, one
group pair at a time (the fastest O(n^2) form; memory n_j x n_h).  Data:
log-normal values in 8 groups of unequal size, seed 0.  Prints seconds,
peak traced memory (tracemalloc) and the ratios, and checks the results agree.
"""
from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

try:
    from spatialnqpf.inequality import dagum_gini
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from spatialnqpf.inequality import dagum_gini


def make_data(n: int, k: int = 8, seed: int = 0):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(k, 2.0))
    g = rng.choice(k, size=n, p=p)
    y = rng.lognormal(mean=0.15 * g, sigma=0.6, size=n)
    return y, np.array([f"g{i}" for i in range(k)], dtype=object)[g]


def dagum_loop(y, g):
    """Pure-Python O(n^2) transcription of docs/methods/inequality.md §4.1 (the peer scripts)."""
    labs = sorted(set(g), key=lambda lab: np.mean(y[g == lab]))
    groups = [list(y[g == lab]) for lab in labs]
    n = len(y)
    mu = sum(y) / n
    means = [sum(v) / len(v) for v in groups]
    tot = 0.0
    ys = list(y)
    for a in ys:
        for b in ys:
            tot += abs(a - b)
    G = tot / (2 * n * n * mu)
    p = [len(v) / n for v in groups]
    s = [len(v) * m / (n * mu) for v, m in zip(groups, means)]
    Gw = 0.0
    for j, v in enumerate(groups):
        t = 0.0
        for a in v:
            for b in v:
                t += abs(a - b)
        Gw += t / (2 * len(v) ** 2 * means[j]) * p[j] * s[j]
    Gnb = Gt = 0.0
    for j in range(len(groups)):
        for h in range(j):
            d = q = 0.0
            for a in groups[j]:
                for b in groups[h]:
                    if a > b:
                        d += a - b
                    else:
                        q += b - a
            nn = len(groups[j]) * len(groups[h])
            Gjh = (d + q) / (nn * (means[j] + means[h]))
            D = (d - q) / (d + q)
            wt = p[j] * s[h] + p[h] * s[j]
            Gnb += Gjh * wt * D
            Gt += Gjh * wt * (1 - D)
    return G, Gw, Gnb, Gt


def dagum_broadcast(y, g):
    """numpy-broadcast O(n^2) version (one n_j x n_h block at a time)."""
    labs = sorted(set(g), key=lambda lab: y[g == lab].mean())
    groups = [y[g == lab] for lab in labs]
    n, mu = len(y), y.mean()
    means = np.array([v.mean() for v in groups])
    sizes = np.array([len(v) for v in groups])
    p, s = sizes / n, sizes * means / (n * mu)
    A = np.zeros((len(groups), len(groups)))
    P = np.zeros_like(A)
    for j, a in enumerate(groups):
        for h, b in enumerate(groups):
            diff = a[:, None] - b[None, :]
            A[j, h] = np.abs(diff).sum()
            P[j, h] = np.maximum(diff, 0).sum()
    G = A.sum() / (2 * n * n * mu)
    Gw = float(np.sum(np.diag(A) / (2 * sizes ** 2 * means) * p * s))
    Gnb = Gt = 0.0
    for j in range(len(groups)):
        for h in range(j):
            Gjh = A[j, h] / (sizes[j] * sizes[h] * (means[j] + means[h]))
            D = (P[j, h] - P[h, j]) / (P[j, h] + P[h, j])
            wt = p[j] * s[h] + p[h] * s[j]
            Gnb += Gjh * wt * D
            Gt += Gjh * wt * (1 - D)
    return G, Gw, Gnb, Gt


def timed(fn, *a, repeat=1):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*a)
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn(*a)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, best, peak / 2 ** 20


def ours(y, g):
    r = dagum_gini(y, g)
    return r.G, r.G_w, r.G_nb, r.G_t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()

    n = 5_000
    y, g = make_data(n)
    r0, t0, m0 = timed(ours, y, g, repeat=5)
    print(f"n = {n:,} units, 8 groups")
    print(f"  ours (O(n log n))          {t0:9.4f} s   peak {m0:8.1f} MiB")
    r1, t1, m1 = timed(dagum_broadcast, y, g)
    print(f"  numpy broadcast O(n^2)     {t1:9.4f} s   peak {m1:8.1f} MiB   ratio {t1 / t0:8.1f}x")
    assert np.allclose(r0, r1, rtol=1e-10), (r0, r1)
    if not args.quick:
        t = time.perf_counter()
        r2 = dagum_loop(y, g)
        t2 = time.perf_counter() - t
        print(f"  pure-Python double loop    {t2:9.4f} s                      ratio {t2 / t0:8.1f}x")
        assert np.allclose(r0, r2, rtol=1e-9), (r0, r2)
    print(f"  agreement: max |diff| = {np.max(np.abs(np.subtract(r0, r1))):.2e}")

    for n in ([100_000] if args.quick else [100_000, 1_000_000]):
        y, g = make_data(n)
        r, t, m = timed(ours, y, g, repeat=3)
        print(f"n = {n:>9,}: ours {t:8.3f} s   peak {m:8.1f} MiB   "
              f"G = {r[0]:.6f}, |G - (G_w + G_nb + G_t)| = {abs(r[0] - sum(r[1:])):.1e}")


if __name__ == "__main__":
    main()
