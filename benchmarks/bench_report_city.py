"""Benchmark: the city-level report end to end, and its two hot spots against their peers.

Run by hand (never in CI):

    python benchmarks/bench_report_city.py           # everything (~1-2 min on 2 cores)
    python benchmarks/bench_report_city.py --quick   # only the two hot spots

1. A Word table of 336 city rows x 7 columns: ours (``Table.to_docx``, the table XML built in one pass)
   against the peer, python-docx's ``table.cell(i, j)`` in the double loop (it rebuilds the list
   of every cell on each call: quadratic).  The peer is timed on 60 rows and its quadratic cost
   extrapolated to 336 rows (the full peer takes minutes), and that is said in the output.
2. A city choropleth (370 polygons, ~2*10^5 vertices) drawn and saved: ours (one render, at
   ``savefig``) against geopandas' default (``canvas.draw_idle()`` after every layer renders the
   whole figure on Agg).
3. ``spatialnqpf report --config examples/city_report.toml`` (336 generated cities x 8 years,
   every stage, docx/xlsx/csv/html/md, PNG figures): wall and CPU seconds, per stage, and the
   share spent writing.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
try:
    import spatialnqpf  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))


def _docx(rows: int) -> tuple[float, float]:
    import docx

    from spatialnqpf.report.tables import frame_table
    df = pd.DataFrame(np.random.default_rng(0).random((rows, 6)), columns=list("abcdef"))
    t = frame_table(df, name="x", title="x", digits=4)
    t0 = time.perf_counter()
    t.to_docx()
    ours = time.perf_counter() - t0
    g = t.grid()
    doc = docx.Document()
    tab = doc.add_table(rows=len(g), cols=len(g[0]))
    t0 = time.perf_counter()
    for i, row in enumerate(g):
        for j, v in enumerate(row):
            tab.cell(i, j).text = v
    return ours, time.perf_counter() - t0


def _map() -> tuple[float, float]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spatialnqpf import regions
    from spatialnqpf.report import maps
    v = pd.Series(np.arange(len(regions.cities()), dtype=float), index=regions.cities().index)
    maps.plot_cities(v)  # warm the shape caches
    plt.close("all")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        ax = maps.plot_cities(v)
        ax.figure.savefig(Path(tmp) / "a.png", dpi=150)
        ours = time.perf_counter() - t0
        plt.close("all")
        import contextlib
        quiet = maps._no_idle_draw
        maps._no_idle_draw = contextlib.nullcontext  # the peer: geopandas' idle draws kept
        try:
            t0 = time.perf_counter()
            ax = maps.plot_cities(v)
            ax.figure.savefig(Path(tmp) / "b.png", dpi=150)
            peer = time.perf_counter() - t0
        finally:
            maps._no_idle_draw = quiet
        plt.close("all")
    return ours, peer


def _report():
    from spatialnqpf.report import build_report
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0, c0 = time.perf_counter(), time.process_time()
        r = build_report(ROOT / "examples" / "city_report.toml", out=tmp, progress=False)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return r, wall, cpu


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the two hot spots")
    a = ap.parse_args(argv)
    ours60, peer60 = _docx(60)
    ours336 = _docx_ours(336)
    peer336 = peer60 * (336 * 7 / (61 * 7)) ** 2
    print(f"Word table, 60 rows:  ours {ours60:.3f} s, python-docx cell() loop {peer60:.2f} s "
          f"(ratio {peer60 / ours60:.0f}x)")
    print(f"Word table, 336 rows: ours {ours336:.3f} s, peer extrapolated (quadratic) "
          f"{peer336:.0f} s (ratio {peer336 / ours336:.0f}x)")
    m_ours, m_peer = _map()
    print(f"city map drawn and saved: ours {m_ours:.2f} s, with geopandas' idle draws "
          f"{m_peer:.2f} s (ratio {m_peer / m_ours:.1f}x)")
    if a.quick:
        return
    r, wall, cpu = _report()
    stages = sum(s.seconds for s in r.stages)
    print(f"city report (examples/city_report.toml): wall {wall:.1f} s, CPU {cpu:.1f} s; "
          f"stages {stages:.1f} s, writing {r.seconds - stages:.1f} s "
          f"({100 * (r.seconds - stages) / r.seconds:.0f}% of the run)")
    print(r.to_frame()[["status", "seconds"]].to_string())


def _docx_ours(rows: int) -> float:
    from spatialnqpf.report.tables import frame_table
    df = pd.DataFrame(np.random.default_rng(0).random((rows, 6)), columns=list("abcdef"))
    t = frame_table(df, name="x", title="x", digits=4)
    t0 = time.perf_counter()
    t.to_docx()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
