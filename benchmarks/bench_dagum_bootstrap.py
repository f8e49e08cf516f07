"""Benchmark: the Dagum within-group bootstrap on the batch runner (run by hand, never in CI).

    python benchmarks/bench_dagum_bootstrap.py [--boot 999] [--workers 2] [--quick]

Peer: the sequential loop the package used before issue 17 (one Generator drawn replication
after replication, no batch runner), transcribed below.  Ours: ``dagum_gini_by_year`` /
``dagum_gini`` with ``backend="serial"`` and ``backend="processes"`` (``--workers``).
Cases: (a) the demo panel, 31 provinces x 11 years, four regions; (b) a county-sized
cross-section, n = 2 850 log-normal values in 8 groups.  Prints seconds and ratios and checks
that serial and processes agree bit for bit (the peer's numbers differ: other streams).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

try:
    from spatialnqpf import inequality as ineq
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from spatialnqpf import inequality as ineq


def peer_loop(y, g, n_boot, seed):
    """The former sequential bootstrap: one Generator, replication after replication."""
    order = sorted(set(g))
    codes = pd.Index(order).get_indexer(g).astype(np.intp)
    k = len(order)
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(codes == j) for j in range(k)]
    draws = []
    for _ in range(n_boot):
        idx = np.concatenate([m[rng.integers(0, len(m), len(m))] for m in members])
        r, rank = ineq._dagum_core(y[idx], codes[idx], k, None, order)
        draws.append(ineq._dagum_flat(r, rank, order))
    return np.array(draws)


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--boot", type=int, default=999)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="199 replications")
    a = ap.parse_args()
    B = 199 if a.quick else a.boot

    from spatialnqpf import regions
    from spatialnqpf.datasets import load_demo_panel
    panel = load_demo_panel()
    years = sorted(panel["year"].unique())

    def peer_panel():
        for t in years:
            sub = panel[panel["year"] == t]
            grp = regions.groups(sub["code"]).reindex(sub["code"]).to_numpy()
            peer_loop(sub["rd_intensity"].to_numpy(float), grp, B, t)

    rng = np.random.default_rng(0)
    gi = rng.choice(8, size=2850)
    y = rng.lognormal(0.15 * gi, 0.6)
    g = np.array([f"g{i}" for i in range(8)], dtype=object)[gi]

    print(f"Dagum bootstrap, B = {B}, processes backend with {a.workers} workers")
    for name, peer, ours in [
        ("demo panel 31 x 11", peer_panel,
         lambda backend: ineq.dagum_gini_by_year(panel, "rd_intensity", n_boot=B, seed=1,
                                                 progress=False, backend=backend,
                                                 n_workers=a.workers).to_frame(ci=True)),
        ("cross-section n = 2850, 8 groups", lambda: peer_loop(y, g, B, 1),
         lambda backend: ineq.dagum_gini(y, g, n_boot=B, seed=1, progress=False,
                                         backend=backend, n_workers=a.workers).ci)]:
        t_peer, _ = timed(peer)
        t_ser, r_ser = timed(lambda: ours("serial"))
        t_proc, r_proc = timed(lambda: ours("processes"))
        same = r_ser.equals(r_proc)
        print(f"{name:34s} peer loop {t_peer:7.2f} s | serial {t_ser:7.2f} s "
              f"({t_ser / t_peer:4.2f}x peer) | processes {t_proc:7.2f} s "
              f"(speed-up {t_peer / t_proc:4.2f}x vs peer) | serial == processes: {same}")
        if not same:
            raise SystemExit("serial and processes backends differ")


if __name__ == "__main__":
    main()
