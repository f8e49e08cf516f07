"""Large-n approximations against exact values at n = 20 000 (fast: sparse rings / lattices).

* Log-determinant: Barry–Pace Monte Carlo and Chebyshev against the closed form of the
  row-standardised cycle (eigenvalues cos(2πj/n)) and against sparse LU on a k-nearest-
  neighbour W; the error lies within the stated bound (truncation bound + 4 Monte Carlo
  standard errors) and the stated error is not vacuous.
* Traces: Hutchinson tr(W^k) and tr(G), tr(GG), tr(G′G) (G = W(I − ρW)^{-1}) against the
  closed forms of the cycle, within 4 stated standard errors.
* The threaded block product equals scipy's column products bit for bit.
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from spatialnqpf.models import _logdet as L

N = 20000


@pytest.fixture(scope="module")
def ring():
    i = np.arange(N)
    W = sp.csr_matrix((np.full(2 * N, 0.5), (np.r_[i, i], np.r_[(i + 1) % N, (i - 1) % N])),
                      shape=(N, N))
    ev = np.cos(2 * np.pi * i / N)           # eigenvalues of the row-standardised cycle
    return W, ev


@pytest.fixture(scope="module")
def knn():
    """k = 6 nearest neighbours of random points, row-standardised (asymmetric pattern)."""
    from scipy.spatial import cKDTree
    rng = np.random.default_rng(3)
    pts = rng.uniform(0, 1, size=(N, 2))
    _, nb = cKDTree(pts).query(pts, k=7)
    rows = np.repeat(np.arange(N), 6)
    return sp.csr_matrix((np.full(6 * N, 1 / 6), (rows, nb[:, 1:].ravel())), shape=(N, N))


def test_chebyshev_within_stated_bound_ring(ring):
    W, ev = ring
    ld = L.LogDet(W, method="chebyshev", nsim=30, seed=0)
    for rho in (-0.5, 0.3, 0.6, 0.8):
        exact = float(np.sum(np.log(1 - rho * ev)))
        err = ld.error(rho)
        assert abs(ld(rho) - exact) <= err["truncation_bound"] + 4 * err["mc_se"] + 1e-9
        # the statement is informative: below 0.5 % of |ln|I - rho W|| here
        assert err["truncation_bound"] + 4 * err["mc_se"] < 1e-2 * abs(exact)


@pytest.fixture(scope="module")
def knn_logdets(knn):
    return L.LogDet(knn, method="lu"), L.LogDet(knn, method="mc", nsim=30, seed=0)


@pytest.mark.parametrize("rho", [-0.4, 0.4, 0.7])
def test_barry_pace_within_stated_bound_knn(knn_logdets, rho):
    lu, ld = knn_logdets
    exact = lu(rho)
    err = ld.error(rho)
    assert err["mc_se"] > 0
    assert abs(ld(rho) - exact) <= err["truncation_bound"] + 4 * err["mc_se"]
    assert err["truncation_bound"] + 4 * err["mc_se"] < 1e-2 * abs(exact)


def test_error_bound_formula_mc():
    """b = n |rho|^(m+1) / ((m+1)(1-|rho|)) (hand-evaluated at m = 30, rho = 0.5, n = 100)."""
    i = np.arange(100)
    W = sp.csr_matrix((np.full(200, 0.5), (np.r_[i, i], np.r_[(i + 1) % 100, (i - 1) % 100])))
    ld = L.LogDet(W, method="mc", nsim=10, seed=0, order=30)
    assert ld.error(0.5)["truncation_bound"] == pytest.approx(100 * 0.5 ** 31 / (31 * 0.5))
    assert L.LogDet(W, method="lu").error(0.5) == {"truncation_bound": 0.0, "mc_se": 0.0}


def test_hutchinson_power_traces_ring(ring):
    W, ev = ring
    hp = L.HutchinsonPowers(W, nsim=50, seed=1)
    q = 8
    est = hp.traces(q)
    se = hp.standard_errors(q)
    exact = np.array([np.sum(ev ** k) for k in range(q + 1)])
    assert np.all(np.abs(est - exact) <= 4 * se + 1e-6)
    np.testing.assert_allclose(est[:3], exact[:3], rtol=1e-12, atol=1e-8)   # exact orders
    # extending equals computing from scratch (same probes)
    np.testing.assert_array_equal(L.HutchinsonPowers(W, 50, 1).traces(4), hp.traces(4))
    np.testing.assert_array_equal(L.power_traces(W, q, "mc", 50, 1), est)


@pytest.mark.parametrize("rho", [0.4, -0.6])
def test_hutchinson_spatial_traces_ring(ring, rho):
    W, ev = ring
    g = ev / (1 - rho * ev)                    # eigenvalues of G (W symmetric: G'G = GG)
    exact = (g.sum(), (g ** 2).sum(), (g ** 2).sum())
    tr = L.spatial_traces(W, rho, method="mc", nsim=100, seed=0)
    for est, ex, se in zip((tr.trG, tr.trGG, tr.trGtG), exact, tr.se):
        assert se > 0
        assert abs(est - ex) <= 4 * se
        assert 4 * se < 0.05 * abs(ex)


def test_block_product_equals_column_products(knn):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, 120))        # nnz * p above NUMBA_MM_MIN_WORK
    assert knn.nnz * X.shape[1] >= L.NUMBA_MM_MIN_WORK
    cols = np.column_stack([knn @ X[:, j] for j in range(X.shape[1])])
    np.testing.assert_array_equal(L._mm(knn, X), cols)


@pytest.mark.parametrize("rho", [0.4, -0.6])
def test_series_traces_ring(ring, rho):
    """One probe sweep (no LU): tr(G), tr(GG) from power traces, tr(G'G) from ||Gx||^2."""
    W, ev = ring
    g = ev / (1 - rho * ev)
    exact = (g.sum(), (g ** 2).sum(), (g ** 2).sum())
    hp = L.HutchinsonPowers(W, nsim=100, seed=0)
    tr = L.series_spatial_traces(hp, rho)
    assert tr.method == "mc-series"
    for est, ex, se in zip((tr.trG, tr.trGG, tr.trGtG), exact, tr.se):
        assert abs(est - ex) <= 4 * se + 1e-6 * abs(ex)
    # the row-standardised ring has zero diagonal and tr(W^2) exact: tr(G) is then
    # exact to O(rho^2) terms -- its standard error is far below that of tr(G'G)
    assert tr.se[0] < tr.se[2]
    # the sweep extended the shared trace series (used by the effects afterwards)
    assert hp.k >= 20


def test_neumann_solve_matches_lu(knn):
    rng = np.random.default_rng(2)
    V = rng.standard_normal((N, 3))
    for trans in (False, True):
        x = L.neumann_solve(knn, 0.5, V, transpose=trans)
        ref = L.ainv_solver(knn, 0.5)(V, transpose=trans)
        np.testing.assert_allclose(x, ref, rtol=0, atol=1e-9)
    assert L.neumann_solve(knn * 2.0, 0.9, V[:, 0], max_terms=50) is None   # diverges


def test_panel_series_path_against_exact(monkeypatch):
    """The n > SERIES_MIN_N code path (series traces shared with the effects, Neumann solves)
    forced on the cigarette panel (46 states), against the exact path: estimates are
    unchanged (same log-determinant), SEs within 2 % (Hutchinson, 100 vectors), effects 1e-6."""
    import pandas as pd
    from pathlib import Path
    from spatialnqpf.models import _panel_core as P
    from spatialnqpf.models import spatial_panel
    from libpysal.graph import Graph
    ref = Path(__file__).parent / "reference"
    cigar = pd.read_csv(ref / "cigar_panel.csv")
    edges = pd.read_csv(ref / "cigar_w46_edges.csv", comment="#")
    w = Graph.from_adjacency(edges.assign(weight=1.0), focal_col="focal",
                             neighbor_col="neighbor", weight_col="weight").transform("r")
    X = ["logp", "logy"]
    base = spatial_panel(cigar, "logc", X, w, id="state", time="year")
    monkeypatch.setattr(P, "SERIES_MIN_N", 0)  # read by _Solver and panel._fit
    r = spatial_panel(cigar, "logc", X, w, id="state", time="year", traces="mc",
                      effects_method="traces")
    assert len(r.info["traces_se"]) == 3
    np.testing.assert_allclose(r.params, base.params, rtol=1e-10)
    np.testing.assert_allclose(r.bse, base.bse, rtol=0.02)
    e0, e1 = base.effects(method="delta"), r.effects(method="delta")
    np.testing.assert_allclose(e1[["direct", "indirect", "total"]],
                               e0[["direct", "indirect", "total"]], rtol=1e-6)


def test_g_norms_blocking_does_not_change_the_numbers(knn):
    """The column-blocked sweep gives each probe the same ||G x||^2 and power traces as one
    block, and the extended trace series equals a fresh traces() call."""
    a = L.HutchinsonPowers(knn, nsim=12, seed=4)
    b = L.HutchinsonPowers(knn, nsim=12, seed=4)
    na, qa = a.g_norms(0.45)
    nb, qb = b.g_norms(0.45, block_cols=5)          # blocks of 5, 5, 2 columns
    assert qa == qb > 20
    np.testing.assert_allclose(nb, na, rtol=1e-13)
    np.testing.assert_allclose(b.per_probe, a.per_probe, rtol=1e-12, atol=1e-9)
    fresh = L.HutchinsonPowers(knn, nsim=12, seed=4).traces(qa)
    np.testing.assert_allclose(a.traces(qa), fresh, rtol=1e-12, atol=1e-9)
    # ||G x||^2 against G x from a sparse LU solve, probe by probe
    import scipy.sparse.linalg as spla
    X = L._rademacher(N, 12, 4)
    GX = knn @ spla.splu((sp.identity(N, format="csc") - 0.45 * knn).tocsc()).solve(X)
    np.testing.assert_allclose(na, (GX ** 2).sum(axis=0), rtol=1e-9)
    # a second sweep at another rho (no new powers) keeps the state and the series
    k = a.k
    a.g_norms(0.2)
    assert a.k == k and a.V is not None


def test_released_probe_block_refuses_more_powers(ring):
    W, _ = ring
    hp = L.HutchinsonPowers(W, nsim=4, seed=0)
    t = hp.traces(5)
    hp.release()
    np.testing.assert_array_equal(hp.traces(5), t)
    with pytest.raises(RuntimeError, match="released at power 5"):
        hp.traces(6)


def test_g_norms_failure_resets_the_state(knn, monkeypatch):
    """A sweep that fails after freeing the old state leaves a usable object (power 0)."""
    hp = L.HutchinsonPowers(knn, nsim=6, seed=2)
    t4 = hp.traces(4)
    monkeypatch.setattr(L, "_axpy", lambda *a, **k: (_ for _ in ()).throw(MemoryError("boom")))
    with pytest.raises(MemoryError, match="boom"):
        hp.g_norms(0.4)
    monkeypatch.undo()
    assert hp.k == 0 and hp.V is hp.X
    np.testing.assert_array_equal(hp.traces(4), t4)
    norms, q = hp.g_norms(0.4)
    assert q > 20 and np.all(norms > 0)


def test_fused_product_dot_axpy_equals_the_three_steps(knn):
    """_mm_dot (numba path above NUMBA_MM_MIN_WORK): the product bit for bit as _mm, the
    running sum as _axpy, the inner products as einsum to rounding; the same with the
    fallback path below the threshold."""
    rng = np.random.default_rng(5)
    V = rng.standard_normal((N, 120))
    X = L._rademacher(N, 120, 1)
    assert knn.nnz * 120 >= L.NUMBA_MM_MIN_WORK
    S0 = rng.standard_normal((N, 120))
    S1 = S0.copy()
    out, dots = L._mm_dot(knn, V, X, S=S1, c=0.37)
    ref = L._mm(knn, V)
    np.testing.assert_array_equal(out, ref)
    S2 = S0.copy()
    L._axpy(S2, 0.37, ref)
    np.testing.assert_array_equal(S1, S2)
    np.testing.assert_allclose(dots, np.einsum("ij,ij->j", X, ref), rtol=1e-12, atol=1e-9)
    small_out, small_dots = L._mm_dot(knn, V[:, :3], X[:, :3])          # fallback path
    np.testing.assert_array_equal(small_out, ref[:, :3])
    np.testing.assert_allclose(small_dots, dots[:3], rtol=1e-12, atol=1e-9)
