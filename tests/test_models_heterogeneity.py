"""heterogeneity against LSDV transcriptions (per group, fully interacted pooled model)."""
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from spatialnqpf import regions
from spatialnqpf._validation import as_generator
from spatialnqpf.models import heterogeneity
from spatialnqpf.models.subgroups import GroupError

ORDER = ["East", "Central", "West", "Northeast"]


def _provinces(T=6, seed=0):
    rng = np.random.default_rng(seed)
    codes = regions.provinces().index.to_numpy()
    g = regions.groups(codes).to_numpy()
    slope = pd.Series({"East": 1.0, "Central": 0.6, "West": 0.2, "Northeast": 0.6})
    N = len(codes)
    df = pd.DataFrame({"code": np.repeat(codes, T), "year": np.tile(np.arange(2011, 2011 + T), N)})
    df["grp"] = np.repeat(g, T)
    df["x1"] = rng.normal(size=len(df))
    df["x2"] = rng.normal(size=len(df))
    a = np.repeat(rng.normal(size=N), T)
    lam = rng.normal(size=T)[np.tile(np.arange(T), N)]
    df["y"] = slope[df.grp].to_numpy() * df.x1 - 0.5 * df.x2 + a + lam \
        + rng.normal(scale=0.5, size=len(df))
    return df.sample(frac=1, random_state=2)


def _lsdv_b(df, xs=("x1", "x2")):
    D = pd.concat([df[list(xs)], pd.get_dummies(df.code, dtype=float),
                   pd.get_dummies(df.year, drop_first=True, dtype=float)], axis=1)
    return sm.OLS(df.y, D.astype(float)).fit().params.to_numpy()[:len(xs)]


def _pooled_wald(df, g1, g2, term, xs=("x1", "x2")):
    """Interacted pooled LSDV: slopes by group, unit and group×year dummies, CR1 by unit."""
    groups = ORDER
    cols = {f"{x}_{g}": df[x] * (df.grp == g) for g in groups for x in xs}
    X = pd.DataFrame(cols)
    gy = df.grp + "_" + df.year.astype(str)
    D = pd.concat([X, pd.get_dummies(df.code, dtype=float),
                   pd.get_dummies(gy, dtype=float)], axis=1).astype(float).to_numpy()
    Dp = np.linalg.pinv(D.T @ D)
    b = Dp @ D.T @ df.y.to_numpy()
    e = df.y.to_numpy() - D @ b
    s = pd.DataFrame(D * e[:, None]).groupby(df.code.to_numpy()).sum().to_numpy()
    n, G, T = len(df), df.code.nunique(), df.year.nunique()
    K = len(xs) * len(groups) + len(groups) * T
    V = G / (G - 1) * (n - 1) / (n - K) * Dp @ (s.T @ s) @ Dp
    i, j = list(cols).index(f"{term}_{g1}"), list(cols).index(f"{term}_{g2}")
    d = b[i] - b[j]
    var = V[i, i] + V[j, j] - 2 * V[i, j]
    return d, stats.f(1, G - 1).sf(d * d / var)


