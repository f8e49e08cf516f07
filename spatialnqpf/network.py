r"""Spatial association networks: modified gravity model, network metrics, CONCOR, QAP.

* :func:`gravity_network` -- the modified gravity matrix :math:`y_{ij}` and its 0/1
  network by year (binarised at the row mean).
* :func:`metrics` -- density, connectedness, hierarchy, efficiency (Krackhardt 1994) and
  node centralities (degree, closeness, betweenness; networkx).
* :func:`block_model` -- CONCOR block model (Breiger, Boorman & Arabie 1975; as R
  ``concorR``) with block roles and density / image matrices.
* :func:`qap` -- QAP correlation and MRQAP regression (Dekker's semi-partialling, as
  R ``sna::netlm(nullhyp="qapspp")``).

Every matrix is a DataFrame whose index and columns are the units' ids; inputs are
aligned by id and a mismatch is refused with the ids named.

References
----------
Krackhardt, D. (1994). Graph theoretical dimensions of informal organizations. In
Carley & Prietula (eds.), *Computational Organization Theory*, 89-111.

Breiger, R. L., Boorman, S. A. & Arabie, P. (1975). An algorithm for clustering
relational data. *Journal of Mathematical Psychology* 12(3), 328-383.

Wasserman, S. & Faust, K. (1994). *Social Network Analysis*. Cambridge UP, ch. 9-10.

Dekker, D., Krackhardt, D. & Snijders, T. A. B. (2007). Sensitivity of MRQAP tests to
collinearity and autocorrelation conditions. *Psychometrika* 72(4), 563-581.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np
import pandas as pd

from ._results import EstimationResults, Results, as_mapping, tidy_from_arrays
from ._validation import (DataError, IdMismatchError, SpatialNQPFError, as_generator,
                          check_panel, format_values)

__all__ = ["gravity_network", "NetworkResult", "YearNetwork", "metrics", "MetricsResult",
           "block_model", "BlockModelResult", "qap", "QAPResult", "concor",
           "BLOCK_ROLES", "NetworkError"]

#: block roles of :func:`block_model`
BLOCK_ROLES = ("net spillover", "bilateral spillover", "broker", "net beneficiary")


class NetworkError(SpatialNQPFError):
    """A network that cannot be analysed (no ties, too few units)."""


# ===========================================================================
# modified gravity model
# ===========================================================================
@dataclasses.dataclass(eq=False, repr=False)
class YearNetwork(Results):
    """One year's network: ``y`` (gravity strengths y_ij) and ``a`` (0/1 ties), both
    DataFrames indexed by id in rows (senders i) and columns (receivers j)."""

    y: pd.DataFrame
    a: pd.DataFrame
    year: object = None
    _title = "Spatial association network"

    def to_frame(self):
        return self.a

    @property
    def ids(self) -> pd.Index:
        return self.a.index.copy()

    def _summary_notes(self):
        n = len(self.a)
        return [f"year {self.year}: {int(self.a.to_numpy().sum())} ties among {n} units"]


@dataclasses.dataclass(eq=False, repr=False)
class NetworkResult(Results):
    """Result of :func:`gravity_network`: ``net[year]`` is a :class:`YearNetwork`
    (``net[None]`` for a cross-section); ``to_frame()`` counts ties by year."""

    networks: Mapping
    value: str = ""
    coords_source: str = ""
    _title = "Spatial association networks (modified gravity model)"

    def __getitem__(self, year):
        try:
            return self.networks[year]
        except KeyError:
            raise KeyError(f"no network for year {year!r}; years: "
                           f"{format_values(list(self.networks))}") from None

    def __iter__(self):
        return iter(self.networks)

    def __len__(self):
        return len(self.networks)

    @property
    def years(self) -> list:
        return list(self.networks)

    def to_frame(self):
        rows = []
        for t, nw in self.networks.items():
            a = nw.a.to_numpy()
            n = a.shape[0]
            rows.append({"year": t, "n": n, "ties": int(a.sum()),
                         "density": a.sum() / (n * (n - 1))})
        return pd.DataFrame(rows)


def _haversine_matrix(lon, lat, radius=6371.0):
    lo, la = np.radians(lon), np.radians(lat)
    dlo = lo[:, None] - lo[None, :]
    dla = la[:, None] - la[None, :]
    h = np.sin(dla / 2) ** 2 + np.cos(la)[:, None] * np.cos(la)[None, :] * np.sin(dlo / 2) ** 2
    return 2 * radius * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def gravity_matrix(x, pop, gdp, dist) -> np.ndarray:
    r"""Modified gravity strengths :math:`y_{ij}` (diagonal 0); see :func:`gravity_network`."""
    x, pop, gdp = (np.asarray(v, float) for v in (x, pop, gdp))
    m = np.cbrt(pop * gdp * x)
    g = gdp / pop
    k = x[:, None] / (x[:, None] + x[None, :])
    dg = g[:, None] - g[None, :]
    dg[np.abs(dg) <= 1e-12 * np.abs(g).max()] = 0.0     # equal g up to rounding: no pull
    with np.errstate(divide="ignore", invalid="ignore"):
        y = k * m[:, None] * m[None, :] * dg ** 2 / dist ** 2
    np.fill_diagonal(y, 0.0)
    return y


def binarise(y: np.ndarray) -> np.ndarray:
    """a_ij = 1 when y_ij ≥ the mean of row i over the N − 1 other units and y_ij > 0."""
    n = y.shape[0]
    off = ~np.eye(n, dtype=bool)
    rm = (y * off).sum(axis=1) / (n - 1)
    a = ((y >= rm[:, None]) & (y > 0) & off).astype(np.int8)
    return a


def gravity_network(data: pd.DataFrame, value: str, *, id: str = "code",
                    time: str | None = "year", population: str = "pop", gdp: str = "gdp",
                    coords=None, distance: pd.DataFrame | None = None) -> NetworkResult:
    r"""Spatial association network of ``value`` from the modified gravity model, by year.

    .. math::

        y_{ij} = k_{ij}\,\frac{(P_i G_i X_i)^{1/3}\,(P_j G_j X_j)^{1/3}}
                 {\big(D_{ij} / (g_i - g_j)\big)^2},
        \qquad k_{ij} = \frac{X_i}{X_i + X_j}, \quad g_i = G_i / P_i,

    with X the value, P the population, G the GDP (columns ``value``, ``population``,
    ``gdp``, all positive) and :math:`D_{ij}` the haversine distance (R = 6371 km)
    between the capitals (``coords=None``; or coordinates as accepted by
    :func:`spatialnqpf.weights.distance`), or ``distance``: a DataFrame of distances
    (e.g. an economic distance) with the ids as index and columns, used instead.  :math:`y_{ij} \ne y_{ji}` through
    :math:`k_{ij}` (per-capita GDPs equal to 1e-12 relative count as equal: y = 0).  The 0/1 network has :math:`a_{ij} = 1` when :math:`y_{ij}` is at
    least the mean of row i over the N − 1 other units (and positive); the diagonal is 0.

    Returns
    -------
    NetworkResult
        ``net[year].y`` and ``net[year].a``: DataFrames indexed by id (rows send, columns
        receive).

    Raises
    ------
    DataError
        Missing columns, non-positive values; :class:`NetworkError` for a year with no
        tie above the threshold (e.g. equal per-capita GDP everywhere).
    """
    from .weights._api import resolve_points
    cols = [value, population, gdp]
    df = check_panel(data, id, time, columns=cols)
    for c in cols:
        bad = df[c].to_numpy(float) <= 0
        if bad.any():
            where = df.loc[bad, [id] + ([time] if time else [])].itertuples(index=False,
                                                                            name=None)
            raise DataError(f"column {c!r} must be positive; not at {format_values(list(where))}")
    ids_all = pd.Index(df[id].unique())
    if distance is None:
        pts, src = resolve_points("capitals" if coords is None else coords, ids_all)
    else:
        dist = _as_matrix(distance, "distance")
        miss = ids_all.difference(dist.index)
        if len(miss):
            raise IdMismatchError(f"distance has no row/column for id(s) "
                                  f"{format_values(list(miss))}")
        src = "user distance matrix"
    nets = {}
    groups = [(None, df)] if time is None else df.groupby(time, sort=True)
    for t, g in groups:
        g = g.set_index(id)
        ids = g.index
        if len(ids) < 3:
            raise NetworkError(f"a network needs at least 3 units; {len(ids)} in {t}")
        if distance is None:
            p = pts.loc[ids]
            D = _haversine_matrix(p["lon"].to_numpy(), p["lat"].to_numpy())
        else:
            D = dist.loc[ids, ids].to_numpy(float).copy()
        np.fill_diagonal(D, 1.0)
        if (D[~np.eye(len(ids), dtype=bool)] <= 0).any():
            raise DataError("two units share the same coordinates (zero distance)")
        y = gravity_matrix(g[value], g[population], g[gdp], D)
        a = binarise(y)
        if a.sum() == 0:
            raise NetworkError(f"no tie above the row-mean threshold{'' if t is None else f' in {t}'}"
                               " (all gravity strengths zero: equal per-capita GDP?)")
        nets[t] = YearNetwork(y=pd.DataFrame(y, index=ids, columns=ids),
                              a=pd.DataFrame(a, index=ids, columns=ids), year=t)
    return NetworkResult(networks=as_mapping(nets), value=value, coords_source=src)


# ===========================================================================
# metrics
# ===========================================================================
def _adjacency(net) -> pd.DataFrame:
    if isinstance(net, YearNetwork):
        return net.a
    if isinstance(net, pd.DataFrame):
        a = net
    else:
        raise TypeError(f"expected a YearNetwork or a 0/1 DataFrame, got {type(net).__name__}")
    if not a.index.equals(a.columns):
        raise IdMismatchError("the adjacency matrix must have the same ids, in the same "
                              "order, in its index and columns")
    v = a.to_numpy(float)
    if not np.isin(v, (0, 1)).all():
        raise DataError("the adjacency matrix must be 0/1")
    return a


def _reach(a: np.ndarray) -> np.ndarray:
    """Reachability (i reaches j by a directed path of length ≥ 1), diagonal False."""
    from scipy.sparse.csgraph import shortest_path
    d = shortest_path(a, method="D", directed=True, unweighted=True)
    r = np.isfinite(d)
    np.fill_diagonal(r, False)
    return r


def graph_metrics(a: np.ndarray) -> dict:
    """Density, connectedness, hierarchy and efficiency of a 0/1 digraph (no loops)."""
    from scipy.sparse.csgraph import connected_components
    n = a.shape[0]
    ties = int(a.sum())
    sym = ((a + a.T) > 0).astype(float)
    rs = _reach(sym)
    connectedness = rs.sum() / (n * (n - 1))
    r = _reach(a)
    mutual = (r & r.T)[np.triu_indices(n, 1)].sum()
    reach_pairs = (r | r.T)[np.triu_indices(n, 1)].sum()
    hierarchy = 1 - mutual / reach_pairs if reach_pairs else np.nan
    _, lab = connected_components(a, directed=True, connection="weak")
    cs = np.bincount(lab)
    req = (cs - 1).sum()
    maxv = (cs * (cs - 1) - (cs - 1)).sum()
    efficiency = 1 - (ties - req) / maxv if maxv else np.nan
    return {"n": n, "ties": ties, "density": ties / (n * (n - 1)),
            "connectedness": connectedness, "hierarchy": hierarchy,
            "efficiency": efficiency}


def node_metrics(A: pd.DataFrame) -> pd.DataFrame:
    """Degrees and centralities of every node (networkx)."""
    import networkx as nx
    ids = A.index
    a = A.to_numpy(int)
    n = a.shape[0]
    G = nx.from_numpy_array(a, create_using=nx.DiGraph)
    U = G.to_undirected()
    indeg, outdeg = a.sum(axis=0), a.sum(axis=1)
    dc = nx.degree_centrality(U)
    clo = nx.closeness_centrality(U, wf_improved=True)
    clo_in = nx.closeness_centrality(G, wf_improved=True)            # incoming distances
    clo_out = nx.closeness_centrality(G.reverse(copy=True), wf_improved=True)
    btw = nx.betweenness_centrality(G, normalized=True)               # / ((N-1)(N-2))
    out = pd.DataFrame({"in_degree": indeg, "out_degree": outdeg, "degree": indeg + outdeg,
                        "degree_centrality": [dc[i] for i in range(n)],
                        "closeness": [clo[i] for i in range(n)],
                        "closeness_in": [clo_in[i] for i in range(n)],
                        "closeness_out": [clo_out[i] for i in range(n)],
                        "betweenness": [btw[i] for i in range(n)]}, index=ids)
    return out


@dataclasses.dataclass(eq=False, repr=False)
class MetricsResult(Results):
    """Result of :func:`metrics`: ``graph`` (one row per year: n, ties, density,
    connectedness, hierarchy, efficiency) and ``nodes`` (one row per (year, id))."""

    graph: pd.DataFrame
    nodes: pd.DataFrame
    _title = "Spatial association network: structure"

    def to_frame(self):
        return self.graph


def metrics(net) -> MetricsResult:
    r"""Whole-network and node metrics of each year's network.

    Whole network (Krackhardt 1994, as R ``sna``):

    * ``density`` = L / (N(N − 1));
    * ``connectedness`` = share of ordered pairs joined by a path in the symmetrised
      (weak) graph (``sna::connectedness``);
    * ``hierarchy`` = 1 − (pairs mutually reachable) / (pairs with at least one reaching
      the other) (``sna::hierarchy(measure="krackhardt")``, not sna's default
      reciprocity measure);
    * ``efficiency`` = 1 − (L − Σ_c (n_c − 1)) / Σ_c (n_c(n_c − 1) − (n_c − 1)) over the
      weak components c (``sna::efficiency``).

    Nodes (networkx): ``in_degree``, ``out_degree``, ``degree`` = in + out;
    ``degree_centrality`` = distinct neighbours (either direction) / (N − 1);
    ``closeness`` on the undirected graph, ``closeness_in``/``closeness_out`` on the
    directed one (distances to / from the node), all with the Wasserman–Faust
    correction for unreachable nodes ((r − 1)/(N − 1) · (r − 1)/Σ d over the r reachable;
    equal to (N − 1)/Σ d when all are reachable); ``betweenness`` directed Freeman,
    normalised by (N − 1)(N − 2).

    ``net`` is a :class:`NetworkResult`, a :class:`YearNetwork` or a 0/1 DataFrame.
    """
    items = net.networks.items() if isinstance(net, NetworkResult) else [(None, net)]
    gr, nd = [], []
    for t, nw in items:
        A = _adjacency(nw)
        gr.append({"year": t, **graph_metrics(A.to_numpy(int))})
        nm = node_metrics(A)
        nm.insert(0, "year", t)
        nd.append(nm)
    return MetricsResult(graph=pd.DataFrame(gr), nodes=pd.concat(nd))


# ===========================================================================
# CONCOR
# ===========================================================================
def _pairwise_cor(X: np.ndarray) -> np.ndarray:
    """Pearson correlation of the columns with pairwise-complete rows (R ``cor(use=
    "pairwise.complete.obs")``); NaN where a column is constant."""
    M = np.isfinite(X).astype(float)
    X0 = np.where(M > 0, X, 0.0)
    n = M.T @ M
    sx = X0.T @ M                 # sum of x_i over rows valid for both (row i, col j)
    sy = M.T @ X0
    sxx = (X0 * X0).T @ M
    syy = M.T @ (X0 * X0)
    sxy = X0.T @ X0
    with np.errstate(divide="ignore", invalid="ignore"):
        num = n * sxy - sx * sy
        den = np.sqrt((n * sxx - sx ** 2) * (n * syy - sy ** 2))
        r = num / den
    return r


def _cor(X):
    if np.isfinite(X).all():
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.corrcoef(X, rowvar=False)
    return _pairwise_cor(X)


def _concor1(stack, cutoff=0.9999999, max_iter=50):
    if stack.shape[1] < 2:
        return np.ones((1, 1))
    c = _cor(stack)
    it = 0
    while np.any(np.abs(c[np.isfinite(c)]) <= cutoff) and it <= max_iter:
        c = _cor(c)
        it += 1
    out = c.copy()
    out[c < 0] = -1
    out[c > 0] = 1
    return out


def concor(a: np.ndarray, n_splits: int = 2, cutoff: float = 0.9999999,
           max_iter: int = 50) -> np.ndarray:
    """CONCOR blocks (1-based) of a 0/1 digraph, a transcription of R ``concorR::concor``
    (one relation, ``self_ties=FALSE``): the stacked [A; Aᵀ] with the diagonal missing,
    correlations iterated until every |r| > ``cutoff`` (at most ``max_iter`` + 1 times),
    each block split in two by the sign of the column of its first node after ordering,
    the correlations of a block computed on the full 2N profile rows; nodes without any
    tie (isolates) form the last block."""
    a = np.asarray(a, float).copy()
    n = a.shape[0]
    np.fill_diagonal(a, 0)
    full = np.vstack([a, a.T])
    iso = np.all(full == 0, axis=0)
    keep = np.flatnonzero(~iso)
    m = a[np.ix_(keep, keep)]
    np.fill_diagonal(m, np.nan)
    nodes = np.arange(m.shape[0])              # positions within m, in current order
    blocks = [nodes]                            # list of arrays of positions (into m)
    order = nodes
    prev = None
    for _ in range(n_splits):
        stacked = np.vstack([m, m.T])
        new_blocks, new_order = [], []
        for b in blocks:
            sub = stacked[:, b]
            c = _concor1(sub, cutoff, max_iter)
            o = np.argsort(c[:, 0], kind="stable")
            c = c[np.ix_(o, o)]
            new_order.append(b[o])
            grp = c[:, 0] > 0
            new_blocks.append((b[o], grp))
        order = np.concatenate(new_order)
        blocks = []
        for bo, grp in new_blocks:
            for part in (bo[grp], bo[~grp]):
                if part.size:
                    blocks.append(part)
        key = [tuple(b) for b in blocks]
        if key == prev:
            break
        prev = key
    lab = np.zeros(n, int)
    for k, b in enumerate(blocks, start=1):
        lab[keep[b]] = k
    if iso.any():
        lab[iso] = len(blocks) + 1
    return lab


@dataclasses.dataclass(eq=False, repr=False)
class BlockModelResult(Results):
    """Result of :func:`block_model` for one network: ``blocks`` (id -> block),
    ``roles`` (one row per block), ``density`` and ``image`` (block × block)."""

    blocks: pd.Series
    roles: pd.DataFrame
    density: pd.DataFrame
    image: pd.DataFrame
    year: object = None
    _title = "CONCOR block model"

    def to_frame(self):
        return self.roles

    def _summary_notes(self):
        return ["", "Density matrix:", self.density.to_string(), "", "Image matrix:",
                self.image.to_string()]


def block_model(net, n_blocks: int = 4, *, year=None) -> BlockModelResult:
    r"""CONCOR block model with block roles and density / image matrices.

    Blocks by :func:`concor` on the stacked [A; Aᵀ] with the diagonal ignored, iterated
    until |r| > 0.9999999, ``log2(n_blocks)`` splits (two for four blocks), as R
    ``concorR::concor``.  For block k (n_k members of N):

    * ``internal`` ties within k, ``sent_out`` to other blocks, ``received`` from them;
    * ``expected_internal_ratio`` = (n_k − 1)/(N − 1), ``internal_ratio`` =
      internal / (internal + sent_out);
    * role (Wasserman & Faust 1994, ch. 10, as used in the Chinese literature), with
      "receives few" operationalised as received < sent_out:
      internal_ratio ≥ expected and received < sent_out → "bilateral spillover";
      internal_ratio ≥ expected and received ≥ sent_out → "net beneficiary";
      internal_ratio < expected and received < sent_out → "net spillover";
      internal_ratio < expected and received ≥ sent_out → "broker".

    ``density`` d_kl = ties k→l / (n_k n_l) (n_k(n_k − 1) on the diagonal); ``image`` is
    1 where d_kl ≥ the network's density (α-density criterion).

    ``net``: a :class:`YearNetwork`, a 0/1 DataFrame, or a :class:`NetworkResult` with
    ``year`` (default: its last year).
    """
    if isinstance(net, NetworkResult):
        net = net[year if year is not None else net.years[-1]]
    if isinstance(net, YearNetwork):
        year = net.year
    A = _adjacency(net)
    splits = int(round(np.log2(n_blocks)))
    if n_blocks < 2 or 2 ** splits != n_blocks:
        raise SpatialNQPFError(f"n_blocks must be a power of 2 (CONCOR splits in two), got "
                               f"{n_blocks}")
    a = A.to_numpy(int)
    n = a.shape[0]
    if a.sum() == 0:
        raise NetworkError("the network has no ties")
    lab = concor(a, splits)
    ks = np.unique(lab)
    rows, dens = [], np.zeros((ks.size, ks.size))
    for i, k in enumerate(ks):
        mk = lab == k
        nk = int(mk.sum())
        internal = int(a[np.ix_(mk, mk)].sum())
        sent = int(a[np.ix_(mk, ~mk)].sum())
        recv = int(a[np.ix_(~mk, mk)].sum())
        exp = (nk - 1) / (n - 1)
        ratio = internal / (internal + sent) if internal + sent else 0.0
        if ratio >= exp:
            role = BLOCK_ROLES[1] if recv < sent else BLOCK_ROLES[3]
        else:
            role = BLOCK_ROLES[0] if recv < sent else BLOCK_ROLES[2]
        rows.append({"block": int(k), "n": nk, "members": tuple(A.index[mk]),
                     "internal": internal, "sent_out": sent, "received": recv,
                     "expected_internal_ratio": exp, "internal_ratio": ratio, "role": role})
        for j, l in enumerate(ks):
            ml = lab == l
            cells = nk * int(ml.sum()) - (nk if k == l else 0)
            dens[i, j] = a[np.ix_(mk, ml)].sum() / cells if cells else np.nan
    d = pd.DataFrame(dens, index=pd.Index(ks, name="from"), columns=pd.Index(ks, name="to"))
    overall = a.sum() / (n * (n - 1))
    image = (d >= overall).astype(int)
    return BlockModelResult(blocks=pd.Series(lab, index=A.index, name="block"),
                            roles=pd.DataFrame(rows), density=d, image=image, year=year)


# ===========================================================================
# QAP
# ===========================================================================
class QAPResult(EstimationResults):
    """MRQAP regression (OLS with intercept) and QAP correlations (read-only).

    ``params``, ``bse`` (classical OLS), ``tvalues``; ``pvalues`` are the QAP
    permutation p-values (two-sided, Dekker's semi-partialling), ``p_greater`` and
    ``p_less`` the one-sided ones; ``correlation`` the QAP correlation of y with each x
    (``r``, ``p_value`` two-sided, ``p_greater``, ``p_less``); ``r2``, ``adj_r2``,
    ``nobs``, ``n_perm``.  ``tidy()``: ``statistic`` = t, ``p_value`` = QAP p-value,
    the interval classical t(df_resid).
    """

    _title = "MRQAP regression (Dekker semi-partialling)"

    def __init__(self, params, cov, *, df_resid, p_qap, p_greater, p_less, correlation,
                 r2, adj_r2, nobs, n_perm):
        self._init_estimates(params, cov, df_resid=df_resid)
        self._p_qap = pd.Series(p_qap, index=self._params.index)
        self.p_greater = pd.Series(p_greater, index=self._params.index)
        self.p_less = pd.Series(p_less, index=self._params.index)
        self.correlation = correlation
        self.r2, self.adj_r2 = float(r2), float(adj_r2)
        self.nobs, self.n_perm = int(nobs), int(n_perm)
        self._freeze()

    @property
    def pvalues(self) -> pd.Series:
        return self._p_qap.copy()

    def tidy(self, kind: str = "params", level: float = 0.95, **kwargs) -> pd.DataFrame:
        if kind != "params":
            raise ValueError("QAPResult has no effects")
        out = tidy_from_arrays(self._params.index, self._params.to_numpy(),
                               self._bse.to_numpy(), df=self.df_resid, level=level,
                               p_value=self._p_qap.to_numpy())
        out.attrs["flags"] = [tuple(f) for f in self.flags]
        return out

    def to_frame(self):
        df = pd.DataFrame({"coef": self._params, "se": self._bse, "t": self.tvalues,
                           "p_qap": self._p_qap})
        df.index.name = "term"
        return df

    def _summary_notes(self):
        return [f"R2 = {self.r2:.4f}, adj. R2 = {self.adj_r2:.4f}, cells = {self.nobs}, "
                f"permutations = {self.n_perm}", "", "QAP correlations:",
                self.correlation.to_string()]


def _as_matrix(m, name, ids=None) -> pd.DataFrame:
    if isinstance(m, YearNetwork):
        m = m.y
    if not isinstance(m, pd.DataFrame):
        raise TypeError(f"{name} must be a DataFrame indexed by id (rows and columns), got "
                        f"{type(m).__name__}")
    if not m.index.equals(m.columns) and set(m.index) == set(m.columns):
        m = m.loc[:, m.index]
    if not m.index.equals(m.columns):
        raise IdMismatchError(f"{name}: index and columns must hold the same ids")
    if m.index.has_duplicates:
        raise IdMismatchError(f"{name}: duplicated ids {format_values(m.index[m.index.duplicated()])}")
    if ids is not None:
        only_a = ids.difference(m.index)
        only_b = m.index.difference(ids)
        if len(only_a) or len(only_b):
            raise IdMismatchError(f"{name}: ids differ from y's; only in y: "
                                  f"{format_values(list(only_a))}; only in {name}: "
                                  f"{format_values(list(only_b))}")
        m = m.loc[ids, ids]
    v = m.to_numpy(float)
    off = ~np.eye(len(m), dtype=bool)
    if not np.isfinite(v[off]).all():
        raise DataError(f"{name} has missing or non-finite off-diagonal cells")
    return m


def _offdiag(v):
    n = v.shape[0]
    return v[~np.eye(n, dtype=bool)]


def _perm_index(perms: np.ndarray, n: int) -> np.ndarray:
    """Flat indices of the off-diagonal cells of v[p][:, p] for each permutation p."""
    r, c = np.nonzero(~np.eye(n, dtype=bool))
    return perms[:, r] * n + perms[:, c]


def _perm_vectors(v: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Off-diagonal cells of v[p][:, p] for each permutation → (B, N(N - 1))."""
    return np.take(np.ascontiguousarray(v).ravel(), idx)


def qap(y, xs, n_perm: int = 5000, seed=0) -> QAPResult:
    r"""QAP correlation and MRQAP regression of matrix ``y`` on the matrices ``xs``.

    All statistics are over the N(N − 1) off-diagonal cells.  Permutations are
    simultaneous row/column permutations (the same permutation of the ids applied to
    rows and columns), drawn from ``spatialnqpf._validation.as_generator(seed)``.

    * **QAP correlation** of y with each x: Pearson r; its p-values from permuting y
      (``sna::qaptest(..., gcor)``): ``p_greater`` = share of permuted r ≥ r,
      ``p_less`` ≤ r, ``p_value`` share of |r_perm| ≥ |r|.
    * **MRQAP**: OLS of y on an intercept and the xs (``sna::netlm``); the p-value of
      each coefficient (the intercept too) by Dekker's semi-partialling
      (``nullhyp="qapspp"``): regress that x on the other regressors, permute the
      residual matrix and refit y on the other regressors plus the permuted residuals;
      p = share of |t_perm| ≥ |t| (two-sided; ``p_greater``, ``p_less`` one-sided).  With
      a single regressor ``netlm`` switches to y-permutation; so does this function.

    Parameters
    ----------
    y : DataFrame (ids × ids) or YearNetwork (its ``y``)
    xs : mapping name -> DataFrame (ids × ids), or a list of DataFrames (named x1, x2, ...)
    n_perm : int
    seed : int, None or Generator

    Returns
    -------
    QAPResult
    """
    Y = _as_matrix(y, "y")
    ids = Y.index
    if isinstance(xs, pd.DataFrame):
        xs = {"x1": xs}
    elif not isinstance(xs, Mapping):
        xs = {f"x{i + 1}": m for i, m in enumerate(xs)}
    if not len(xs):
        raise DataError("give at least one regressor matrix")
    X = {k: _as_matrix(v, f"xs[{k!r}]", ids) for k, v in xs.items()}
    n = len(ids)
    if n < 4:
        raise DataError(f"QAP needs at least 4 units, got {n}")
    n_perm = int(n_perm)
    if n_perm < 1:
        raise DataError(f"n_perm must be a positive integer, got {n_perm}")
    rng = as_generator(seed)
    yv = _offdiag(Y.to_numpy(float))
    names = ["(intercept)"] + list(X)
    mats = [np.ones((n, n))] + [X[k].to_numpy(float) for k in X]
    D = np.column_stack([_offdiag(m) for m in mats])
    m, p = D.shape
    if np.linalg.matrix_rank(D) < p:
        raise DataError("the regressor matrices are collinear (with the intercept)")
    beta, *_ = np.linalg.lstsq(D, yv, rcond=None)
    res = yv - D @ beta
    dfr = m - p
    s2 = res @ res / dfr
    XtXi = np.linalg.inv(D.T @ D)
    se = np.sqrt(np.diag(XtXi) * s2)
    t = beta / se
    sst = ((yv - yv.mean()) ** 2).sum()
    r2 = 1 - (res @ res) / sst
    adj = 1 - (1 - r2) * (m - 1) / dfr

    perms = np.argsort(rng.random((n_perm, n)), axis=1)
    pidx = _perm_index(perms, n)
    Yn = Y.to_numpy(float)
    # QAP correlations (permute y)
    yp = _perm_vectors(Yn, pidx)                       # (B, m)
    corr_rows = []
    for k, mat in zip(names[1:], mats[1:]):
        xv = _offdiag(mat)
        r0 = np.corrcoef(yv, xv)[0, 1]
        xc = (xv - xv.mean()) / np.sqrt(((xv - xv.mean()) ** 2).sum())
        yc = yp - yp.mean(axis=1, keepdims=True)
        rp = (yc @ xc) / np.sqrt((yc ** 2).sum(axis=1))
        corr_rows.append({"term": k, "r": r0, "p_value": np.mean(np.abs(rp) >= abs(r0)),
                          "p_greater": np.mean(rp >= r0), "p_less": np.mean(rp <= r0)})
    correlation = pd.DataFrame(corr_rows).set_index("term")

    pg, pl, pa = np.empty(p), np.empty(p), np.empty(p)
    if p == 2:  # netlm: one regressor -> y-permutation
        B = yp.T                                           # (m, B)
        bet = np.linalg.lstsq(D, B, rcond=None)[0]
        rr = B - D @ bet
        s2p = (rr ** 2).sum(axis=0) / dfr
        tp = bet / np.sqrt(np.outer(np.diag(XtXi), s2p))
        for i in range(p):
            pg[i] = np.mean(tp[i] >= t[i])
            pl[i] = np.mean(tp[i] <= t[i])
            pa[i] = np.mean(np.abs(tp[i]) >= abs(t[i]))
    else:
        for i in range(p):
            others = [j for j in range(p) if j != i]
            Do = D[:, others]
            Qo, _ = np.linalg.qr(Do)
            xi_res = D[:, i] - Qo @ (Qo.T @ D[:, i])
            R = mats[i].copy()
            R[~np.eye(n, dtype=bool)] = xi_res
            Z = _perm_vectors(R, pidx).T                   # (m, B)
            rz = Z - Qo @ (Qo.T @ Z)
            rzz = (rz ** 2).sum(axis=0)
            ry = yv - Qo @ (Qo.T @ yv)
            ssr_o = ry @ ry
            bz = (rz.T @ yv) / rzz
            ssr = ssr_o - bz ** 2 * rzz
            tz = bz / np.sqrt(ssr / dfr / rzz)
            pg[i] = np.mean(tz >= t[i])
            pl[i] = np.mean(tz <= t[i])
            pa[i] = np.mean(np.abs(tz) >= abs(t[i]))
    cov = pd.DataFrame(XtXi * s2, index=names, columns=names)
    return QAPResult(pd.Series(beta, index=names), cov, df_resid=dfr, p_qap=pa, p_greater=pg,
                     p_less=pl, correlation=correlation, r2=r2, adj_r2=adj, nobs=m,
                     n_perm=n_perm)
