"""Batch benchmark (run by hand, never in CI): the 48-job robustness grid of the demo panel
on the serial, processes and Dask backends, wall time and speed-up over serial.

Grid: W ∈ {queen contiguity, knn k = 4} × model ∈ {SAR, SDM, SEM, SDEM} × fe ∈ {individual,
time, two-way} × y ∈ {log GDP, log patent applications}; x = log R&D, log budget; Lee–Yu.
``--repeat`` repeats the grid (distinct keys) to show the speed-up once start-up costs are
amortised.  The three frames are checked to be identical bit for bit.

Recorded results (2026-12-01, 2 cores shared with other jobs, load average ~5): serial
2.7 s, processes (2 workers) 12.9 s, Dask LocalCluster (2 workers) 34.1 s, all three frames
identical bit for bit.  The 48 demo fits take ~60 ms each, so pool / cluster start-up
(worker imports of scipy/pandas/libpysal) dominates: no speed-up at this size; the
parallel backends pay off for jobs of seconds (``--repeat`` or larger panels).  With
``--repeat 4`` (192 jobs, load average ~5, i.e. the two cores already busy): serial 11.8 s,
processes 27.9 s, Dask 42.2 s, identical frames.
Quiet machine (2026-12-02, load average < 1), ``--repeat 4`` (192 jobs of ~19 ms): serial
3.65 s, processes (2 workers) 4.06 s (0.90x), Dask LocalCluster (2 workers) 6.48 s (0.56x),
identical frames: jobs this small do not repay the start-up and transfer costs.
Quiet machine (2026-12-02), ``--county`` (96 fits at n ~ 2 850 with effects, ~0.3 s each):
serial 27.2 - 29.6 s; processes (2 workers) 17.3 - 17.7 s (1.53x - 1.71x); Dask LocalCluster
(2 workers) 22.1 - 25.5 s including start-up (1.06x - 1.34x), 21.9 s on an already running
cluster (1.36x); all frames identical bit for bit.  Dask's task stream shows each fit taking
~1.4x its serial time when two run at once (the scheduler and the nanny processes share the
same 2 cores), so on one 2-core machine ``processes`` is the faster backend; Dask is for
clusters with more cores than this.

``--county``: a grid of heavier jobs, where the parallel backends can pay off: a generated
county panel (the mainland counties with neighbours x 10 years, SDM data-generating process
with rho = 0.4 on the shipped county contiguity), W in {queen contiguity, knn k = 6, knn
k = 10} x model in {SAR, SDM, SEM, SDEM} x fe in {individual, two-way} x y in {y1..y4} (noise
sd 1, 1.5, 2, 3): 96 fits at n ~ 2 850, each with its effects and their simulated SEs (1 000
draws).

Usage::

    python benchmarks/bench_batch.py [--workers 2] [--repeat 1]
    python benchmarks/bench_batch.py --county          # heavy jobs (seconds each)
"""
from __future__ import annotations

import argparse
import time
import warnings


def make_jobs(repeat=1):
    import numpy as np
    from spatialnqpf import batch, datasets, weights
    from spatialnqpf.models import spatial_panel
    df = datasets.load_demo_panel()
    d = df.assign(lgdp=np.log(df.gdp), lrd=np.log(df.rd_exp_total),
                  lpat=np.log(df.patent_app_total), lbud=np.log(df.budget_exp_total))
    ids = d.code.unique()
    ws = {"queen": weights.contiguity(ids), "knn4": weights.knn(ids, k=4)}
    over = {"w": ws, "model": ["sar", "sdm", "sem", "sdem"],
            "fe": ["individual", "time", "twoways"], "y": ["lgdp", "lpat"]}
    if repeat > 1:
        over = {"rep": list(range(repeat)), **over}
        return batch.grid(_fit_rep, over=over, data=d, x=["lrd", "lbud"])
    return batch.grid(spatial_panel, over=over, data=d, x=["lrd", "lbud"], id="code",
                      time="year")


