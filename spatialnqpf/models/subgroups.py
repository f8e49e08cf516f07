"""Regional heterogeneity: the same model by group, and tests that coefficients differ.

Public entry point: :func:`heterogeneity` (Stata's ``bdiff``/``suest`` workflow).  Written
here: no Python package runs Fisher's permutation test of group coefficients across units
with fixed effects, nor the interacted-model Wald test with unit and group×year effects.
"""
from __future__ import annotations

import itertools
import types
from typing import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Results
from .._validation import (DataError, as_generator, check_panel, format_values,
                           require_columns)
from ._taxonomy import normalise_fe, normalise_model
from ._within import codes, demean, ols

__all__ = ["heterogeneity", "HeterogeneityResults", "GroupError"]

_REGION_ORDER = {"region4": ["East", "Central", "West", "Northeast"],
                 "belt3": ["East", "Central", "West"]}


class GroupError(DataError):
    """Unusable group labels: time-varying within a unit, or a group too small to fit."""


class HeterogeneityResults(Results):
    """Result of :func:`heterogeneity` (immutable).

    Attributes
    ----------
    results : mapping  group label → fitted result (``PanelFEResults`` or ``SpatialResults``)
    differences : DataFrame  ``group_1``, ``group_2``, ``term``, ``diff`` (= b(group_1) −
        b(group_2)), ``p_perm``, ``p_wald`` (SDM: one row per effect, column ``effect``)
    groups : Series  unit id → group label
    info : mapping
    """

    _title = "Regional heterogeneity"

    def __init__(self, results, differences, groups, info, side_by_side, flags=()):
        self.results = types.MappingProxyType(dict(results))
        self.differences = differences
        self.groups = groups
        self.info = types.MappingProxyType(dict(info))
        self._side = side_by_side
        self._set_flags(flags, warn=False)
        self._freeze()

    def to_frame(self):
        """Coefficients side by side: rows terms, columns (group, estimate / std_error)."""
        return self._side

    def _summary_notes(self):
        with pd.option_context("display.width", 120, "display.max_rows", 200):
            return ["Differences (p_perm: permutation of units between the two groups; "
                    "p_wald: fully interacted pooled model, F(1, G - 1)):",
                    self.differences.to_string()]


def _group_labels(d, data, by, id, time):
    """Unit → group label (Series indexed by unit id) and the label order."""
    ids = pd.Index(d[id].unique())
    if isinstance(by, (Mapping, pd.Series)):
        lab = pd.Series(by)
        miss = ids.difference(lab.index)
        if len(miss):
            raise GroupError(f"no group label for unit(s) {format_values(list(miss))}")
        lab = lab.reindex(ids)
        return lab, list(pd.unique(lab.dropna()))
    if not isinstance(by, str):
        raise TypeError(f"by must be a scheme name, a column or a mapping id → group, got "
                        f"{type(by).__name__}")
    from .. import regions
    if by in regions.SCHEMES and by not in data.columns:
        iv = np.asarray(ids)
        if np.issubdtype(iv.dtype, np.integer) and len(iv) and iv.min() >= 100000:
            prov = iv // 10000                   # prefecture-level city codes → province
        else:
            prov = list(ids)
        lab = regions.groups(list(prov), scheme=by)
        lab.index = ids
        order = _REGION_ORDER.get(by, list(pd.unique(regions.groups(scheme=by))))
        present = set(lab)
        return lab, [g for g in order if g in present] + sorted(present - set(order))
    require_columns(data, [by])
    src = data.loc[:, [id] + ([time] if time is not None else []) + [by]]
    if src[by].isna().any():
        bad = src.loc[src[by].isna(), id].unique()
        raise GroupError(f"group column {by!r} has missing labels for unit(s) "
                         f"{format_values(list(bad))}")
    nun = src.groupby(id)[by].nunique()
    varying = nun.index[nun > 1]
    if len(varying):
        ex = {u: sorted(map(str, src.loc[src[id] == u, by].unique())) for u in varying[:5]}
        raise GroupError(f"group labels in {by!r} change over time for unit(s) "
                         f"{format_values(list(varying))} (e.g. {ex}); groups must be fixed "
                         "per unit")
    lab = src.groupby(id)[by].first().reindex(ids)
    return lab, sorted(pd.unique(lab), key=lambda v: (str(type(v)), v))