def test_heterogeneity_region4_matches_lsdv():
    df = _provinces()
    res = heterogeneity(df, "y", ["x1", "x2"], by="region4", n_perm=0)
    assert list(res.results) == ORDER
    for g in ORDER:
        np.testing.assert_allclose(res.results[g].params.to_numpy(),
                                   _lsdv_b(df[df.grp == g]), rtol=1e-8)
    dif = res.differences
    assert list(dif.columns) == ["group_1", "group_2", "term", "diff", "p_perm", "p_wald"]
    assert len(dif) == 6 * 2
    for _, r in dif.iterrows():
        d, p = _pooled_wald(df, r.group_1, r.group_2, r.term)
        np.testing.assert_allclose(r["diff"], d, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(r.p_wald, p, rtol=1e-7)
    assert res.to_frame().columns.nlevels == 2


def test_heterogeneity_pooled_wald_agrees_with_pyfixest():
    import pyfixest as pf
    df = _provinces()
    res = heterogeneity(df, "y", ["x1"], by="grp", n_perm=0)
    d = df.copy()
    for g in ORDER:
        d[f"x_{g}"] = d.x1 * (d.grp == g)
    d["gy"] = d.grp + d.year.astype(str)
    fit = pf.feols("y ~ " + " + ".join(f"x_{g}" for g in ORDER) + " | code + gy", d,
                   vcov={"CRV1": "code"})
    V = fit._vcov
    b = fit.coef().to_numpy()
    i, j = ORDER.index("East"), ORDER.index("West")
    w = (b[i] - b[j]) ** 2 / (V[i, i] + V[j, j] - 2 * V[i, j])
    G = df.code.nunique()
    row = res.differences.query("group_1 == 'East' and group_2 == 'West'").iloc[0]
    np.testing.assert_allclose(row.p_wald, stats.f(1, G - 1).sf(w), rtol=1e-7)


def test_heterogeneity_permutation_transcription_and_seeds():
    df = _provinces(T=5, seed=1)
    res = heterogeneity(df, "y", ["x1", "x2"], by="region4", n_perm=15, seed=3,
                        terms=["x1"])
    row = res.differences.query("group_1 == 'East' and group_2 == 'West'").iloc[0]
    pair = 1                      # (East, West) is the second pair of the region order
    # units of the pair pooled in sorted id order (the package's unit order)
    ids = np.sort(df.code.unique())
    lab = df.groupby("code").grp.first().reindex(ids).to_numpy()
    u1, u2 = np.flatnonzero(lab == "East"), np.flatnonzero(lab == "West")
    pool = np.concatenate([u1, u2])
    d0 = _lsdv_b(df[df.grp == "East"])[0] - _lsdv_b(df[df.grp == "West"])[0]
    hits = 0
    for b in range(15):
        perm = as_generator(3, key=(pair, b)).permutation(pool)
        a, c = ids[np.sort(perm[:len(u1)])], ids[np.sort(perm[len(u1):])]
        ds = _lsdv_b(df[df.code.isin(a)])[0] - _lsdv_b(df[df.code.isin(c)])[0]
        hits += abs(ds) >= abs(d0)
    assert row.p_perm == pytest.approx((1 + hits) / 16, abs=1e-12)
    # Monte Carlo error across seeds (a pair with a moderate difference)
    ps = [heterogeneity(df, "y", ["x1"], by="region4", n_perm=300, seed=s)
          .differences.query("group_1 == 'Central' and group_2 == 'West'").p_perm.iloc[0]
          for s in (0, 1)]
    assert abs(ps[0] - ps[1]) < 4 * np.sqrt(2 * 0.25 / 300)


def test_heterogeneity_bad_input():
    df = _provinces()
    bad = df.copy()
    bad.loc[(bad.code == 13) & (bad.year == 2012), "grp"] = "West"
    with pytest.raises(GroupError, match=r"change over time.*13"):
        heterogeneity(bad, "y", ["x1"], by="grp", n_perm=0)
    small = df.copy()
    small.loc[small.code == 21, "grp"] = "Tiny"
    with pytest.raises(GroupError, match="'Tiny' \\(1 unit"):
        heterogeneity(small, "y", ["x1"], by="grp", n_perm=0)
    with pytest.raises(ValueError, match="needs spatial weights"):
        heterogeneity(df, "y", ["x1"], model="sdm", n_perm=0)


def test_heterogeneity_sdm_differences_of_effects():
    from libpysal.graph import Graph
    from spatialnqpf.models import spatial_panel
    rng = np.random.default_rng(5)
    side, T = 6, 6
    ids = np.arange(side * side)
    edges = []
    for i in ids:
        r, c = divmod(i, side)
        for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
            rr, cc = r + dr, c + dc
            if 0 <= rr < side and 0 <= cc < side:
                edges.append((i, rr * side + cc, 1.0))
    e = pd.DataFrame(edges, columns=["focal", "neighbor", "weight"])
    g = Graph.from_adjacency(e).transform("r")
    df = pd.DataFrame({"code": np.repeat(ids, T), "year": np.tile(np.arange(T), len(ids))})
    df["x1"] = rng.normal(size=len(df))
    df["y"] = df.x1 * np.where(df.code % side < 3, 1.0, 0.3) + rng.normal(size=len(df))
    half = {i: ("left" if i % side < 3 else "right") for i in ids}
    res = heterogeneity(df, "y", ["x1"], w=g, by=half, model="sdm", n_perm=2)
    dif = res.differences
    assert set(dif.effect) == {"direct", "indirect", "total"}
    left = [i for i in ids if half[i] == "left"]
    sub = pd.DataFrame([(a, b, 1.0) for a, b, _ in edges if a in left and b in left],
                       columns=["focal", "neighbor", "weight"])
    gl = Graph.from_adjacency(sub).transform("r")
    el = spatial_panel(df[df.code.isin(left)], "y", ["x1"], gl, id="code", time="year",
                       model="sdm", fe="twoways").effects(method="delta")
    er = res.results["right"].effects(method="delta")
    r = dif[dif.effect == "total"].iloc[0]
    np.testing.assert_allclose(r["diff"], el.loc["x1", "total"] - er.loc["x1", "total"],
                               rtol=1e-8)
    z = r["diff"] / np.hypot(el.loc["x1", "total_se"], er.loc["x1", "total_se"])
    np.testing.assert_allclose(r.p_wald, 2 * stats.norm.sf(abs(z)), rtol=1e-6)
    assert 0 < r.p_perm <= 1


def test_heterogeneity_unbalanced_permutation_path():
    df = _provinces(T=5, seed=4)
    ub = df.drop(index=df.index[:7])
    res = heterogeneity(ub, "y", ["x1", "x2"], by="region4", n_perm=8, seed=1, terms=["x1"])
    ids = np.sort(ub.code.unique())
    lab = ub.groupby("code").grp.first().reindex(ids).to_numpy()
    u1, u2 = np.flatnonzero(lab == "East"), np.flatnonzero(lab == "Central")
    pool = np.concatenate([u1, u2])
    d0 = _lsdv_b(ub[ub.grp == "East"])[0] - _lsdv_b(ub[ub.grp == "Central"])[0]
    hits = 0
    for b in range(8):
        perm = as_generator(1, key=(0, b)).permutation(pool)
        a, c = ids[np.sort(perm[:len(u1)])], ids[np.sort(perm[len(u1):])]
        hits += abs(_lsdv_b(ub[ub.code.isin(a)])[0] - _lsdv_b(ub[ub.code.isin(c)])[0]) >= abs(d0)
    row = res.differences.iloc[0]
    assert (row.group_1, row.group_2) == ("East", "Central")
    np.testing.assert_allclose(row["diff"], d0, rtol=1e-8)
    assert row.p_perm == pytest.approx((1 + hits) / 9, abs=1e-12)


def test_region4_labels_for_city_codes():
    from spatialnqpf.models.subgroups import _group_labels
    d = pd.DataFrame({"code": [110100, 440100, 420100, 210100], "year": [2020] * 4})
    lab, order = _group_labels(d, d, "region4", "code", "year")
    assert list(lab) == ["East", "East", "Central", "Northeast"]
    assert order == ["East", "Central", "Northeast"]
