"""Spatial autocorrelation over panels: Moran, Geary, Getis-Ord, LISA, bivariate Moran.

One call per table of an applied paper: global statistics by year under one or
several weight matrices (side by side), local Moran (LISA) by year with stated
p-values, cluster counts and transitions, bivariate Moran and the Moran test of
regression residuals.

What this adds to esda (which we use as the comparison peer, see
``docs/anchors.md`` items 9 and 10): data are aligned to the
weights by id (:func:`spatialnqpf._validation.graph_to_sparse`), every
permutation test takes a ``seed`` (esda's global ``Moran`` has none), LISA
p-values are two-sided by default with the folded one-sided pseudo p-value of
esda available as ``alternative="folded"``, Benjamini-Hochberg FDR control,
analytic moments of spdep (normality, randomisation, conditional
randomisation), per-year tables and no numba compilation for small n.

Conventions (checked against R ``spdep`` 1.2.7 on ``spData::columbus`` to 1e-8,
see ``tests/reference/spdep_columbus.R``):

* Moran's I = (n/S0) z'Wz / z'z, E[I] = -1/(n-1);
* Geary's C = (n-1) sum w_ij (x_i - x_j)^2 / (2 S0 z'z), E[C] = 1; its z-value is
  (C - 1)/sd, so positive spatial autocorrelation gives a *negative* z
  (spdep's ``geary.test`` prints (1 - C)/sd);
* Getis-Ord G = sum_{i!=j} w_ij x_i x_j / sum_{i!=j} x_i x_j for non-negative x;
* local Moran I_i = z_i (Wz)_i / m2 with m2 = z'z/n (spdep ``localmoran``); esda's
  ``Moran_Local.Is`` equals (n-1)/n times this value (the pseudo p-values do not
  depend on the scale);
* quadrants from the signs of z_i and (Wz)_i: HH (z > 0, lag > 0), LL, HL, LH,
  with 0 counted as low (spdep ``attr(, "quadr")$pysal``).

Islands (units without neighbours): ``islands="raise"`` (default) refuses them
and names them; ``islands="keep"`` keeps them with a zero spatial lag (as esda
and spdep with ``zero.policy=TRUE, adjust.n=FALSE``): they count in n, their
local statistic is 0, their local p-value NaN, and their cluster is "isolate".

Method notes: ``docs/methods/autocorrelation.md`` §3 (formulas and conventions);
the peers' defects it avoids: ``docs/anchors.md``.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._kernels import autocorr as _k
from ._results import Results
from ._validation import (ArgumentError, DataError, IdMismatchError, SpatialNQPFError,
                          as_generator, check_panel, format_values, graph_to_sparse)

__all__ = [
    "moran_by_year", "geary_by_year", "getis_ord_by_year", "moran_bv_by_year",
    "lisa", "lisa_bv", "getis_ord_local", "moran_residuals", "GlobalAutocorrelation",
    "LisaResult",
]

_ALTS_GLOBAL = ("two-sided", "greater", "less")
_ALTS_LOCAL = ("two-sided", "folded", "greater", "less")
_STAT_LABEL = {"moran": "I", "geary": "C", "getis_ord": "G", "moran_bv": "I_xy",
               "moran_residuals": "I"}
_STAT_TITLE = {"moran": "Global Moran's I", "geary": "Geary's C", "getis_ord": "Getis-Ord G",
               "moran_bv": "Bivariate Moran's I", "moran_residuals": "Moran's I of residuals"}
QUADRANTS = ("HH", "LH", "LL", "HL")


# ============================================================================ results
def _frozen_frame(df: pd.DataFrame) -> pd.DataFrame:
    return df.copy(deep=True)


@dataclass(eq=False, repr=False)
class GlobalAutocorrelation(Results):
    """Global statistic by (weights, year).  Frozen: ``table`` and ``to_frame()`` return copies.

    Columns of :meth:`to_frame` (``X`` is I, C, G or I_xy): ``n``, ``X``, ``E[X]``;
    ``sd_norm``, ``z_norm``, ``p_norm`` (normality); ``sd_rand``, ``z_rand``, ``p_rand``
    (randomisation); ``mean_perm``, ``sd_perm``, ``z_perm``, ``p_perm`` (permutation,
    ``p = (#{X* at least as extreme} + 1)/(P + 1)``, two-sided by doubling the smaller tail).
    """

    statistic: str
    column: str
    alternative: str
    permutations: int
    seed: int | None
    _table: pd.DataFrame = field(repr=False)
    notes: tuple = ()

    @property
    def table(self) -> pd.DataFrame:
        return self._table.copy()

    @property
    def label(self) -> str:
        return _STAT_LABEL[self.statistic]

    def to_frame(self) -> pd.DataFrame:
        """Long table indexed by (weights, year)."""
        return self._table.copy()

    def side_by_side(self, stats=None) -> pd.DataFrame:
        """Years in rows, one block of columns per weight matrix (the table papers print).

        ``stats`` defaults to (X, z_rand, p_rand) plus p_perm when permutations were run.
        """
        if stats is None:
            stats = [self.label, "z_rand", "p_rand"] + (["p_perm"] if self.permutations else [])
            if self.statistic == "moran_bv":
                stats = [self.label, "z_perm", "p_perm"]
        wide = self._table[list(stats)].unstack(level=0)
        wide.columns = wide.columns.swaplevel(0, 1)
        order = list(dict.fromkeys(self._table.index.get_level_values(0)))
        return wide.reindex(columns=pd.MultiIndex.from_product([order, list(stats)]))

    def summary(self) -> str:
        """Text table with stars for p < 0.01 (***), 0.05 (**), 0.1 (*)."""
        lab = self.label
        t = self._table
        pcol = "p_perm" if self.permutations else ("p_rand" if t["p_rand"].notna().any() else "p_norm")
        zcol = pcol.replace("p_", "z_")
        lines = [f"{_STAT_TITLE[self.statistic]} of {self.column!r} "
                 f"(alternative: {self.alternative}; p from {pcol[2:]}"
                 + (f", {self.permutations} permutations, seed {self.seed}" if self.permutations else "")
                 + ")"]
        for wname, sub in t.groupby(level=0, sort=False):
            lines.append(f"  weights: {wname}")
            lines.append(f"    {'year':>8} {lab:>10} {'E['+lab+']':>10} {'z':>8} {'p':>8}  n")
            for (_, yr), r in sub.iterrows():
                p = r[pcol]
                star = "***" if p < .01 else "**" if p < .05 else "*" if p < .1 else ""
                lines.append(f"    {str(yr):>8} {r[lab]:10.4f} {r['E['+lab+']']:10.4f} "
                             f"{r[zcol]:8.3f} {p:8.4f}{star:<3} {int(r['n'])}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()


@dataclass(eq=False, repr=False)
class LisaResult(Results):
    """Local Moran by unit (and year).  Frozen: accessors return copies.

    :meth:`to_frame` columns: ``year`` (if any), ``id``, ``value``, ``z`` (centred and
    scaled by the population sd), ``lag`` (W z), ``Ii``, ``E_Ii``/``V_Ii``/``z_Ii``/``p_Ii``
    (analytic, conditional randomisation, spdep ``localmoran`` default; univariate only),
    ``quadrant`` (HH/LH/LL/HL), ``p`` (pseudo p-value as ``alternative`` asks, or the
    analytic one when ``permutations=0``), ``q`` (Benjamini-Hochberg adjusted ``p`` within
    the year), ``significant`` and ``cluster`` (quadrant if significant, else "ns";
    "isolate" for islands); with permutations also ``EI_sim`` and ``sd_sim``, the mean and
    standard deviation of the simulated I_i (they converge to ``E_Ii`` and sqrt(``V_Ii``)).
    """

    column: str
    alternative: str
    permutations: int
    seed: int | None
    alpha: float
    fdr: float | None
    id: str
    time: str | None
    _frame: pd.DataFrame = field(repr=False)
    engine: str = "numpy"
    notes: tuple = ()
    statistic: str = "LISA (local Moran)"
    categories: tuple = QUADRANTS + ("ns", "isolate")

    def to_frame(self) -> pd.DataFrame:
        return self._frame.copy()

    def counts(self, by: str = "cluster") -> pd.DataFrame:
        """Number of units per cluster (HH, LH, LL, HL, ns, isolate; or hot, cold, ns) and year.

        ``by="quadrant"`` counts the Moran-scatter quadrants regardless of significance.
        """
        f = self._frame
        if by == "cluster":
            cats = list(self.categories)
        elif by == "quadrant" and "quadrant" in f:
            cats = list(QUADRANTS) + ["isolate"]
        else:
            raise ValueError(f"by must be 'cluster' or 'quadrant' (local Moran only), got {by!r}")
        key = f[self.time] if self.time else pd.Series("all", index=f.index, name="year")
        tab = pd.crosstab(key, pd.Categorical(f[by], categories=cats), dropna=False)
        tab.columns = pd.Index(list(tab.columns), name=by)
        return tab.reindex(columns=cats, fill_value=0)

    def transitions(self, by: str = "cluster", between: str = "consecutive") -> pd.DataFrame:
        """Counts of units moving from one cluster (or quadrant) in year t to another in t+1.

        Rows: state in year t, columns: state in year t+1, pooled over consecutive year
        pairs (``between="consecutive"``) or from the first to the last year
        (``between="first-last"``).
        """
        if not self.time:
            raise SpatialNQPFError("transitions need a panel: call lisa(..., time=...)")
        if by not in ("cluster", "quadrant") or (by == "quadrant" and "quadrant" not in self._frame):
            raise ValueError(f"by must be 'cluster' or 'quadrant' (local Moran only), got {by!r}")
        wide = self._frame.pivot(index=self.id, columns=self.time, values=by)
        years = list(wide.columns)
        pairs = (list(zip(years[:-1], years[1:])) if between == "consecutive"
                 else [(years[0], years[-1])] if between == "first-last" else None)
        if pairs is None:
            raise ValueError(f"between must be 'consecutive' or 'first-last', got {between!r}")
        cats = list(self.categories) if by == "cluster" else list(QUADRANTS) + ["isolate"]
        a = pd.concat([wide[p] for p, _ in pairs], ignore_index=True)
        b = pd.concat([wide[q] for _, q in pairs], ignore_index=True)
        ok = a.notna() & b.notna()
        tab = pd.crosstab(pd.Categorical(a[ok], categories=cats),
                          pd.Categorical(b[ok], categories=cats), dropna=False)
        tab.index = pd.Index(cats, name=f"{by} t")
        tab.columns = pd.Index(cats, name=f"{by} t+1")
        return tab.loc[(tab.sum(axis=1) > 0) | (tab.sum(axis=0) > 0).to_numpy()]

    def summary(self) -> str:
        how = (f"{self.permutations} conditional permutations (seed {self.seed}, {self.engine})"
               if self.permutations else "analytic")
        sig = (f"Benjamini-Hochberg FDR {self.fdr}" if self.fdr is not None
               else f"alpha {self.alpha}")
        lines = [f"{self.statistic} of {self.column!r}: p-values {self.alternative}, {how}; "
                 f"significance: {sig}", self.counts().to_string()]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover
        return self.summary()


# ============================================================================ helpers
def _check_alternative(alternative, allowed):
    if alternative not in allowed:
        raise ArgumentError(f"alternative must be one of {allowed}, got {alternative!r}")


def _check_perms(permutations):
    if not isinstance(permutations, numbers.Integral) or permutations < 0:
        raise ArgumentError(f"permutations must be a non-negative integer, got {permutations!r}")
    return int(permutations)


def _resolve_seed(seed, permutations):
    if not permutations:
        return seed
    if seed is None:
        # draw one and record it so the run can be repeated
        return int(np.random.SeedSequence().entropy % (2 ** 63))
    if isinstance(seed, (np.random.Generator, np.random.RandomState)):
        raise ArgumentError("seed must be an int (a Generator cannot be recorded for reproduction)")
    if not isinstance(seed, numbers.Integral) or seed < 0:
        raise ArgumentError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _rng(seed, key) -> np.random.Generator:
    """Generator for one (year) task: same seed and year give the same draws."""
    return as_generator(seed, key)


def _time_key(year, position):
    if isinstance(year, numbers.Integral) or (isinstance(year, float) and float(year).is_integer()):
        return (int(year) % (2 ** 32),)
    return (10 ** 6 + position,)


def _weights_items(w):
    if isinstance(w, Mapping):
        if not w:
            raise ArgumentError("w is an empty mapping; give at least one weights object")
        names = [str(k) for k in w]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ArgumentError(f"weights names {format_values(dup)} appear more than once in w "
                                f"(keys {format_values(list(w))} print the same); use distinct names")
        return [(str(k), v) for k, v in w.items()]
    return [("w", w)]


def _prepare(data, columns, id, time):
    df = check_panel(data, id=id, time=time, columns=columns)
    if time is None:
        return df, [(None, df)]
    return df, [(yr, sub) for yr, sub in df.groupby(time, sort=True)]


def _align(w, ids, year, islands):
    if islands not in ("raise", "keep"):
        raise ValueError(f"islands must be 'raise' or 'keep', got {islands!r}")
    try:
        W = graph_to_sparse(w, ids)
    except IdMismatchError as err:
        where = f"year {year!r}: " if year is not None else ""
        raise IdMismatchError(where + str(err)) from None
    W = sp.csr_matrix(W, dtype=float)
    W.eliminate_zeros()
    if W.diagonal().any():
        bad = ids[np.flatnonzero(W.diagonal())]
        raise SpatialNQPFError(f"the weights link units to themselves (w_ii != 0) for ids "
                               f"{format_values(list(bad))}")
    if W.nnz == 0:
        where = f" in year {year!r}" if year is not None else ""
        raise SpatialNQPFError(f"the weights have no links{where}: every unit is an island "
                               "(no neighbours), so no spatial statistic is defined; check the "
                               "weights (e.g. a distance threshold that is too small)")
    c = _k.weight_constants(W)
    if c["islands"].size:
        isl = list(np.asarray(ids)[c["islands"]])
        if islands == "raise":
            raise SpatialNQPFError(
                f"unit(s) without neighbours (islands) in the weights: {format_values(isl)}. "
                "Link them (e.g. Hainan to Guangdong in weights.contiguity) or pass "
                "islands='keep' to keep them with a zero spatial lag.")
    return W, c


def _values(sub, column, year, nonneg=False, id=None):
    x = sub[column].to_numpy(dtype=float)
    if x.size < 4:
        raise DataError(f"{column!r}{_in_year(year)} has {x.size} observations; at least 4 needed")
    if np.ptp(x) == 0 or np.allclose(x, x.mean(), rtol=1e-13, atol=0):
        raise DataError(f"column {column!r} is constant ({x[0]!r}){_in_year(year)}: "
                        "spatial autocorrelation is undefined")
    if nonneg and (x < 0).any():
        bad = sub.loc[x < 0, id if id is not None else sub.columns[0]].tolist()
        raise DataError(f"Getis-Ord G needs non-negative values; {column!r} is negative"
                        f"{_in_year(year)} for ids {format_values(bad)}")
    if nonneg and np.count_nonzero(x) < 2:
        raise DataError(f"Getis-Ord G needs at least 2 non-zero values; {column!r} has "
                        f"{np.count_nonzero(x)}{_in_year(year)} (G = 0/0 is undefined)")
    return x


def _unit_scale(x):
    """x · 2^-e with 2^e ~ max|x|: I, C, G and I_xy are invariant to x -> c x, and the scaled
    values keep sums of squares and fourth powers finite for magnitudes such as 1e-160 or
    1e306.  A power of two keeps the scaling exact (ties such as x_i == mean(x) survive)."""
    big = float(np.max(np.abs(x))) if x.size else 0.0
    if not big > 0 or not np.isfinite(big):
        return x
    return np.ldexp(x, -int(np.frexp(big)[1]))


def _is_row_standardised(w) -> bool:
    """Whether ``w`` says it is row-standardised: a Graph's ``transformation`` or a
    libpysal ``W``'s ``transform`` is "R" (a W has no ``transformation`` attribute)."""
    code = getattr(w, "transformation", None)
    if code is None:
        code = getattr(w, "transform", None)
    return isinstance(code, str) and code.upper() == "R"


def _in_year(year):
    return f" in year {year!r}" if year is not None else ""


def _perm_summary(stat, sims, alternative, P):
    tol = _k.TIE_RTOL * max(abs(stat), float(np.abs(sims).max()))
    ge = int(np.count_nonzero(sims >= stat - tol))
    le = int(np.count_nonzero(sims <= stat + tol))
    p = float(_k.pvalues_from_counts(np.array([ge]), np.array([le]), P, alternative)[0])
    m, s = float(sims.mean()), float(sims.std())
    return dict(mean_perm=m, sd_perm=s, z_perm=(stat - m) / s if s > 0 else np.nan, p_perm=p)


def _global(kind, data, column, w, id, time, permutations, seed, alternative, islands,
            other=None):
    _check_alternative(alternative, _ALTS_GLOBAL)
    permutations = _check_perms(permutations)
    seed = _resolve_seed(seed, permutations)
    cols = [column] + ([other] if other is not None else [])
    _, groups = _prepare(data, cols, id, time)
    lab = _STAT_LABEL[kind]
    rows, index, notes = [], [], []
    witems = _weights_items(w)
    if kind == "getis_ord":
        for wname, g in witems:
            if _is_row_standardised(g):
                notes.append(f"weights {wname!r} are row-standardised; Getis-Ord G is meant "
                             "for binary or distance weights")
    for wname, g in witems:
        for pos, (yr, sub) in enumerate(groups):
            ids = pd.Index(sub[id].to_numpy())
            W, c = _align(g, ids, yr, islands)
            x = _unit_scale(_values(sub, column, yr, nonneg=(kind == "getis_ord"), id=id))
            if kind == "moran":
                r = _k.moran_global(x, W, c, alternative)
            elif kind == "geary":
                r = _k.geary_global(x, W, c, alternative)
            elif kind == "getis_ord":
                r = _k.getis_ord_global(x, W, c, alternative)
            else:  # bivariate
                y = _unit_scale(_values(sub, other, yr))
                zx, zy = x - x.mean(), y - y.mean()
                stat = c["n"] / c["S0"] * float(zx @ (W @ zy)) / math.sqrt((zx @ zx) * (zy @ zy))
                r = dict(stat=stat, expect=np.nan)
                for t in ("norm", "rand"):
                    r.update({f"sd_{t}": np.nan, f"z_{t}": np.nan, f"p_{t}": np.nan})
            row = {"n": c["n"], lab: r["stat"], f"E[{lab}]": r["expect"]}
            for t in ("norm", "rand"):
                row.update({f"sd_{t}": r[f"sd_{t}"], f"z_{t}": r[f"z_{t}"], f"p_{t}": r[f"p_{t}"]})
            if permutations:
                rng = _rng(seed, _time_key(yr, pos))
                if kind == "moran_bv":
                    sims = _bv_perms(zx, zy, W, c, permutations, rng)
                else:
                    sims = _k.permute_global(kind, x, W, permutations, rng, c)
                row.update(_perm_summary(r["stat"], sims, alternative, permutations))
            else:
                row.update(mean_perm=np.nan, sd_perm=np.nan, z_perm=np.nan, p_perm=np.nan)
            rows.append(row)
            index.append((wname, yr if yr is not None else "all"))
    tab = pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index, names=["weights", time or "year"]))
    tab["n"] = tab["n"].astype(int)
    return GlobalAutocorrelation(kind, column if other is None else f"{column} x W.{other}",
                                 alternative, permutations, seed, tab, tuple(notes))