class _Core:
    """Per-unit arrays of the panel for fast two-way FE refits on any set of units."""

    def __init__(self, d, cols, id, time, fe):
        self.unit_all, self.N = codes(d[id])
        self.ids = np.unique(d[id].to_numpy())
        self.tc, self.T = codes(d[time]) if time is not None else (np.zeros(len(d), int), 1)
        self.raw = d[cols].to_numpy(float)
        self.rows = [np.flatnonzero(self.unit_all == u) for u in range(self.N)]
        self.fe = fe
        self.balanced = len(d) == self.N * self.T
        if self.balanced:           # (unit, time, variable) cube for batched refits
            cube = np.empty((self.N, self.T, self.raw.shape[1]))
            cube[self.unit_all, self.tc] = self.raw
            self.cube = cube

    def fit_batch(self, U):
        """Slopes for every row of U (B × n_units unit indices), balanced panels only."""
        A = self.cube[U]                                   # B, n, T, p
        if self.fe in ("twoways", "individual"):
            A = A - A.mean(axis=2, keepdims=True)
        if self.fe in ("twoways", "time"):
            A = A - A.mean(axis=1, keepdims=True)
        if self.fe == "none":
            A = A - A.mean(axis=(1, 2), keepdims=True)
        B = A.shape[0]
        A = A.reshape(B, -1, A.shape[-1])
        X, yv = A[:, :, 1:], A[:, :, 0]
        XtX = np.einsum("bni,bnj->bij", X, X)
        Xty = np.einsum("bni,bn->bi", X, yv)
        return np.linalg.solve(XtX, Xty[:, :, None])[:, :, 0]

    def fit(self, units, se=False):
        rows = np.concatenate([self.rows[u] for u in units])
        unit = np.repeat(np.arange(len(units)), [len(self.rows[u]) for u in units])
        tc = codes(self.tc[rows])[0]
        groups = {"twoways": [unit, tc], "individual": [unit], "time": [tc],
                  "none": [np.zeros(len(rows), dtype=np.intp)]}[self.fe]
        A = demean(self.raw[rows], groups)
        b, e, XtXi = ols(A[:, 1:], A[:, 0])
        if not se:
            return b
        return b, A, e, XtXi, unit, tc


