"""panel_fe (pyfixest engine) against an LSDV + CR1 transcription (dummies, reghdfe factor)."""
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from spatialnqpf.models import panel_fe
from spatialnqpf.models._within import codes, cr1, demean, ols


def _panel(N=40, T=7, seed=1, unbalanced=False):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"code": np.repeat(np.arange(100, 100 + N), T),
                       "year": np.tile(np.arange(2001, 2001 + T), N)})
    a = rng.normal(size=N)[np.repeat(np.arange(N), T)]
    lam = rng.normal(size=T)[np.tile(np.arange(T), N)]
    df["x1"] = rng.normal(size=len(df)) + a
    df["x2"] = rng.normal(size=len(df)) + lam
    df["prov"] = (df.code % 9)
    df["y"] = 0.5 * df.x1 - 0.3 * df.x2 + a + lam + rng.normal(size=len(df)) * (1 + df.x1 ** 2) ** .5
    if unbalanced:
        df = df.drop(index=rng.choice(len(df), 25, replace=False))
    return df.sample(frac=1, random_state=3)  # any row order


def _lsdv(df, fe, clusters, xs=("x1", "x2")):
    """LSDV with dummies (statsmodels) and the CR1 factor of reghdfe written out."""
    X = df[list(xs)].astype(float)
    parts = [X]
    if fe in ("twoways", "individual"):
        parts.append(pd.get_dummies(df.code, prefix="i", drop_first=False, dtype=float))
    if fe in ("twoways", "time"):
        parts.append(pd.get_dummies(df.year, prefix="t", drop_first=fe == "twoways",
                                    dtype=float))
    if fe == "none":
        parts.insert(0, pd.Series(1.0, index=df.index, name="const"))
    Z = pd.concat(parts, axis=1)
    fit = sm.OLS(df.y.astype(float), Z).fit()
    k = len(xs)
    Zi = np.linalg.inv(Z.T.to_numpy() @ Z.to_numpy())
    e = fit.resid.to_numpy()
    n, p = Z.shape
    Zn = Z.to_numpy()
    # K: slopes + levels of the FE not nested in a cluster (one redundant with two FE)
    def nested(col):
        return any(df.groupby(col)[c].nunique().max() == 1 for c in clusters)
    fes = {"twoways": ["code", "year"], "individual": ["code"], "time": ["year"],
           "none": []}[fe]
    # a nested FE still counts one level (its mean, the constant of xtreg/reghdfe)
    counted = [1 if nested(c) else df[c].nunique() for c in fes]
    K = k + sum(counted) - max(len(fes) - 1, 0) + (fe == "none")

    def meat(g):
        s = pd.DataFrame(Zn * e[:, None]).groupby(np.asarray(g)).sum().to_numpy()
        return s.T @ s
    if len(clusters) == 1:
        M = meat(df[clusters[0]])
        G = df[clusters[0]].nunique()
    else:
        a, b = clusters
        M = meat(df[a]) + meat(df[b]) - meat(df[a].astype(str) + "_" + df[b].astype(str))
        G = min(df[a].nunique(), df[b].nunique())
    V = G / (G - 1) * (n - 1) / (n - K) * Zi @ M @ Zi
    sel = [Z.columns.get_loc(c) for c in xs]
    return fit.params[list(xs)].to_numpy(), np.sqrt(np.diag(V)[sel]), G


@pytest.mark.parametrize("fe,cluster", [("twoways", ["code"]), ("individual", ["code"]),
                                         ("twoways", ["prov"]), ("twoways", ["code", "year"]),
                                         ("time", ["code"]), ("none", ["code"])])