def _bv_perms(zx, zy, W, c, P, rng):
    f = c["n"] / c["S0"] / math.sqrt((zx @ zx) * (zy @ zy))
    a = np.asarray(W.T @ zx)                 # zx'W as a vector
    out = np.empty(P)
    n = zy.size
    block = max(1, 4_000_000 // n)
    for s in range(0, P, block):
        m = min(block, P - s)
        Zp = _k._draw_rows(zy, m, rng)       # the stream of rng.permuted along rows
        out[s:s + m] = f * (Zp @ a)
    return out


# ============================================================================ global API
_GLOBAL_DOC = """
    Parameters
    ----------
    data : pandas.DataFrame
        Long panel (or cross-section) with columns ``id``, ``time`` and ``column``.
        Row order does not matter; rows are matched to the weights by id.
    column : str
        Variable to test.
    w : libpysal.graph.Graph or dict of {{name: Graph}}
        Spatial weights keyed by the same ids as ``data[id]``; weights are used as stored
        (no re-standardisation).  A dict gives one block per weight matrix
        (:meth:`GlobalAutocorrelation.side_by_side`).
    id, time : str
        Id and time columns (``time=None`` for a cross-section).
    permutations : int, default 9999
        Random permutations of the values within each year (0 to skip).
    seed : int, default 0
        Seed of the permutations (the package's one convention, see
        :func:`spatialnqpf._validation.as_generator`); the draws of a year depend only on
        (seed, year).  With ``None`` a seed is drawn and recorded in the result.
    alternative : {{"two-sided", "greater", "less"}}
        Direction of the tests, relative to the expectation of the statistic.
    islands : {{"raise", "keep"}}
        What to do with units without neighbours (see the module docstring).

    Returns
    -------
    GlobalAutocorrelation
        One row per (weights, year).

    Raises
    ------
    IdMismatchError
        Ids of a year differ from the ids of the weights (both sides are named).
    DataError
        Missing or non-finite values (named by id and year), a constant column in a year{extra}.
    PanelError
        Duplicated (id, year) rows.
"""


def moran_by_year(data: pd.DataFrame, column: str, w, *, id: str = "code", time: str | None = "year",
                  permutations: int = 9999, seed: int | None = 0,
                  alternative: str = "two-sided", islands: str = "raise") -> GlobalAutocorrelation:
    return _global("moran", data, column, w, id, time, permutations, seed, alternative, islands)


moran_by_year.__doc__ = """Global Moran's I by year, with normality, randomisation and permutation inference.

    I = (n / S0) sum_ij w_ij z_i z_j / sum_i z_i^2 with z = x - mean(x) within the year and
    S0 = sum_ij w_ij; E[I] = -1/(n-1).  Variances under normality and randomisation are those
    of Cliff and Ord (1981, eqs. 1.35-1.36), identical to R ``spdep::moran.test``
    (``randomisation=FALSE/TRUE``); the z-value is (I - E[I]) / sd.
""" + _GLOBAL_DOC.format(extra="") + """
    References
    ----------
    Moran, P. A. P. (1950). Notes on continuous stochastic phenomena. *Biometrika* 37, 17-23.
    Cliff, A. D. and Ord, J. K. (1981). *Spatial Processes*. Pion, London.

    Examples
    --------
    >>> res = moran_by_year(panel, "rd_intensity", {"contiguity": w_c, "distance": w_d},
    ...                     permutations=999, seed=1)          # doctest: +SKIP
    >>> res.side_by_side()                                      # doctest: +SKIP
"""


def geary_by_year(data: pd.DataFrame, column: str, w, *, id: str = "code", time: str | None = "year",
                  permutations: int = 9999, seed: int | None = 0,
                  alternative: str = "two-sided", islands: str = "raise") -> GlobalAutocorrelation:
    return _global("geary", data, column, w, id, time, permutations, seed, alternative, islands)


geary_by_year.__doc__ = """Geary's C by year, with normality, randomisation and permutation inference.

    C = (n-1) sum_ij w_ij (x_i - x_j)^2 / (2 S0 sum_i z_i^2); E[C] = 1.  Variances of Cliff and
    Ord (1981), identical to R ``spdep::geary.test``.  The z-value is (C - 1)/sd: positive
    autocorrelation (C < 1) gives z < 0 and ``alternative="less"``; spdep prints (1 - C)/sd.
""" + _GLOBAL_DOC.format(extra="") + """
    References
    ----------
    Geary, R. C. (1954). The contiguity ratio and statistical mapping. *The Incorporated
    Statistician* 5(3), 115-145.  Cliff, A. D. and Ord, J. K. (1981). *Spatial Processes*.
"""


def getis_ord_by_year(data: pd.DataFrame, column: str, w, *, id: str = "code",
                      time: str | None = "year", permutations: int = 9999,
                      seed: int | None = 0, alternative: str = "two-sided",
                      islands: str = "raise") -> GlobalAutocorrelation:
    return _global("getis_ord", data, column, w, id, time, permutations, seed, alternative, islands)


getis_ord_by_year.__doc__ = """Getis-Ord general G by year (randomisation and permutation inference).

    G = sum_{i != j} w_ij x_i x_j / sum_{i != j} x_i x_j for x >= 0; E[G] = S0/(n(n-1)); the
    variance is Getis and Ord (1992) eq. 12 with the corrected B1 coefficient, identical to R
    ``spdep::globalG.test`` (``B1correct=TRUE``).  Meant for binary or distance weights
    (a note is added for row-standardised Graphs).  Normality columns are NaN.
""" + _GLOBAL_DOC.format(extra=", negative values (named)") + """
    References
    ----------
    Getis, A. and Ord, J. K. (1992). The analysis of spatial association by use of distance
    statistics. *Geographical Analysis* 24(3), 189-206.
"""


def moran_bv_by_year(data: pd.DataFrame, x: str, y: str, w, *, id: str = "code",
                     time: str | None = "year", permutations: int = 9999,
                     seed: int | None = 0, alternative: str = "two-sided",
                     islands: str = "raise") -> GlobalAutocorrelation:
    return _global("moran_bv", data, x, w, id, time, permutations, seed, alternative, islands,
                   other=y)


moran_bv_by_year.__doc__ = """Bivariate Moran's I between ``x`` and the spatial lag of ``y``, by year.

    I_xy = (n / S0) sum_ij w_ij zx_i zy_j / sqrt(sum zx^2 sum zy^2) (Wartenberg 1985; with
    ``y = x`` it is Moran's I).  For row-standardised W this equals R ``spdep::moran_bv``
    and esda ``Moran_BV``; for other W they omit the factor n/S0.  Inference by permutation
    of ``y`` only (analytic columns are NaN).
""" + _GLOBAL_DOC.format(extra="") + """
    References
    ----------
    Wartenberg, D. (1985). Multivariate spatial correlation: a method for exploratory
    geographical analysis. *Geographical Analysis* 17(4), 263-283.
"""


def moran_residuals(residuals, w, X=None, *, id: str = "code", time: str | None = None,
                    alternative: str = "two-sided", permutations: int = 0,
                    seed: int | None = 0, islands: str = "raise") -> GlobalAutocorrelation:
    """Moran's I of OLS residuals with Cliff and Ord's normal moments (hook for the models).

    I = (n/S0) e'We / e'e; E[I] = (n/S0) tr(MW)/(n-k);
    Var[I] = (n/S0)^2 [tr(MWMW') + tr(MWMW) + tr(MW)^2] / ((n-k)(n-k+2)) - E[I]^2,
    M = I - X(X'X)^{-1}X' (traces from k x k matrices, no n x n matrix).  Identical to R
    ``spdep::lm.morantest``.  With ``X=None`` only a constant is assumed (k = 1), which gives
    the usual E[I] = -1/(n-1).  The moments are exact for cross-sectional OLS; for residuals
    of fixed-effects panel models apply it per period with the period's design, or read the
    permutation p-value.

    Parameters
    ----------
    residuals : pandas.Series
        Indexed by id (cross-section) or by a MultiIndex (id, time); a MultiIndex whose
        first level is named like ``time`` is read as (time, id).
    w : libpysal.graph.Graph or dict of Graphs
    X : pandas.DataFrame, optional
        Design matrix (with its constant) indexed like ``residuals``.
    id, time : str
        Names given to the index levels in the output (default ``"code"``; ``time=None``:
        ``"time"``).
    alternative, permutations, seed, islands
        As in :func:`moran_by_year`; ``p_norm`` is the Cliff-Ord test, ``p_perm`` permutes
        the residuals (ignores X).

    Returns
    -------
    GlobalAutocorrelation
        The ``norm`` columns hold the Cliff-Ord residual test; ``rand`` columns are NaN.

    References
    ----------
    Cliff, A. D. and Ord, J. K. (1981). *Spatial Processes*, ch. 8.
    """
    _check_alternative(alternative, _ALTS_GLOBAL)
    permutations = _check_perms(permutations)
    seed = _resolve_seed(seed, permutations)
    if not isinstance(residuals, pd.Series):
        raise TypeError("residuals must be a pandas Series indexed by id (or by (id, time))")
    s = residuals.astype(float)
    if isinstance(s.index, pd.MultiIndex):
        if s.index.nlevels != 2:
            raise IdMismatchError(f"residuals need a MultiIndex of two levels (id, time), got "
                                  f"{s.index.nlevels} levels {list(s.index.names)}")
        frame = s.rename("_e").reset_index()
        names = list(s.index.names)
        tcol = time or "time"
        # levels are (id, time) unless their names say (time, id): the first named like time
        if names[0] == tcol and names[1] != tcol:
            frame = frame[[names[1], names[0], "_e"]]
        frame.columns = [id, tcol, "_e"]
    else:
        frame = pd.DataFrame({id: s.index, "_e": s.to_numpy()})
        tcol = None
    Xf = None
    if X is not None:
        Xf = pd.DataFrame(X).astype(float)
        if not Xf.index.equals(s.index):
            if set(Xf.index) != set(s.index):
                raise IdMismatchError("X and residuals have different index values: "
                                      f"{format_values(list(set(Xf.index) ^ set(s.index)))}")
            Xf = Xf.loc[s.index]
        Xv = Xf.to_numpy()
        if not np.isfinite(Xv).all():
            raise DataError("X has missing or non-finite values")
        for j, col in enumerate(Xf.columns):
            frame[f"_x{j}"] = Xv[:, j]
    xcols = [col for col in frame.columns if col.startswith("_x")]
    df, groups = _prepare(frame, ["_e"] + xcols, id, tcol)
    rows, index = [], []
    for wname, g in _weights_items(w):
        for pos, (yr, sub) in enumerate(groups):
            ids = pd.Index(sub[id].to_numpy())
            W, c = _align(g, ids, yr, islands)
            e = _values(sub, "_e", yr)
            Xm = sub[xcols].to_numpy() if xcols else np.ones((len(e), 1))
            if Xf is not None and np.linalg.matrix_rank(Xm) < Xm.shape[1]:
                raise DataError(f"X is rank deficient{_in_year(yr)}")
            r = _k.residual_moran(e, Xm, W, c, alternative)
            row = {"n": c["n"], "I": r["stat"], "E[I]": r["expect"]}
            for t in ("norm", "rand"):
                row.update({f"sd_{t}": r[f"sd_{t}"], f"z_{t}": r[f"z_{t}"], f"p_{t}": r[f"p_{t}"]})
            if permutations:
                sims = _k.permute_global("moran", e, W, permutations, _rng(seed, _time_key(yr, pos)), c)
                row.update(_perm_summary(r["stat"], sims, alternative, permutations))
            else:
                row.update(mean_perm=np.nan, sd_perm=np.nan, z_perm=np.nan, p_perm=np.nan)
            rows.append(row)
            index.append((wname, yr if yr is not None else "all"))
    tab = pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index, names=["weights", tcol or "year"]))
    return GlobalAutocorrelation("moran_residuals", str(residuals.name or "residuals"),
                                 alternative, permutations, seed, tab,
                                 (f"k = {Xf.shape[1] if Xf is not None else 1} regressors",))


