"""Public builders of spatial weights for Chinese provinces, cities and counties."""
from __future__ import annotations

import functools
import warnings
from typing import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._validation import (DataError, IdMismatchError, PanelError, SpatialNQPFError,
                           check_panel, format_values, graph_ids, graph_to_sparse)
from . import _builders as K
from ._graph import WeightsGraph, _canonical_std
from .recipe import Recipe

__all__ = ["contiguity", "distance", "knn", "economic", "nested", "economic_geographic",
           "standardize", "period_means", "resolve_points", "recipe_of", "ISLAND_RULES",
           "EQUAL_AREA_CRS"]

#: Albers equal-area conic for China (standard parallels 25 N and 47 N, central meridian 105 E)
EQUAL_AREA_CRS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"

ISLAND_RULES = ("guangdong", "guangdong+guangxi", "nearest", "keep")

HAINAN, GUANGDONG, GUANGXI = 46, 44, 45
# city level: Haikou <-> Zhanjiang (the Qiongzhou Strait crossing), Haikou <-> Beihai for +guangxi
_CITY_HAINAN_LINKS = {"guangdong": ((460100, 440800),),
                      "guangdong+guangxi": ((460100, 440800), (460100, 450500))}
# county level: Haikou 秀英区 (Xiuying port) <-> Zhanjiang 徐闻县 (Hai'an port), and <-> Beihai 海城区;
# plus the two island groups whose polygons touch no mainland county, joined by fixed links:
# Xiamen Island 湖里区 <-> 集美区 (Xiamen and Jimei bridges), Zhoushan 定海区 (Jintang) <-> Ningbo
# 北仑区 (Zhoushan Cross-Sea Bridges)
_COUNTY_BRIDGES = ((350206, 350211), (330902, 330206))
_COUNTY_HAINAN_LINKS = {"guangdong": ((460105, 440825),) + _COUNTY_BRIDGES,
                        "guangdong+guangxi": ((460105, 440825), (460105, 450502)) + _COUNTY_BRIDGES}
LEVELS = ("province", "city", "county")


# ---------------------------------------------------------------------------
# ids and coordinates

def _regions():
    from .. import regions

    return regions


def _available_ids(level: str) -> pd.Index:
    if level == "province":
        return pd.Index(_regions().provinces(include_sar=False).index.astype(int), name="code")
    if level in ("city", "county"):
        from .. import _shapes

        gdf = _shapes.load_cities() if level == "city" else _shapes.load_counties()
        return pd.Index(gdf.index.astype(int), name="code")
    raise SpatialNQPFError(f"level must be 'province', 'city' or 'county', got {level!r}")


