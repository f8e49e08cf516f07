"""Tests of spatialnqpf.models.spatial_gmm.

References: spreg 1.9.0's own test values (spreg/tests/test_twosls_sp.py, test_error_sp_het.py:
GM_Lag, GM_Error_Het, GM_Endog_Error_Het, GM_Combo_Het on columbus, Rook contiguity from the
libpysal example shapefile, row-standardised), reproduced through our id-aligned interface
with the rows shuffled; and a plain-numpy 2SLS with explicit unit and year dummies for the
panel estimator.
"""
from __future__ import annotations

import warnings

import libpysal
import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph

from spatialnqpf._results import FitWarning
from spatialnqpf._validation import IdMismatchError, PanelError
from spatialnqpf.models import spatial_gmm
from spatialnqpf.models.gmm import IdentificationError


@pytest.fixture(scope="module")
def columbus():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wr = libpysal.weights.Rook.from_shapefile(libpysal.examples.get_path("columbus.shp"),
                                                  idVariable="POLYID")
        db = libpysal.io.open(libpysal.examples.get_path("columbus.dbf"), "r")
        df = pd.DataFrame({c: db.by_col(c) for c in ("POLYID", "HOVAL", "INC", "CRIME", "DISCBD")})
    wr.transform = "r"
    return df.rename(columns={"POLYID": "code"}).sample(frac=1.0, random_state=3), Graph.from_W(wr)


