"""Distribution dynamics: kernel density by year, Markov and spatial Markov chains, convergence.

* :func:`kernel_density` / :func:`kernel_density_by_year` -- Gaussian kernel
  density with Silverman's rule, for the nation and each region.
* :func:`markov`, :func:`spatial_markov`, :func:`markov_homogeneity` --
  classical and spatial (Rey 2001) Markov chains on quantile classes of the
  pooled panel, computed by giddy after aligning the data and the weights by
  id; tables in the layout of applied papers.
* :func:`sigma_convergence`, :func:`beta_convergence`,
  :func:`spatial_beta_convergence` -- sigma and (absolute, conditional,
  spatial) beta convergence with two-way fixed effects.

References
----------
Silverman, B. W. (1986). *Density Estimation for Statistics and Data
Analysis*. Chapman & Hall, eq. (3.31).

Quah, D. (1993). Empirical cross-section dynamics in economic growth.
*European Economic Review* 37, 426-434.

Rey, S. J. (2001). Spatial empirics for economic growth and convergence.
*Geographical Analysis* 33(3), 195-214.

Bickenbach, F. & Bode, E. (2003). Evaluating the Markov property in studies
of economic convergence. *International Regional Science Review* 26(3), 363-392.

Barro, R. J. & Sala-i-Martin, X. (1992). Convergence. *Journal of Political
Economy* 100(2), 223-251.

Method notes: ``docs/methods/dynamics.md`` §4.3 (formulas and conventions);
the peers' defects it avoids: ``docs/anchors.md``.
"""
from __future__ import annotations

import warnings

from collections.abc import Mapping
from types import MappingProxyType
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from ._results import EstimationResults, Results
from ._validation import (DataError, IdMismatchError, PanelError, as_1d_float, check_panel,
                          format_values, graph_to_sparse)
from .inequality import _panel_groups, cv as _cv

__all__ = [
    "silverman_bandwidth", "kernel_density", "kernel_density_by_year", "KernelDensityResult",
    "quantile_classes", "markov", "MarkovResult", "spatial_markov", "SpatialMarkovResult",
    "markov_homogeneity", "sigma_convergence", "SigmaResult", "beta_convergence", "BetaResult",
    "spatial_beta_convergence", "within_transform", "convergence_speed",
    "beta_convergence_by_group", "club_convergence", "ClubConvergenceResult",
]


# ----------------------------------------------------------------------------
# kernel density
# ----------------------------------------------------------------------------
def silverman_bandwidth(values) -> float:
    r"""Silverman's rule of thumb, :math:`h = 0.9\min(s, \mathrm{IQR}/1.349)\, n^{-1/5}`.

    ``s`` is the sample standard deviation (``ddof=1``).  If the IQR is zero
    the standard deviation alone is used.  (R's ``bw.nrd0`` divides the IQR
    by 1.34 instead of 1.349.)
    """
    x = as_1d_float(values)
    if x.size < 2:
        raise DataError("a bandwidth needs at least two values")
    sd = x.std(ddof=1)
    iqr = np.subtract(*np.percentile(x, [75, 25]))
    spread = min(sd, iqr / 1.349) if iqr > 0 else sd
    if not spread > 0:
        raise DataError("values are constant: the kernel density is degenerate")
    return float(0.9 * spread * x.size ** (-0.2))


