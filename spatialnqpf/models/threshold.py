"""Panel threshold regression with individual fixed effects (Hansen 1999).

Public entry point: :func:`panel_threshold`.  Written here: no Python package implements
Hansen's panel estimator with his bootstrap (Stata ``xthreg``, R ``pdR::ptm`` and Hansen's
GAUSS/Matlab code are the peers; ``pdR::ptm`` has defects, see the docstring).

Model (k thresholds γ₁ < … < γ_k, regimes r1 = {q ≤ γ₁}, r2 = {γ₁ < q ≤ γ₂}, …)::

    y_it = μ_i + z_it'β + Σ_j x_it'δ_j 1{γ_{j−1} < q_it ≤ γ_j} + e_it

Fast least squares over the candidate grid
------------------------------------------
With D_γ = x ⊙ 1{q ≤ γ} and W̃ the within-transformed fixed part of the design
[z, x, x ⊙ 1{q ≤ γ_f} for the fixed thresholds], Frisch–Waugh gives

    S(γ) = S_W − u(γ)'A(γ)⁻¹u(γ),  u = D_γ'ê,  A = D_γ'QD_γ − D_γ'W̃ (W̃'W̃)⁻¹ W̃'D_γ

(Q the within transformation, ê = M_W ỹ).  Sorting the observations by q, u, D'W̃ and
D'QD are cumulative sums (D'QD = D'D − Σ_i s_i s_i'/T with the running unit sums s_i), so the
whole grid costs one pass over the data.  In the fixed-regressor bootstrap only u depends
on the draw: A(γ)⁻¹ is computed once per set of fixed thresholds and reused for every draw,
all draws of a batch at once.
"""
from __future__ import annotations

import math
import types

import numpy as np
import pandas as pd

from .._results import EstimationResults
from .._validation import (DataError, as_generator, check_panel, format_values,
                           require_columns)
from ._within import codes, cr1

__all__ = ["panel_threshold", "ThresholdResults", "ThresholdError", "hansen_c"]


class ThresholdError(DataError):
    """The threshold variable cannot support the requested thresholds and trimming."""


def hansen_c(level: float = 0.95) -> float:
    """Hansen's (1999, 2000) critical value c(α) = −2 ln(1 − √level) of the LR statistic."""
    return float(-2.0 * np.log(1.0 - np.sqrt(level)))


class ThresholdResults(EstimationResults):
    """Result of :func:`panel_threshold` (immutable).

    Attributes
    ----------
    thresholds : Series  γ̂ (index ``gamma1``, ``gamma2``, …) in the order of estimation
        (γ̂₁ refined given γ̂₂, then γ̂₂, γ̂₃); regimes use the sorted values.
    ci : DataFrame  columns ``lower``, ``upper`` (LR inversion at ``level``), same order.
    tests : DataFrame  one row per number of thresholds (index 1, 2, …): ``F``,
        ``p_boot``, ``crit_10``, ``crit_5``, ``crit_1``, plus ``ssr`` and ``n_boot``.
    params, bse, cov : coefficients of the k-threshold model; regime slopes ``"<x>_r1"``,
        ``"<x>_r2"``, … (r1 the lowest-q regime); other regressors keep their names.
    lr : DataFrame  LR curves (columns ``threshold`` (gamma1, …), ``gamma``, ``LR``).
    ssr, sigma2 : float  S_k and S_k / (N(T − 1)).
    regime_counts : Series  observations per regime.
    info : mapping
    fit : SpatialResults or None  the final SDM (spatial version)
    """

    _title = "Panel threshold regression (Hansen 1999)"

    def __init__(self, params, cov, *, df_resid, thresholds, ci, tests, lr, ssr, sigma2,
                 regime_counts, info, boot_F=None, flags=(), fit=None):
        self._init_estimates(params, cov, df_resid=df_resid, flags=flags)
        self.fit = fit
        self.thresholds = thresholds
        self.ci = ci
        self.tests = tests
        self.lr = lr
        self.ssr = float(ssr)
        self.sigma2 = float(sigma2)
        self.regime_counts = regime_counts
        self.info = types.MappingProxyType(dict(info))
        self._boot_F = types.MappingProxyType(dict(boot_F or {}))
        self._freeze()

    @property
    def boot_F(self):
        """Bootstrap F statistics per test (dict k → array)."""
        return dict(self._boot_F)

    def _summary_notes(self):
        lines = ["Thresholds (LR-inversion CI at level "
                 f"{self.info['level']}, c = {hansen_c(self.info['level']):.4f}):"]
        for name, g in self.thresholds.items():
            lo, hi = self.ci.loc[name, "lower"], self.ci.loc[name, "upper"]
            lines.append(f"  {name} = {g:.6g}   [{lo:.6g}, {hi:.6g}]")
        spatial = self.info.get("spatial")
        lines.append("Threshold tests (" + ("LR = 2(l_k - l_(k-1)); no bootstrap):" if spatial
                     else f"fixed-regressor bootstrap, {self.info['n_boot']} draws):"))
        with pd.option_context("display.width", 120):
            lines.append(self.tests.to_string())
        if spatial:
            lines.append(f"N = {self.info['N']}, T = {self.info['T']}; {spatial}; "
                         f"candidates: {self.info['candidates']}")
        else:
            lines.append(f"N = {self.info['N']}, T = {self.info['T']}, S = {self.ssr:.6g}, "
                         f"sigma2 = S/(N(T-1)) = {self.sigma2:.6g}; candidates: "
                         f"{self.info['candidates']}")
        return lines

    def plot_lr(self, ax=None):
        """The LR plot: LR_k(γ) for each threshold with Hansen's critical value."""
        import matplotlib.pyplot as plt
        names = list(self.thresholds.index)
        if ax is None:
            fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.5),
                                     squeeze=False)
            axes = axes[0]
        else:
            axes = np.atleast_1d(ax)
        c = hansen_c(self.info["level"])
        for a, name in zip(axes, names):
            d = self._lr_frame(name)
            a.plot(d["gamma"], d["LR"], lw=1, color="k")
            a.axhline(c, ls="--", color="#b00", lw=0.8)
            a.set_xlabel(f"{name} ({self.info['q']})")
            a.set_ylabel("LR")
        return axes

    def _lr_frame(self, name):
        lr = self.lr
        return lr[lr["threshold"] == name]


