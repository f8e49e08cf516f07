"""Global and local spatial autocorrelation against R spdep on spData::columbus.

Reference: tests/reference/spdep_columbus_values.py, produced by
tests/reference/spdep_columbus.R (R 4.2.2, spdep 1.2.7, spData 2.2.1; header of the
values file has the command and date).  Tolerance: rtol = 1e-8 (issue 6 acceptance).
The columbus data and its queen neighbour list are read from that file, so CI needs
neither R nor network.  Ids are NEIGNO in the data's (unsorted) row order, and the
frames below are shuffled, so every comparison also exercises alignment by id.
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
from spatialnqpf._kernels import autocorr as K  # noqa: E402

RTOL = 1e-8
VARS = ("CRIME", "INC", "HOVAL")
STYLES = ("W", "B")
QUAD = {"High-High": "HH", "Low-Low": "LL", "High-Low": "HL", "Low-High": "LH"}


def graph(style: str) -> Graph:
    g = Graph.from_dicts({i: list(nb) for i, nb in R.NEIGHBOURS.items()})
    return g.transform("r") if style == "W" else g


@pytest.fixture(scope="module")
def frame():
    df = pd.DataFrame({"id": R.IDS, "CRIME": R.CRIME, "INC": R.INC, "HOVAL": R.HOVAL})
    return df.sample(frac=1.0, random_state=3).reset_index(drop=True)   # rows shuffled


def by_id(values):
    return pd.Series(values, index=R.IDS)


class TestGlobalVsSpdep:
    """moran.test / geary.test / globalG.test (alternative two.sided), rtol 1e-8."""

    @pytest.mark.parametrize("style", STYLES)
    @pytest.mark.parametrize("var", VARS)
    def test_moran(self, frame, var, style):
        t = ac.moran_by_year(frame, var, graph(style), id="id", time=None, permutations=0).to_frame()
        row = t.iloc[0]
        rr = getattr(R, f"MORAN_{var}_{style}_RAND")
        rn = getattr(R, f"MORAN_{var}_{style}_NORM")
        np.testing.assert_allclose(row["I"], rr["I"], rtol=RTOL)
        np.testing.assert_allclose(row["E[I]"], rr["EI"], rtol=RTOL)
        np.testing.assert_allclose(row["sd_rand"] ** 2, rr["VI"], rtol=RTOL)
        np.testing.assert_allclose(row["z_rand"], rr["z"], rtol=RTOL)
        np.testing.assert_allclose(row["p_rand"], rr["p"], rtol=RTOL)
        np.testing.assert_allclose(row["sd_norm"] ** 2, rn["VI"], rtol=RTOL)
        np.testing.assert_allclose(row["z_norm"], rn["z"], rtol=RTOL)
        np.testing.assert_allclose(row["p_norm"], rn["p"], rtol=RTOL)
        assert row["n"] == 49

    @pytest.mark.parametrize("style", STYLES)
    @pytest.mark.parametrize("var", VARS)
    def test_geary(self, frame, var, style):
        row = ac.geary_by_year(frame, var, graph(style), id="id", time=None,
                               permutations=0).to_frame().iloc[0]
        for tag in ("RAND", "NORM"):
            r = getattr(R, f"GEARY_{var}_{style}_{tag}")
            t = tag.lower()
            np.testing.assert_allclose(row["C"], r["C"], rtol=RTOL)
            np.testing.assert_allclose(row["E[C]"], r["EC"], rtol=RTOL)
            np.testing.assert_allclose(row[f"sd_{t}"] ** 2, r["VC"], rtol=RTOL)
            # our z is (C - 1)/sd, spdep prints (1 - C)/sd (documented)
            np.testing.assert_allclose(row[f"z_{t}"], -r["z"], rtol=RTOL)
            np.testing.assert_allclose(row[f"p_{t}"], r["p"], rtol=RTOL)

    @pytest.mark.parametrize("style", STYLES)
    @pytest.mark.parametrize("var", VARS)
    def test_getis_ord(self, frame, var, style):
        res = ac.getis_ord_by_year(frame, var, graph(style), id="id", time=None, permutations=0)
        row = res.to_frame().iloc[0]
        r = getattr(R, f"GETIS_{var}_{style}")
        np.testing.assert_allclose(row["G"], r["G"], rtol=RTOL)
        np.testing.assert_allclose(row["E[G]"], r["EG"], rtol=RTOL)
        np.testing.assert_allclose(row["sd_rand"] ** 2, r["VG"], rtol=RTOL)
        np.testing.assert_allclose(row["z_rand"], r["z"], rtol=RTOL)
        np.testing.assert_allclose(row["p_rand"], r["p"], rtol=RTOL)
        assert np.isnan(row["z_norm"])
        assert any("row-standardised" in n for n in res.notes) == (style == "W")

    @pytest.mark.parametrize("style", STYLES)
    def test_residual_moran(self, style):
        """lm.morantest(lm(CRIME ~ INC + HOVAL), listw), two-sided."""
        X = pd.DataFrame({"const": 1.0, "INC": R.INC, "HOVAL": R.HOVAL}, index=R.IDS)
        y = np.array(R.CRIME)
        e = pd.Series(y - X.to_numpy() @ np.linalg.lstsq(X.to_numpy(), y, rcond=None)[0], index=R.IDS)
        np.testing.assert_allclose(e.to_numpy(), R.LM_RESID_CRIME_INC_HOVAL, rtol=1e-9)
        perm = np.random.default_rng(0).permutation(49)          # any order of rows
        row = ac.moran_residuals(e.iloc[perm], graph(style), X=X.iloc[perm[::-1]]).to_frame().iloc[0]
        r = getattr(R, f"LM_MORAN_CRIME_INC_HOVAL_{style}")
        np.testing.assert_allclose(row["I"], r["I"], rtol=RTOL)
        np.testing.assert_allclose(row["E[I]"], r["EI"], rtol=RTOL)
        np.testing.assert_allclose(row["sd_norm"] ** 2, r["VI"], rtol=RTOL)
        np.testing.assert_allclose(row["z_norm"], r["z"], rtol=RTOL)
        np.testing.assert_allclose(row["p_norm"], r["p"], rtol=RTOL)

    def test_residual_moran_constant_only_is_moran_normality(self, frame):
        """Independent check: with X = constant, Cliff-Ord residual moments reduce to Moran's
        normality moments (E[I] = -1/(n-1)), spdep moran.test(randomisation=FALSE)."""
        e = by_id(np.array(R.CRIME) - np.mean(R.CRIME))
        row = ac.moran_residuals(e, graph("W")).to_frame().iloc[0]
        rn = R.MORAN_CRIME_W_NORM
        np.testing.assert_allclose([row["I"], row["E[I]"], row["sd_norm"] ** 2],
                                   [rn["I"], rn["EI"], rn["VI"]], rtol=RTOL)

    @pytest.mark.parametrize("style", STYLES)
    def test_bivariate_global(self, frame, style):
        """spdep moran_bv(INC, CRIME): equal for W-style; spdep omits n/S0 for other W."""
        row = ac.moran_bv_by_year(frame, "INC", "CRIME", graph(style), id="id", time=None,
                                  permutations=0).to_frame().iloc[0]
        ref = getattr(R, f"MORAN_BV_INC_CRIME_{style}")
        S0 = 49.0 if style == "W" else float(sum(len(v) for v in R.NEIGHBOURS.values()))
        np.testing.assert_allclose(row["I_xy"], ref * 49.0 / S0, rtol=RTOL)

    def test_bivariate_of_x_with_itself_is_moran(self, frame):
        row = ac.moran_bv_by_year(frame, "CRIME", "CRIME", graph("B"), id="id", time=None,
                                  permutations=0).to_frame().iloc[0]
        np.testing.assert_allclose(row["I_xy"], R.MORAN_CRIME_B_RAND["I"], rtol=RTOL)


class TestLocalVsSpdep:
    """localmoran(x, listw, alternative="two.sided"), conditional TRUE (default) and FALSE."""

    @pytest.mark.parametrize("style", STYLES)
    @pytest.mark.parametrize("var", VARS)
    def test_localmoran_conditional(self, frame, var, style):
        res = ac.lisa(frame, var, graph(style), id="id", time=None, permutations=0)
        f = res.to_frame().set_index("id").loc[R.IDS]
        r = getattr(R, f"LOCAL_{var}_{style}_COND")
        np.testing.assert_allclose(f["Ii"], r["Ii"], rtol=RTOL, atol=1e-13)
        np.testing.assert_allclose(f["E_Ii"], r["EIi"], rtol=RTOL, atol=1e-14)
        np.testing.assert_allclose(f["V_Ii"], r["VIi"], rtol=RTOL, atol=1e-14)
        np.testing.assert_allclose(f["z_Ii"], r["z"], rtol=RTOL, atol=1e-12)
        np.testing.assert_allclose(f["p_Ii"], r["p"], rtol=RTOL)
        np.testing.assert_allclose(f["p"], r["p"], rtol=RTOL)   # analytic p used without perms
        assert list(f["quadrant"]) == [QUAD[q] for q in r["quad"]]
        expect_sig = np.array(r["p"]) <= 0.05
        assert (f["significant"].to_numpy() == expect_sig).all()
        assert (f["cluster"].where(f["significant"], "ns") == f["cluster"]).all()

    @pytest.mark.parametrize("style", STYLES)
    @pytest.mark.parametrize("var", VARS)
    def test_localmoran_total_kernel(self, var, style):
        x = np.array(getattr(R, var))
        W = graph(style).sparse
        order = pd.Index(graph(style).unique_ids).get_indexer(R.IDS)
        W = W[order][:, order].tocsr()
        out = K.local_moran(x - x.mean(), W)
        r = getattr(R, f"LOCAL_{var}_{style}_TOTAL")
        np.testing.assert_allclose(out["E_total"], r["EIi"], rtol=RTOL)
        np.testing.assert_allclose(out["V_total"], r["VIi"], rtol=RTOL)

    @pytest.mark.parametrize("style", STYLES)
    def test_localmoran_bv(self, frame, style):
        """spdep localmoran_bv(INC, CRIME) standardises by the n-1 sd: ours = R * n/(n-1)."""
        res = ac.lisa_bv(frame, "INC", "CRIME", graph(style), id="id", time=None,
                         permutations=99, seed=1)
        f = res.to_frame().set_index("id").loc[R.IDS]
        ref = np.array(getattr(R, f"LOCAL_BV_INC_CRIME_{style}"))
        np.testing.assert_allclose(f["Ii"], ref * 49 / 48, rtol=RTOL, atol=1e-13)

    def test_esda_scale(self, frame):
        """esda Moran_Local.Is = (n-1)/n * ours (independent implementation)."""
        import esda
        g = graph("W")
        x = frame.set_index("id").loc[R.IDS, "CRIME"].to_numpy()
        e = esda.Moran_Local(x, g.to_W() if hasattr(g, "to_W") else g, permutations=0)
        ours = ac.lisa(frame, "CRIME", g, id="id", time=None, permutations=0).to_frame()
        ours = ours.set_index("id").loc[list(g.unique_ids), "Ii"].to_numpy()
        ids_w = list(g.unique_ids)
        e_by_id = pd.Series(e.Is, index=R.IDS).loc[ids_w].to_numpy()
        np.testing.assert_allclose(e_by_id, ours * 48 / 49, rtol=1e-10)


class TestPanelShape:
    def test_per_year_and_side_by_side(self, frame):
        """Two 'years' with different variables; each year row equals the cross-section."""
        a = frame.assign(year=2001, v=frame["CRIME"])
        b = frame.assign(year=2002, v=frame["HOVAL"])
        panel = pd.concat([b, a]).sample(frac=1.0, random_state=1)
        res = ac.moran_by_year(panel, "v", {"queen": graph("W"), "binary": graph("B")},
                               id="id", permutations=0)
        t = res.to_frame()
        assert list(t.index) == [("queen", 2001), ("queen", 2002), ("binary", 2001), ("binary", 2002)]
        np.testing.assert_allclose(t.loc[("queen", 2001), "I"], R.MORAN_CRIME_W_RAND["I"], rtol=RTOL)
        np.testing.assert_allclose(t.loc[("binary", 2002), "I"], R.MORAN_HOVAL_B_RAND["I"], rtol=RTOL)
        wide = res.side_by_side()
        assert list(wide.columns.get_level_values(0).unique()) == ["queen", "binary"]
        assert wide.loc[2002, ("queen", "I")] == t.loc[("queen", 2002), "I"]
        assert "Global Moran's I" in res.summary() and "2002" in res.summary()

    def test_results_are_frozen(self, frame):
        res = ac.moran_by_year(frame, "CRIME", graph("W"), id="id", time=None, permutations=0)
        with pytest.raises(Exception):
            res.seed = 3
        t = res.to_frame()
        t.iloc[0, 1] = 99.0
        assert res.to_frame().iloc[0, 1] != 99.0

    def test_lisa_counts_and_transitions_hand_count(self, frame):
        """Counts and transitions checked against a plain pandas count of the frame."""
        a = frame.assign(year=1, v=frame["CRIME"])
        b = frame.assign(year=2, v=frame["HOVAL"])
        c = frame.assign(year=3, v=frame["INC"])
        res = ac.lisa(pd.concat([a, b, c]), "v", graph("W"), id="id", permutations=0)
        f = res.to_frame()
        counts = res.counts()
        for yr in (1, 2, 3):
            vc = f.loc[f["year"] == yr, "cluster"].value_counts()
            for cl in counts.columns:
                assert counts.loc[yr, cl] == vc.get(cl, 0)
        quads = res.counts(by="quadrant")
        for yr in (1, 2, 3):
            vc = f.loc[f["year"] == yr, "quadrant"].value_counts()
            assert [quads.loc[yr, q] for q in ("HH", "LH", "LL", "HL")] == \
                [vc.get(q, 0) for q in ("HH", "LH", "LL", "HL")]
        assert (quads.sum(axis=1) == 49).all()
        tr = res.transitions()
        wide = f.pivot(index="id", columns="year", values="cluster")
        n_hh_hh = ((wide[1] == "HH") & (wide[2] == "HH")).sum() + ((wide[2] == "HH") & (wide[3] == "HH")).sum()
        assert tr.to_numpy().sum() == 2 * 49
        assert tr.loc["HH", "HH"] == n_hh_hh if "HH" in tr.index else n_hh_hh == 0
        n_ns_ll = ((wide[1] == "ns") & (wide[2] == "LL")).sum() + ((wide[2] == "ns") & (wide[3] == "LL")).sum()
        assert (tr.loc["ns", "LL"] if "ns" in tr.index else 0) == n_ns_ll
        fl = res.transitions(between="first-last")
        assert fl.to_numpy().sum() == 49
        q = res.transitions(by="quadrant")
        assert q.to_numpy().sum() == 98 and "ns" not in q.columns


class TestResidualPanel:
    def test_per_period_residuals(self):
        """(id, time)-indexed residuals give one row per period, each equal to the
        cross-sectional lm.morantest reference (spdep) when the period's X is the same."""
        X = pd.DataFrame({"const": 1.0, "INC": R.INC, "HOVAL": R.HOVAL}, index=R.IDS)
        y = np.array(R.CRIME)
        e = y - X.to_numpy() @ np.linalg.lstsq(X.to_numpy(), y, rcond=None)[0]
        idx = pd.MultiIndex.from_product([R.IDS, [2001, 2002]], names=["id", "year"])
        res = pd.Series(np.repeat(e, 2), index=idx, name="resid")
        Xp = pd.DataFrame(np.repeat(X.to_numpy(), 2, axis=0), index=idx, columns=X.columns)
        out = ac.moran_residuals(res, {"B": graph("B")}, X=Xp, time="year")
        t = out.to_frame()
        assert list(t.index) == [("B", 2001), ("B", 2002)]
        r = R.LM_MORAN_CRIME_INC_HOVAL_B
        np.testing.assert_allclose(t["I"], r["I"], rtol=RTOL)
        np.testing.assert_allclose(t["sd_norm"] ** 2, r["VI"], rtol=RTOL)
        assert "Moran's I of residuals" in out.summary() and "***" in out.summary()

    def test_time_id_named_levels(self):
        """Regression: residuals indexed by MultiIndex levels named (year, id), as
        ``frame.set_index(["year", "id"])`` gives, were read as (id, time) whatever their
        names and refused ("year 11 ... ids differ").  Reference: spdep lm.morantest, as above."""
        X = pd.DataFrame({"const": 1.0, "INC": R.INC, "HOVAL": R.HOVAL}, index=R.IDS)
        y = np.array(R.CRIME)
        e = y - X.to_numpy() @ np.linalg.lstsq(X.to_numpy(), y, rcond=None)[0]
        idx = pd.MultiIndex.from_product([[2001, 2002], R.IDS], names=["year", "id"])
        res = pd.Series(np.tile(e, 2), index=idx, name="resid")
        Xp = pd.DataFrame(np.tile(X.to_numpy(), (2, 1)), index=idx, columns=X.columns)
        t = ac.moran_residuals(res, {"B": graph("B")}, X=Xp, time="year").to_frame()
        assert list(t.index) == [("B", 2001), ("B", 2002)]
        r = R.LM_MORAN_CRIME_INC_HOVAL_B
        np.testing.assert_allclose(t["I"], r["I"], rtol=RTOL)
        np.testing.assert_allclose(t["sd_norm"] ** 2, r["VI"], rtol=RTOL)


