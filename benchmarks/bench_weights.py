"""Benchmark spatialnqpf.weights against libpysal (run by hand, never in CI).

    python benchmarks/bench_weights.py [--n 50000]

Prints, for each task, our time, the peer's time and the ratio ours/peer (< 1: we are faster).
Peers: libpysal.graph.Graph.build_contiguity on the same city and county polygons; Graph.build_knn with
metric="haversine" (scikit-learn BallTree) on the same random points; Graph.build_distance_band
on the same points in an equal-area projection (libpysal has no great-circle distance band).
Both sides return an id-keyed Graph; ours additionally validates ids, applies the island rule,
standardises and records the recipe.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def timeit(f, repeat=3):
    best = np.inf
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out


def row(task, ours, peer, note=""):
    print(f"{task:<46s} ours {ours:8.3f} s   peer {peer:8.3f} s   ratio {ours / peer:6.2f}  {note}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50_000, help="random points for knn / distance band")
    args = ap.parse_args()
    from libpysal.graph import Graph

    from spatialnqpf import _shapes
    from spatialnqpf import weights as W

    gdf = _shapes.load_cities()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_ours, _ = timeit(lambda: W.contiguity(level="city"))
    t_peer, _ = timeit(lambda: Graph.build_contiguity(gdf[["geometry"]], rook=False, strict=False))
    row("city queen contiguity (367 units)", t_ours, t_peer, "(ours includes island rule + row std)")

    from spatialnqpf.weights._builders import shared_vertex_pairs

    cty = _shapes.load_counties()
    t_ours, (r, c) = timeit(lambda: shared_vertex_pairs(cty.geometry.values))
    t_peer, g = timeit(lambda: Graph.build_contiguity(cty[["geometry"]], rook=False, strict=False))
    adj = g.adjacency[g.adjacency > 0]
    ids = cty.index.to_numpy()
    same = set(zip(ids[r].tolist(), ids[c].tolist())) == {(int(a), int(b)) for a, b in adj.index}
    row(f"county queen contiguity ({len(cty)} units)", t_ours, t_peer,
        f"(kernel only, uncached) same pairs: {same}")

    rng = np.random.default_rng(42)
    n = args.n
    pts = pd.DataFrame({"lon": rng.uniform(75, 135, n), "lat": rng.uniform(18, 53, n)})
    t_ours, w = timeit(lambda: W.knn(points=pts, k=6), repeat=1)
    try:
        t_peer, g = timeit(lambda: Graph.build_knn(pts[["lon", "lat"]].to_numpy(), k=6,
                                                   metric="haversine"), repeat=1)
        same = (abs(w.transform("B").sparse - g.transform("B").sparse) > 0).nnz == 0
        row(f"knn k=6, great circle ({n} points)", t_ours, t_peer, f"same neighbours: {same}")
    except Exception as exc:  # scikit-learn missing
        print(f"knn peer unavailable: {exc}")

    import geopandas as gpd

    from spatialnqpf.weights import EQUAL_AREA_CRS

    m = min(n, 20_000)
    sub = pts.iloc[:m]
    proj = gpd.GeoSeries(gpd.points_from_xy(sub.lon, sub.lat), crs=4326).to_crs(EQUAL_AREA_CRS)
    xy = np.column_stack([proj.x, proj.y])
    t_ours, _ = timeit(lambda: W.distance(points=sub, decay="binary", cutoff=100.0), repeat=1)
    t_peer, _ = timeit(lambda: Graph.build_distance_band(xy, threshold=100_000.0), repeat=1)
    row(f"distance band 100 km ({m} points)", t_ours, t_peer, "(peer: planar distance, projected)")

    t_ours, _ = timeit(lambda: W.distance(), repeat=5)
    print(f"{'31-province inverse distance (full)':<46s} ours {t_ours:8.3f} s")


if __name__ == "__main__":
    main()