def _gauss_kde(x, grid, h, chunk=2_000_000):
    out = np.zeros(len(grid))
    step = max(1, chunk // max(len(x), 1))
    c = 1.0 / (len(x) * h * np.sqrt(2 * np.pi))
    for s in range(0, len(grid), step):
        g = grid[s:s + step]
        out[s:s + step] = np.exp(-0.5 * ((g[:, None] - x[None, :]) / h) ** 2).sum(axis=1) * c
    return out


def _check_support(support, x=None, what="values"):
    """``support`` as a ``(lo, hi)`` tuple of floats (``-inf``/``inf`` for an open side) or None.

    ``"observed"`` gives ``(min(x), max(x))``.  Values of ``x`` outside the support raise
    :class:`DataError` naming them.
    """
    if support is None:
        return None
    if isinstance(support, str):
        if support != "observed":
            raise ValueError(f"support must be None, 'observed' or (low, high), got {support!r}")
        if x is None:
            raise ValueError("support='observed' needs the values")
        return float(np.min(x)), float(np.max(x))
    try:
        lo, hi = support
    except (TypeError, ValueError):
        raise ValueError(f"support must be None, 'observed' or (low, high), got {support!r}") from None
    lo = -np.inf if lo is None else float(lo)
    hi = np.inf if hi is None else float(hi)
    if not lo < hi or np.isnan(lo) or np.isnan(hi):
        raise ValueError(f"support must have low < high, got {support!r}")
    if x is not None:
        bad = np.asarray(x)[(np.asarray(x) < lo) | (np.asarray(x) > hi)]
        if bad.size:
            raise DataError(f"{bad.size} {what} outside the declared support [{lo:g}, {hi:g}]: "
                            f"{format_values(sorted(bad.tolist()))}")
    return lo, hi


def _reflected_kde(x, grid, h, support):
    r"""Gaussian KDE on ``[lo, hi]`` by reflection at the bounds, 0 outside (own code: scipy's
    ``gaussian_kde`` has no boundary correction).

    :math:`\hat f(x) = rac{1}{nh}\sum_i [\phi(rac{x-x_i}{h}) + \phi(rac{x-(2a-x_i)}{h})
    + \phi(rac{x-(2b-x_i)}{h})]` for :math:`a \le x \le b` (Silverman 1986 §2.10, Jones 1993).
    """
    lo, hi = support
    xs = [x]
    if np.isfinite(lo):
        xs.append(2 * lo - x)
    if np.isfinite(hi):
        xs.append(2 * hi - x)
    d = _gauss_kde(np.concatenate(xs), grid, h) * len(xs)  # _gauss_kde divides by the count
    d[(grid < lo) | (grid > hi)] = 0.0
    return d


def _kde_grid(lo_x, hi_x, h, cut, n_grid, support):
    a, b = lo_x - cut * h, hi_x + cut * h
    if support is not None:
        a, b = max(a, support[0]), min(b, support[1])
    return np.linspace(a, b, n_grid)


def _bandwidth(x, bandwidth):
    if isinstance(bandwidth, str):
        if bandwidth != "silverman":
            raise ValueError(f"bandwidth must be 'silverman' or a positive number, got {bandwidth!r}")
        return silverman_bandwidth(x)
    h = float(bandwidth)
    if not h > 0:
        raise ValueError(f"bandwidth must be positive, got {bandwidth!r}")
    return h


def kernel_density(values, grid=None, bandwidth="silverman", n_grid: int = 256, cut: float = 3.0,
                   support=None):
    r"""Gaussian kernel density :math:`\hat f(x) = \frac{1}{nh}\sum_i \phi((x - x_i)/h)`.

    Parameters
    ----------
    values : array-like (n,)
    grid : array-like, optional
        Evaluation points (default ``n_grid`` points from ``min - cut h`` to ``max + cut h``,
        clipped to the support).
    bandwidth : "silverman" or float
        Silverman's rule (:func:`silverman_bandwidth`) or a user bandwidth.
    support : None, (low, high) or "observed"
        Support of a bounded variable (e.g. ``(0, 1)`` for entropy/TOPSIS scores; ``None``
        for an open side; ``"observed"`` = [min, max] of the values).  The density is then
        corrected by reflection at the bounds,
        :math:`\hat f(x) = \frac{1}{nh}\sum_i [\phi(\frac{x-x_i}{h}) + \phi(\frac{x-(2a-x_i)}{h})
        + \phi(\frac{x-(2b-x_i)}{h})]` on :math:`[a, b]` and 0 outside, so no mass leaks
        beyond the bounds (Silverman 1986 §2.10).  ``None`` (default): no correction.

    Returns
    -------
    grid, density : ndarray
    h : float
        The bandwidth used.
    """
    x = as_1d_float(values)
    h = _bandwidth(x, bandwidth)
    sup = _check_support(support, x)
    if grid is None:
        grid = _kde_grid(x.min(), x.max(), h, cut, n_grid, sup)
    grid = as_1d_float(grid, "grid")
    return grid, (_gauss_kde(x, grid, h) if sup is None else _reflected_kde(x, grid, h, sup)), h


@dataclass(eq=False, repr=False)
class KernelDensityResult(Results):
    """Kernel densities by year for the nation and each group (frozen).

    ``density[g]`` is an array (years x grid) for group ``g`` (``"nation"``
    first); ``bandwidth`` a DataFrame year x group.
    """

    column: str
    grid: np.ndarray = field(repr=False)
    years: tuple = ()
    groups: tuple = ()
    density: Mapping = field(default_factory=dict, repr=False)
    bandwidth: pd.DataFrame = field(default=None, repr=False)
    support: tuple | None = None

    def to_frame(self) -> pd.DataFrame:
        """Long table: group, year, x, density."""
        parts = []
        for g in self.groups:
            d = self.density[g]
            parts.append(pd.DataFrame({
                "group": g, "year": np.repeat(self.years, len(self.grid)),
                "x": np.tile(self.grid, len(self.years)), "density": d.ravel()}))
        return pd.concat(parts, ignore_index=True)

    def peaks(self) -> pd.DataFrame:
        """Location of the main peak (mode) by year and group."""
        return pd.DataFrame({g: self.grid[np.argmax(self.density[g], axis=1)] for g in self.groups},
                            index=pd.Index(self.years, name="year"))

    def summary(self) -> str:
        sup = ("" if self.support is None else
               f", reflected at the support [{self.support[0]:g}, {self.support[1]:g}]")
        return (f"Gaussian kernel density of {self.column!r}{sup}, {len(self.years)} years, "
                f"groups: {', '.join(map(str, self.groups))}\nmain peak by year:\n"
                + self.peaks().to_string(float_format=lambda v: f"{v:.4g}")
                + "\nbandwidth by year:\n"
                + self.bandwidth.to_string(float_format=lambda v: f"{v:.4g}"))


def kernel_density_by_year(data: pd.DataFrame, column: str, group=None, *, id: str = "code",
                           time: str = "year", bandwidth="silverman", grid=None,
                           n_grid: int = 256, cut: float = 3.0, national: bool = True,
                           support=None) -> KernelDensityResult:
    """Kernel density of ``column`` for every year, nationally and by group.

    All densities share one grid (spanning every year and group, padded by
    ``cut`` times the largest bandwidth) so they can be overlaid or drawn
    as a surface (:mod:`spatialnqpf.report.plot_inequality`).

    Parameters
    ----------
    group : None, False, str, mapping or Series
        As in :func:`spatialnqpf.inequality.dagum_gini_by_year` (``None``:
        NBS four regions); ``False`` for the nation only.
    bandwidth : "silverman" or float
        Silverman's rule per year and group, or one user bandwidth.
    support : None, (low, high) or "observed"
        Bounded variable: densities reflected at the bounds and 0 outside, the grid
        clipped to the support (see :func:`kernel_density`); ``"observed"`` uses the
        pooled [min, max] of the panel.  ``None`` (default): no boundary correction.
    """
    df = check_panel(data, id=id, time=time, columns=[column])
    sup = _check_support(support, df[column].to_numpy(dtype=float), what=f"values of {column!r}")
    if group is False:
        lab, order = np.array(["nation"] * len(df), dtype=object), []
        national = True
    else:
        lab, order = _panel_groups(df, group, id, data, time)
    df = df.assign(_g=lab)
    years = sorted(pd.unique(df[time]))
    names = (["nation"] if national else []) + list(order)
    subsets = {}
    bw = pd.DataFrame(index=pd.Index(years, name=time), columns=names, dtype=float)
    for yr in years:
        sub = df[df[time] == yr]
        for g in names:
            x = sub[column].to_numpy(dtype=float) if g == "nation" else \
                sub.loc[sub["_g"] == g, column].to_numpy(dtype=float)
            if x.size < 2:
                raise DataError(f"{time}={yr}, group {g!r}: fewer than two values for a density")
            try:
                bw.loc[yr, g] = _bandwidth(x, bandwidth)
            except DataError as e:
                raise DataError(f"{time}={yr}, group {g!r}: {e}") from None
            subsets[(yr, g)] = x
    if grid is None:
        hmax = np.nanmax(bw.to_numpy())
        lo, hi = df[column].min(), df[column].max()
        grid = _kde_grid(lo, hi, hmax, cut, n_grid, sup)
    grid = as_1d_float(grid, "grid")

    def one(x, h):
        return _gauss_kde(x, grid, h) if sup is None else _reflected_kde(x, grid, h, sup)
    dens = {g: np.vstack([one(subsets[(yr, g)], bw.loc[yr, g]) for yr in years])
            for g in names}
    return KernelDensityResult(column=column, grid=grid, years=tuple(years), groups=tuple(names),
                               density=MappingProxyType(dens), bandwidth=bw, support=sup)


# ----------------------------------------------------------------------------
# Markov chains
# ----------------------------------------------------------------------------
def _wide(data, column, id, time):
    df = check_panel(data, id=id, time=time, columns=[column], balanced=True)
    wide = df.pivot(index=id, columns=time, values=column).sort_index()
    wide = wide[sorted(wide.columns)]
    if wide.shape[1] < 2:
        raise PanelError(f"a Markov chain needs at least two periods; got {list(wide.columns)}")
    return wide


def _class_labels(k, labels):
    if labels is None:
        return [f"Q{i + 1}" for i in range(k)]
    labels = list(labels)
    if len(labels) != k:
        raise ValueError(f"labels has {len(labels)} entries for k={k} classes")
    return labels


def quantile_classes(data: pd.DataFrame, column: str, k: int = 4, *, id: str = "code",
                     time: str = "year", cutoffs: Sequence[float] | None = None):
    """Classify a balanced panel into ``k`` quantile classes of the pooled values.

    Class ``c`` (0-based) holds values in ``(b_{c-1}, b_c]`` with ``b`` the
    pooled quantiles at ``c/k`` (mapclassify ``Quantiles``, as giddy's
    ``Spatial_Markov(fixed=True)`` does); user ``cutoffs`` (``k - 1`` upper
    bounds) override them.

    Returns
    -------
    classes : DataFrame (ids x periods) of int
    bounds : ndarray (k,) upper bounds (the last is the maximum or inf)
    """
    import mapclassify as mc

    k = _check_classes(k, cutoffs)
    wide = _wide(data, column, id, time)
    y = wide.to_numpy(dtype=float)
    if cutoffs is None:
        q = mc.Quantiles(y.ravel(), k=k)
        bounds = np.asarray(q.bins, dtype=float)
        if len(bounds) < k:
            raise DataError(f"only {len(bounds)} distinct quantile classes for k={k} "
                            f"(too many tied values in {column!r})")
        cls = q.yb.reshape(y.shape)
    else:
        bounds = np.append(np.asarray(cutoffs, dtype=float), np.inf)
        if np.any(np.diff(bounds) <= 0):
            raise ValueError(f"cutoffs must increase strictly, got {list(cutoffs)}")
        cls = np.searchsorted(bounds, y, side="left")
    return pd.DataFrame(cls, index=wide.index, columns=wide.columns), bounds


def _check_classes(k, cutoffs, kname: str = "k", cname: str = "cutoffs") -> int:
    """``k`` an integer >= 2; ``cutoffs`` (if given) k - 1 finite, strictly increasing bounds."""
    from ._validation import as_count
    k = as_count(k, kname, minimum=2)
    if cutoffs is not None:
        if isinstance(cutoffs, (str, bytes)) or np.ndim(cutoffs) != 1:
            raise DataError(f"{cname} must be a list of numbers, got {cutoffs!r}")
        try:
            c = np.asarray(cutoffs, dtype=float)
        except (TypeError, ValueError):
            raise DataError(f"{cname} must be a list of numbers, got {cutoffs!r}") from None
        if not np.isfinite(c).all():
            raise DataError(f"{cname} must be finite numbers, got {list(cutoffs)!r}")
        if len(c) + 1 != k:
            raise DataError(f"{cname} {list(cutoffs)!r} define {len(c) + 1} classes but "
                            f"{kname}={k}; pass {kname}={len(c) + 1} or {k - 1} cutoffs")
        if np.any(np.diff(c) <= 0):
            raise DataError(f"{cname} must increase strictly, got {list(cutoffs)!r}")
    return k


def _giddy_markov(class_ids, k):
    from giddy.markov import Markov
    return Markov(np.asarray(class_ids), classes=np.arange(k), summary=False)


def _steady_mfpt(P):
    """Steady state and mean first passage times of ``P`` through giddy.ergodic.

    A chain with several recurrent classes has no unique steady state: NaN is
    returned (and the MFPT of unreachable states are inf, as giddy reports).
    """
    import warnings

    from giddy.ergodic import mfpt, steady_state

    P = np.asarray(P, dtype=float)
    k = P.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ss = np.atleast_2d(np.asarray(steady_state(P, fill_empty_classes=True), dtype=float))
        fm = np.asarray(mfpt(P, fill_empty_classes=True), dtype=float)
    ss = ss[0] if ss.shape == (1, k) else np.full(k, np.nan)
    if fm.shape != (k, k):
        fm = np.full((k, k), np.nan)
    else:
        # transient states never recur: giddy returns 1/(rounding noise) on the diagonal
        transient = np.isfinite(ss) & (ss < 1e-12)
        fm[transient, transient] = np.inf
    return ss, fm


@dataclass(eq=False, repr=False)
class MarkovResult(Results):
    """Classical Markov chain on quantile classes (frozen).

    Attributes
    ----------
    transitions : DataFrame (k x k) of counts, rows class at t, columns at t+1
    P : DataFrame (k x k) transition probabilities :math:`n_{ij}/n_i`
    steady_state : Series (k,)
    mfpt : DataFrame (k x k) mean first passage times (diagonal: recurrence times)
    classes : DataFrame ids x periods of class indices (0-based)
    bounds : ndarray upper bounds of the classes
    """

    column: str
    labels: tuple
    bounds: np.ndarray = field(repr=False)
    classes: pd.DataFrame = field(repr=False)
    transitions: pd.DataFrame = field(repr=False)
    P: pd.DataFrame = field(repr=False)
    steady_state: pd.Series = field(repr=False)
    mfpt: pd.DataFrame = field(repr=False)

    @property
    def k(self) -> int:
        return len(self.labels)

    def table(self, decimals: int = 4) -> pd.DataFrame:
        """Paper layout: rows t/t+1 classes, transition probabilities and the row count n."""
        tab = self.P.round(decimals)
        tab.insert(0, "n", self.transitions.sum(axis=1).astype(int))
        tab.index.name = "t \\ t+1"
        return tab

    def to_frame(self) -> pd.DataFrame:
        """Long table: from, to, count, probability."""
        t = self.transitions.stack().rename("count")
        p = self.P.stack().rename("probability")
        df = pd.concat([t, p], axis=1)
        df.index.names = ["from", "to"]
        return df

    def summary(self) -> str:
        b = ", ".join(f"{v:.4g}" for v in self.bounds)
        return (f"Markov chain of {self.column!r}: {self.k} quantile classes (upper bounds {b}), "
                f"{int(self.transitions.to_numpy().sum())} transitions\n"
                + self.table().to_string()
                + "\nsteady state: " + ", ".join(f"{k}={v:.4f}" for k, v in self.steady_state.items()))


def markov(data: pd.DataFrame, column: str, k: int = 4, *, id: str = "code", time: str = "year",
           cutoffs=None, labels=None) -> MarkovResult:
    r"""Classical Markov chain on quantile classes of the pooled panel.

    Transition probabilities :math:`P_{ij} = n_{ij}/n_i` pooled over all
    consecutive years (giddy ``Markov``); steady state and mean first
    passage times from giddy's ``ergodic`` routines.

    Parameters
    ----------
    data : DataFrame
        Balanced long panel (``id``, ``time``, ``column``).
    k : int, default 4
        Number of quantile classes (pooled quantiles, see :func:`quantile_classes`).
    cutoffs : sequence, optional
        ``k - 1`` user class bounds instead of quantiles.
    labels : sequence, optional
        Class labels (default ``Q1 .. Qk``, Q1 lowest).
    """
    cls, bounds = quantile_classes(data, column, k, id=id, time=time, cutoffs=cutoffs)
    k = len(bounds)
    labels = _class_labels(k, labels)
    mk = _giddy_markov(cls.to_numpy(), k)
    ss, fm = _steady_mfpt(mk.p)
    ss = pd.Series(ss, index=labels)
    fm = pd.DataFrame(fm, index=labels, columns=labels)
    return MarkovResult(column=column, labels=tuple(labels), bounds=bounds, classes=cls,
                        transitions=pd.DataFrame(mk.transitions, index=labels, columns=labels),
                        P=pd.DataFrame(mk.p, index=labels, columns=labels),
                        steady_state=ss, mfpt=fm)


def _aligned_w(w, ids, transform):
    """libpysal W in the order of ``ids`` (aligned by id), optionally row-standardised."""
    from libpysal.weights import WSP

    m = graph_to_sparse(w, ids).tocsr()
    rs = np.asarray(m.sum(axis=1)).ravel()
    islands = [ids[i] for i in np.flatnonzero(rs == 0)]
    if islands:
        raise IdMismatchError(f"unit(s) without neighbours in the weights: {format_values(islands)}; "
                              "their spatial lag would be 0. Link them (e.g. weights.contiguity("
                              "islands='guangdong')) or drop them explicitly")
    if transform == "r":
        m = sp.diags(1.0 / rs) @ m
    elif transform not in (None, "none", "asis"):
        raise ValueError(f"transform must be 'r' or None, got {transform!r}")
    return WSP(m.tocsr(), id_order=list(ids)).to_W(silence_warnings=True), m


@dataclass(eq=False, repr=False)
class SpatialMarkovResult(Results):
    """Spatial Markov chain (Rey 2001) conditioned on the class of the spatial lag (frozen).

    ``P``, ``transitions`` and ``mfpt`` are dicts lag class -> DataFrame
    (k x k); ``steady_state`` is lag class x class (NaN for a lag class whose
    chain has several recurrent classes); ``tests`` holds giddy's homogeneity
    tests (LR and Q, with df and p).
    """

    column: str
    labels: tuple
    lag_labels: tuple
    bounds: np.ndarray = field(repr=False)
    lag_bounds: np.ndarray = field(repr=False)
    classes: pd.DataFrame = field(repr=False)
    lag_classes: pd.DataFrame = field(repr=False)
    P: Mapping = field(repr=False)
    transitions: Mapping = field(repr=False)
    P_global: pd.DataFrame = field(repr=False)
    steady_state: pd.DataFrame = field(repr=False)
    mfpt: Mapping = field(repr=False)
    tests: pd.DataFrame = field(repr=False)

    def table(self, decimals: int = 4) -> pd.DataFrame:
        """Paper layout: blocks by lag class; rows class at t, columns class at t+1, plus n."""
        blocks = []
        for lag in self.lag_labels:
            tab = self.P[lag].round(decimals)
            tab.insert(0, "n", self.transitions[lag].sum(axis=1).astype(int))
            tab.index = pd.MultiIndex.from_product([[lag], tab.index], names=["lag class", "t \\ t+1"])
            blocks.append(tab)
        return pd.concat(blocks)

    def to_frame(self) -> pd.DataFrame:
        """Long table: lag class, from, to, count, probability."""
        rows = []
        for lag in self.lag_labels:
            t = self.transitions[lag].stack().rename("count")
            p = self.P[lag].stack().rename("probability")
            df = pd.concat([t, p], axis=1)
            df.index.names = ["from", "to"]
            rows.append(df.assign(lag=lag).set_index("lag", append=True).reorder_levels([2, 0, 1]))
        return pd.concat(rows)

    def summary(self) -> str:
        return (f"Spatial Markov chain of {self.column!r}: {len(self.labels)} classes, "
                f"{len(self.lag_labels)} lag classes\n" + self.table().to_string()
                + "\nhomogeneity tests:\n" + self.tests.to_string(float_format=lambda v: f"{v:.4f}"))


def spatial_markov(data: pd.DataFrame, column: str, w, k: int = 4, m: int | None = None, *,
                   id: str = "code", time: str = "year", standardize: str = "row",
                   cutoffs=None, lag_cutoffs=None, labels=None) -> SpatialMarkovResult:
    r"""Spatial Markov chain: transition matrices conditioned on the spatial lag's class.

    The spatial lag :math:`\sum_j w_{ij} y_{jt}` uses the weights aligned to
    the data by id (:func:`spatialnqpf._validation.graph_to_sparse`), row
    standardised by default; the lag is classified into ``m`` pooled
    quantile classes, the variable into ``k``.  Estimation and the
    homogeneity tests (likelihood ratio and :math:`\chi^2` Q, Bickenbach &
    Bode 2003) are giddy's ``Spatial_Markov`` (Rey 2001).

    Parameters
    ----------
    data : DataFrame
        Balanced long panel.
    w : libpysal.graph.Graph or W
        Weights keyed by the data's ids.
    k, m : int
        Classes of the variable and of its spatial lag (``m`` defaults to ``k``).
    standardize : {"row", "none"}
        Row-standardise after alignment (default), or use the weights as stored
        (``"none"``; the package's one name and values for standardisation, as in
        :func:`spatialnqpf.weights.standardize`).

    Raises
    ------
    IdMismatchError
        Ids of data and weights differ (both sides named), or units without
        neighbours.
    """
    from giddy.markov import Spatial_Markov

    k = _check_classes(k, cutoffs)
    m = _check_classes(k if m is None else m, lag_cutoffs, "m", "lag_cutoffs")
    wide = _wide(data, column, id, time)
    ids = list(wide.index)
    if standardize not in ("row", "none"):
        raise ValueError(f"standardize must be 'row' or 'none', got {standardize!r}")
    W, _ = _aligned_w(w, ids, "r" if standardize == "row" else None)
    y = wide.to_numpy(dtype=float)
    sm = Spatial_Markov(y, W, k=k, m=m, fixed=True, cutoffs=cutoffs, lag_cutoffs=lag_cutoffs)
    if sm.k != k or sm.m != m:  # giddy silently merges tied quantile classes
        raise DataError(f"only {sm.k} distinct quantile classes of {column!r} (k={k}) and "
                        f"{sm.m} of its spatial lag (m={m}): too many tied values; use fewer "
                        "classes or explicit cutoffs")
    k, m = sm.k, sm.m
    labels = _class_labels(k, labels)
    lag_labels = [f"lag {x}" for x in _class_labels(m, None)]
    P = {lag_labels[i]: pd.DataFrame(sm.P[i], index=labels, columns=labels) for i in range(m)}
    T = {lag_labels[i]: pd.DataFrame(sm.T[i], index=labels, columns=labels) for i in range(m)}
    sf = [_steady_mfpt(sm.P[i]) for i in range(m)]
    ss = pd.DataFrame([x[0] for x in sf], index=lag_labels, columns=labels)
    mf = {lag_labels[i]: pd.DataFrame(sf[i][1], index=labels, columns=labels) for i in range(m)}
    tests = pd.DataFrame({"statistic": [sm.LR, sm.Q], "df": [sm.dof_hom, sm.dof_hom],
                          "p_value": [sm.LR_p_value, sm.Q_p_value]},
                         index=pd.Index(["LR", "Q"], name="test"))
    # upper class bounds, last = maximum (quantiles) or inf (user cutoffs), as in quantile_classes
    bounds = np.append(np.asarray(sm.cutoffs, dtype=float), y.max() if cutoffs is None else np.inf)
    lag = (W.sparse @ y) if lag_cutoffs is None else None
    lag_bounds = np.append(np.asarray(sm.lag_cutoffs, dtype=float),
                           lag.max() if lag is not None else np.inf)
    return SpatialMarkovResult(
        column=column, labels=tuple(labels), lag_labels=tuple(lag_labels),
        bounds=bounds, lag_bounds=lag_bounds,
        classes=pd.DataFrame(sm.class_ids, index=wide.index, columns=wide.columns),
        lag_classes=pd.DataFrame(sm.lclass_ids, index=wide.index, columns=wide.columns),
        P=MappingProxyType(P), transitions=MappingProxyType(T), P_global=pd.DataFrame(sm.p, index=labels, columns=labels),
        steady_state=ss, mfpt=MappingProxyType(mf), tests=tests)


def markov_homogeneity(data: pd.DataFrame, column: str, group=None, k: int = 4, *,
                       id: str = "code", time: str = "year", cutoffs=None) -> pd.DataFrame:
    """Test that the transition matrices of several groups (e.g. regions) are equal.

    Classes are the pooled quantiles of the whole panel; each group's
    transitions are counted and giddy's ``homogeneity`` computes the
    likelihood-ratio and :math:`\\chi^2` Q statistics (Bickenbach & Bode 2003).

    Parameters
    ----------
    group : None, str, mapping or Series
        As in :func:`spatialnqpf.inequality.dagum_gini_by_year`: ``None`` for
        the NBS four regions, a column of ``data`` (constant within each id),
        a :func:`spatialnqpf.regions.groups` scheme name, or a mapping
        id -> label.

    Returns
    -------
    DataFrame with rows LR and Q: statistic, df, p_value.
    """
    from giddy.markov import homogeneity

    cls, bounds = quantile_classes(data, column, k, id=id, time=time, cutoffs=cutoffs)
    k = len(bounds)
    gdf = pd.DataFrame({id: cls.index})
    if isinstance(group, str) and isinstance(data, pd.DataFrame) and group in data.columns:
        # a column of the panel: one label per id (a unit's group must not change over time)
        per_id = data[[id, group]].drop_duplicates()
        multi = per_id[id][per_id[id].duplicated()].unique().tolist()
        if multi:
            raise DataError(f"column {group!r} gives id(s) {format_values(multi)} more than one "
                            "group over time; a Markov regime needs one group per unit")
        gdf[group] = gdf[id].map(per_id.set_index(id)[group])
    lab, order = _panel_groups(gdf, group, id)
    mats = []
    for g in order:
        sub = cls.to_numpy()[lab == g]
        mats.append(_giddy_markov(sub, k).transitions)
    h = homogeneity(np.array(mats), regime_names=[str(g) for g in order])
    return pd.DataFrame({"statistic": [h.LR, h.Q], "df": [h.dof, h.dof],
                         "p_value": [h.LR_p_value, h.Q_p_value]},
                        index=pd.Index(["LR", "Q"], name="test"))


# ----------------------------------------------------------------------------
# convergence
# ----------------------------------------------------------------------------
@dataclass(eq=False, repr=False)
class SigmaResult(Results):
    """Sigma convergence: dispersion by year and group, with its linear trend (frozen)."""

    column: str
    measure: str
    table: pd.DataFrame = field(repr=False)
    trend: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        return (f"sigma convergence of {self.column!r} ({self.measure}) by year\n"
                + self.table.to_string(float_format=lambda v: f"{v:.4f}")
                + "\nlinear trend (negative slope: sigma convergence):\n"
                + self.trend.to_string(float_format=lambda v: f"{v:.4g}"))


def sigma_convergence(data: pd.DataFrame, column: str, group=None, *, id: str = "code",
                      time: str = "year", measure: str = "cv", ddof: int = 0) -> SigmaResult:
    r"""Sigma convergence: dispersion across units by year, nationally and by group.

    ``measure``: ``"cv"`` (:math:`\sigma_t/\bar x_t`, population sd by
    default), ``"sd_log"`` (standard deviation of :math:`\ln x`) or ``"sd"``.
    The trend is the OLS slope of the measure on the year (statsmodels), with
    its p-value; a negative significant slope indicates sigma convergence.
    """
    import statsmodels.api as sm

    if measure not in ("cv", "sd_log", "sd"):
        raise ValueError(f"measure must be 'cv', 'sd_log' or 'sd', got {measure!r}")
    df = check_panel(data, id=id, time=time, columns=[column])
    if measure == "sd_log" and (df[column] <= 0).any():
        bad = df.loc[df[column] <= 0, [id, time]].itertuples(index=False, name=None)
        raise DataError(f"sd_log needs positive values; non-positive {column!r} at "
                        f"({id}, {time}) = {format_values(list(bad))}")
    few = df.groupby(time)[id].nunique()
    few = few[few < 2]
    if len(few):
        raise DataError(f"sigma convergence measures dispersion across units: {time} "
                        f"{format_values(list(few.index))} ha{'s' if len(few) == 1 else 've'} "
                        "fewer than 2 units")
    if group is False:
        lab, order = np.array(["nation"] * len(df), dtype=object), []
    else:
        lab, order = _panel_groups(df, group, id, data, time)
    df = df.assign(_g=lab)
    single = sorted({str(g) for g in order if (df.loc[df["_g"] == g].groupby(time)[id].nunique()
                                                < 2).any()})
    if single:
        warnings.warn(f"sigma convergence: group(s) {format_values(single)} have fewer than 2 "
                      "units in some year; their dispersion is missing (NaN) there",
                      RuntimeWarning, stacklevel=2)

    def disp(x):
        if x.size < 2:
            return np.nan
        if measure == "cv":
            return _cv(x, ddof=ddof)
        if measure == "sd_log":
            return float(np.log(x).std(ddof=ddof))
        big = float(np.max(np.abs(x)))  # sd(x) = big * sd(x / big): no overflow of x**2
        return float(big * (x / big).std(ddof=ddof)) if big > 0 else 0.0

    rows = {}
    for yr, sub in df.groupby(time, sort=True):
        x = sub[column].to_numpy(dtype=float)
        row = {"nation": disp(x)}
        for g in order:
            row[g] = disp(x[(sub["_g"] == g).to_numpy()])
        rows[yr] = row
    tab = pd.DataFrame(rows).T.rename_axis(time)
    trend = {}
    for c in tab.columns:
        s = tab[c].dropna()
        if len(s) < 3:
            warnings.warn(f"sigma convergence: {c!r} has {len(s)} year(s) with a dispersion; "
                          "a trend needs at least 3, so its slope, se and p-value are missing "
                          "(NaN)", RuntimeWarning, stacklevel=2)
            trend[c] = {"slope": np.nan, "se": np.nan, "p_value": np.nan}
            continue
        fit = sm.OLS(s.to_numpy(), sm.add_constant(np.asarray(s.index, dtype=float))).fit()
        trend[c] = {"slope": fit.params[1], "se": fit.bse[1], "p_value": fit.pvalues[1]}
    return SigmaResult(column=column, measure=measure, table=tab,
                       trend=pd.DataFrame(trend).T.rename_axis("group"))


def within_transform(X: np.ndarray, unit: np.ndarray, period: np.ndarray, fe: str = "twoways",
                     tol: float = 1e-13, max_iter: int = 10_000) -> np.ndarray:
    r"""Remove unit and/or period means (the fixed-effects "within" transformation).

    Balanced two-way panels use :math:`x_{it} - \bar x_{i\cdot} - \bar x_{\cdot t} + \bar x`;
    unbalanced ones alternate the one-way projections until they converge
    (method of alternating projections; Guimarães & Portugal 2010).
    """
    X = np.asarray(X, dtype=float)
    squeeze = X.ndim == 1
    X = X.reshape(len(X), -1).copy()
    ui = pd.factorize(unit)[0]
    ti = pd.factorize(period)[0]

    def demean(A, codes):
        cnt = np.bincount(codes).astype(float)
        means = np.vstack([np.bincount(codes, weights=A[:, j]) for j in range(A.shape[1])]).T
        return A - means[codes] / cnt[codes, None]

    if fe == "individual":
        X = demean(X, ui)
    elif fe == "time":
        X = demean(X, ti)
    elif fe == "twoways":
        balanced = len(X) == (ui.max() + 1) * (ti.max() + 1)
        if balanced:
            X = demean(demean(X, ui), ti)
        else:
            for _ in range(max_iter):
                new = demean(demean(X, ui), ti)
                if np.max(np.abs(new - X)) < tol * max(1.0, np.max(np.abs(X))):
                    X = new
                    break
                X = new
            else:
                raise RuntimeError("two-way demeaning did not converge")
    elif fe != "none":
        raise ValueError(f"fe must be 'twoways', 'individual', 'time' or 'none', got {fe!r}")
    return X.ravel() if squeeze else X


class BetaResult(EstimationResults):
    r"""Beta convergence regression with fixed effects (frozen).

    ``params``, ``bse``, ``tvalues``, ``pvalues`` (Student t with ``df_resid``), ``tidy()``
    as every estimation result (:class:`spatialnqpf._results.EstimationResults`);
    ``beta`` is the coefficient on :math:`\ln x_{it}`; ``speed``
    :math:`s = -\ln(1+\beta)/\tau` and ``half_life`` :math:`\ln 2/s`
    (NaN when :math:`\beta \ge 0` or :math:`\beta \le -1`).  ``r2`` is the within R²
    (also ``r2_within``).
    """

    _title = "Beta convergence"

    def __init__(self, column: str, fe: str, tau: int, params: pd.Series, bse: pd.Series,
                 cov: pd.DataFrame, nobs: int = 0, n_units: int = 0, n_periods: int = 0,
                 df_resid: int = 0, r2_within: float = np.nan, sigma2: float = np.nan,
                 cov_type: str = "unadjusted", dropped: tuple = ()):
        params = pd.Series(params, dtype=float)
        # standard errors from cov (sqrt of its diagonal, as ``bse`` was computed)
        self._init_estimates(params, cov, df_resid=df_resid)
        self.column = column
        self.fe = fe
        self.tau = tau
        self.nobs = int(nobs)
        self.n_units = int(n_units)
        self.n_periods = int(n_periods)
        self.r2_within = float(r2_within)
        self.sigma2 = float(sigma2)
        self.cov_type = cov_type
        self.dropped = tuple(dropped)
        self._freeze()

    @property
    def r2(self) -> float:
        """Within R² (the package's one name for R²; ``r2_within`` is the same number)."""
        return self.r2_within

    @property
    def beta(self) -> float:
        return float(self.params.iloc[0])

    @property
    def speed(self) -> float:
        b = self.beta
        return float(-np.log1p(b) / self.tau) if -1 < b < 0 else np.nan

    @property
    def speed_se(self) -> float:
        """Delta-method standard error of the speed, :math:`se(\\beta)/(\\tau(1+\\beta))`."""
        b = self.beta
        return float(self.bse.iloc[0] / (self.tau * (1 + b))) if -1 < b < 0 else np.nan

    @property
    def half_life(self) -> float:
        s = self.speed
        return float(np.log(2) / s) if s > 0 else np.nan

    def summary(self) -> str:
        conv = "converges" if self.beta < 0 else "no convergence"
        return (f"beta convergence of {self.column!r} (fe={self.fe}, tau={self.tau}, "
                f"cov={self.cov_type}); N={self.nobs}, units={self.n_units}, "
                f"periods={self.n_periods}, within R2={self.r2_within:.4f}\n"
                + self.to_frame().to_string(float_format=lambda v: f"{v:.6g}")
                + f"\nbeta={self.beta:.6g} ({conv}); speed={self.speed:.6g} per period "
                  f"(se {self.speed_se:.3g}); half-life={self.half_life:.4g} periods"
                + (f"\ndropped: {self.dropped}" if self.dropped else ""))


def _growth_frame(data, column, id, time, controls, tau):
    cols = [column] + list(controls)
    df = check_panel(data, id=id, time=time, columns=cols)
    bad = df[column] <= 0
    if bad.any():
        where = df.loc[bad, [id, time]].itertuples(index=False, name=None)
        raise DataError(f"beta convergence takes logs: non-positive {column!r} at "
                        f"({id}, {time}) = {format_values(list(where))}")
    if not (isinstance(tau, (int, np.integer)) and not isinstance(tau, bool) and tau >= 1):
        raise ValueError(f"tau must be a positive integer, got {tau!r}")
    tnum = pd.to_numeric(df[time], errors="coerce")
    if tnum.isna().any() or (tnum % 1 != 0).any():
        bad = df.loc[tnum.isna() | (tnum % 1 != 0), time].unique().tolist()
        raise DataError(f"beta convergence needs integer periods in {time!r} (t + tau is looked "
                        f"up), got {format_values(bad)}; convert them, e.g. "
                        f"df[{time!r}] = df[{time!r}].astype(int)")
    df = df.assign(**{time: tnum.astype("int64")})
    years = np.sort(pd.unique(df[time]))
    if len(years) < 2 or tau > years[-1] - years[0]:
        raise DataError(f"beta convergence over tau = {tau} period(s) needs observations at "
                        f"least tau apart; {time!r} spans {format_values(list(years[[0, -1]]))} "
                        f"({len(years)} distinct period(s))")
    df = df.sort_values([id, time])
    # the observation of the same unit exactly tau periods later (looked up by (id, time + tau),
    # so that tau > 1 works on annual data: ln(x_{i,t+tau} / x_it) for every t with t + tau observed)
    later = pd.Series(df[column].to_numpy(), index=pd.MultiIndex.from_arrays(
        [df[id].to_numpy(), df[time].to_numpy()]))
    target = pd.MultiIndex.from_arrays([df[id].to_numpy(), df[time].to_numpy() + tau])
    nxt_val = later.reindex(target).to_numpy()
    ok = pd.Series(~np.isnan(nxt_val), index=df.index)
    # skipped: t + tau lies inside the unit's observed span but is not observed (a gap)
    last = df.groupby(id)[time].transform("max")
    gaps = list(df.loc[~ok & (df[time] + tau <= last), [id, time]].itertuples(index=False, name=None))
    out = df.loc[ok].copy()
    out["growth"] = np.log(nxt_val[ok.to_numpy()] / out[column].to_numpy())
    out["ln_" + column] = np.log(out[column])
    dropped = tuple(gaps)
    return out, dropped


def beta_convergence(data: pd.DataFrame, column: str, controls: Sequence[str] = (), *,
                     id: str = "code", time: str = "year", fe: str = "twoways", tau: int = 1,
                     cov_type: str = "unadjusted") -> BetaResult:
    r"""Absolute or conditional beta convergence with fixed effects.

    .. math::

        \ln\frac{x_{i,t+\tau}}{x_{it}} = \beta \ln x_{it} + \gamma' Z_{it}
            + \mu_i + \eta_t + \varepsilon_{it},

    estimated by OLS on within-transformed data (two-way by default;
    :func:`within_transform`), which equals the least-squares dummy-variable
    regression.  :math:`\beta < 0` indicates convergence; speed
    :math:`s = -\ln(1+\beta)/\tau`, half-life :math:`\ln 2/s`.

    Parameters
    ----------
    column : str
        Positive level variable :math:`x` (logged internally).
    controls : sequence of str
        Columns :math:`Z_{it}` for conditional convergence (used as given).
    fe : {"twoways", "individual", "time", "none"}
        Fixed effects absorbed; ``"none"`` fits pooled OLS with a constant.
    tau : int
        Step between the two periods of the growth rate (in units of ``time``):
        :math:`\ln(x_{i,t+\tau}/x_{it})` for every observation whose unit is
        also observed at :math:`t+\tau` (on annual data ``tau=2`` gives
        overlapping two-year growth rates).  Observations whose
        :math:`t+\tau` falls inside the unit's observed span but is missing
        (a gap) are skipped and listed in ``dropped``.
    cov_type : {"unadjusted", "cluster"}
        Classical OLS covariance with the dummy-variable degrees of freedom,
        or cluster-robust by unit with the small-sample factor
        :math:`G/(G-1)\cdot(N-1)/(N-K)` (K counting the absorbed effects, as
        the dummy-variable regression in statsmodels does).

    References
    ----------
    Barro & Sala-i-Martin (1992).
    """
    if cov_type not in ("unadjusted", "cluster"):
        raise ValueError(f"cov_type must be 'unadjusted' or 'cluster', got {cov_type!r}")
    controls = list(controls)
    df, dropped = _growth_frame(data, column, id, time, controls, tau)
    names = ["ln_" + column] + controls
    y = df["growth"].to_numpy()
    X = df[names].to_numpy(dtype=float)
    unit, period = df[id].to_numpy(), df[time].to_numpy()
    n_u, n_t = len(pd.unique(unit)), len(pd.unique(period))
    if fe == "none":
        X = np.column_stack([X, np.ones(len(y))])
        names = names + ["const"]
        absorbed = 0
        yt, Xt = y, X
    else:
        yt = within_transform(y, unit, period, fe)
        Xt = within_transform(X, unit, period, fe)
        absorbed = {"twoways": n_u + n_t - 1, "individual": n_u, "time": n_t}[fe]
    flat = [names[j] for j in range(Xt.shape[1]) if np.allclose(Xt[:, j], 0, atol=1e-12)]
    if flat:
        raise DataError(f"regressor(s) with no variation after removing the fixed effects: "
                        f"{format_values(flat)}")
    nobs, kx = Xt.shape
    df_resid = nobs - kx - absorbed
    if df_resid <= 0:
        raise DataError(f"not enough observations: {nobs} for {kx} regressors and {absorbed} effects")
    sc = np.sqrt((Xt ** 2).mean(axis=0))
    sv = np.linalg.svd(Xt / np.where(sc > 0, sc, 1.0), compute_uv=False)
    if sv.min() <= 1e-10 * sv.max():
        raise DataError(f"collinear regressors after removing the fixed effects among "
                        f"{format_values(names)}; drop one of them")
    XtX_inv = np.linalg.inv(Xt.T @ Xt)
    b = XtX_inv @ (Xt.T @ yt)
    e = yt - Xt @ b
    s2 = float(e @ e / df_resid)
    if cov_type == "unadjusted":
        cov = s2 * XtX_inv
    else:
        codes = pd.factorize(unit)[0]
        G = codes.max() + 1
        scores = np.vstack([np.bincount(codes, weights=Xt[:, j] * e, minlength=G)
                            for j in range(kx)]).T
        meat = scores.T @ scores
        k_all = kx + absorbed
        c = G / (G - 1) * (nobs - 1) / (nobs - k_all)
        cov = c * XtX_inv @ meat @ XtX_inv
    ssr_tot = float(((yt - yt.mean()) ** 2).sum()) if fe == "none" else float(yt @ yt)
    r2 = 1 - float(e @ e) / ssr_tot if ssr_tot > 0 else np.nan
    return BetaResult(column=column, fe=fe, tau=tau, params=pd.Series(b, index=names),
                      bse=pd.Series(np.sqrt(np.diag(cov)), index=names),
                      cov=pd.DataFrame(cov, index=names, columns=names), nobs=nobs,
                      n_units=n_u, n_periods=n_t, df_resid=df_resid, r2_within=r2, sigma2=s2,
                      cov_type=cov_type, dropped=dropped)


def beta_convergence_by_group(data: pd.DataFrame, column: str, group=None,
                              controls: Sequence[str] = (), *, id: str = "code",
                              time: str = "year", national: bool = True, **kwargs) -> pd.DataFrame:
    """:func:`beta_convergence` for the nation and separately within each group (region).

    ``group`` as in :func:`spatialnqpf.inequality.dagum_gini_by_year` (default:
    NBS four regions); ``kwargs`` go to :func:`beta_convergence`.  Returns one
    row per sample: beta, se, t, p_value, speed, half_life, nobs, n_units.
    """
    df = check_panel(data, id=id, time=time, columns=[column, *controls])
    lab, order = _panel_groups(df, group, id, data, time)
    samples = ([("nation", np.ones(len(df), bool))] if national else []) + \
        [(g, lab == g) for g in order]
    rows = {}
    for name, m in samples:
        try:
            r = beta_convergence(df.loc[m], column, controls, id=id, time=time, **kwargs)
        except DataError as e:
            raise DataError(f"group {name!r}: {e}") from None
        rows[name] = {"beta": r.beta, "se": r.bse.iloc[0], "t": r.tvalues.iloc[0],
                      "p_value": r.pvalues.iloc[0], "speed": r.speed, "half_life": r.half_life,
                      "nobs": r.nobs, "n_units": r.n_units}
    return pd.DataFrame(rows).T.rename_axis("group")


def convergence_speed(beta: float, tau: int = 1) -> tuple[float, float]:
    r"""Speed :math:`s = -\ln(1+\beta)/\tau` and half-life :math:`\ln 2 / s` of a beta coefficient.

    NaN for :math:`\beta \ge 0` (no convergence) or :math:`\beta \le -1`.
    """
    beta = float(beta)
    if not -1 < beta < 0:
        return np.nan, np.nan
    s = -np.log1p(beta) / tau
    return float(s), float(np.log(2) / s)


def spatial_beta_convergence(data: pd.DataFrame, column: str, w, controls: Sequence[str] = (), *,
                             id: str = "code", time: str = "year", tau: int = 1,
                             fe: str = "twoways", **kwargs):
    r"""Spatial beta convergence with the spatial Durbin panel model.

    .. math::

        g_{it} = \rho \sum_j w_{ij} g_{jt} + \beta \ln x_{it} + \theta \sum_j w_{ij}\ln x_{jt}
                 + \gamma' Z_{it} + \mu_i + \eta_t + \varepsilon_{it},
        \quad g_{it} = \ln(x_{i,t+\tau}/x_{it}),

    fitted by :func:`spatialnqpf.models.spatial_panel` (``model="sdm"``,
    two-way FE by default, with its Lee-Yu correction and effects).  The
    convergence coefficient is the *direct effect* of :math:`\ln x` (or
    :math:`\beta` itself, as many papers report); speed and half-life follow
    as for :func:`beta_convergence` (:func:`convergence_speed`).  The years
    of the growth rates are those of the initial level (a balanced panel
    loses its last year).  With two-way effects the Lee-Yu transformation of
    ``spatial_panel`` needs a row-standardised ``w`` (``w.transform("r")``).

    Returns
    -------
    The results object of :func:`spatialnqpf.models.spatial_panel`.
    """
    from .models import spatial_panel

    controls = list(controls)
    df, dropped = _growth_frame(data, column, id, time, controls, tau)
    if dropped:
        raise PanelError(f"growth rates need consecutive periods; gaps at ({id}, {time}) = "
                         f"{format_values(list(dropped))}")
    return spatial_panel(df, y="growth", x=["ln_" + column] + controls, w=w, id=id, time=time,
                         model="sdm", fe=fe, **kwargs)
from ._clubs import ClubConvergenceResult, club_convergence  # noqa: E402,F401  (issue 16)
