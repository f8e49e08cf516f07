"""Benchmark: geographical detector with OPGD, ours against the PyPI ``geodetector``.

Run by hand (never in CI; needs ``pip install geodetector``):

    python benchmarks/bench_patterns.py            # n = 1 000 and 5 000 units, 3 factors
    python benchmarks/bench_patterns.py --quick    # n = 1 000 only

Ours searches GD's five methods x k = 3..7 per factor (Jenks by a numpy transcription
of BAMMtools' O(k n^2) programme, one programme for all k) and then runs every detector;
the PyPI package searches three methods (equal, jenks, quantile; Jenks in C) x k = 3..7.
Measured on the shared 2-core machine, n = 1 000: ours 1.1 s, PyPI 0.4 s (ratio 0.3x).  Data: one response and three continuous factors, seed 0.  Prints seconds
and the ratio (PyPI / ours).  Also times the MRQAP regression (5 000 permutations,
N = 31 and 100) against the pure-Python loop over permutations that scripts copy
(one ``numpy.linalg.lstsq`` per permutation and regressor); ours also computes the QAP
correlations.  N = 31: ours 3.0 s, loop 4.1 s (1.4x).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

try:
    from spatialnqpf import network, patterns
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from spatialnqpf import network, patterns


def make_data(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.gamma(2, 1.5, (n, 3))
    y = np.log1p(x[:, 0]) + 0.5 * (x[:, 1] > 3) + np.sin(x[:, 2]) + rng.normal(0, .5, n)
    return pd.DataFrame({"y": y, "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2]})


def ours(d):
    return patterns.geodetector(d, "y", ["x1", "x2", "x3"], discretize="opgd")


def pypi(d):
    import geodetector as pgd
    od = pgd.OptimalDiscretizer(discretize_methods=["equal", "jenks", "quantile"],
                                k_range=(3, 7)).fit(d[["x1", "x2", "x3"]], d["y"])
    return od


def timeit(f, *a, reps=1):
    t = time.perf_counter()
    for _ in range(reps):
        f(*a)
    return (time.perf_counter() - t) / reps


def mrqap_loop(Y, X1, X2, n_perm, seed=0):
    rng = np.random.default_rng(seed)
    n = Y.shape[0]
    off = ~np.eye(n, dtype=bool)
    D = np.column_stack([np.ones(off.sum()), X1[off], X2[off]])
    y = Y[off]
    out = []
    for i in range(3):
        others = [j for j in range(3) if j != i]
        xr = D[:, i] - D[:, others] @ np.linalg.lstsq(D[:, others], D[:, i], rcond=None)[0]
        R = np.zeros((n, n))
        R[off] = xr
        for _ in range(n_perm):
            p = rng.permutation(n)
            Z = np.column_stack([D[:, others], R[p][:, p][off]])
            b, res, *_ = np.linalg.lstsq(Z, y, rcond=None)
            out.append(b[-1])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    try:
        import geodetector  # noqa: F401
        have = True
    except ImportError:
        have = False
        print("PyPI geodetector not installed: timing ours only")
    for n in ([1000] if a.quick else [1000, 5000]):
        d = make_data(n)
        t1 = timeit(ours, d)
        line = f"geodetector+OPGD n={n}: ours {t1:.2f} s"
        if have:
            t2 = timeit(pypi, d)
            line += f", PyPI geodetector {t2:.2f} s, ratio {t2 / t1:.1f}x"
        print(line)
    rng = np.random.default_rng(1)
    for n in ([31] if a.quick else [31, 100]):
        Y, X1, X2 = (pd.DataFrame(rng.random((n, n))) for _ in range(3))
        t1 = timeit(network.qap, Y, {"x1": X1, "x2": X2}, 5000)
        t2 = timeit(mrqap_loop, Y.to_numpy(), X1.to_numpy(), X2.to_numpy(), 5000)
        print(f"MRQAP n={n}, 5000 permutations: ours {t1:.2f} s, per-permutation loop "
              f"{t2:.2f} s, ratio {t2 / t1:.1f}x")


if __name__ == "__main__":
    main()
