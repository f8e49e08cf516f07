"""Regional inequality: Dagum Gini decomposition, Theil T/L, coefficient of variation.

Cross-section functions take 1-D values with group labels and optional unit
weights (e.g. population); the ``*_by_year`` forms take a long panel
(``id``, ``time`` columns) and group provinces by the NBS four regions
(:func:`spatialnqpf.regions.groups`) unless told otherwise.

No library ships Dagum's (1997) decomposition (PySAL ``inequality`` has Gini
and one-level unweighted Theil; R ``dineq`` splits Gini differently), so it is
implemented here in O(n log n) from sorted values and cumulative sums
(:mod:`spatialnqpf._kernels.gini`).

References
----------
Dagum, C. (1997). A new approach to the decomposition of the Gini income
inequality ratio. *Empirical Economics* 22(4), 515-531.

Theil, H. (1967). *Economics and Information Theory*. North-Holland.

Shorrocks, A. F. (1980). The class of additively decomposable inequality
measures. *Econometrica* 48(3), 613-625.

Akita, T. (2003). Decomposing regional income inequality in China and
Indonesia using two-stage nested Theil decomposition method. *Annals of
Regional Science* 37, 55-77.

Method notes: ``docs/methods/inequality.md`` §4.1-§4.2 (formulas and conventions);
the peers' defects it avoids: ``docs/anchors.md``.
"""
from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ._kernels import gini as _gk
from ._results import Results
from ._validation import (ArgumentError, DataError, as_1d_float, as_count, as_generator,
                          check_panel, format_values)

__all__ = [
    "DagumResult", "DagumPanelResult", "TheilResult", "NestedTheilResult",
    "gini", "dagum_gini", "dagum_gini_by_year", "theil", "theil_by_year",
    "theil_nested", "theil_nested_by_year", "cv", "cv_by_year",
]

# Canonical display orders of the package's regional schemes.
_KNOWN_ORDERS = (
    ("East", "Central", "West", "Northeast"),
    ("东部", "中部", "西部", "东北"),
    ("East", "Central", "West"),
    ("东部", "中部", "西部"),
)


# ----------------------------------------------------------------------------
# input helpers
# ----------------------------------------------------------------------------
def _labels_of(values, n: int, groups, what: str = "groups") -> np.ndarray:
    """Group labels aligned with ``values``: by index for Series/mappings, else by position."""
    if groups is None:
        return np.zeros(n, dtype=object)
    if isinstance(groups, Mapping) or (isinstance(groups, pd.Series) and isinstance(values, pd.Series)):
        if not isinstance(values, pd.Series):
            raise DataError(f"{what} given as a mapping needs values as a pandas Series "
                            "indexed by the same ids")
        mapping = groups if isinstance(groups, pd.Series) else pd.Series(dict(groups))
        lab = values.index.to_series().map(mapping)
        if lab.isna().any():
            raise DataError(f"no {what} label for id(s): "
                            f"{format_values(values.index[lab.isna().to_numpy()].tolist())}")
        return lab.to_numpy(dtype=object)
    arr = np.asarray(groups, dtype=object)
    if arr.ndim != 1:
        raise DataError(f"{what} must be one-dimensional, got an array of shape {arr.shape}")
    if len(arr) != n:
        raise DataError(f"{what} has {len(arr)} labels but there are {n} values")
    miss = pd.isna(arr)
    if miss.any():
        raise DataError(f"{what} has missing labels at positions {format_values(np.flatnonzero(miss).tolist())}")
    return arr


def _positions(values, mask) -> list:
    idx = np.flatnonzero(mask)
    if isinstance(values, pd.Series):
        return values.index[idx].tolist()
    return idx.tolist()


def _check_values(values, name="values", allow_zero=True):
    y = as_1d_float(values, name)
    if y.size == 0:
        raise DataError(f"{name} is empty")
    neg = y < 0
    if neg.any():
        raise DataError(f"{name} must be non-negative for this inequality index; negative at "
                        f"{format_values(_positions(values, neg))}")
    if not allow_zero and (y == 0).any():
        raise DataError(f"{name} has zeros at {format_values(_positions(values, y == 0))}: "
                        "Theil L (mean log deviation) is undefined for zero values; "
                        "use Theil T (index='T') or drop/shift them explicitly")
    return y


def _check_weights(weights, values, n):
    if weights is None:
        return None
    if isinstance(weights, pd.Series) and isinstance(values, pd.Series) and not weights.index.equals(values.index):
        weights = weights.reindex(values.index)
    w = as_1d_float(weights, "obs_weights")
    if len(w) != n:
        raise DataError(f"obs_weights has {len(w)} entries but there are {n} values")
    bad = w <= 0
    if bad.any():
        raise DataError(f"obs_weights must be positive; non-positive at {format_values(_positions(values, bad))}")
    return w


def _canonical_order(labels: np.ndarray, groups_arg=None) -> list:
    cats = None
    if isinstance(groups_arg, pd.Categorical):
        cats = groups_arg.categories
    elif isinstance(groups_arg, pd.Series) and isinstance(groups_arg.dtype, pd.CategoricalDtype):
        cats = groups_arg.cat.categories
    if cats is not None:
        present = set(labels)
        return [c for c in cats if c in present]
    uniq = list(pd.unique(labels))
    for order in _KNOWN_ORDERS:
        if set(uniq) <= set(order):
            return [o for o in order if o in set(uniq)]
    try:
        return sorted(uniq)
    except TypeError:
        return uniq


def _pair_label(a, b) -> str:
    return f"{a}-{b}"


# ----------------------------------------------------------------------------
# Gini and Dagum
# ----------------------------------------------------------------------------
def gini(values, obs_weights=None) -> float:
    r"""Gini coefficient, :math:`G = \sum_i\sum_r w_i w_r |y_i-y_r| / (2W^2\mu)`.

    O(n log n) from sorted values.  Refuses 2-D input (PySAL ``inequality.Gini``
    silently returns a wrong number for a 2-D array).

    Parameters
    ----------
    values : array-like (n,)
        Non-negative values, not all zero.
    obs_weights : array-like (n,), optional
        Positive unit weights (population); unit weights by default.
    """
    y = _check_values(values)
    w = _check_weights(obs_weights, values, len(y))
    if not np.any(y > 0):
        raise DataError("values are all zero: the Gini coefficient is undefined (mean 0)")
    return _gk.gini(y, w)


_SCALARS = ("G", "G_w", "G_nb", "G_t", "share_w", "share_nb", "share_t")