def heterogeneity(data: pd.DataFrame, y: str, x, w=None, by="region4", model: str = "ols",
                  fe="twoways", *, id: str = "code", time: str | None = "year",
                  n_perm: int = 1000, seed=0, terms=None, level: float = 0.95,
                  progress: bool = False) -> HeterogeneityResults:
    """The same fixed-effects model by group, side by side, with tests that slopes differ.

    Parameters
    ----------
    data : DataFrame
        Long panel keyed by ``id``/``time``.
    y : str
    x : list of str
    w : libpysal Graph or W, optional
        Needed for ``model="sdm"``: each group's SDM uses the subgraph of its units,
        row-standardised again.
    by : str or mapping
        ``"region4"`` (NBS four regions, labels ``"East"``, ``"Central"``, ``"West"``,
        ``"Northeast"``), ``"belt3"``, ``"zone8"`` (and the ``*_zh`` labels) via
        :func:`spatialnqpf.regions.groups` (ids: province codes or labels, or six-digit
        city codes, grouped by their province); a column of
        ``data`` (constant within each unit); or a mapping id → label.
    model : {"ols", "sdm"}
        "ols": :func:`~spatialnqpf.models.panel_fe` per group (two-way FE, CR1 by unit).
        "sdm": :func:`~spatialnqpf.models.spatial_panel` per group (``fe``, Lee–Yu);
        the differences are differences of the LeSage–Pace direct/indirect/total effects.
    fe : fixed effects of each group's regression (default two-way).
    n_perm : int
        Permutations per pair of groups (0 = none).
    seed : int, None or Generator
        Permutation b of pair p uses ``as_generator(seed, key=(p, b))``.
    terms : list of str, optional
        Terms compared (default all of ``x``).

    Conventions (as in the issue, stated so numbers can be matched)
    ----------------------------------------------------------------
    * each group its own fixed-effects regression (year effects within the group);
    * ``p_wald``: the fully interacted pooled model over all groups, slopes by group with
      unit and group×year effects (its slopes equal the groups' own), CR1 by unit with
      K = k·(groups) + (groups)·T (nested unit FE one level, as reghdfe/pyfixest); Wald
      statistic of b(group_1) − b(group_2) = 0 on F(1, G − 1), G all units;
      SDM: z = d / √(se₁² + se₂²) (independent groups, delta-method SEs), normal p;
    * ``p_perm`` (Fisher, as in Chinese papers): the units of the two groups are permuted
      between them (sizes kept), both regressions refitted, p = (1 + #{|d*| ≥ |d|}) /
      (1 + n_perm).

    Raises
    ------
    GroupError
        time-varying group labels (units named), a group with too few units for its
        regression (named, with the count needed).
    """
    from .fe import panel_fe

    xs = [x] if isinstance(x, str) else list(x)
    model = normalise_model(model, ("ols", "sdm"))
    fe = normalise_fe(fe)
    if time is None and fe in ("time", "twoways"):
        raise ValueError(f"fe={fe!r} needs a time column; time=None is a cross-section")
    if model == "sdm" and w is None:
        raise ValueError("model='sdm' needs spatial weights w")
    terms = xs if terms is None else list(terms)
    bad = [t for t in terms if t not in xs]
    if bad:
        raise DataError(f"terms {format_values(bad)} are not in x ({format_values(xs)})")
    d = check_panel(data, id, time, columns=[y] + xs)
    labels, order = _group_labels(d, data, by, id, time)
    if len(order) < 2:
        raise GroupError(f"by={by!r} gives only one group ({format_values(order)}); need two "
                         "or more")
    core = _Core(d, [y] + xs, id, time, fe)
    lab_arr = labels.reindex(core.ids).to_numpy()
    members = {g: np.flatnonzero(lab_arr == g) for g in order}
    T = core.T
    k = len(xs)
    # enough units: ≥ 2 clusters and positive residual degrees of freedom
    need = {}
    for g, u in members.items():
        n_g = sum(len(core.rows[j]) for j in u)
        fe_df = {"twoways": len(u) + T - 1, "individual": len(u), "time": T, "none": 1}[fe]
        if len(u) < 2 or n_g - fe_df - k < 1:
            need[g] = len(u)
    if need:
        def fe_df_of(nu):
            return {"twoways": nu + T - 1, "individual": nu, "time": T, "none": 1}[fe]
        min_units = next(nu for nu in range(2, 10 ** 6) if nu * T - fe_df_of(nu) - k >= 1)
        raise GroupError(f"too few units for the {model} regression in group(s) "
                         + ", ".join(f"{g!r} ({n} unit(s))" for g, n in need.items())
                         + f"; each group needs at least {min_units} units with "
                         f"{k} regressor(s) and T = {T}")
    sub = {}
    flags = []
    for g in order:
        ids_g = core.ids[members[g]]
        dg = d[d[id].isin(ids_g)]
        if model == "ols":
            sub[g] = panel_fe(dg, y, xs, id=id, time=time, fe=fe, cluster=id)
        else:
            sub[g] = _sdm_group(dg, y, xs, w, ids_g, id, time, g, fe)
        flags += [type(f)(f.code, f"group {g}: {f.message}") for f in sub[g].flags]
    # ------------------------------------------------------------ differences
    pairs = list(itertools.combinations(order, 2))
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2 ** 63))
    elif seed is None:
        seed = np.random.SeedSequence()
    rows = []
    if model == "ols":
        wald = _pooled_wald(core, members, order, xs, fe)
    from tqdm.auto import tqdm
    tix = [xs.index(t) for t in terms]
    for p, (g1, g2) in enumerate(tqdm(pairs, desc="heterogeneity permutations",
                                      disable=not progress or n_perm == 0, leave=False)):
        if model == "ols":
            b1 = sub[g1].params[xs].to_numpy()
            b2 = sub[g2].params[xs].to_numpy()
            dd = (b1 - b2)[tix]
            perm = _permute(core, members[g1], members[g2], n_perm, seed, p,
                            lambda u: core.fit(u)[tix], dd, tix=tix)
            for j, t in enumerate(terms):
                rows.append(dict(group_1=g1, group_2=g2, term=t, diff=dd[j], p_perm=perm[j],
                                 p_wald=wald(g1, g2, xs.index(t))))
        else:
            e1 = sub[g1].effects(method="delta")
            e2 = sub[g2].effects(method="delta")
            kinds = ("direct", "indirect", "total")
            dd = np.array([e1.loc[t, kd] - e2.loc[t, kd] for kd in kinds for t in terms])

            def stat(u, _g=(g1, g2)):
                ids_u = core.ids[u]
                r = _sdm_group(d[d[id].isin(ids_u)], y, xs, w, ids_u, id, time, "perm", fe)
                e = r._effects_core.point(r.params)
                return np.array([e.loc[t, kd] for kd in kinds for t in terms])

            def fit2(u1, u2):
                return stat(u1) - stat(u2)
            perm = _permute(core, members[g1], members[g2], n_perm, seed, p, None, dd,
                            diff_fn=fit2)
            j = 0
            for kd in kinds:
                for t in terms:
                    se = np.hypot(e1.loc[t, f"{kd}_se"], e2.loc[t, f"{kd}_se"])
                    rows.append(dict(group_1=g1, group_2=g2, effect=kd, term=t, diff=dd[j],
                                     p_perm=perm[j],
                                     p_wald=float(2 * stats.norm.sf(abs(dd[j]) / se))))
                    j += 1
    differences = pd.DataFrame(rows)
    # ------------------------------------------------------------ side by side
    side = {}
    for g in order:
        r = sub[g]
        side[(g, "estimate")] = r.params
        side[(g, "std_error")] = r.bse
    side = pd.DataFrame(side)
    info = dict(y=y, x=tuple(xs), by=by if isinstance(by, str) else "mapping", model=model,
                fe=fe, n_perm=int(n_perm), groups=tuple(order),
                units={g: int(len(members[g])) for g in order}, T=T)
    return HeterogeneityResults(sub, differences, labels.rename("group"), info, side,
                                flags=flags)


