"""Panel benchmarks (run by hand, never in CI): time and peak memory against the named peer.

Cases (issue 4):

1. ``sdm-fe``: SDM with individual fixed effects, n = 3 000, T = 15, W = k-nearest neighbours
   (k = 6) on random points, row-standardised (data generated without time effects, since the
   peer has individual effects only; true ρ = 0.4, β = (1, −0.5), θ = (0.5, 0.3)); spatialnqpf ``spatial_panel(model="sdm",
   fe="individual", lee_yu=False)`` against spreg ``ML_LagFE(slx_lags=1)``.  Target: ≥ 10×
   faster and ≤ 1/5 of spreg's peak memory.  The estimates are compared too.
2. ``sdm-big``: two-way FE SDM with the Lee–Yu transformation and simulated effect standard
   errors (1 000 draws) at n = 100 000, T = 10 (knn k = 6).  Target: < 2 minutes and < 4 GiB.
   spreg cannot run this size (dense n × n matrices; docs/anchors.md item 4).

Every case runs in a fresh subprocess that reports its own wall time and peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``), so the numbers do not mix.

Usage::

    python benchmarks/bench_panel.py            # both cases
    python benchmarks/bench_panel.py sdm-fe     # one case
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SETUP = """
import numpy as np, pandas as pd, time, resource, json, warnings
warnings.simplefilter("ignore")
from libpysal.graph import Graph
def make(n, T, k=6, seed=0, time_effects=True):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 100, size=(n, 2))
    g = Graph.build_knn(pts, k=k).transform("r")
    W = g.sparse.tocsr()
    x = rng.standard_normal((T, n, 2))
    mu = rng.standard_normal(n)
    al = rng.standard_normal(T) * (1.0 if time_effects else 0.0)
    rho, b, th = 0.4, np.array([1.0, -0.5]), np.array([0.5, 0.3])
    import scipy.sparse as sp, scipy.sparse.linalg as spla
    lu = spla.splu((sp.identity(n, format="csc") - rho * W).tocsc())
    rhs = (x @ b + np.stack([W @ x[t] for t in range(T)]) @ th + mu[None] + al[:, None]
           + rng.standard_normal((T, n)))
    Y = lu.solve(np.ascontiguousarray(rhs.T)).T
    df = pd.DataFrame({"id": np.tile(np.arange(n), T), "year": np.repeat(np.arange(T), n),
                       "y": Y.ravel(), "x1": x[:, :, 0].ravel(), "x2": x[:, :, 1].ravel()})
    return df, g
def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
"""

CASES = {
    "ours-fe": """
df, g = make(3000, 15, time_effects=False)
base = peak_mib()
from spatialnqpf.models import spatial_panel
t = time.perf_counter()
r = spatial_panel(df, "y", ["x1", "x2"], g, id="id", time="year", model="sdm", fe="individual", lee_yu=False)
secs = time.perf_counter() - t
print(json.dumps({"secs": secs, "peak_mib": peak_mib(), "base_mib": base,
                  "params": r.params.round(6).tolist(), "logdet": r.info["logdet"], "traces": r.info["traces"]}))
""",
    "spreg-fe": """
df, g = make(3000, 15, time_effects=False)
base = peak_mib()
import spreg
w = g.to_W()
t = time.perf_counter()
m = spreg.ML_LagFE(df[["y"]].to_numpy(), df[["x1", "x2"]].to_numpy(), w, slx_lags=1)
secs = time.perf_counter() - t
print(json.dumps({"secs": secs, "peak_mib": peak_mib(), "base_mib": base,
                  "params": np.round(m.betas.ravel(), 6).tolist()}))
""",
    "ours-big": """
df, g = make(100000, 10)
base = peak_mib()
from spatialnqpf.models import spatial_panel
t = time.perf_counter()
r = spatial_panel(df, "y", ["x1", "x2"], g, id="id", time="year", model="sdm", fe="twoways", lee_yu=True)
t_fit = time.perf_counter() - t
eff = r.effects(method="simulation", nsim=1000, seed=0)
secs = time.perf_counter() - t
print(json.dumps({"secs": secs, "fit_secs": t_fit, "peak_mib": peak_mib(), "base_mib": base,
                  "params": r.params.round(4).tolist(), "bse": r.bse.round(4).tolist(),
                  "direct": eff["direct"].round(4).tolist(), "direct_se": eff["direct_se"].round(4).tolist(),
                  "logdet": r.info["logdet"], "traces": r.info["traces"], "effects": r.info["effects"]}))
""",
}


def run(case):
    code = SETUP + textwrap.dedent(CASES[case])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": out.stderr[-2000:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv):
    which = argv[1:] or ["sdm-fe", "sdm-big"]
    if "sdm-fe" in which:
        ours, peer = run("ours-fe"), run("spreg-fe")
        print("SDM individual FE, n = 3000, T = 15, knn k = 6")
        print(f"  spatialnqpf: {ours}")
        print(f"  spreg ML_LagFE(slx_lags=1): {peer}")
        if "error" not in ours and "error" not in peer:
            print(f"  speed ratio (spreg time / ours): {peer['secs'] / ours['secs']:.1f}x  (target >= 10x)")
            print(f"  peak memory ratio (ours / spreg): {ours['peak_mib'] / peer['peak_mib']:.3f} "
                  f"(target <= 0.2); above the data baseline: "
                  f"{(ours['peak_mib'] - ours['base_mib']) / max(peer['peak_mib'] - peer['base_mib'], 1):.3f}")
            import numpy as np
            print(f"  max |difference| of estimates: "
                  f"{np.max(np.abs(np.array(ours['params']) - np.array(peer['params']))):.2e}")
    if "sdm-big" in which:
        big = run("ours-big")
        print("SDM two-way FE, Lee-Yu, simulated effects (1000 draws), n = 100000, T = 10, knn k = 6")
        print(f"  spatialnqpf: {big}")
        if "error" not in big:
            print(f"  time {big['secs']:.1f} s (target < 120 s); peak memory "
                  f"{big['peak_mib'] / 1024:.2f} GiB (target < 4 GiB)")


if __name__ == "__main__":
    main(sys.argv)