def test_panel_fe_matches_lsdv_cr1(fe, cluster):
    df = _panel()
    res = panel_fe(df, "y", ["x1", "x2"], fe=fe, cluster=cluster if len(cluster) > 1 else cluster[0])
    b, se, G = _lsdv(df, fe, cluster)
    np.testing.assert_allclose(res.params[["x1", "x2"]].to_numpy(), b, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(res.bse[["x1", "x2"]].to_numpy(), se, rtol=1e-8)
    assert res.df_resid == G - 1
    t = res.tidy()
    assert list(t.columns) == ["term", "estimate", "std_error", "statistic", "p_value",
                               "conf_low", "conf_high"]
    from scipy import stats
    np.testing.assert_allclose(t.set_index("term").p_value["x1"], 2 * stats.t(G - 1).sf(abs(b[0] / se[0])),
                               rtol=1e-8)


def test_panel_fe_unbalanced_and_numpy_core():
    df = _panel(unbalanced=True)
    res = panel_fe(df, "y", ["x1", "x2"], id="code", time="year")
    b, se, _ = _lsdv(df, "twoways", ["code"])
    np.testing.assert_allclose(res.params.to_numpy(), b, rtol=1e-8)
    np.testing.assert_allclose(res.bse.to_numpy(), se, rtol=1e-7)
    # the numpy core used by the bootstraps gives the same numbers
    gi, _ = codes(df.code)
    gt, T = codes(df.year)
    Xd = demean(df[["x1", "x2"]].to_numpy(), [gi, gt])
    yd = demean(df.y.to_numpy(), [gi, gt])
    beta, e, XtXi = ols(Xd, yd)
    V, G = cr1(Xd, e, XtXi, [gi], 2 + T)
    np.testing.assert_allclose(beta, b, rtol=1e-9)
    np.testing.assert_allclose(np.sqrt(np.diag(V)), se, rtol=1e-8)


def test_panel_fe_errors():
    df = _panel()
    from spatialnqpf._validation import DataError, PanelError
    with pytest.raises(DataError, match="nope"):
        panel_fe(df, "y", ["x1", "nope"])
    with pytest.raises(PanelError, match="duplicated"):
        panel_fe(pd.concat([df, df.head(1)]), "y", ["x1"])
    with pytest.raises(ValueError, match="fe must be"):
        panel_fe(df, "y", ["x1"], fe="threeways")
    df2 = df.assign(x3=df.year * 2.0)
    with pytest.raises(DataError, match="x3"):
        panel_fe(df2, "y", ["x1", "x3"])


def test_panel_fe_iid_and_hc1_match_lsdv():
    df = _panel()
    Z = pd.concat([df[["x1", "x2"]], pd.get_dummies(df.code, dtype=float),
                   pd.get_dummies(df.year, drop_first=True, dtype=float)], axis=1)
    iid = sm.OLS(df.y, Z).fit()
    hc1 = sm.OLS(df.y, Z).fit(cov_type="HC1")
    r = panel_fe(df, "y", ["x1", "x2"], cluster=None)
    np.testing.assert_allclose(r.bse.to_numpy(), iid.bse.to_numpy()[:2], rtol=1e-8)
    assert r.df_resid == iid.df_resid
    r = panel_fe(df, "y", ["x1", "x2"], cluster="hetero")
    np.testing.assert_allclose(r.bse.to_numpy(), hc1.bse.to_numpy()[:2], rtol=1e-8)


def test_panel_fe_drops_singletons_as_reghdfe_and_reports():
    df = _panel(unbalanced=True)
    d2 = df[~((df.code == 100) & (df.year > 2001))]          # unit 100 becomes a singleton
    with pytest.warns(UserWarning, match="1 singleton"):
        r = panel_fe(d2, "y", ["x1", "x2"])
    assert r.info["dropped_singletons"] == 1 and r.n_clusters["code"] == 39
    b, se, G = _lsdv(d2[d2.code != 100], "twoways", ["code"])
    np.testing.assert_allclose(r.bse.to_numpy(), se, rtol=1e-8)
    assert r.residuals.index.names == ["code", "year"] and 100 not in r.residuals.index.get_level_values(0)