@dataclass(eq=False, repr=False)
class DagumResult(Results):
    r"""Dagum (1997) decomposition of a Gini coefficient (frozen).

    Attributes
    ----------
    G, G_w, G_nb, G_t : float
        Overall Gini; within-group, net between-group and transvariation
        contributions, with :math:`G = G_w + G_{nb} + G_t`.
    groups : DataFrame
        One row per group in Dagum's order (ascending mean): ``n`` (units),
        ``weight`` (weight sum; equals ``n`` without weights), ``mean``, ``p``
        (:math:`n_j/n`), ``s`` (:math:`n_j\mu_j/(n\mu)`), ``G_jj``.
    pairs : DataFrame
        One row per pair ``j > h`` (``high`` has the larger mean, ``low`` the
        smaller), indexed by a label in the canonical group order:
        ``G_jh, d_jh, p_jh, D_jh, weight`` (:math:`p_j s_h + p_h s_j`),
        ``G_nb_jh, G_t_jh``.
    order : tuple
        Canonical group order used for labels and tables.
    ci : DataFrame or None
        Bootstrap results per statistic: ``se, low, high`` (percentile).
    """

    G: float
    G_w: float
    G_nb: float
    G_t: float
    groups: pd.DataFrame
    pairs: pd.DataFrame
    order: tuple
    weighted: bool = False
    ci: pd.DataFrame | None = None
    n_boot: int = 0
    ci_level: float = 0.95
    seed: Any = None

    @property
    def shares(self) -> pd.Series:
        """Contribution shares G_w/G, G_nb/G, G_t/G (missing, with a warning, when G = 0)."""
        if self.G == 0:
            import warnings
            warnings.warn("Dagum G = 0 (perfect equality): the contribution shares are "
                          "undefined and reported as missing (NaN)", RuntimeWarning, stacklevel=2)
            return pd.Series({"share_w": np.nan, "share_nb": np.nan, "share_t": np.nan})
        return pd.Series({"share_w": self.G_w / self.G, "share_nb": self.G_nb / self.G,
                          "share_t": self.G_t / self.G})

    @property
    def within(self) -> pd.Series:
        """G_jj per group, in the canonical group order."""
        return self.groups["G_jj"].reindex(list(self.order))

    @property
    def between(self) -> pd.DataFrame:
        """Symmetric matrix of G_jh in the canonical group order (NaN diagonal)."""
        order = list(self.order)
        m = pd.DataFrame(np.nan, index=order, columns=order)
        for _, r in self.pairs.iterrows():
            m.loc[r["high"], r["low"]] = m.loc[r["low"], r["high"]] = r["G_jh"]
        return m

    @property
    def D(self) -> pd.DataFrame:
        """D_jh with rows the higher-mean group j and columns the lower-mean group h."""
        order = list(self.order)
        m = pd.DataFrame(np.nan, index=order, columns=order)
        for _, r in self.pairs.iterrows():
            m.loc[r["high"], r["low"]] = r["D_jh"]
        return m

    def to_series(self) -> pd.Series:
        """All statistics as one flat Series (names used by the bootstrap and by-year tables)."""
        out = {"G": self.G, "G_w": self.G_w, "G_nb": self.G_nb, "G_t": self.G_t}
        out.update(self.shares.to_dict())
        for g in self.order:
            out[f"G_jj[{g}]"] = self.groups.loc[g, "G_jj"]
        for lab, r in self.pairs.iterrows():
            out[f"G_jh[{lab}]"] = r["G_jh"]
        for lab, r in self.pairs.iterrows():
            out[f"D_jh[{lab}]"] = r["D_jh"]
        return pd.Series(out, dtype=float)

    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per statistic (value, and bootstrap se/low/high if computed)."""
        df = self.to_series().to_frame("value")
        df.index.name = "statistic"
        if self.ci is not None:
            df = df.join(self.ci)
        return df

    def summary(self) -> str:
        """Text summary in the layout of applied papers."""
        lines = [f"Dagum Gini decomposition ({'weighted' if self.weighted else 'unweighted'}, "
                 f"{int(self.groups['n'].sum())} units, {len(self.order)} groups)",
                 f"  G = {self.G:.6f} = G_w {self.G_w:.6f} ({self.G_w / self.G:6.2%})"
                 f" + G_nb {self.G_nb:.6f} ({self.G_nb / self.G:6.2%})"
                 f" + G_t {self.G_t:.6f} ({self.G_t / self.G:6.2%})",
                 "  groups (ascending mean):"]
        for g, r in self.groups.iterrows():
            lines.append(f"    {str(g):<12} n={int(r['n']):>5}  mean={r['mean']:.6g}  G_jj={r['G_jj']:.6f}")
        lines.append("  pairs:")
        for lab, r in self.pairs.iterrows():
            lines.append(f"    {lab:<24} G_jh={r['G_jh']:.6f}  D_jh={r['D_jh']:.4f}")
        if self.ci is not None:
            lines.append(f"  bootstrap: {self.n_boot} replications within groups, seed={self.seed}, "
                         f"{self.ci_level:.0%} percentile intervals in to_frame()")
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()


def _dagum_core(y, lab_codes, k, w, order, want_result=True):
    """Run the kernel with groups renumbered by ascending mean; return flat stats or a result."""
    if w is None:
        sums = np.bincount(lab_codes, weights=y, minlength=k)
        cnt = np.bincount(lab_codes, minlength=k).astype(float)
    else:
        sums = np.bincount(lab_codes, weights=w * y, minlength=k)
        cnt = np.bincount(lab_codes, weights=w, minlength=k)
    means = sums / cnt
    rank = np.argsort(means, kind="mergesort")  # Dagum order: mu_1 <= ... <= mu_k
    newcode = np.empty(k, dtype=np.intp)
    newcode[rank] = np.arange(k)
    r = _gk.dagum_decompose(y, newcode[lab_codes], k, w)
    return r, rank


def _dagum_flat(r, rank, order):
    """Flat vector in to_series() order (canonical labels)."""
    k = len(order)
    pos = np.empty(k, dtype=np.intp)
    pos[rank] = np.arange(k)  # canonical index -> Dagum index
    G = r["G"]
    vals = [G, r["Gw"], r["Gnb"], r["Gt"], r["Gw"] / G, r["Gnb"] / G, r["Gt"] / G]
    vals += [r["Gjj"][pos[c]] for c in range(k)]
    pairs = [(a, b) for a in range(k) for b in range(a + 1, k)]
    gjh, djh = [], []
    for a, b in pairs:
        ja, jb = pos[a], pos[b]
        hi, lo = max(ja, jb), min(ja, jb)
        gjh.append(r["Gjh"][hi, lo])
        djh.append(r["D"][hi, lo])
    return np.array(vals + gjh + djh)


def dagum_gini(values, groups, obs_weights=None, *, order: Sequence | None = None,
               n_boot: int = 0, seed=0, ci_level: float = 0.95,
               progress: bool | None = None, backend: str = "serial", client=None,
               n_workers: int | None = None) -> DagumResult:
    r"""Dagum (1997) decomposition of the Gini coefficient by groups.

    .. math::

        G = \frac{\sum_j\sum_h\sum_i\sum_r |y_{ji}-y_{hr}|}{2n^2\mu}
          = G_w + G_{nb} + G_t,

    with groups sorted by mean (:math:`\mu_1 \le \dots \le \mu_k`),
    :math:`G_{jj}`, :math:`G_{jh}`, :math:`D_{jh} = (d_{jh}-p_{jh})/(d_{jh}+p_{jh})`
    as in docs/methods/inequality.md §4.1 (see :func:`spatialnqpf._kernels.gini.dagum_decompose`
    for the weighted formulas).  Computed in O(n log n) per pair of groups
    from sorted values and cumulative sums.

    Parameters
    ----------
    values : array-like (n,)
        Non-negative values (a pandas Series keeps its index as ids).
    groups : array-like (n,) or mapping
        Group label of each value (by position), or a mapping/Series
        id -> label applied to the index of a Series ``values``.
    obs_weights : array-like (n,), optional
        Positive unit weights (e.g. population).  Every :math:`n_j` becomes a
        weight sum and every pairwise term is weighted by :math:`w_i w_r`.
    order : sequence, optional
        Display order of the group labels (default: NBS region order when the
        labels are the four regions, categorical order, else sorted).  The
        decomposition itself always uses Dagum's ordering by mean.
    n_boot : int, default 0
        Bootstrap replications (resampling units with replacement *within*
        each group, keeping group sizes); 0 for none.
    seed : int, None, SeedSequence or numpy Generator, default 0
        Seed of the bootstrap (the package's one convention:
        :func:`spatialnqpf._validation.as_generator`).  Replication ``b``
        (0-based) resamples with its own stream ``as_generator(s, ("dagum", b))``,
        where ``s`` is ``seed`` itself for an int, one draw ``integers(2**63)``
        from a Generator (or from ``default_rng(seed)`` for a SeedSequence) and
        fresh entropy for None; ``s`` is recorded in ``result.seed`` (rerun with
        ``seed=result.seed``).  The replications are therefore the same bit for
        bit on every backend, worker count and chunking.
    ci_level : float, default 0.95
        Level of the percentile intervals.
    progress : bool, optional
        tqdm progress bar for the bootstrap (default: on for long runs).
    backend : {"serial", "processes", "dask"}, default "serial"
        Where the replications run: :func:`spatialnqpf.batch.run` over jobs of
        100 replications (``"processes"``: a local process pool of ``n_workers``;
        ``"dask"``: :mod:`dask.distributed` on ``client``, or a ``LocalCluster``
        of ``n_workers`` made for the run).  The data are sent once per worker.
    client : dask.distributed.Client, optional
        Cluster of the ``"dask"`` backend.
    n_workers : int, optional
        Worker count of the ``"processes"`` / ``"dask"`` backends (default: CPUs).

    Returns
    -------
    DagumResult

    Raises
    ------
    DataError
        2-D or non-finite values, negative values, non-positive weights,
        missing labels, a group with mean zero.  A group with a single member is
        allowed (its G_jj is 0 by definition; a RuntimeWarning names it).

    References
    ----------
    Dagum, C. (1997). A new approach to the decomposition of the Gini income
    inequality ratio. *Empirical Economics* 22(4), 515-531.
    """
    n_boot = as_count(n_boot, "n_boot")
    _check_boot_args(ci_level, backend)
    res, task = _dagum_fit(values, groups, obs_weights, order)
    if n_boot:
        root = _boot_seed(seed)
        if progress is None:
            progress = n_boot * len(task["y"]) > 5_000_000
        (ci,) = _bootstrap([dict(task, seed=root)], [res.to_series().index], int(n_boot),
                           ci_level, progress, backend, client, n_workers)
        res = dataclasses.replace(res, ci=ci, n_boot=int(n_boot), ci_level=ci_level, seed=root)
    return res


def _dagum_fit(values, groups, obs_weights, order):
    """Point decomposition and the bootstrap task (data of :func:`_boot_reps`, no seed)."""
    y = _check_values(values)
    n = len(y)
    labels = _labels_of(values, n, groups)
    w = _check_weights(obs_weights, values, n)
    if order is None:
        order = _canonical_order(labels, groups)
    else:
        order = list(order)
        unknown = set(pd.unique(labels)) - set(order)
        if unknown:
            raise DataError(f"labels not in `order`: {format_values(sorted(map(str, unknown)))}")
        order = [o for o in order if o in set(pd.unique(labels))]
    k = len(order)
    if k < 1:
        raise DataError("no groups")
    codes = pd.Index(order).get_indexer(labels).astype(np.intp)
    counts = np.bincount(codes, minlength=k)
    single = [order[i] for i in np.flatnonzero(counts < 2)]
    if single:
        # e.g. prefecture-level data grouped by province: four municipalities are one city each
        import warnings
        warnings.warn(f"Dagum: group(s) with a single member: {format_values(single)}; their "
                      "within-group Gini G_jj is 0 by definition", RuntimeWarning, stacklevel=3)
    gsum = np.bincount(codes, weights=y, minlength=k)
    zero = [order[i] for i in np.flatnonzero(gsum <= 0)]
    if zero:
        raise DataError(f"group(s) with mean zero: {format_values(zero)}; G_jj is undefined")

    r, rank = _dagum_core(y, codes, k, w, order)
    dorder = [order[i] for i in rank]  # Dagum order
    grp = pd.DataFrame({
        "n": counts[rank], "weight": r["n"], "mean": r["mu"], "p": r["p"], "s": r["s"],
        "G_jj": r["Gjj"]}, index=pd.Index(dorder, name="group"))
    rows, idx = [], []
    for a in range(k):
        for b in range(a + 1, k):
            ga, gb = order[a], order[b]
            ja, jb = dorder.index(ga), dorder.index(gb)
            hi, lo = max(ja, jb), min(ja, jb)
            wt = r["p"][hi] * r["s"][lo] + r["p"][lo] * r["s"][hi]
            rows.append({"high": dorder[hi], "low": dorder[lo], "G_jh": r["Gjh"][hi, lo],
                         "d_jh": r["d"][hi, lo], "p_jh": r["pt"][hi, lo], "D_jh": r["D"][hi, lo],
                         "weight": wt, "G_nb_jh": r["Gjh"][hi, lo] * wt * r["D"][hi, lo],
                         "G_t_jh": r["Gjh"][hi, lo] * wt * (1 - r["D"][hi, lo])})
            idx.append(_pair_label(ga, gb))
    pairs = pd.DataFrame(rows, index=pd.Index(idx, name="pair"),
                         columns=["high", "low", "G_jh", "d_jh", "p_jh", "D_jh", "weight",
                                  "G_nb_jh", "G_t_jh"])
    res = DagumResult(G=r["G"], G_w=r["Gw"], G_nb=r["Gnb"], G_t=r["Gt"], groups=grp,
                      pairs=pairs, order=tuple(order), weighted=w is not None)
    return res, dict(y=y, codes=codes, k=k, w=w, order=tuple(order))


#: Bootstrap replications per batch job (the replications do not depend on it).
_BOOT_CHUNK = 100


def _check_boot_args(ci_level, backend):
    from .batch import BACKENDS
    if not (isinstance(ci_level, (int, float, np.floating)) and 0 < ci_level < 1):
        raise DataError(f"ci_level must be in (0, 1), got {ci_level!r}")
    if backend not in BACKENDS:
        raise ArgumentError(f"backend must be one of {BACKENDS}, got {backend!r}")


def _boot_seed(seed) -> int:
    """Int root of the keyed replication streams (see :func:`dagum_gini`, ``seed``)."""
    if isinstance(seed, np.random.SeedSequence):
        seed = np.random.default_rng(seed)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2 ** 63))
    if seed is None:
        return int(np.random.SeedSequence().generate_state(2, np.uint64)[0] >> np.uint64(1))
    as_generator(seed)  # validates: ArgumentError naming a bad seed
    return int(seed)


def _boot_reps(y, codes, k, w, order, seed, reps):
    """Bootstrap replications ``reps`` (one batch job) as a (len(reps), statistics) array.

    Replication b resamples units with replacement within each group, keeping group
    sizes, with the stream ``as_generator(seed, ("dagum", b))``.
    """
    members = [np.flatnonzero(codes == j) for j in range(k)]
    rows = []
    for b in reps:
        rng = as_generator(seed, ("dagum", int(b)))
        idx = np.concatenate([m[rng.integers(0, len(m), len(m))] for m in members])
        rb, rank = _dagum_core(y[idx], codes[idx], k, None if w is None else w[idx], order)
        rows.append(_dagum_flat(rb, rank, order))
    return np.vstack(rows)


def _keep(value):
    return value


def _bootstrap(tasks, names, n_boot, ci_level, progress, backend, client, n_workers):
    """Within-group bootstrap of every task (one cross-section each) in one batch run.

    ``tasks`` are keyword dicts of :func:`_boot_reps` (without ``reps``); all their
    replications go through one :func:`spatialnqpf.batch.run` (jobs of ``_BOOT_CHUNK``
    replications), so the years of a panel share one pool / cluster.  Returns one frame
    ``se, low, high`` (percentile) per task.
    """
    from . import batch
    starts = range(0, n_boot, _BOOT_CHUNK)
    jobs = [batch.Job(key=("dagum_boot", t, s), func=_boot_reps,
                      kwargs=dict(task, reps=range(s, min(n_boot, s + _BOOT_CHUNK))),
                      params={})
            for t, task in enumerate(tasks) for s in starts]
    out = batch.run(jobs, backend=backend, client=client, seed=0, progress=bool(progress),
                    n_workers=n_workers, collect=_keep)
    if out.failures:
        key, f = next(iter(out.failures.items()))
        raise RuntimeError(f"Dagum bootstrap: {len(out.failures)} of {len(jobs)} jobs "
                           f"failed; first {key}: {f.error}\n{f.traceback}")
    a = (1 - ci_level) / 2
    cis = []
    for t, idx in enumerate(names):
        draws = np.vstack([out.values[("dagum_boot", t, s)] for s in starts])
        cis.append(pd.DataFrame({"se": np.nanstd(draws, axis=0, ddof=1),
                                 "low": np.nanquantile(draws, a, axis=0),
                                 "high": np.nanquantile(draws, 1 - a, axis=0)},
                                index=pd.Index(idx, name="statistic")))
    return cis


# ----------------------------------------------------------------------------
# panel helpers
# ----------------------------------------------------------------------------
def _panel_groups(df: pd.DataFrame, group, id: str, source: pd.DataFrame | None = None,
                  time: str | None = None):
    """Series of group labels for the rows of ``df`` and the canonical order.

    ``df`` is the checked panel (:func:`check_panel` keeps only the id, time and
    numeric columns); a ``group`` column of the user's ``source`` frame is
    brought in by (id, time), never by position.
    """
    if (isinstance(group, str) and group not in df.columns and source is not None
            and group in source.columns):
        keys = [id] + ([time] if time is not None else [])
        src = source.loc[:, keys + [group]]
        df = df.loc[:, keys].merge(src, on=keys, how="left", validate="one_to_one")
    if isinstance(group, str) and group in df.columns:
        lab = df[group]
        if lab.isna().any():
            bad = df.loc[lab.isna(), id].unique().tolist()
            raise DataError(f"column {group!r} has no group for id(s) {format_values(bad)}")
        return lab.to_numpy(dtype=object), _canonical_order(lab.to_numpy(dtype=object), lab)
    if group is None or isinstance(group, str):
        from . import regions
        scheme = group or "region4"
        mapping = regions.groups(pd.unique(df[id]), scheme=scheme)
    elif isinstance(group, (Mapping, pd.Series)):
        mapping = pd.Series(dict(group)) if isinstance(group, Mapping) else group
    else:
        raise TypeError("group must be None, a column name, a regions scheme name, a mapping or "
                        f"a Series id -> label; got {type(group).__name__}")
    lab = df[id].map(mapping)
    if lab.isna().any():
        bad = df.loc[lab.isna(), id].unique().tolist()
        hint = ""
        keys = list(pd.Index(mapping.index)[:3])
        if bad and keys and all(isinstance(k, str) for k in keys) and \
                not isinstance(bad[0], str) and str(bad[0]) in set(map(str, mapping.index)):
            hint = (f"; the group keys are strings (e.g. {keys[0]!r}) but the ids are numbers "
                    f"(e.g. {bad[0]!r}): use int keys, e.g. {{int(k): v for k, v in groups.items()}}")
        elif bad and keys and isinstance(bad[0], str) and not isinstance(keys[0], str) and \
                bad[0] in set(map(str, mapping.index)):
            hint = (f"; the group keys are numbers (e.g. {keys[0]!r}) but the ids are strings "
                    f"(e.g. {bad[0]!r}): convert one of them")
        raise DataError(f"no group label for id(s) {format_values(bad)}{hint}")
    arr = lab.to_numpy(dtype=object)
    return arr, _canonical_order(arr, mapping if isinstance(mapping, pd.Series) else None)


def _panel(data, column, id, time, weights=None):
    cols = [column] + ([weights] if isinstance(weights, str) else [])
    if weights is not None and not isinstance(weights, str):
        raise TypeError("in the by-year functions, obs_weights must be a column name")
    return check_panel(data, id=id, time=time, columns=cols)


@dataclass(eq=False, repr=False)
class DagumPanelResult(Results):
    """Dagum decompositions year by year (frozen).

    ``results`` maps each year to its :class:`DagumResult`; :meth:`to_frame`
    is the usual paper table (one row per year).
    """

    column: str
    results: Mapping = field(repr=False)
    order: tuple = ()

    def __getitem__(self, year) -> DagumResult:
        return self.results[year]

    @property
    def years(self) -> list:
        return list(self.results)

    def to_frame(self, ci: bool = False) -> pd.DataFrame:
        """One row per year: G, G_w, G_nb, G_t, shares, G_jj per group, G_jh and D_jh per pair.

        Pairs are labelled in the canonical group order; each year's ``D_jh``
        refers to that year's higher-mean group of the pair (Dagum's j > h),
        recorded in ``self[year].pairs["high"]``.

        With ``ci=True`` and a bootstrap, columns are a MultiIndex (statistic, value/se/low/high).
        """
        if ci:
            parts = {y: r.to_frame().stack() for y, r in self.results.items()}
            return pd.DataFrame(parts).T.rename_axis("year")
        return pd.DataFrame({y: r.to_series() for y, r in self.results.items()}).T.rename_axis("year")

    def table(self, lang: str = "en", decimals: int | None = 4) -> pd.DataFrame:
        """Paper layout: overall G, within-group G_jj, between-group G_jh, contributions (%).

        Columns are a two-level index (block, item); ``lang="zh"`` uses the
        Chinese headings of applied papers (总体, 区域内, 区域间, 贡献率(%): 区域内,
        区域间, 超变密度).
        """
        if lang not in ("en", "zh"):
            raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
        df = self.to_frame()
        heads = {"en": ("Overall", "Within", "Between", "Contribution (%)",
                        ("within", "net between", "transvariation")),
                 "zh": ("总体", "区域内", "区域间", "贡献率(%)", ("区域内", "区域间", "超变密度"))}[lang]
        cols, data = [], []
        cols.append((heads[0], "G"))
        data.append(df["G"])
        for c in df.columns:
            if c.startswith("G_jj["):
                cols.append((heads[1], c[5:-1]))
                data.append(df[c])
        for c in df.columns:
            if c.startswith("G_jh["):
                cols.append((heads[2], c[5:-1]))
                data.append(df[c])
        for c, lab in zip(("share_w", "share_nb", "share_t"), heads[4]):
            cols.append((heads[3], lab))
            data.append(df[c] * 100)
        out = pd.concat(data, axis=1)
        out.columns = pd.MultiIndex.from_tuples(cols)
        return out.round(decimals) if decimals is not None else out

    def contributions(self) -> pd.DataFrame:
        """Contribution shares (%) of within, net between and transvariation by year."""
        df = self.to_frame()[["share_w", "share_nb", "share_t"]] * 100
        df.columns = ["within (%)", "net between (%)", "transvariation (%)"]
        return df

    def summary(self) -> str:
        df = self.to_frame()[["G", "G_w", "G_nb", "G_t", "share_w", "share_nb", "share_t"]]
        return (f"Dagum Gini decomposition of {self.column!r} by year, groups: "
                f"{', '.join(map(str, self.order))}\n" + df.to_string(float_format=lambda v: f"{v:.4f}"))


def _year_seed_sequence(seed, year) -> np.random.SeedSequence:
    """Seed sequence of one year's bootstrap: entropy from ``seed``, spawn key from the year."""
    if isinstance(seed, np.random.SeedSequence):
        seed = seed.entropy
    if isinstance(year, (int, np.integer)) and not isinstance(year, bool) and year >= 0:
        key = int(year)
    elif isinstance(year, (float, np.floating)) and float(year).is_integer() and year >= 0:
        key = int(year)
    else:
        import zlib
        key = zlib.crc32(repr(year).encode("utf-8"))
    return np.random.SeedSequence(seed, spawn_key=(key,))


