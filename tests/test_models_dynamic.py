"""Tests of the dynamic spatial panels (spatial_panel(dynamic=...)).

References:

* ``tests/reference/cigar_dynamic_results.csv`` (``cigar_dynamic.R``): R spatialreg 1.2.6
  ``lagsarlm`` with unit (+ year) dummies on the years 1964..1992 (the uncorrected QML,
  ``lee_yu=False``; estimates, information-matrix SEs, llf, point short/long-run effects) and
  R SDPDmod 0.0.6 ``SDPDm(dynamic=TRUE, LYtrans=TRUE)`` with its nearPD defect removed (the
  bias-corrected estimator, ``lee_yu=True``).
* Plain-numpy transcriptions below, written from Yu, de Jong & Lee (2008) and Lee & Yu (2010)
  with dense matrices: the full dummy-variable likelihood and its information matrix, and the
  Lee–Yu F_{N,N−1} transformation with the bias correction.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph
from scipy import optimize

from spatialnqpf._results import FitWarning
from spatialnqpf._validation import DataError, PanelError
from spatialnqpf.models import spatial_panel
from spatialnqpf.models.dynamic import NonStationaryError

REF = Path(__file__).parent / "reference"
X = ["logp", "logy"]


@pytest.fixture(scope="module")
def cigar():
    return pd.read_csv(REF / "cigar_panel.csv")


@pytest.fixture(scope="module")
def w():
    edges = pd.read_csv(REF / "cigar_w46_edges.csv", comment="#")
    g = Graph.from_adjacency(edges.assign(weight=1.0), focal_col="focal",
                             neighbor_col="neighbor", weight_col="weight")
    return g.transform("r")


@pytest.fixture(scope="module")
def ref():
    return pd.read_csv(REF / "cigar_dynamic_results.csv", comment="#")


def _fit(data, w, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        return spatial_panel(data, "logc", X, w, id="state", time="year", **kw)


CASES = [("lagsarlm_sdm_twoways", "sdm", "twoways", False),
         ("lagsarlm_sar_individual", "sar", "individual", False),
         ("lagsarlm_sdm_individual", "sdm", "individual", False),
         ("lagsarlm_sar_twoways", "sar", "twoways", False),
         ("sdpdm_sdm_twoways", "sdm", "twoways", True),
         ("sdpdm_sar_individual", "sar", "individual", True),
         ("sdpdm_sdm_individual", "sdm", "individual", True)]


# ------------------------------------------------------------------------- R references
@pytest.mark.parametrize("case,model,fe,ly", CASES, ids=[c[0] for c in CASES])
def test_cigar_against_r(cigar, w, ref, case, model, fe, ly):
    g = ref[ref.case == case].set_index("term")
    res = _fit(cigar, w, model=model, fe=fe, lee_yu=ly, dynamic="both")
    assert res.nobs == 46 * 29
    for t in res.params.index:
        np.testing.assert_allclose(res.params[t], g.estimate[t], rtol=1e-5, atol=1e-7,
                                   err_msg=t)
    np.testing.assert_allclose(res.sigma2, g.estimate["sigma2"], rtol=1e-6)
    if ly is False:        # lagsarlm: exact dummy-model information and log-likelihood
        np.testing.assert_allclose(res.bse[res.params.index].to_numpy(),
                                   g.se[res.params.index].to_numpy(), rtol=1e-5)
        np.testing.assert_allclose(res.llf, g.estimate["llf"], rtol=1e-9)
    else:                  # SDPDmod's mu4 sandwich (it takes mu4 of reduced-form residuals)
        sw = _fit(cigar, w, model=model, fe=fe, lee_yu=ly, dynamic="both", cov_type="sandwich")
        rtol = 1e-3 if fe == "individual" else 3e-2   # twoways: its mu4/diag(G*) in an F basis
        np.testing.assert_allclose(sw.bse[res.params.index].to_numpy(),
                                   g.se[res.params.index].to_numpy(), rtol=rtol)
        np.testing.assert_allclose(
            res.extra["uncorrected"][list(res.params.index)].to_numpy(),
            g.estimate[[t + "_uncorrected" for t in res.params.index]].to_numpy(),
            rtol=1e-5, atol=1e-7)
    for h in ("short", "long"):
        if h == "long" and not res.info["stationary"]:
            continue
        e = res._effects_core.point_dynamic(res.params, h)
        for v in X:
            for k in ("direct", "indirect", "total"):
                np.testing.assert_allclose(e.loc[v, k], g.estimate[f"{h}:{k}:{v}"], rtol=1e-5,
                                           atol=1e-8, err_msg=f"{h} {k} {v}")


PRODUC_X = ["lpcap", "lpc", "lemp", "unemp"]
PRODUC_CASES = [c for c in CASES if c[0] in ("lagsarlm_sdm_twoways", "lagsarlm_sar_individual",
                                               "sdpdm_sdm_twoways", "sdpdm_sar_individual")]


@pytest.mark.parametrize("case,model,fe,ly", PRODUC_CASES, ids=[c[0] for c in PRODUC_CASES])
def test_produc_against_r(case, model, fe, ly):
    """Produc (48 states x 1970-1986, queen contiguity of spData::us_states): produc_dynamic.R."""
    data = pd.read_csv(REF / "produc_panel.csv")
    edges = pd.read_csv(REF / "produc_w48_edges.csv", comment="#")
    g = Graph.from_adjacency(edges.assign(weight=1.0), focal_col="focal", neighbor_col="neighbor",
                             weight_col="weight").transform("r")
    ref = pd.read_csv(REF / "produc_dynamic_results.csv", comment="#")
    r = ref[ref.case == case].set_index("term")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        res = spatial_panel(data, "lgsp", PRODUC_X, g, id="state", time="year", model=model,
                            fe=fe, lee_yu=ly, dynamic="both")
    assert res.nobs == 48 * 16
    for t in res.params.index:
        np.testing.assert_allclose(res.params[t], r.estimate[t], rtol=1e-5, atol=1e-7, err_msg=t)
    np.testing.assert_allclose(res.sigma2, r.estimate["sigma2"], rtol=1e-6)
    if ly is False:
        np.testing.assert_allclose(res.bse[res.params.index].to_numpy(),
                                   r.se[res.params.index].to_numpy(), rtol=1e-5)
        np.testing.assert_allclose(res.llf, r.estimate["llf"], rtol=1e-9)
    for h in ("short", "long"):
        if h == "long" and not res.info["stationary"]:
            continue
        e = res._effects_core.point_dynamic(res.params, h)
        for v in PRODUC_X:
            for k in ("direct", "indirect", "total"):
                np.testing.assert_allclose(e.loc[v, k], r.estimate[f"{h}:{k}:{v}"], rtol=1e-5,
                                           atol=1e-8, err_msg=f"{h} {k} {v}")


def test_known_defect_values(cigar, w):
    """The issue's measured value: corrected rho of the dynamic SDM two-way = 0.0763."""
    res = _fit(cigar, w, model="sdm", fe="twoways", lee_yu=True, dynamic="both")
    assert abs(res.params["rho"] - 0.0763401) < 1e-6
    assert res.info["stationary"] and not res.flags


