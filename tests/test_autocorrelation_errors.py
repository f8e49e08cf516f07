"""Bad input and islands.

Reference for the island case: tests/reference/spdep_columbus_values.py (``ISLAND_*``),
from tests/reference/spdep_columbus.R (spdep 1.2.7, ``zero.policy=TRUE``): columbus with
the links of unit 1005 removed.  rtol 1e-8.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph

sys.path.insert(0, str(Path(__file__).parent / "reference"))
import spdep_columbus_values as R  # noqa: E402

from spatialnqpf import autocorrelation as ac  # noqa: E402
from spatialnqpf._validation import (DataError, IdMismatchError, PanelError,  # noqa: E402
                                     SpatialNQPFError)

RTOL = 1e-8


def queen(neighbours=None):
    nb = neighbours or R.NEIGHBOURS
    g = Graph.from_dicts({i: list(v) for i, v in nb.items()})
    return g.transform("r")


@pytest.fixture()
def panel():
    base = pd.DataFrame({"id": R.IDS, "CRIME": R.CRIME, "HOVAL": R.HOVAL})
    return pd.concat([base.assign(year=2020), base.assign(year=2021, CRIME=base["HOVAL"])],
                     ignore_index=True)


class TestBadInput:
    def test_nan_named(self, panel):
        panel.loc[(panel.year == 2021) & (panel.id == 1017), "CRIME"] = np.nan
        with pytest.raises(DataError, match=r"1017, 2021"):
            ac.moran_by_year(panel, "CRIME", queen(), id="id", permutations=0)
        with pytest.raises(DataError, match=r"1017, 2021"):
            ac.lisa(panel, "CRIME", queen(), id="id", permutations=0)

    def test_constant_column_names_year(self, panel):
        panel.loc[panel.year == 2021, "CRIME"] = 3.0
        for fn in (ac.moran_by_year, ac.geary_by_year, ac.getis_ord_by_year):
            with pytest.raises(DataError, match=r"constant.*2021"):
                fn(panel, "CRIME", queen(), id="id", permutations=0)
        with pytest.raises(DataError, match="constant"):
            ac.lisa(panel, "CRIME", queen(), id="id", permutations=9)

    def test_ids_not_in_weights(self, panel):
        panel.loc[(panel.year == 2021) & (panel.id == 1049), "id"] = 9999
        with pytest.raises(IdMismatchError, match=r"year 2021.*9999.*1049"):
            ac.moran_by_year(panel, "CRIME", queen(), id="id", permutations=0)

    def test_missing_unit_in_one_year(self, panel):
        panel = panel.drop(panel.index[(panel.year == 2020) & (panel.id == 1003)])
        with pytest.raises(IdMismatchError, match=r"year 2020.*weights but not in the data: 1003"):
            ac.lisa(panel, "CRIME", queen(), id="id", permutations=0)

    def test_duplicates(self, panel):
        dup = pd.concat([panel, panel.iloc[[5]]])
        with pytest.raises(PanelError, match="duplicated"):
            ac.moran_by_year(dup, "CRIME", queen(), id="id", permutations=0)

    def test_negative_for_getis_ord(self, panel):
        panel.loc[(panel.year == 2020) & (panel.id == 1004), "CRIME"] = -1.0
        with pytest.raises(DataError, match=r"non-negative.*2020.*1004"):
            ac.getis_ord_by_year(panel, "CRIME", queen(), id="id", permutations=0)

    def test_arguments(self, panel):
        g = queen()
        with pytest.raises(ValueError, match="alternative"):
            ac.moran_by_year(panel, "CRIME", g, id="id", alternative="folded")
        with pytest.raises(ValueError, match="alternative"):
            ac.lisa(panel, "CRIME", g, id="id", alternative="two.sided")
        with pytest.raises(ValueError, match="permutations"):
            ac.lisa(panel, "CRIME", g, id="id", permutations=-5)
        with pytest.raises(ValueError, match="fdr"):
            ac.lisa(panel, "CRIME", g, id="id", fdr=5)
        with pytest.raises(TypeError, match="single weights"):
            ac.lisa(panel, "CRIME", {"a": g}, id="id")
        with pytest.raises(DataError, match="not found"):
            ac.moran_by_year(panel, "nope", g, id="id")
        with pytest.raises(ValueError, match="islands"):
            ac.moran_by_year(panel, "CRIME", g, id="id", islands="drop")
        with pytest.raises(ValueError, match="seed"):
            ac.lisa(panel, "CRIME", g, id="id", permutations=9, seed=-1)
        with pytest.raises(TypeError, match="seed"):
            ac.lisa(panel, "CRIME", g, id="id", permutations=9, seed=np.random.default_rng(1))
        with pytest.raises(ValueError, match="permutations > 0"):
            ac.lisa_bv(panel, "CRIME", "HOVAL", g, id="id", permutations=0)


class TestIslands:
    def test_island_raises_by_default(self, panel):
        g = queen(R.NEIGHBOURS_ISLAND)
        with pytest.raises(SpatialNQPFError, match=r"islands.*1005.*islands='keep'"):
            ac.moran_by_year(panel, "CRIME", g, id="id", permutations=0)
        with pytest.raises(SpatialNQPFError, match="1005"):
            ac.lisa(panel, "CRIME", g, id="id", permutations=0)

    def test_island_keep_matches_spdep_zero_policy(self, panel):
        """islands='keep' = spdep moran.test(zero.policy=TRUE, adjust.n=FALSE)."""
        g = queen(R.NEIGHBOURS_ISLAND)
        row = ac.moran_by_year(panel[panel.year == 2020], "CRIME", g, id="id", permutations=0,
                               islands="keep").to_frame().iloc[0]
        r = R.ISLAND_MORAN_CRIME_W_RAND_ADJUSTN_FALSE
        np.testing.assert_allclose([row["I"], row["E[I]"], row["sd_rand"] ** 2, row["z_rand"], row["p_rand"]],
                                   [r["I"], r["EI"], r["VI"], r["z"], r["p"]], rtol=RTOL)

    @pytest.mark.parametrize("alternative", ["two-sided", "folded", "greater", "less"])
    def test_island_keep_local(self, panel, alternative):
        g = queen(R.NEIGHBOURS_ISLAND)
        res = ac.lisa(panel, "CRIME", g, id="id", permutations=199, seed=1, islands="keep",
                      alternative=alternative, fdr=0.1)
        f = res.to_frame()
        isl = f[f.id == R.ISLAND_ID]
        assert (isl["cluster"] == "isolate").all() and isl["p"].isna().all()
        assert (~isl["significant"]).all() and (isl["Ii"] == 0).all()
        assert f.loc[f.id != R.ISLAND_ID, "p"].notna().all()
        assert (res.counts()["isolate"] == 1).all()
        # analytic statistics of the other units equal spdep localmoran(zero.policy=TRUE)
        f20 = f[f.year == 2020].set_index("id").loc[R.IDS]
        r = R.ISLAND_LOCAL_CRIME_W_COND
        np.testing.assert_allclose(f20["Ii"], r["Ii"], rtol=RTOL, atol=1e-13)
        np.testing.assert_allclose(f20["E_Ii"], r["EIi"], rtol=RTOL, atol=1e-14)
        np.testing.assert_allclose(f20["V_Ii"], r["VIi"], rtol=RTOL, atol=1e-14)
        keep = np.isfinite(r["z"])
        np.testing.assert_allclose(f20["z_Ii"].to_numpy()[keep], np.array(r["z"])[keep], rtol=RTOL)

    def test_self_loops_refused(self, panel):
        nb = {k: list(v) for k, v in R.NEIGHBOURS.items()}
        nb[1001] = nb[1001] + [1001]
        g = Graph.from_dicts(nb)
        with pytest.raises(SpatialNQPFError, match="themselves.*1001"):
            ac.moran_by_year(panel, "CRIME", g, id="id", permutations=0)


class TestLocalGInput:
    def test_negative_and_dict(self, panel):
        panel.loc[(panel.year == 2021) & (panel.id == 1010), "CRIME"] = -2.0
        with pytest.raises(DataError, match=r"non-negative.*2021.*1010"):
            ac.getis_ord_local(panel, "CRIME", queen(), id="id")
        with pytest.raises(TypeError, match="single weights"):
            ac.getis_ord_local(panel, "CRIME", {"a": queen()}, id="id")

    def test_alpha_and_engine_checked(self, panel):
        """Regression: getis_ord_local did not check ``alpha`` (alpha=5 marked every unit
        a significant hot/cold spot) nor ``engine``, unlike lisa; now both are refused."""
        with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\), got 5"):
            ac.getis_ord_local(panel, "CRIME", queen(), id="id", alpha=5)
        with pytest.raises(ValueError, match="engine must be"):
            ac.getis_ord_local(panel, "CRIME", queen(), id="id", permutations=9, seed=1,
                               engine="cuda")

    def test_island_keep(self, panel):
        g = queen(R.NEIGHBOURS_ISLAND)
        with pytest.raises(SpatialNQPFError, match="1005"):
            ac.getis_ord_local(panel, "CRIME", g, id="id")
        f = ac.getis_ord_local(panel, "CRIME", g, id="id", islands="keep", permutations=99,
                               seed=1).to_frame()
        isl = f[f.id == R.ISLAND_ID]
        assert (isl["cluster"] == "isolate").all() and isl["p"].isna().all()