class TestLocalGVsSpdep:
    """localG(CRIME, listw, return_internals=TRUE), G_i and G_i* (include.self), rtol 1e-8."""

    @pytest.mark.parametrize("style", STYLES)
    @pytest.mark.parametrize("star", [False, True])
    def test_local_g(self, frame, style, star):
        res = ac.getis_ord_local(frame, "CRIME", graph(style), id="id", time=None, star=star)
        f = res.to_frame().set_index("id").loc[R.IDS]
        r = getattr(R, f"LOCALG_CRIME_{style}" + ("_STAR" if star else ""))
        np.testing.assert_allclose(f["G"], r["G"], rtol=RTOL)
        np.testing.assert_allclose(f["E_G"], r["EG"], rtol=RTOL)
        np.testing.assert_allclose(f["V_G"], r["VG"], rtol=RTOL)
        np.testing.assert_allclose(f["z_G"], r["z"], rtol=RTOL)
        np.testing.assert_allclose(f["p_G"], r["p"], rtol=RTOL)
        sig = np.array(r["p"]) <= 0.05
        z = np.array(r["z"])
        expect = np.where(~sig, "ns", np.where(z > 0, "hot", "cold"))
        assert list(f["cluster"]) == list(expect)
        counts = res.counts()
        assert list(counts.columns) == ["hot", "cold", "ns", "isolate"]
        assert counts.loc["all", "hot"] == ((z > 0) & sig).sum()
        assert "Getis-Ord G_i" in res.summary()

    def test_local_g_star_libpysal_w_row(self, frame):
        """Regression: a libpysal ``W`` says "row-standardised" through ``transform``, not
        ``transformation``; G_i* used to add the self weight 1 to the row-standardised
        weights instead of re-standardising (G off by 0.04, z by 1.9).  Reference: spdep
        localG(include.self, style "W"), rtol 1e-8, as for the Graph above."""
        W = graph("W").to_W()
        W.transform = "r"
        res = ac.getis_ord_local(frame, "CRIME", W, id="id", time=None, star=True)
        f = res.to_frame().set_index("id").loc[R.IDS]
        r = R.LOCALG_CRIME_W_STAR
        np.testing.assert_allclose(f["G"], r["G"], rtol=RTOL)
        np.testing.assert_allclose(f["z_G"], r["z"], rtol=RTOL)
        glob = ac.getis_ord_by_year(frame, "CRIME", W, id="id", time=None, permutations=0)
        assert any("row-standardised" in n for n in glob.notes)