def county_jobs(years=10, seed=3):
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla
    from spatialnqpf import batch, weights
    from spatialnqpf._validation import graph_to_sparse
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wq = weights.contiguity(level="county")
    ids = [i for i in wq.unique_ids if wq.cardinalities.get(i, 0) > 0]
    wq = weights.contiguity(ids, level="county")
    wk = weights.knn(ids, k=6, level="county")
    W = graph_to_sparse(wq, pd.Index(ids)).tocsc()
    n = len(ids)
    lu = spla.splu((sp.identity(n, format="csc") - 0.4 * W).tocsc())
    rng = np.random.default_rng(seed)
    alpha = rng.normal(size=n)
    rows = []
    for t in range(years):
        x1, x2 = rng.normal(size=n), rng.normal(size=n)
        base = 1.0 * x1 - 0.5 * x2 + W @ (0.5 * x1 + 0.2 * x2) + alpha + 0.1 * t
        rows.append(pd.DataFrame({"code": ids, "year": 2011 + t, "x1": x1, "x2": x2,
                                  **{f"y{j + 1}": lu.solve(base + sd * rng.normal(size=n))
                                     for j, sd in enumerate((1.0, 1.5, 2.0, 3.0))}}))
    d = pd.concat(rows, ignore_index=True)
    over = {"w": {"queen": wq, "knn6": wk, "knn10": weights.knn(ids, k=10, level="county")},
            "model": ["sar", "sdm", "sem", "sdem"], "fe": ["individual", "twoways"],
            "y": ["y1", "y2", "y3", "y4"]}
    return batch.grid(_fit_with_effects, over=over, data=d, x=["x1", "x2"])


def _fit_with_effects(seed, **kw):
    """A fit and its effects with simulated SEs: the job a robustness table needs."""
    from spatialnqpf.models import spatial_panel
    res = spatial_panel(id="code", time="year", seed=seed, **kw)
    if res.model in ("sar", "sdm", "sdem"):
        res.effects(nsim=1000, seed=seed)
    return res


def _fit_rep(rep, seed, **kw):
    from spatialnqpf.models import spatial_panel
    return spatial_panel(id="code", time="year", seed=seed, **kw)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--county", action="store_true", help="the heavier county grid (96 jobs)")
    a = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    import pandas as pd
    from spatialnqpf import batch
    t = time.perf_counter()
    jobs = county_jobs() if a.county else make_jobs(a.repeat)
    print(f"{len(jobs)} jobs built in {time.perf_counter() - t:.1f} s", flush=True)
    times, frames = {}, {}
    for backend in ("serial", "processes", "dask"):
        t = time.perf_counter()
        out = batch.run(jobs, backend=backend, seed=0, progress=False, n_workers=a.workers)
        times[backend] = time.perf_counter() - t
        frames[backend] = out.to_frame()
        print(f"{backend:9s}: {len(jobs)} jobs, {len(out.failures)} failed, "
              f"{times[backend]:.2f} s (including pool / cluster start-up)", flush=True)
    # the usual Dask set-up: a cluster that is already running (started once per session)
    from distributed import Client, LocalCluster
    t = time.perf_counter()
    cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    client.run(lambda: __import__("spatialnqpf.models"))     # worker imports, once
    start = time.perf_counter() - t
    t = time.perf_counter()
    out = batch.run(jobs, backend="dask", client=client, seed=0, progress=False)
    times["dask (running cluster)"] = time.perf_counter() - t
    frames["dask (running cluster)"] = out.to_frame()
    client.close()
    cluster.close()
    print(f"dask     : {len(jobs)} jobs on a running LocalCluster, "
          f"{times['dask (running cluster)']:.2f} s (cluster start-up and worker imports "
          f"{start:.1f} s, not counted)", flush=True)
    for b in ("processes", "dask", "dask (running cluster)"):
        pd.testing.assert_frame_equal(frames[b], frames["serial"], check_exact=True)
        print(f"  {b}: identical to serial bit for bit; speed-up over serial "
              f"{times['serial'] / times[b]:.2f}x on {a.workers} workers")

if __name__ == "__main__":
    main()
