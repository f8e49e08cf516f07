"""Benchmark: Hansen's panel-threshold bootstrap, ours against a pure-numpy loop.

Run by hand (never in CI):

    python benchmarks/bench_threshold.py            # Hansen's size, then 3 000 x 15
    python benchmarks/bench_threshold.py --quick    # Hansen's size only
    python benchmarks/bench_threshold.py --quick --backend processes   # also on 2 processes

The task: the single- and double-threshold tests of ``panel_threshold`` with 300
fixed-regressor bootstrap draws each (thresholds re-estimated in every draw: γ̂₁, γ̂₂ | γ̂₁ and
the refinement), on the quantile grid of Hansen's code (``grid=400``, trim 0.01).  Data:
generated like Hansen's application (5 regime-independent regressors, one regime
regressor, two thresholds) at N = 565, T = 14 and N = 3 000, T = 15.

The peer is the loop of Hansen's GAUSS/R code written in numpy: for each draw and each
candidate γ, least squares (normal equations, ``numpy.linalg.solve``) on the within-transformed design with
the regime columns (their within transformation precomputed once per candidate, which
favours the loop).  The loop is timed on a few draws and scaled to 300 (stated in the
output); its bootstrap F statistics are checked against ours on the same draws.  The draws run
through :func:`spatialnqpf.batch.run` (chunks of 100): ``--backend processes`` also times them
on a local process pool (``--workers``) and checks that the F statistics are identical.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

try:
    from spatialnqpf.models import panel_threshold
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from spatialnqpf.models import panel_threshold
from spatialnqpf._validation import as_generator
from spatialnqpf.models.threshold import _hansen_grid


def make_data(N, T, seed=0):
    rng = np.random.default_rng(seed)
    n = N * T
    df = pd.DataFrame({"firm": np.repeat(np.arange(N), T), "year": np.tile(np.arange(T), N)})
    df["d"] = rng.gamma(2.0, 0.25, size=n)
    for j in range(5):
        df[f"z{j}"] = rng.normal(size=n)
    df["cf"] = rng.normal(size=n)
    slope = np.where(df.d <= 0.1, 0.06, np.where(df.d <= 0.5, 0.09, 0.04))
    df["i"] = (rng.normal(size=N)[df.firm] + df[[f"z{j}" for j in range(5)]].sum(axis=1) * 0.01
               + slope * df.cf + rng.normal(scale=0.05, size=n))
    return df


class Loop:
    """Hansen's bootstrap as a candidate-by-candidate least-squares loop (numpy)."""

    def __init__(self, df, grid, trim):
        d = df.sort_values(["firm", "year"])
        self.N, self.T = d.firm.nunique(), d.year.nunique()
        n = self.N * self.T
        self.unit = d.firm.to_numpy()
        wt = self.wt
        self.Zw = wt(d[[f"z{j}" for j in range(5)]].to_numpy())
        self.X = d[["cf"]].to_numpy()
        self.q = d.d.to_numpy()
        self.yw = wt(d[["i"]].to_numpy())[:, 0]
        self.cand = _hansen_grid(self.q, grid, trim)
        self.nmin = int(np.ceil(trim * n))
        self.n = n
        self.Dw = {c: wt(self.X * (self.q <= c)[:, None]) for c in self.cand}
        self.cnt = {c: int((self.q <= c).sum()) for c in self.cand}
        self.base = np.hstack([self.Zw, wt(self.X)])

    def wt(self, a):
        s = np.zeros((self.unit.max() + 1, a.shape[1]))
        np.add.at(s, self.unit, a)
        return a - (s / self.T)[self.unit]

    def ssr(self, A, y):
        b = np.linalg.solve(A.T @ A, A.T @ y)        # normal equations: the fast loop
        e = y - A @ b
        return e @ e

    def search(self, y, fixed):
        best, arg = np.inf, None
        W = np.hstack([self.base] + [self.Dw[f] for f in fixed])
        for c in self.cand:
            cs = sorted([self.cnt[f] for f in fixed] + [self.cnt[c]])
            if c in fixed or min(np.diff([0] + cs + [self.n])) < self.nmin:
                continue
            s = self.ssr(np.hstack([W, self.Dw[c]]), y)
            if s < best:
                best, arg = s, c
        return best, arg

    def F(self, y, k):
        dfw = self.N * (self.T - 1)
        s1, g1 = self.search(y, [])
        if k == 1:
            return (self.ssr(self.base, y) - s1) / (s1 / dfw)
        s2, g2 = self.search(y, [g1])
        self.search(y, [g2])                       # refinement, as in every draw
        return (s1 - s2) / (s2 / dfw)

    def boot(self, draws, seed=0):
        out = {}
        for k in (1, 2):
            if k == 1:
                W = self.base
            else:
                W = np.hstack([self.base, self.Dw[self.search(self.yw, [])[1]]])
            b = np.linalg.lstsq(W, self.yw, rcond=None)[0]
            fit = W @ b
            E = (self.yw - fit).reshape(self.N, self.T)
            out[k] = [self.F(fit + E[as_generator(seed, key=(k, j)).integers(0, self.N, self.N)]
                             .ravel(), k) for j in range(draws)]
        return out


def run(N, T, loop_draws, backend="serial", workers=2):
    df = make_data(N, T)
    kw = dict(id="firm", time="year", n_thresholds=2, trim=0.01, n_boot=300, seed=0, grid=400)
    xs = [f"z{j}" for j in range(5)] + ["cf"]
    t0 = time.perf_counter()
    res = panel_threshold(df, "i", xs, ["cf"], "d", **kw)
    ours = time.perf_counter() - t0
    if backend != "serial":
        t0 = time.perf_counter()
        par = panel_threshold(df, "i", xs, ["cf"], "d", backend=backend, n_workers=workers, **kw)
        t_par = time.perf_counter() - t0
        for k in (1, 2):
            np.testing.assert_array_equal(par.boot_F[k], res.boot_F[k])
        print(f"  {backend} backend ({workers} workers): {t_par:8.2f} s (serial {ours:.2f} s); "
              "bootstrap F identical")
    lp = Loop(df, 400, 0.01)
    t0 = time.perf_counter()
    Fb = lp.boot(loop_draws)
    loop = (time.perf_counter() - t0) * 300 / loop_draws
    for k in (1, 2):
        np.testing.assert_allclose(Fb[k], res.boot_F[k][:loop_draws], rtol=1e-6)
    print(f"N = {N}, T = {T} (NT = {N * T}), {len(lp.cand)} candidates, 300 draws x 2 tests")
    print(f"  ours (panel_threshold, incl. point estimates): {ours:8.2f} s")
    print(f"  numpy loop ({loop_draws} draws timed, x{300 // loop_draws}): {loop:8.2f} s")
    print(f"  ratio loop / ours: {loop / ours:8.1f}x   (bootstrap F agree to 1e-6)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--backend", default="serial", choices=("serial", "processes", "dask"))
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    run(565, 14, 3, a.backend, a.workers)
    if not a.quick:
        run(3000, 15, 1, a.backend, a.workers)


if __name__ == "__main__":
    main()
