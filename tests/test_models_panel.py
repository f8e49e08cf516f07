"""Tests of spatialnqpf.models.panel.spatial_panel on the cigarette-demand panel.

References (all in tests/reference/, each with its generator and header):

* ``cigar_spatialreg_results.csv`` (``cigar_spatialreg.R``): R spatialreg 1.2.6 ``lagsarlm`` /
  ``errorsarlm`` (method "eigen") on explicitly transformed stacked data with
  kronecker(I_T, W): unit-demeaned (individual FE), + year dummies (two-way), raw + year
  dummies (time FE), raw with intercept (pooled).  ``lee_yu=False``.  rtol 1e-5 (R's optimiser
  stops at about 1e-7 relative).
* ``cigar_leeyu_results.csv`` (``cigar_leeyu.R``): the same R functions on data transformed with
  the orthonormal F_{T,T-1} / F_{N,N-1} matrices of Lee & Yu (2010) and W* = F'WF; the
  likelihood maximised there is the Lee–Yu transformed likelihood.  ``lee_yu=True``.  rtol 1e-5.
* spreg 1.9.0 ``ML_LagFE(slx_lags=1)`` (run live): individual-FE SDM by direct ML and its
  "full" impact multipliers (docs/anchors.md item 1: its direct effect omits θ tr((I−ρW)^{-1}W)/n).
* Independent plain-numpy transcriptions inside the tests (dense n×n and NT×NT algebra) for
  Elhorst's one-step correction, the effects, and the fixed effects.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph

from spatialnqpf._validation import DataError, IdMismatchError, PanelError, SpatialNQPFError
from spatialnqpf.models import spatial_panel
from spatialnqpf.models._logdet import LogDet
from spatialnqpf.models.panel import ConvergenceError, _fit, prepare_panel

REF = Path(__file__).parent / "reference"
X = ["logp", "logy"]


def _ref(name):
    return pd.read_csv(REF / name, comment="#")


@pytest.fixture(scope="module")
def cigar():
    return pd.read_csv(REF / "cigar_panel.csv")


@pytest.fixture(scope="module")
def edges():
    return pd.read_csv(REF / "cigar_w46_edges.csv", comment="#")


@pytest.fixture(scope="module")
def w(edges):
    g = Graph.from_adjacency(edges.assign(weight=1.0), focal_col="focal",
                             neighbor_col="neighbor", weight_col="weight")
    return g.transform("r")


@pytest.fixture(scope="module")
def Wdense(edges, cigar):
    codes = np.sort(cigar.state.unique())
    B = np.zeros((46, 46))
    B[np.searchsorted(codes, edges.focal), np.searchsorted(codes, edges.neighbor)] = 1
    return B / B.sum(1, keepdims=True)


def _cases(fname):
    ref = _ref(fname)
    return [(c, g.set_index("term")) for c, g in ref.groupby("case", sort=False)]


# --------------------------------------------------------------------------- R: direct ML
class TestDirectMLvsSpatialreg:
    """lee_yu=False against cigar_spatialreg_results.csv (rtol 1e-5)."""

    @pytest.mark.parametrize("case,ref", _cases("cigar_spatialreg_results.csv"),
                             ids=[c for c, _ in _cases("cigar_spatialreg_results.csv")])
    def test_case(self, cigar, w, case, ref):
        model, fe = case.split("_")
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model=model, fe=fe,
                            lee_yu=False)
        terms = [t for t in ref.index if t not in ("sigma2", "llf")]
        names = [{"(Intercept)": "const"}.get(t, t) for t in terms]
        assert list(res.params.index) == names
        np.testing.assert_allclose(res.params[names], ref.loc[terms, "estimate"], rtol=1e-5, atol=1e-7)
        se_ref = ref.loc[terms, "se"].to_numpy()
        if model in ("ols", "slx"):
            # R lm uses s^2 = SSE/(NT - #coef incl. year dummies); we report the ML sigma2 = SSE/NT
            k_r = len(terms) + (30 if fe == "twoways" else 0)
            se_ref = se_ref * np.sqrt((1380 - k_r) / 1380)
        np.testing.assert_allclose(res.bse[names], se_ref, rtol=1e-5)
        np.testing.assert_allclose(res.sigma2, ref.loc["sigma2", "estimate"], rtol=1e-6)
        np.testing.assert_allclose(res.llf, ref.loc["llf", "estimate"], rtol=0, atol=1e-6)
        assert res.nobs == 1380
        if model in ("sar", "sdm", "sem", "sdem"):
            assert res.info["logdet"] == "eigen"
            assert res.info["traces"] == "exact"

    def test_pooled_sar_exact_rho_anchor(self, cigar, w):
        # docs/anchors.md item 14: exact pooled SAR rho 0.19028 (Elhorst's grid lookup gives 0.19698)
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar", fe="none",
                            lee_yu=False)
        assert res.params["rho"] == pytest.approx(0.19028, abs=5e-6)


class TestAgainstSpreg:
    """spreg 1.9.0 ML_LagFE (individual FE, direct ML, slx_lags=1); rtol 1e-5."""

    def test_ml_lagfe_sdm(self, cigar, w):
        spreg = pytest.importorskip("spreg")
        ww = w.to_W()
        assert list(ww.id_order) == sorted(cigar.state.unique())   # spreg aligns by position
        m = spreg.ML_LagFE(cigar.logc.to_numpy()[:, None], cigar[X].to_numpy(), ww, slx_lags=1,
                           vm=True, spat_impacts="full")
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sdm",
                            fe="individual", lee_yu=False)
        np.testing.assert_allclose(res.params.to_numpy(), m.betas.ravel(), rtol=1e-5)
        np.testing.assert_allclose(res.bse.to_numpy(), np.sqrt(np.diag(m.vm)), rtol=1e-4)
        # spreg's "full" direct multiplier is tr((I - rho W)^{-1})/n; its direct effect is
        # beta * that, which omits theta * tr((I - rho W)^{-1} W)/n (docs/anchors.md item 1).
        mult_direct = m.sp_multipliers["full"][0]
        rho = res.params["rho"]
        A = np.linalg.inv(np.eye(46) - rho * _dense_w(w))
        eff = res.effects(method="delta")
        for v in X:
            spreg_direct = res.params[v] * mult_direct
            omitted = res.params["W_" + v] * np.trace(A @ _dense_w(w)) / 46
            assert eff.loc[v, "direct"] - spreg_direct == pytest.approx(omitted, rel=1e-6)
            assert abs(omitted) > 0.01          # the difference is material on this panel


def _dense_w(w):
    ids = np.asarray(w.unique_ids)
    order = np.argsort(ids)
    return w.sparse.toarray()[np.ix_(order, order)]


# ------------------------------------------------------------------------- R: Lee–Yu
class TestLeeYuVsTransformedLikelihood:
    """lee_yu=True against cigar_leeyu_results.csv (rtol 1e-5)."""

    @pytest.mark.parametrize("case,ref", _cases("cigar_leeyu_results.csv"),
                             ids=[c for c, _ in _cases("cigar_leeyu_results.csv")])
    def test_case(self, cigar, w, case, ref):
        model, fe = case.split("_")
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model=model, fe=fe,
                            lee_yu=True)
        terms = [t for t in ref.index if t not in ("sigma2", "llf")]
        np.testing.assert_allclose(res.params[terms], ref.loc[terms, "estimate"], rtol=1e-5)
        np.testing.assert_allclose(res.bse[terms], ref.loc[terms, "se"], rtol=1e-5)
        np.testing.assert_allclose(res.sigma2, ref.loc["sigma2", "estimate"], rtol=1e-6)
        np.testing.assert_allclose(res.llf, ref.loc["llf", "estimate"], rtol=0, atol=1e-6)
        assert "Lee-Yu" in res.info["lee_yu"]

    def test_individual_only_same_coefficients_as_direct(self, cigar, w):
        # docs/methods/models.md §5.3: with individual effects only, rho and beta equal the direct estimates
        a = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar",
                          fe="individual", lee_yu=True)
        b = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar",
                          fe="individual", lee_yu=False)
        np.testing.assert_allclose(a.params, b.params, rtol=1e-7, atol=1e-8)
        assert a.sigma2 == pytest.approx(b.sigma2 * 30 / 29, rel=1e-7)


# ------------------------------------------------------------ Elhorst one-step correction
def _dense_information_sdm(y, Z, Wb, rho, beta, s2, D):
    """Plain dense transcription of the SAR/SDM information matrix on NT x NT arrays.

    y, Z: raw stacked data (Z includes W X); D: dummy matrix of the fixed effects
    (unit and year dummies, full rank); concentrated out by M_D = I - D (D'D)^{-1} D'.
    """
    NT = len(y)
    MD = np.eye(NT) - D @ np.linalg.solve(D.T @ D, D.T)
    Zm = MD @ Z
    G = Wb @ np.linalg.inv(np.eye(NT) - rho * Wb)
    gz = MD @ G @ Zm @ beta
    p = Z.shape[1]
    I = np.zeros((p + 2, p + 2))
    I[:p, :p] = Zm.T @ Zm / s2
    I[:p, p] = I[p, :p] = Zm.T @ gz / s2
    I[p, p] = np.trace(G @ G) + np.trace(G.T @ G) + gz @ gz / s2
    I[p, p + 1] = I[p + 1, p] = np.trace(G) / s2
    I[p + 1, p + 1] = NT / (2 * s2 ** 2)
    return I


class TestElhorstCorrection:
    """lee_yu='elhorst' against a dense transcription of docs/methods/models.md §5.3 applied to R's direct ML
    estimates (cigar_spatialreg_results.csv, sdm_twoways); rtol 1e-5."""

    def test_sdm_twoways(self, cigar, w, Wdense):
        N, T = 46, 30
        ref = _ref("cigar_spatialreg_results.csv").query("case == 'sdm_twoways'").set_index("term")
        beta = ref.loc[["logp", "logy", "W_logp", "W_logy"], "estimate"].to_numpy()
        rho, s2 = ref.loc["rho", "estimate"], ref.loc["sigma2", "estimate"]
        Wb = np.kron(np.eye(T), Wdense)
        Xr = cigar[X].to_numpy()
        Z = np.column_stack([Xr, Wb @ Xr])
        # unit dummies and T - 1 year dummies (full column rank)
        D = np.column_stack([np.kron(np.ones((T, 1)), np.eye(N)),
                             np.kron(np.eye(T)[:, 1:], np.ones((N, 1)))])
        I0 = _dense_information_sdm(cigar.logc.to_numpy(), Z, Wb, rho, beta, s2, D)
        psi = np.r_[beta, rho, s2]
        psi = psi + np.linalg.solve(I0 / (N * T), np.r_[np.zeros(4), 1 / (1 - rho), 1 / (2 * s2)]) / N
        psi[-1] *= T / (T - 1)
        I1 = _dense_information_sdm(cigar.logc.to_numpy(), Z, Wb, psi[4], psi[:4], psi[5], D)
        se = np.sqrt(np.diag(np.linalg.inv(I1)))[:5]
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sdm",
                            fe="twoways", lee_yu="elhorst")
        np.testing.assert_allclose(res.params.to_numpy(), psi[:5], rtol=1e-5)
        np.testing.assert_allclose(res.sigma2, psi[5], rtol=1e-5)
        np.testing.assert_allclose(res.bse.to_numpy(), se, rtol=1e-5)
        # the correction moves rho up, between direct ML (0.2292) and Lee-Yu (0.2712)
        assert 0.2292 < res.params["rho"] < 0.2712

    def test_sem_twoways(self, cigar, w, Wdense):
        """The same correction for the error model, from R's direct-ML sem_twoways estimates and a
        dense information matrix of (beta, lambda, sigma2) with explicit dummies."""
        N, T = 46, 30
        ref = _ref("cigar_spatialreg_results.csv").query("case == 'sem_twoways'").set_index("term")
        beta = ref.loc[X, "estimate"].to_numpy()
        lam, s2 = ref.loc["lambda", "estimate"], ref.loc["sigma2", "estimate"]

        def info(beta, lam, s2):
            Wb = np.kron(np.eye(T), Wdense)
            D = np.column_stack([np.kron(np.ones((T, 1)), np.eye(N)),
                                 np.kron(np.eye(T)[:, 1:], np.ones((N, 1)))])
            Bb = np.eye(N * T) - lam * Wb
            BD = Bb @ D
            MD = np.eye(N * T) - BD @ np.linalg.solve(BD.T @ BD, BD.T)
            Xs = MD @ Bb @ cigar[X].to_numpy()
            G = Wdense @ np.linalg.inv(np.eye(N) - lam * Wdense)
            I = np.zeros((4, 4))
            I[:2, :2] = Xs.T @ Xs / s2
            I[2, 2] = T * (np.trace(G @ G) + np.trace(G.T @ G))
            I[2, 3] = I[3, 2] = T * np.trace(G) / s2
            I[3, 3] = N * T / (2 * s2 ** 2)
            return I

        psi = np.r_[beta, lam, s2]
        psi = psi + np.linalg.solve(info(beta, lam, s2) / (N * T),
                                    np.r_[0, 0, 1 / (1 - lam), 1 / (2 * s2)]) / N
        psi[-1] *= T / (T - 1)
        se = np.sqrt(np.diag(np.linalg.inv(info(psi[:2], psi[2], psi[3]))))[:3]
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sem",
                            fe="twoways", lee_yu="elhorst")
        np.testing.assert_allclose(res.params.to_numpy(), psi[:3], rtol=1e-5)
        np.testing.assert_allclose(res.sigma2, psi[3], rtol=1e-5)
        np.testing.assert_allclose(res.bse.to_numpy(), se, rtol=1e-5)

    def test_individual_only_rescales_sigma2(self, cigar, w):
        a = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sem",
                          fe="individual", lee_yu="elhorst")
        b = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sem",
                          fe="individual", lee_yu=False)
        np.testing.assert_allclose(a.params, b.params, rtol=1e-9)
        assert a.sigma2 == pytest.approx(b.sigma2 * 30 / 29, rel=1e-12)


# -------------------------------------------------------------------- effects, FE, ids
class TestEffects:
    def test_sdm_effects_dense(self, cigar, w, Wdense):
        """Effects of the Lee–Yu two-way SDM against dense S_k = (I - rho W)^{-1}(b I + t W)."""
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year")
        eff = res.effects(method="simulation", nsim=2000, seed=1)
        rho = res.params["rho"]
        A = np.linalg.inv(np.eye(46) - rho * Wdense)
        for v in X:
            S = A @ (res.params[v] * np.eye(46) + res.params["W_" + v] * Wdense)
            assert eff.loc[v, "direct"] == pytest.approx(np.trace(S) / 46, rel=1e-10)
            assert eff.loc[v, "total"] == pytest.approx(S.sum() / 46, rel=1e-10)
        # simulated SEs agree with the delta method and across seeds within Monte Carlo error:
        # the relative sd of a sample-sd estimate from nsim draws is about 1/sqrt(2 nsim) = 1.6%
        eff2 = res.effects(method="simulation", nsim=2000, seed=2)
        dl = res.effects(method="delta")
        for col in ("direct_se", "indirect_se", "total_se"):
            np.testing.assert_allclose(eff[col], eff2[col], rtol=0.08)
            np.testing.assert_allclose(eff[col], dl[col], rtol=0.1)
        assert res.info["effects"] == "exact"

    def test_sdem_effects_linear(self, cigar, w):
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sdem")
        eff = res.effects()
        np.testing.assert_allclose(eff["direct"], res.params[X])
        np.testing.assert_allclose(eff["indirect"], res.params[["W_" + v for v in X]])
        np.testing.assert_allclose(eff["indirect_se"], res.bse[["W_" + v for v in X]])

    def test_effects_matrix_unit_level(self, cigar, w, Wdense):
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar")
        M = res.effects_matrix("logp")
        A = np.linalg.inv(np.eye(46) - res.params["rho"] * Wdense) * res.params["logp"]
        np.testing.assert_allclose(M.to_numpy(), A, rtol=1e-10)
        assert list(M.index) == sorted(cigar.state.unique())


class TestFixedEffects:
    def test_ols_individual_fe_equal_dummy_regression(self, cigar, w):
        """Unit effects and SEs of a non-spatial FE model = OLS with unit dummies (numpy lstsq),
        with the ML variance SSE/NT used by both."""
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="ols",
                            fe="individual", lee_yu=False)
        codes = np.sort(cigar.state.unique())
        D = (cigar.state.to_numpy()[:, None] == codes[None, :]).astype(float)
        Z = np.column_stack([cigar[X].to_numpy(), D])
        b, *_ = np.linalg.lstsq(Z, cigar.logc.to_numpy(), rcond=None)
        e = cigar.logc.to_numpy() - Z @ b
        s2 = e @ e / len(e)
        se = np.sqrt(np.diag(s2 * np.linalg.inv(Z.T @ Z)))
        fe = res.extra["fixed_effects"].query("effect == 'individual'")
        np.testing.assert_allclose(fe["estimate"], b[2:], rtol=1e-9)
        np.testing.assert_allclose(fe["se"], se[2:], rtol=1e-8)
        np.testing.assert_allclose(res.params, b[:2], rtol=1e-9)
        assert list(fe["label"]) == list(codes)

    def test_sar_individual_effects_reproduce_y(self, cigar, w, Wdense):
        """mu_i = mean_t(y - rho W y - X b): the dummy coefficients of y - rho Wy on [X, D] at rho."""
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar",
                            fe="individual", lee_yu=False)
        rho = res.params["rho"]
        yv = cigar.logc.to_numpy()
        Wy = np.kron(np.eye(30), Wdense) @ yv
        codes = np.sort(cigar.state.unique())
        D = (cigar.state.to_numpy()[:, None] == codes[None, :]).astype(float)
        Z = np.column_stack([cigar[X].to_numpy(), D])
        b, *_ = np.linalg.lstsq(Z, yv - rho * Wy, rcond=None)
        fe = res.extra["fixed_effects"]
        np.testing.assert_allclose(fe["estimate"], b[2:], rtol=1e-8)
        assert (fe["se"] > 0).all()

    def test_twoways_effects_reproduce_dummy_fit(self, cigar, w, Wdense):
        """intercept + mu_i + alpha_t + X b equals the fitted values of the OLS of y - rho W y on
        X, unit and year dummies at the estimated rho (numpy lstsq)."""
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar",
                            fe="twoways", lee_yu=False)
        rho = res.params["rho"]
        yv = cigar.logc.to_numpy()
        ys = yv - rho * np.kron(np.eye(30), Wdense) @ yv
        codes, years = np.sort(cigar.state.unique()), np.sort(cigar.year.unique())
        Du = (cigar.state.to_numpy()[:, None] == codes[None, :]).astype(float)
        Dt = (cigar.year.to_numpy()[:, None] == years[None, 1:]).astype(float)
        Z = np.column_stack([cigar[X].to_numpy(), Du, Dt])
        b, *_ = np.linalg.lstsq(Z, ys, rcond=None)
        np.testing.assert_allclose(b[:2], res.params[X], rtol=1e-8)
        fe = res.extra["fixed_effects"]
        mu = fe.query("effect == 'individual'").set_index("label")["estimate"]
        al = fe.query("effect == 'time'").set_index("label")["estimate"]
        c = fe.query("effect == 'intercept'")["estimate"].iloc[0]
        ours = (c + mu.loc[cigar.state].to_numpy() + al.loc[cigar.year].to_numpy()
                + cigar[X].to_numpy() @ res.params[X].to_numpy())
        np.testing.assert_allclose(ours, Z @ b, rtol=1e-9)

    def test_twoways_effects_sum_to_zero(self, cigar, w):
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year")
        fe = res.extra["fixed_effects"]
        assert abs(fe.query("effect == 'individual'")["estimate"].sum()) < 1e-10
        assert abs(fe.query("effect == 'time'")["estimate"].sum()) < 1e-10
        assert len(fe.query("effect == 'intercept'")) == 1


class TestAlignmentAndResults:
    def test_row_order_and_weight_order_irrelevant(self, cigar, w, edges):
        base = spatial_panel(cigar, "logc", X, w, id="state", time="year")
        shuffled = cigar.sample(frac=1.0, random_state=3)
        e2 = edges.sample(frac=1.0, random_state=4)
        g2 = Graph.from_adjacency(e2.assign(weight=1.0), focal_col="focal",
                                  neighbor_col="neighbor", weight_col="weight").transform("r")
        other = spatial_panel(shuffled, "logc", X, g2, id="state", time="year")
        # identical problem; only floating summation order differs (rho resolution ~1e-8)
        pd.testing.assert_series_equal(base.params, other.params, rtol=1e-6)

    def test_libpysal_W_object_accepted(self, cigar, w):
        a = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar")
        b = spatial_panel(cigar, "logc", X, w.to_W(), id="state", time="year", model="sar")
        pd.testing.assert_series_equal(a.params, b.params, rtol=1e-9)

    def test_results_frozen_and_tables(self, cigar, w):
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year")
        with pytest.raises(AttributeError):
            res.sigma2 = 1.0
        tab = res.to_frame()
        assert list(tab.columns) == ["coef", "se", "t", "p"]
        assert list(tab.index) == ["logp", "logy", "W_logp", "W_logy", "rho"]
        s = res.summary()
        assert "Lee-Yu" in s and "twoways" in s and "eigen" in s
        assert res.aic == pytest.approx(-2 * res.llf + 2 * 6)


class TestSACNegativeRho:
    def test_rho_below_minus_one_not_clipped(self):
        """Regression (review): the SAC search box was clipped at rho, lambda > -0.999 although
        the admissible interval of a row-standardised kNN W reaches 1/omega_min ~ -2.1; with a
        true rho = -1.3 the SAC estimate stuck at -0.999 without a warning.  Reference: SAR is
        SAC with lambda = 0, so the SAC maximum cannot be below the SAR log-likelihood (the
        old code gave a lower one), and both should find rho near the true -1.3."""
        rng = np.random.default_rng(0)
        N, T = 40, 8
        pts = rng.uniform(size=(N, 2))
        import geopandas as gpd
        gdf = gpd.GeoDataFrame({"id": range(N)}, geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]))
        g = Graph.build_knn(gdf.set_index("id"), k=4).transform("R")
        Wd = g.sparse.toarray()
        assert 1 / np.linalg.eigvals(Wd).real.min() < -2
        ys, xs = [], []
        for _ in range(T):
            x = rng.normal(size=N)
            ys.append(np.linalg.solve(np.eye(N) + 1.3 * Wd, x + 0.3 * rng.normal(size=N)))
            xs.append(x)
        df = pd.DataFrame({"id": np.tile(np.arange(N), T), "year": np.repeat(np.arange(T), N),
                           "x": np.concatenate(xs), "y": np.concatenate(ys)})
        sar = spatial_panel(df, "y", ["x"], g, id="id", time="year", model="sar", fe="individual")
        sac = spatial_panel(df, "y", ["x"], g, id="id", time="year", model="sac", fe="individual")
        assert sac.llf >= sar.llf - 1e-8
        assert sar.params["rho"] < -1.1 and sac.params["rho"] < -1.1


# -------------------------------------------------------------------------- bad input
class TestBadInput:
    def test_unbalanced_names_pair(self, cigar, w):
        d = cigar[~((cigar.state == 5) & (cigar.year == 1970))]
        with pytest.raises(PanelError, match=r"\(5, 1970\)"):
            spatial_panel(d, "logc", X, w, id="state", time="year")

    def test_gap_year_named(self, cigar, w):
        d = cigar[cigar.year != 1975]
        with pytest.raises(PanelError, match="gap in 'year'.*1975"):
            spatial_panel(d, "logc", X, w, id="state", time="year")

    def test_duplicate_row_named(self, cigar, w):
        d = pd.concat([cigar, cigar.iloc[[5]]])
        with pytest.raises(PanelError, match=r"duplicated.*\(8, 1963\)"):
            spatial_panel(d, "logc", X, w, id="state", time="year")

    def test_nan_named(self, cigar, w):
        d = cigar.copy()
        d.loc[(d.state == 7) & (d.year == 1980), "logp"] = np.nan
        with pytest.raises(DataError, match=r"'logp' at \(7, 1980\)"):
            spatial_panel(d, "logc", X, w, id="state", time="year")

    @pytest.mark.parametrize("model", ["ols", "slx", "sar", "sem", "sac"])
    def test_dependent_absorbed_by_fixed_effects_named(self, cigar, w, model):
        """Regression (review): a y that only varies between units (absorbed by the unit
        effects) crashed with ZeroDivisionError (OLS/SLX) or a spurious ConvergenceError."""
        d = cigar.assign(yid=cigar.state * 1.0)
        with pytest.raises(DataError, match="'yid' does not vary within units"):
            spatial_panel(d, "yid", X, w, id="state", time="year", model=model, fe="individual")

    def test_weights_ids_mismatch(self, cigar, w):
        d = cigar[cigar.state != 51]
        with pytest.raises(IdMismatchError, match="51"):
            spatial_panel(d, "logc", X, w, id="state", time="year")

    def test_collinear_named(self, cigar, w):
        d = cigar.assign(logp2=2 * cigar.logp + 1)
        with pytest.raises(DataError, match="collinear.*'logp'.*'logp2'"):
            spatial_panel(d, "logc", ["logp", "logy", "logp2"], w, id="state", time="year",
                          model="sar")

    def test_constant_under_fe_named(self, cigar, w):
        d = cigar.assign(region=cigar.state % 4)
        with pytest.raises(DataError, match="'region' do not vary within units"):
            spatial_panel(d, "logc", ["logp", "region"], w, id="state", time="year",
                          model="sar", fe="individual")
        d = cigar.assign(trend=cigar.year - 1963.0)
        with pytest.raises(DataError, match="'trend' do not vary within years"):
            spatial_panel(d, "logc", ["logp", "trend"], w, id="state", time="year",
                          model="sar", fe="time")

    def test_rho_at_bound_warns(self, cigar, w):
        d = prepare_panel(cigar, "logc", X, w, id="state", time="year")
        ld = LogDet(d.W, method="eigen", bounds=(-0.1, 0.1))
        with pytest.warns(RuntimeWarning, match="bound"):
            _fit(d, "sar", "twoways", False, _ld=ld)

    def test_nonconvergence_reports_state(self, cigar, w):
        with pytest.raises(ConvergenceError, match=r"last rho = .*log-likelihood"):
            spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar", maxiter=2)

    def test_leeyu_time_needs_row_standardised(self, cigar, edges):
        g = Graph.from_adjacency(edges.assign(weight=1.0), focal_col="focal",
                                 neighbor_col="neighbor", weight_col="weight")
        with pytest.raises(SpatialNQPFError, match="row-standardised"):
            spatial_panel(cigar, "logc", X, g, id="state", time="year", model="sar")

    def test_common_year_shock_warning(self, cigar, w):
        """docs/anchors.md item 3: individual FE only, with strong year effects (LR 473 on this panel)."""
        with pytest.warns(RuntimeWarning, match="common year shocks"):
            r = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar",
                              fe="individual")
        assert r.info["year_effects_in_residuals_p"] < 1e-3
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar", fe="twoways")

    def test_bad_options(self, cigar, w):
        with pytest.raises(ValueError, match="model must be one of"):
            spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sarma")
        with pytest.raises(ValueError, match="fe must be one of"):
            spatial_panel(cigar, "logc", X, w, id="state", time="year", fe="fixed")
        with pytest.raises(ValueError, match="lee_yu"):
            spatial_panel(cigar, "logc", X, w, id="state", time="year", lee_yu="yes")


class TestScalablePaths:
    """The large-n code paths (sparse-LU or Chebyshev log-determinant, Hutchinson traces,
    trace-series effects) forced on the cigarette panel, against the exact eigen/dense path
    (itself checked against R above).  rtol: 1e-5 for estimates (exact LU / Chebyshev on a
    symmetric-similar W), 1% for SEs (Hutchinson, 100 vectors), 1e-6 for effects."""

    @pytest.mark.parametrize("logdet,traces", [("lu", "exact"), ("lu", "mc"), ("chebyshev", "mc")])
    def test_against_exact(self, cigar, w, logdet, traces):
        base = spatial_panel(cigar, "logc", X, w, id="state", time="year")
        r = spatial_panel(cigar, "logc", X, w, id="state", time="year", logdet=logdet,
                          traces=traces, effects_method="traces")
        assert r.info["logdet"] == logdet and r.info["traces"] == traces
        assert r.info["effects"] == "traces"
        np.testing.assert_allclose(r.params, base.params, rtol=1e-5)
        np.testing.assert_allclose(r.bse, base.bse, rtol=0.01)
        e0, e1 = base.effects(method="delta"), r.effects(method="delta")
        np.testing.assert_allclose(e1[["direct", "indirect", "total"]],
                                   e0[["direct", "indirect", "total"]], rtol=1e-6)


class TestSAC:
    """model='sac' against cigar_sac_results.csv (R spatialreg sacsarlm, method 'eigen', analytic
    expected information; cigar_sac.R); rtol 1e-5."""

    @pytest.mark.parametrize("case", ["sac_individual", "sac_twoways", "sac_twoways_leeyu"])
    def test_vs_sacsarlm(self, cigar, w, case):
        ref = _ref("cigar_sac_results.csv").query("case == @case").set_index("term")
        fe = case.split("_")[1]
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sac", fe=fe,
                            lee_yu=case.endswith("leeyu"))
        terms = ["logp", "logy", "rho", "lambda"]
        assert list(res.params.index) == terms
        np.testing.assert_allclose(res.params[terms], ref.loc[terms, "estimate"], rtol=1e-5)
        np.testing.assert_allclose(res.bse[terms], ref.loc[terms, "se"], rtol=1e-5)
        np.testing.assert_allclose(res.sigma2, ref.loc["sigma2", "estimate"], rtol=1e-6)
        np.testing.assert_allclose(res.llf, ref.loc["llf", "estimate"], rtol=0, atol=1e-6)

    def test_observed_information_path(self, cigar, w, Wdense):
        """The large-n covariance (numerical Hessian of the full likelihood) against the
        numerical Hessian of the profile likelihood in (rho, lambda), built densely here."""
        from spatialnqpf.models.panel import _fit_sac, _num_hessian
        d = prepare_panel(cigar, "logc", X, w, id="state", time="year")
        res = _fit_sac(d, d.W, "individual", False, cov="hessian")
        N, T = 46, 30
        ev = np.linalg.eigvals(Wdense).real
        Wb = np.kron(np.eye(T), Wdense)
        dm = lambda a: a - pd.DataFrame(a).groupby(cigar.state.to_numpy()).transform("mean").to_numpy()
        yv = dm(cigar[["logc"]].to_numpy()).ravel()
        Xm = dm(cigar[X].to_numpy())

        def profile(v):
            r, l = v
            B = np.eye(N * T) - l * Wb
            ys = B @ (yv - r * Wb @ yv)
            Xs = B @ Xm
            b = np.linalg.lstsq(Xs, ys, rcond=None)[0]
            ee = ys - Xs @ b
            return (-N * T / 2 * np.log(2 * np.pi * ee @ ee / (N * T)) - N * T / 2
                    + T * np.log(1 - r * ev).sum() + T * np.log(1 - l * ev).sum())

        H = _num_hessian(profile, res.params[["rho", "lambda"]].to_numpy())
        np.testing.assert_allclose(res.bse[["rho", "lambda"]], np.sqrt(np.diag(np.linalg.inv(-H))),
                                   rtol=1e-3)
        assert "Hessian" in res.info["traces"]

    def test_effects_and_options(self, cigar, w, Wdense, edges):
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sac",
                            fe="individual", lee_yu=False)
        A = np.linalg.inv(np.eye(46) - res.params["rho"] * Wdense)
        eff = res.effects(method="delta")
        assert eff.loc["logp", "direct"] == pytest.approx(res.params["logp"] * np.trace(A) / 46,
                                                          rel=1e-10)
        with pytest.raises(ValueError, match="w_error is only used"):
            spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar", w_error=w)
        g2 = Graph.from_adjacency(edges[(edges.focal != 51) & (edges.neighbor != 51)]
                                  .assign(weight=1.0), focal_col="focal",
                                  neighbor_col="neighbor", weight_col="weight").transform("r")
        with pytest.raises(IdMismatchError, match="51"):
            spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sac", w_error=g2)
        with pytest.raises(SpatialNQPFError, match="not defined for SAC"):
            spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sac",
                          lee_yu="elhorst")


class TestRandomEffects:
    """fe='random' (SAR) against spreg 1.9.0 ML_LagRE (Elhorst 2003 algorithm), run live:
    estimates (incl. phi) and log-likelihood.  Standard errors differ by design (spreg: Elhorst's
    analytic matrix; ours: observed information), so they are checked against a dense
    profile-likelihood Hessian transcribed here."""

    def test_vs_spreg_ml_lagre(self, cigar, w):
        spreg = pytest.importorskip("spreg")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = spreg.ML_LagRE(cigar[["logc"]].to_numpy(), cigar[X].to_numpy(), w.to_W(), vm=True)
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar", fe="random")
        assert list(res.params.index) == ["const", "logp", "logy", "rho", "phi"]
        np.testing.assert_allclose(res.params.to_numpy(), m.betas.ravel(), rtol=1e-6)
        assert res.llf == pytest.approx(m.logll, abs=1e-6)
        assert res.sigma2 == pytest.approx(np.asarray(m.sig2).item(), rel=1e-6)

    def test_se_profile_hessian(self, cigar, w, Wdense):
        from spatialnqpf.models.panel import _num_hessian
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar", fe="random")
        N, T = 46, 30
        ev = np.linalg.eigvals(Wdense).real
        yv = cigar.logc.to_numpy()
        Z = np.column_stack([np.ones(N * T), cigar[X].to_numpy()])
        Wy = np.kron(np.eye(T), Wdense) @ yv
        g = cigar.state.to_numpy()
        mean = lambda a: pd.DataFrame(a).groupby(g).transform("mean").to_numpy()

        def profile(v):
            r, phi = v
            ys = (yv - r * Wy) - (1 - phi) * mean(yv - r * Wy).ravel()
            Zs = Z - (1 - phi) * mean(Z)
            b = np.linalg.lstsq(Zs, ys, rcond=None)[0]
            ee = ys - Zs @ b
            return (-N * T / 2 * np.log(2 * np.pi * ee @ ee / (N * T)) - N * T / 2
                    + N * np.log(phi) + T * np.log(1 - r * ev).sum())

        H = _num_hessian(profile, res.params[["rho", "phi"]].to_numpy())
        np.testing.assert_allclose(res.bse[["rho", "phi"]], np.sqrt(np.diag(np.linalg.inv(-H))),
                                   rtol=1e-3)

    def test_hausman(self, cigar, w):
        from scipy import stats
        from spatialnqpf.models._panel_tests import hausman
        re = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar", fe="random")
        fe = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar",
                           fe="individual", lee_yu=True)
        h = hausman(fe, re)
        names = ["logp", "logy", "rho"]
        dv = (fe.params[names] - re.params[names]).to_numpy()
        V = fe.cov.loc[names, names].to_numpy() - re.cov.loc[names, names].to_numpy()
        ref = dv @ np.linalg.solve(V, dv)
        assert h.attrs["compared"] == names and h.iloc[0]["df"] == 3
        assert h.iloc[0]["statistic"] == pytest.approx(ref, rel=1e-8)
        assert h.iloc[0]["p"] == pytest.approx(stats.chi2.sf(ref, 3), rel=1e-8)
        # with the direct-ML FE fit (sigma2 = e'e/NT) V_FE - V_RE is not positive definite
        fe0 = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar",
                            fe="individual", lee_yu=False)
        h0 = hausman(fe0, re)
        assert np.isnan(h0.iloc[0]["p"]) and "not positive definite" in h0.iloc[0]["note"]
        with pytest.raises(ValueError, match="random-effects fit"):
            hausman(fe, fe)
        with pytest.raises(ValueError, match="random effects are implemented"):
            spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sac", fe="random")

    def test_sem_random_effects_dense_likelihood(self, cigar, w, Wdense):
        """SEM with random effects: our maximised log-likelihood equals the exact Gaussian
        log-likelihood with the dense NT x NT covariance
        Omega = s2 [theta J_T (x) I_N + I_T (x) (B'B)^{-1}] (transcribed here), and moving
        lambda or phi away from the estimate lowers it (a maximum)."""
        res = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sem",
                            fe="random")
        N, T = 46, 30
        Z = np.column_stack([np.ones(N * T), cigar[X].to_numpy()])

        def dense_ll(beta, lam, phi, s2):
            theta = (1 / phi ** 2 - 1) / T
            B = np.eye(N) - lam * Wdense
            Om = s2 * (theta * np.kron(np.ones((T, T)), np.eye(N))
                       + np.kron(np.eye(T), np.linalg.inv(B.T @ B)))
            u = cigar.logc.to_numpy() - Z @ beta
            return (-0.5 * N * T * np.log(2 * np.pi) - 0.5 * np.linalg.slogdet(Om)[1]
                    - 0.5 * u @ np.linalg.solve(Om, u))

        p = res.params
        b = p[["const", "logp", "logy"]].to_numpy()
        ll0 = dense_ll(b, p["lambda"], p["phi"], res.sigma2)
        assert res.llf == pytest.approx(ll0, abs=1e-7)
        for dl, dp in ((0.01, 0), (-0.01, 0), (0, 0.005), (0, -0.005)):
            assert dense_ll(b, p["lambda"] + dl, p["phi"] + dp, res.sigma2) < ll0
        assert list(res.params.index) == ["const", "logp", "logy", "lambda", "phi"]
        assert (res.bse > 0).all()


def test_large_n_logdet_policy():
    """Above N = 20 000: Chebyshev for row-standardised symmetric patterns, Barry-Pace MC for
    row-standardised asymmetric ones, exact LU otherwise; bounds (-1, 1) for row-standardised W.
    Values checked against the closed form of a cycle graph: the row-standardised cycle has
    eigenvalues cos(2 pi j / n)."""
    import scipy.sparse as sps
    from spatialnqpf.models.panel import _choose_logdet
    n = 20010
    i = np.arange(n)
    ring = sps.csr_matrix((np.full(2 * n, 0.5), (np.r_[i, i], np.r_[(i + 1) % n, (i - 1) % n])),
                          shape=(n, n))
    ld = _choose_logdet(ring, "auto", 0)
    assert ld.method == "chebyshev" and ld.bounds == (-1.0, 1.0)
    exact = np.sum(np.log(1 - 0.4 * np.cos(2 * np.pi * i / n)))
    assert ld(0.4) == pytest.approx(exact, rel=1e-3)   # Hutchinson traces, 30 vectors (seeded)
    directed = sps.csr_matrix((np.ones(n), (i, (i + 1) % n)), shape=(n, n))
    assert _choose_logdet(directed, "auto", 0).method == "mc"
    ld2 = _choose_logdet(ring * 2.0, "auto", 0)       # spectral radius 2
    assert ld2.method == "lu" and ld2.bounds == pytest.approx((-0.5, 0.5), rel=1e-4)
