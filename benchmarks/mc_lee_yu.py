"""Monte Carlo study of the three ``lee_yu`` choices of spatial_panel (run by hand, not in CI).

Design (docs/methods/models.md §5.3): SDM with two-way fixed effects on the 31 mainland provinces,
W = queen contiguity of ``spatialnqpf.weights.contiguity()`` (Hainan linked to Guangdong),
row-standardised; T = 10; ρ = 0.35; β = (1, −0.5); θ = (0.5, 0.3); σ² = 1;
unit and time effects correlated with the regressors:

    μ_i ~ N(0, 1),  α_t ~ N(0, 1),  x_kit = 0.5 μ_i + 0.5 α_t + N(0, 1)
    y_t = (I − ρW)^{-1} (X_t β + W X_t θ + μ + α_t ι + ε_t),   ε ~ N(0, σ² I)

For each replication the SDM is fitted with ``lee_yu=True`` (transformation approach),
``"elhorst"`` (one-step correction) and ``False`` (direct ML).  Reported: mean bias and RMSE of
ρ̂ and σ̂², coverage of the nominal 95% Wald interval of ρ (ρ̂ ± 1.96 se), and coverage of the
95% interval of the direct effect of each regressor (estimate ± 1.96 delta-method SE) around the
true direct effect tr[(I − ρW)^{-1}(β_k I + θ_k W)]/n.

Usage::

    python benchmarks/mc_lee_yu.py --reps 1000 --seed 20240601 [--write docs/lee_yu_monte_carlo.md]
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd


def simulate(W, rng, T, rho, beta, theta, s2=1.0):
    n = W.shape[0]
    A = np.linalg.inv(np.eye(n) - rho * W)
    mu = rng.standard_normal(n)
    al = rng.standard_normal(T)
    k = len(beta)
    X = 0.5 * mu[None, :, None] + 0.5 * al[:, None, None] + rng.standard_normal((T, n, k))
    WX = np.einsum("ij,tjk->tik", W, X)
    eps = rng.standard_normal((T, n)) * np.sqrt(s2)
    Y = np.einsum("ij,tj->ti", A, X @ beta + WX @ theta + mu[None, :] + al[:, None] + eps)
    return Y, X


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--T", type=int, default=10)
    ap.add_argument("--rho", type=float, default=0.35)
    ap.add_argument("--write", default=None, help="markdown file to write the table into")
    a = ap.parse_args(argv)

    from spatialnqpf import weights
    from spatialnqpf._validation import graph_to_sparse
    from spatialnqpf.models.panel import _fit, PanelDesign

    w = weights.contiguity()
    ids = pd.Index(sorted(w.unique_ids))
    Ws = graph_to_sparse(w, ids)
    W = Ws.toarray()
    n, T = len(ids), a.T
    beta, theta = np.array([1.0, -0.5]), np.array([0.5, 0.3])
    A = np.linalg.inv(np.eye(n) - a.rho * W)
    true_direct = np.array([np.trace(A @ (b * np.eye(n) + t * W)) / n for b, t in zip(beta, theta)])
    rng = np.random.default_rng(a.seed)
    settings = {"Lee-Yu transformation (lee_yu=True)": True,
                "Elhorst one-step (lee_yu='elhorst')": "elhorst",
                "uncorrected ML (lee_yu=False)": False}
    rec = {k: [] for k in settings}
    t0 = time.perf_counter()
    years = pd.Index(np.arange(T))
    for r in range(a.reps):
        Y, X = simulate(W, rng, T, a.rho, beta, theta)
        d = PanelDesign(Y, X, Ws, ids, years, ("x1", "x2"), "y", "code", "year", True)
        for label, ly in settings.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = _fit(d, "sdm", "twoways", ly)
                eff = res.effects(method="delta")
            rh, se = res.params["rho"], res.bse["rho"]
            dv, dse = eff["direct"].to_numpy(), eff["direct_se"].to_numpy()
            rec[label].append([rh, se, res.sigma2,
                               *(np.abs(dv - true_direct) <= 1.96 * dse), *(dv - true_direct)])
    secs = time.perf_counter() - t0
    rows = []
    for label, v in rec.items():
        v = np.asarray(v, dtype=float)
        rh, se, s2 = v[:, 0], v[:, 1], v[:, 2]
        rows.append({
            "estimator": label,
            "bias rho": rh.mean() - a.rho,
            "RMSE rho": np.sqrt(((rh - a.rho) ** 2).mean()),
            "cover rho": np.mean(np.abs(rh - a.rho) <= 1.96 * se),
            "bias sigma2": s2.mean() - 1.0,
            "cover direct x1": v[:, 3].mean(),
            "cover direct x2": v[:, 4].mean(),
            "bias direct x1": v[:, 5].mean(),
            "bias direct x2": v[:, 6].mean(),
        })
    tab = pd.DataFrame(rows).set_index("estimator")
    mc_se = np.sqrt(0.95 * 0.05 / a.reps)
    header = (f"SDM, two-way FE, n = {n} provinces (queen contiguity, Hainan-Guangdong), T = {T}, "
              f"rho = {a.rho}, beta = {beta.tolist()}, theta = {theta.tolist()}, sigma2 = 1; "
              f"{a.reps} replications, seed {a.seed}; true direct effects {np.round(true_direct, 4).tolist()}; "
              f"Monte Carlo s.e. of a 95% coverage = {mc_se:.3f}; run time {secs:.0f} s")
    md = tab.to_markdown(floatfmt=".3f") if _has_tabulate() else tab.round(3).to_string()
    print(header)
    print(md)
    if a.write:
        _write(a.write, header, md)
    return tab


def _has_tabulate():
    try:
        import tabulate  # noqa: F401
        return True
    except ImportError:
        return False


def _write(path, header, md):
    from pathlib import Path
    p = Path(path)
    text = p.read_text() if p.exists() else ""
    start, end = "<!-- mc-table-start -->", "<!-- mc-table-end -->"
    block = f"{start}\n{header}\n\n{md}\n{end}"
    if start in text and end in text:
        text = text.split(start)[0] + block + text.split(end)[1]
    else:
        text += "\n" + block + "\n"
    p.write_text(text)


if __name__ == "__main__":
    main()
