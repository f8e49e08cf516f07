"""Kernels for global and local spatial autocorrelation (numpy/scipy; numba optional).

Pure array code: CSR weights and float vectors in, arrays out.  No pandas, no
plotting.  Random draws are made here from a ``numpy.random.Generator`` that the
caller creates from an explicit seed, so every result is reproducible.

Conditional permutation follows Anselin (1995) and esda's ``crand`` idea: one
matrix of ``permutations x max_k`` draws without replacement from ``n - 1``
positions is shared by all units; for unit ``i`` the position ``r >= i`` is read
as ``r + 1`` so that ``i`` is never its own neighbour.  Small problems use a
vectorised numpy path (no compilation); large ones use a numba kernel compiled
with ``cache=True`` (compiled once per machine, not once per process).  Without
numba the numpy path is used for every size.

Numba's on-disk cache is written to a **user cache directory**, never inside the
installed package (``site-packages``): ``$NUMBA_CACHE_DIR`` if the user set it, else
``$XDG_CACHE_HOME/spatialnqpf/numba`` (default ``~/.cache/spatialnqpf/numba``;
``%LOCALAPPDATA%\\spatialnqpf\\numba`` on Windows).  If that folder cannot be
created the kernels are compiled with ``cache=False`` (once per process).  See
:func:`numba_cache_dir`.

References
----------
Cliff, A. D. and Ord, J. K. (1981). *Spatial Processes: Models and Applications*. Pion.
Anselin, L. (1995). Local indicators of spatial association - LISA.
*Geographical Analysis* 27(2), 93-115.
Getis, A. and Ord, J. K. (1992). The analysis of spatial association by use of
distance statistics. *Geographical Analysis* 24(3), 189-206.
Sokal, R. R., Oden, N. L. and Thomson, B. A. (1998). Local spatial
autocorrelation in a biological model. *Geographical Analysis* 30(4), 331-354.
Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate.
*JRSS B* 57(1), 289-300.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from scipy import stats

__all__ = [
    "weight_constants", "moran_global", "geary_global", "getis_ord_global",
    "permute_global", "local_moran", "neighbour_draws", "conditional_permutation",
    "pvalues_from_counts", "bh_adjust", "residual_moran", "NUMBA_THRESHOLD",
]

#: work size (n * permutations * mean cardinality) above which the numba kernel is used
NUMBA_THRESHOLD = 2e8
#: estimated work of a whole multi-year call above which callers should prefer numba
NUMBA_TOTAL_THRESHOLD = 2e7
#: work of one call above which the threaded numba kernel is used (serial below)
PARALLEL_THRESHOLD = 5e7
#: simulated and observed statistics closer than this (relative) are ties, counted on both sides
TIE_RTOL = 1e-10


# --------------------------------------------------------------------------- constants
def weight_constants(W: sp.csr_matrix) -> dict:
    """S0, S1, S2 of Cliff and Ord (1981), row sums and islands of a CSR matrix.

    S0 = sum_ij w_ij;  S1 = 1/2 sum_ij (w_ij + w_ji)^2;  S2 = sum_i (w_i. + w_.i)^2.
    """
    W = sp.csr_matrix(W, dtype=float)
    n = W.shape[0]
    rows = np.asarray(W.sum(axis=1)).ravel()
    cols = np.asarray(W.sum(axis=0)).ravel()
    sym = W + W.T
    S0 = float(W.sum())
    S1 = 0.5 * float(sym.multiply(sym).sum())
    S2 = float(((rows + cols) ** 2).sum())
    card = np.diff(W.indptr)
    islands = np.flatnonzero(rows == 0)
    return dict(n=n, S0=S0, S1=S1, S2=S2, rows=rows, cols=cols, card=card, islands=islands,
                sq_rows=np.asarray(W.multiply(W).sum(axis=1)).ravel())


def _p_norm(z: np.ndarray | float, alternative: str):
    z = np.asarray(z, dtype=float)
    if alternative == "two-sided":
        return 2.0 * stats.norm.sf(np.abs(z))
    if alternative == "greater":
        return stats.norm.sf(z)
    if alternative == "less":
        return stats.norm.cdf(z)
    raise ValueError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")


def _kurtosis_K(z: np.ndarray) -> float:
    s2 = float(z @ z)
    return z.size * float((z ** 4).sum()) / (s2 * s2)


# --------------------------------------------------------------------------- global statistics
def moran_global(x: np.ndarray, W: sp.csr_matrix, c: dict | None = None,
                 alternative: str = "two-sided") -> dict:
    """Global Moran's I with moments under normality and randomisation.

    I = (n / S0) z'Wz / z'z with z = x - mean(x); E[I] = -1/(n-1);
    Var_N = (n^2 S1 - n S2 + 3 S0^2) / (S0^2 (n^2 - 1)) - E[I]^2;
    Var_R = [n((n^2 - 3n + 3) S1 - n S2 + 3 S0^2) - K((n^2 - n) S1 - 2n S2 + 6 S0^2)]
    / ((n-1)(n-2)(n-3) S0^2) - E[I]^2, with K = n sum z^4 / (sum z^2)^2 (Cliff & Ord 1981).
    """
    c = c or weight_constants(W)
    n, S0, S1, S2 = c["n"], c["S0"], c["S1"], c["S2"]
    z = x - x.mean()
    zz = float(z @ z)
    stat = n / S0 * float(z @ (W @ z)) / zz
    EI = -1.0 / (n - 1)
    S02 = S0 * S0
    v_norm = (n * n * S1 - n * S2 + 3 * S02) / (S02 * (n * n - 1)) - EI * EI
    K = _kurtosis_K(z)
    v_rand = (n * ((n * n - 3 * n + 3) * S1 - n * S2 + 3 * S02)
              - K * ((n * n - n) * S1 - 2 * n * S2 + 6 * S02)) / ((n - 1) * (n - 2) * (n - 3) * S02) - EI * EI
    return _pack(stat, EI, v_norm, v_rand, alternative)


def geary_global(x: np.ndarray, W: sp.csr_matrix, c: dict | None = None,
                 alternative: str = "two-sided") -> dict:
    """Geary's C with moments under normality and randomisation (Cliff & Ord 1981).

    C = (n-1) sum_ij w_ij (x_i - x_j)^2 / (2 S0 sum z^2); E[C] = 1;
    Var_N = ((2 S1 + S2)(n-1) - 4 S0^2) / (2 (n+1) S0^2);
    Var_R = [(n-1) S1 (n^2 - 3n + 3 - K(n-1)) - (n-1) S2 (n^2 + 3n - 6 - K(n^2 - n + 2)) / 4
    + S0^2 (n^2 - 3 - K(n-1)^2)] / (n (n-2)(n-3) S0^2).
    The z-value is (C - E[C]) / sd (spdep's ``geary.test`` prints the opposite sign).
    """
    c = c or weight_constants(W)
    n, S0, S1, S2 = c["n"], c["S0"], c["S1"], c["S2"]
    z = x - x.mean()
    zz = float(z @ z)
    num = float(((c["rows"] + c["cols"]) * z * z).sum() - 2.0 * z @ (W @ z))
    stat = (n - 1) * num / (2.0 * S0 * zz)
    S02 = S0 * S0
    K = _kurtosis_K(z)
    v_norm = ((2 * S1 + S2) * (n - 1) - 4 * S02) / (2 * (n + 1) * S02)
    n1, nn = n - 1, n * n
    v_rand = (n1 * S1 * (nn - 3 * n + 3 - K * n1)
              - 0.25 * (n1 * S2 * (nn + 3 * n - 6 - K * (nn - n + 2)))
              + S02 * (nn - 3 - K * n1 * n1)) / (n * (n - 2) * (n - 3) * S02)
    return _pack(stat, 1.0, v_norm, v_rand, alternative)


def getis_ord_global(x: np.ndarray, W: sp.csr_matrix, c: dict | None = None,
                     alternative: str = "two-sided") -> dict:
    """Getis and Ord's global G with its moments under randomisation.

    G = sum_{i!=j} w_ij x_i x_j / sum_{i!=j} x_i x_j; E[G] = S0 / (n(n-1)); the variance is
    Getis & Ord (1992) eq. 12 with the corrected B1 coefficient (spdep ``B1correct=TRUE``).
    Normality moments are not defined for G; the ``norm`` entries are NaN.
    """
    c = c or weight_constants(W)
    n, S0, S1, S2 = c["n"], c["S0"], c["S1"], c["S2"]
    sx, sx2, sx3, sx4 = x.sum(), (x ** 2).sum(), (x ** 3).sum(), (x ** 4).sum()
    stat = float(x @ (W @ x)) / (sx * sx - sx2)
    EG = S0 / (n * (n - 1))
    nn, S02 = n * n, S0 * S0
    B0 = (nn - 3 * n + 3) * S1 - n * S2 + 3 * S02
    B1 = -((nn - n) * S1 - 2 * n * S2 + 6 * S02)
    B2 = -(2 * n * S1 - (n + 3) * S2 + 6 * S02)
    B3 = 4 * (n - 1) * S1 - 2 * (n + 1) * S2 + 8 * S02
    B4 = S1 - S2 + S02
    v = ((B0 * sx2 ** 2 + B1 * sx4 + B2 * sx * sx * sx2 + B3 * sx * sx3 + B4 * sx ** 4)
         / ((sx * sx - sx2) ** 2 * n * (n - 1) * (n - 2) * (n - 3))) - EG * EG
    return _pack(stat, EG, np.nan, v, alternative)


def _pack(stat, expect, v_norm, v_rand, alternative):
    out = dict(stat=float(stat), expect=float(expect))
    for tag, v in (("norm", v_norm), ("rand", v_rand)):
        sd = math.sqrt(v) if np.isfinite(v) and v > 0 else np.nan
        zv = (stat - expect) / sd if np.isfinite(sd) else np.nan
        out[f"var_{tag}"] = float(v)
        out[f"sd_{tag}"] = sd
        out[f"z_{tag}"] = zv
        out[f"p_{tag}"] = float(_p_norm(zv, alternative)) if np.isfinite(zv) else np.nan
    return out


def permute_global(kind: str, x: np.ndarray, W: sp.csr_matrix, permutations: int,
                   rng: np.random.Generator, c: dict | None = None,
                   chunk_elems: int = 4_000_000, engine: str = "auto") -> np.ndarray:
    """Statistic of ``kind`` ("moran", "geary", "getis_ord") for random permutations of ``x``.

    Only the numerator (a quadratic form) changes under permutation.  Permutation ``r`` is
    ``rng.shuffle`` of a copy of the values, the stream of ``rng.permutation`` (and of
    ``rng.permuted`` along rows); both engines draw exactly the same permutations.

    ``engine="numpy"`` evaluates a block of permutations at once as ``W @ Zp.T``, in
    blocks of at most ``chunk_elems`` numbers.  ``engine="numba"`` (chosen by "auto" when
    ``n * permutations * mean cardinality`` exceeds :data:`NUMBA_THRESHOLD` and numba is
    installed) stores a block of up to 32 permutations unit-major, so that the neighbour
    values of all permutations of the block come in one memory access, and evaluates the
    block in a second thread while the next block is drawn.  The two engines agree to
    rounding (relative differences of order 1e-12 from the order of summation).
    Returns an array of ``permutations`` statistics.
    """
    c = c or weight_constants(W)
    n, S0 = c["n"], c["S0"]
    if kind == "getis_ord":
        v = np.asarray(x, dtype=float)
        scale = 1.0 / (v.sum() ** 2 - (v ** 2).sum())
    else:
        v = x - x.mean()
        zz = float(v @ v)
        scale = n / S0 / zz if kind == "moran" else (n - 1) / (2.0 * S0 * zz)
    rc = c["rows"] + c["cols"]
    if engine not in ("auto", "numpy", "numba"):
        raise ValueError(f"engine must be 'auto', 'numpy' or 'numba', got {engine!r}")
    if engine == "auto":
        engine = "numba" if permutations * W.nnz > NUMBA_THRESHOLD else "numpy"
    kern = _get_quad_kernel() if engine == "numba" else False
    if kern:
        quad, sq = _permute_quad_numba(kern, v, W, rc, permutations, rng, kind == "geary")
        return scale * (sq - 2.0 * quad) if kind == "geary" else scale * quad
    out = np.empty(permutations)
    block = max(1, chunk_elems // max(n, 1))
    done = 0
    while done < permutations:
        m = min(block, permutations - done)
        Zp = _draw_rows(v, m, rng)                                    # m x n
        quad = _quad_rows(Zp, W)
        if kind == "geary":
            out[done:done + m] = scale * ((Zp * Zp) @ rc - 2.0 * quad)
        else:
            out[done:done + m] = scale * quad
        done += m
    return out


def _draw_rows(v: np.ndarray, m: int, rng: np.random.Generator, out=None) -> np.ndarray:
    """``m`` permutations of ``v`` as the rows of an ``m x n`` array: row ``r`` is
    ``rng.shuffle`` of a copy of ``v`` (the stream of ``rng.permuted`` along rows, and
    about twice as fast as it at n = 10^6)."""
    Zp = np.empty((m, v.size)) if out is None else out
    for r in range(m):
        Zp[r] = v
        rng.shuffle(Zp[r])
    return Zp


#: bytes of one block of permutations in the numba path of permute_global
_QUAD_BLOCK_BYTES = 1 << 28


def _permute_quad_numba(kern, v, W, rc, permutations, rng, want_sq):
    """Quadratic forms z_r' W z_r (and sum_i z_ri^2 rc_i) of ``permutations`` permutations.

    Blocks of ``m`` permutations are drawn by numpy in this thread into one of two buffers
    while the compiled kernel (which releases the GIL) evaluates the other buffer in a worker
    thread; the draws stay in ``rng``'s order, so the numbers do not depend on the timing.
    """
    from concurrent.futures import ThreadPoolExecutor
    n = v.size
    m = int(max(1, min(32, permutations, _QUAD_BLOCK_BYTES // (8 * max(n, 1)))))
    indptr = W.indptr.astype(np.int64)
    indices = W.indices.astype(np.int64)
    data = np.ascontiguousarray(W.data, dtype=float)
    rc = np.ascontiguousarray(rc, dtype=float)
    bufs = (np.empty((m, n)), np.empty((m, n)))
    scratch = np.empty((n, m))          # one kernel runs at a time
    quad = np.empty(permutations)
    sq = np.empty(permutations)

    def evaluate(b, cnt, start):
        q, s = kern(bufs[b], cnt, scratch, indptr, indices, data, rc, want_sq)
        quad[start:start + cnt] = q
        sq[start:start + cnt] = s

    with ThreadPoolExecutor(max_workers=1) as ex:
        pending = None
        done, b = 0, 0
        while done < permutations:
            cnt = min(m, permutations - done)
            _draw_rows(v, cnt, rng, out=bufs[b][:cnt])
            if pending is not None:
                pending.result()
            pending = ex.submit(evaluate, b, cnt, done)
            done += cnt
            b ^= 1
        if pending is not None:
            pending.result()
    return quad, sq


def _quad_block(buf, cnt, Zt, indptr, indices, data, rc, want_sq):
    """Compiled by numba: quadratic forms of the first ``cnt`` rows of ``buf`` (m x n).

    The rows are first copied unit-major into ``Zt`` (n x m), so that the values of
    neighbour j in all ``cnt`` permutations are adjacent in memory.
    """
    n = buf.shape[1]
    for i0 in range(0, n, 256):
        i1 = min(n, i0 + 256)
        for r in range(cnt):
            for i in range(i0, i1):
                Zt[i, r] = buf[r, i]
    q = np.zeros(cnt)
    s = np.zeros(cnt)
    tmp = np.empty(cnt)
    for i in range(n):
        for r in range(cnt):
            tmp[r] = 0.0
        for kk in range(indptr[i], indptr[i + 1]):
            j = indices[kk]
            w = data[kk]
            for r in range(cnt):
                tmp[r] += w * Zt[j, r]
        for r in range(cnt):
            zi = Zt[i, r]
            q[r] += zi * tmp[r]
        if want_sq:
            ri = rc[i]
            for r in range(cnt):
                zi = Zt[i, r]
                s[r] += zi * zi * ri
    return q, s


def _get_quad_kernel():
    """The compiled :func:`_quad_block` (cached on disk), or ``False`` without numba."""
    if "quad" not in _NUMBA:
        try:
            import numba  # noqa: F401
        except ImportError:  # pragma: no cover - numba is optional
            _NUMBA["quad"] = False
        else:
            _NUMBA["quad"] = _njit(_quad_block, nogil=True)
    return _NUMBA["quad"]


def _quad_rows(Zp: np.ndarray, W: sp.csr_matrix) -> np.ndarray:
    """Row-wise quadratic forms z_r' W z_r for the rows z_r of ``Zp``."""
    Wz = np.asarray(W @ Zp.T).T          # row r = (W z_r)'
    return np.einsum("ij,ij->i", Zp, Wz)


# --------------------------------------------------------------------------- local Moran
def local_moran(zfocal: np.ndarray, W: sp.csr_matrix, zlag: np.ndarray | None = None,
                c: dict | None = None) -> dict:
    """Local Moran I_i = (z_i / m2) sum_j w_ij z_j with m2 = sum z^2 / n (spdep ``mlvar=TRUE``).

    ``zfocal`` and ``zlag`` are centred values; ``zlag=None`` is the univariate statistic.
    The bivariate form is I_i = z_i (W y)_i / sqrt(m2_z m2_y).  Analytic moments for the
    univariate case:

    * conditional randomisation (Sokal et al. 1998; spdep ``conditional=TRUE``):
      E_i = -z_i^2 W_i / ((n-1) m2),
      V_i = (z_i/m2)^2 n/(n-2) (W_i2 - W_i^2/(n-1)) (m2 - z_i^2/(n-1));
    * total randomisation (Anselin 1995): E_i = -W_i/(n-1),
      V_i = A W_i2 + B (W_i^2 - W_i2) - E_i^2 with b2 = m4/m2^2,
      A = (n - b2)/(n-1), B = (2 b2 - n)/((n-1)(n-2)),

    where W_i = sum_j w_ij and W_i2 = sum_j w_ij^2.
    """
    c = c or weight_constants(W)
    n = c["n"]
    univariate = zlag is None
    zlag = zfocal if univariate else zlag
    m2f = float(zfocal @ zfocal) / n
    m2l = float(zlag @ zlag) / n
    lag = W @ zlag
    Ii = zfocal * lag / math.sqrt(m2f * m2l)
    out = dict(Ii=Ii, lag=lag)
    if univariate:
        z, m2 = zfocal, m2f
        Wi, Wi2 = c["rows"], c["sq_rows"]
        out["E_cond"] = -(z * z * Wi) / ((n - 1) * m2)
        out["V_cond"] = (z / m2) ** 2 * (n / (n - 2)) * (Wi2 - Wi * Wi / (n - 1)) * (m2 - z * z / (n - 1))
        b2 = float((z ** 4).sum()) / n / (m2 * m2)
        A = (n - b2) / (n - 1)
        B = (2 * b2 - n) / ((n - 1) * (n - 2))
        out["E_total"] = -Wi / (n - 1)
        out["V_total"] = A * Wi2 + B * (Wi * Wi - Wi2) - out["E_total"] ** 2
    return out


def neighbour_draws(n: int, max_k: int, permutations: int, rng: np.random.Generator) -> np.ndarray:
    """``permutations x max_k`` int array; each row is a sample without replacement of ``0..n-2``."""
    m = n - 1
    if max_k <= 0:
        return np.zeros((permutations, 0), dtype=np.int64)
    if max_k > m:
        raise ValueError(f"a unit has {max_k} neighbours but only {m} other units exist")
    if m <= 64 or max_k * 4 > m:
        # exact: first max_k entries of independent random permutations (argsort of uniforms)
        out = np.empty((permutations, max_k), dtype=np.int64)
        block = max(1, 2_000_000 // m)
        for s in range(0, permutations, block):
            e = min(permutations, s + block)
            u = rng.random((e - s, m))
            out[s:e] = np.argpartition(u, max_k - 1, axis=1)[:, :max_k] if max_k < m else np.argsort(u, axis=1)
            # argpartition leaves the first max_k in arbitrary order: order is irrelevant for
            # a sample without replacement, but shuffle positions so weights are paired randomly
            if max_k < m:
                out[s:e] = rng.permuted(out[s:e], axis=1)
        return out
    # large m: draw with replacement and redraw the rows that contain a duplicate
    out = rng.integers(0, m, size=(permutations, max_k), dtype=np.int64)
    while True:
        srt = np.sort(out, axis=1)
        bad = np.flatnonzero((srt[:, 1:] == srt[:, :-1]).any(axis=1))
        if bad.size == 0:
            return out
        out[bad] = rng.integers(0, m, size=(bad.size, max_k), dtype=np.int64)


def _crand_numpy(zlag, indptr, data, rids, lag_obs, sign):
    zmax = float(np.abs(zlag).max()) if zlag.size else 0.0
    n = lag_obs.size
    ge = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    for i in range(n):
        a, b = indptr[i], indptr[i + 1]
        k = b - a
        if k == 0:
            continue
        idx = rids[:, :k]
        idx = idx + (idx >= i)
        sims = zlag[idx] @ data[a:b]                     # permuted lags, length P
        sims *= sign[i]
        obs = lag_obs[i] * sign[i]
        tol = TIE_RTOL * zmax * np.abs(data[a:b]).sum()   # equal sums in another order = tie
        ge[i] = np.count_nonzero(sims >= obs - tol)
        le[i] = np.count_nonzero(sims <= obs + tol)
        s1[i] = sims.sum()
        s2[i] = sims @ sims
    return ge, le, s1, s2


_NUMBA = {}


def numba_cache_dir():
    """Folder of numba's on-disk cache for the package's kernels (a user cache directory).

    ``$NUMBA_CACHE_DIR`` when set; otherwise ``$XDG_CACHE_HOME/spatialnqpf/numba``
    (``~/.cache/spatialnqpf/numba``; ``%LOCALAPPDATA%/spatialnqpf/numba`` on Windows).
    Returns None when the folder cannot be created (the kernels then use ``cache=False``).
    Never the package folder: an installed package must not write into site-packages.
    """
    import os
    from pathlib import Path
    env = os.environ.get("NUMBA_CACHE_DIR")
    if env:
        path = Path(env)
    elif os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        path = Path(os.environ["LOCALAPPDATA"]) / "spatialnqpf" / "numba"
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "spatialnqpf" / "numba"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path


def _njit(fn, **options):
    """``numba.njit(**options)(fn)`` with the on-disk cache in :func:`numba_cache_dir`.

    numba picks the cache location when a function is decorated (from
    ``numba.config.CACHE_DIR``); the setting is changed only for the duration of the
    decoration, so other numba code of the user's process is unaffected.
    """
    import numba
    from numba.core import config as ncfg
    cache_dir = numba_cache_dir()
    if cache_dir is None:
        return numba.njit(cache=False, **options)(fn)
    old = ncfg.CACHE_DIR
    ncfg.CACHE_DIR = str(cache_dir)
    try:
        return numba.njit(cache=True, **options)(fn)
    finally:
        ncfg.CACHE_DIR = old


_crand_range_jit = None  # set to the compiled _crand_range before _crand_parallel is compiled


def _crand_range(zlag, indptr, data, rids, lag_obs, sign, zmax, lo, hi, ge, le, s1, s2):
    """Conditional permutation for units lo..hi-1 (compiled by numba, never run by Python)."""
    P = rids.shape[0]
    for i in range(lo, hi):
        a = indptr[i]
        k = indptr[i + 1] - a
        if k == 0:
            continue
        sg = sign[i]
        obs = lag_obs[i] * sg
        wabs = 0.0
        for m in range(k):
            wabs += abs(data[a + m])
        tol = 1e-10 * zmax * wabs       # TIE_RTOL
        hi_ = obs - tol
        lo_ = obs + tol
        w = data[a:a + k] * sg          # exact: sg is +1 or -1
        g = 0
        l_ = 0
        t1 = 0.0
        t2 = 0.0
        for p in range(P):
            s = 0.0
            for m in range(k):
                r = rids[p, m]
                r += r >= i             # branch-free skip of unit i itself
                s += w[m] * zlag[r]
            g += s >= hi_
            l_ += s <= lo_
            t1 += s
            t2 += s * s
        ge[i] = g
        le[i] = l_
        s1[i] = t1
        s2[i] = t2


def _crand_parallel(zlag, indptr, data, rids, lag_obs, sign, zmax, ge, le, s1, s2, nchunks):
    """Chunks of units in parallel threads, each running _crand_range (compiled by numba)."""
    n = lag_obs.size
    step = (n + nchunks - 1) // nchunks
    for c in _prange(nchunks):
        lo = c * step
        hi = min(n, lo + step)
        _crand_range_jit(zlag, indptr, data, rids, lag_obs, sign, zmax, lo, hi, ge, le, s1, s2)


_prange = range  # replaced by numba.prange before _crand_parallel is compiled


def _get_numba_kernel(parallel: bool = True):
    """Compile, or load from numba's on-disk cache, the serial or the threaded kernel.

    Returns a function with the signature of :func:`_crand_numpy`, or ``False`` without numba.
    The serial kernel compiles in about half the time of the threaded one, so moderate work
    (e.g. a provincial panel) uses it; both are cached on disk in :func:`numba_cache_dir`
    (a user cache directory, never site-packages).
    """
    global _crand_range_jit, _prange
    key = "parallel" if parallel else "serial"
    if key in _NUMBA:
        return _NUMBA[key]
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is optional
        _NUMBA[key] = False
        return False
    if _crand_range_jit is None:
        _crand_range_jit = _njit(_crand_range, nogil=True)
    rng_kernel = _crand_range_jit

    def _alloc(lag_obs):
        n = lag_obs.size
        return (np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.zeros(n), np.zeros(n))

    if parallel:
        _prange = numba.prange
        par = _njit(_crand_parallel, parallel=True, nogil=True)

        def run(zlag, indptr, data, rids, lag_obs, sign):
            out = _alloc(lag_obs)
            zmax = float(np.abs(zlag).max()) if zlag.size else 0.0
            nchunks = max(1, min(lag_obs.size, 16 * numba.get_num_threads()))
            par(zlag, indptr, data, rids, lag_obs, sign, zmax, *out, nchunks)
            return out
    else:
        def run(zlag, indptr, data, rids, lag_obs, sign):
            out = _alloc(lag_obs)
            zmax = float(np.abs(zlag).max()) if zlag.size else 0.0
            rng_kernel(zlag, indptr, data, rids, lag_obs, sign, zmax, 0, lag_obs.size, *out)
            return out
    _NUMBA[key] = run
    return run


def conditional_permutation(zfocal: np.ndarray, zlag: np.ndarray, W: sp.csr_matrix,
                            permutations: int, rng: np.random.Generator,
                            engine: str = "auto") -> dict:
    """Conditional permutation test of local Moran-type statistics I_i = c z_i sum_j w_ij y_j.

    For each unit the values of the other n - 1 units are randomly reassigned to its
    neighbours, keeping z_i fixed (Anselin 1995).  Returns, per unit, the counts of
    simulated statistics ``>=`` and ``<=`` the observed one, and the mean and standard
    deviation of the simulated statistics expressed as multiples of the observed scale
    (i.e. of ``sign(z_i) * lag``), so the caller rescales.  A unit with z_i = 0 has
    I_i = I_i* = 0 for every draw: all ``permutations`` draws are ties (p = 1 two-sided).

    ``engine`` is "numpy", "numba" or "auto" (numba above :data:`NUMBA_THRESHOLD`).
    """
    W = sp.csr_matrix(W, dtype=float)
    W.sort_indices()
    n = W.shape[0]
    card = np.diff(W.indptr)
    max_k = int(card.max()) if n else 0
    rids = neighbour_draws(n, max_k, permutations, rng)
    lag_obs = W @ zlag
    sign = np.sign(zfocal).astype(float)
    sign[sign == 0] = 1.0
    zl = np.ascontiguousarray(zlag, dtype=float)
    work = float(card.sum()) * permutations
    if engine == "auto":
        engine = "numba" if work > NUMBA_THRESHOLD else "numpy"
    kern = _get_numba_kernel(parallel=work > PARALLEL_THRESHOLD) if engine == "numba" else None
    if kern:
        ge, le, s1, s2 = kern(zl, W.indptr.astype(np.int64), W.data.astype(float), rids,
                              lag_obs, sign)
    else:
        ge, le, s1, s2 = _crand_numpy(zl, W.indptr, W.data, rids, lag_obs, sign)
    # z_i = 0: I_i = c z_i (Wy)_i = 0 and so is every simulated I_i*: all P draws tie with the
    # observed value (both tails), whatever the simulated lags (which are not the statistic)
    zero = np.flatnonzero((zfocal == 0) & (card > 0))
    if zero.size:
        ge, le, s1, s2 = ge.copy(), le.copy(), s1.copy(), s2.copy()
        ge[zero] = permutations
        le[zero] = permutations
        s1[zero] = 0.0
        s2[zero] = 0.0
    mean = s1 / permutations
    var = np.maximum(s2 / permutations - mean * mean, 0.0)
    return dict(ge=ge, le=le, mean=mean * sign, sd=np.sqrt(var), sign=sign,
                engine="numba" if kern else "numpy")


def pvalues_from_counts(ge: np.ndarray, le: np.ndarray, permutations: int,
                        alternative: str) -> np.ndarray:
    """Pseudo p-values from the counts of simulated statistics ``>=`` / ``<=`` the observed.

    Ties (equal up to rounding, relative 1e-10) count in both tails.
    greater: (#{I* >= I} + 1) / (P + 1);  less: (#{I* <= I} + 1) / (P + 1);
    two-sided: min(1, 2 min(p_greater, p_less));  folded (esda's ``p_sim``):
    (min(#{I* >= I}, P - #{I* >= I}) + 1) / (P + 1), about half the two-sided value.
    """
    P = float(permutations)
    ge = np.asarray(ge, dtype=float)
    le = np.asarray(le, dtype=float)
    if alternative == "greater":
        return (ge + 1) / (P + 1)
    if alternative == "less":
        return (le + 1) / (P + 1)
    if alternative == "two-sided":
        return np.minimum(1.0, 2.0 * np.minimum(ge + 1, le + 1) / (P + 1))
    if alternative == "folded":
        return (np.minimum(ge, P - ge) + 1) / (P + 1)
    raise ValueError("alternative must be 'two-sided', 'folded', 'greater' or 'less', "
                     f"got {alternative!r}")


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN entries are left out and kept NaN.

    q_(i) = min_{j >= i} min(1, m p_(j) / j) over the m finite p-values sorted ascending.
    """
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return q
    order = np.argsort(p[ok], kind="mergesort")
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q[ok[order]] = np.minimum(ranked, 1.0)
    return q


# --------------------------------------------------------------------------- residual Moran
def residual_moran(e: np.ndarray, X: np.ndarray, W: sp.csr_matrix, c: dict | None = None,
                   alternative: str = "two-sided", variance: str = "exact") -> dict:
    """Moran's I of OLS residuals with Cliff and Ord's (1981) normal moments.

    With M = I - X (X'X)^{-1} X', k = columns of X:
    I = (n/S0) e'We / e'e;  E[I] = (n/S0) tr(MW) / (n-k);
    Var[I] = (n/S0)^2 [tr(MWMW') + tr(MWMW) + tr(MW)^2] / ((n-k)(n-k+2)) - E[I]^2.
    All traces are computed from k x k matrices (no n x n matrix).  ``variance="spdep"``
    reproduces spdep ``lm.morantest``, which replaces tr(MWMW') + tr(MWMW) by
    S1 - 4 tr(A X'W'WX) + 2 tr((A X'WX)^2) (exact only for symmetric W and tr(W) = 0).
    """
    c = c or weight_constants(W)
    n, S0 = c["n"], c["S0"]
    X = np.asarray(X, dtype=float)
    k = X.shape[1]
    A = np.linalg.inv(X.T @ X)
    WX = np.asarray(W @ X)
    WtX = np.asarray(W.T @ X)
    B = X.T @ WX                                  # X'WX
    trW = float(W.diagonal().sum())
    trMW = trW - float(np.trace(A @ B))
    if variance == "exact":
        WW = W @ W
        trWWt = float(W.multiply(W).sum())
        trWW = float(WW.diagonal().sum())
        t1 = (trWWt - np.trace(A @ (WtX.T @ WtX)) - np.trace(A @ (WX.T @ WX))
              + np.trace(A @ B @ A @ B.T))              # tr(MWMW')
        t2 = trWW - 2.0 * np.trace(A @ (X.T @ np.asarray(WW @ X))) + np.trace(A @ B @ A @ B)
        core = t1 + t2 + trMW * trMW
    elif variance == "spdep":
        C3 = A @ B
        core = (c["S1"] + 2 * np.trace(C3 @ C3) - 4 * np.trace(A @ (WX.T @ WX))
                + trMW * trMW)
    else:
        raise ValueError(f"variance must be 'exact' or 'spdep', got {variance!r}")
    f = n / S0
    stat = f * float(e @ (W @ e)) / float(e @ e)
    EI = f * trMW / (n - k)
    VI = f * f * core / ((n - k) * (n - k + 2)) - EI * EI
    return _pack(stat, EI, VI, np.nan, alternative)