def _resolve_ids(ids, level: str, available: pd.Index | None = None) -> pd.Index:
    """Validate/normalise requested ids: duplicates and unknown ids raise, naming them."""
    if level not in LEVELS:
        raise SpatialNQPFError(f"level must be 'province', 'city' or 'county', got {level!r}")
    if available is None:
        available = _available_ids(level)
    if ids is None:
        return pd.Index(sorted(available.tolist()), name="code")
    if isinstance(ids, (str, int, np.integer)):
        raise SpatialNQPFError(f"ids must be a list of region codes or names, got the scalar {ids!r}")
    raw = list(ids)
    if len(raw) == 0:
        raise SpatialNQPFError("ids is empty")
    codes = []
    labels = []
    for v in raw:
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            codes.append(int(v))
        else:
            labels.append(v)
            codes.append(None)
    if labels:
        norm = _regions().normalize(labels, level=level)
        it = iter(norm)
        codes = [c if c is not None else int(next(it)) for c in codes]
    avail = set(available.tolist())
    odd = [k for k, c in enumerate(codes) if c not in avail]
    if odd:
        # integer forms that normalize() accepts (110000 or 1100 for Beijing; 4401 for
        # Guangzhou at city level) become codes; anything else stays, to be named below
        alt = _regions().normalize([codes[k] for k in odd], level=level, errors="coerce")
        for k, a in zip(odd, alt):
            if a is not None and not (isinstance(a, float) and np.isnan(a)) and int(a) in avail:
                codes[k] = int(a)
    idx = pd.Index(codes, name="code")
    if idx.has_duplicates:
        dups = idx[idx.duplicated(keep=False)]
        shown = [(lab, c) for lab, c in zip(raw, codes) if c in set(dups)]
        raise IdMismatchError(f"duplicated ids: {format_values(sorted(set(dups.tolist())))} "
                              f"(given as {format_values(shown)})")
    unknown = idx.difference(available)
    if len(unknown):
        hint = ""
        if level == "province" and set(unknown) & {71, 81, 82}:
            hint = " (Taiwan 71, Hong Kong 81 and Macao 82 are not part of the mainland sample)"
        elif level in ("city", "county") and any(10 <= int(u) <= 82 for u in unknown if _is_int(u)):
            hint = (f" ({level} ids are six-digit codes such as "
                    f"{440100 if level == 'city' else 110105}; did you mean level='province'?)")
        elif level == "county" and set(unknown) & {710000} | {u for u in unknown if _is_int(u)
                                                                and int(u) // 10000 in (81, 82)}:
            hint = " (Taiwan, Hong Kong and Macao are not part of the mainland sample)"
        raise IdMismatchError(f"unknown {level} id(s): {format_values(list(unknown))}{hint}; "
                              f"known ids are {format_values(sorted(available.tolist()), 40)}")
    if len(idx) < 2:
        raise SpatialNQPFError(f"spatial weights need at least two units, got {format_values(list(idx))}")
    return idx


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _shapes_for(level: str, ids: pd.Index):
    try:
        from .. import _shapes
    except ImportError as exc:
        raise SpatialNQPFError("the bundled shapes (spatialnqpf._shapes) are not available") from exc
    gdf = {"province": _shapes.load_provinces, "city": _shapes.load_cities,
           "county": _shapes.load_counties}[level]()
    gdf = gdf.copy()
    gdf.index = gdf.index.astype(int)
    missing = ids.difference(gdf.index)
    if len(missing):
        raise IdMismatchError(f"id(s) missing from the bundled {level} shapes: "
                              f"{format_values(list(missing))}")
    return gdf.loc[ids]


@functools.lru_cache(maxsize=4)
def _all_centroids(level: str) -> pd.DataFrame:
    gdf = _shapes_for(level, _available_ids(level))
    cent = gdf.geometry.to_crs(EQUAL_AREA_CRS).centroid.to_crs(4326)
    return pd.DataFrame({"lon": cent.x.to_numpy(), "lat": cent.y.to_numpy()}, index=gdf.index)


def _centroids(level: str, ids: pd.Index) -> pd.DataFrame:
    _shapes_for(level, ids)  # names ids missing from the shapes
    return _all_centroids(level).loc[ids].copy()


def resolve_points(points, ids: pd.Index, level: str = "province") -> tuple[pd.DataFrame, str]:
    """Coordinates (lon, lat in degrees) of ``ids`` and a label of their source.

    ``points`` is ``"capitals"`` (provincial capitals from
    :func:`spatialnqpf.regions.capitals`), ``"centroids"`` (polygon centroids
    computed in the Albers equal-area projection :data:`EQUAL_AREA_CRS` and
    returned to WGS84), a DataFrame indexed by id with ``lon``/``lat``
    columns, or a mapping ``id -> (lon, lat)``.
    """
    if isinstance(points, str):
        if points == "capitals":
            if level != "province":
                raise SpatialNQPFError("points='capitals' exists for provinces only; "
                                       f"use points='centroids' for {level} units")
            cap = _regions().capitals()
            cap.index = cap.index.astype(int)
            missing = ids.difference(cap.index)
            if len(missing):
                raise IdMismatchError(f"no capital for id(s) {format_values(list(missing))}")
            return cap.loc[ids, ["lon", "lat"]].astype(float), "capitals (spatialnqpf.regions.capitals)"
        if points == "centroids":
            return _centroids(level, ids), ("centroids (Albers equal-area, lat_1=25 lat_2=47 lon_0=105; "
                                            "bundled shapes, GCJ-02 coordinates)")
        raise SpatialNQPFError(f"points must be 'capitals', 'centroids', a DataFrame or a mapping; "
                               f"got {points!r}")
    if isinstance(points, Mapping):
        df = pd.DataFrame.from_dict({k: tuple(v) for k, v in points.items()}, orient="index",
                                    columns=["lon", "lat"])
    elif isinstance(points, pd.DataFrame):
        missing_cols = [c for c in ("lon", "lat") if c not in points.columns]
        if missing_cols:
            raise DataError(f"points lack column(s) {missing_cols}; need 'lon' and 'lat'")
        df = points[["lon", "lat"]]
    else:
        raise SpatialNQPFError(f"points must be 'capitals', 'centroids', a DataFrame or a mapping; "
                               f"got {type(points).__name__}")
    if df.index.has_duplicates:
        raise IdMismatchError(f"duplicated ids in points: "
                              f"{format_values(df.index[df.index.duplicated()].unique())}")
    missing = pd.Index(ids).difference(df.index)
    if len(missing):
        raise IdMismatchError(f"no coordinates for id(s) {format_values(list(missing))}")
    df = df.loc[ids]
    vals = df.apply(pd.to_numeric, errors="coerce")
    bad = vals.isna().any(axis=1) | ~np.isfinite(vals.to_numpy(dtype=float)).all(axis=1)
    if bad.any():
        raise DataError(f"non-numeric or missing coordinates for id(s) {format_values(df.index[bad].tolist())}")
    if ((vals["lat"].abs() > 90) | (vals["lon"].abs() > 360)).any():
        off = vals.index[(vals["lat"].abs() > 90) | (vals["lon"].abs() > 360)].tolist()
        raise DataError(f"coordinates out of range (need lon, lat in degrees) for id(s) {format_values(off)}")
    return vals.astype(float), "user"


def _check_distinct(coords: pd.DataFrame):
    dup = coords.duplicated(keep=False)
    if dup.any():
        groups = coords[dup].groupby(["lon", "lat"]).groups
        pairs = [tuple(v.tolist()) for v in groups.values()]
        raise DataError(f"zero distance between id(s) with identical coordinates: {format_values(pairs)}")


# ---------------------------------------------------------------------------
# contiguity

@functools.lru_cache(maxsize=32)
def _land_contiguity(level: str, rook: bool, ids: tuple) -> sp.csr_matrix:
    """Binary symmetric land contiguity of ``ids`` (cached; callers must copy).

    Queen: shared vertices (:func:`~spatialnqpf.weights._builders.shared_vertex_pairs`, the rule
    of libpysal's ``strict=False`` vectorised); rook: libpysal ``Graph.build_contiguity``.
    """
    idx = pd.Index(ids, name="code")
    gdf = _shapes_for(level, idx)
    n = len(idx)
    if rook:
        from libpysal.graph import Graph

        g = Graph.build_contiguity(gdf[[gdf.geometry.name]], rook=True, strict=False)
        m = graph_to_sparse(g, idx).astype(float)
        m.data[:] = 1.0
    else:
        r, c = K.shared_vertex_pairs(gdf.geometry.values)
        m = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(n, n))
    m = sp.csr_matrix(((m + m.T) > 0).astype(float))
    m.setdiag(0)
    m.eliminate_zeros()
    return m


