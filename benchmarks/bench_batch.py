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

Usage::

    python benchmarks/bench_batch.py [--workers 2] [--repeat 1]
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


def _fit_rep(rep, seed, **kw):
    from spatialnqpf.models import spatial_panel
    return spatial_panel(id="code", time="year", seed=seed, **kw)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    import pandas as pd
    from spatialnqpf import batch
    jobs = make_jobs(a.repeat)
    times, frames = {}, {}
    for backend in ("serial", "processes", "dask"):
        t = time.perf_counter()
        out = batch.run(jobs, backend=backend, seed=0, progress=False, n_workers=a.workers)
        times[backend] = time.perf_counter() - t
        frames[backend] = out.to_frame()
        print(f"{backend:9s}: {len(jobs)} jobs, {len(out.failures)} failed, "
              f"{times[backend]:.2f} s (including pool / cluster start-up)", flush=True)
    for b in ("processes", "dask"):
        pd.testing.assert_frame_equal(frames[b], frames["serial"], check_exact=True)
        print(f"  {b}: identical to serial bit for bit; speed-up over serial "
              f"{times['serial'] / times[b]:.2f}x on {a.workers} workers")


if __name__ == "__main__":
    main()