# ============================================================================ LISA
def _check_local_args(fname, w, fdr, alpha, engine):
    """Argument checks shared by the local statistics (:func:`lisa`, :func:`getis_ord_local`)."""
    if isinstance(w, Mapping):
        raise TypeError(f"{fname} takes a single weights object; loop over a dict of weights")
    if fdr is not None and not (0 < fdr < 1):
        raise ValueError(f"fdr must be in (0, 1) or None, got {fdr!r}")
    if not (0 < alpha < 1):
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if engine not in ("auto", "numpy", "numba"):
        raise ValueError(f"engine must be 'auto', 'numpy' or 'numba', got {engine!r}")


def lisa(data: pd.DataFrame, column: str, w, *, id: str = "code", time: str | None = "year",
         permutations: int = 9999, seed: int | None = 0, alternative: str = "two-sided",
         fdr: float | None = None, alpha: float = 0.05, islands: str = "raise",
         engine: str = "auto", lag_column: str | None = None,
         progress: bool | None = None) -> LisaResult:
    """Local Moran (LISA) by unit and year with stated p-values, clusters and transitions.

    I_i = z_i sum_j w_ij z_j / m2 with z = x - mean(x) within the year and m2 = sum z^2 / n
    (R ``spdep::localmoran``; esda's ``Moran_Local.Is`` is (n-1)/n times this value).
    With ``lag_column`` the bivariate form I_i = zx_i (W zy)_i / sqrt(m2_x m2_y) is used.

    Inference:

    * conditional permutation (Anselin 1995): the values of the other n - 1 units are
      randomly reassigned to the neighbours of i, ``permutations`` times, seeded; one set of
      draws is shared by all units of a year (as in esda), so units' p-values are
      correlated but each is exact;
    * p-value by ``alternative``: "two-sided" (default) min(1, 2 min(p_greater, p_less));
      "folded" esda's ``p_sim`` (min of the two tails, not doubled: about half the
      two-sided value, i.e. twice as liberal); "greater" (I_i larger than under the null,
      clustering) or "less" (spatial outliers); each (#{I* as extreme} + 1)/(P + 1);
    * the analytic test under conditional randomisation (Sokal et al. 1998, spdep
      ``localmoran`` default) is always reported as ``E_Ii``, ``V_Ii``, ``z_Ii``, ``p_Ii``
      (univariate only), and used as ``p`` when ``permutations=0``;
    * ``fdr``: if given (e.g. 0.05), a unit is significant when its Benjamini-Hochberg
      adjusted p-value ``q`` (within the year) is at most ``fdr``; otherwise when
      ``p <= alpha``.

    Parameters
    ----------
    data, column, w, id, time
        As in :func:`moran_by_year`; ``w`` is a single Graph.
    permutations : int, default 9999
    seed : int, default 0
        The draws of a year depend only on (seed, year).  ``None`` draws a seed and records it.
    alternative : {"two-sided", "folded", "greater", "less"}
    fdr : float, optional
    alpha : float, default 0.05
    islands : {"raise", "keep"}
        With "keep", islands get I_i = 0, p = NaN and cluster "isolate".
    engine : {"auto", "numpy", "numba"}
        "auto" uses plain numpy (no compilation, nothing to load) for small work and the
        numba kernel, compiled once and cached on disk, when the whole call has more than
        about 2e7 neighbour look-ups (e.g. 31 units x 11 years x 99 999 permutations).
        Both engines give identical numbers for the same seed.
    lag_column : str, optional
        Column whose spatial lag is used (bivariate LISA); see :func:`lisa_bv`.
    progress : bool, optional
        tqdm bar over the years; default on when the call has more than 1e9 neighbour
        look-ups (roughly more than a few seconds).

    Returns
    -------
    LisaResult
        ``to_frame()``, ``counts()``, ``transitions()``, ``summary()``.

    References
    ----------
    Anselin, L. (1995). Local indicators of spatial association - LISA. *Geographical
    Analysis* 27(2), 93-115.
    Sokal, R. R., Oden, N. L. and Thomson, B. A. (1998). Local spatial autocorrelation in a
    biological model. *Geographical Analysis* 30(4), 331-354.
    Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B*
    57(1), 289-300.
    """
    _check_alternative(alternative, _ALTS_LOCAL)
    permutations = _check_perms(permutations)
    _check_local_args("lisa", w, fdr, alpha, engine)
    seed = _resolve_seed(seed, permutations)
    cols = [column] + ([lag_column] if lag_column is not None else [])
    _, groups = _prepare(data, cols, id, time)
    pieces, engines = [], set()
    total = sum(len(sub) for _, sub in groups) * permutations * 6
    if engine == "auto" and permutations:
        # the numba kernel costs ~1 s to load once per process: worth it above ~1 s of numpy work
        engine = "numba" if total > _k.NUMBA_TOTAL_THRESHOLD else "auto"
    if progress is None:
        progress = total > 1e9
    from tqdm.auto import tqdm
    for pos, (yr, sub) in enumerate(tqdm(groups, desc=f"LISA {column}", disable=not progress)):
        ids = pd.Index(sub[id].to_numpy())
        W, c = _align(w, ids, yr, islands)
        x = _values(sub, column, yr)
        xs = _unit_scale(x)  # I_i, z, lag and p are scale-invariant; "value" keeps x
        z = xs - xs.mean()
        if lag_column is None:
            loc = _k.local_moran(z, W, None, c)
            zl = z
        else:
            ys = _unit_scale(_values(sub, lag_column, yr))
            zl = ys - ys.mean()
            loc = _k.local_moran(z, W, zl, c)
        n = c["n"]
        sdz = math.sqrt(z @ z / n)
        sdl = math.sqrt(zl @ zl / n)
        Ii = loc["Ii"]
        out = pd.DataFrame({id: ids, "value": x, "z": z / sdz, "lag": loc["lag"] / sdl, "Ii": Ii})
        if time is not None:
            out.insert(0, time, yr)
        if lag_column is None:
            E, V = loc["E_cond"], loc["V_cond"]
            with np.errstate(invalid="ignore", divide="ignore"):
                zi = (Ii - E) / np.sqrt(V)
            alt_a = alternative if alternative != "folded" else "two-sided"
            pa = _k._p_norm(zi, alt_a)
            if alternative == "folded":
                pa = pa / 2.0
            out["E_Ii"], out["V_Ii"], out["z_Ii"], out["p_Ii"] = E, V, zi, pa
        hi_z = z > 0
        hi_l = loc["lag"] > 0
        quad = np.where(hi_z & hi_l, "HH", np.where(~hi_z & ~hi_l, "LL",
                        np.where(hi_z, "HL", "LH")))
        isl = np.zeros(n, dtype=bool)
        isl[c["islands"]] = True
        quad = np.where(isl, "isolate", quad)
        out["quadrant"] = quad
        if permutations:
            cp = _k.conditional_permutation(z, zl, W, permutations, _rng(seed, _time_key(yr, pos)),
                                            engine=engine)
            engines.add(cp["engine"])
            p = _k.pvalues_from_counts(cp["ge"], cp["le"], permutations, alternative)
            scale = np.abs(z) / math.sqrt((z @ z / n) * (zl @ zl / n))
            out["EI_sim"] = cp["mean"] * scale
            out["sd_sim"] = cp["sd"] * scale
        else:
            if lag_column is not None:
                raise ArgumentError("bivariate LISA has no analytic p-value: use permutations > 0 "
                            f"(got {permutations!r}); the local values I_i do not depend on the "
                            "number of permutations, so permutations=99 gives them quickly")
            p = out["p_Ii"].to_numpy().copy()
        p = np.asarray(p, dtype=float)
        p[isl] = np.nan
        out["p"] = p
        out["q"] = _k.bh_adjust(p)
        crit = out["q"] if fdr is not None else out["p"]
        out["significant"] = (crit <= (fdr if fdr is not None else alpha)).to_numpy()
        out["cluster"] = np.where(isl, "isolate", np.where(out["significant"], quad, "ns"))
        pieces.append(out)
    frame = pd.concat(pieces, ignore_index=True)
    notes = []
    if alternative == "folded":
        notes.append("folded pseudo p-values (esda p_sim): one-sided in the observed direction, "
                     "about twice as liberal as two-sided")
    if lag_column is not None:
        notes.append(f"bivariate: {column} against the spatial lag of {lag_column}")
    return LisaResult(column if lag_column is None else f"{column} x W.{lag_column}",
                      alternative, permutations, seed, alpha, fdr, id, time, frame,
                      "+".join(sorted(engines)) or "analytic", tuple(notes))