# --------------------------------------------------------------------------- core

class _Grid:
    """Sorted cumulative sums of one panel for the vectorised threshold search."""

    def __init__(self, Zw, X, Xw, q, unit, T, cand_vals, trims, nmin):
        self.n = len(q)
        self.T = T
        self.Zw = Zw                  # within-transformed regime-independent regressors
        self.X = X                    # regime regressors (raw)
        self.Xw = Xw                  # within-transformed regime regressors
        self.q = q
        self.unit = unit
        self.nmin = nmin
        order = np.argsort(q, kind="mergesort")
        self.order = order
        qs = q[order]
        # candidate γ: position of the last sorted observation with q ≤ γ
        pos = np.searchsorted(qs, cand_vals, side="right") - 1
        keep = pos >= 0
        self.cand = np.asarray(cand_vals, float)[keep]
        self.pos = pos[keep]
        self.count = self.pos + 1                 # #obs with q ≤ γ
        Xs = X[order]
        us = unit[order]
        m = X.shape[1]
        # running unit sums s_i before each observation enters (exclusive cumsum per unit)
        prev = np.zeros((self.n, m))
        srt = np.argsort(us, kind="mergesort")      # grouped by unit, q order kept
        Xg = Xs[srt]
        csg = np.cumsum(Xg, axis=0) - Xg
        starts = np.r_[0, np.flatnonzero(np.diff(us[srt])) + 1]
        base = np.repeat(csg[starts], np.diff(np.r_[starts, self.n]), axis=0)
        prev[srt] = csg - base
        # increments of Σ_i s_i s_i' when obs (s_prev, r) enters: s r' + r s' + r r'
        inc = (prev[:, :, None] * Xs[:, None, :] + Xs[:, :, None] * prev[:, None, :]
               + Xs[:, :, None] * Xs[:, None, :])
        SS = np.cumsum(inc, axis=0)[self.pos] / T
        DD = np.cumsum(Xs[:, :, None] * Xs[:, None, :], axis=0)[self.pos]
        self.DQD = DD - SS
        self.Xs = Xs
        self.m = m
        self._steps = {}
        self.trims = trims

    def valid(self, fixed, step):
        """Candidates that leave every regime at least nmin observations."""
        nmin = self.nmin[step]
        cnt = self.count
        ok = (cnt >= nmin) & (self.n - cnt >= nmin)
        for f in fixed:
            ok &= np.abs(cnt - self.count[f]) >= nmin
        ok[list(fixed)] = False
        return ok

    def design(self, fixed):
        """Within-transformed fixed part W̃ = [z, x, x ⊙ 1{q ≤ γ_f}…]."""
        cols = [self.Zw, self.Xw]
        for f in sorted(fixed, key=lambda j: self.cand[j]):
            D = self.X * (self.q <= self.cand[f])[:, None]
            cols.append(_demean_unit(D, self.unit, self.T))
        return np.hstack([c for c in cols if c.shape[1]])

    def step(self, fixed, step):
        """Factorisations for a set of fixed thresholds (cached): W̃, (W̃'W̃)⁻¹, A(γ)⁻¹."""
        key = (tuple(sorted(fixed)), step)
        st = self._steps.get(key)
        if st is None:
            ok = self.valid(fixed, step)
            if not ok.any():
                raise ThresholdError(
                    "no candidate threshold leaves every regime with at least "
                    f"{self.nmin[step]} observations (step {step + 1}, fixed thresholds "
                    f"{format_values(self.cand[list(fixed)])})")
            idx = np.flatnonzero(ok)
            W = self.design(key[0])
            WtW = W.T @ W
            L = np.linalg.cholesky(WtW)
            Li = np.linalg.inv(L)
            WtWi = Li.T @ Li
            Ws = W[self.order]
            C = np.cumsum(self.Xs[:, :, None] * Ws[:, None, :], axis=0)[self.pos[idx]]
            A = self.DQD[idx] - np.einsum("cmp,pq,cnq->cmn", C, WtWi, C)
            try:
                Ainv = np.linalg.inv(A)
            except np.linalg.LinAlgError:      # a candidate collinear with the design
                Ainv = np.stack([np.linalg.pinv(a) for a in A])
            st = (W, WtWi, Ainv, idx)
            self._steps[key] = st
        return st

    def search(self, Y, fixed, step, curve=False, chunk=None):
        """Minimise S(γ | fixed) for every column of Y (n × B, within-transformed).

        Returns (S_min (B,), argmin candidate index (B,), S_W (B,)[, S curve (c, B)]).
        """
        W, WtWi, Ainv, idx = self.step(fixed, step)
        Y = np.asarray(Y, float)
        B = Y.shape[1]
        if chunk is None:
            chunk = max(1, int(4e6 // max(1, self.n * self.m)))
        Smin = np.empty(B)
        arg = np.empty(B, dtype=np.intp)
        SW = np.empty(B)
        curves = np.empty((len(self.cand), B)) if curve else None
        for s in range(0, B, chunk):
            Yb = Y[:, s:s + chunk]
            E = Yb - W @ (WtWi @ (W.T @ Yb))
            sw = np.einsum("nb,nb->b", E, E)
            Es = E[self.order]
            U = np.cumsum(self.Xs[:, :, None] * Es[:, None, :], axis=0)[self.pos[idx]]  # c,m,b
            red = np.einsum("cmb,cmn,cnb->cb", U, Ainv, U)
            S = sw[None, :] - red
            j = np.argmin(S, axis=0)
            Smin[s:s + chunk] = S[j, np.arange(S.shape[1])]
            arg[s:s + chunk] = idx[j]
            SW[s:s + chunk] = sw
            if curve:
                full = np.full((len(self.cand), S.shape[1]), np.inf)
                full[idx] = S
                curves[:, s:s + chunk] = full
        return (Smin, arg, SW, curves) if curve else (Smin, arg, SW)


def _demean_unit(A, unit, T):
    sums = np.zeros((int(unit.max()) + 1, A.shape[1]))
    np.add.at(sums, unit, A)
    return A - (sums / T)[unit]


def _sequence(grid, Y, k_max, curve=False):
    """Hansen's sequential estimation for each column of Y.

    Returns dict with, per k = 1..k_max: ``S`` (SSR of the k-threshold model after the
    steps of k), ``S_null`` (SSR of the (k−1)-threshold model used in F_k), ``gam``
    (candidate indices of the thresholds, estimation order) and optional LR curves.
    """
    B = Y.shape[1]
    out = {}
    S1, g1, S0, c1 = (grid.search(Y, (), 0, curve=True) if curve
                      else grid.search(Y, (), 0) + (None,))
    out[1] = dict(S=S1, S_null=S0, gam=[g1], curves=[c1])
    if k_max == 1:
        return out
    def given_one(fixed):
        """Search one more threshold given one fixed threshold per column; columns that share
        the fixed value are searched together, reusing the factorisation."""
        S = np.empty(B)
        g = np.empty(B, dtype=np.intp)
        c = np.empty((len(grid.cand), B)) if curve else None
        for v in np.unique(fixed):
            sel = np.flatnonzero(fixed == v)
            r = grid.search(Y[:, sel], (int(v),), 1, curve=curve)
            S[sel], g[sel] = r[0], r[1]
            if curve:
                c[:, sel] = r[3]
        return S, g, c

    S2, g2, c2 = given_one(g1)      # γ̂2 | γ̂1
    S2r, g1r, c1r = given_one(g2)   # refinement γ̂1 | γ̂2
    out[2] = dict(S=S2, S_null=S1, gam=[g1r, g2], curves=[c1r, c2], S_refined=S2r)
    if k_max == 2:
        return out
    S3 = np.empty(B)
    g3 = np.empty(B, dtype=np.intp)
    c3 = np.empty((len(grid.cand), B)) if curve else None
    pairs = np.stack([g1r, g2], axis=1)
    for pr in np.unique(pairs, axis=0):
        sel = np.flatnonzero((pairs == pr).all(axis=1))
        r = grid.search(Y[:, sel], (int(pr[0]), int(pr[1])), 2, curve=curve)
        S3[sel], g3[sel] = r[0], r[1]
        if curve:
            c3[:, sel] = r[3]
    out[3] = dict(S=S3, S_null=S2r, gam=[g1r, g2, g3], curves=[c1r, c2, c3])
    return out


def _hansen_grid(q, n_grid, trim):
    """Candidate values of Hansen's code (and xthreg): quantiles of the distinct values.

    dd = sorted distinct q; sq = trim, trim + 1/n_grid, …, trim + (n_grid − 2 n_grid trim)
    / n_grid; candidates dd[floor(sq · #dd)] (1-based, as Hansen's code and pdR).
    """
    dd = np.unique(q)
    qnt = n_grid * trim
    nseq = int(math.floor(n_grid - 2 * qnt + 1e-9)) + 1
    sq = trim + np.arange(nseq) * (1.0 / n_grid)
    ix = np.floor(sq * len(dd)).astype(int) - 1
    ix = np.clip(ix, 0, len(dd) - 1)
    return np.unique(dd[ix])


def panel_threshold(data: pd.DataFrame, y: str, x, regime_x, q: str, *, id: str = "code",
                    time: str = "year", n_thresholds: int = 1, trim=0.01, n_boot: int = 300,
                    seed=0, grid: int | None = None, level: float = 0.95, cluster=None,
                    progress: bool = False, w=None, fe="individual", backend: str = "serial",
                    client=None, n_workers: int | None = None) -> ThresholdResults:
    """Hansen's (1999) fixed-effects panel threshold model with sequential bootstrap tests.

    Parameters
    ----------
    data : DataFrame
        Balanced long panel, one row per (``id``, ``time``).
    y : str
    x : list of str
        All regressors; those in ``regime_x`` get one slope per regime.
    regime_x : list of str
        Regime-dependent regressors (a subset of ``x``).
    q : str
        Threshold variable (it may also be in ``x``).
    id, time : str
    n_thresholds : {1, 2, 3}
    trim : float or list of float
        Trimming by count: each regime keeps at least ceil(trim · NT) observations; a list
        gives one trim per step (single, double, triple).
    n_boot : int
        Fixed-regressor bootstrap draws per test (0: no bootstrap, p-values NaN).
    seed : int, None or Generator
        Draw b of test k uses ``as_generator(seed, key=(k, b))``: results do not depend on
        the order of the draws.
    grid : int, optional
        None (default): every distinct value of q is a candidate.  An int: the quantile grid
        of Hansen's code and ``xthreg`` (``grid=400`` in Hansen 1999) built from the first
        trim, so published tables can be replicated; meant for large n.
    level : float
        Level of the LR-inversion confidence intervals.
    cluster : str, optional
        None: ``bse`` as Stata ``xtreg, fe`` (σ̂² = S/(NT − N − K), t(NT − N − K)).  A column
        (usually ``id``): CR1 clustered SEs (K = slopes + 1, as reghdfe), t(G − 1).
    progress : bool
        tqdm progress bar for the bootstrap (and for the grid of the spatial version).
    w : libpysal Graph or W, optional
        Spatial version: thresholds in an SDM, y = ρWy + Σ_j (X_j β_j + W X_j θ_j) + μ_i (+ λ_t)
        with regime-dependent β and θ (X_j = x ⊙ 1{regime j}), estimated by concentrated
        maximum likelihood (:func:`~spatialnqpf.models.spatial_panel`, Lee–Yu) over the same
        candidate grid and trimming: γ̂ maximises ℓ(γ), sequentially as above.  ``tests``
        then holds LR_k = 2(ℓ_k − ℓ_{k−1}) (column ``LR``; F and the bootstrap columns are
        NaN: no bootstrap for the spatial version), CI = {γ: 2(ℓ(γ̂) − ℓ(γ)) ≤ c(α)};
        ``params`` are the SDM's (``<x>_r1``, ``W_<x>_r1``, …, ``rho``); ``fit`` the final
        :class:`~spatialnqpf.models.SpatialResults` (effects by regime regressor).
    fe : {"individual", "twoways"}
        Fixed effects of the spatial version (the non-spatial model is Hansen's, unit
        effects only).
    backend : {"serial", "processes", "dask"}
        Where the bootstrap draws run: :func:`spatialnqpf.batch.run` over chunks of 100
        draws (``client``: a dask.distributed Client; ``n_workers``: pool size).  Draw b of
        test k is seeded by (seed, (k, b)) alone, so every backend gives the same p-values
        bit for bit.

    Conventions (those of Hansen's algorithm and ``xthreg``)
    ---------------------------------------------------------
    * regimes q ≤ γ₁ < q ≤ γ₂ …; r1 is the lowest-q regime;
    * full within transformation (unit demeaning), σ̂²_k = S_k/(N(T − 1));
    * sequential estimation: γ̂₁; γ̂₂ | γ̂₁; refined γ̂₁ | γ̂₂; γ̂₃ | (refined γ̂₁, γ̂₂);
    * F_k = (S_{k−1} − S_k)/σ̂²_k with S_k = min S(γ_k | earlier) and, for k = 3, S₂ the SSR at
      (refined γ̂₁, γ̂₂);
    * fixed-regressor bootstrap: y* = ŷ₀ + ê*, ŷ₀, ê the within fit and residuals of the
      (k−1)-threshold model, ê* whole units' residual vectors drawn with replacement; the
      thresholds are re-estimated in each draw by the same sequence; p = share of
      bootstrap F above F; critical values the order statistics F*_(⌈0.9B⌉), … as Hansen;
    * CI: the candidates with LR(γ) = (S(γ) − S(γ̂))/σ̂² ≤ c(α) = −2 ln(1 − √(1 − α))
      (7.3523 at 95%), reported as [min, max];
    * ``pdR::ptm`` divides F by NT instead of N(T − 1) and keeps only one fixed threshold in
      its triple-threshold null; this function follows Hansen's algorithm instead.

    Raises
    ------
    ThresholdError
        q has too few distinct values for the trimming (the number needed is stated).
    DataError
        regime_x not in x, missing columns or values, no variation.
    PanelError
        unbalanced panel, duplicated rows.

    References
    ----------
    Hansen, B. E. (1999). Threshold effects in non-dynamic panels: estimation, testing, and
    inference. Journal of Econometrics 93, 345–368.
    Wang, Q. (2015). Fixed-effect panel threshold model using Stata. Stata Journal 15, 121–134.
    """
    xs = [x] if isinstance(x, str) else list(x)
    rx = [regime_x] if isinstance(regime_x, str) else list(regime_x)
    if not rx:
        raise DataError("regime_x must name at least one regime-dependent regressor")
    not_in = [v for v in rx if v not in xs]
    if not_in:
        raise DataError(f"regime_x variable(s) {format_values(not_in)} are not in x "
                        f"({format_values(xs)}); every regime regressor must be in x")
    if int(n_thresholds) not in (1, 2, 3):
        raise ValueError(f"n_thresholds must be 1, 2 or 3, got {n_thresholds!r}")
    k_max = int(n_thresholds)
    trims = list(trim) if np.ndim(trim) else [float(trim)] * k_max
    if len(trims) < k_max:
        raise ValueError(f"trim has {len(trims)} value(s); n_thresholds={k_max} needs one "
                         "per step")
    for t_ in trims:
        if not 0 < float(t_) < 0.5:
            raise ValueError(f"trim must be in (0, 0.5), got {t_!r}")
    if int(n_boot) < 0:
        raise ValueError(f"n_boot must be >= 0, got {n_boot!r}")
    from ..batch import BACKENDS
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    cols = list(dict.fromkeys([y] + xs + [q]))
    d = check_panel(data, id, time, columns=cols, balanced=True)
    if w is not None:
        return _spatial_threshold(data, y, xs, rx, q, id, time, k_max, trims, grid, level, w,
                                  fe, progress)
    # unit-major arrays (unit, then time)
    d = d.sort_values([id, time], kind="mergesort").reset_index(drop=True)
    unit, N = codes(d[id])
    T = int(d[time].nunique())
    n = N * T
    zx = [v for v in xs if v not in rx]
    yv = d[y].to_numpy(float)
    Z = d[zx].to_numpy(float).reshape(n, len(zx))
    X = d[rx].to_numpy(float)
    qv = d[q].to_numpy(float)
    nmin = [int(math.ceil(float(t_) * n)) for t_ in trims]
    ndist = len(np.unique(qv))
    need = k_max + 1
    if ndist < need or n < (k_max + 1) * max(nmin[:k_max]):
        raise ThresholdError(f"threshold variable {q!r} has {ndist} distinct value(s); "
                             f"{k_max} threshold(s) need at least {need} distinct values and "
                             f"{k_max + 1} regimes of at least ceil(trim*NT) = "
                             f"{max(nmin[:k_max])} observations each (NT = {n})")
    yw = _demean_unit(yv[:, None], unit, T)[:, 0]
    Zw = _demean_unit(Z, unit, T) if Z.shape[1] else Z
    Xw = _demean_unit(X, unit, T)
    raw_all = np.hstack([Z, X])
    flat = [v for v, c, r in zip(zx + rx, np.hstack([Zw, Xw]).T, raw_all.T)
            if np.abs(c).max() <= 1e-12 * max(np.abs(r).max(), 1e-300)]
    if flat:
        raise DataError(f"regressor(s) without within-unit variation: {format_values(flat)}")
    cand = np.unique(qv) if grid is None else _hansen_grid(qv, int(grid), float(trims[0]))
    gr = _Grid(Zw, X, Xw, qv, unit, T, cand, trims, nmin)
    try:
        np.linalg.cholesky(gr.design(()).T @ gr.design(()))
    except np.linalg.LinAlgError:
        raise DataError(f"regressors {format_values(zx + rx)} are perfectly collinear after "
                        "the within transformation") from None
    try:
        seq = _sequence(gr, yw[:, None], k_max, curve=True)
    except ThresholdError as err:
        raise ThresholdError(f"threshold variable {q!r} ({ndist} distinct values, NT = {n}) "
                             f"cannot support {k_max} threshold(s) with trim {trims[:k_max]}: "
                             f"{err}; each regime needs at least {max(nmin[:k_max])} "
                             f"observations, so at least {k_max + 1} distinct values "
                             "spread over the sample") from None
    dfw = N * (T - 1)
    cval = hansen_c(level)
    # ------------------------------------------------------------------ tests
    rows = []
    boot = {}
    for k in range(1, k_max + 1):
        sk = seq[k]
        S_k, S_null = float(sk["S"][0]), float(sk["S_null"][0])
        F = (S_null - S_k) / (S_k / dfw)
        Fb = _bootstrap(gr, seq, k, yw, unit, N, T, int(n_boot), seed, progress,
                        backend=backend, client=client, n_workers=n_workers)
        boot[k] = Fb
        if len(Fb):
            srt = np.sort(Fb)
            B = len(Fb)
            crit = [srt[int(math.ceil(p * B)) - 1] for p in (0.90, 0.95, 0.99)]
            p = float(np.mean(Fb > F))
        else:
            crit, p = [np.nan] * 3, np.nan
        rows.append(dict(F=F, p_boot=p, crit_10=crit[0], crit_5=crit[1], crit_1=crit[2],
                         ssr=S_k, n_boot=len(Fb)))
    tests = pd.DataFrame(rows, index=pd.Index(range(1, k_max + 1), name="n_thresholds"))
    # ------------------------------------------------------- final thresholds, CI
    last = seq[k_max]
    gidx = [int(g[0]) for g in last["gam"]]
    names = [f"gamma{j + 1}" for j in range(k_max)]
    thresholds = pd.Series(gr.cand[gidx], index=names, name="threshold")
    ci_rows, lr_parts = [], []
    for j, name in enumerate(names):
        curve = last["curves"][j][:, 0]
        Smin = curve[gidx[j]] if np.isfinite(curve[gidx[j]]) else np.min(curve)
        s2 = Smin / dfw
        lr = (curve - Smin) / s2
        okc = np.isfinite(lr)
        inside = gr.cand[okc & (lr <= cval)]
        ci_rows.append(dict(lower=inside.min(), upper=inside.max()))
        lr_parts.append(pd.DataFrame({"threshold": name, "gamma": gr.cand[okc],
                                      "LR": lr[okc]}))
    ci = pd.DataFrame(ci_rows, index=names)
    lrf = pd.concat(lr_parts, ignore_index=True)
    # ------------------------------------------------------- coefficients
    gs = np.sort(thresholds.to_numpy())
    reg = np.searchsorted(gs, qv, side="left")     # 0 for q ≤ γ1, 1 for γ1 < q ≤ γ2, ...
    blocks, pnames = [Zw], list(zx)
    for r in range(k_max + 1):
        D = X * (reg == r)[:, None]
        blocks.append(_demean_unit(D, unit, T))
        pnames += [f"{v}_r{r + 1}" for v in rx]
    Xf = np.hstack(blocks)
    XtX = Xf.T @ Xf
    XtXi = np.linalg.inv(XtX)
    beta = XtXi @ (Xf.T @ yw)
    e = yw - Xf @ beta
    S = float(e @ e)
    K = Xf.shape[1]
    if cluster is None:
        df_resid = n - N - K
        V = XtXi * S / df_resid
    else:
        if cluster == id:
            gcl, G = unit, N
        else:
            require_columns(data, [cluster])
            cl = data.loc[:, [id, time, cluster]].merge(d[[id, time]], on=[id, time],
                                                         how="right")[cluster]
            gcl, G = codes(cl.astype(str))
        V, G = cr1(Xf, e, XtXi, [gcl], K + 1)
        df_resid = G - 1
    cov = pd.DataFrame(V, index=pnames, columns=pnames)
    counts = pd.Series(np.bincount(reg, minlength=k_max + 1),
                       index=[f"r{r + 1}" for r in range(k_max + 1)], name="n")
    info = dict(y=y, x=tuple(xs), regime_x=tuple(rx), q=q, id=id, time=time, N=N, T=T,
                n_thresholds=k_max, trim=tuple(trims[:k_max]), n_boot=int(n_boot),
                seed=seed if isinstance(seed, (int, type(None))) else "Generator",
                level=level, candidates=("all distinct values" if grid is None
                                         else f"Hansen quantile grid ({grid})")
                + f", {len(gr.cand)} values", cluster=cluster, c_alpha=cval)
    flags = []
    return ThresholdResults(pd.Series(beta, index=pnames), cov, df_resid=df_resid,
                            thresholds=thresholds, ci=ci, tests=tests, lr=lrf, ssr=S,
                            sigma2=S / dfw, regime_counts=counts, info=info,
                            boot_F=boot, flags=flags)


def _null_fit(gr, seq, k, yw):
    """Within fitted values and residuals of the (k−1)-threshold model."""
    if k == 1:
        W = gr.design(())
    else:
        prev = seq[k - 1]
        gam = [int(g[0]) for g in prev["gam"]]
        W = gr.design(tuple(gam))
    b = np.linalg.lstsq(W, yw, rcond=None)[0]
    fit = W @ b
    return fit, yw - fit


_BOOT_CHUNK = 100   # draws per batch job (and per vectorised search)


def _boot_draws(gr, k, fit, E, seed, reps):
    """Bootstrap F statistics of test ``k`` for the draws ``reps`` (one batch job).

    Draw b resamples whole units' null residuals with ``as_generator(seed, key=(k, b))``.
    """
    N, T = E.shape
    bs = list(reps)
    draws = np.stack([as_generator(seed, key=(k, b)).integers(0, N, N) for b in bs])
    Y = fit[:, None] + E[draws].reshape(len(bs), N * T).T
    sq = _sequence(gr, Y, k, curve=False)
    Sk, Sn = sq[k]["S"], sq[k]["S_null"]
    return (Sn - Sk) / (Sk / (N * (T - 1)))


def _keep(value):
    return value


def _bootstrap(gr, seq, k, yw, unit, N, T, n_boot, seed, progress, backend="serial",
               client=None, n_workers=None):
    """Fixed-regressor bootstrap of test k through :func:`spatialnqpf.batch.run`."""
    from .. import batch
    if n_boot == 0:
        return np.empty(0)
    if backend not in batch.BACKENDS:
        raise ValueError(f"backend must be one of {batch.BACKENDS}, got {backend!r}")
    fit, e = _null_fit(gr, seq, k, yw)
    if isinstance(seed, np.random.Generator):       # one draw → an int base seed
        seed = int(seed.integers(2 ** 63))
    elif seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    E = e.reshape(N, T)                             # unit-major layout: row i*T + t
    jobs = [batch.Job(key=("threshold_boot", k, s), func=_boot_draws,
                      kwargs=dict(gr=gr, k=k, fit=fit, E=E, seed=seed,
                                  reps=range(s, min(n_boot, s + _BOOT_CHUNK))), params={})
            for s in range(0, n_boot, _BOOT_CHUNK)]
    out = batch.run(jobs, backend=backend, client=client, seed=0, progress=progress,
                    n_workers=n_workers, collect=_keep)
    if out.failures:
        key, f = next(iter(out.failures.items()))
        raise RuntimeError(f"threshold bootstrap (k={k}): {len(out.failures)} of {len(jobs)} "
                           f"chunks failed; first {key}: {f.error}\n{f.traceback}")
    return np.concatenate([np.asarray(out.values[j.key], float) for j in jobs])


# --------------------------------------------------------------------------- spatial

def _spatial_threshold(data, y, xs, rx, q, id, time, k_max, trims, grid, level, w, fe,
                       progress):
    """Thresholds in an SDM by concentrated ML over the candidate grid (see panel_threshold)."""
    import dataclasses

    from tqdm.auto import tqdm

    from ._taxonomy import normalise_fe
    from .panel import _choose_logdet, _fit, prepare_panel
    fe = normalise_fe(fe, ("individual", "twoways"))
    extra = [] if q in xs else [q]
    d0 = prepare_panel(data, y, xs + extra, w, id=id, time=time)
    T, N = d0.T, d0.N
    n = N * T
    qv = d0.X[:, :, (xs + extra).index(q)].ravel()
    zx = [v for v in xs if v not in rx]
    Z = d0.X[:, :, [xs.index(v) for v in zx]]
    X = d0.X[:, :, [xs.index(v) for v in rx]]
    nmin = [int(math.ceil(float(t_) * n)) for t_ in trims]
    ndist = len(np.unique(qv))
    if ndist < k_max + 1 or n < (k_max + 1) * max(nmin[:k_max]):
        raise ThresholdError(f"threshold variable {q!r} has {ndist} distinct value(s); "
                             f"{k_max} threshold(s) need at least {k_max + 1} distinct values "
                             f"and regimes of at least {max(nmin[:k_max])} observations")
    cand = np.unique(qv) if grid is None else _hansen_grid(qv, int(grid), float(trims[0]))
    count = np.array([(qv <= c).sum() for c in cand])
    ld = _choose_logdet(d0.W, "auto", 0)
    qT = qv.reshape(T, N)

    def fit(gams):
        g = np.sort(gams)
        reg = np.searchsorted(g, qT, side="left")
        blocks = [Z] + [X * (reg == r)[:, :, None] for r in range(len(g) + 1)]
        names = zx + [f"{v}_r{r + 1}" for r in range(len(g) + 1) for v in rx]
        dd = dataclasses.replace(d0, X=np.concatenate(blocks, axis=2), xnames=tuple(names))
        return _fit(dd, "sdm", fe, True, _ld=ld)

    def search(fixed, step, bar):
        ok = (count >= nmin[step]) & (n - count >= nmin[step])
        for f in fixed:
            ok &= np.abs(count - count[f]) >= nmin[step]
        ok[list(fixed)] = False
        if not ok.any():
            raise ThresholdError("no candidate threshold leaves every regime with at least "
                                 f"{nmin[step]} observations (step {step + 1})")
        ll = np.full(len(cand), -np.inf)
        for j in np.flatnonzero(ok):
            ll[j] = fit([cand[f] for f in fixed] + [cand[j]]).llf
            bar.update(1)
        return int(np.argmax(ll)), ll

    total = len(cand) * (1 + 2 * (k_max >= 2) + (k_max >= 3))
    with tqdm(total=total, desc="spatial threshold grid", disable=not progress,
              leave=False) as bar:
        base = _fit(dataclasses.replace(d0, X=np.concatenate([Z, X], axis=2),
                                        xnames=tuple(zx + rx)), "sdm", fe, True, _ld=ld).llf
        g1, ll1 = search((), 0, bar)
        seqs = {1: ([g1], [ll1], base, ll1[g1])}
        if k_max >= 2:
            g2, ll2 = search((g1,), 1, bar)
            g1r, ll1r = search((g2,), 1, bar)
            seqs[2] = ([g1r, g2], [ll1r, ll2], ll1[g1], ll2[g2])
        if k_max >= 3:
            g3, ll3 = search((g1r, g2), 2, bar)
            seqs[3] = ([g1r, g2, g3], [ll1r, ll2, ll3], ll1r[g1r], ll3[g3])
    cval = hansen_c(level)
    rows = []
    for k in range(1, k_max + 1):
        _, _, lnull, lk = seqs[k]
        rows.append(dict(F=np.nan, p_boot=np.nan, crit_10=np.nan, crit_5=np.nan, crit_1=np.nan,
                         LR=2 * (lk - lnull), llf=lk, n_boot=0))
    tests = pd.DataFrame(rows, index=pd.Index(range(1, k_max + 1), name="n_thresholds"))
    gidx, curves = seqs[k_max][0], seqs[k_max][1]
    names = [f"gamma{j + 1}" for j in range(k_max)]
    thresholds = pd.Series(cand[gidx], index=names, name="threshold")
    ci_rows, parts = [], []
    for name, gj, ll in zip(names, gidx, curves):
        okc = np.isfinite(ll)
        lr = 2 * (ll[gj] - ll)
        inside = cand[okc & (lr <= cval)]
        ci_rows.append(dict(lower=inside.min(), upper=inside.max()))
        parts.append(pd.DataFrame({"threshold": name, "gamma": cand[okc], "LR": lr[okc]}))
    final = fit(list(cand[gidx]))
    gs = np.sort(cand[gidx])
    reg = np.searchsorted(gs, qv, side="left")
    counts = pd.Series(np.bincount(reg, minlength=k_max + 1),
                       index=[f"r{r + 1}" for r in range(k_max + 1)], name="n")
    info = dict(y=y, x=tuple(xs), regime_x=tuple(rx), q=q, id=id, time=time, N=N, T=T,
                n_thresholds=k_max, trim=tuple(trims[:k_max]), n_boot=0, level=level,
                candidates=("all distinct values" if grid is None
                            else f"Hansen quantile grid ({grid})") + f", {len(cand)} values",
                c_alpha=cval, spatial=f"SDM, fe={fe}, Lee-Yu, concentrated ML over the grid",
                llf=final.llf)
    res = ThresholdResults(final.params, final.cov, df_resid=None, thresholds=thresholds,
                           ci=pd.DataFrame(ci_rows, index=names), tests=tests,
                           lr=pd.concat(parts, ignore_index=True), ssr=np.nan,
                           sigma2=final.sigma2, regime_counts=counts, info=info,
                           flags=final.flags, fit=final)
    return res