def dagum_gini_by_year(data: pd.DataFrame, column: str, group=None, *, id: str = "code",
                       time: str = "year", obs_weights: str | None = None, n_boot: int = 0,
                       seed=0, ci_level: float = 0.95, progress: bool | None = None,
                       backend: str = "serial", client=None, n_workers: int | None = None
                       ) -> DagumPanelResult:
    """Dagum decomposition of ``column`` for every year of a long panel.

    Parameters
    ----------
    data : DataFrame
        Long panel with ``id``, ``time`` and ``column`` (unique (id, time) pairs).
    column : str
        Variable to decompose (non-negative).
    group : None, str, mapping or Series
        ``None``: NBS four regions via :func:`spatialnqpf.regions.groups`
        (ids must be province codes); a column of ``data``; a scheme name of
        :func:`spatialnqpf.regions.groups` (``"belt3"``, ``"zone8"``...); or a
        mapping id -> label.
    obs_weights : str, optional
        Column of unit weights (population).
    n_boot, seed, ci_level, progress
        Bootstrap as in :func:`dagum_gini`; year ``t`` is bootstrapped exactly as
        ``dagum_gini(..., seed=default_rng(SeedSequence(s, spawn_key=(t,))))``
        with ``s`` the int root of ``seed`` (``seed`` itself for an int, one draw
        from a Generator, fresh entropy for None; recorded in each year's
        ``.seed``), so its draws do not depend on which other years are kept.
    backend, client, n_workers
        As in :func:`dagum_gini`; the replications of all years go through one
        :func:`spatialnqpf.batch.run` (one pool or cluster for the whole panel),
        with the same numbers bit for bit on every backend.

    Returns
    -------
    DagumPanelResult
    """
    n_boot = as_count(n_boot, "n_boot")
    _check_boot_args(ci_level, backend)
    df = _panel(data, column, id, time, obs_weights)
    lab, order = _panel_groups(df, group, id, data, time)
    df = df.assign(_group=lab)
    years = list(pd.unique(df[time]))
    out, tasks = {}, []
    base = _boot_seed(seed) if n_boot else None
    for yr in years:
        sub = df[df[time] == yr]
        vals = pd.Series(sub[column].to_numpy(dtype=float), index=sub[id].to_numpy())
        wts = None if obs_weights is None else sub[obs_weights].to_numpy(dtype=float)
        try:
            out[yr], task = _dagum_fit(vals, sub["_group"].to_numpy(), wts, order)
        except DataError as e:
            raise DataError(f"{time}={yr}: {e}") from None
        if n_boot:  # the task of dagum_gini(..., seed=default_rng(year's seed sequence))
            tasks.append(dict(task, seed=_boot_seed(_year_seed_sequence(base, yr))))
    if n_boot:
        if progress is None:
            progress = n_boot * len(df) > 5_000_000
        cis = _bootstrap(tasks, [out[yr].to_series().index for yr in years], int(n_boot),
                         ci_level, progress, backend, client, n_workers)
        out = {yr: dataclasses.replace(out[yr], ci=ci, n_boot=int(n_boot), ci_level=ci_level,
                                       seed=base) for yr, ci in zip(years, cis)}
    return DagumPanelResult(column=column, results=MappingProxyType(out), order=tuple(order))


