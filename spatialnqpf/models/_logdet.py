"""Log-determinants ln|I − ρW|, their derivatives, and the traces used by ML spatial models.

This module is the numerical core shared by the cross-section and the panel
estimators.  Nothing here knows about pandas or ids: callers pass a square
``scipy.sparse`` matrix already aligned to their data (see
:func:`spatialnqpf._validation.graph_to_sparse`).

Main objects
------------
:class:`LogDet`
    ``ld = LogDet(W, method="auto")``; ``ld(rho)`` is ln|I − ρW|, ``ld.deriv(rho)``
    is d/dρ ln|I − ρW| = −tr((I − ρW)^{-1} W), ``ld.bounds`` the admissible
    interval of ρ and ``ld.method`` the name of the method used.
:func:`power_traces`
    tr(W^q), q = 1..Q, exactly (sparse products, small and medium n) or by
    Hutchinson's stochastic estimator (large n).
:func:`spatial_traces`
    tr(G), tr(G G) and tr(G′G) with G = W (I − ρW)^{-1}, the traces that enter
    the analytic information matrix of SAR/SEM/SDM/SAC models; exact for small n
    (eigenvalues / dense), stochastic with sparse LU solves for large n.

Methods of :class:`LogDet`
--------------------------
``"eigen"``
    ln|I − ρW| = Σ_i ln(1 − ρ ω_i) with ω_i the (possibly complex) eigenvalues of
    W; exact; O(n³) once, so used for n ≤ 2 000 (Ord 1975).
``"lu"``
    Sparse LU of I − ρW at each ρ (``scipy.sparse.linalg.splu``):
    ln|I − ρW| = Σ ln|U_ii| (sign checked); exact up to rounding, memory O(fill-in).
``"chebyshev"``
    Pace & LeSage (2004) Chebyshev approximation of order q on [−1, 1] (valid for
    W similar to a symmetric matrix with spectrum in [−1, 1], e.g. row-standardised
    symmetric contiguity): ln|I − ρW| ≈ Σ_{j=0}^{q} c_j(ρ) tr(T_j(W)) − n c_0(ρ)/2,
    traces of the Chebyshev polynomials T_j(W) computed exactly (sparse) or by
    Hutchinson's estimator.
``"mc"``
    Barry & Pace (1999) Monte Carlo: ln|I − ρW| = −Σ_{k=1}^{m} ρ^k tr(W^k)/k, with
    tr(W^k) estimated from p random vectors (seeded); the truncation remainder is
    bounded by the usual geometric tail ρ^{m+1}/((m+1)(1−ρ)) · n.

Large n (issue 17)
------------------
Stated errors: :meth:`LogDet.error` gives a deterministic truncation bound and the Monte
Carlo standard error of the ``"mc"``/``"chebyshev"`` log-determinant; :class:`SpatialTraces`
carries the Hutchinson standard errors (``se``); :meth:`HutchinsonPowers.standard_errors`
those of tr(W^k).  The panel estimator records them in ``info["logdet_error"]`` (at ρ̂) and
``info["traces_se"]``.  Above ``panel.SERIES_MIN_N`` (50 000 units) no sparse LU is formed:
:func:`series_spatial_traces` gets tr(G), tr(GG), tr(G′G) from one sweep of the probe block
(shared with the effects), :func:`neumann_solve` applies (I − ρW)^{-1} (residual-checked),
and products with probe blocks use a threaded numba kernel (:func:`_mm`).  Memory is
O(nnz(W) + n p) for p probes; no n × n dense matrix and no NT × NT Kronecker product.
Checked against closed forms and sparse LU at n = 20 000 in ``tests/test_large_n.py``.

References
----------
Avron, H. & Toledo, S. (2011). Randomized algorithms for estimating the trace of an implicit
symmetric positive semi-definite matrix. Journal of the ACM 58(2), 8.
Hutchinson, M. F. (1990). A stochastic estimator of the trace of the influence matrix for
Laplacian smoothing splines. Communications in Statistics - Simulation and Computation 19,
433-450.
Horn, R. A. & Johnson, C. R. (2013). Matrix Analysis, 2nd ed., §8.1 (Collatz–Wielandt bounds).
Ord, K. (1975). Estimation methods for models of spatial interaction. JASA 70, 120-126.
Barry, R. P. & Pace, R. K. (1999). Monte Carlo estimates of the log determinant of large
sparse matrices. Linear Algebra and its Applications 289, 41-54.
Pace, R. K. & LeSage, J. P. (2004). Chebyshev approximation of log-determinants of spatial
weight matrices. Computational Statistics & Data Analysis 45, 179-196.
LeSage, J. & Pace, R. K. (2009). Introduction to Spatial Econometrics, ch. 4.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._validation import as_generator

__all__ = ["LogDet", "power_traces", "HutchinsonPowers", "series_spatial_traces",
           "neumann_solve", "spatial_traces", "SpatialTraces", "eigenvalues",
           "symmetrizer",
           "EIGEN_MAX_N", "LU_MAX_N", "spectral_bounds", "spectral_radius_bound",
           "ainv_solver"]

#: largest n for which the dense eigenvalue method is chosen by ``method="auto"``
EIGEN_MAX_N = 2000
#: largest n for which sparse LU is chosen by ``method="auto"`` (above: Chebyshev/MC)
LU_MAX_N = 20000


def _as_csr(W) -> sp.csr_matrix:
    if sp.issparse(W):
        W = sp.csr_matrix(W, dtype=float)
    else:
        W = sp.csr_matrix(np.asarray(W, dtype=float))
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be square, got shape {W.shape}")
    return W


#: work nnz(W) * p above which :func:`_mm` uses the threaded numba kernel (when installed)
NUMBA_MM_MIN_WORK = 2_000_000
_SPMM = {}


def _spmm_kernel(indptr, indices, data, V, out, S, c, X, partial, do_axpy, do_dot):
    """out = W V; S += c out if ``do_axpy``; partial[ch] += Σ_{i in chunk ch} X[i] * out[i] if
    ``do_dot`` (compiled by numba, never run by Python).  Per row the product is summed in the
    order of scipy's ``csr_matvec``; the row chunks are fixed (``partial.shape[0]``), so the
    inner products do not depend on the number of threads."""
    n, p = out.shape
    nch = partial.shape[0]
    step = (n + nch - 1) // nch
    for ch in _prange(nch):
        lo = ch * step
        hi = min(n, lo + step)
        for i in range(lo, hi):
            for k in range(p):
                out[i, k] = 0.0
            for jj in range(indptr[i], indptr[i + 1]):
                col = indices[jj]
                w = data[jj]
                for k in range(p):
                    out[i, k] += w * V[col, k]
            if do_axpy or do_dot:
                for k in range(p):
                    o = out[i, k]
                    if do_axpy:
                        S[i, k] += c * o
                    if do_dot:
                        partial[ch, k] += X[i, k] * o


_prange = range  # replaced by numba.prange before _spmm_kernel is compiled


def _get_spmm():
    """Threaded numba CSR × dense-block kernel (one pass over W for all p columns, optionally
    fused with the per-column inner products and a running sum), or None without numba."""
    global _prange
    if "k" not in _SPMM:
        try:
            import numba
        except ImportError:  # pragma: no cover - numba is optional
            _SPMM["k"] = None
        else:
            _prange = numba.prange
            _SPMM["k"] = numba.njit(parallel=True, cache=True, nogil=True)(_spmm_kernel)
    return _SPMM["k"]


#: row chunks of the threaded kernel (fixed: the inner products do not depend on threads)
_DOT_CHUNKS = 64


def _numba_mm(W, V, out=None, X=None, S=None, c=0.0):
    """The threaded kernel's (W V, inner products x_j′(W V)_j or None), S += c W V when S is
    given; None when the kernel does not apply (no numba, small work, W not CSR)."""
    p = V.shape[1]
    if not (W.nnz * p >= NUMBA_MM_MIN_WORK and sp.isspmatrix_csr(W)):
        return None
    k = _get_spmm()
    if k is None:
        return None
    Vc = np.ascontiguousarray(V, dtype=float)
    shape = (W.shape[0], p)
    if out is None or out.shape != shape or not out.flags.c_contiguous or out is Vc:
        out = np.empty(shape)
    if S is not None and (not S.flags.c_contiguous or S.shape != shape):
        raise ValueError("S must be a C-contiguous array of the shape of W V")
    do_dot = X is not None
    part = np.zeros((max(1, min(_DOT_CHUNKS, shape[0])), p if do_dot else 1))
    k(W.indptr, W.indices, np.asarray(W.data, dtype=float), Vc, out,
      S if S is not None else np.empty((1, 1)), float(c),
      np.ascontiguousarray(X, dtype=float) if do_dot else Vc, part, S is not None, do_dot)
    return out, (part.sum(axis=0) if do_dot else None)


def _mm_dot(W, V, X, out=None, S=None, c=0.0):
    """(W V, x_j′(W V)_j for every column j), and S += c · W V in place when S is given.

    One pass over the rows instead of three (product, inner products, update): the threaded
    numba kernel for large blocks, otherwise :func:`_mm`, :func:`_axpy` and ``einsum``.
    """
    V = np.asarray(V)
    res = _numba_mm(W, V, out=out, X=X, S=S, c=c)
    if res is not None:
        return res
    out = _mm(W, V, out=out)
    if S is not None:
        _axpy(S, c, out)
    return out, np.einsum("ij,ij->j", X, out)


def _mm(W, X, out=None):
    """W @ X for sparse W and a dense (n, p) block.

    Large blocks go through a threaded numba kernel that reads W once for all p columns
    (row-major X; per row the same summation order as scipy's ``csr_matvec``, so the values
    agree bit for bit with the column loop).  Without numba, or for small work, column by
    column: scipy's multi-vector CSR kernel is several times slower than p single products
    on large n (cache behaviour).  Written here: scipy has no threaded sparse × dense product.
    ``out``: a C-contiguous (n, p) float array to write into (not ``X`` itself), so that a
    sweep of powers can reuse two buffers; ignored on the column-by-column path.
    """
    X = np.asarray(X)
    if X.ndim == 1:
        return W @ X
    res = _numba_mm(W, X, out=out)
    if res is not None:
        return res[0]
    if W.shape[0] < 20000:                   # small n: scipy's block product is the fastest
        return np.asarray(W @ X)
    out = np.empty((W.shape[0], X.shape[1]), order="F")
    for j in range(X.shape[1]):
        out[:, j] = W @ np.ascontiguousarray(X[:, j])
    return out


def _axpy(S, a, V, rows=32768):
    """S += a * V in place, in row blocks (no temporary of the size of V)."""
    for i in range(0, S.shape[0], rows):
        S[i:i + rows] += a * V[i:i + rows]


def _rademacher(n: int, p: int, seed) -> np.ndarray:
    rng = as_generator(seed)
    return rng.choice(np.array([-1.0, 1.0]), size=(n, p))


def symmetrizer(W) -> np.ndarray | None:
    """Positive d with diag(d) W symmetric, or None if there is none.

    A row-standardised W built from symmetric weights C (w_ij = c_ij / r_i) has d = r (up
    to a scale per connected component).  Then D^{1/2} W D^{-1/2} is symmetric and similar
    to W, so W has real eigenvalues obtainable by a symmetric eigensolver (Ord 1975).
    d is found by walking the graph: d_j = d_i w_ij / w_ji, then checked on every edge.
    """
    from scipy.sparse.csgraph import breadth_first_order, connected_components
    W = _as_csr(W)
    n = W.shape[0]
    Wt = W.T.tocsr()
    if (W != 0).astype(int).__ne__((Wt != 0).astype(int)).nnz:
        return None
    if (W.data < 0).any():
        return None
    ncomp, labels = connected_components(W, directed=False)
    d = np.zeros(n)
    for c in range(ncomp):
        root = int(np.flatnonzero(labels == c)[0])
        order, pred = breadth_first_order(W, root, directed=False, return_predecessors=True)
        d[root] = 1.0
        for j in order[1:]:
            i = pred[j]
            d[j] = d[i] * W[i, j] / Wt[i, j]
    C = sp.diags(d) @ W
    if abs(C - C.T).max() > 1e-10 * max(abs(C).max(), 1e-300):
        return None
    return d


def eigenvalues(W) -> np.ndarray:
    """Eigenvalues of W (dense; small n).  Real and by a symmetric solver when W is similar to
    a symmetric matrix (:func:`symmetrizer`), otherwise ``numpy.linalg.eigvals`` (complex
    eigenvalues kept only if their imaginary parts are not negligible)."""
    W = _as_csr(W)
    d = symmetrizer(W)
    if d is not None:
        s = np.sqrt(d)
        S = (sp.diags(s) @ W @ sp.diags(1 / s)).toarray()
        return np.linalg.eigvalsh((S + S.T) / 2)
    ev = np.linalg.eigvals(W.toarray())
    if np.max(np.abs(ev.imag)) < 1e-10 * max(1.0, np.max(np.abs(ev.real))):
        ev = ev.real
    return ev


def spectral_radius_bound(W, rtol: float = 1e-10, maxiter: int = 2000) -> tuple:
    """Guaranteed upper bound on the spectral radius of a non-negative W, without ARPACK.

    Collatz–Wielandt bounds: for non-negative W and any positive vector x,

        min_i (Wx)_i / x_i  ≤  r(W)  ≤  max_i (Wx)_i / x_i

    (Horn & Johnson 2013, Cor. 8.1.29; the upper bound is ‖D⁻¹WD‖_∞ with D = diag(x), a
    similarity transform of W).  Starting from x = 1 the upper bound is the largest row sum
    (the Gershgorin / ∞-norm bound), exact for every W with constant row sums (row-standardised,
    binary kNN, regular lattices and rings).  Otherwise x is refined by power iteration on the
    shifted matrix I + W (same Perron vector, no periodicity, x stays positive) until the two
    bounds agree to ``rtol`` or ``maxiter`` sparse products were made.  The cost is at most
    ``maxiter`` products with W (milliseconds to a second at n = 20 000 with 6 neighbours), it
    cannot fail to converge, and the upper bound returned is valid at every iteration: if the
    iteration stops early the admissible interval is merely conservative.  The iteration
    also stops when the upper bound has improved by less than ``rtol`` (relative) over the
    last 50 products: on weakly connected graphs the lower bound lags far behind while the
    upper bound is already accurate (binary symmetric 6-NN, n = 20 000: upper bound within
    1e-10 of ARPACK's r, lower bound still 2.6 % below).

    Returns
    -------
    (upper, lower, iterations) : (float, float, int)
        ``upper`` ≥ r(W) ≥ ``lower``.
    """
    W = _as_csr(W)
    n = W.shape[0]
    if (W.data < 0).any():
        raise ValueError("W has negative weights; pass explicit bounds for the spatial parameter")
    x = np.ones(n)
    best_hi, best_lo = np.inf, 0.0
    hist = []
    for it in range(maxiter + 1):
        y = W @ x
        ratio = y / x
        best_hi = min(best_hi, float(ratio.max()))
        best_lo = max(best_lo, float(ratio.min()))
        if best_hi - best_lo <= rtol * best_hi or best_hi == 0.0:
            return best_hi, best_lo, it
        hist.append(best_hi)
        # the upper bound usually converges long before the lower one (which lags on weakly
        # connected or disconnected graphs): stop once it has stalled for 50 products
        if it >= 50 and hist[-51] - best_hi <= rtol * best_hi:
            return best_hi, best_lo, it
        x = x + y                                  # (I + W) x, stays > 0
        x /= x.max()
        x = np.maximum(x, 1e-300)
    return best_hi, best_lo, maxiter


def spectral_bounds(W, return_method: bool = False):
    """Conservative admissible interval (−1/r, 1/r) with r the spectral radius of W.

    For non-negative W every eigenvalue satisfies |ω| ≤ r, so I − ρW is non-singular on
    the whole interval.  r = 1 exactly when every non-empty row sums to one (row-standardised
    W; the interval (−1, 1) used by LeSage's toolbox and, up to 0.999, by R ``spatialreg`` for
    non-eigen methods).  Otherwise r is bounded from above by :func:`spectral_radius_bound`
    (Collatz–Wielandt power iteration: never an ARPACK call, which can fail to converge or take
    minutes on large rings and lattices whose extreme eigenvalues are clustered), so the
    interval is always admissible.  The exact lower bound 1/ω_min ≤ −1/r would need the
    smallest eigenvalue; pass ``bounds=`` to :class:`LogDet` to use it.

    Parameters
    ----------
    W : sparse (n, n), non-negative
    return_method : bool
        Also return a short description of how the bounds were obtained.

    Returns
    -------
    (lo, hi) or ((lo, hi), description)
    """
    W = _as_csr(W)
    if (W.data < 0).any():
        raise ValueError("W has negative weights; pass explicit bounds for the spatial parameter")
    rs = np.asarray(W.sum(axis=1)).ravel()
    nz = rs[rs != 0]
    if nz.size and np.allclose(nz, 1.0, rtol=1e-10, atol=1e-12):
        out, how = (-1.0, 1.0), "row-standardised: (-1, 1)"
    else:
        hi, lo, it = spectral_radius_bound(W)
        if hi <= 0:
            raise ValueError("W has no non-zero weights; the spatial parameter is not identified")
        out = (-1.0 / hi, 1.0 / hi)
        how = (f"(-1/r, 1/r), r <= {hi:.10g} by Collatz-Wielandt power iteration "
               f"({it} products, relative gap {(hi - lo) / hi:.1e})")
    return (out, how) if return_method else out


def power_traces(W, q: int = 10, method: str = "auto", nsim: int = 50, seed: int = 0) -> np.ndarray:
    """Traces tr(W^k) for k = 0, 1, ..., q.

    Parameters
    ----------
    W : sparse (n, n)
    q : int
        Highest power.
    method : {"auto", "exact", "mc"}
        ``"exact"``: Σ ω_i^k from the eigenvalues for n ≤ 2 000, sparse products of W above
        (``W^k`` kept sparse; suitable while the fill-in stays small);
        ``"mc"`` uses Hutchinson's estimator tr(W^k) ≈ (1/p) Σ_r x_r′ W^k x_r with
        Rademacher x_r (``nsim`` vectors, ``seed``), cost O(q p nnz(W)).
        ``"auto"`` is exact for n ≤ 2 000, Monte Carlo above.

    Returns
    -------
    ndarray (q + 1,)
        ``out[0] = n``; ``out[k] = tr(W^k)``.

    Notes
    -----
    The Monte Carlo estimate is unbiased with variance 2 Σ_{i≠j} (W^k)_ij² / p; this is the
    trace method of LeSage & Pace (2009, §4.3) used by R ``spatialreg::trW(type="MC")``.
    """
    W = _as_csr(W)
    n = W.shape[0]
    if method == "auto":
        method = "exact" if n <= EIGEN_MAX_N else "mc"
    out = np.empty(q + 1)
    out[0] = n
    if method == "exact":
        if n <= EIGEN_MAX_N:
            # tr(W^k) = Σ ω_i^k from the eigenvalues (O(n³) once instead of q dense products)
            ev = eigenvalues(W)
            P = np.ones_like(ev)
            for k in range(1, q + 1):
                P = P * ev
                out[k] = float(np.real(P.sum()))
        else:
            P = sp.identity(n, format="csr")
            for k in range(1, q + 1):
                P = (P @ W).tocsr()
                out[k] = P.diagonal().sum()
        return out
    if method == "mc":
        return HutchinsonPowers(W, nsim, seed).traces(q)
    raise ValueError(f"unknown trace method {method!r}; use 'auto', 'exact' or 'mc'")


class HutchinsonPowers:
    """Hutchinson estimates of tr(W^k), extendable to higher k without starting again.

    Keeps the probe block X (n × p Rademacher, ``seed``) and V = W^k X, so asking for more
    powers costs only the new products; ``traces(q)`` equals ``power_traces(W, q, "mc",
    nsim, seed)`` exactly.  ``per_probe`` holds x_r′W^k x_r (k × p), whose spread gives the
    Monte Carlo standard error ``se(k) = sd_r(x_r′W^k x_r)/√p`` of each trace
    (:meth:`standard_errors`; zero for k ≤ 2, computed exactly).

    Error statement (Hutchinson 1990; Avron & Toledo 2011): with Rademacher probes the
    estimate of tr(M) is unbiased with variance 2 Σ_{i≠j} m_ij² / p (here M = W^k).
    """

    def __init__(self, W, nsim: int = 50, seed=0):
        self.W = _as_csr(W)
        self.n = self.W.shape[0]
        self.nsim = int(nsim)
        self.X = _rademacher(self.n, self.nsim, seed)
        self.V = self.X
        self.k = 0
        self._per = [np.full(self.nsim, float(self.n))]

    def release(self):
        """Free the probe block and the last power (2 n × p floats); the traces already
        computed stay available, asking for higher powers afterwards raises."""
        self.X = self.V = None

    def traces(self, q: int) -> np.ndarray:
        """tr(W^k), k = 0..q (k = 1, 2 exact)."""
        if q > self.k and self.X is None:
            raise RuntimeError(f"the probe block was released at power {self.k}; "
                               f"tr(W^{q}) needs a new HutchinsonPowers")
        spare = None
        while self.k < q:
            new, dots = _mm_dot(self.W, self.V, self.X, out=spare)
            spare = self.V if self.V is not self.X else None    # reuse the old power's memory
            self.V = new
            self.k += 1
            self._per.append(dots)
        out = np.array([float(np.mean(self._per[k])) for k in range(q + 1)])
        if q >= 1:
            out[1:3] = self._exact12[: min(q, 2)]
        return out

    @property
    def _exact12(self) -> np.ndarray:
        """tr(W) = Σ w_ii and tr(W²) = Σ_ij w_ij w_ji, exact (computed once)."""
        if "_ex12" not in self.__dict__:
            self._ex12 = np.array([float(self.W.diagonal().sum()),
                                   float(self.W.multiply(self.W.T).sum())])
        return self._ex12

    def g_norms(self, rho: float, tol: float = 1e-10, max_terms: int = 5000,
                block_cols: int | None = None):
        """‖G x_r‖² for every probe x_r, G x = Σ_{k≥0} ρ^k W^{k+1} x (G = W (I − ρW)^{-1}),
        without any factorisation; the sweep also extends :meth:`traces` to the powers it
        visits.

        Needs a = |ρ| ‖W‖_∞ < 1.  Stops at the first K with (K + 2) a^{K+1} / (1 − a)² ≤ tol,
        which bounds (per unit of ‖x‖_∞ = 1) the truncation error of G x and, times n, the
        truncation errors of the series for tr(G) and tr(GG) in :func:`series_spatial_traces`.
        The probes are swept in blocks of ``block_cols`` columns (default: half of them;
        at n = 10^5 a block of 50 columns is as fast per column as one of 100 and faster than
        one of 25), so the working memory is the probe block, the new state (n × p, when the
        sweep extends the powers) and four n × block_cols arrays.  The products are the same
        for every blocking; the per-probe sums can differ in the last bits (einsum's order on
        a one-column block).  If the sweep fails (e.g. out of memory) the object is reset to
        power 0, so later calls start again instead of reading a freed state.
        Returns (norms (p,), K + 2 = the highest power used), or None when a ≥ 1 or
        K > max_terms.
        """
        r = float(abs(self.W).sum(axis=1).max()) if self.W.nnz else 0.0
        a = abs(float(rho)) * r
        if a >= 1:
            return None
        K = 0
        while (K + 2) * a ** (K + 1) / (1 - a) ** 2 > tol:
            K += 1
            if K > max_terms:
                return None
        n, p = self.n, self.nsim
        k0 = self.k
        extend = K + 1 > k0                          # powers k0+1..K+1 are new
        bc = max(1, -(-p // 2)) if block_cols is None else max(1, int(block_cols))
        norms = np.empty(p)
        per = state = None
        try:
            if extend:
                per = np.empty((K + 1 - k0, p))
                if self.V is not self.X:
                    self.V = None                    # superseded by W^{K+1} X: free it first
                state = np.empty((n, p))
            self._sweep(rho, K, k0, bc, norms, per, state)
        except BaseException:
            if extend:                               # the old state was freed: start again
                self.V, self.k, self._per = self.X, 0, self._per[:1]
            raise
        if extend:
            self._per.extend(per)
            self.V, self.k = state, K + 1
        self.traces(K + 2)
        return norms, K + 2

    def _sweep(self, rho, K, k0, bc, norms, per, state):
        """The column-block loop of :meth:`g_norms` (fills ``norms``, ``per``, ``state``)."""
        p = self.nsim
        for c0 in range(0, p, bc):
            c1 = min(p, c0 + bc)
            Xc = np.ascontiguousarray(self.X[:, c0:c1])
            S = np.zeros_like(Xc)
            bufs = [None, None]                      # two buffers for the powers, reused
            V = Xc
            for k in range(K + 1):
                # W^{k+1} X, its inner products with the probes, S += rho^k W^{k+1} X
                V, dots = _mm_dot(self.W, V, Xc, out=bufs[k % 2], S=S, c=rho ** k)
                bufs[k % 2] = V
                if per is not None and k + 1 > k0:
                    per[k - k0, c0:c1] = dots
            norms[c0:c1] = np.einsum("ij,ij->j", S, S)
            if state is not None:
                state[:, c0:c1] = V
            del bufs, S, Xc, V

    @property
    def per_probe(self) -> np.ndarray:
        return np.array(self._per[: self.k + 1])

    def probe_traces(self, q: int) -> tuple[np.ndarray, np.ndarray]:
        """(:meth:`traces` up to ``q``, the per-probe estimates x_r′W^k x_r (q + 1 × p) with
        the exact orders k ≤ 2 in place of their probe values, so that series built from them
        carry no Monte Carlo spread from those orders)."""
        tr = self.traces(q)
        P = self.per_probe[: q + 1].copy()
        P[:3] = tr[:3, None]
        return tr, P

    def standard_errors(self, q: int) -> np.ndarray:
        """Monte Carlo standard errors of :meth:`traces` (q + 1,)."""
        self.traces(q)
        P = self.per_probe[: q + 1]
        se = P.std(axis=1, ddof=1) / np.sqrt(self.nsim) if self.nsim > 1 else \
            np.full(q + 1, np.inf)
        se[: min(q, 2) + 1] = 0.0
        return se


def _large_n_method(W) -> str:
    """``"auto"`` above LU_MAX_N: Chebyshev needs a real spectrum in [−1, 1] (row-standardised W
    with a symmetric neighbour pattern), Barry–Pace Monte Carlo a spectral radius ≤ 1
    (row-standardised); any other W (e.g. binary, spectral radius ≫ 1) gets exact sparse LU."""
    rs = np.asarray(W.sum(axis=1)).ravel()
    if not np.allclose(rs, 1.0):
        return "lu"
    P = (W != 0).astype(np.int8)
    sym = abs(P - P.T).nnz == 0
    return "chebyshev" if sym else "mc"


class LogDet:
    """ln|I − ρW| and its derivative for scalar ρ, with the method chosen by size.

    Parameters
    ----------
    W : scipy.sparse matrix or ndarray (n, n)
        Spatial weights, already aligned to the data (never dense for large n).
    method : {"auto", "eigen", "lu", "chebyshev", "mc"}
        ``"auto"``: eigen for n ≤ 2 000, LU for n ≤ 20 000; above, Chebyshev for a
        row-standardised W with a symmetric neighbour pattern, Monte Carlo for other
        row-standardised W and sparse LU otherwise (Chebyshev and Monte Carlo assume a
        spectrum in the unit disc).
    bounds : (float, float), optional
        Admissible interval of ρ.  Default: (1/ω_min, 1/ω_max) from the real parts of the
        extreme eigenvalues for ``"eigen"`` (as R ``spatialreg`` with ``method="eigen"``);
        otherwise the conservative (−1/r, 1/r), r the spectral radius (= 1 for
        row-standardised W), see :func:`spectral_bounds`: no eigen-solver is called for the
        non-eigen methods (ARPACK fails to converge on e.g. a 20 000-unit ring), r is bounded
        by Collatz–Wielandt power iteration, guaranteed admissible and quick at any n.
    order : int
        Chebyshev order q (default 20) or number of Monte Carlo powers m (default 30 → use
        ``order=...`` to change).
    nsim : int
        Random vectors for stochastic traces (Chebyshev at large n, Monte Carlo).
    seed : int
        Seed of the random vectors.

    Attributes
    ----------
    method : str
        Method actually used (``"eigen"``, ``"lu"``, ``"chebyshev"``, ``"mc"``).
    bounds : tuple of float
        Open interval of admissible ρ; estimators search inside it.
    bounds_method : str
        How ``bounds`` were obtained: ``"eigen: ..."`` (extreme eigenvalues),
        ``"row-standardised: (-1, 1)"``, the Collatz–Wielandt bound of
        :func:`spectral_radius_bound` (with its iteration count and gap), or ``"user"``.
    eigenvalues : ndarray or None
        Eigenvalues of W (``"eigen"`` only).
    n : int

    Examples
    --------
    >>> ld = LogDet(W)                       # doctest: +SKIP
    >>> ld(0.3), ld.deriv(0.3), ld.bounds, ld.method   # doctest: +SKIP
    """

    def __init__(self, W, method: str = "auto", bounds=None, order: int | None = None,
                 nsim: int = 30, seed: int = 0):
        W = _as_csr(W)
        self.W = W
        self.n = n = W.shape[0]
        if method == "auto":
            method = "eigen" if n <= EIGEN_MAX_N else ("lu" if n <= LU_MAX_N else _large_n_method(W))
        if method not in ("eigen", "lu", "chebyshev", "mc"):
            raise ValueError(f"unknown log-determinant method {method!r}; "
                             "use 'auto', 'eigen', 'lu', 'chebyshev' or 'mc'")
        self.method = method
        self.nsim = nsim
        self.seed = seed
        self.eigenvalues = None
        self._ident = sp.identity(n, format="csc")
        if method == "eigen":
            self.eigenvalues = eigenvalues(W)
        self.order = order if order is not None else (20 if method == "chebyshev" else 30)
        if bounds is None:
            bounds, self.bounds_method = self._default_bounds()
        else:
            self.bounds_method = "user"
        lo, hi = float(bounds[0]), float(bounds[1])
        if not lo < hi:
            raise ValueError(f"invalid rho bounds {bounds!r}")
        self.bounds = (lo, hi)
        if method == "chebyshev":
            self._cheb_setup()
        elif method == "mc":
            self._hutch = HutchinsonPowers(W, nsim, seed)
            self._traces = self._hutch.traces(self.order)   # = power_traces(W, order, "mc")
            self._hutch.release()            # error() needs only the per-probe traces

    # ------------------------------------------------------------------ bounds
    def _default_bounds(self):
        if self.eigenvalues is not None:
            er = np.real(self.eigenvalues)
            return (1.0 / er.min(), 1.0 / er.max()), "eigen: (1/min Re w, 1/max Re w)"
        return spectral_bounds(self.W, return_method=True)

    # ---------------------------------------------------------------- Chebyshev
    def _cheb_setup(self):
        # traces of T_j(W), j = 0..q, via the recurrence T_{j+1} = 2 W T_j − T_{j-1}
        q, n, W = self.order, self.n, self.W
        tr = np.empty(q + 1)
        ev = eigenvalues(W) if n <= EIGEN_MAX_N else None
        if ev is not None and not np.iscomplexobj(ev) and np.all(np.abs(ev) <= 1 + 1e-12):
            # tr(T_j(W)) = Σ_i T_j(ω_i) = Σ_i cos(j arccos ω_i)
            th = np.arccos(np.clip(ev, -1, 1))
            tr[:] = np.cos(np.arange(q + 1)[:, None] * th[None, :]).sum(axis=1)
        elif n <= EIGEN_MAX_N:
            D = W.toarray()
            T0, T1 = np.eye(n), D.copy()
            tr[0], tr[1] = n, np.trace(D)
            for j in range(2, q + 1):
                T0, T1 = T1, 2 * D @ T1 - T0
                tr[j] = np.trace(T1)
        else:
            X = _rademacher(n, self.nsim, self.seed)
            V0, V1 = X, _mm(W, X)
            tr[0] = n
            per = np.zeros((q + 1, self.nsim))
            per[1] = np.einsum("ij,ij->j", X, V1)
            tr[1] = float(np.mean(per[1]))
            for j in range(2, q + 1):
                V0, V1 = V1, 2 * _mm(W, V1) - V0
                per[j] = np.einsum("ij,ij->j", X, V1)
                tr[j] = float(np.mean(per[j]))
            per[:3] = 0.0          # orders 0-2 are replaced by exact values below
            self._cheb_per = per
            # exact low orders: T_1 = W, T_2 = 2W² − I
            tr[1] = float(W.diagonal().sum())
            if q >= 2:
                tr[2] = 2 * float(W.multiply(W.T).sum()) - n
        self._cheb_tr = tr
        # Chebyshev nodes for the function f(x) = ln(1 − ρ x), x ∈ [−1, 1]
        k = np.arange(1, q + 2)
        self._cheb_x = np.cos(np.pi * (k - 0.5) / (q + 1))

    def _cheb_coef(self, rho):
        q = self.order
        x = self._cheb_x
        f = np.log(1 - rho * x)
        j = np.arange(q + 1)[:, None]
        Tj = np.cos(j * np.arccos(x)[None, :])
        return 2.0 / (q + 1) * (Tj @ f)

    # ------------------------------------------------------------------- values
    def __call__(self, rho: float) -> float:
        """ln|I − ρW|."""
        rho = float(rho)
        m = self.method
        if m == "eigen":
            v = np.sum(np.log(1 - rho * self.eigenvalues))
            return float(np.real(v))
        if m == "lu":
            A = (self._ident - rho * self.W).tocsc()
            lu = spla.splu(A, permc_spec="COLAMD")
            d = lu.U.diagonal()
            return float(np.sum(np.log(np.abs(d))))
        if m == "chebyshev":
            c = self._cheb_coef(rho)
            return float(c @ self._cheb_tr - 0.5 * c[0] * self.n)
        # mc
        k = np.arange(1, self.order + 1)
        return float(-np.sum(rho ** k * self._traces[1:] / k))

    def deriv(self, rho: float) -> float:
        """d/dρ ln|I − ρW| = −tr((I − ρW)^{-1} W).

        Exact for ``"eigen"`` (−Σ ω_i / (1 − ρ ω_i)); for ``"mc"`` and ``"chebyshev"`` the
        derivative of the approximation; for ``"lu"`` a central difference of the exact
        values (step 1e-6).
        """
        rho = float(rho)
        m = self.method
        if m == "eigen":
            ev = self.eigenvalues
            return float(np.real(-np.sum(ev / (1 - rho * ev))))
        if m == "mc":
            k = np.arange(1, self.order + 1)
            return float(-np.sum(rho ** (k - 1) * self._traces[1:]))
        h = 1e-6
        return (self(rho + h) - self(rho - h)) / (2 * h)

    def error(self, rho: float) -> dict:
        """Stated error of ``self(rho)``: a deterministic truncation bound and the Monte Carlo
        standard error of the stochastic traces.

        Returns ``{"truncation_bound": b, "mc_se": s}`` with ``|ln|I − ρW| − self(rho)| ≤ b``
        up to the Monte Carlo error, which is approximately normal with sd ``s``
        (``mc_se = sd_r(estimate from probe r) / √p``).  Both are 0 for ``"eigen"``/``"lu"``.

        ``"mc"`` (Barry & Pace 1999), for spectral radius ≤ 1 (|tr(W^k)| ≤ n):
        b = n |ρ|^{m+1} / ((m + 1)(1 − |ρ|)), m = ``order``.
        ``"chebyshev"`` (Pace & LeSage 2004), W with real spectrum in [−1, 1]: the Chebyshev
        series ln(1 − ρx) = ln((1 + √(1 − ρ²))/2) − 2 Σ_j a^j T_j(x)/j, a = ρ/(1 + √(1 − ρ²)),
        has tail Σ_{j>q} 2|a|^j/j; interpolation at q + 1 nodes at most doubles it, so
        b = 4 n |a|^{q+1} / ((q + 1)(1 − |a|)).
        """
        rho = float(rho)
        m = self.method
        if m in ("eigen", "lu"):
            return {"truncation_bound": 0.0, "mc_se": 0.0}
        n, q = self.n, self.order
        r = abs(rho)
        if m == "mc":
            b = np.inf if r >= 1 else n * r ** (q + 1) / ((q + 1) * (1 - r))
            hp = self._hutch
            k = np.arange(1, q + 1)
            P = hp.per_probe[1: q + 1].copy()
            P[:2] = 0.0                      # tr(W), tr(W^2) exact
            est = -(rho ** k / k) @ P        # per probe, stochastic part
            se = float(np.std(est, ddof=1) / np.sqrt(hp.nsim)) if hp.nsim > 1 else np.inf
            return {"truncation_bound": float(b), "mc_se": se}
        a = r / (1 + np.sqrt(max(0.0, 1 - rho * rho)))
        b = np.inf if a >= 1 else 4 * n * a ** (q + 1) / ((q + 1) * (1 - a))
        per = getattr(self, "_cheb_per", None)
        if per is None:
            se = 0.0
        else:
            c = self._cheb_coef(rho)
            est = c @ per
            se = float(np.std(est, ddof=1) / np.sqrt(per.shape[1])) if per.shape[1] > 1 else np.inf
        return {"truncation_bound": float(b), "mc_se": se}

    def __repr__(self):
        return (f"LogDet(n={self.n}, method={self.method!r}, bounds=({self.bounds[0]:.4g}, "
                f"{self.bounds[1]:.4g}), bounds_method={self.bounds_method!r})")


def ainv_solver(W, rho: float):
    """Return ``solve(V, transpose=False)`` computing (I − ρW)^{-1} V (or (I − ρW)^{-T} V).

    One sparse LU factorisation (SuperLU, COLAMD ordering), solved column by
    column (faster than SuperLU's multi-right-hand-side solve).  No dense n × n matrix.
    """
    W = _as_csr(W)
    n = W.shape[0]
    lu = spla.splu((sp.identity(n, format="csc") - rho * W).tocsc(), permc_spec="COLAMD")

    def solve(V, transpose=False):
        V = np.asarray(V, dtype=float)
        t = "T" if transpose else "N"
        if V.ndim == 1:
            return lu.solve(V, trans=t)
        return np.column_stack([lu.solve(np.ascontiguousarray(V[:, j]), trans=t)
                                for j in range(V.shape[1])])
    return solve


@dataclass(frozen=True)
class SpatialTraces:
    """Traces of G = W (I − ρW)^{-1} entering the information matrix.

    Attributes
    ----------
    trG : float
        tr(G).
    trGG : float
        tr(G G).
    trGtG : float
        tr(G′G).
    method : str
        ``"exact"`` or ``"mc"`` (Hutchinson with ``nsim`` Rademacher vectors).
    se : tuple of float
        Monte Carlo standard errors of (trG, trGG, trGtG); zeros when exact.
    """

    trG: float
    trGG: float
    trGtG: float
    method: str
    se: tuple = (0.0, 0.0, 0.0)


def series_spatial_traces(hp: "HutchinsonPowers", rho: float, tol: float = 1e-10):
    """tr(G), tr(GG), tr(G′G), G = W (I − ρW)^{-1}, from one Hutchinson probe sweep.

    No LU factorisation (for n where sparse LU is slow or its fill-in too large):
    tr(G) = Σ_k ρ^k tr(W^{k+1}), tr(GG) = Σ_k (k + 1) ρ^k tr(W^{k+2}) with the traces of
    ``hp`` (k ≤ 2 exact, the others Hutchinson), tr(G′G) ≈ mean_r ‖G x_r‖² from
    :meth:`HutchinsonPowers.g_norms`.  Truncation error below ``tol`` · n (|ρ| ‖W‖_∞ < 1);
    Monte Carlo standard errors in ``se``.  Returns None when the series does not apply
    (|ρ| ‖W‖_∞ ≥ 1 or too many terms); callers then use :func:`spatial_traces`.
    """
    out = hp.g_norms(rho, tol)
    if out is None:
        return None
    gnorm, q = out
    K = q - 2
    tr, P = hp.probe_traces(q)              # exact orders k <= 2: no Monte Carlo spread
    k = np.arange(K + 1)
    c0 = rho ** k                           # coefficients of tr(W^{k+1})
    c1 = (k + 1) * rho ** k                 # coefficients of tr(W^{k+2})
    per = [c0 @ P[1:K + 2], c1 @ P[2:K + 3], gnorm]
    trG, trGG = float(c0 @ tr[1:K + 2]), float(c1 @ tr[2:K + 3])
    trGtG = float(np.mean(per[2]))
    p = hp.nsim
    se = tuple(float(np.std(v, ddof=1) / np.sqrt(p)) if p > 1 else np.inf for v in per)
    return SpatialTraces(trG, trGG, trGtG, "mc-series", se)


def neumann_solve(W, rho: float, V, transpose: bool = False, tol: float = 1e-12,
                  max_terms: int = 10000):
    """(I − ρW)^{-1} V (or (I − ρW)^{-T} V) by the Neumann series Σ (ρW)^k V, no factorisation.

    Iterates until the last term is below ``tol`` · ‖x‖_∞ for three consecutive terms, then
    checks the residual ‖(I − ρW)x − V‖_∞ ≤ 1e3 · tol · ‖V‖_∞ (geometric convergence at rate
    |ρ| × spectral radius); returns None when it fails, so the caller can fall back to LU.
    """
    W = _as_csr(W)
    M = W.T.tocsr() if transpose else W
    V = np.asarray(V, dtype=float)
    X = V.copy()
    term = V
    small = 0
    for _ in range(max_terms):
        term = rho * _mm(M, term)
        X = X + term
        if np.max(np.abs(term)) <= tol * max(np.max(np.abs(X)), 1e-300):
            small += 1
            if small >= 3:
                break
        else:
            small = 0
    else:
        return None
    R = X - rho * _mm(M, X) - V
    if np.max(np.abs(R)) > 1e3 * tol * max(np.max(np.abs(V)), 1e-300):
        return None
    return X


def spatial_traces(W, rho: float, method: str = "auto", eigenvalues=None,
                   nsim: int = 100, seed: int = 0, solve=None) -> SpatialTraces:
    """tr(G), tr(GG), tr(G′G) for G = W (I − ρW)^{-1}.

    Parameters
    ----------
    W : sparse (n, n)
    rho : float
    method : {"auto", "exact", "mc"}
        ``"exact"``: dense G (n ≤ 2 000; ``"auto"`` picks it there).
        ``"mc"``: (I − ρW)^{-1} applied by :func:`ainv_solver` (sparse LU), then
        Hutchinson estimates with Rademacher x:
        tr(G) ≈ mean x′Gx, tr(GG) ≈ mean (G′x)′(Gx), tr(G′G) ≈ mean ‖Gx‖²; no dense
        n × n matrix is formed.
    eigenvalues : ndarray, optional
        Eigenvalues of W: if given, tr(G) = Σ ω/(1−ρω) and tr(GG) = Σ ω²/(1−ρω)² exactly.
    nsim, seed : Monte Carlo settings.
    solve : callable, optional
        ``"mc"``: an :func:`ainv_solver` of (I − ρW) already factorised by the caller (one
        LU per ρ shared with the estimator's other solves).

    Error statement: each Hutchinson estimate is the mean of ``nsim`` per-probe values; its
    Monte Carlo standard error (sd / √nsim) is returned in ``se`` (zeros when exact).
    """
    W = _as_csr(W)
    n = W.shape[0]
    if method == "auto":
        method = "exact" if n <= EIGEN_MAX_N else "mc"
    if method == "exact":
        D = W.toarray()
        G = np.linalg.solve((np.eye(n) - rho * D).T, D.T).T  # G = W A^{-1}
        trG = np.trace(G)
        trGG = np.sum(G * G.T)
        trGtG = np.sum(G * G)
        if eigenvalues is not None:
            ev = np.asarray(eigenvalues)
            trG = float(np.real(np.sum(ev / (1 - rho * ev))))
            trGG = float(np.real(np.sum((ev / (1 - rho * ev)) ** 2)))
        return SpatialTraces(float(trG), float(trGG), float(trGtG), "exact")
    if method == "mc":
        if solve is None:
            solve = ainv_solver(W, rho)
        X = _rademacher(n, nsim, seed)
        GX = _mm(W, solve(X))                                 # G x = W A^{-1} x
        GtX = solve(_mm(W.T.tocsr(), X), transpose=True)     # G' x = A^{-T} W' x
        per = [np.einsum("ij,ij->j", X, GX), np.einsum("ij,ij->j", GtX, GX),
               np.einsum("ij,ij->j", GX, GX)]
        trG, trGG, trGtG = (float(np.mean(v)) for v in per)
        se = tuple(float(np.std(v, ddof=1) / np.sqrt(nsim)) if nsim > 1 else np.inf
                   for v in per)
        return SpatialTraces(trG, trGG, trGtG, "mc", se)
    raise ValueError(f"unknown trace method {method!r}; use 'auto', 'exact' or 'mc'")