def lisa_bv(data: pd.DataFrame, x: str, y: str, w, *, id: str = "code", time: str | None = "year",
            permutations: int = 9999, seed: int | None = 0, alternative: str = "two-sided",
            fdr: float | None = None, alpha: float = 0.05, islands: str = "raise",
            engine: str = "auto", progress: bool | None = None) -> LisaResult:
    """Bivariate local Moran: I_i = zx_i (W zy)_i / sqrt(m2_x m2_y), by year.

    Conditional permutation of ``y`` around each unit (Anselin, Syabri and Smirnov 2002).
    R ``spdep::localmoran_bv`` standardises with the n-1 standard deviation, so its values
    are (n-1)/n times these.  Parameters as in :func:`lisa`; ``permutations`` must be > 0.

    References
    ----------
    Anselin, L., Syabri, I. and Smirnov, O. (2002). Visualizing multivariate spatial
    correlation with dynamically linked windows. In *New Tools for Spatial Data Analysis*.
    """
    if not permutations:
        raise ArgumentError("bivariate LISA has no analytic p-value: use permutations > 0 "
                            f"(got {permutations!r}); the local values I_i do not depend on the "
                            "number of permutations, so permutations=99 gives them quickly")
    return lisa(data, x, w, id=id, time=time, permutations=permutations, seed=seed,
                alternative=alternative, fdr=fdr, alpha=alpha, islands=islands, engine=engine,
                lag_column=y, progress=progress)


