"""Cross-section spatial regression by maximum likelihood: OLS, SLX, SAR, SEM, SDM, SDEM, SAC.

Models (W the lag weights, W₂ the error weights; W₂ = W unless ``w_error`` is given)::

    OLS   y = Xβ + ε
    SLX   y = Xβ + WXθ + ε
    SAR   y = ρWy + Xβ + ε
    SDM   y = ρWy + Xβ + WXθ + ε
    SEM   y = Xβ + u,        u = λW₂u + ε
    SDEM  y = Xβ + WXθ + u,  u = λW₂u + ε
    SAC   y = ρWy + Xβ + u,  u = λW₂u + ε

with ε ~ N(0, σ²I).  X includes a constant (named ``"const"``) unless ``constant=False``;
the constant is never lagged.

Estimation
----------
Concentrated log-likelihood (Anselin 1988, ch. 6; LeSage & Pace 2009, ch. 3), A = I − ρW,
B = I − λW₂:

    ℓ(ρ, λ) = −(n/2)(1 + ln 2π) − (n/2) ln(e′e/n) + ln|A| + ln|B|,
    e = B(Ay − Zβ(ρ, λ)),  β(ρ, λ) = (Z′B′BZ)^{-1} Z′B′BAy,

maximised by bounded Brent (one parameter) or L-BFGS-B with the analytic gradient (SAC).
ln|A| comes from :class:`spatialnqpf.models._logdet.LogDet` (eigenvalues for n ≤ 2 000,
sparse LU, Chebyshev or Monte Carlo above).  Standard errors come from the inverse of
the analytic information matrix (Anselin 1988, eq. 6.5-6.8; the SAC form as in R
``spatialreg::sacsarlm``), whose traces tr(G), tr(GG), tr(G′G) are exact for small n and
estimated by Hutchinson's method with sparse LU solves for large n — no dense n × n
inverse at scale.  OLS and SLX use the classical OLS covariance s²(X′X)^{-1} with
s² = e′e/(n − k) and Student-t p-values, as R ``lm``/``spatialreg::lmSLX``.

Checked against R ``spatialreg`` 1.2.6 (``lagsarlm``, ``errorsarlm``, ``sacsarlm``,
``lmSLX``, ``impacts``) on ``spData`` columbus and boston: see
``tests/reference/spatialreg_crosssection.R`` and ``tests/test_models_cross_section.py``.

spreg has ML_Lag/ML_Error but no SAC by ML, no SDEM effects with standard errors,
a truncated SDM direct effect and dense n × n matrices; hence our own implementation.
Measured by hand on the 2-core CI-class machine (SDM, k = 6 nearest-neighbour W, 3
regressors, including 1 000-draw effects): n = 3 000 in 0.9 s / 0.26 GB against 28 s /
0.67 GB for spreg ``ML_Lag(slx_lags=1, method="full")`` (7 s / 0.70 GB with "LU");
n = 20 000 in 5.6 s / 0.35 GB (spreg "LU" passed 20 GB and was stopped);
n = 100 000 in 21 s / 0.76 GB (Chebyshev log-determinant, stochastic traces).

References
----------
Anselin, L. (1988). Spatial Econometrics: Methods and Models. Kluwer.
LeSage, J. & Pace, R. K. (2009). Introduction to Spatial Econometrics. CRC.
Elhorst, J. P. (2014). Spatial Econometrics. Springer.

Method notes: ``docs/methods/models.md`` §5.1, §5.4-§5.5 (formulas and conventions);
the peers' defects it avoids: ``docs/anchors.md``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg as sla
import scipy.sparse as sp
from scipy import optimize, stats

from .._validation import (DataError, PanelError, SpatialNQPFError, check_panel,
                           format_values, require_columns,
                           graph_to_sparse)
from ._effects import EffectsCore
from ._taxonomy import DURBIN_MODELS, MODEL_NAMES, ConvergenceError, normalise_model
from ._lm import lm_tests_arrays, moran_residuals_arrays
from ._logdet import EIGEN_MAX_N, LogDet, _mm, _rademacher, ainv_solver, spatial_traces
from .results import SpatialResults
from .spec import ModelSpec

__all__ = ["spatial_cross_section", "lm_tests", "ConvergenceError", "CollinearityError",
           "MODELS"]

MODELS = MODEL_NAMES  # models/_taxonomy.py
_DURBIN = DURBIN_MODELS




class CollinearityError(DataError):
    """Regressors are perfectly collinear (the message names them)."""


# --------------------------------------------------------------------------- preparation
@dataclass
class _Design:
    ids: pd.Index
    y: np.ndarray
    Z: np.ndarray
    znames: list
    xvars: list
    W: sp.csr_matrix
    W2: sp.csr_matrix
    same_w: bool


def _check_regressors(Z: np.ndarray, names: list, constant: bool) -> None:
    """Name constant and collinear regressors."""
    n = Z.shape[0]
    for j, name in enumerate(names):
        if name == "const":
            continue
        col = Z[:, j]
        if np.ptp(col) == 0:
            if constant:
                raise CollinearityError(
                    f"regressor {name!r} is constant (value {col[0]!r}) and so collinear with the "
                    "intercept; drop it")
        if not np.any(col):
            raise CollinearityError(f"regressor {name!r} is identically zero")
    # pivoted QR: columns beyond the numerical rank are linear combinations of the others
    scale = np.sqrt((Z ** 2).sum(axis=0))
    scale[scale == 0] = 1
    Q, R, piv = sla.qr(Z / scale, mode="economic", pivoting=True)
    d = np.abs(np.diag(R))
    tol = max(Z.shape) * np.finfo(float).eps * d[0] * 1e3
    rank = int(np.sum(d > tol))
    if rank < Z.shape[1]:
        dep = [names[i] for i in piv[rank:]]
        basis = [names[i] for i in piv[:rank]]
        # find, for the first dependent column, the columns it combines
        j = piv[rank]
        coef, *_ = np.linalg.lstsq(Z[:, piv[:rank]], Z[:, j], rcond=None)
        used = [basis[i] for i in np.flatnonzero(np.abs(coef) > 1e-8 * max(1, np.abs(coef).max()))]
        raise CollinearityError(
            f"regressors are perfectly collinear (rank {rank} < {Z.shape[1]} columns): "
            f"{format_values(dep)} linear combination(s) of the others; e.g. {dep[0]!r} = "
            f"combination of {format_values(used)}. Drop one of them.")
    if n <= Z.shape[1]:
        raise DataError(f"{n} observations for {Z.shape[1]} regressors: too few")


def _prepare(data, y, x, w, id, model, w2, constant) -> _Design:
    if isinstance(x, str):
        x = [x]
    x = list(x)
    if not x and not constant:
        raise DataError("no regressors: give x or constant=True")
    if y in x:
        raise DataError(f"the dependent variable {y!r} is also among the regressors")
    dup = pd.Index(x)[pd.Index(x).duplicated()].unique().tolist()
    if dup:
        raise DataError(f"regressors listed twice: {format_values(dup)}")
    df = check_panel(data, id, None, columns=[y] + x)
    ids = pd.Index(df[id].to_numpy(), name=id)
    W = graph_to_sparse(w, ids)
    if W.shape[0] != len(ids):
        raise DataError("weights have the wrong size")
    rs = np.asarray(W.sum(axis=1)).ravel()
    isl = ids[rs == 0]
    if len(isl):
        warnings.warn(f"units without neighbours in w (islands): {format_values(list(isl))}; "
                      "their spatial lags are zero", RuntimeWarning, stacklevel=3)
    if w2 is not None:
        W2 = graph_to_sparse(w2, ids)
        same = False
    else:
        W2, same = W, True
    yv = df[y].to_numpy(dtype=float)
    if np.ptp(yv) == 0:
        raise DataError(f"the dependent variable {y!r} is constant (value {float(yv[0])!r}); "
                        "nothing to explain")
    cols = [np.ones(len(df))] if constant else []
    names = ["const"] if constant else []
    for c in x:
        cols.append(df[c].to_numpy(dtype=float))
        names.append(c)
    if model in _DURBIN:
        for c in x:
            cols.append(W @ df[c].to_numpy(dtype=float))
            names.append("W_" + c)
    clash = pd.Index(names)[pd.Index(names).duplicated()].unique().tolist()
    if clash:
        raise DataError(f"parameter names clash: {format_values(clash)} (a column is named like the "
                        "spatial lag 'W_<x>' of another regressor, or 'const'); rename it")
    Z = np.column_stack(cols)
    _check_regressors(Z, names, constant)
    return _Design(ids, yv, Z, names, x, W, W2, same)


# --------------------------------------------------------------------------- helpers
def _bounded_max(f, bounds, what, tol, maxiter):
    """Maximise scalar f on the open interval ``bounds`` by bounded Brent."""
    lo, hi = bounds
    eps = 1e-7 * (hi - lo)
    res = optimize.minimize_scalar(lambda r: -f(r), bounds=(lo + eps, hi - eps), method="bounded",
                                   options={"xatol": tol, "maxiter": maxiter})
    if not res.success:
        raise ConvergenceError(f"maximisation over {what} did not converge after {res.nfev} "
                               f"evaluations: last {what} = {res.x:.10g}, log-likelihood "
                               f"{-res.fun:.10g} ({res.message})")
    r = float(res.x)
    if min(r - lo, hi - r) < 1e-4 * (hi - lo):
        warnings.warn(f"{what} = {r:.6g} is at the bound of its admissible interval "
                      f"({lo:.6g}, {hi:.6g}); the model may be misspecified and its standard "
                      "errors are unreliable", RuntimeWarning, stacklevel=4)
    return r


def _trace_ops(n, method, nsim, seed):
    """Probe matrix X and normaliser for exact (X = I) or Hutchinson traces."""
    if method == "exact":
        return np.eye(n), 1.0
    return _rademacher(n, nsim, seed), float(nsim)


def _resolve_trace_method(n, traces):
    if traces == "auto":
        return "exact" if n <= EIGEN_MAX_N else "mc"
    if traces not in ("exact", "mc"):
        raise ValueError(f"traces must be 'auto', 'exact' or 'mc', got {traces!r}")
    return traces


def _inv_cov(info: np.ndarray, names: list) -> pd.DataFrame:
    try:
        V = np.linalg.inv(info)
    except np.linalg.LinAlgError as exc:
        raise SpatialNQPFError(f"the information matrix is singular ({exc}); "
                               "standard errors cannot be computed") from exc
    V = (V + V.T) / 2
    return pd.DataFrame(V[:len(names), :len(names)], index=names, columns=names)


def _gauss_llf(sse, n):
    return -n / 2 * (1 + np.log(2 * np.pi) + np.log(sse / n))


# --------------------------------------------------------------------------- estimators
def _fit_ols(d: _Design):
    y, Z = d.y, d.Z
    n, k = Z.shape
    beta, *_ = np.linalg.lstsq(Z, y, rcond=None)
    e = y - Z @ beta
    sse = e @ e
    s2 = sse / (n - k)
    V = s2 * np.linalg.inv(Z.T @ Z)
    llf = _gauss_llf(sse, n)
    sst = np.sum((y - y.mean()) ** 2)
    return dict(params=beta, cov=V, names=list(d.znames), sigma2=s2, llf=llf, e=e, fitted=y - e,
                df_resid=n - k, r2=1 - sse / sst, extra_info={"sigma2": "e'e/(n-k)"})


def _fit_lag(d: _Design, ld: LogDet, traces: str, tol, maxiter, seed):
    """SAR / SDM."""
    y, Z, W = d.y, d.Z, d.W
    n, k = Z.shape
    Wy = W @ y
    Q, R = np.linalg.qr(Z)
    b0 = np.linalg.solve(R, Q.T @ y)
    bL = np.linalg.solve(R, Q.T @ Wy)
    e0 = y - Z @ b0
    eL = Wy - Z @ bL
    a00, a0L, aLL = e0 @ e0, e0 @ eL, eL @ eL

    def cll(r):
        sse = a00 - 2 * r * a0L + r * r * aLL
        return -n / 2 * np.log(sse / n) + ld(r)

    rho = _bounded_max(cll, ld.bounds, "rho", tol, maxiter)
    beta = b0 - rho * bL
    e = y - rho * Wy - Z @ beta
    sse = e @ e
    s2 = sse / n
    llf = _gauss_llf(sse, n) + ld(rho)
    tm = _resolve_trace_method(n, traces)
    tr = spatial_traces(W, rho, method=tm, eigenvalues=ld.eigenvalues, nsim=max(100, 30), seed=seed)
    Zb = Z @ beta
    GZb = W @ ainv_solver(W, rho)(Zb)
    info = np.zeros((k + 2, k + 2))
    info[:k, :k] = Z.T @ Z / s2
    info[:k, k] = info[k, :k] = Z.T @ GZb / s2
    info[k, k] = tr.trGG + tr.trGtG + GZb @ GZb / s2
    info[k, k + 1] = info[k + 1, k] = tr.trG / s2
    info[k + 1, k + 1] = n / (2 * s2 * s2)
    names = list(d.znames) + ["rho"]
    sst = np.sum((y - y.mean()) ** 2)
    return dict(params=np.r_[beta, rho], cov=info, names=names, sigma2=s2, llf=llf, e=e,
                fitted=y - e, r2=1 - sse / sst, trace_method=tr.method)


def _fit_error(d: _Design, ld: LogDet, traces: str, tol, maxiter, seed):
    """SEM / SDEM."""
    y, Z, W = d.y, d.Z, d.W2
    n, k = Z.shape
    Wy = W @ y
    WZ = np.asarray(W @ Z)

    def solve(lam):
        ys = y - lam * Wy
        Zs = Z - lam * WZ
        b, *_ = np.linalg.lstsq(Zs, ys, rcond=None)
        e = ys - Zs @ b
        return b, e, Zs

    def cll(lam):
        _, e, _ = solve(lam)
        return -n / 2 * np.log(e @ e / n) + ld(lam)

    lam = _bounded_max(cll, ld.bounds, "lambda", tol, maxiter)
    beta, e, Zs = solve(lam)
    sse = e @ e
    s2 = sse / n
    llf = _gauss_llf(sse, n) + ld(lam)
    tm = _resolve_trace_method(n, traces)
    tr = spatial_traces(W, lam, method=tm, eigenvalues=ld.eigenvalues, nsim=100, seed=seed)
    info = np.zeros((k + 2, k + 2))
    info[:k, :k] = Zs.T @ Zs / s2
    info[k, k] = tr.trGG + tr.trGtG
    info[k, k + 1] = info[k + 1, k] = tr.trG / s2
    info[k + 1, k + 1] = n / (2 * s2 * s2)
    names = list(d.znames) + ["lambda"]
    u = y - Z @ beta                     # (I - λW) u = ε
    sst = np.sum((y - y.mean()) ** 2)
    return dict(params=np.r_[beta, lam], cov=info, names=names, sigma2=s2, llf=llf, e=e,
                fitted=Z @ beta, r2=1 - (u @ u) / sst, trace_method=tr.method)


def _fit_sac(d: _Design, ld1: LogDet, ld2: LogDet, traces: str, tol, maxiter, seed):
    """SAC: lag on W, error on W2; analytic gradient, L-BFGS-B."""
    y, Z, W1, W2 = d.y, d.Z, d.W, d.W2
    n, k = Z.shape
    W1y = W1 @ y
    W2y = W2 @ y
    W2W1y = W2 @ W1y
    W2Z = np.asarray(W2 @ Z)

    def state(p):
        r, l = p
        Ay = y - r * W1y
        BAy = Ay - l * (W2y - r * W2W1y)
        BZ = Z - l * W2Z
        b, *_ = np.linalg.lstsq(BZ, BAy, rcond=None)
        e = BAy - BZ @ b
        return b, e, Ay, BZ

    def negll(p):
        r, l = p
        b, e, Ay, _ = state(p)
        sse = e @ e
        f = -n / 2 * np.log(sse / n) + ld1(r) + ld2(l)
        # envelope theorem: dSSE/dρ = −2 e′B W1 y, dSSE/dλ = −2 e′W2 (Ay − Zβ)
        BW1y = W1y - l * W2W1y
        g_r = n / sse * (e @ BW1y) + ld1.deriv(r)
        g_l = n / sse * (e @ (W2 @ (Ay - Z @ b))) + ld2.deriv(l)
        return -f, -np.array([g_r, g_l])

    b1, b2 = ld1.bounds, ld2.bounds
    eps1, eps2 = 1e-7 * (b1[1] - b1[0]), 1e-7 * (b2[1] - b2[0])
    bnds = [(b1[0] + eps1, b1[1] - eps1), (b2[0] + eps2, b2[1] - eps2)]
    best = None
    for start in ((0.0, 0.0), (0.5 * b1[1], 0.0), (0.0, 0.5 * b2[1])):
        res = optimize.minimize(negll, np.array(start), jac=True, method="L-BFGS-B", bounds=bnds,
                                options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": maxiter})
        if best is None or res.fun < best.fun:
            best = res
    if not best.success and np.max(np.abs(best.jac)) > 1e-4:
        raise ConvergenceError(f"SAC maximisation did not converge after {best.nit} iterations: "
                               f"last rho = {best.x[0]:.10g}, lambda = {best.x[1]:.10g}, "
                               f"log-likelihood {-best.fun:.10g}, gradient {best.jac} "
                               f"({best.message})")
    rho, lam = map(float, best.x)
    for val, (lo, hi), nm in ((rho, b1, "rho"), (lam, b2, "lambda")):
        if min(val - lo, hi - val) < 1e-4 * (hi - lo):
            warnings.warn(f"{nm} = {val:.6g} is at the bound of its admissible interval "
                          f"({lo:.6g}, {hi:.6g}); standard errors are unreliable",
                          RuntimeWarning, stacklevel=3)
    beta, e, Ay, BZ = state(best.x)
    sse = e @ e
    s2 = sse / n
    llf = _gauss_llf(sse, n) + ld1(rho) + ld2(lam)
    # information matrix (Anselin 1988; as spatialreg::sacsarlm)
    tm = _resolve_trace_method(n, traces)
    Ainv = ainv_solver(W1, rho)
    Binv = ainv_solver(W2, lam)

    def Bm(V):
        return V - lam * _mm(W2, V)

    def WA(V):
        return _mm(W1, Ainv(V))

    def WB(V):
        return _mm(W2, Binv(V))

    def C(V):
        return Bm(WA(Binv(V)))

    X, norm = _trace_ops(n, tm, 100, seed)
    WAX, WBX, CX = WA(X), WB(X), C(X)
    t_WA = np.sum(X * WAX) / norm
    t_WB = np.sum(X * WBX) / norm
    t_WAWA = np.sum(X * WA(WAX)) / norm
    t_CtC = np.sum(CX * CX) / norm
    t_WBWB = np.sum(X * WB(WBX)) / norm
    t_WBtWB = np.sum(WBX * WBX) / norm
    t_WBtC = np.sum(WBX * CX) / norm
    t_W2WABi = np.sum(X * _mm(W2, WA(Binv(X)))) / norm
    BWAZb = Bm(WA(Z @ beta))
    info = np.zeros((k + 3, k + 3))
    info[:k, :k] = BZ.T @ BZ / s2
    info[:k, k] = info[k, :k] = BZ.T @ BWAZb / s2
    info[k, k] = t_WAWA + t_CtC + BWAZb @ BWAZb / s2
    info[k + 1, k + 1] = t_WBWB + t_WBtWB
    info[k, k + 1] = info[k + 1, k] = t_WBtC + t_W2WABi
    info[k, k + 2] = info[k + 2, k] = t_WA / s2
    info[k + 1, k + 2] = info[k + 2, k + 1] = t_WB / s2
    info[k + 2, k + 2] = n / (2 * s2 * s2)
    names = list(d.znames) + ["rho", "lambda"]
    sst = np.sum((y - y.mean()) ** 2)
    return dict(params=np.r_[beta, rho, lam], cov=info, names=names, sigma2=s2, llf=llf, e=e,
                fitted=y - e, r2=1 - sse / sst, trace_method=tm)


def _check_single_period(data, time) -> None:
    """``time=None``: a cross-section; a column: refuse more than one period (named)."""
    if time is None:
        return
    require_columns(data, [time])
    periods = pd.unique(data[time].dropna())
    if len(periods) > 1:
        raise PanelError(f"a cross-section needs one period of {time!r}, got {len(periods)}: "
                         f"{format_values(sorted(periods))}; select one (e.g. "
                         f"data[data[{time!r}] == {sorted(periods)[-1]!r}]) or use spatial_panel")


# --------------------------------------------------------------------------- public API
def spatial_cross_section(data: pd.DataFrame, y: str, x, w, *, id: str = "code",
                          time: str | None = None, model: str = "sar", w_error=None,
                          constant: bool = True, logdet: str = "auto",
                          traces: str = "auto", effects_method: str = "auto", tests: bool = True,
                          tol: float = 1e-10, maxiter: int = 500, seed: int = 0,
                          w_label: str | None = None) -> SpatialResults:
    """Fit a cross-section spatial regression by maximum likelihood.

    Parameters
    ----------
    data : DataFrame
        One row per unit.
    y : str
        Dependent variable.
    x : list of str
        Regressors (a constant ``"const"`` is added unless ``constant=False``).
    w : libpysal.graph.Graph (or W)
        Spatial weights keyed by the ids of ``data[id]``; aligned by id, never by position
        (a mismatch raises :class:`~spatialnqpf._validation.IdMismatchError` naming the ids).
        Used as stored: row-standardise it first if you want the usual convention.
    id : str
        Column of unit ids (default ``"code"``).
    time : str, optional
        ``None`` (default): ``data`` is a cross-section.  A column name: ``data`` may be a
        single-period slice of a long panel (e.g. ``panel[panel.year == 2022]``); more than
        one period raises :class:`~spatialnqpf._validation.PanelError` naming the periods.
    model : {"ols", "slx", "sar", "sem", "sdm", "sdem", "sac"}
    w_error : Graph, optional
        Weights of the error process of SEM/SDEM/SAC (default: ``w``).
    constant : bool
        Add an intercept.
    logdet : {"auto", "eigen", "lu", "chebyshev", "mc"}
        Log-determinant method (:class:`~spatialnqpf.models._logdet.LogDet`).
    traces : {"auto", "exact", "mc"}
        Traces in the information matrix: exact (n ≤ 2 000 by default) or Hutchinson.
    effects_method : {"auto", "exact", "traces"}
        How :meth:`SpatialResults.effects` computes tr(A^{-1}) etc.
    tests : bool
        Attach diagnostics: LM tests and Moran's I of residuals for OLS; for SDM the Wald and
        LR tests of θ = 0 (→ SAR) and θ + ρβ = 0 (→ SEM).
    tol, maxiter : optimiser settings (``tol`` is the absolute tolerance on ρ/λ).
    seed : int
        Seed of stochastic traces (large n only).
    w_label : str, optional
        Description of the weights shown in ``info`` (default: the Graph's transformation).

    Returns
    -------
    SpatialResults
        ``info`` records n, the weights, the log-determinant, trace and effects methods, the
        admissible interval of ρ/λ, and ``r2`` = 1 − e′e/Σ(y − ȳ)² (for SEM/SDEM with e the
        structural residual y − Xβ; a descriptive measure, not a likelihood-based one).
        ``tests`` holds the diagnostics described above.

    Raises
    ------
    CollinearityError
        Constant or collinear regressors (named).
    ConvergenceError
        The optimiser failed (message gives the last ρ/λ and log-likelihood).
    DataError, IdMismatchError
        Missing values (located), unknown columns, ids of data and weights differ.

    Warns
    -----
    RuntimeWarning
        ρ or λ at the bound of its interval; units without neighbours.

    Examples
    --------
    >>> res = spatial_cross_section(df, y="CRIME", x=["INC", "HOVAL"], w=w, id="id",
    ...                             model="sdm")                  # doctest: +SKIP
    >>> res.to_frame(); res.effects(nsim=1000, seed=0)           # doctest: +SKIP
    """
    spec = ModelSpec(spatial_cross_section, dict(
        data=data, y=y, x=x, w=w, id=id, time=time, model=model, w_error=w_error,
        constant=constant, logdet=logdet, traces=traces, effects_method=effects_method,
        tests=tests, tol=tol, maxiter=maxiter, seed=seed, w_label=w_label))
    model = normalise_model(model)
    w2 = w_error
    if w2 is not None and model not in ("sem", "sdem", "sac"):
        raise ValueError(f"w_error applies to models with a spatial error (sem, sdem, sac), "
                         f"not {model!r}")
    _check_single_period(data, time)
    d = _prepare(data, y, x, w, id, model, w2, constant)
    n = len(d.y)
    info = {"n": n, "dependent": y, "constant": constant}
    label = w_label
    if label is None:
        label = getattr(w, "transformation", None)
        label = f"libpysal Graph (transformation {label!r})" if label is not None else type(w).__name__
    info["weights"] = label
    if w2 is not None:
        info["weights2"] = getattr(w2, "transformation", type(w2).__name__)
    ld = ld2 = None
    if model in ("sar", "sdm", "sac"):
        ld = LogDet(d.W, method=logdet, seed=seed)
    if model in ("sem", "sdem", "sac"):
        ld2 = ld if (d.same_w and ld is not None) else LogDet(d.W2, method=logdet, seed=seed)
    if model in ("ols", "slx"):
        fit = _fit_ols(d)
    elif model in ("sar", "sdm"):
        fit = _fit_lag(d, ld, traces, tol, maxiter, seed)
    elif model in ("sem", "sdem"):
        fit = _fit_error(d, ld2, traces, tol, maxiter, seed)
    else:
        fit = _fit_sac(d, ld, ld2, traces, tol, maxiter, seed)
    names = fit["names"]
    if model in ("ols", "slx"):
        cov = pd.DataFrame(fit["cov"], index=names, columns=names)
    else:
        cov = _inv_cov(fit["cov"], names)
        info["logdet"] = (ld or ld2).method
        if ld2 is not None and ld is not None and ld2 is not ld:
            info["logdet_error"] = ld2.method
        info["traces"] = fit.get("trace_method")
        info["rho_interval" if ld is not None else "lambda_interval"] = tuple(
            round(b, 6) for b in (ld or ld2).bounds)
        info["bounds_method"] = (ld or ld2).bounds_method
    info["r2"] = float(fit["r2"])
    info.update(fit.get("extra_info", {}))
    params = pd.Series(fit["params"], index=names)
    # effects: lag models through (I - rho W)^-1, the others linear in (beta, theta): S = beta I + theta W
    core = EffectsCore(d.W, d.xvars, model, ids=list(d.ids), method=effects_method,
                       trace_seed=seed,
                       bounds=(ld.bounds if ld is not None else None),
                       eigenvalues=(ld.eigenvalues if ld is not None else None))
    info["effects"] = core.method + (f" ({core.trace_method} traces)" if core.trace_method else "")
    test_df = None
    if tests and model == "ols":
        test_df = _ols_tests(d)
    elif tests and model == "sdm":
        test_df = _sdm_tests(d, params, cov, fit["llf"], ld, traces, tol, maxiter, seed)
    n_params = len(params) + 1
    return SpatialResults(params, cov, fit["sigma2"], fit["llf"], n, model, n_params=n_params,
                          df_resid=fit.get("df_resid"),
                          residuals=pd.Series(fit["e"], index=d.ids, name="residual"),
                          fitted=pd.Series(fit["fitted"], index=d.ids, name="fitted"),
                          info=info, effects_core=core, tests=test_df,
                          bounds=_fit_bounds(model, ld, ld2), spec=spec)


def _fit_bounds(model, ld, ld2):
    """Admissible intervals of the spatial parameters of ``model`` (for boundary flags)."""
    out = {}
    if ld is not None and model in ("sar", "sdm", "sac"):
        out["rho"] = ld.bounds
    if model in ("sem", "sdem"):
        out["lambda"] = (ld or ld2).bounds
    elif model == "sac" and ld2 is not None:
        out["lambda"] = ld2.bounds
    return out


def _ols_tests(d: _Design) -> pd.DataFrame:
    X = d.Z
    lmt = lm_tests_arrays(d.y, X, d.W)
    b, *_ = np.linalg.lstsq(X, d.y, rcond=None)
    mi = moran_residuals_arrays(d.y - X @ b, X, d.W)
    moran = pd.DataFrame({"statistic": [mi["z"]], "df": [np.nan], "p": [mi["p"]],
                          "I": [mi["I"]], "EI": [mi["EI"]], "VI": [mi["VI"]]},
                         index=["moran_residuals"])
    return pd.concat([lmt, moran])


def _sdm_tests(d: _Design, params, cov, llf, ld, traces, tol, maxiter, seed) -> pd.DataFrame:
    """Wald and LR tests of SDM → SAR (θ = 0) and SDM → SEM (θ + ρβ = 0)."""
    xv = d.xvars
    b = params[xv].to_numpy()
    th = params[["W_" + c for c in xv]].to_numpy()
    rho = params["rho"]
    V = cov.to_numpy()
    idx = cov.index
    pt = [idx.get_loc("W_" + c) for c in xv]
    pb = [idx.get_loc(c) for c in xv]
    pr = idx.get_loc("rho")
    k = len(xv)
    wald_sar = float(th @ np.linalg.solve(V[np.ix_(pt, pt)], th))
    g = th + rho * b
    J = np.zeros((k, len(idx)))
    for i in range(k):
        J[i, pb[i]] = rho
        J[i, pt[i]] = 1.0
        J[i, pr] = b[i]
    wald_sem = float(g @ np.linalg.solve(J @ V @ J.T, g))
    # restricted models on the same data
    dsar = _Design(d.ids, d.y, d.Z[:, [i for i, nm in enumerate(d.znames) if not nm.startswith("W_")]],
                   [nm for nm in d.znames if not nm.startswith("W_")], xv, d.W, d.W2, True)
    llf_sar = _fit_lag(dsar, ld, traces, tol, maxiter, seed)["llf"]
    dsem = _Design(dsar.ids, dsar.y, dsar.Z, dsar.znames, xv, d.W, d.W, True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        llf_sem = _fit_error(dsem, ld, traces, tol, maxiter, seed)["llf"]
    lr_sar = 2 * (llf - llf_sar)
    lr_sem = 2 * (llf - llf_sem)
    stat = [wald_sar, lr_sar, wald_sem, lr_sem]
    return pd.DataFrame({"statistic": stat, "df": [k] * 4, "p": [stats.chi2.sf(s, k) for s in stat]},
                        index=["wald_theta0_sar", "lr_sdm_sar", "wald_common_factor_sem",
                               "lr_sdm_sem"])


def lm_tests(data: pd.DataFrame, y: str, x, w, *, id: str = "code", time: str | None = None,
             constant: bool = True) -> pd.DataFrame:
    """Anselin's LM tests (error, lag, robust forms, SARMA) and Moran's I of OLS residuals.

    Parameters as :func:`spatial_cross_section`.  Returns a DataFrame indexed LM_error,
    LM_lag, robust_LM_error, robust_LM_lag, SARMA, moran_residuals with columns statistic
    (χ² statistics; the z-value for Moran), df, p (and I, E[I], V[I] for Moran).
    Matches R ``spdep::lm.LMtests(test="all")`` and ``spdep::lm.morantest``.
    """
    _check_single_period(data, time)
    d = _prepare(data, y, x, w, id, "ols", None, constant)
    return _ols_tests(d)