# ----------------------------------------------------------------------------
# Theil
# ----------------------------------------------------------------------------
def _theil_parts(y, w, codes, k):
    """Return (T_g, L_g, W_g, mu_g) per group and overall T, L, mu."""
    w = np.ones_like(y) if w is None else w
    W = w.sum()
    mu = np.dot(w, y) / W
    Wg = np.bincount(codes, weights=w, minlength=k)
    mug = np.bincount(codes, weights=w * y, minlength=k) / Wg
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = y / mug[codes]
        tterm = np.where(y > 0, rel * np.log(np.where(y > 0, rel, 1.0)), 0.0)
        lterm = -np.log(rel)
    Tg = np.bincount(codes, weights=w * tterm, minlength=k) / Wg
    Lg = np.bincount(codes, weights=w * lterm, minlength=k) / Wg
    return Tg, Lg, Wg, mug, W, mu


@dataclass(eq=False, repr=False)
class TheilResult(Results):
    r"""Theil T and L (mean log deviation) with a within/between decomposition (frozen).

    ``T = T_w + T_b`` and ``L = L_w + L_b``; ``L`` is NaN when only Theil T
    was requested.  ``groups`` has one row per group: ``n, weight, mean, p``
    (population share), ``s`` (income share), ``T_g, L_g`` and the within
    contributions ``s T_g`` and ``p L_g``.
    """

    T: float
    T_w: float
    T_b: float
    L: float
    L_w: float
    L_b: float
    groups: pd.DataFrame
    weighted: bool = False

    def to_series(self) -> pd.Series:
        out = {"T": self.T, "T_w": self.T_w, "T_b": self.T_b,
               "T_share_w": self.T_w / self.T if self.T else np.nan,
               "T_share_b": self.T_b / self.T if self.T else np.nan,
               "L": self.L, "L_w": self.L_w, "L_b": self.L_b,
               "L_share_w": self.L_w / self.L if self.L else np.nan,
               "L_share_b": self.L_b / self.L if self.L else np.nan}
        for g, r in self.groups.iterrows():
            out[f"T_g[{g}]"] = r["T_g"]
        for g, r in self.groups.iterrows():
            out[f"L_g[{g}]"] = r["L_g"]
        return pd.Series(out, dtype=float)

    def to_frame(self) -> pd.DataFrame:
        df = self.to_series().to_frame("value")
        df.index.name = "statistic"
        return df

    def summary(self) -> str:
        lines = [f"Theil decomposition ({'weighted' if self.weighted else 'unweighted'}, "
                 f"{int(self.groups['n'].sum())} units, {len(self.groups)} groups)",
                 f"  T = {self.T:.6f} = within {self.T_w:.6f} + between {self.T_b:.6f}",
                 f"  L = {self.L:.6f} = within {self.L_w:.6f} + between {self.L_b:.6f}",
                 self.groups.to_string(float_format=lambda v: f"{v:.6f}")]
        return "\n".join(lines)