def _gmm(*a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        return spatial_gmm(*a, **k)


# (model, kwargs, spreg's betas, spreg's standard errors)
SPREG = [
    ("sar", {}, [45.3017056, 0.620888617, -0.480723451, 0.0283622122],
     np.sqrt([320.867996, 0.275478880, 0.0332265449, 0.100743323])),
    ("sem", {"step1c": True}, [47.99626638, 0.71048989, -0.55876126, 0.41178776],
     [11.47900385, 0.36812187, 0.16156816, 0.16804717]),
    ("sac", {"step1c": True, "w_lags": 1}, [57.7778574, 0.73034922, -0.59257362, -0.2230231,
                                             0.56636724],
     [22.05035768, 0.32354439, 0.14685221, 0.52751653, 0.26683966]),
]


@pytest.mark.parametrize("model,kw,betas,se", SPREG, ids=[s[0] for s in SPREG])
def test_spreg_values(columbus, model, kw, betas, se):
    df, g = columbus
    res = _gmm(df, "HOVAL", ["INC", "CRIME"], g, model=model, **kw)
    np.testing.assert_allclose(res.params.to_numpy(), betas, rtol=1e-6)
    np.testing.assert_allclose(res.bse.to_numpy(), se, rtol=1e-6)
    assert list(res.params.index[:3]) == ["const", "INC", "CRIME"]
    assert res.params.index[-1] == ("rho" if model == "sar" else "lambda")


def test_endogenous_regressor(columbus):
    df, g = columbus
    res = _gmm(df, "HOVAL", ["INC"], g, model="sar", endog=["CRIME"], instruments=["DISCBD"])
    np.testing.assert_allclose(res.params.to_numpy(),
                               [100.79359082, -0.50215501, -1.14881711, -0.38235022], rtol=1e-7)
    np.testing.assert_allclose(res.bse.to_numpy(),
                               [53.0829123, 1.02511494, 0.57589064, 0.59891744], rtol=1e-7)
    assert list(res.first_stage.index) == ["CRIME", "W_y"]
    # first-stage F by hand: CRIME on [1, INC] vs on all instruments
    H = res.info["n_instruments"]
    assert H == 1 + 1 + 1 + 2 * 2
    assert res.flags and res.flags[0].code == "weak_instruments"
    assert "CRIME: F = 4.72" in res.flags[0].message
    assert set(res.tests.index) == {"Sargan", "Hansen J"} and (res.tests.df == 3).all()
    sem = _gmm(df, "HOVAL", ["INC"], g, model="sem", endog=["CRIME"], instruments=["DISCBD"],
               step1c=True)
    np.testing.assert_allclose(sem.params.to_numpy(),
                               [55.39707924, 0.46563046, -0.67038326, 0.41135023], rtol=1e-6)


def test_sem_clip_workaround(columbus):
    """spreg clips the first-step coefficient of the last endogenous regressor to +-0.9:
    CRIME/2 has coefficient -1.34 (twice CRIME's); our estimate is exactly rescaled."""
    import spreg
    df, g = columbus
    d2 = df.assign(CRIME2=df.CRIME / 2)
    a = _gmm(df, "HOVAL", ["INC"], g, model="sem", endog=["CRIME"], instruments=["DISCBD"])
    b = _gmm(d2, "HOVAL", ["INC"], g, model="sem", endog=["CRIME2"], instruments=["DISCBD"])
    np.testing.assert_allclose(b.params["CRIME2"], 2 * a.params["CRIME"], rtol=1e-8)
    np.testing.assert_allclose(b.params["lambda"], a.params["lambda"], rtol=1e-8)
    np.testing.assert_allclose(b.bse["CRIME2"], 2 * a.bse["CRIME"], rtol=1e-8)
    # spreg called directly is not scale-equivariant here (the clip binds)
    d2 = d2.sort_values("code")
    import scipy.sparse as sp
    wl = libpysal.weights.WSP(sp.csr_matrix(g.sparse), id_order=list(g.unique_ids)).to_W(silence_warnings=True)
    raw = spreg.GM_Endog_Error_Het(d2[["HOVAL"]].to_numpy(), d2[["INC"]].to_numpy(),
                                   yend=d2[["CRIME2"]].to_numpy(), q=d2[["DISCBD"]].to_numpy(),
                                   w=wl)
    assert abs(raw.betas[2, 0] - b.params["CRIME2"]) > 1e-3


def test_identification_errors(columbus):
    df, g = columbus
    with pytest.raises(IdentificationError, match="need instruments"):
        _gmm(df, "HOVAL", ["INC"], g, endog=["CRIME"])
    with pytest.raises(IdentificationError, match="not identified: 2 endogenous .* only 1 excl"):
        _gmm(df.assign(Z=df.INC), "HOVAL", [], g, model="sem", endog=["CRIME", "DISCBD"],
             instruments=["Z"], w_lags=0)
    with pytest.raises(IdentificationError, match="collinear instruments.*'Z'"):
        _gmm(df.assign(Z=2 * df.INC), "HOVAL", ["INC"], g, model="sar", endog=["CRIME"],
             instruments=["Z"])
    with pytest.raises(IdMismatchError, match="1000"):
        _gmm(df.assign(code=df.code.replace({49: 1000})), "HOVAL", ["INC"], g, model="sar")
    with pytest.raises(ValueError, match="model"):
        _gmm(df, "HOVAL", ["INC"], g, model="sdm")


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(11)
    N, T = 20, 6
    B = np.zeros((N, N))
    for i in range(N):
        B[i, (i + 1) % N] = B[i, (i - 1) % N] = B[i, (i + 3) % N] = B[(i + 3) % N, i] = 1
    W = B / B.sum(1, keepdims=True)
    mu, al = rng.normal(size=N), rng.normal(size=T)
    x = rng.normal(size=(T, N))
    z = rng.normal(size=(T, N))
    v = rng.normal(size=(T, N))
    e = 0.6 * v + rng.normal(size=(T, N))
    xe = z + 0.5 * x + v + mu                       # endogenous: correlated with e
    y = np.array([np.linalg.solve(np.eye(N) - 0.3 * W, 1.0 * x[t] - 0.7 * xe[t] + mu + al[t] + e[t])
                  for t in range(T)])
    ids = [f"r{i}" for i in range(N)]
    df = pd.DataFrame({"code": np.tile(ids, T), "year": np.repeat(np.arange(2010, 2010 + T), N),
                       "y": y.ravel(), "x": x.ravel(), "xe": xe.ravel(), "z": z.ravel()})
    ii, jj = np.nonzero(W)
    g = Graph.from_arrays(np.array(ids)[ii], np.array(ids)[jj], W[ii, jj])
    return df, g, W, N, T


@pytest.mark.parametrize("fe", ["individual", "twoways"])
def test_panel_2sls_equals_dummy_transcription(panel, fe):
    df, g, W, N, T = panel
    res = _gmm(df.sample(frac=1.0, random_state=2), "y", ["x"], g, time="year", model="sar",
               endog=["xe"], instruments=["z"], fe=fe)
    Wt = np.kron(np.eye(T), W)
    y, x, xe, z = (df[c].to_numpy() for c in ("y", "x", "xe", "z"))
    D = np.kron(np.ones((T, 1)), np.eye(N))
    if fe == "twoways":
        D = np.hstack([D, np.kron(np.eye(T), np.ones((N, 1)))[:, 1:]])
    Z = np.column_stack([x, xe, Wt @ y, D])
    H = np.column_stack([x, z, Wt @ x, Wt @ z, Wt @ Wt @ x, Wt @ Wt @ z, D])
    P = H @ np.linalg.pinv(H)
    A = Z.T @ P @ Z
    b = np.linalg.solve(A, Z.T @ P @ y)
    u = y - Z @ b
    s2 = u @ u / (len(y) - Z.shape[1])
    se = np.sqrt(np.diag(s2 * np.linalg.inv(A)))
    np.testing.assert_allclose(res.params.to_numpy(), b[:3], rtol=1e-8)
    np.testing.assert_allclose(res.bse.to_numpy(), se[:3], rtol=1e-8)
    assert res.df_resid == len(y) - Z.shape[1]
    # first-stage F of xe and W y with the dummies among the included exogenous variables
    for j, nm in ((1, "xe"), (2, "W_y")):
        v = Z[:, j]
        Xr = np.column_stack([x, D])
        rss = lambda M: float(np.sum((v - M @ np.linalg.lstsq(M, v, rcond=None)[0]) ** 2))
        q = H.shape[1] - Xr.shape[1]
        F = ((rss(Xr) - rss(H)) / q) / (rss(H) / (len(y) - H.shape[1]))
        np.testing.assert_allclose(res.first_stage.loc[nm, "F"], F, rtol=1e-8)
    assert bool(res.flags) == bool((res.first_stage.F < 10).any())


def test_panel_refusals(panel):
    df, g, *_ = panel
    with pytest.raises(ValueError, match="fe='individual'"):
        _gmm(df, "y", ["x"], g, time="year", model="sar")
    with pytest.raises(ValueError, match="model='sar'"):
        _gmm(df, "y", ["x"], g, time="year", model="sem", fe="individual")
    with pytest.raises(ValueError, match="model='sar'.*not 'sac'.*time=None"):
        _gmm(df, "y", ["x"], g, time="year", model="sac", fe="twoways")


def test_panel_bad_instruments(panel):
    """Bad input of issue 14: an instrument set that does not identify (named), weak
    instruments (FitWarning with the first-stage F), gaps and unbalanced panels."""
    df, g, W, N, T = panel
    with pytest.raises(IdentificationError, match="need instruments"):
        _gmm(df, "y", ["x"], g, time="year", endog=["xe"], fe="individual")
    with pytest.raises(IdentificationError, match="not identified: 2 endogenous .* only 1 excl"):
        _gmm(df, "y", ["x"], g, time="year", endog=["xe"], instruments=["z"], fe="individual",
             w_lags=0)
    with pytest.raises(IdentificationError, match="collinear instruments.*'z2'"):
        _gmm(df.assign(z2=3 * df.z), "y", ["x"], g, time="year", endog=["xe"],
             instruments=["z", "z2"], fe="individual")
    # an instrument that is constant within units is removed by the within transformation
    zc = df.groupby("code").z.transform("mean")
    with pytest.raises(IdentificationError, match="without variation .*'zc', 'W_zc', 'W\\^2_zc'"):
        _gmm(df.assign(zc=zc), "y", ["x"], g, time="year", endog=["xe"], instruments=["zc"],
             fe="individual")
    # a pure-noise instrument: weak, warned with its first-stage F, flagged
    rng = np.random.default_rng(5)
    noise = df.assign(zn=rng.normal(size=len(df)))
    with pytest.warns(FitWarning, match=r"weak instruments .*xe: F = \d"):
        res = spatial_gmm(noise, "y", ["x"], g, id="code", time="year", endog=["xe"],
                          instruments=["zn"], fe="individual", lag_q=False)
    F = res.first_stage.loc["xe", "F"]
    assert F < 10 and f"xe: F = {F:.3g}" in res.flags[0].message
    assert [f.code for f in res.flags] == ["weak_instruments"]
    # the strong instrument of the fixture: no flag, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitWarning)
        ok = spatial_gmm(df, "y", ["x"], g, id="code", time="year", endog=["xe"],
                         instruments=["z"], fe="twoways")
    assert not ok.flags and (ok.first_stage.F > 10).all()
    with pytest.raises(PanelError):
        _gmm(df.iloc[:-1], "y", ["x"], g, time="year", endog=["xe"], instruments=["z"],
             fe="individual")


def test_sargan_and_first_stage_against_linearmodels(columbus):
    """The spatial 2SLS is IV2SLS with instruments [W, W^2][INC, DISCBD]: linearmodels gives the
    same coefficients, Sargan statistic and first-stage partial F (homoskedastic)."""
    from linearmodels.iv import IV2SLS
    df, g = columbus
    res = _gmm(df, "HOVAL", ["INC"], g, model="sar", endog=["CRIME"], instruments=["DISCBD"])
    d = df.sort_values("code").reset_index(drop=True)
    W = g.sparse.toarray()
    pos = pd.Index(g.unique_ids).get_indexer(d.code)
    W = W[np.ix_(pos, pos)]
    d["W_y"] = W @ d.HOVAL.to_numpy()
    for v in ("INC", "DISCBD"):
        d["W_" + v] = W @ d[v].to_numpy()
        d["W2_" + v] = W @ d["W_" + v].to_numpy()
    d["const"] = 1.0
    iv = IV2SLS(d.HOVAL, d[["const", "INC"]], d[["CRIME", "W_y"]],
                d[["DISCBD", "W_INC", "W_DISCBD", "W2_INC", "W2_DISCBD"]]).fit(cov_type="unadjusted")
    np.testing.assert_allclose(res.params.to_numpy(), iv.params.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(res.tests.loc["Sargan", "statistic"], iv.sargan.stat, rtol=1e-8)
    fs = iv.first_stage.diagnostics
    np.testing.assert_allclose(res.first_stage.loc["CRIME", "partial_r2"],
                               fs.loc["CRIME", "partial.rsquared"], rtol=1e-8)
    r = res.first_stage.loc["CRIME"]          # F from the partial R2 (homoskedastic)
    np.testing.assert_allclose(r.F, (r.partial_r2 / r.df1) / ((1 - r.partial_r2) / r.df2),
                               rtol=1e-8)
