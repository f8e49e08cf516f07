"""Building blocks of the static and dynamic spatial panel estimators (internal).

The panel design (balanced arrays aligned to W by id), the within transformations, the design
checks, the (I − ρW) solver and log-determinant choice, and the concentrated-likelihood helpers
shared by :mod:`spatialnqpf.models.panel` and :mod:`spatialnqpf.models.dynamic`, so that the two
estimator modules do not import each other.  Formulas: ``docs/methods/models.md`` §5.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import optimize

from .._validation import (DataError, PanelError, check_panel, check_weights, format_values,
                           graph_to_sparse)
from ._taxonomy import DURBIN_MODELS, MODEL_NAMES, ConvergenceError
from ._logdet import EIGEN_MAX_N, LogDet, spatial_traces

MODELS = MODEL_NAMES  # models/_taxonomy.py


_LAG = ("sar", "sdm")


_ERR = ("sem", "sdem")


_DURBIN = DURBIN_MODELS


# --------------------------------------------------------------------------- data
@dataclass(frozen=True)
class PanelDesign:
    """Balanced panel arrays aligned to the weights, stacked time-major (internal).

    ``Y`` is (T, N); ``X`` is (T, N, k); ``W`` the (N, N) CSR weights aligned to ``ids``.
    """

    Y: np.ndarray
    X: np.ndarray
    W: sp.csr_matrix
    ids: pd.Index
    times: pd.Index
    xnames: tuple
    yname: str
    id: str
    time: str
    row_standardised: bool
    durbin: tuple | None = None     # regressors with a W_x term (None: all)

    @property
    def N(self):
        return self.Y.shape[1]

    @property
    def T(self):
        return self.Y.shape[0]


def _lag(W, A):
    """(I_T ⊗ W) applied to A of shape (T, N) or (T, N, k)."""
    T, N = A.shape[:2]
    rest = A.shape[2:]
    M = np.moveaxis(A.reshape(T, N, -1), 1, 0).reshape(N, -1)     # (N, T*k)
    out = np.asarray(W @ M).reshape(N, T, -1)
    return np.moveaxis(out, 0, 1).reshape((T, N) + rest)


def _design(d, model, constant):
    """Regressors on the (T, N, p) grid and their names: [const], x, [W_x for Durbin models]."""
    xn = list(d.xnames)
    blocks, names = [d.X], list(xn)
    if model in _DURBIN:
        dur = xn if d.durbin is None else list(d.durbin)
        if dur:
            pos = [xn.index(v) for v in dur]
            blocks.append(_lag(d.W, d.X[:, :, pos]))
            names += ["W_" + v for v in dur]
    if constant:
        blocks.insert(0, np.ones((d.T, d.N, 1)))
        names = ["const"] + names
    return np.concatenate(blocks, axis=2), names


def _demean(A, fe):
    """Within transformation of A (T, N, ...) for the fixed-effects type ``fe``."""
    if fe == "none":
        return A
    if fe == "individual":
        return A - A.mean(axis=0, keepdims=True)
    if fe == "time":
        return A - A.mean(axis=1, keepdims=True)
    return (A - A.mean(axis=0, keepdims=True) - A.mean(axis=1, keepdims=True)
            + A.mean(axis=(0, 1), keepdims=True))


def prepare_panel(data, y, x, w, *, id: str = "code", time: str = "year") -> PanelDesign:
    """Validate a long panel and return time-major arrays aligned to ``w`` by id.

    Raises :class:`~spatialnqpf._validation.PanelError` for duplicates, an unbalanced panel
    (naming the absent (id, time) pairs) or, for integer periods, a period missing for every
    unit (a gap; naming the periods), :class:`DataError` for NaN/non-numeric values
    (naming the cells) and :class:`IdMismatchError` when the ids of ``w`` differ from the data.
    """
    if isinstance(x, str):
        x = [x]
    x = list(x)
    if not x:
        raise DataError("x must name at least one regressor")
    dup = [c for c in x if x.count(c) > 1]
    if dup:
        raise DataError(f"regressor(s) listed twice in x: {format_values(sorted(set(dup)))}")
    if y in x:
        raise DataError(f"the dependent variable {y!r} is also listed among the regressors x")
    reserved = [c for c in x if str(c) in ("rho", "lambda", "sigma2", "const")
                or (str(c).startswith("W_") and str(c)[2:] in x)]
    if reserved:
        raise DataError(f"regressor name(s) {format_values(reserved)} clash with the names of "
                        "generated parameters (rho, lambda, sigma2, const, W_<x> for a lagged x); "
                        "rename the column(s)")
    df = check_panel(data, id, time, [y] + x, balanced=True)
    ids = pd.Index(pd.unique(df[id]))
    times = pd.Index(pd.unique(df[time]))
    N, T = len(ids), len(times)
    if T < 2:
        raise DataError(f"a panel needs at least 2 periods; {time!r} has {T}")
    if pd.api.types.is_integer_dtype(df[time]):
        tv = np.sort(times.to_numpy())
        missing = sorted(set(range(int(tv[0]), int(tv[-1]) + 1)) - set(tv.tolist()))
        if missing:
            raise PanelError(f"gap in {time!r}: period(s) {format_values(missing)} absent for every "
                             f"{id!r} between {tv[0]} and {tv[-1]}; if the spacing is intended, "
                             f"recode {time!r} as consecutive integers or strings")
    # check_panel sorted by (time, id): ids are in sorted order within every period
    ids = pd.Index(df[id].iloc[:N])
    W = graph_to_sparse(w, ids)
    check_weights(W, ids, "the weights w")
    rs = np.asarray(W.sum(axis=1)).ravel()
    islands = ids[rs == 0]
    if len(islands):
        raise DataError(f"the weights have unit(s) without neighbours (islands): "
                        f"{format_values(list(islands))}; link them (e.g. Hainan to Guangdong) "
                        "or drop them")
    rowstd = bool(np.allclose(rs, 1.0, atol=1e-10))
    Y = df[y].to_numpy(dtype=float).reshape(T, N)
    X = df[x].to_numpy(dtype=float).reshape(T, N, len(x))
    design = PanelDesign(Y, X, W, ids, times, tuple(x), y, id, time, rowstd)
    _check_magnitude(design)
    return design


def _check_dependent(yd, design, fe):
    """Refuse a dependent variable without variation after the FE transformation (it would
    otherwise end in a division by zero or a spurious convergence failure)."""
    # relative to the data's own magnitude (y x 1e-13 is not "constant")
    scale = float(np.abs(design.Y).max())
    v = yd if fe != "none" else yd - yd.mean()
    if scale == 0 or float(np.abs(v).max()) <= 1e-12 * scale:
        what = {"individual": "within units (absorbed by the individual fixed effects)",
                "time": "within years (absorbed by the time fixed effects)",
                "twoways": "after removing unit and year means (absorbed by the two-way fixed "
                           "effects)",
                "none": "at all (constant)"}[fe]
        raise DataError(f"the dependent variable {design.yname!r} does not vary {what}")


def _check_nobs(design, fe, k, model):
    """Refuse a fit with no more effective observations than parameters (β, ρ/λ, σ²)."""
    N, T = design.N, design.T
    m = {"individual": N * (T - 1), "time": (N - 1) * T, "twoways": (N - 1) * (T - 1),
         "none": N * T}[fe]
    if m <= k:
        raise DataError(f"too few observations for a {model.upper()} with {fe!r} fixed effects: "
                        f"N = {N} units x T = {T} periods leave {m} effective observations for "
                        f"{k} parameters; use more units or periods, fewer regressors, or "
                        "lighter fixed effects")


def _check_magnitude(design):
    """Refuse values whose squares overflow or underflow (the likelihood needs sums of squares)."""
    for name, arr in [(design.yname, design.Y)] + [
            (nm, design.X[:, :, j]) for j, nm in enumerate(design.xnames)]:
        a = np.abs(arr[arr != 0])
        if a.size and (a.max() > 1e100 or a.max() < 1e-100):
            raise DataError(f"{name!r} has values of magnitude {a.max():.3g}: sums of squares "
                            "over- or underflow in double precision; rescale it (e.g. divide by "
                            "a power of 10 or take logs)")


def _check_design(Z, names, fe, design):
    """Refuse regressors without variation after the FE transformation, and collinear sets."""
    sd = Z.std(axis=0)
    scale = np.maximum(np.abs(Z).max(axis=0), 1e-300)
    const = [nm for nm, s, c in zip(names, sd, scale) if nm != "const" and s <= 1e-12 * c]
    if const:
        what = {"individual": "within units (absorbed by the individual fixed effects)",
                "time": "within years (absorbed by the time fixed effects)",
                "twoways": "after removing unit and year means (absorbed by the two-way fixed effects)",
                "none": "at all (constant; the pooled model already has an intercept)"}[fe]
        raise DataError(f"regressor(s) {format_values(const)} do not vary {what}")
    # collinearity: SVD of the column-scaled design, name the columns of the null space
    Zs = Z / np.where(sd > 0, np.sqrt((Z ** 2).mean(axis=0)), 1.0)
    _, s, Vt = np.linalg.svd(Zs, full_matrices=False)
    tol = s.max() * max(Zs.shape) * np.finfo(float).eps * 10
    # singular to working precision only: x2 = 2 x + 1e-9 noise is nearly, not perfectly, collinear
    null = Vt[s <= max(tol, 1e-12 * s.max())]
    if len(null):
        involved = [nm for j, nm in enumerate(names) if np.any(np.abs(null[:, j]) > 1e-6)]
        raise DataError(f"perfectly collinear regressors (after the {fe!r} fixed-effects "
                        f"transformation): {format_values(involved)}; drop one of them")


# ------------------------------------------------------------------- linear algebra
#: above this n the Hutchinson traces of the information matrix come from one power-series
#: sweep of the probe block (shared with the effects), and solves use the Neumann series:
#: no sparse LU (whose fill-in grows too fast at 10^6 units)
SERIES_MIN_N = 50_000


class _Solver:
    """(I − ρW)^{-1} V and the trace terms of the information matrix."""

    def __init__(self, W, ld: LogDet, trace_method="auto", nsim=100, seed=0):
        self.W = W
        self.ld = ld
        self.n = W.shape[0]
        self.trace_method = ("exact" if self.n <= EIGEN_MAX_N else "mc") if trace_method == "auto" else trace_method
        self.nsim = nsim
        self.seed = seed

    def solve(self, rho, V, trans=False):
        A = (sp.identity(self.n, format="csc") - rho * self.W).tocsc()
        if trans:
            A = A.T.tocsc()
        if self.n <= EIGEN_MAX_N:
            return np.linalg.solve(A.toarray(), V)
        if self.n > SERIES_MIN_N:
            # very large n: Neumann series (residual-checked), no factorisation and no fill-in
            from ._logdet import neumann_solve
            X = neumann_solve(self.W, rho, V, transpose=trans)
            if X is not None:
                return X
        # large n: one sparse LU of I - rho W per rho, shared by every solve and the traces
        return self._ainv(rho)(np.ascontiguousarray(V, dtype=float), transpose=trans)

    @property
    def hutchinson(self):
        """The probe block shared by the series traces and the effects (n > SERIES_MIN_N)."""
        if "_hp" not in self.__dict__:
            from ._logdet import HutchinsonPowers
            self._hp = HutchinsonPowers(self.W, self.nsim, self.seed)
        return self._hp

    def _ainv(self, rho):
        cache = self.__dict__.setdefault("_lu_cache", {})
        if rho not in cache:
            cache.clear()
            from ._logdet import ainv_solver
            cache[rho] = ainv_solver(self.W, rho)
        return cache[rho]

    def G_apply(self, rho, A):
        """(I_T ⊗ G) A for A (T, N) with G = W (I − ρW)^{-1}."""
        T, N = A.shape
        S = self.solve(rho, A.T)              # (N, T)
        return np.asarray(self.W @ S).T

    def traces(self, rho, lee_yu_time: bool):
        tr = None
        if self.trace_method == "mc" and self.n > SERIES_MIN_N:
            from ._logdet import series_spatial_traces
            tr = series_spatial_traces(self.hutchinson, rho)
        if tr is None:
            tr = spatial_traces(self.W, rho, method=self.trace_method,
                                eigenvalues=self.ld.eigenvalues, nsim=self.nsim,
                                seed=self.seed,
                                solve=self._ainv(rho) if self.trace_method == "mc" else None)
        self.last_traces = tr
        trG, trGG, trGtG = tr.trG, tr.trGG, tr.trGtG
        if lee_yu_time:
            n = self.n
            one = np.ones(n)
            gti = self.solve(rho, np.asarray(self.W.T @ one), trans=True)   # G'ι = A^{-T} W'ι
            trG -= 1.0 / (1.0 - rho)
            trGG -= 1.0 / (1.0 - rho) ** 2
            trGtG -= float(gti @ gti) / n
        return trG, trGG, trGtG, tr.method if tr.method != "mc-series" else "mc"


def _ols(Z, v):
    coef, *_ = np.linalg.lstsq(Z, v, rcond=None)
    return coef, v - Z @ coef


def _weights_label(w):
    for attr in ("recipe", "_recipe"):
        r = getattr(w, attr, None)
        if r is not None:
            lines = [ln.strip() for ln in str(getattr(r, "name", r)).splitlines() if ln.strip()]
            return "; ".join(lines[:3])[:160]
    tr = getattr(w, "transformation", None)
    return f"{type(w).__name__} (transformation {tr!r})" if tr is not None else type(w).__name__


def _choose_logdet(W, method, seed):
    n = W.shape[0]
    rs = np.asarray(W.sum(axis=1)).ravel()
    if method == "auto" and n > 20000:
        # Chebyshev needs a real spectrum in [-1, 1] (row-standardised, symmetric pattern);
        # Barry-Pace needs spectral radius <= 1 (row-standardised); otherwise exact sparse LU
        sym = (abs((W != 0).astype(np.int8) - (W.T != 0).astype(np.int8))).nnz == 0
        rowstd = bool(np.allclose(rs, 1.0))
        method = ("chebyshev" if sym else "mc") if rowstd else "lu"
    # default rho bounds come from LogDet itself: (-1, 1) for row-standardised W, otherwise
    # (-1/r, 1/r) with a Collatz-Wielandt upper bound on the spectral radius r (no ARPACK call)
    return LogDet(W, method=method, seed=seed)


def _likelihood_constants(fe, lee_yu_transform, N, T):
    """``(m, Tj, c1)`` of the concentrated log-likelihood
    -(m/2) ln sigma2 + Tj [ln|I - rho W| - c1 ln(1 - rho)] (docs/methods/models.md §5.3).

    Lee-Yu transformation: m = effective observations ((N-1)(T-1) for two-way effects),
    Tj = T-1 with individual effects, c1 = 1 when the time effects are transformed away
    with F_{N,N-1}; direct ML: m = NT, Tj = T, c1 = 0.
    """
    if not lee_yu_transform:
        return N * T, T, 0.0
    m = {"individual": N * (T - 1), "time": (N - 1) * T, "twoways": (N - 1) * (T - 1),
         "none": N * T}[fe]
    Tj = T - 1 if fe in ("individual", "twoways") else T
    c1 = 1.0 if fe in ("time", "twoways") else 0.0
    return m, Tj, c1


def _maximise(negll, lo, hi, tol, maxiter, pname):
    eps = 1e-7 * (hi - lo)
    with np.errstate(all="ignore"):
        r = optimize.minimize_scalar(negll, bounds=(lo + eps, hi - eps), method="bounded",
                                     options={"xatol": tol, "maxiter": maxiter})
    if not np.isfinite(r.fun) and r.success:
        raise DataError(f"the likelihood is unbounded at {pname} = {float(r.x):.6g}: the model "
                        "fits the data exactly (residual variance 0), so maximum likelihood is "
                        "not defined; check that y is not a linear function of x and W")
    if not r.success or not np.isfinite(r.fun):
        raise ConvergenceError(f"the concentrated likelihood in {pname} did not converge after "
                               f"{getattr(r, 'nit', '?')} iterations: last {pname} = {r.x!r}, "
                               f"log-likelihood = {-r.fun!r}, message: {r.message!r}; "
                               "try a larger maxiter, a looser tol, or check the data/weights")
    return float(r.x), float(r.fun)


def _boundary_warning(rhat, lo, hi, pname):
    span = hi - lo
    if rhat - lo < 1e-4 * span or hi - rhat < 1e-4 * span:
        warnings.warn(f"{pname} = {rhat:.6g} is at the bound of its admissible interval "
                      f"({lo:.6g}, {hi:.6g}); the estimate and its standard error are unreliable "
                      "(check W and the model)", RuntimeWarning, stacklevel=4)


def _information(model, Zd, WZd, beta, rho, s2, m, Tj, fe, N, T, solver, lyt):
    """Analytic information matrix of (β, ρ|λ, σ²); see the module docstring."""
    p = Zd.shape[1]
    trG, trGG, trGtG, meth = solver.traces(rho, lyt)
    I = np.zeros((p + 2, p + 2))
    if model in _LAG:
        xb = (Zd @ beta).reshape(T, N)
        gz = _demean(solver.G_apply(rho, xb), fe).ravel()
        I[:p, :p] = Zd.T @ Zd / s2
        I[:p, p] = I[p, :p] = Zd.T @ gz / s2
        I[p, p] = Tj * (trGG + trGtG) + gz @ gz / s2
    else:
        Zs = Zd - rho * WZd
        I[:p, :p] = Zs.T @ Zs / s2
        I[p, p] = Tj * (trGG + trGtG)
    I[p, p + 1] = I[p + 1, p] = Tj * trG / s2
    I[p + 1, p + 1] = m / (2 * s2 * s2)
    return I, meth