def theil(values, groups=None, obs_weights=None, *, index: str = "both") -> TheilResult:
    r"""Theil T and Theil L with the within/between-group decomposition.

    .. math::

        T = \frac{1}{W}\sum_i w_i \frac{y_i}{\mu}\ln\frac{y_i}{\mu}
          = \sum_g s_g T_g + \sum_g s_g \ln\frac{\mu_g}{\mu},\qquad
        s_g = \frac{W_g\mu_g}{W\mu},

        L = \frac{1}{W}\sum_i w_i \ln\frac{\mu}{y_i}
          = \sum_g p_g L_g + \sum_g p_g \ln\frac{\mu}{\mu_g},\qquad
        p_g = \frac{W_g}{W},

    with unit weights :math:`w_i` (population; 1 by default), weight sums
    :math:`W, W_g` and weighted means :math:`\mu, \mu_g`.  Zeros are allowed
    for T (:math:`0 \ln 0 = 0`) but not for L.  Written here because PySAL's
    ``inequality.theil.TheilD`` is unweighted, one-level, T only, and replaces
    zeros by a small constant.

    Parameters
    ----------
    values : array-like (n,)
        Non-negative values.
    groups : array-like (n,) or mapping, optional
        Group labels (no decomposition if omitted).
    obs_weights : array-like (n,), optional
        Positive unit weights.
    index : {"both", "T", "L"}
        Which index to compute; ``"T"`` accepts zero values.

    Returns
    -------
    TheilResult

    References
    ----------
    Theil (1967); Shorrocks (1980).
    """
    if index not in ("both", "T", "L"):
        raise ValueError(f"index must be 'both', 'T' or 'L', got {index!r}")
    y = _check_values(values, allow_zero=(index == "T"))
    n = len(y)
    labels = _labels_of(values, n, groups)
    w = _check_weights(obs_weights, values, n)
    order = _canonical_order(labels, groups) if groups is not None else ["all"]
    if groups is None:
        labels = np.array(["all"] * n, dtype=object)
    codes = pd.Index(order).get_indexer(labels).astype(np.intp)
    k = len(order)
    if not np.any(y > 0):
        raise DataError("values are all zero: Theil indices are undefined (mean 0)")
    Tg, Lg, Wg, mug, W, mu = _theil_parts(y, w, codes, k)
    zmask = mug <= 0
    zero_groups = [order[i] for i in np.flatnonzero(zmask)]
    if zero_groups:
        if index != "T":
            raise DataError(f"group(s) with mean zero: {format_values(zero_groups)}; Theil L is "
                            "undefined there (index='T' accepts them)")
        # s_g = 0: the group's within and between contributions s_g T_g and s_g ln(mu_g/mu)
        # are 0 in the limit mu_g -> 0
        import warnings
        warnings.warn(f"Theil T: group(s) {format_values(zero_groups)} have mean zero; their "
                      "contribution is 0 (the limit of s_g ln(mu_g / mu) as mu_g -> 0)",
                      RuntimeWarning, stacklevel=2)
        Tg = np.where(zmask, 0.0, Tg)
    p = Wg / W
    s = Wg * mug / (W * mu)
    T_w = float(np.sum(s * Tg))
    with np.errstate(divide="ignore", invalid="ignore"):
        T_b = float(np.sum(np.where(zmask, 0.0, s * np.log(np.where(zmask, 1.0, mug) / mu))))
    if index == "T":
        Lg = np.full(k, np.nan)
        L_w = L_b = np.nan
    else:
        L_w = float(np.sum(p * Lg))
        L_b = float(np.sum(p * np.log(mu / mug)))
    if index == "L":
        Tg = np.full(k, np.nan)
        T_w = T_b = np.nan
    counts = np.bincount(codes, minlength=k)
    grp = pd.DataFrame({"n": counts, "weight": Wg, "mean": mug, "p": p, "s": s, "T_g": Tg,
                        "L_g": Lg, "T_within_contrib": s * Tg, "L_within_contrib": p * Lg},
                       index=pd.Index(order, name="group"))
    return TheilResult(T=T_w + T_b, T_w=T_w, T_b=T_b, L=L_w + L_b, L_w=L_w, L_b=L_b,
                       groups=grp, weighted=w is not None)