# ============================================================================ local G
def getis_ord_local(data: pd.DataFrame, column: str, w, *, id: str = "code",
                    time: str | None = "year", star: bool = False, permutations: int = 0,
                    seed: int | None = 0, alternative: str = "two-sided",
                    fdr: float | None = None, alpha: float = 0.05, islands: str = "raise",
                    engine: str = "auto") -> LisaResult:
    """Local Getis-Ord G_i / G_i* (hot and cold spots) by unit and year.

    G_i = sum_{j != i} w_ij x_j / sum_{j != i} x_j.  Its standardised value (Ord and Getis
    1995), as R ``spdep::localG``:

    * G_i: z_i = ((Wx)_i - W_i xbar_i) / sqrt(s_i^2 ((n-1) S1_i - W_i^2) / (n-2)), with
      xbar_i and s_i^2 the mean and (population) variance of the other n - 1 values;
    * G_i* (``star=True``, unit i counted as its own neighbour): z_i = ((W*x)_i - W*_i xbar)
      / sqrt(s^2 (n S1*_i - W*_i^2) / (n-1)), xbar and s^2 over all n values;

    W_i = sum_j w_ij, S1_i = sum_j w_ij^2.  For G_i* the self weight is 1 added to the
    binary structure; if the weights are row-standardised (a Graph's ``transformation`` or a
    libpysal W's ``transform`` is "R") the binary structure plus self is row-standardised
    again (= spdep ``include.self`` then style "W").

    Inference: ``permutations=0`` (default) gives the normal p-value of z_i as spdep; with
    permutations, conditional permutation of the other values around i (seeded) and
    p-values formed as in :func:`lisa` (``alternative`` "two-sided", "folded", "greater",
    "less").  For G_i the spdep moments are exactly the conditional-permutation moments;
    for G_i* the permutation keeps x_i fixed (as esda and GeoDa) while spdep's moments
    let x_i vary too, so ``p`` and ``p_G`` can differ more.  ``cluster`` is "hot" (z > 0) or "cold" (z < 0) when significant, else "ns".

    Returns
    -------
    LisaResult
        Frame columns: ``id``, (``year``), ``value``, ``G``, ``E_G``, ``V_G``, ``z_G``,
        ``p_G`` (analytic), ``p``, ``q``, ``significant``, ``cluster``; with permutations
        also ``EG_sim`` and ``sdG_sim`` (mean and sd of the simulated G_i; for G_i they
        converge to ``E_G`` and sqrt(``V_G``)).

    References
    ----------
    Getis, A. and Ord, J. K. (1992). The analysis of spatial association by use of distance
    statistics. *Geographical Analysis* 24(3), 189-206.
    Ord, J. K. and Getis, A. (1995). Local spatial autocorrelation statistics: distributional
    issues and an application. *Geographical Analysis* 27(4), 286-306.
    """
    _check_alternative(alternative, _ALTS_LOCAL)
    permutations = _check_perms(permutations)
    _check_local_args("getis_ord_local", w, fdr, alpha, engine)
    seed = _resolve_seed(seed, permutations)
    _, groups = _prepare(data, [column], id, time)
    row_std = _is_row_standardised(w)
    pieces, engines = [], set()
    for pos, (yr, sub) in enumerate(groups):
        ids = pd.Index(sub[id].to_numpy())
        W, c = _align(w, ids, yr, islands)
        x = _values(sub, column, yr, nonneg=True, id=id)
        n = x.size
        if star:
            B = W.copy()
            B.data[:] = 1.0
            Ws = sp.csr_matrix(B + sp.identity(n, format="csr"))
            if row_std:
                Ws = sp.csr_matrix(sp.diags(1.0 / np.asarray(Ws.sum(axis=1)).ravel()) @ Ws)
            else:
                Ws = sp.csr_matrix(W + sp.identity(n, format="csr"))
            Wuse = Ws
        else:
            Wuse = W
        Wi = np.asarray(Wuse.sum(axis=1)).ravel()
        S1i = np.asarray(Wuse.multiply(Wuse).sum(axis=1)).ravel()
        lx = Wuse @ x
        sx, sx2 = x.sum(), (x * x).sum()
        if star:
            xbar = np.full(n, sx / n)
            s2 = np.full(n, ((x - x.mean()) ** 2).sum() / n)
            VGz = s2 * ((n * S1i - Wi ** 2) / (n - 1))
            denom = np.full(n, sx)
        else:
            xbar = (sx - x) / (n - 1)
            s2 = (sx2 - x * x) / (n - 1) - xbar ** 2
            VGz = s2 * (((n - 1) * S1i - Wi ** 2) / (n - 2))
            denom = sx - x
        EGz = Wi * xbar
        with np.errstate(invalid="ignore", divide="ignore"):
            zG = (lx - EGz) / np.sqrt(VGz)
        out = pd.DataFrame({id: ids, "value": x, "G": lx / denom, "E_G": EGz / denom,
                            "V_G": VGz / denom ** 2, "z_G": zG})
        if time is not None:
            out.insert(0, time, yr)
        alt_a = alternative if alternative != "folded" else "two-sided"
        pa = _k._p_norm(zG, alt_a)
        if alternative == "folded":
            pa = pa / 2.0
        out["p_G"] = pa
        isl = np.zeros(n, dtype=bool)
        isl[c["islands"]] = True
        if permutations:
            Woff = W if not star else sp.csr_matrix(Wuse - sp.diags(Wuse.diagonal()))
            Woff.eliminate_zeros()
            cp = _k.conditional_permutation(np.ones(n), x, Woff, permutations,
                                            _rng(seed, _time_key(yr, pos)), engine=engine)
            engines.add(cp["engine"])
            p = _k.pvalues_from_counts(cp["ge"], cp["le"], permutations, alternative)
            self_part = lx - Woff @ x                      # w_ii x_i for G_i*, else 0
            out["EG_sim"] = (cp["mean"] + self_part) / denom
            out["sdG_sim"] = cp["sd"] / denom
        else:
            p = np.asarray(pa, dtype=float).copy()
        p = np.asarray(p, dtype=float)
        p[isl] = np.nan
        out["p"] = p
        out["q"] = _k.bh_adjust(p)
        crit = out["q"] if fdr is not None else out["p"]
        sig = (crit <= (fdr if fdr is not None else alpha)).to_numpy()
        out["significant"] = sig
        out["cluster"] = np.where(isl, "isolate", np.where(~sig, "ns",
                                                           np.where(zG > 0, "hot", "cold")))
        pieces.append(out)
    frame = pd.concat(pieces, ignore_index=True)
    return LisaResult(column, alternative, permutations, seed, alpha, fdr, id, time, frame,
                      "+".join(sorted(engines)) or "analytic",
                      (("G_i* (self included)",) if star else ()),
                      statistic="Getis-Ord G_i*" if star else "Getis-Ord G_i",
                      categories=("hot", "cold", "ns", "isolate"))
