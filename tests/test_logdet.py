"""Log-determinants, traces and the effects core against dense numpy references.

Reference for every value here: an independent dense computation in the test itself
(numpy.linalg.slogdet, numpy.linalg.inv / matrix_power, numpy.linalg.eigvals).  rtol is given
per test: 1e-10 for exact methods; for approximations the tolerance is the documented accuracy.
"""
from __future__ import annotations

import libpysal
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from spatialnqpf.models._effects import EffectsCore
from spatialnqpf.models._logdet import (LogDet, ainv_solver, eigenvalues, power_traces,
                                        spatial_traces, spectral_bounds, spectral_radius_bound,
                                        symmetrizer)


def lattice(k, rook=False):
    w = libpysal.weights.lat2W(k, k, rook=rook)
    w.transform = "r"
    return sp.csr_matrix(w.sparse)


def knn_w(n=120, k=5, seed=0):
    """Row-standardised kNN weights: asymmetric pattern, not similar to a symmetric matrix."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(size=(n, 2))
    w = libpysal.weights.KNN.from_array(pts, k=k)
    w.transform = "r"
    return sp.csr_matrix(w.sparse)


def dense_logdet(W, rho):
    s, v = np.linalg.slogdet(np.eye(W.shape[0]) - rho * W.toarray())
    assert s > 0
    return v


RHOS = [-0.8, -0.3, 0.0, 0.25, 0.6, 0.9]


class TestExactMethods:
    @pytest.mark.parametrize("make", [lambda: lattice(12), lambda: knn_w()])
    @pytest.mark.parametrize("method", ["eigen", "lu"])
    def test_matches_slogdet(self, make, method):
        W = make()
        ld = LogDet(W, method=method)
        assert ld.method == method
        for r in RHOS:
            assert ld(r) == pytest.approx(dense_logdet(W, r), rel=1e-10, abs=1e-10)

    @pytest.mark.parametrize("method", ["eigen", "lu", "chebyshev", "mc"])
    def test_derivative_is_minus_trace(self, method):
        """d/drho ln|I - rho W| = -tr((I - rho W)^-1 W), dense inverse as reference."""
        W = lattice(10)
        n = W.shape[0]
        ld = LogDet(W, method=method, order=60 if method == "mc" else None, nsim=200)
        for r in (-0.4, 0.3, 0.5):
            ref = -np.trace(np.linalg.solve(np.eye(n) - r * W.toarray(), W.toarray()))
            tol = 1e-6 if method in ("eigen", "lu", "chebyshev") else 0.05
            assert ld.deriv(r) == pytest.approx(ref, rel=tol)

    def test_eigen_bounds_are_exact(self):
        W = lattice(8)
        ev = np.linalg.eigvals(W.toarray()).real
        ld = LogDet(W, method="eigen")
        assert ld.bounds == pytest.approx((1 / ev.min(), 1 / ev.max()), rel=1e-10)
        assert ld.bounds[1] == pytest.approx(1.0)

    def test_symmetric_solver_for_row_standardised_symmetric(self):
        W = lattice(9, rook=True)
        d = symmetrizer(W)
        assert d is not None
        C = sp.diags(d) @ W
        assert abs(C - C.T).max() < 1e-12
        np.testing.assert_allclose(np.sort(eigenvalues(W)),
                                   np.sort(np.linalg.eigvals(W.toarray()).real), atol=1e-10)
        assert symmetrizer(knn_w()) is None

    def test_complex_eigenvalues_of_knn(self):
        W = knn_w()
        ev = eigenvalues(W)
        assert np.iscomplexobj(ev)
        ld = LogDet(W, method="eigen")
        assert ld(0.5) == pytest.approx(dense_logdet(W, 0.5), rel=1e-10)


class TestApproximations:
    def test_chebyshev_pace_lesage(self):
        """Order-20 Chebyshev with exact traces: accurate to 1e-7 for |rho| <= 0.7 and to
        ~1e-4 at rho = 0.9 on a 30 x 30 queen lattice (Pace & LeSage 2004, table 1 behaviour)."""
        W = lattice(30)
        ld = LogDet(W, method="chebyshev")
        for r in (-0.7, -0.3, 0.3, 0.7):
            assert ld(r) == pytest.approx(dense_logdet(W, r), abs=1e-7)
        assert ld(0.9) == pytest.approx(dense_logdet(W, 0.9), abs=5e-4)

    def test_barry_pace_monte_carlo(self):
        """Barry & Pace (1999): with exact tr(W), tr(W^2), 50 powers and 200 vectors the error
        is a small fraction of the value (here below 1 % for |rho| <= 0.6)."""
        W = lattice(30)
        ld = LogDet(W, method="mc", order=50, nsim=200, seed=1)
        for r in (-0.6, 0.3, 0.6):
            ref = dense_logdet(W, r)
            assert abs(ld(r) - ref) < 0.01 * abs(ref)
        assert ld.method == "mc" and ld.bounds == (-1.0, 1.0)

    def test_large_n_paths_avoid_dense(self):
        """n = 40 000 lattice: LU is exact and the Chebyshev estimate (stochastic traces) lies
        within 0.2 %; the bounds of row-standardised W are (-1, 1) without any eigen-solve."""
        W = lattice(200, rook=True)
        assert spectral_bounds(W) == (-1.0, 1.0)
        lu = LogDet(W, method="lu")
        ch = LogDet(W, method="chebyshev", nsim=30, seed=0)
        auto = LogDet(W)
        assert auto.method == "chebyshev"
        v = lu(0.5)
        assert ch(0.5) == pytest.approx(v, rel=2e-3)

    def test_spectral_bounds_unstandardised(self):
        W = lattice(10)
        B = sp.csr_matrix((W > 0).astype(float))
        r = np.abs(np.linalg.eigvals(B.toarray())).max()
        lo, hi = spectral_bounds(B)
        assert hi == pytest.approx(1 / r, rel=1e-8) and lo == pytest.approx(-1 / r, rel=1e-8)


class TestAutoLargeN:
    def test_auto_binary_w_above_lu_max_n_is_exact(self):
        """Regression (review): ``method="auto"`` above LU_MAX_N picked Chebyshev for any W, but
        Chebyshev assumes a spectrum in [-1, 1]; for a binary rook lattice (spectral radius
        ~4) ln|I - 0.2W| came out as +78170 instead of -2027.  Reference: the analytic
        eigenvalues of the k x k binary rook lattice, 2cos(a pi/(k+1)) + 2cos(b pi/(k+1))."""
        k = 142                                   # n = 20 164 > LU_MAX_N
        I = sp.identity(k)
        P = sp.diags([np.ones(k - 1), np.ones(k - 1)], [-1, 1])
        W = (sp.kron(I, P) + sp.kron(P, I)).tocsr()
        c = 2 * np.cos(np.arange(1, k + 1) * np.pi / (k + 1))
        ev = (c[:, None] + c[None, :]).ravel()
        ld = LogDet(W)
        assert ld.method == "lu"
        for rho in (-0.2, 0.1, 0.2, 0.24):
            assert ld(rho) == pytest.approx(np.sum(np.log1p(-rho * ev)), rel=1e-9)
        # row-standardised symmetric pattern keeps the Chebyshev choice
        Wr = sp.diags(1 / np.asarray(W.sum(axis=1)).ravel()) @ W
        assert LogDet(Wr).method == "chebyshev"


class TestRobustBounds:
    """Default rho bounds at large n never call ARPACK (which fails to converge on a 20 000-unit
    ring, where the extreme eigenvalues are clustered).  References: closed forms (the cycle
    graph C_n has eigenvalues 2 cos(2 pi j / n), spectral radius 2; a matrix with constant row
    sums c has spectral radius c) and, for an irregular graph, numpy.linalg.eigvals."""

    @staticmethod
    def ring(n, weight=1.0):
        i = np.arange(n)
        return sp.csr_matrix((np.full(2 * n, weight), (np.r_[i, i], np.r_[(i + 1) % n, (i - 1) % n])),
                             shape=(n, n))

    def test_ring_20000_binary_and_row_standardised(self):
        import time
        n = 20000
        t0 = time.perf_counter()
        ld = LogDet(self.ring(n), method="lu")                 # binary ring: r = 2 exactly
        ldr = LogDet(self.ring(n, 0.5), method="lu")           # row-standardised: r = 1
        elapsed = time.perf_counter() - t0
        assert ld.bounds == (-0.5, 0.5)
        assert "Collatz-Wielandt" in ld.bounds_method and "0 products" in ld.bounds_method
        assert ldr.bounds == (-1.0, 1.0) and ldr.bounds_method.startswith("row-standardised")
        assert elapsed < 5.0                                   # milliseconds in practice
        # closed form ln|I - rho W| = sum ln(1 - 2 rho cos(2 pi j / n)) at rho near the bound
        j = np.arange(n)
        assert ld(0.45) == pytest.approx(np.sum(np.log(1 - 0.9 * np.cos(2 * np.pi * j / n))),
                                         rel=1e-10)

    def test_knn_20000_unstandardised(self):
        """Binary 6-NN (row sums 6: r = 6 exactly) and its symmetrised version (irregular):
        the Collatz-Wielandt bound is a true upper bound on r, tight on a 400-unit instance
        against numpy.linalg.eigvals, and quick at n = 20 000."""
        import time
        rng = np.random.default_rng(0)
        for n, check_dense in ((400, True), (20000, False)):
            pts = rng.uniform(size=(n, 2))
            B = sp.csr_matrix(libpysal.weights.KNN.from_array(pts, k=6).sparse, dtype=float)
            S = ((B + B.T) > 0).astype(float).tocsr()
            t0 = time.perf_counter()
            assert spectral_bounds(B) == (-1 / 6, 1 / 6)
            hi, lo, it = spectral_radius_bound(S)
            lds = LogDet(S, method="lu")
            assert time.perf_counter() - t0 < 10.0             # ~0.2 s on 2 cores
            assert lds.bounds == pytest.approx((-1 / hi, 1 / hi), rel=1e-12)
            assert lo <= hi and 6.0 <= hi <= np.asarray(S.sum(axis=1)).max()
            if check_dense:
                r = np.abs(np.linalg.eigvals(S.toarray())).max()
                assert hi >= r * (1 - 1e-12)
                assert hi == pytest.approx(r, rel=1e-8)

    def test_user_bounds_and_negative_weights(self):
        W = lattice(5)
        assert LogDet(W, method="lu", bounds=(-0.5, 0.9)).bounds_method == "user"
        neg = W.copy()
        neg.data[0] = -1.0
        with pytest.raises(ValueError, match="negative weights"):
            LogDet(neg, method="lu")


class TestTraces:
    def test_power_traces_exact_and_mc(self):
        W = lattice(15)
        D = W.toarray()
        ref = [np.trace(np.linalg.matrix_power(D, k)) for k in range(7)]
        np.testing.assert_allclose(power_traces(W, 6, "exact"), ref, rtol=1e-10, atol=1e-10)
        mc = power_traces(W, 6, "mc", nsim=400, seed=2)
        assert mc[1] == pytest.approx(ref[1], abs=1e-12) and mc[2] == pytest.approx(ref[2])
        np.testing.assert_allclose(mc[3:], ref[3:], rtol=0.05)

    @pytest.mark.parametrize("rho", [-0.5, 0.4, 0.8])
    def test_spatial_traces(self, rho):
        W = lattice(15)
        n = W.shape[0]
        G = W.toarray() @ np.linalg.inv(np.eye(n) - rho * W.toarray())
        ref = (np.trace(G), np.trace(G @ G), np.trace(G.T @ G))
        ex = spatial_traces(W, rho, "exact")
        np.testing.assert_allclose((ex.trG, ex.trGG, ex.trGtG), ref, rtol=1e-10)
        ev = spatial_traces(W, rho, "exact", eigenvalues=eigenvalues(W))
        np.testing.assert_allclose((ev.trG, ev.trGG, ev.trGtG), ref, rtol=1e-10)
        mc = spatial_traces(W, rho, "mc", nsim=300, seed=0)
        assert mc.method == "mc"
        np.testing.assert_allclose((mc.trGG, mc.trGtG), ref[1:], rtol=0.05)
        assert abs(mc.trG - ref[0]) < 0.05 * n

    def test_ainv_solver(self):
        W = knn_w()
        n = W.shape[0]
        A = np.eye(n) - 0.6 * W.toarray()
        X = np.random.default_rng(0).normal(size=(n, 3))
        s = ainv_solver(W, 0.6)
        np.testing.assert_allclose(s(X), np.linalg.solve(A, X), rtol=1e-10)
        np.testing.assert_allclose(s(X, transpose=True), np.linalg.solve(A.T, X), rtol=1e-10)


class TestEffectsCore:
    """SDM effects against dense S = (I - rho W)^-1 (beta I + theta W) (LeSage & Pace 2009)."""

    def _ref(self, W, rho, b, t):
        n = W.shape[0]
        S = np.linalg.solve(np.eye(n) - rho * W.toarray(), b * np.eye(n) + t * W.toarray())
        return np.trace(S) / n, S.sum() / n

    @pytest.mark.parametrize("make", [lambda: lattice(10), lambda: knn_w(),
                                      lambda: sp.csr_matrix((lattice(10) > 0).astype(float) / 8)])
    def test_exact(self, make):
        W = make()
        p = pd.Series([1.0, 2.0, -0.5, 0.7, 0.3, 0.1], index=["const", "a", "b", "W_a", "W_b", "rho"])
        core = EffectsCore(W, ["a", "b"], "sdm")
        pt = core.point(p)
        for x in ("a", "b"):
            d, tot = self._ref(W, 0.1, p[x], p["W_" + x])
            assert pt.loc[x, "direct"] == pytest.approx(d, rel=1e-10)
            assert pt.loc[x, "total"] == pytest.approx(tot, rel=1e-10)

    def test_trace_series_exact_and_mc(self):
        W = lattice(20)
        p = pd.Series([2.0, 0.7, 0.5], index=["a", "W_a", "rho"])
        d, tot = self._ref(W, 0.5, 2.0, 0.7)
        ex = EffectsCore(W, ["a"], "sdm", method="traces", trace_method="exact").point(p)
        assert ex.loc["a", "direct"] == pytest.approx(d, rel=1e-12)
        assert ex.loc["a", "total"] == pytest.approx(tot, rel=1e-12)
        mc = EffectsCore(W, ["a"], "sdm", method="traces", trace_method="mc",
                         trace_nsim=200).point(p)
        assert mc.loc["a", "direct"] == pytest.approx(d, rel=0.01)
        assert mc.loc["a", "total"] == pytest.approx(tot, rel=1e-12)   # exact by products

    def test_trace_series_high_rho(self):
        """rho = 0.95 needs ~500 powers; the series is extended automatically."""
        W = lattice(12)
        p = pd.Series([1.0, 0.5, 0.95], index=["a", "W_a", "rho"])
        d, tot = self._ref(W, 0.95, 1.0, 0.5)
        core = EffectsCore(W, ["a"], "sdm", method="traces", trace_method="exact")
        pt = core.point(p)
        assert core.q_max > 400
        assert pt.loc["a", "direct"] == pytest.approx(d, rel=1e-8)
        assert pt.loc["a", "total"] == pytest.approx(tot, rel=1e-8)

    def test_linear_models(self):
        """SDEM/SLX: direct = beta, indirect = theta, se from the covariance (hand formula)."""
        W = lattice(6)
        names = ["a", "W_a", "lambda"]
        p = pd.Series([1.5, 0.4, 0.3], index=names)
        V = pd.DataFrame([[0.04, 0.01, 0], [0.01, 0.09, 0], [0, 0, 0.01]], index=names,
                         columns=names)
        out = EffectsCore(W, ["a"], "sdem").compute(p, V)
        assert out.loc["a", "direct"] == 1.5
        assert out.loc["a", "indirect"] == pytest.approx(0.4, rel=1e-14)
        assert out.loc["a", "total_se"] == pytest.approx(np.sqrt(0.04 + 0.09 + 2 * 0.01))
        assert out.loc["a", "indirect_se"] == pytest.approx(0.3)