@dataclass(eq=False, repr=False)
class NestedTheilResult(Results):
    r"""Two-stage nested Theil decomposition (Akita 2003), frozen.

    ``total = between_upper + between_lower + within_lower`` where
    ``between_upper`` is inequality between upper groups (regions),
    ``between_lower`` between lower groups (provinces) inside each upper
    group, weighted by the upper groups' shares, and ``within_lower``
    inside the lower groups (cities).  ``upper`` has the per-upper-group
    breakdown.
    """

    index: str
    total: float
    between_upper: float
    between_lower: float
    within_lower: float
    upper: pd.DataFrame

    @property
    def shares(self) -> pd.Series:
        return pd.Series({"between_upper": self.between_upper, "between_lower": self.between_lower,
                          "within_lower": self.within_lower}) / self.total

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"value": [self.total, self.between_upper, self.between_lower,
                                       self.within_lower],
                             "share": [1.0, *self.shares.to_numpy()]},
                            index=pd.Index(["total", "between_upper", "between_lower",
                                            "within_lower"], name="component"))

    def summary(self) -> str:
        return (f"Two-stage nested Theil {self.index} decomposition\n"
                + self.to_frame().to_string(float_format=lambda v: f"{v:.6f}")
                + "\n" + self.upper.to_string(float_format=lambda v: f"{v:.6f}"))