def contiguity(ids=None, level: str = "province", rook: bool = False, islands: str = "guangdong",
               points: str | None = None, standardize: str = "row") -> WeightsGraph:
    r"""Queen or rook contiguity from the bundled shapes, with an island rule.

    Two units are neighbours when their polygons share a boundary point
    (queen) or a boundary segment (rook); :math:`w_{ij} = 1` before
    standardisation.  Polygons come from :mod:`spatialnqpf._shapes`; the
    adjacency itself is libpysal's ``Graph.build_contiguity`` with
    ``strict=False`` (shared vertices; the coverage-preserving simplification keeps
    shared edges vertex-identical).

    Parameters
    ----------
    ids : list of codes or names, optional
        Units to include (default: all 31 provinces, or all cities).  The
        matrix is built for exactly these units; a subset (e.g. 30 provinces
        without Tibet) is a different matrix, never a silent drop.
    level : {"province", "city", "county"}
        ``"county"``: the 2 848 mainland county-level units of
        :func:`spatialnqpf.datasets.load_counties`.  Queen contiguity of the shipped county
        polygons equals that of the full-resolution source (8 205 pairs incl. SARs; see
        ``shapes/README.md``); the mainland counties without a land neighbour are 长海县
        (210224), 岱山县 (330921), 金门县 (350527), 南澳县 (440523), 西沙区 (460301) and 南沙区
        (460302): the default rule links Haikou 秀英区 (460105) to Zhanjiang 徐闻县 (440825)
        (``"guangdong+guangxi"``: also to Beihai 海城区, 450502), bridge the two island groups
        that touch no mainland county (Xiamen Island: 湖里区 350206 - 集美区 350211; Zhoushan:
        定海区 330902 - Ningbo 北仑区 330206, both fixed links) and link the six islands to
        their nearest county by centroid, with a warning naming them; the result is connected.
    rook : bool
        Rook instead of queen contiguity.
    islands : {"guangdong", "guangdong+guangxi", "nearest", "keep"}
        Rule for units without a land neighbour.  ``"guangdong"`` links Hainan
        (46) to Guangdong (44); ``"guangdong+guangxi"`` also to Guangxi (45);
        at city level Haikou (460100) is linked to Zhanjiang (440800) (and
        Beihai, 450500).  Islands that the named rule does not cover (e.g.
        Zhoushan, Sansha, or units isolated by a subset) are linked to their
        nearest unit, with a warning naming them.  ``"nearest"`` links every
        island to the nearest capital (provinces) or centroid (cities);
        ``"keep"`` leaves islands without neighbours (warning).  Links are
        symmetric and recorded in the recipe (``islands_found``, ``links``).
        In the bundled (AMap) city shapes Sansha (460300) is the only city
        without a land neighbour; Zhoushan (330900) touches Shanghai's
        boundary, and Hainan's cities form their own component, which the
        ``"guangdong"`` rules bridge.
    points : "capitals" or "centroids", optional
        Coordinates used by the nearest-unit rule (default capitals for
        provinces, centroids for cities).
    standardize : {"row", "spectral", "none"}

    Returns
    -------
    WeightsGraph

    Raises
    ------
    IdMismatchError
        Unknown or duplicated ids, ids missing from the shapes.

    Examples
    --------
    >>> from spatialnqpf import weights
    >>> w = weights.contiguity()                      # 31 provinces, queen, Hainan-Guangdong
    >>> sorted(w.neighbors[46])
    [44]
    >>> w30 = weights.contiguity(ids=[c for c in w.unique_ids if c != 54])   # without Tibet
    >>> print(w.recipe.name)
    queen contiguity (island rule guangdong), row

    References
    ----------
    Anselin, L. (1988). *Spatial Econometrics: Methods and Models*. Kluwer, ch. 3.
    """
    if islands not in ISLAND_RULES:
        raise SpatialNQPFError(f"islands must be one of {ISLAND_RULES}, got {islands!r}")
    if points not in (None, "capitals", "centroids"):
        raise SpatialNQPFError(f"contiguity: points must be 'capitals' or 'centroids', got {points!r}")
    std = _canonical_std(standardize)
    idx = _resolve_ids(ids, level)
    m = _land_contiguity(level, bool(rook), tuple(idx.tolist())).copy()
    n_nb = np.diff(m.indptr)
    found = idx[n_nb == 0].tolist()
    links: list[tuple[int, int]] = []
    notes: list[str] = []
    pts_choice = points or ("capitals" if level == "province" else "centroids")
    used_nearest = False
    if level in ("city", "county") and islands in ("guangdong", "guangdong+guangxi"):
        # Hainan's cities (counties) touch each other but not the mainland: bridge the strait
        pos = {c: k for k, c in enumerate(idx)}
        bridge = _CITY_HAINAN_LINKS if level == "city" else _COUNTY_HAINAN_LINKS
        for a, b in bridge[islands]:
            if a in pos and b in pos and m[pos[a], pos[b]] == 0:
                links.append((a, b))
    if found and islands != "keep":
        pos = {c: k for k, c in enumerate(idx)}
        remaining = list(found)
        if islands in ("guangdong", "guangdong+guangxi") and level == "province":
            rule = [(HAINAN, GUANGDONG)] + ([(HAINAN, GUANGXI)] if islands == "guangdong+guangxi" else [])
            for a, b in rule:
                if a in pos and a in remaining:
                    if b not in pos:
                        notes.append(f"island rule {islands!r}: partner {b} of {a} is not among the ids; "
                                     f"{a} linked to its nearest unit instead")
                        continue
                    links.append((a, b))
            done = {a for a, _ in links}
            remaining = [c for c in remaining if c not in done]
        elif islands in ("guangdong", "guangdong+guangxi"):
            # city level: a Haikou isolated by a subset is bridged by the strait rule above
            done = {a for a, _ in links}
            remaining = [c for c in remaining if c not in done]
        if remaining:
            used_nearest = True
            coords, _ = resolve_points(pts_choice, idx, level)
            lon, lat = coords["lon"].to_numpy(), coords["lat"].to_numpy()
            for c in remaining:
                i = pos[c]
                d = K.haversine(lon[i], lat[i], lon, lat)
                d[i] = np.inf
                j = int(np.argmin(d))
                links.append((c, int(idx[j])))
            if islands != "nearest":
                msg = (f"island(s) {format_values(remaining)} not covered by the rule {islands!r} "
                       f"were linked to their nearest unit by {pts_choice}")
                notes.append(msg)
                warnings.warn(msg, UserWarning, stacklevel=2)
    elif found:
        msg = f"contiguity islands kept without neighbours: {format_values(found)}"
        notes.append(msg)
        warnings.warn(msg, UserWarning, stacklevel=2)
    if links:
        pos = {c: k for k, c in enumerate(idx)}
        m = m.tolil()
        for a, b in links:
            m[pos[a], pos[b]] = 1.0
            m[pos[b], pos[a]] = 1.0
        m = m.tocsr()
    from scipy.sparse.csgraph import connected_components

    ncomp, lab = connected_components(m, directed=False)
    if ncomp > 1:
        sizes = np.bincount(lab)
        main = int(np.argmax(sizes))
        detached = [idx[lab == k].tolist() for k in range(ncomp) if k != main]
        notes.append(f"{ncomp} connected components; detached from the largest: {detached}")
    recipe = Recipe(kind="contiguity", level=level,
                    params=(("rook", bool(rook)),),
                    islands=islands, islands_found=tuple(found), links=tuple(links),
                    points=pts_choice if used_nearest else None,
                    notes=tuple(notes),
                    )
    return WeightsGraph._from_raw(m, idx, recipe, std)


