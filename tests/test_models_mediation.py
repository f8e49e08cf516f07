"""mediation / moderation against LSDV transcriptions (dummies, CR1 as reghdfe) and pyfixest."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from spatialnqpf._validation import as_generator
from spatialnqpf.models import mediation, moderation, panel_fe
from spatialnqpf.models.mechanism import MediationError

REF = Path(__file__).parent / "reference"


def _panel(N=30, T=6, seed=2):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"code": np.repeat(np.arange(N) + 11, T),
                       "year": np.tile(np.arange(2010, 2010 + T), N)})
    a = rng.normal(size=N)[np.repeat(np.arange(N), T)]
    lam = rng.normal(size=T)[np.tile(np.arange(T), N)]
    df["c1"] = rng.normal(size=len(df))
    df["x"] = rng.normal(size=len(df)) + 0.5 * a
    df["m1"] = 0.6 * df.x + 0.2 * df.c1 + a + lam + rng.normal(size=len(df))
    df["m2"] = -0.4 * df.x + rng.normal(size=len(df)) + lam
    df["y"] = 0.3 * df.x + 0.5 * df.m1 + 0.7 * df.m2 + 0.1 * df.c1 + a - lam \
        + rng.normal(size=len(df))
    return df.sample(frac=1, random_state=0)


def _lsdv(df, yv, xs, unit="code"):
    """LSDV with unit and year dummies; CR1 by unit with K = k + T (reghdfe)."""
    D = pd.concat([df[xs].astype(float),
                   pd.get_dummies(df[unit], prefix="i", dtype=float),
                   pd.get_dummies(df.year, prefix="t", drop_first=True, dtype=float)], axis=1)
    fit = sm.OLS(df[yv].astype(float), D).fit()
    Z = D.to_numpy()
    Zi = np.linalg.inv(Z.T @ Z)
    e = fit.resid.to_numpy()
    s = pd.DataFrame(Z * e[:, None]).groupby(df[unit].to_numpy()).sum().to_numpy()
    n, G, T = len(df), df[unit].nunique(), df.year.nunique()
    V = G / (G - 1) * (n - 1) / (n - len(xs) - T) * Zi @ (s.T @ s) @ Zi
    k = len(xs)
    return fit.params.to_numpy()[:k], np.sqrt(np.diag(V))[:k]


def test_mediation_matches_lsdv_and_pyfixest():
    df = _panel()
    res = mediation(df, "y", "x", ["m1", "m2"], controls=["c1"], n_boot=0)
    t = res.to_frame()
    bt, st = _lsdv(df, "y", ["x", "c1"])
    bo, so = _lsdv(df, "y", ["x", "m1", "m2", "c1"])
    a1, sa1 = _lsdv(df, "m1", ["x", "c1"])
    a2, sa2 = _lsdv(df, "m2", ["x", "c1"])
    np.testing.assert_allclose(t.loc["total", "estimate"], bt[0], rtol=1e-9)
    np.testing.assert_allclose(t.loc["total", "std_error"], st[0], rtol=1e-8)
    np.testing.assert_allclose(t.loc["direct", ["estimate", "std_error"]].to_numpy(float),
                               [bo[0], so[0]], rtol=1e-8)
    ta = t.loc["a"].set_index("mediator")
    tb = t.loc["b"].set_index("mediator")
    ti = t.loc["indirect"].set_index("mediator")
    np.testing.assert_allclose(ta.estimate[["m1", "m2"]], [a1[0], a2[0]], rtol=1e-8)
    np.testing.assert_allclose(ta.std_error[["m1", "m2"]], [sa1[0], sa2[0]], rtol=1e-8)
    np.testing.assert_allclose(tb.estimate[["m1", "m2"]], bo[1:3], rtol=1e-8)
    np.testing.assert_allclose(tb.std_error[["m1", "m2"]], so[1:3], rtol=1e-8)
    # Sobel, normal p; identity total = direct + sum a b
    sob = np.sqrt(a1[0] ** 2 * so[1] ** 2 + bo[1] ** 2 * sa1[0] ** 2)
    np.testing.assert_allclose(ti.std_error["m1"], sob, rtol=1e-8)
    np.testing.assert_allclose(ti.p_value["m1"], 2 * stats.norm.sf(a1[0] * bo[1] / sob),
                               rtol=1e-8)
    np.testing.assert_allclose(bt[0], bo[0] + a1[0] * bo[1] + a2[0] * bo[2], rtol=1e-9)
    np.testing.assert_allclose(ti.estimate["(sum)"], bt[0] - bo[0], rtol=1e-8)
    # the a path equals pyfixest (panel_fe)
    pf = panel_fe(df, "m1", ["x", "c1"])
    np.testing.assert_allclose(pf.params["x"], a1[0], rtol=1e-9)
    np.testing.assert_allclose(pf.bse["x"], sa1[0], rtol=1e-8)
    # paths on t(G - 1)
    G = df.code.nunique()
    assert res.df_resid == G - 1
    np.testing.assert_allclose(t.loc["total", "p_value"],
                               2 * stats.t(G - 1).sf(abs(bt[0] / st[0])), rtol=1e-8)
    assert list(res.tidy().columns) == ["term", "estimate", "std_error", "statistic",
                                        "p_value", "conf_low", "conf_high"]
    assert list(res.params.index[:4]) == ["total", "direct", "a[m1]", "b[m1]"]


def test_mediation_one_mediator_rows_and_bootstrap_draws():
    df = _panel(N=20, T=5)
    res = mediation(df, "y", "x", "m1", controls=["c1"], n_boot=3, seed=4)
    assert list(res.to_frame().index) == ["total", "direct", "a", "b", "indirect"]
    # transcription of the cluster bootstrap: units drawn twice are two new units
    units = np.sort(df.code.unique())
    for b in range(3):
        pick = as_generator(4, key=b).integers(0, len(units), len(units))
        parts = []
        for j, u in enumerate(pick):
            p = df[df.code == units[u]].copy()
            p["code"] = j
            parts.append(p)
        bd = pd.concat(parts)
        a, _ = _lsdv(bd, "m1", ["x", "c1"])
        bo, _ = _lsdv(bd, "y", ["x", "m1", "c1"])
        np.testing.assert_allclose(res.boot_draws["m1"].iloc[b], a[0] * bo[1], rtol=1e-8)


def test_mediation_bootstrap_intervals_across_seeds():
    df = _panel(N=40, T=5, seed=9)
    r0 = mediation(df, "y", "x", "m1", n_boot=300, seed=0)
    r1 = mediation(df, "y", "x", "m1", n_boot=300, seed=1)
    i0 = r0.to_frame().loc["indirect"]
    i1 = r1.to_frame().loc["indirect"]
    se = i0.std_error
    for c in ("boot_low", "boot_high", "bc_low", "bc_high"):
        assert abs(i0[c] - i1[c]) < 0.5 * se, c      # Monte Carlo error of a 2.5% quantile
    assert i0.boot_low < i0.estimate < i0.boot_high
    # percentile interval close to the Sobel interval here (a·b far from 0)
    assert abs(i0.boot_low - i0.conf_low) < 0.5 * se


def test_mediation_bad_input():
    df = _panel()
    with pytest.raises(MediationError, match="'x' equals the treatment"):
        mediation(df, "y", "x", ["m1", "x"], n_boot=0)
    with pytest.raises(MediationError, match="twice"):
        mediation(df, "y", "x", ["m1", "m1"], n_boot=0)
    with pytest.raises(ValueError, match="fe must be"):
        mediation(df, "y", "x", ["m1"], fe="bogus", n_boot=0)


def test_moderation_matches_lsdv():
    df = _panel()
    res = moderation(df, "y", "x", "m2", controls=["c1"], at=[-1.0, 0.0, 1.0])
    d = df.copy()
    xc, zc = d.x - d.x.mean(), d.m2 - d.m2.mean()
    d["xc"], d["zc"], d["xz"] = xc, zc, xc * zc
    b, se = _lsdv(d, "y", ["xc", "zc", "xz", "c1"])
    np.testing.assert_allclose(res.params.to_numpy(), b, rtol=1e-8)
    np.testing.assert_allclose(res.bse.to_numpy(), se, rtol=1e-8)
    e = res.to_frame()
    np.testing.assert_allclose(e.estimate, b[0] + b[2] * (np.array([-1, 0, 1]) - d.m2.mean()),
                               rtol=1e-8)
    assert list(res.params.index[:3]) == ["x", "m2", "x:m2"]


@pytest.fixture(scope="module")
def cigar_w():
    from libpysal.graph import Graph
    cig = pd.read_csv(REF / "cigar_panel.csv")
    edges = pd.read_csv(REF / "cigar_w46_edges.csv", comment="#")
    g = Graph.from_adjacency(edges.assign(weight=1.0), focal_col="focal",
                             neighbor_col="neighbor", weight_col="weight").transform("r")
    cig = cig[cig.year <= 1975].copy()
    return cig, g


def test_spatial_mediation_uses_sdm_effects(cigar_w):
    from spatialnqpf.models import spatial_panel
    cig, g = cigar_w
    res = mediation(cig, "logc", "logp", ["logy"], id="state", time="year", w=g, nsim=400)
    a = spatial_panel(cig, "logy", ["logp"], g, id="state", time="year", model="sdm",
                      fe="twoways").effects(method="delta")
    o = spatial_panel(cig, "logc", ["logp", "logy"], g, id="state", time="year", model="sdm",
                      fe="twoways").effects(method="delta")
    t = res.to_frame()
    np.testing.assert_allclose(t.loc["a", "estimate"], a.loc["logp", "total"], rtol=1e-10)
    np.testing.assert_allclose(t.loc["b", "std_error"], o.loc["logy", "total_se"], rtol=1e-10)
    ab = a.loc["logp", "total"] * o.loc["logy", "total"]
    np.testing.assert_allclose(t.loc["indirect", "estimate"], ab, rtol=1e-10)
    sob = np.hypot(a.loc["logp", "total"] * o.loc["logy", "total_se"],
                   o.loc["logy", "total"] * a.loc["logp", "total_se"])
    np.testing.assert_allclose(t.loc["indirect", "std_error"], sob, rtol=1e-10)
    ch = res.channels
    assert set(ch.effect) == {"direct", "indirect", "total"}
    di = ch[(ch.effect == "direct")].loc["indirect"]
    np.testing.assert_allclose(di.estimate, a.loc["logp", "total"] * o.loc["logy", "direct"],
                               rtol=1e-10)
    row = t.loc["indirect"]
    assert row.boot_low < row.estimate < row.boot_high


def test_spatial_moderation_at_mean_equals_sdm_effects(cigar_w):
    cig, g = cigar_w
    zbar = cig.logy.mean()
    res = moderation(cig, "logc", "logp", "logy", id="state", time="year", w=g,
                     at=[zbar, zbar + 0.1])
    e = res.to_frame()
    eff = res.fit.effects(method="delta")
    at_mean = e[e["at"] == zbar].set_index("effect")
    for kind in ("direct", "indirect", "total"):
        np.testing.assert_allclose(at_mean.loc[kind, "estimate"], eff.loc["logp", kind],
                                   rtol=1e-10)
        np.testing.assert_allclose(at_mean.loc[kind, "std_error"], eff.loc["logp", f"{kind}_se"],
                                   rtol=1e-4)
    # away from the mean: beta_x + beta_xz dz and theta_x + theta_xz dz in the effects
    p = res.params.copy()
    p["logp"] += 0.1 * p["logp:logy"]
    p["W_logp"] += 0.1 * p["W_logp:logy"]
    pt = res.fit._effects_core.point(p)
    up = e[e["at"] == zbar + 0.1].set_index("effect")
    np.testing.assert_allclose(up.loc["total", "estimate"], pt.loc["logp", "total"], rtol=1e-10)
    assert {"W_logp", "W_logy", "W_logp:logy"} <= set(res.params.index)