def _permute(core, u1, u2, n_perm, seed, p, stat, dd, diff_fn=None, tix=None):
    if n_perm <= 0:
        return np.full(len(dd), np.nan)
    pool = np.concatenate([u1, u2])
    n1 = len(u1)
    perms = [as_generator(seed, key=(p, b)).permutation(pool) for b in range(int(n_perm))]
    exceed = np.zeros(len(dd))
    if diff_fn is None and core.balanced:
        P = np.sort(np.stack([q[:n1] for q in perms]), axis=1)
        Q = np.sort(np.stack([q[n1:] for q in perms]), axis=1)
        chunk = max(1, int(2e6 // (len(pool) * core.T * core.raw.shape[1])))
        for s in range(0, len(perms), chunk):
            with np.errstate(all="ignore"):
                try:
                    ds = (core.fit_batch(P[s:s + chunk]) - core.fit_batch(Q[s:s + chunk]))
                except np.linalg.LinAlgError:
                    ds = np.stack([_one(core, a, c) for a, c in
                                   zip(P[s:s + chunk], Q[s:s + chunk])])
            ds = ds[:, tix]
            ds[~np.isfinite(ds)] = np.inf          # a degenerate draw counts as extreme
            exceed += (np.abs(ds) >= np.abs(dd)).sum(axis=0)
        return (1 + exceed) / (1 + n_perm)
    for q in perms:
        a, c = np.sort(q[:n1]), np.sort(q[n1:])
        try:
            ds = diff_fn(a, c) if diff_fn is not None else stat(a) - stat(c)
        except (DataError, np.linalg.LinAlgError):
            ds = np.full(len(dd), np.inf)     # a degenerate draw counts as extreme
        exceed += np.abs(ds) >= np.abs(dd)
    return (1 + exceed) / (1 + n_perm)


def _one(core, a, c):
    try:
        return core.fit(a) - core.fit(c)
    except (DataError, np.linalg.LinAlgError):
        return np.full(core.raw.shape[1] - 1, np.inf)


def _pooled_wald(core, members, order, xs, fe):
    """Wald test of b_g1 − b_g2 in the interacted pooled model (unit and group×year FE)."""
    k = len(xs)
    blocks = {}
    units_all = np.concatenate([members[g] for g in order])
    n_tot = sum(len(core.rows[u]) for u in units_all)
    meat_parts = {}
    for g in order:
        b, A, e, XtXi, unit, tc = core.fit(members[g], se=True)
        X = A[:, 1:]
        s = np.zeros((len(members[g]), k))
        np.add.at(s, unit, X * e[:, None])
        meat_parts[g] = XtXi @ (s.T @ s) @ XtXi
        blocks[g] = b
    G = len(units_all)
    Gr = len(order)
    per_fe = {"twoways": Gr * core.T, "individual": 1, "time": Gr * core.T, "none": Gr}[fe]
    K = k * Gr + per_fe
    c = G / (G - 1) * (n_tot - 1) / (n_tot - K)

    def wald(g1, g2, j):
        dd = blocks[g1][j] - blocks[g2][j]
        var = c * (meat_parts[g1][j, j] + meat_parts[g2][j, j])
        return float(stats.f(1, G - 1).sf(dd ** 2 / var))
    return wald


def _sdm_group(dg, y, xs, w, ids_g, id, time, label, fe="twoways"):
    from libpysal.graph import Graph

    from .._validation import graph_ids, graph_to_sparse
    from .panel import spatial_panel
    wids = graph_ids(w)
    full = graph_to_sparse(w, wids)
    u = pd.Index(np.unique(ids_g))
    pos = wids.get_indexer(u)
    if (pos < 0).any():
        raise DataError(f"unit(s) {format_values(list(u[pos < 0]))} are not in the weights")
    W = full[pos][:, pos].tocsr()
    W.eliminate_zeros()
    rs = np.asarray(W.sum(axis=1)).ravel()
    if (rs == 0).any():
        raise GroupError(f"group {label!r}: unit(s) {format_values(list(u[rs == 0]))} have no "
                         "neighbour inside the group; the group SDM needs every unit to have "
                         "a neighbour in its group (use other weights, e.g. k-nearest "
                         "neighbours)")
    g = Graph.from_sparse(W, ids=u).transform("r")
    return spatial_panel(dg, y, xs, g, id=id, time=time, model="sdm", fe=fe)