# ---------------------------------------------------------------------------
# distance and knn

_TRANSFORMS = ("inverse", "exponential", "binary")


def distance(ids=None, points=None, decay: str = "inverse", power: float = 1.0,
             cutoff: float | None = None, bandwidth: float | None = None,
             level: str = "province", standardize: str = "row") -> WeightsGraph:
    r"""Great-circle distance weights between capitals, centroids or user points.

    Distances are haversine distances on a sphere of radius R = 6371 km:

    .. math::
        d_{ij} = 2R \arcsin\sqrt{\sin^2\tfrac{\Delta\varphi}{2}
                 + \cos\varphi_i\cos\varphi_j\sin^2\tfrac{\Delta\lambda}{2}}

    and the weights are (``decay``, the distance-decay function; recorded in the recipe
    under its historical key ``transform``)

    * ``"inverse"``: :math:`w_{ij} = d_{ij}^{-p}` (``power`` p; 1 = inverse
      distance, 2 = inverse squared distance);
    * ``"exponential"``: :math:`w_{ij} = \exp(-d_{ij}/\delta)` (``bandwidth`` δ, km);
    * ``"binary"``: :math:`w_{ij} = 1` (needs ``cutoff``: a distance band);

    with :math:`w_{ii} = 0`, and :math:`w_{ij} = 0` when :math:`d_{ij} >`
    ``cutoff`` (km).  Without a cutoff the matrix is full (every pair).

    Parameters
    ----------
    ids : list of codes or names, optional
        Default: all units of ``level``.
    points : "capitals", "centroids", DataFrame or mapping, optional
        See :func:`resolve_points`.  Default: capitals for provinces,
        equal-area centroids for cities and counties (the centroid of the shipped,
        simplified polygon in the Albers projection; for a crescent-shaped unit it may lie
        outside the polygon).  With user points, ``ids`` defaults
        to their index and may be any hashable ids.
    decay, power, cutoff, bandwidth : see above.
    level : {"province", "city", "county"}
        At county level (2 848 units) give a ``cutoff``: without one the matrix has every
        pair (8.1 million links).
    standardize : {"row", "spectral", "none"}

    Raises
    ------
    DataError
        Two units at zero distance (identical coordinates), non-numeric coordinates.
    SpatialNQPFError
        A unit with no neighbour within ``cutoff`` (names it and the cutoff
        that would connect it).

    Examples
    --------
    >>> from spatialnqpf import weights
    >>> round(float(1 / weights.distance(standardize="none").dense().loc[11, 31]), 1)  # Beijing-Shanghai, km
    1067.3
    >>> w2 = weights.distance(power=2)                          # inverse squared distance, row-standardised
    >>> wx = weights.distance(decay="exponential", bandwidth=500.0, cutoff=1500.0)

    References
    ----------
    Sinnott, R. W. (1984). Virtues of the haversine. *Sky and Telescope* 68(2), 159.
    """
    if decay not in _TRANSFORMS:
        raise SpatialNQPFError(f"decay must be one of {_TRANSFORMS}, got {decay!r}")
    if decay == "exponential" and (bandwidth is None or not bandwidth > 0):
        raise SpatialNQPFError("decay='exponential' needs a positive bandwidth (km), "
                               f"got {bandwidth!r}")
    if decay == "binary" and cutoff is None:
        raise SpatialNQPFError("decay='binary' needs a cutoff (km)")
    if cutoff is not None and not cutoff > 0:
        raise SpatialNQPFError(f"cutoff must be positive (km), got {cutoff!r}")
    if decay == "inverse" and not power > 0:
        raise SpatialNQPFError(f"power must be positive, got {power!r}")
    std = _canonical_std(standardize)
    idx, coords, source, lvl = _ids_and_points(ids, points, level)
    _check_distinct(coords)
    lon, lat = coords["lon"].to_numpy(), coords["lat"].to_numpy()
    n = len(idx)
    if cutoff is None:
        d = K.pairwise_haversine(lon, lat)
        np.fill_diagonal(d, np.inf)
        rows, cols = np.nonzero(np.isfinite(d))
        dist = d[rows, cols]
    else:
        rows, cols, dist = K.band_edges(lon, lat, cutoff)
        lonely = np.setdiff1d(np.arange(n), rows)
        if lonely.size:
            nn = []
            for i in lonely:
                dd = K.haversine(lon[i], lat[i], lon, lat)
                dd[i] = np.inf
                nn.append(float(dd.min()))
            raise SpatialNQPFError(
                f"no neighbour within cutoff={cutoff} km for id(s) {format_values(idx[lonely].tolist())}; "
                f"a cutoff of at least {max(nn):.1f} km connects them all")
    w = K.distance_transform(dist, decay, power, bandwidth)
    raw = sp.csr_matrix((w, (rows, cols)), shape=(n, n))
    params = [("transform", decay)]  # recipe key kept: saved recipes stay readable
    if decay == "inverse":
        params.append(("power", float(power)))
    if decay == "exponential":
        params.append(("bandwidth", float(bandwidth)))
    params.append(("cutoff", None if cutoff is None else float(cutoff)))
    params.append(("radius_km", K.EARTH_RADIUS_KM))
    if source == "user":
        params.append(("coordinates", tuple((_plain(i), float(a), float(b))
                                            for i, a, b in zip(idx, lon, lat))))
    recipe = Recipe(kind="distance", level=lvl, params=tuple(params), points=source)
    return WeightsGraph._from_raw(raw, idx, recipe, std)