def theil_nested(values, upper, lower, obs_weights=None, *, index: str = "T") -> NestedTheilResult:
    r"""Two-stage nested Theil decomposition (region -> province -> unit).

    For Theil T, with income shares :math:`s` and :math:`T_p` the Theil index
    inside lower group :math:`p`:

    .. math::

        T = \underbrace{\sum_r s_r \ln\frac{\mu_r}{\mu}}_{\text{between upper}}
          + \underbrace{\sum_r s_r \sum_{p\in r} s_{p|r}\ln\frac{\mu_p}{\mu_r}}_{\text{between lower}}
          + \underbrace{\sum_p s_p T_p}_{\text{within lower}};

    Theil L is the same with population shares and :math:`\ln(\mu/\mu_g)`.

    Parameters
    ----------
    values : array-like (n,)
        Non-negative values (positive for L).
    upper, lower : array-like (n,)
        Upper (e.g. region) and lower (e.g. province) labels; every lower
        label must lie in exactly one upper group.
    obs_weights : array-like (n,), optional
        Unit weights (population).
    index : {"T", "L"}

    References
    ----------
    Akita, T. (2003). *Annals of Regional Science* 37, 55-77.
    """
    if index not in ("T", "L"):
        raise ValueError(f"index must be 'T' or 'L', got {index!r}")
    y = _check_values(values, allow_zero=(index == "T"))
    n = len(y)
    up = _labels_of(values, n, upper, "upper")
    lo = _labels_of(values, n, lower, "lower")
    w = _check_weights(obs_weights, values, n)
    pairs = pd.DataFrame({"u": up, "l": lo}).drop_duplicates()
    multi = pairs["l"][pairs["l"].duplicated(keep=False)].unique().tolist()
    if multi:
        raise DataError(f"lower group(s) found in more than one upper group: {format_values(multi)}")
    uorder = _canonical_order(up, upper)
    ucodes = pd.Index(uorder).get_indexer(up)
    top = theil(y, up, w, index=index)
    col_b, col_g = ("T_b", "T_g") if index == "T" else ("L_b", "L_g")
    share_col = "s" if index == "T" else "p"
    rows = []
    between_lower = within_lower = 0.0
    for i, u in enumerate(uorder):
        m = ucodes == i
        sub = theil(y[m], lo[m], None if w is None else w[m], index=index)
        sh = top.groups.loc[u, share_col]
        bl = getattr(sub, col_b)
        wl = float(np.sum(sub.groups[share_col] * sub.groups[col_g]))
        between_lower += sh * bl
        within_lower += sh * wl
        rows.append({"upper": u, "share": sh, "index": getattr(sub, index),
                     "between_lower": bl, "within_lower": wl})
    total = getattr(top, index)
    return NestedTheilResult(index=index, total=total, between_upper=getattr(top, col_b),
                             between_lower=float(between_lower), within_lower=float(within_lower),
                             upper=pd.DataFrame(rows).set_index("upper"))


