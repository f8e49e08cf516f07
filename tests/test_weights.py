"""Tests of spatialnqpf.weights builders (contiguity, distance, knn, economic, nested).

References used (each test says which):

* TRUE_QUEEN below: the land borders of China's 31 mainland provinces written out by hand from
  the administrative map (independent of the bundled shapes), plus the Hainan-Guangdong link.
* tests/reference/weights_spdep.R and its outputs weights_spdep_*.csv: R spdep 1.2.7
  ``poly2nb`` / ``nb2listw(style="W")`` / ``knearneigh(longlat=TRUE)`` on the same shapes and capitals.
* spatialnqpf._shapes.full_resolution_adjacency: queen pairs of the full-resolution source
  polygons stored at build time by the shapes engineer (a different geometry, same borders).
* tests/reference/weights_geosphere.R and its outputs: R geosphere::distHaversine (r = 6371 km)
  distances between the capitals, and nested / economic-geographic matrices built in base R.
* Plain numpy transcriptions in this file (spherical law of cosines instead of haversine, brute
  force argsort for knn, explicit formulas for economic, nested and economic-geographic matrices,
  numpy.linalg.eigvals for the spectral radius).
* docs/methods/weights.md §2 / issue 3 anchors: Beijing-Shanghai 1067.3 km, Guangzhou-Haikou 459.6 km.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from spatialnqpf import weights as W
from spatialnqpf._validation import DataError, IdMismatchError, PanelError, SpatialNQPFError, graph_to_sparse

REF = Path(__file__).parent / "reference"
DATA = Path(__file__).parents[1] / "spatialnqpf" / "data"

# Land neighbours of every mainland province (GB/T 2260 codes), from the administrative map.
# 11 Beijing 12 Tianjin 13 Hebei 14 Shanxi 15 Inner Mongolia 21 Liaoning 22 Jilin 23 Heilongjiang
# 31 Shanghai 32 Jiangsu 33 Zhejiang 34 Anhui 35 Fujian 36 Jiangxi 37 Shandong 41 Henan 42 Hubei
# 43 Hunan 44 Guangdong 45 Guangxi 46 Hainan 50 Chongqing 51 Sichuan 52 Guizhou 53 Yunnan
# 54 Tibet 61 Shaanxi 62 Gansu 63 Qinghai 64 Ningxia 65 Xinjiang
LAND = {
    11: [12, 13],
    12: [11, 13],
    13: [11, 12, 14, 15, 21, 37, 41],
    14: [13, 15, 41, 61],
    15: [13, 14, 21, 22, 23, 61, 62, 64],
    21: [13, 15, 22],
    22: [15, 21, 23],
    23: [15, 22],
    31: [32, 33],
    32: [31, 33, 34, 37],
    33: [31, 32, 34, 35, 36],
    34: [32, 33, 36, 37, 41, 42],
    35: [33, 36, 44],
    36: [33, 34, 35, 42, 43, 44],
    37: [13, 32, 34, 41],
    41: [13, 14, 34, 37, 42, 61],
    42: [34, 36, 41, 43, 50, 61],
    43: [36, 42, 44, 45, 50, 52],
    44: [35, 36, 43, 45],
    45: [43, 44, 52, 53],
    46: [],
    50: [42, 43, 51, 52, 61],
    51: [50, 52, 53, 54, 61, 62, 63],
    52: [43, 45, 50, 51, 53],
    53: [45, 51, 52, 54],
    54: [51, 53, 63, 65],
    61: [14, 15, 41, 42, 50, 51, 62, 64],
    62: [15, 51, 61, 63, 64, 65],
    63: [51, 54, 62, 65],
    64: [15, 61, 62],
    65: [54, 62, 63],
}
TRUE_QUEEN = {k: sorted(v) for k, v in LAND.items()}
TRUE_QUEEN[46] = [44]
TRUE_QUEEN[44] = sorted(LAND[44] + [46])


def nb_lists(w):
    return {int(k): sorted(int(x) for x in v) for k, v in w.neighbors.items()}


def ref_edges(name):
    df = pd.read_csv(REF / name, comment="#")
    return {(int(a), int(b)) for a, b in zip(df.focal, df.neighbor)}


def edge_set(w):
    m = sp.coo_matrix(w.sparse)
    ids = w.unique_ids
    return {(int(ids[i]), int(ids[j])) for i, j, v in zip(m.row, m.col, m.data) if v != 0 and i != j}


# independent great-circle distance: spherical law of cosines on unit vectors (not haversine)
def gc_km(lon1, lat1, lon2, lat2, R=6371.0):
    p1 = np.array([np.cos(np.radians(lat1)) * np.cos(np.radians(lon1)),
                   np.cos(np.radians(lat1)) * np.sin(np.radians(lon1)), np.sin(np.radians(lat1))])
    p2 = np.array([np.cos(np.radians(lat2)) * np.cos(np.radians(lon2)),
                   np.cos(np.radians(lat2)) * np.sin(np.radians(lon2)), np.sin(np.radians(lat2))])
    # atan2(|p1 x p2|, p1 . p2): well conditioned at all distances
    return R * np.arctan2(np.linalg.norm(np.cross(p1, p2, axis=0), axis=0), np.sum(p1 * p2, axis=0))


@pytest.fixture(scope="module")
def capitals():
    return pd.read_csv(DATA / "capitals.csv", index_col="code").sort_index()


@pytest.fixture(scope="module")
def dist_km(capitals):
    lon, lat = capitals.lon.to_numpy(), capitals.lat.to_numpy()
    return pd.DataFrame(gc_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :]),
                        index=capitals.index, columns=capitals.index)


@pytest.fixture(scope="module")
def queen():
    return W.contiguity()


@pytest.fixture(scope="module")
def panel():
    return pd.read_csv(DATA / "nqpf_panel_2012_2022.csv")


# ---------------------------------------------------------------------------
# contiguity


class TestProvinceContiguity:
    """Reference: TRUE_QUEEN (hand-written map adjacency) and spdep poly2nb (weights_spdep_*.csv)."""

    def test_queen_equals_known_adjacency_with_hainan_rule(self, queen):
        assert list(queen.unique_ids) == sorted(TRUE_QUEEN)
        assert nb_lists(queen) == TRUE_QUEEN
        assert nb_lists(queen)[13] == [11, 12, 14, 15, 21, 37, 41]  # Hebei (issue text)
        assert nb_lists(queen)[34] == [32, 33, 36, 37, 41, 42]  # Anhui (issue text)
        assert queen.recipe.islands == "guangdong"
        assert queen.recipe.islands_found == (46,)
        assert queen.recipe.links == ((46, 44),)

    def test_rook_equals_queen_for_provinces(self):
        # no two provinces meet at a single point only (full-resolution shared borders all > 26 km)
        assert nb_lists(W.contiguity(rook=True)) == TRUE_QUEEN

    def test_matches_spdep_poly2nb(self):
        with pytest.warns(UserWarning, match="46"):
            keep = W.contiguity(islands="keep")
        assert edge_set(keep) == ref_edges("weights_spdep_province_queen.csv")
        with pytest.warns(UserWarning):
            rook = W.contiguity(islands="keep", rook=True)
        assert edge_set(rook) == ref_edges("weights_spdep_province_rook.csv")

    def test_row_standardised_equals_spdep_listw(self, queen):
        ref = pd.read_csv(REF / "weights_spdep_province_queen_hainan_W.csv", comment="#", index_col="id")
        ref.columns = ref.columns.astype(int)
        ours = graph_to_sparse(queen, ref.index).toarray()
        np.testing.assert_allclose(ours, ref.to_numpy(), rtol=0, atol=1e-15)

    def test_island_rules(self, dist_km):
        gg = W.contiguity(islands="guangdong+guangxi")
        assert nb_lists(gg)[46] == [44, 45]
        assert 46 in nb_lists(gg)[45] and 46 in nb_lists(gg)[44]
        near = W.contiguity(islands="nearest")
        d = dist_km.loc[46].drop(46)
        assert nb_lists(near)[46] == [int(d.idxmin())] == [45]  # Nanning 373.8 km < Guangzhou 459.6 km
        assert near.recipe.points == "capitals"
        with pytest.warns(UserWarning, match="46"):
            keep = W.contiguity(islands="keep")
        assert nb_lists(keep)[46] == []
        assert W.describe(keep).islands == (46,)
        assert keep.sparse[list(keep.unique_ids).index(46)].sum() == 0

    def test_subset_without_tibet_is_rebuilt(self, queen):
        ids = [c for c in TRUE_QUEEN if c != 54]
        w = W.contiguity(ids=ids)
        assert list(w.unique_ids) == ids
        expect = {k: [x for x in v if x != 54] for k, v in TRUE_QUEEN.items() if k != 54}
        assert nb_lists(w) == expect
        np.testing.assert_allclose(np.asarray(w.sparse.sum(axis=1)).ravel(), 1.0, rtol=0, atol=1e-15)
        sub = queen.subgraph(ids)
        assert (abs(sub.sparse - w.sparse) > 1e-15).nnz == 0
        assert sub.recipe.kind == "contiguity"

    def test_subset_without_guangdong_links_hainan_to_nearest(self, dist_km):
        ids = [c for c in TRUE_QUEEN if c != 44]
        with pytest.warns(UserWarning, match="46"):
            w = W.contiguity(ids=ids)
        d = dist_km.loc[46, ids].drop(46)
        assert nb_lists(w)[46] == [int(d.idxmin())]
        assert any("44" in n for n in w.recipe.notes)

    def test_names_accepted_as_ids(self):
        w = W.contiguity(ids=["北京", "天津市", "Hebei"])
        assert list(w.unique_ids) == [11, 12, 13]
        assert nb_lists(w) == {11: [12, 13], 12: [11, 13], 13: [11, 12]}


class TestCityContiguity:
    """Reference: spdep poly2nb on the city shapes; full-resolution adjacency of the source polygons."""

    @pytest.fixture(scope="class")
    def city_keep(self):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            w = W.contiguity(level="city", islands="keep", standardize="none")
        return w, [str(r.message) for r in rec]

    def test_matches_spdep_and_full_resolution(self, city_keep):
        from spatialnqpf import _shapes

        w, _ = city_keep
        assert edge_set(w) == ref_edges("weights_spdep_city_queen.csv")
        full = _shapes.full_resolution_adjacency("city")
        assert edge_set(w) == set(zip(full.focal.astype(int), full.neighbor.astype(int)))

    def test_islands_reported(self, city_keep):
        w, msgs = city_keep
        assert w.recipe.islands_found == (460300,)  # Sansha: the only city without a land neighbour
        assert any("460300" in m for m in msgs)
        assert any("components" in n for n in w.recipe.notes)  # Hainan's cities form their own component

    def test_default_rule_bridges_hainan_and_links_sansha(self):
        with pytest.warns(UserWarning, match="460300"):
            w = W.contiguity(level="city")
        d = W.describe(w)
        assert d.islands == () and d.n_components == 1
        links = set(w.recipe.links)
        assert (460100, 440800) in links  # Haikou - Zhanjiang
        assert any(a == 460300 for a, _ in links)
        np.testing.assert_allclose(np.asarray(w.sparse.sum(axis=1)).ravel(), 1.0, rtol=0, atol=1e-15)


# ---------------------------------------------------------------------------
# distance and knn


class TestDistance:
    """Reference: issue-3 anchors; numpy spherical law of cosines (gc_km) on capitals.csv."""

    def test_anchor_distances(self):
        w = W.distance(standardize="none")
        d = w.dense()
        assert abs(1 / d.loc[11, 31] - 1067.3) <= 0.5  # Beijing - Shanghai
        assert abs(1 / d.loc[44, 46] - 459.6) <= 0.5  # Guangzhou - Haikou
        assert W.haversine(116.405285, 39.904989, 121.472644, 31.231706) == pytest.approx(1067.2966, abs=1e-3)

    def test_distances_equal_r_geosphere(self):
        ref = pd.read_csv(REF / "weights_geosphere_capitals_km.csv", comment="#", index_col="id")
        ref.columns = ref.columns.astype(int)
        w = W.distance(standardize="none")
        got = graph_to_sparse(w, ref.index).toarray()
        d = ref.to_numpy()
        off = ~np.eye(31, dtype=bool)
        np.testing.assert_allclose(1 / got[off], d[off], rtol=1e-12)
        assert ref.loc[11, 31] == pytest.approx(1067.3, abs=0.5) and ref.loc[44, 46] == pytest.approx(459.6, abs=0.5)

    def test_inverse_distance_equals_numpy(self, dist_km):
        w = W.distance(standardize="none")
        d = dist_km.to_numpy()
        expect = np.where(np.eye(31, dtype=bool), 0.0, 1 / np.where(d == 0, 1, d))
        got = graph_to_sparse(w, dist_km.index).toarray()
        np.testing.assert_allclose(got, expect, rtol=1e-12, atol=0)
        assert np.all(np.diag(got) == 0)
        assert np.array_equal(got, got.T)  # exactly symmetric

    @pytest.mark.parametrize("kw, f", [
        ({"decay": "inverse", "power": 2}, lambda d: d ** -2.0),
        ({"decay": "exponential", "bandwidth": 500.0}, lambda d: np.exp(-d / 500.0)),
        ({"decay": "inverse", "cutoff": 1600.0}, lambda d: np.where(d <= 1600.0, 1 / d, 0.0)),
        ({"decay": "binary", "cutoff": 1500.0}, lambda d: (d <= 1500.0).astype(float)),
    ])
    def test_transforms_equal_numpy(self, dist_km, kw, f):
        w = W.distance(standardize="none", **kw)
        d = dist_km.to_numpy().copy()
        np.fill_diagonal(d, np.inf)
        expect = f(d)
        np.fill_diagonal(expect, 0.0)
        got = graph_to_sparse(w, dist_km.index).toarray()
        np.testing.assert_allclose(got, expect, rtol=1e-12, atol=1e-300)

    def test_row_standardised(self, dist_km):
        w = W.distance()
        d = dist_km.to_numpy().copy()
        np.fill_diagonal(d, np.inf)
        expect = (1 / d) / (1 / d).sum(axis=1, keepdims=True)
        np.testing.assert_allclose(graph_to_sparse(w, dist_km.index).toarray(), expect, rtol=1e-12)

    def test_cutoff_that_isolates_a_unit_is_an_error(self):
        with pytest.raises(SpatialNQPFError, match=r"54.*65|65.*54"):
            W.distance(cutoff=600.0)  # Lhasa and Urumqi are > 600 km from every other capital

    def test_user_points_and_zero_distance(self):
        pts = pd.DataFrame({"lon": [0.0, 1.0, 0.0], "lat": [0.0, 0.0, 1.0]}, index=["a", "b", "c"])
        w = W.distance(points=pts, standardize="none")
        assert list(w.unique_ids) == ["a", "b", "c"]
        assert 1 / w.dense().loc["a", "b"] == pytest.approx(6371.0 * np.pi / 180, rel=1e-12)
        dup = pd.DataFrame({"lon": [0.0, 1.0, 0.0], "lat": [0.0, 0.0, 0.0]}, index=["a", "b", "c"])
        with pytest.raises(DataError, match=r"zero distance.*'a', 'c'"):
            W.distance(points=dup)

    def test_centroids(self, dist_km):
        w = W.distance(points="centroids", standardize="none")
        assert "equal-area" in w.recipe.points
        # equal-area centroid of Beijing is within ~60 km of Tiananmen; of Shanghai within ~40 km
        d = 1 / w.dense().loc[11, 31]
        assert abs(d - dist_km.loc[11, 31]) < 100


class TestKnn:
    """Reference: numpy brute-force argsort of gc_km; spdep knearneigh(k=4, longlat=TRUE)."""

    @pytest.mark.parametrize("k", [1, 4, 6])
    def test_equals_numpy(self, dist_km, k):
        w = W.knn(k=k, standardize="none")
        d = dist_km.to_numpy().copy()
        np.fill_diagonal(d, np.inf)
        expect = np.zeros_like(d)
        for i in range(31):
            expect[i, np.argsort(d[i], kind="stable")[:k]] = 1
        np.testing.assert_array_equal(graph_to_sparse(w, dist_km.index).toarray(), expect)
        assert W.describe(w).n_asymmetric == int((expect != expect.T).sum())

    def test_random_points_and_ties_equal_numpy(self):
        # n = 600 random points (the KD-tree candidate path) and a regular grid full of exact ties;
        # reference: brute-force stable argsort of the law-of-cosines distances (ties -> lower position)
        rng = np.random.default_rng(7)
        grid = np.meshgrid(np.arange(15.0), np.arange(15.0))
        for lon, lat, k in ((rng.uniform(75, 135, 600), rng.uniform(18, 53, 600), 5),
                            (100 + 0.01 * grid[0].ravel(), 0.01 * grid[1].ravel(), 4)):
            pts = pd.DataFrame({"lon": lon, "lat": lat})
            w = W.knn(points=pts, k=k, standardize="none")
            d = gc_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
            np.fill_diagonal(d, np.inf)
            d = np.round(d, 9)  # make float-level ties exact ties, as on the grid
            expect = np.zeros_like(d)
            for i in range(len(lon)):
                expect[i, np.argsort(d[i], kind="stable")[:k]] = 1
            np.testing.assert_array_equal(graph_to_sparse(w, pts.index).toarray(), expect)

    def test_neighbour_sets_match_spdep(self):
        assert edge_set(W.knn(k=4)) == ref_edges("weights_spdep_knn4_capitals.csv")

    def test_bad_k(self):
        with pytest.raises(SpatialNQPFError, match="k=31"):
            W.knn(k=31)
        with pytest.raises(SpatialNQPFError, match="positive integer"):
            W.knn(k=0)


# ---------------------------------------------------------------------------
# economic, nested, economic-geographic


class TestEconomic:
    """Reference: numpy transcription of 1/|Ybar_i - Ybar_j| on the demo panel (gdp, 2012-2022)."""

    def test_equals_numpy(self, panel):
        w = W.economic(panel, column="gdp", standardize="none")
        ybar = panel.groupby("code")["gdp"].mean().sort_index()
        diff = np.abs(ybar.to_numpy()[:, None] - ybar.to_numpy()[None, :])
        expect = np.where(np.eye(31, dtype=bool), 0.0, 1 / np.where(diff == 0, 1, diff))
        np.testing.assert_allclose(graph_to_sparse(w, ybar.index).toarray(), expect, rtol=1e-13)
        wr = W.economic(panel, column="gdp")
        np.testing.assert_allclose(graph_to_sparse(wr, ybar.index).toarray(),
                                   expect / expect.sum(1, keepdims=True), rtol=1e-13)

    def test_years_and_ids(self, panel):
        w = W.economic(panel, column="gdp", years=(2015, 2019), ids=["北京", "上海", "广东"],
                       standardize="none")
        sub = panel[(panel.year >= 2015) & (panel.year <= 2019)]
        ybar = sub.groupby("code")["gdp"].mean()
        assert list(w.unique_ids) == [11, 31, 44]
        assert w.dense().loc[11, 44] == pytest.approx(1 / abs(ybar[11] - ybar[44]), rel=1e-13)

    def test_panel_keyed_by_chinese_names(self, panel):
        by_name = panel.drop(columns="code").rename(columns={"name_cn": "province"})
        w = W.economic(by_name, column="gdp", id="province", standardize="none")
        ref = W.economic(panel, column="gdp", standardize="none")
        assert list(w.unique_ids) == list(ref.unique_ids)
        np.testing.assert_array_equal(w.sparse.toarray(), ref.sparse.toarray())
        wg = W.economic_geographic(W.distance(), by_name, column="gdp", id="province")
        np.testing.assert_array_equal(wg.sparse.toarray(),
                                      W.economic_geographic(W.distance(), panel, column="gdp").sparse.toarray())
        two = pd.Series({"北京": 1.0, "北京市": 2.0, "天津": 3.0})
        with pytest.raises(IdMismatchError, match="same province"):
            W.economic(two)

    def test_equal_means_named(self):
        vals = pd.Series({11: 1.0, 12: 2.0, 13: 2.0, 14: 3.0})
        with pytest.raises(DataError, match=r"12 and 13"):
            W.economic(vals)

    def test_nan_non_numeric_and_duplicates(self, panel):
        bad = panel.copy()
        bad.loc[(bad.code == 35) & (bad.year == 2016), "gdp"] = np.nan
        with pytest.raises(DataError, match=r"\(35, 2016\)"):
            W.economic(bad, column="gdp")
        txt = panel[["code", "year", "gdp"]].copy().astype({"gdp": object})
        txt.loc[(txt.code == 42) & (txt.year == 2020), "gdp"] = "n/a"
        with pytest.raises(DataError, match="not numeric"):
            W.economic(txt, column="gdp")
        dup = pd.concat([panel, panel[(panel.code == 11) & (panel.year == 2012)]])
        with pytest.raises(PanelError, match=r"\(11, 2012\)"):
            W.economic(dup, column="gdp")
        with pytest.raises(DataError, match="'x'"):
            W.economic(pd.Series({11: 1.0, 12: "x"}))
        with pytest.raises(IdMismatchError, match="99"):
            W.economic(panel, column="gdp", ids=[11, 99])

    def test_unbalanced_panel_refused_not_averaged_over_fewer_years(self, panel):
        """Regression: a deleted (id, year) row was averaged silently over the remaining
        years (Tibet's mean over 10 years, everyone else's over 11), while the same gap
        as a NaN cell is refused.  Now refused, naming the pair; ids or years that avoid
        the gap still work and equal the numpy period means (independent transcription)."""
        gap = panel[~((panel.code == 54) & (panel.year == 2013))]
        for call in (lambda: W.economic(gap, column="gdp"),
                     lambda: W.period_means(gap, "gdp"),
                     lambda: W.economic_geographic(W.distance(), gap, column="gdp")):
            with pytest.raises(PanelError, match=r"\(54, 2013\)"):
                call()
        w = W.economic(gap, column="gdp", ids=[11, 31, 44], standardize="none")
        ybar = panel.groupby("code")["gdp"].mean()
        assert w.dense().loc[11, 44] == pytest.approx(1 / abs(ybar[11] - ybar[44]), rel=1e-13)
        late = W.period_means(gap, "gdp", years=(2014, 2022))
        expect = panel[panel.year >= 2014].groupby("code")["gdp"].mean()
        np.testing.assert_allclose(late.loc[expect.index], expect, rtol=1e-13)


class TestCombined:
    """Reference: numpy formulas phi*Wd + (1-phi)*We and Wd diag(Ybar_i / Ybar), then row-standardise."""

    def test_nested(self, panel):
        wd, we = W.distance(), W.economic(panel, column="gdp")
        ids = wd.unique_ids
        a, b = graph_to_sparse(wd, ids).toarray(), graph_to_sparse(we, ids).toarray()
        for phi in (0.5, 0.3):
            w = W.nested(wd, we, phi=phi)
            m = phi * a + (1 - phi) * b
            np.testing.assert_allclose(graph_to_sparse(w, ids).toarray(), m / m.sum(1, keepdims=True),
                                       rtol=1e-13)
        assert w.recipe.kind == "nested" and w.recipe.param("phi") == 0.3
        assert [c.kind for c in w.recipe.components] == ["distance", "economic"]
        with pytest.raises(SpatialNQPFError, match="phi"):
            W.nested(wd, we, phi=1.5)

    def test_nested_and_economic_geographic_equal_r(self, panel):
        # reference: tests/reference/weights_geosphere.R (base R on geosphere distances)
        for fname, w in (("weights_r_nested_gdp.csv", W.nested(W.distance(), W.economic(panel, column="gdp"))),
                         ("weights_r_econgeo_gdp.csv",
                          W.economic_geographic(W.distance(standardize="none"), panel, column="gdp"))):
            ref = pd.read_csv(REF / fname, comment="#", index_col="id")
            np.testing.assert_allclose(graph_to_sparse(w, ref.index).toarray(), ref.to_numpy(),
                                       rtol=1e-12, atol=1e-15)

    def test_nested_requires_same_ids(self, panel):
        wd = W.distance(ids=[c for c in TRUE_QUEEN if c != 54])
        we = W.economic(panel, column="gdp")
        with pytest.raises(IdMismatchError, match="54"):
            W.nested(wd, we)

    def test_economic_geographic(self, panel, dist_km):
        wd = W.distance(standardize="none")
        w = W.economic_geographic(wd, panel, column="gdp")
        ybar = panel.groupby("code")["gdp"].mean().loc[dist_km.index].to_numpy()
        d = dist_km.to_numpy().copy()
        np.fill_diagonal(d, np.inf)
        m = (1 / d) @ np.diag(ybar / ybar.mean())
        expect = m / m.sum(1, keepdims=True)
        np.testing.assert_allclose(graph_to_sparse(w, dist_km.index).toarray(), expect, rtol=1e-12)
        # distinct from the nested form and not symmetric
        assert W.describe(w).symmetric is False
        assert w.recipe.kind == "economic_geographic"
        # row standardisation makes the result independent of the scale of w_dist
        w2 = W.economic_geographic(W.distance(), panel, column="gdp")
        np.testing.assert_allclose(w2.sparse.toarray(), w.sparse.toarray(), rtol=1e-12)


# ---------------------------------------------------------------------------
# standardisation, graph behaviour, recipe


class TestStandardisation:
    """Reference: numpy row sums and numpy.linalg.eigvals."""

    def test_row_sums_one(self, queen, panel):
        for w in (queen, W.distance(), W.knn(), W.economic(panel, column="gdp")):
            np.testing.assert_allclose(np.asarray(w.sparse.sum(axis=1)).ravel(), 1.0, rtol=0, atol=1e-14)

    def test_spectral_radius_one(self, queen):
        for w in (queen.standardize("spectral"), W.distance(standardize="spectral"),
                  W.knn(k=3, standardize="spectral")):
            ev = np.linalg.eigvals(w.sparse.toarray())
            assert np.max(np.abs(ev)) == pytest.approx(1.0, abs=1e-12)
            assert w.recipe.standardization == "spectral" and w.recipe.scale > 0
        raw = W.contiguity(standardize="none").sparse.toarray()
        s = queen.standardize("spectral")
        np.testing.assert_allclose(s.sparse.toarray(), raw / np.max(np.abs(np.linalg.eigvals(raw))),
                                   rtol=1e-13)

    def test_spectral_radius_large_sparse(self, monkeypatch):
        # hand-worked: the cycle graph C_n has eigenvalues 2cos(2 pi j / n), spectral radius 2;
        # the dense limit is lowered so that n = 400 takes the ARPACK path
        from spatialnqpf.weights import _graph

        monkeypatch.setattr(_graph, "DENSE_EIG_MAX", 100)
        n = 400
        i = np.arange(n)
        c = sp.csr_matrix((np.ones(2 * n), (np.r_[i, i], np.r_[(i + 1) % n, (i - 1) % n])), shape=(n, n))
        assert W.spectral_radius(c) == pytest.approx(2.0, rel=1e-10)
        # directed cycle: eigenvalues are the n-th roots of unity (all of modulus 1; ARPACK cannot
        # separate them, the Perron-Frobenius equal-row-sum rule gives 1 exactly)
        directed = sp.csr_matrix((np.ones(n), (i, (i + 1) % n)), shape=(n, n))
        assert W.spectral_radius(directed) == 1.0
        # a non-symmetric, non-constant-row-sum case: weighted path, against numpy.linalg.eigvals
        rng = np.random.default_rng(0)
        a = sp.random(n, n, density=0.01, random_state=rng, format="csr")
        a = a + sp.eye(n, k=1)
        assert W.spectral_radius(a) == pytest.approx(np.max(np.abs(np.linalg.eigvals(a.toarray()))),
                                                     rel=1e-9)

    def test_none_is_binary_contiguity(self, queen):
        raw = W.contiguity(standardize="none")
        assert set(np.unique(raw.sparse.data)) == {1.0}
        assert (abs(queen.standardize("none").sparse - raw.sparse)).nnz == 0

    def test_transform_keeps_recipe_and_libpysal_codes(self, queen):
        b = queen.transform("B")
        assert isinstance(b, W.WeightsGraph) and b.recipe.islands == "guangdong"
        assert set(np.unique(b.sparse.data)) == {1.0}
        r = b.transform("r")
        assert r.recipe.standardization == "row" and r.transformation == "R"
        np.testing.assert_array_equal(r.sparse.toarray(), queen.sparse.toarray())
        with pytest.raises(SpatialNQPFError, match="standardize"):
            W.distance(standardize="minmax")


class TestGraphBehaviour:
    """The weights are libpysal Graphs keyed by code and immutable."""

    def test_is_libpysal_graph_and_aligns_by_id(self, queen):
        from libpysal.graph import Graph

        assert isinstance(queen, Graph)
        ids = list(queen.unique_ids)[::-1]
        m = graph_to_sparse(queen, ids).toarray()
        assert m[ids.index(46), ids.index(44)] == 1.0
        y = pd.Series(np.arange(31.0), index=queen.unique_ids)
        np.testing.assert_allclose(queen.lag(y.to_numpy()), queen.sparse @ y.to_numpy())

    def test_lag_aligns_series_by_id(self, queen):
        # reference: numpy W @ y in the weights' order
        y = pd.Series(np.arange(31.0) ** 2, index=queen.unique_ids, name="y")
        expect = queen.sparse @ y.to_numpy()
        shuffled = y.sample(frac=1.0, random_state=1)
        lagged = queen.lag(shuffled)
        assert list(lagged.index) == list(shuffled.index) and lagged.name == "W_y"
        np.testing.assert_allclose(lagged.loc[queen.unique_ids].to_numpy(), expect, rtol=1e-14)
        assert lagged.loc[46] == y.loc[44]  # Hainan's only neighbour is Guangdong
        with pytest.raises(IdMismatchError, match="99"):
            queen.lag(y.rename(index={11: 99}))
        np.testing.assert_allclose(queen.lag(y.to_numpy()), expect, rtol=1e-14)

    def test_to_frame_and_libpysal_summary(self, queen):
        f = queen.to_frame()
        assert list(f.columns) == ["focal", "neighbor", "weight"] and len(f) == 138
        assert f.query("focal == 46").neighbor.tolist() == [44]
        # summary() stays libpysal's (esda reads s0, s1, s2 from it); reference: numpy S0, S1
        m = queen.sparse.toarray()
        assert queen.summary().s0 == pytest.approx(m.sum())
        assert queen.summary().s1 == pytest.approx(0.5 * ((m + m.T) ** 2).sum())

    def test_immutable(self, queen):
        with pytest.raises(AttributeError):
            queen.transformation = "B"
        with pytest.raises(AttributeError):
            queen._recipe = None
        with pytest.raises(dataclass_error()):
            queen.recipe.kind = "knn"
        raw = queen.raw
        raw[0, 1] = 99.0
        assert queen.raw[0, 1] != 99.0


def dataclass_error():
    import dataclasses

    return dataclasses.FrozenInstanceError


class TestRecipe:
    """Round trips of the recipe (JSON) and rebuilding each builder from it."""

    def test_printable(self, queen):
        text = str(queen.recipe)
        assert "island rule: guangdong" in text and "(46, 44)" in text and "standardisation: row" in text
        assert "libpysal" in text

    def test_one_line_names(self, queen, panel):
        assert queen.recipe.name == "queen contiguity (island rule guangdong), row"
        assert W.distance(power=2, standardize="spectral").recipe.name == "inverse distance^2, capitals, spectral"
        n = W.nested(W.distance(), W.economic(panel, column="gdp"), phi=0.5).recipe.name
        assert n == "nested 0.5*[inverse distance, capitals, row] + 0.5*[economic distance (gdp), row], row"

    def test_json_round_trip_and_rebuild(self, queen, panel):
        pts = {"a": (100.0, 30.0), "b": (101.0, 31.0), "c": (103.0, 29.5)}
        built = [queen, W.contiguity(islands="nearest", rook=True, standardize="spectral"),
                 W.distance(decay="exponential", bandwidth=300.0), W.knn(k=3, standardize="none"),
                 W.distance(points=pts), W.economic(panel, column="gdp", years=(2013, 2020)),
                 W.nested(W.distance(), W.economic(panel, column="gdp"), phi=0.4),
                 W.economic_geographic(W.distance(), panel, column="gdp", standardize="spectral")]
        for w in built:
            r = W.Recipe.from_json(w.recipe.to_json())
            assert r == w.recipe
            again = r.rebuild()
            assert list(again.unique_ids) == list(w.unique_ids)
            assert abs(again.sparse - w.sparse).max() <= 1e-15 * max(1.0, abs(w.sparse).max())
            assert again.recipe.kind == w.recipe.kind


# ---------------------------------------------------------------------------
# bad input and describe


class TestBadInput:
    def test_unknown_and_duplicate_ids(self):
        with pytest.raises(IdMismatchError, match=r"unknown province id\(s\): 99"):
            W.contiguity(ids=[11, 12, 99])
        with pytest.raises(IdMismatchError, match=r"duplicated ids: 11"):
            W.distance(ids=[11, "北京", 12])
        with pytest.raises(IdMismatchError, match="81"):
            W.knn(ids=[11, 12, 13, 44, 81], k=2)  # Hong Kong is excluded by default
        with pytest.raises(Exception, match="火星"):
            W.contiguity(ids=["北京", "火星"])

    def test_six_digit_integer_province_codes(self):
        """Regression: six-digit GB/T 2260 province codes as ints (110000 = Beijing, as in
        many yearbook files) were refused as unknown ids while the same codes as strings
        ("110000") were accepted via regions.normalize.  Reference: GB/T 2260 (110000 -> 11,
        440000 -> 44, hand-checked); the matrix must equal the two-digit build."""
        six = [110000, 120000, 130000, 440000, 450000, 460000]
        two = [11, 12, 13, 44, 45, 46]
        a = W.contiguity(ids=np.array(six, dtype=np.int64))
        b = W.contiguity(ids=two)
        assert list(a.unique_ids) == two
        np.testing.assert_array_equal(a.sparse.toarray(), b.sparse.toarray())
        assert list(W.knn(ids=six, k=2).unique_ids) == two
        with pytest.raises(IdMismatchError, match=r"duplicated ids: 11"):
            W.distance(ids=[11, 110000, 12])

    def test_single_unit_refused(self):
        with pytest.raises(SpatialNQPFError, match="at least two units"):
            W.contiguity(ids=[46])
        with pytest.raises(SpatialNQPFError, match="at least two units"):
            W.distance(points={"a": (1.0, 2.0)})

    def test_ids_missing_from_shapes(self, monkeypatch):
        from spatialnqpf import _shapes

        full = _shapes.load_provinces()
        from spatialnqpf.weights import _api

        monkeypatch.setattr(_shapes, "load_provinces", lambda include_sar=False: full.drop(index=[54, 65]))
        _api._land_contiguity.cache_clear()  # the land adjacency is cached per (level, rook, ids)
        try:
            with pytest.raises(IdMismatchError, match=r"missing from the bundled province shapes: 54, 65"):
                W.contiguity()
        finally:
            _api._land_contiguity.cache_clear()

    def test_bad_options(self):
        with pytest.raises(SpatialNQPFError, match="islands"):
            W.contiguity(islands="hainan")
        with pytest.raises(SpatialNQPFError, match="bandwidth"):
            W.distance(decay="exponential")
        with pytest.raises(SpatialNQPFError, match="cutoff"):
            W.distance(decay="binary")
        with pytest.raises(SpatialNQPFError, match="capitals"):
            W.distance(level="city", points="capitals", ids=[110100, 120100])
        with pytest.raises(DataError, match="'b'"):
            W.distance(points=pd.DataFrame({"lon": [1.0, np.nan], "lat": [2.0, 3.0]}, index=["a", "b"]))


class TestDescribe:
    """Reference: counts from TRUE_QUEEN; numpy."""

    def test_queen(self, queen):
        d = W.describe(queen)
        n_links = sum(len(v) for v in TRUE_QUEEN.values())
        assert (d.n, d.n_links) == (31, n_links) == (31, 138)
        assert d.mean_neighbors == pytest.approx(138 / 31)
        assert (d.min_neighbors, d.max_neighbors) == (1, 8)
        assert d.islands == () and d.n_components == 1 and d.links_symmetric and not d.symmetric
        assert W.describe(queen.standardize("none")).symmetric
        assert d.row_sum_min == pytest.approx(1) and d.diagonal_nonzero == 0
        assert d.neighbors.loc[15] == 8 and d.neighbors.loc[46] == 1
        assert "island rule: guangdong" in d.summary()
        f = d.to_frame()
        assert f.loc["n_links", "value"] == 138 and f.loc["islands", "value"] == "none"

    def test_plain_libpysal_graph(self):
        from libpysal.graph import Graph

        # 1<->2 (weight 1), 1->3 (weight 2), 3 and 4 have no outgoing link, 4 none at all
        g = Graph.from_arrays([1, 1, 2, 3, 4], [2, 3, 1, 3, 4], [1.0, 2.0, 1.0, 0.0, 0.0])
        d = W.describe(g)
        assert d.islands == (3, 4) and d.n_components == 2 and d.component_sizes == (3, 1)
        assert not d.symmetric and not d.links_symmetric and d.n_asymmetric == 2
        assert d.max_asymmetry == 2.0 and d.recipe == ""


def test_docstring_examples_run():
    import doctest

    from spatialnqpf.weights import _api

    res = doctest.testmod(_api, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted >= 6 and res.failed == 0


def test_sar_and_level_hints():
    with pytest.raises(IdMismatchError, match="Hong Kong 81"):
        W.contiguity(ids=[44, 81])
    with pytest.raises(IdMismatchError, match="did you mean level='province'"):
        W.knn(ids=[11, 12, 13], level="city", k=1)