def knn(ids=None, k: int = 4, points=None, level: str = "province",
        standardize: str = "row") -> WeightsGraph:
    r"""k-nearest-neighbour weights by great-circle distance.

    :math:`w_{ij} = 1` if j is among the k units nearest to i (haversine
    distance between ``points``), else 0.  The matrix is in general not
    symmetric.  Ties at the k-th distance are broken by the order of ``ids``.

    Parameters
    ----------
    ids, points, level, standardize : as in :func:`distance`.
    k : int
        Number of neighbours, 1 <= k < n.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise SpatialNQPFError(f"k must be a positive integer, got {k!r}")
    std = _canonical_std(standardize)
    idx, coords, source, lvl = _ids_and_points(ids, points, level)
    if k >= len(idx):
        raise SpatialNQPFError(f"k={k} must be smaller than the number of units ({len(idx)})")
    _check_distinct(coords)
    rows, cols, _ = K.knn_edges(coords["lon"].to_numpy(), coords["lat"].to_numpy(), int(k))
    n = len(idx)
    raw = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    params = [("k", int(k)), ("radius_km", K.EARTH_RADIUS_KM)]
    if source == "user":
        params.append(("coordinates", tuple((_plain(i), float(a), float(b))
                                            for i, a, b in zip(idx, coords["lon"], coords["lat"]))))
    recipe = Recipe(kind="knn", level=lvl, params=tuple(params), points=source)
    return WeightsGraph._from_raw(raw, idx, recipe, std)


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def _ids_and_points(ids, points, level):
    if points is None:
        points = "capitals" if level == "province" else "centroids"
    if isinstance(points, str):
        idx = _resolve_ids(ids, level)
        coords, source = resolve_points(points, idx, level)
        return idx, coords, source, level
    # user points: ids are whatever the user keys them by
    if isinstance(points, Mapping):
        keys = pd.Index(list(points.keys()))
    elif isinstance(points, pd.DataFrame):
        keys = points.index
    else:
        raise SpatialNQPFError(f"points must be 'capitals', 'centroids', a DataFrame or a mapping; "
                               f"got {type(points).__name__}")
    if keys.has_duplicates:
        raise IdMismatchError(f"duplicated ids in points: {format_values(keys[keys.duplicated()].unique())}")
    if ids is None:
        idx = pd.Index(keys)
    else:
        idx = pd.Index(list(ids))
        if idx.has_duplicates:
            raise IdMismatchError(f"duplicated ids: {format_values(idx[idx.duplicated()].unique())}")
    if len(idx) < 2:
        raise SpatialNQPFError(f"spatial weights need at least two units, got {format_values(list(idx))}")
    coords, source = resolve_points(points, idx, level)
    return idx, coords, source, "custom"


# ---------------------------------------------------------------------------
# economic matrices

def period_means(values, column: str | None = None, *, id: str = "code", time: str = "year",
                 ids=None, years=None) -> pd.Series:
    r"""Period means :math:`\bar Y_i = \frac1T \sum_t Y_{it}` of a variable, by id.

    Parameters
    ----------
    values : DataFrame or Series
        A long panel (one row per id and year) with columns ``id``, ``time``
        and ``column``; or a Series of values indexed by id (already one
        value per id, used as the means).
    column : str
        The variable (e.g. real per-capita GDP) when ``values`` is a DataFrame.
    ids : list, optional
        Ids to keep (all of them must be present).
    years : (first, last), optional
        Inclusive period over which to average.

    Raises
    ------
    DataError
        Non-numeric or missing values (naming the id-year cells).
    PanelError
        Duplicated id-year rows; an unbalanced panel (an id-year row absent for one of the
        kept ids, named), since the means would then cover different years.
    IdMismatchError
        Requested ids absent from the values.
    """
    means, absent = _period_means(values, column, id, time, years)
    if ids is not None:
        ids = pd.Index(ids)
        missing = ids.difference(means.index)
        if len(missing):
            raise IdMismatchError(f"no values for id(s) {format_values(list(missing))}")
        means = means.loc[ids]
    _refuse_absent(absent, means.index, id, time)
    means.index.name = "id"
    means.name = "mean"
    return means


def _period_means(values, column, id, time, years):
    """(means by id, absent years by id or None).  ``absent`` is positionally aligned with
    ``means`` (same order), so it can follow a re-keying of the means (names -> codes)."""
    if isinstance(values, pd.Series):
        s = values
        if s.index.has_duplicates:
            raise IdMismatchError(f"duplicated ids in values: "
                                  f"{format_values(s.index[s.index.duplicated()].unique())}")
        num = pd.to_numeric(s, errors="coerce")
        nonnum = num.isna() & s.notna()
        if nonnum.any():
            raise DataError(f"non-numeric values for id(s) "
                            f"{format_values([(i, v) for i, v in s[nonnum].items()])}")
        bad = ~np.isfinite(num.to_numpy(dtype=float))
        if bad.any():
            raise DataError(f"missing or non-finite values for id(s) {format_values(s.index[bad].tolist())}")
        means = num.astype(float)
    elif isinstance(values, pd.DataFrame):
        if column is None:
            raise SpatialNQPFError("column= is required when values is a DataFrame")
        df = values
        if years is not None:
            if time not in df.columns:
                raise DataError(f"column {time!r} not found for years=")
            lo, hi = years
            df = df[(df[time] >= lo) & (df[time] <= hi)]
            if df.empty:
                raise DataError(f"no rows with {time} in [{lo}, {hi}]")
        df = check_panel(df, id=id, time=time if time in df.columns else None, columns=[column])
        means = df.groupby(id, sort=True)[column].mean().astype(float)
        if time in df.columns:
            all_years = sorted(df[time].unique().tolist())
            have = df.groupby(id, sort=True)[time].agg(set)
            absent = pd.Series([[y for y in all_years if y not in have[i]] for i in means.index],
                               index=means.index, dtype=object)
            return means, absent
    else:
        raise SpatialNQPFError(f"values must be a long DataFrame or a Series indexed by id, "
                               f"got {type(values).__name__}")
    return means, None


def _refuse_absent(absent, keep, id, time):
    """Refuse an unbalanced panel among the ids ``keep``: averaging a unit over fewer years
    would be silent, while a missing cell is refused (naming it)."""
    if absent is None:
        return
    sub = absent.loc[keep]
    pairs = [(i, y) for i, ys in sub.items() for y in ys]
    if pairs:
        raise PanelError(f"unbalanced panel: {len(pairs)} ({id}, {time}) pair(s) absent, so the period "
                         f"means would cover different years: {format_values(pairs)}; "
                         "pass years= or complete the panel")


def economic(values, column: str | None = None, *, id: str = "code", time: str = "year",
             ids=None, years=None, standardize: str = "row") -> WeightsGraph:
    r"""Economic-distance weights :math:`w_{ij} = 1/|\bar Y_i - \bar Y_j|`.

    :math:`\bar Y_i` is the period mean of a user variable (usually real
    per-capita GDP) for unit i (:func:`period_means`); :math:`w_{ii} = 0`.
    The matrix is full and symmetric before standardisation.

    Parameters
    ----------
    values, column, id, time, years : see :func:`period_means`.
    ids : list, optional
        Units (default: every id of ``values``, sorted).  Codes or province names.
    standardize : {"row", "spectral", "none"}

    Raises
    ------
    DataError
        Two units with equal means (the weight would be infinite): names both.

    References
    ----------
    Lin, G., Long, Z. & Wu, M. (2005). 中国经济增长的空间计量分析 [A spatial
    analysis of regional economic convergence in China]. *China Economic
    Quarterly* 4(S1), 67-82.
    """
    std = _canonical_std(standardize)
    means, absent = _period_means(values, column, id, time, years)
    means = _codes_index(means)
    if absent is not None:
        absent.index = means.index          # positional: follows the re-keying by code
    idx = _economic_ids(ids, means)
    means = means.loc[idx]
    _refuse_absent(absent, idx, id, time)
    _check_distinct_means(means)
    raw = K.economic_matrix(means.to_numpy())
    recipe = Recipe(kind="economic", level=_level_of(idx),
                    params=(("column", column), ("years", None if years is None else tuple(years)),
                            ("means", tuple((_plain(i), float(v)) for i, v in means.items()))))
    return WeightsGraph._from_raw(raw, idx, recipe, std)


def _level_of(idx) -> str:
    try:
        vals = [int(v) for v in idx]
    except (TypeError, ValueError):
        return "custom"
    if all(10 <= v <= 82 for v in vals):
        return "province"
    if all(100000 <= v <= 829999 for v in vals):
        try:
            if not set(vals) <= set(_regions().cities().index):
                if set(vals) <= set(_regions().counties().index):
                    return "county"
        except SpatialNQPFError:  # pragma: no cover - registries are part of the package
            pass
        return "city"
    return "custom"


def _economic_ids(ids, means: pd.Series) -> pd.Index:
    if ids is None:
        return pd.Index(sorted(means.index.tolist()))
    lst = list(ids)
    lvl = _level_of(means.index)
    if lvl in LEVELS and any(not _is_int(v) for v in lst):
        lst = [int(c) for c in _regions().normalize(lst, level=lvl)]
    idx = pd.Index(lst)
    if idx.has_duplicates:
        raise IdMismatchError(f"duplicated ids: {format_values(idx[idx.duplicated()].unique())}")
    missing = idx.difference(means.index)
    if len(missing):
        raise IdMismatchError(f"no values for id(s) {format_values(list(missing))}")
    return idx


def _codes_index(means: pd.Series) -> pd.Series:
    """Means keyed by province names (e.g. 北京市) are re-keyed by province code."""
    if all(_is_int(v) for v in means.index):
        return means
    coded = _regions().normalize(list(means.index), level="province", errors="coerce")
    if any(c is None or (isinstance(c, float) and np.isnan(c)) for c in coded):
        return means  # custom ids: keep them
    out = pd.Series(means.to_numpy(), index=pd.Index([int(c) for c in coded], name=means.index.name),
                    name=means.name)
    if out.index.has_duplicates:
        dup = out.index[out.index.duplicated(keep=False)]
        shown = [(lab, c) for lab, c in zip(means.index, out.index) if c in set(dup)]
        raise IdMismatchError(f"several labels name the same province: {format_values(shown)}")
    return out


def _check_distinct_means(means: pd.Series):
    v = means.to_numpy()
    order = np.argsort(v, kind="mergesort")
    sv = v[order]
    eq = np.flatnonzero(sv[1:] == sv[:-1])
    if eq.size:
        pairs = [(_plain(means.index[order[k]]), _plain(means.index[order[k + 1]]), float(sv[k]))
                 for k in eq]
        raise DataError("equal period means give an infinite economic weight 1/|Ybar_i - Ybar_j| for "
                        + "; ".join(f"ids {a} and {b} (mean {m!r})" for a, b, m in pairs))


def _same_ids(w_a, w_b, name_a: str, name_b: str) -> pd.Index:
    ia, ib = graph_ids(w_a), graph_ids(w_b)
    if set(ia) != set(ib) or len(ia) != len(ib):
        only_a, only_b = ia.difference(ib), ib.difference(ia)
        raise IdMismatchError(f"{name_a} and {name_b} have different ids: only in {name_a}: "
                              f"{format_values(list(only_a))}; only in {name_b}: {format_values(list(only_b))}")
    return ia


def recipe_of(w) -> Recipe:
    """The :class:`Recipe` of ``w``; for a plain libpysal graph, a minimal one (kind "graph")."""
    return _recipe_of(w)


def _recipe_of(w) -> Recipe:
    if isinstance(w, WeightsGraph):
        return w.recipe
    return Recipe(kind="graph", level="custom", ids=tuple(graph_ids(w).tolist()),
                  standardization=str(getattr(w, "transformation", "?")))


def nested(w_geo, w_econ, phi: float = 0.5, standardize: str = "row") -> WeightsGraph:
    r"""Nested economic-geographic weights :math:`W = \varphi W_d + (1-\varphi) W_e`.

    The two inputs are combined as they are (use the builders' default row
    standardisation so that both are on the same scale), aligned by id, and
    the sum is standardised again (``standardize``).  This is the linear
    nesting; for the product form :math:`W_d\,\mathrm{diag}(\bar Y_i/\bar Y)`
    see :func:`economic_geographic`.

    Parameters
    ----------
    w_geo, w_econ : Graph
        Geographic (e.g. :func:`distance`) and economic (:func:`economic`)
        matrices on the same ids.
    phi : float in [0, 1]
        Weight of the geographic matrix.
    standardize : {"row", "spectral", "none"}

    References
    ----------
    Shao, S., Li, X., Cao, J. & Yang, L. (2016). 中国能源效率的空间溢出效应
    [spatial spillovers of energy efficiency]. *Economic Research Journal* (in Chinese).
    """
    if not (isinstance(phi, (int, float, np.floating)) and 0 <= phi <= 1):
        raise SpatialNQPFError(f"phi must be a number in [0, 1], got {phi!r}")
    std = _canonical_std(standardize)
    idx = _same_ids(w_geo, w_econ, "w_geo", "w_econ")
    a = graph_to_sparse(w_geo, idx)
    b = graph_to_sparse(w_econ, idx)
    raw = sp.csr_matrix(float(phi) * a + (1.0 - float(phi)) * b)
    recipe = Recipe(kind="nested", level=_recipe_of(w_geo).level, params=(("phi", float(phi)),),
                    components=(_recipe_of(w_geo), _recipe_of(w_econ)))
    return WeightsGraph._from_raw(raw, idx, recipe, std)


def economic_geographic(w_dist, values, column: str | None = None, *, id: str = "code",
                        time: str = "year", years=None, standardize: str = "row") -> WeightsGraph:
    r"""Economic-geographic weights :math:`W = W_d \,\mathrm{diag}(\bar Y_1/\bar Y, \ldots, \bar Y_n/\bar Y)`.

    :math:`w_{ij} = w^d_{ij}\,\bar Y_j / \bar Y` with :math:`\bar Y_j` the
    period mean of unit j and :math:`\bar Y` the mean of the :math:`\bar Y_j`
    over the units of the matrix: a richer neighbour weighs more.  The
    result is not symmetric; it is standardised after the product.  Row
    standardisation makes the result independent of the scale of ``w_dist``.

    Parameters
    ----------
    w_dist : Graph
        Geographic matrix (usually :func:`distance`).
    values, column, id, time, years : see :func:`period_means`.
    standardize : {"row", "spectral", "none"}

    References
    ----------
    Lin, G., Long, Z. & Wu, M. (2005), *China Economic Quarterly* 4(S1), 67-82.
    """
    std = _canonical_std(standardize)
    idx = graph_ids(w_dist)
    means, absent = _period_means(values, column, id, time, years)
    means = _codes_index(means)
    if absent is not None:
        absent.index = means.index          # positional: follows the re-keying by code
    missing = idx.difference(means.index)
    if len(missing):
        raise IdMismatchError(f"no values for id(s) {format_values(list(missing))} of w_dist")
    means = means.loc[idx]
    _refuse_absent(absent, idx, id, time)
    if (means <= 0).any():
        raise DataError(f"economic-geographic weights need positive means; got "
                        f"{format_values([(i, v) for i, v in means[means <= 0].items()])}")
    a = graph_to_sparse(w_dist, idx)
    ratio = means.to_numpy() / means.mean()
    raw = sp.csr_matrix(a @ sp.diags(ratio))
    recipe = Recipe(kind="economic_geographic", level=_recipe_of(w_dist).level,
                    params=(("column", column), ("years", None if years is None else tuple(years)),
                            ("means", tuple((_plain(i), float(v)) for i, v in means.items()))),
                    components=(_recipe_of(w_dist),))
    return WeightsGraph._from_raw(raw, idx, recipe, std)


def standardize(w, standardize: str = "row") -> WeightsGraph:
    """Standardise any weights (``"row"``, ``"spectral"``, ``"none"``).

    For spatialnqpf weights this recomputes from the unstandardised weights;
    for plain libpysal graphs the current weights are taken as the raw ones.
    """
    if isinstance(w, WeightsGraph):
        return w.standardize(standardize)
    ids = graph_ids(w)
    raw = graph_to_sparse(w, ids)
    return WeightsGraph._from_raw(raw, ids, _recipe_of(w), standardize)


# ---------------------------------------------------------------------------
# rebuild from recipe: spatialnqpf.weights.registry (BUILDERS[kind].from_recipe)