# ------------------------------------------------------------- numpy transcriptions
def _ring(n, k=2):
    B = np.zeros((n, n))
    for i in range(n):
        for j in range(1, k + 1):
            B[i, (i + j) % n] = B[i, (i - j) % n] = 1
    B[0, n // 2] = B[n // 2, 0] = 1          # one long link: not all rows alike
    return B / B.sum(1, keepdims=True)


@pytest.fixture(scope="module")
def synth():
    """Small panel simulated from a dynamic SDM with two-way effects (N = 14, T = 9)."""
    rng = np.random.default_rng(7)
    N, T = 14, 9
    W = _ring(N)
    tau, eta, rho, b, th = 0.45, 0.15, 0.25, np.array([1.0, -0.5]), np.array([0.4, 0.2])
    mu = rng.normal(size=N)
    al = rng.normal(size=T)
    Xs = rng.normal(size=(T, N, 2))
    y = np.zeros((T, N))
    y[0] = rng.normal(size=N) + mu
    Ai = np.linalg.inv(np.eye(N) - rho * W)
    for t in range(1, T):
        y[t] = Ai @ (tau * y[t - 1] + eta * W @ y[t - 1] + Xs[t] @ b + W @ Xs[t] @ th
                     + mu + al[t] + 0.5 * rng.normal(size=N))
    ids = [f"u{i:02d}" for i in range(N)]
    rows = [{"code": ids[i], "year": 2000 + t, "y": y[t, i], "x1": Xs[t, i, 0], "x2": Xs[t, i, 1]}
            for t in range(T) for i in range(N)]
    df = pd.DataFrame(rows).sample(frac=1.0, random_state=1)      # any row order
    ii, jj = np.nonzero(W)
    g = Graph.from_arrays(np.array(ids)[ii], np.array(ids)[jj], W[ii, jj])
    return df, g, W, y, Xs


def _synth_fit(synth, **kw):
    df, g, *_ = synth
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        return spatial_panel(df, "y", ["x1", "x2"], g, id="code", time="year", **kw)


def _stack(synth):
    _, _, W, y, Xs = synth
    T, N = y.shape
    y1, yl = y[1:], y[:-1]
    cols = [yl, yl @ W.T, Xs[1:, :, 0], Xs[1:, :, 1], Xs[1:, :, 0] @ W.T, Xs[1:, :, 1] @ W.T]
    return W, y1, np.stack(cols, axis=2), N, T - 1


def test_uncorrected_equals_dense_dummy_likelihood(synth):
    """lee_yu=False: ML of y = rho Wy + Z b + unit and year dummies + e, dense NT x NT."""
    W, y1, Z, N, T1 = _stack(synth)
    n = N * T1
    WT = np.kron(np.eye(T1), W)
    D = np.hstack([np.kron(np.ones((T1, 1)), np.eye(N)), np.kron(np.eye(T1), np.ones((N, 1)))[:, 1:]])
    Xf = np.hstack([Z.reshape(n, -1), D])
    yv = y1.ravel()
    Wy = WT @ yv

    def prof(r):
        b, *_ = np.linalg.lstsq(Xf, yv - r * Wy, rcond=None)
        e = yv - r * Wy - Xf @ b
        s2 = e @ e / n
        return -(-n / 2 * np.log(2 * np.pi * s2) - n / 2 + np.linalg.slogdet(np.eye(n) - r * WT)[1]), b, s2

    r = optimize.minimize_scalar(lambda v: prof(v)[0], bounds=(-0.9, 0.95), method="bounded",
                                 options={"xatol": 1e-12}).x
    f, b, s2 = prof(r)
    # exact information of (b, rho, sigma2) in the full dummy model (Anselin 1988)
    G = WT @ np.linalg.inv(np.eye(n) - r * WT)
    GXb = G @ Xf @ b
    k = Xf.shape[1]
    I = np.zeros((k + 2, k + 2))
    I[:k, :k] = Xf.T @ Xf / s2
    I[:k, k] = I[k, :k] = Xf.T @ GXb / s2
    I[k, k] = np.trace(G @ G) + np.trace(G.T @ G) + GXb @ GXb / s2
    I[k, k + 1] = I[k + 1, k] = np.trace(G) / s2
    I[k + 1, k + 1] = n / (2 * s2 ** 2)
    se = np.sqrt(np.diag(np.linalg.inv(I)))
    res = _synth_fit(synth, model="sdm", fe="twoways", lee_yu=False, dynamic="both")
    names = ["y_lag", "W_y_lag", "x1", "x2", "W_x1", "W_x2"]
    np.testing.assert_allclose(res.params[names].to_numpy(), b[:6], rtol=1e-7)
    np.testing.assert_allclose(res.params["rho"], r, rtol=1e-7)
    np.testing.assert_allclose(res.sigma2, s2, rtol=1e-9)
    np.testing.assert_allclose(res.llf, -f, rtol=1e-10)
    np.testing.assert_allclose(res.bse[names + ["rho"]].to_numpy(), np.r_[se[:6], se[k]], rtol=1e-7)


def _bias_corrected_dense(synth, fe):
    """Lee-Yu transformation (twoways) or unit demeaning (individual) + YdJL (2008) correction."""
    W, y1, Z, N, T1 = _stack(synth)
    Y = y1 - y1.mean(0)
    Zd = Z - Z.mean(0)
    if fe == "twoways":
        ev, vec = np.linalg.eigh(np.eye(N) - np.full((N, N), 1.0 / N))
        F = vec[:, ev > 0.5]                                    # F_{N,N-1}
        Ws = F.T @ W @ F
        Ys = Y @ F                                               # rows: F' y_t
        Zs = np.einsum("tnk,nm->tmk", Zd, F)
    else:
        Ws, Ys, Zs = W, Y, Zd
    n = Ws.shape[0]
    k = Zs.shape[2]
    yv = Ys.ravel()
    Zv = Zs.reshape(-1, k)
    Wy = (Ys @ Ws.T).ravel()

    def prof(r):
        b, *_ = np.linalg.lstsq(Zv, yv - r * Wy, rcond=None)
        e = yv - r * Wy - Zv @ b
        s2 = e @ e / (n * T1)
        return (n * T1 / 2 * np.log(2 * np.pi * s2) + n * T1 / 2
                - T1 * np.linalg.slogdet(np.eye(n) - r * Ws)[1]), b, s2

    r = optimize.minimize_scalar(lambda v: prof(v)[0], bounds=(-0.9, 0.95), method="bounded",
                                 options={"xatol": 1e-12}).x
    _, b, s2 = prof(r)

    def info(b, r, s2):
        S = np.eye(n) - r * Ws
        G = Ws @ np.linalg.inv(S)
        GZb = (Zv @ b).reshape(T1, n) @ G.T
        GZb = GZb.ravel()
        I = np.zeros((k + 2, k + 2))
        I[:k, :k] = Zv.T @ Zv / s2
        I[:k, k] = I[k, :k] = Zv.T @ GZb / s2
        I[k, k] = GZb @ GZb / s2 + T1 * (np.trace(G @ G) + np.trace(G @ G.T))
        I[k, k + 1] = I[k + 1, k] = T1 * np.trace(G) / s2
        I[k + 1, k + 1] = n * T1 / (2 * s2 ** 2)
        return I, G, np.linalg.inv(S)

    I0, G, Si = info(b, r, s2)
    tau, eta = b[0], b[1]
    A = Si @ (tau * np.eye(n) + eta * Ws)
    lam, R = np.linalg.eig(A)
    J = np.diag(np.where(np.real(lam) > 1 - 1 / n, lam, 0))
    mm = int((np.real(lam) > 1 - 1 / n).sum())
    B = np.real(A - R @ J @ np.linalg.inv(R))
    H = np.linalg.inv(np.eye(n) - B) @ Si
    a = np.zeros(k + 2)
    a[0] = np.trace(H) / n
    a[1] = np.trace(Ws @ H) / n
    a[k] = (tau * np.trace(G @ H) + eta * np.trace(G @ Ws @ H) + np.trace(G)) / n
    a[k + 1] = 1 / (2 * s2)
    if mm:
        a[[0, 1, k]] += T1 / (2 * (1 - r)) * mm / n
    Sigma = I0 / (n * T1)
    th1 = np.r_[b, r, s2] + np.linalg.solve(Sigma, a) / T1
    I1, *_ = info(th1[:k], th1[k], th1[k + 1])
    return th1, np.sqrt(np.diag(np.linalg.inv(I1)))


@pytest.mark.parametrize("fe", ["twoways", "individual"])
def test_bias_correction_equals_dense_transcription(synth, fe):
    th1, se = _bias_corrected_dense(synth, fe)
    res = _synth_fit(synth, model="sdm", fe=fe, lee_yu=True, dynamic="both")
    names = ["y_lag", "W_y_lag", "x1", "x2", "W_x1", "W_x2", "rho"]
    np.testing.assert_allclose(res.params[names].to_numpy(), th1[:7], rtol=1e-6)
    np.testing.assert_allclose(res.sigma2, th1[7], rtol=1e-6)
    np.testing.assert_allclose(res.bse[names].to_numpy(), se[:7], rtol=1e-6)
    assert res.nobs == 14 * 8
    assert res.info["nobs_effective"] == (13 if fe == "twoways" else 14) * 8


def test_large_n_trace_path_agrees_with_eigen(synth):
    """Hutchinson/sparse-LU bias traces (N > 2000 path) vs exact eigenvalues, same data."""
    from spatialnqpf.models import dynamic as dyn
    _, _, W, *_ = synth
    import scipy.sparse as sp
    names = ["y_lag", "W_y_lag", "x1"]
    beta = np.array([0.5, 0.1, 1.0])
    ev = np.linalg.eigvals(W)
    for tw in (True, False):
        a_e, mm_e, _ = dyn._bias_vector(names, beta, 0.2, 0.3, ev, sp.csr_matrix(W), 8,
                                        13 if tw else 14, tw, 20000, 0, -1.0)
        a_h, mm_h, _ = dyn._bias_vector(names, beta, 0.2, 0.3, None, sp.csr_matrix(W), 8,
                                        13 if tw else 14, tw, 20000, 0, -1.0)
        assert mm_e == mm_h
        np.testing.assert_allclose(a_h, a_e, rtol=0.02, atol=2e-3)



class _ExactPowers:
    """Stands in for HutchinsonPowers with exact tr(W^k) for every 'probe' (one probe)."""

    def __init__(self, ev):
        self.ev, self.nsim = np.asarray(ev, dtype=complex), 1

    def traces(self, q):
        return np.real(np.array([np.sum(self.ev ** k) for k in range(q + 1)]))

    def probe_traces(self, q):
        return self.traces(q), self.traces(q)[:, None]


def test_series_bias_traces_equal_eigen_with_exact_powers(synth):
    """The power-series path (n > SERIES_MIN_N: coefficients r^k/(1 - tau), rho^k and their
    Cauchy product) is exact up to its 1e-10 n truncation when the power traces are exact;
    with real Hutchinson probes it agrees with the eigenvalue path to Monte Carlo error."""
    from spatialnqpf.models import dynamic as dyn
    from spatialnqpf.models._logdet import HutchinsonPowers
    _, _, W, *_ = synth
    import scipy.sparse as sp
    names = ["y_lag", "W_y_lag", "x1"]
    ev = np.linalg.eigvals(W)
    for beta, rho in ((np.array([0.5, 0.1, 1.0]), 0.2), (np.array([0.3, -0.2, 1.0]), -0.4)):
        for tw in (True, False):
            a_e, mm_e, _ = dyn._bias_vector(names, beta, rho, 0.3, ev, sp.csr_matrix(W), 8,
                                            13 if tw else 14, tw, 100, 0, -1.0)
            a_s, mm_s, how = dyn._bias_vector(names, beta, rho, 0.3, None, sp.csr_matrix(W), 8,
                                              13 if tw else 14, tw, 100, 0, -1.0,
                                              hp=_ExactPowers(ev))
            assert "power series to W^" in how and mm_s == mm_e
            np.testing.assert_allclose(a_s, a_e, rtol=1e-9, atol=1e-9)
            hp = HutchinsonPowers(sp.csr_matrix(W), 20000, 0)
            a_h, _, how = dyn._bias_vector(names, beta, rho, 0.3, None, sp.csr_matrix(W), 8,
                                           13 if tw else 14, tw, 100, 0, -1.0, hp=hp)
            assert how.startswith("Hutchinson (20000 vectors, seed 0; power series")
            np.testing.assert_allclose(a_h, a_e, rtol=0.02, atol=2e-3)
    # (rho + eta)/(1 - tau) >= 1: no convergent series, the LU path is used
    assert dyn._bias_traces_series(_ExactPowers(ev), 0.5, 0.6, 0.2) is None
    _, _, how = dyn._bias_vector(names, np.array([0.5, 0.45, 1.0]), 0.1, 0.3, None,
                                 sp.csr_matrix(W), 8, 13, True, 100, 0, -1.0,
                                 hp=_ExactPowers(ev))
    assert how.endswith("sparse LU)")

# --------------------------------------------------------------- stability and effects
def test_nonstationary_flag_and_long_run_refused(cigar, w):
    res = _fit(cigar, w, model="sdm", fe="individual", lee_yu=True, dynamic="both")
    assert [f.code for f in res.flags] == ["nonstationary"]
    assert not res.info["stationary"]
    with pytest.raises(NonStationaryError, match=r"tau \+ rho \+ eta = .* >= 1"):
        res.effects(horizon="long")
    with pytest.warns(FitWarning):
        short = res.effects(horizon="short", method="delta")
    assert np.isfinite(short.to_numpy(dtype=float)).all()
    # the corrected dynamic SAR with only y_(t-1): tau + rho > 1
    r2 = _fit(cigar, w, model="sar", fe="individual", lee_yu=True, dynamic="time")
    tau, rho = r2.params["y_lag"], r2.params["rho"]
    assert tau + rho > 1 and not r2.info["stationary"]
    assert [f.code for f in r2.flags] == ["nonstationary"]


def test_effects_inference(cigar, w):
    res = _fit(cigar, w, model="sdm", fe="twoways", lee_yu=True, dynamic="both")
    for h in ("short", "long"):
        sim = res.effects(horizon=h, nsim=2000, seed=0)
        dl = res.effects(horizon=h, method="delta")
        pd.testing.assert_frame_equal(sim[["direct", "indirect", "total"]],
                                      dl[["direct", "indirect", "total"]])
        assert sim.attrs["horizon"] == h
        if h == "short":
            np.testing.assert_allclose(sim["total_se"], dl["total_se"], rtol=0.1)
            np.testing.assert_allclose(sim["direct_se"], dl["direct_se"], rtol=0.1)
        else:   # 1/(1 - tau - rho - eta) near 1/0.075: skewed draws, simulation sd larger
            assert (sim["total_se"] > dl["total_se"]).all()
    # delta method of the long-run total, analytic gradient of (b + t)/(1 - tau - rho - eta)
    p, V = res.params, res.cov
    den = 1 - p["y_lag"] - p["rho"] - p["W_y_lag"]
    gv = pd.Series(0.0, index=p.index)
    gv[["logp", "W_logp"]] = 1 / den
    gv[["y_lag", "rho", "W_y_lag"]] = (p["logp"] + p["W_logp"]) / den ** 2
    np.testing.assert_allclose(dl.loc["logp", "total_se"], np.sqrt(gv @ V @ gv), rtol=1e-5)
    again = res.effects(horizon="long", nsim=300, seed=0)
    pd.testing.assert_frame_equal(again, res.effects(horizon="long", nsim=300, seed=0))
    tid = res.tidy(kind="effects", horizon="long", method="delta")
    assert list(tid.columns) == ["effect", "term", "estimate", "std_error", "statistic",
                                 "p_value", "conf_low", "conf_high"]
    # long-run total = (beta + theta) / (1 - tau - rho - eta) for row-standardised W
    p = res.params
    tot = (p["logp"] + p["W_logp"]) / (1 - p["y_lag"] - p["rho"] - p["W_y_lag"])
    np.testing.assert_allclose(tid.query("effect == 'total' and term == 'logp'").estimate, tot,
                               rtol=1e-8)
    with pytest.raises(ValueError, match="horizon"):
        res.effects(horizon="medium")


# ----------------------------------------------------------------------- tests and durbin
def test_lr_and_wald(cigar, w):
    res = _fit(cigar, w, model="sdm", fe="twoways", lee_yu=False, dynamic="both")
    static = _fit(cigar[cigar.year > 1963], w, model="sdm", fe="twoways", lee_yu=False)
    lr = res.tests.loc["LR dynamic vs static"]
    np.testing.assert_allclose(lr.statistic, 2 * (res.llf - static.llf), rtol=1e-8)
    assert lr.df == 2
    wd = res.tests.loc["Wald eta = 0 (W_y_lag)"]
    np.testing.assert_allclose(wd.statistic, (res.params["W_y_lag"] / res.bse["W_y_lag"]) ** 2,
                               rtol=1e-10)
    assert 0.5 < wd.p < 0.6      # eta is insignificant on the cigarette panel (0.023, se 0.037)
    assert "Wald SDM -> SAR (theta = 0)" in res.tests.index


def test_wald_dynamic_common_factor(cigar, w):
    """Dynamic SEM y_t = tau y_(t-1) + X b + u, u = lambda W u + e, multiplied out, is the
    dynamic SDM with theta = -rho beta and eta = -rho tau: Wald with a numerical Jacobian."""
    res = _fit(cigar, w, model="sdm", fe="twoways", lee_yu=False, dynamic="both")
    p, V = res.params, res.cov.to_numpy()

    def r(v):
        q = pd.Series(v, index=p.index)
        return np.r_[[q["W_" + x] + q["rho"] * q[x] for x in X], q["W_y_lag"] + q["rho"] * q["y_lag"]]
    v0 = p.to_numpy()
    J = np.column_stack([(r(v0 + h) - r(v0 - h)) / 2e-7 for h in np.eye(len(v0)) * 1e-7])
    g = r(v0)
    stat = g @ np.linalg.solve(J @ V @ J.T, g)
    t = res.tests.loc["Wald dynamic SDM -> dynamic SEM (theta + rho beta = 0, eta + rho tau = 0)"]
    np.testing.assert_allclose(t.statistic, stat, rtol=1e-6)
    assert t.df == 3
    assert stat > res.tests.loc["Wald SDM -> SEM (theta + rho beta = 0)", "statistic"] - 1e-9
    # only with both lags and every regressor lagged
    sub = _fit(cigar, w, model="sdm", fe="twoways", lee_yu=False, dynamic="time")
    assert not any("dynamic SEM" in i for i in sub.tests.index)
    with pytest.raises(ValueError, match="SEM-type.*lee_yu=False.*sar.*sdm.*dynamic SEM"):
        _fit(cigar, w, model="sdem", fe="twoways", dynamic="both")
    with pytest.raises(ValueError, match="'sar' and 'sdm' .*not 'sac'"):
        _fit(cigar, w, model="sac", fe="twoways", dynamic="both", lee_yu=False)


def test_specification_search_dynamic_step(cigar, w):
    from spatialnqpf.models import specification_search
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = specification_search(cigar, "logc", X, w, id="state", time="year", nsim=50,
                                    dynamic="both")
    step6 = spec.table[spec.table.step == 6].set_index("test")
    dyn = spec.models["dynamic_sdm"]
    assert dyn.info["dynamic"] == "both" and dyn.info["fe"] == spec.fe
    np.testing.assert_allclose(step6.loc["LR dynamic vs static", "statistic"],
                               dyn.tests.loc["LR dynamic vs static", "statistic"])
    assert "Wald eta = 0 (W_y_lag)" in step6.index


def test_durbin_subset_equals_explicit_regressor(cigar, w):
    """durbin=['logp'] = a SAR with a hand-made W*logp column (static and dynamic)."""
    Wd = w.sparse.toarray()
    order = list(w.unique_ids)
    c = cigar.copy()
    for yr, g in c.groupby("year"):
        v = g.set_index("state").loc[order, "logp"].to_numpy()
        c.loc[g.index, "W_logp_hand"] = pd.Series(Wd @ v, index=order).loc[g.state].to_numpy()
    for dyn in (None, "both"):
        a = _fit(cigar, w, model="sdm", fe="twoways", lee_yu=False, dynamic=dyn, durbin=["logp"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitWarning)
            b = spatial_panel(c, "logc", X + ["W_logp_hand"], w, id="state", time="year",
                              model="sar", fe="twoways", lee_yu=False, dynamic=dyn)
        assert "W_logy" not in a.params.index
        np.testing.assert_allclose(a.params["W_logp"], b.params["W_logp_hand"], rtol=1e-6)
        np.testing.assert_allclose(a.params["rho"], b.params["rho"], rtol=1e-6)
        np.testing.assert_allclose(a.bse["W_logp"], b.bse["W_logp_hand"], rtol=1e-6)
    # effects of the undurbined regressor: theta = 0
    e = a._effects_core.point_dynamic(a.params, "long")
    p = a.params
    np.testing.assert_allclose(e.loc["logy", "total"],
                               p["logy"] / (1 - p["y_lag"] - p["rho"] - p["W_y_lag"]), rtol=1e-8)


# ---------------------------------------------------------------------- SEM-type (uncorrected)
def _dense_sem_dummy_fit(cigar, w, durbin, twoways):
    """Plain-numpy ML of y_t = tau y_(t-1) + eta W y_(t-1) + X b [+ W X t] + unit [+ year]
    dummies + u_t, u_t = lambda W u_t + e_t, on the years 1964..1992, dense: the dummies are
    filtered by (I - lambda W) like everything else (no demeaning shortcut)."""
    c = cigar.sort_values(["year", "state"])
    ids = list(w.unique_ids)
    W = w.sparse.toarray()
    pos = pd.Index(ids).get_indexer(np.sort(c.state.unique()))
    W = W[np.ix_(pos, pos)]
    N, T = W.shape[0], c.year.nunique()
    T1 = T - 1
    grid = lambda v: c[v].to_numpy().reshape(T, N)
    Y, P, I_ = grid("logc"), grid("logp"), grid("logy")
    cols = [Y[:-1].ravel(), (Y[:-1] @ W.T).ravel(), P[1:].ravel(), I_[1:].ravel()]
    if durbin:
        cols += [(P[1:] @ W.T).ravel(), (I_[1:] @ W.T).ravel()]
    k = len(cols)
    Z = np.column_stack(cols + [np.kron(np.ones((T1, 1)), np.eye(N))] +
                        ([np.kron(np.eye(T1), np.ones((N, 1)))[:, 1:]] if twoways else []))
    y = Y[1:].ravel()
    ev = np.linalg.eigvals(W).real
    n = len(y)

    def prof(lam):
        f = lambda A: (A.reshape(T1, N, -1) - lam * np.einsum("ij,tjk->tik", W,
                                                              A.reshape(T1, N, -1))).reshape(n, -1)
        ys, Zs = f(y[:, None])[:, 0], f(Z)
        b = np.linalg.lstsq(Zs, ys, rcond=None)[0]
        r = ys - Zs @ b
        s2 = r @ r / n
        return -n / 2 * (np.log(2 * np.pi * s2) + 1) + T1 * np.log(1 - lam * ev).sum(), b, s2
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1):     # ~50 small least-squares: BLAS threads only contend
        o = optimize.minimize_scalar(lambda l: -prof(l)[0], bounds=(-0.99, 0.99),
                                     method="bounded", options={"xatol": 1e-12})
        llf, b, s2 = prof(o.x)
    return o.x, b[:k], s2, llf


@pytest.mark.filterwarnings("ignore:the residuals contain common year shocks")
@pytest.mark.parametrize("case,model,fe", [("errorsarlm_sem_individual", "sem", "individual"),
                                           ("errorsarlm_sdem_twoways", "sdem", "twoways")])
def test_dynamic_sem_type_against_dense_and_r(cigar, w, case, model, fe):
    res = _fit(cigar, w, model=model, fe=fe, lee_yu=False, dynamic="both")
    assert list(res.params.index[:3]) == ["y_lag", "W_y_lag", "lambda"] and res.nobs == 46 * 29
    lam, b, s2, llf = _dense_sem_dummy_fit(cigar, w, model == "sdem", fe == "twoways")
    terms = ["y_lag", "W_y_lag", "logp", "logy"] + (["W_logp", "W_logy"] if model == "sdem" else [])
    # lambda is fixed by the likelihood only to ~4e-8 (llf ~ 2.6e3 in double precision)
    np.testing.assert_allclose(res.params["lambda"], lam, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(res.params[terms].to_numpy(), b, rtol=1e-6)
    np.testing.assert_allclose([res.sigma2, res.llf], [s2, llf], rtol=1e-9)
    # R spatialreg::errorsarlm with the dummies, SEs from its information.  Its lambda stops
    # 1.5e-5 / 8e-6 (absolute; < 0.05% of the SE) from the maximum of the dense transcription
    # above (cigar_dynamic_sem.R)
    ref = pd.read_csv(REF / "cigar_dynamic_sem_results.csv", comment="#")
    g = ref[ref.case == case].set_index("term")
    for t in terms + ["lambda"]:
        np.testing.assert_allclose(res.params[t], g.estimate[t], rtol=1e-4, atol=2e-5, err_msg=t)
        np.testing.assert_allclose(res.bse[t], g.se[t], rtol=1e-3, err_msg=t)
    np.testing.assert_allclose(res.sigma2, g.estimate["sigma2"], rtol=1e-5)
    np.testing.assert_allclose(res.llf, g.estimate["llf"], rtol=1e-9)
    # effects: short run b I + t W, long run ((1 - tau) I - eta W)^-1 (b I + t W)
    assert res.info["stationary"] and not res.flags
    for h in ("short", "long"):
        e = res._effects_core.point_dynamic(res.params, h)
        for v in X:
            for kd in ("direct", "indirect", "total"):
                np.testing.assert_allclose(e.loc[v, kd], g.estimate[f"{h}:{kd}:{v}"], rtol=1e-4,
                                           atol=1e-9, err_msg=f"{h} {kd} {v}")
    sim = res.effects(horizon="long", nsim=200, seed=1)
    assert sim.attrs["discarded"] == 0 and (sim["total_se"] > 0).all()
    static = _fit(cigar[cigar.year > 1963], w, model=model, fe=fe, lee_yu=False)
    np.testing.assert_allclose(res.tests.loc["LR dynamic vs static", "statistic"],
                               2 * (res.llf - static.llf), rtol=1e-8)
    if model == "sdem":
        assert "Wald SDEM -> SEM (theta = 0)" in res.tests.index
    with pytest.raises(ValueError, match="uncorrected QML only: pass lee_yu=False"):
        _fit(cigar, w, model=model, fe=fe, lee_yu=True, dynamic="both")


# ---------------------------------------------------------------------------- bad input
def test_bad_input(cigar, w):
    with pytest.raises(DataError, match="at least 3 periods"):
        _fit(cigar[cigar.year <= 1964], w, model="sar", fe="individual", dynamic="both")
    with pytest.raises(PanelError, match="1970"):
        _fit(cigar[cigar.year != 1970], w, model="sar", fe="individual", dynamic="both")
    with pytest.raises(ValueError, match="dynamic must be"):
        _fit(cigar, w, model="sar", fe="individual", dynamic="lagged")
    with pytest.raises(ValueError, match="sar.*sdm"):
        _fit(cigar, w, model="sem", fe="individual", dynamic="time")
    with pytest.raises(ValueError, match="lee_yu"):
        _fit(cigar, w, model="sar", fe="individual", dynamic="time", lee_yu="elhorst")
    with pytest.raises(DataError, match="'logz'"):
        _fit(cigar, w, model="sdm", fe="individual", dynamic="time", durbin=["logz"])
    with pytest.raises(ValueError, match="Durbin model"):
        _fit(cigar, w, model="sar", fe="individual", durbin=["logp"])
    with pytest.raises(ValueError, match="sandwich"):
        _fit(cigar, w, model="sar", fe="individual", cov_type="sandwich")


def test_result_protocol(cigar, w):
    res = _fit(cigar, w, model="sdm", fe="twoways", lee_yu=True, dynamic="both")
    assert list(res.params.index[:3]) == ["y_lag", "W_y_lag", "rho"]
    assert list(res.tidy().columns) == ["term", "estimate", "std_error", "statistic", "p_value",
                                        "conf_low", "conf_high"]
    assert res.residuals.index.get_level_values("year").min() == 1964
    assert "stationary" in res.summary()
    with pytest.raises(AttributeError):
        res.sigma2 = 1.0


def test_sandwich_formula_with_sdpdmod_mu4(cigar, w, ref):
    """Our mu4 sandwich with SDPDmod's mu4 convention (reduced-form residuals (I - rho W)^-1 e)
    reproduces SDPDmod's standard errors (individual FE, where no F basis is involved)."""
    from spatialnqpf.models.dynamic import _sandwich_omega
    from spatialnqpf.models.panel import _Solver, _demean, _information, _lag
    from spatialnqpf.models._logdet import LogDet
    r = _fit(cigar, w, model="sar", fe="individual", lee_yu=True, dynamic="both")
    g = ref[ref.case == "sdpdm_sar_individual"].set_index("term")
    d = r.extra["design"]
    N, T1 = d.N, d.T - 1
    rho, s2 = r.params["rho"], r.sigma2
    e = r.residuals.to_numpy().reshape(T1, N)
    mu4 = np.mean(np.linalg.solve(np.eye(N) - rho * d.W.toarray(), e.T) ** 4)
    cols = {"y_lag": d.Y[:-1], "W_y_lag": _lag(d.W, d.Y[:-1]), "logp": d.X[1:, :, 0],
            "logy": d.X[1:, :, 1]}
    order = list(cols)
    Zd = np.stack([_demean(cols[n], "individual").ravel() for n in order], 1)
    ld = LogDet(d.W)
    I, _ = _information("sar", Zd, None, r.params[order].to_numpy(), rho, s2, N * T1, T1,
                        "individual", N, T1, _Solver(d.W, ld), False)
    Vi = np.linalg.inv(I)
    O = _sandwich_omega(len(order), rho, s2, mu4, d.W, ld.eigenvalues, N, False, 100, 0)
    se = np.sqrt(np.diag(Vi + N * T1 * Vi @ O @ Vi))
    np.testing.assert_allclose(se, g.se[order + ["rho", "sigma2"]].to_numpy(), rtol=1e-6)
    # and the information-matrix SEs of the fit are the first block of Vi
    np.testing.assert_allclose(r.bse[order + ["rho"]].to_numpy(), np.sqrt(np.diag(Vi))[:5],
                               rtol=1e-10)