def theil_nested_by_year(data: pd.DataFrame, column: str, upper=None, lower=None, *,
                         id: str = "code", time: str = "year", obs_weights: str | None = None,
                         index: str = "T") -> pd.DataFrame:
    """Two-stage nested Theil decomposition (:func:`theil_nested`) for every year.

    Parameters
    ----------
    data : DataFrame
        Long panel of units below the province (e.g. cities with six-digit
        GB/T 2260 codes) or any units with explicit group columns.
    upper, lower : str, optional
        Columns with the upper (region) and lower (province) labels.  By
        default ``lower`` is the province code of a city code
        (``code // 10000``) and ``upper`` its NBS four-region label from
        :func:`spatialnqpf.regions.groups`.
    obs_weights : str, optional
        Column of unit weights (population).

    Returns
    -------
    DataFrame with one row per year: ``total``, ``between_upper``,
    ``between_lower``, ``within_lower`` and their shares.
    """
    df = _panel(data, column, id, time, obs_weights)
    if lower is None:
        codes = df[id].to_numpy()
        if not np.issubdtype(codes.dtype, np.integer) or (codes < 100000).any():
            raise DataError(f"default lower groups need six-digit city codes in {id!r}; "
                            "pass lower= (and upper=) columns instead")
        low = codes // 10000
    else:
        low = data.loc[:, [id, time, lower]].merge(df[[id, time]], on=[id, time], how="right")[lower]
        low = low.to_numpy(dtype=object)
    if upper is None:
        from . import regions
        up = pd.Series(low).map(regions.groups(pd.unique(low))).to_numpy(dtype=object)
        if pd.isna(up).any():
            raise DataError(f"no region for lower group(s) {format_values(pd.unique(low[pd.isna(up)]))}")
    else:
        up = data.loc[:, [id, time, upper]].merge(df[[id, time]], on=[id, time], how="right")[upper]
        up = up.to_numpy(dtype=object)
    out = {}
    for yr in sorted(pd.unique(df[time])):
        m = (df[time] == yr).to_numpy()
        try:
            r = theil_nested(df.loc[m, column].to_numpy(dtype=float), up[m], low[m],
                             None if obs_weights is None else df.loc[m, obs_weights].to_numpy(dtype=float),
                             index=index)
        except DataError as e:
            raise DataError(f"{time}={yr}: {e}") from None
        row = r.to_frame()["value"].to_dict()
        row.update({f"share_{k}": v for k, v in r.shares.items()})
        out[yr] = row
    return pd.DataFrame(out).T.rename_axis(time)


def theil_by_year(data: pd.DataFrame, column: str, group=None, *, id: str = "code",
                  time: str = "year", obs_weights: str | None = None, index: str = "both"
                  ) -> pd.DataFrame:
    """Theil T/L and their within/between decomposition for every year.

    ``group`` as in :func:`dagum_gini_by_year`.  Returns one row per year with
    the columns of :meth:`TheilResult.to_series`.
    """
    df = _panel(data, column, id, time, obs_weights)
    lab, order = _panel_groups(df, group, id, data, time)
    out = {}
    for yr, sub in df.assign(_g=lab).groupby(time, sort=True):
        vals = pd.Series(sub[column].to_numpy(dtype=float), index=sub[id].to_numpy())
        g = pd.Categorical(sub["_g"], categories=order)
        try:
            out[yr] = theil(vals, g, None if obs_weights is None else
                            sub[obs_weights].to_numpy(dtype=float), index=index).to_series()
        except DataError as e:
            raise DataError(f"{time}={yr}: {e}") from None
    tab = pd.DataFrame(out).T.rename_axis(time)
    equal = [yr for yr in tab.index if any(c in tab.columns and tab.at[yr, c] == 0
                                            for c in ("T", "L"))]
    if equal:
        import warnings
        warnings.warn(f"Theil index = 0 (perfect equality) in {time} {format_values(equal)}: "
                      "the within/between shares are undefined there and reported as missing "
                      "(NaN)", RuntimeWarning, stacklevel=2)
    return tab


# ----------------------------------------------------------------------------
# coefficient of variation
# ----------------------------------------------------------------------------
def cv(values, obs_weights=None, ddof: int = 0) -> float:
    r"""Coefficient of variation :math:`\sigma/\bar x`.

    Population standard deviation by default (``ddof=0``); with weights,
    :math:`\sigma^2 = \sum w (x-\bar x)^2 / \sum w` (``ddof`` must then be 0).
    """
    y = as_1d_float(values)
    if y.size < 2:
        raise DataError("the coefficient of variation needs at least two values")
    w = _check_weights(obs_weights, values, len(y))
    big = float(np.max(np.abs(y))) if y.size else 0.0
    if big > 0 and np.isfinite(big):  # CV is scale-invariant: an exact power-of-two
        y = np.ldexp(y, -int(np.frexp(big)[1]))  # scaling keeps squares finite at 1e±160, 1e306
    if w is None:
        mean = y.mean()
        sd = y.std(ddof=ddof)
    else:
        if ddof:
            raise DataError("ddof must be 0 with obs_weights")
        mean = np.dot(w, y) / w.sum()
        sd = np.sqrt(np.dot(w, (y - mean) ** 2) / w.sum())
    if mean == 0:
        raise DataError("mean is zero: the coefficient of variation is undefined")
    return float(sd / mean)


def cv_by_year(data: pd.DataFrame, column: str, group=None, *, id: str = "code",
               time: str = "year", obs_weights: str | None = None, ddof: int = 0,
               national: bool = True) -> pd.DataFrame:
    """Coefficient of variation by year for the nation and each group.

    ``group=False`` gives the nation only.  One row per year; columns
    ``"nation"`` and one per group in canonical order.
    """
    df = _panel(data, column, id, time, obs_weights)
    if group is False:
        lab, order = np.array(["nation"] * len(df), dtype=object), []
    else:
        lab, order = _panel_groups(df, group, id, data, time)
    df = df.assign(_g=lab)
    rows = {}
    for yr, sub in df.groupby(time, sort=True):
        row = {}
        wcol = None if obs_weights is None else sub[obs_weights].to_numpy(dtype=float)
        if national or group is False:
            row["nation"] = cv(sub[column].to_numpy(dtype=float), wcol, ddof)
        for g in order:
            m = (sub["_g"] == g).to_numpy()
            row[g] = (cv(sub[column].to_numpy(dtype=float)[m], None if wcol is None else wcol[m], ddof)
                      if m.sum() >= 2 else np.nan)
        rows[yr] = row
    return pd.DataFrame(rows).T.rename_axis(time)
