"""ModelSpec (frozen estimator call kept by every result) and models.compare.

References: the columbus SAR and SDM of R spatialreg 1.2.6 (``lagsarlm``, method "eigen"),
recorded in tests/reference/spatialreg_crosssection_results.csv by
tests/reference/spatialreg_crosssection.R; rtol 1e-5 as in test_models_cross_section.py.
The comparison table must carry exactly these numbers (it reshapes ``tidy()``).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph

from spatialnqpf.models import ComparisonResult, ModelSpec, compare, spatial_cross_section
from spatialnqpf.models import spatial_panel

REF = Path(__file__).parent / "reference"
RTOL = 1e-5


@pytest.fixture(scope="module")
def columbus():
    df = pd.read_csv(REF / "columbus_data.csv")
    nb = pd.read_csv(REF / "columbus_nb.csv")
    g = Graph.from_adjacency(nb.assign(weight=1.0), focal_col="focal", neighbor_col="neighbor",
                             weight_col="weight").transform("r")
    return df, g


@pytest.fixture(scope="module")
def fits(columbus):
    df, g = columbus
    sar = spatial_cross_section(df, "CRIME", ["INC", "HOVAL"], g, id="id", model="sar",
                                tests=False)
    sdm = sar.spec.replace(model="sdm").fit()
    return sar, sdm


@pytest.fixture(scope="module")
def ref():
    r = pd.read_csv(REF / "spatialreg_crosssection_results.csv", comment="#")
    r = r[r.dataset == "columbus"]
    r["term"] = r["term"].fillna("").str.replace("(Intercept)", "const", regex=False) \
        .str.replace("lag.", "W_", regex=False)
    return r


def _r(ref, model, quantity):
    s = ref[(ref.model == model) & (ref.quantity == quantity)]
    return pd.Series(s.value.to_numpy(float), index=s.term)


class TestModelSpec:
    def test_result_keeps_its_spec_and_refits_identically(self, fits, columbus):
        sar, sdm = fits
        assert isinstance(sar.spec, ModelSpec) and sar.spec.name == "spatial_cross_section"
        assert sar.spec["model"] == "sar" and sdm.spec["model"] == "sdm"
        again = sar.spec.fit()
        pd.testing.assert_series_equal(again.params, sar.params, rtol=0, atol=0)
        # replace() gives the same fit as calling the estimator directly
        df, g = columbus
        direct = spatial_cross_section(df, "CRIME", ["INC", "HOVAL"], g, id="id", model="sdm",
                                       tests=False)
        pd.testing.assert_series_equal(sdm.params, direct.params, rtol=0, atol=0)

    def test_replace_checks_names_and_spec_is_frozen(self, fits):
        sar, _ = fits
        with pytest.raises(TypeError, match="'w2'"):
            sar.spec.replace(w2=None)
        with pytest.raises(dataclasses.FrozenInstanceError):
            sar.spec.model = "sdm"
        with pytest.raises(TypeError):
            sar.spec.arguments["model"] = "sdm"
        with pytest.raises(AttributeError):
            sar.spec = None
        assert "columbus" not in repr(sar.spec) and "DataFrame 49x" in repr(sar.spec)

    def test_panel_results_keep_spec(self):
        from spatialnqpf import datasets, weights
        panel = datasets.load_demo_panel(years=range(2018, 2023))
        w = weights.knn(k=4)
        r = spatial_panel(panel, "rd_intensity", ["share_secondary"], w, model="sar",
                          fe="individual")
        assert r.spec.name == "spatial_panel" and r.spec["fe"] == "individual"
        r2 = r.spec.replace(fe="twoways").fit()
        direct = spatial_panel(panel, "rd_intensity", ["share_secondary"], w, model="sar",
                               fe="twoways")
        pd.testing.assert_series_equal(r2.params, direct.params, rtol=0, atol=0)
        # one name for R²: info["r2"] (within after FE) and .r2
        assert r.info["r2_kind"] == "within" and "r2_within" not in r.info
        assert r.r2 == r.info["r2"] and 0 < r.r2 < 1


class TestCompare:
    def test_numbers_equal_spatialreg(self, fits, ref):
        sar, sdm = fits
        c = compare({"SAR": sar, "SDM": sdm})
        assert isinstance(c, ComparisonResult) and c.names == ("SAR", "SDM")
        for name, model in (("SAR", "sar"), ("SDM", "sdm")):
            coef, se = _r(ref, model, "coef"), _r(ref, model, "se")
            np.testing.assert_allclose(c.params[name].dropna().reindex(coef.index), coef,
                                       rtol=RTOL)
            np.testing.assert_allclose(c.std_errors[name].dropna().reindex(se.index), se,
                                       rtol=RTOL)
            llf = _r(ref, model, "llf").iloc[0]
            assert float(c.stats.at["llf", name]) == pytest.approx(llf, rel=RTOL)
            assert c.stats.at["nobs", name] == 49
        # SAR has no W_ terms: NaN in the numbers, blank in the table
        assert np.isnan(c.params.at["W_INC", "SAR"])
        assert list(c.params.index) == ["const", "INC", "HOVAL", "W_INC", "W_HOVAL", "rho"]

    def test_table_layout(self, fits):
        sar, sdm = fits
        c = compare({"SAR": sar, "SDM": sdm}, digits=3)
        t = c.to_frame()
        p = sar.pvalues["INC"]
        stars = "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""
        assert t.at[("INC", "coef"), "SAR"] == f"{sar.params['INC']:.3f}{stars}"
        assert t.at[("INC", "se"), "SAR"] == f"({sar.bse['INC']:.3f})"
        assert t.at[("W_INC", "coef"), "SAR"] == "" and t.at[("W_INC", "se"), "SAR"] == ""
        assert t.at[("N", ""), "SDM"] == "49"
        assert t.at[("Log-likelihood", ""), "SDM"] == f"{sdm.llf:.3f}"
        assert t.at[("R²", ""), "SAR"] == f"{sar.r2:.3f}"
        assert t.at[("Unit FE", ""), "SAR"] == "No" and t.at[("Model", ""), "SDM"].startswith("SDM")
        # every number in the table comes from tidy()
        td = sdm.tidy().set_index("term")
        pd.testing.assert_series_equal(c.params["SDM"].reindex(td.index), td["estimate"],
                                       check_names=False)
        s = c.summary()
        assert "Standard errors in parentheses" in s and "W_HOVAL" in s
        assert compare([sar, sdm]).names == ("(1)", "(2)")
        zh = compare({"SAR": sar}, lang="zh").to_frame()
        assert ("样本量", "") in zh.index

    def test_panel_fe_rows_and_frozen(self):
        from spatialnqpf import datasets, weights
        panel = datasets.load_demo_panel(years=range(2018, 2023))
        w = weights.knn(k=4)
        a = spatial_panel(panel, "rd_intensity", ["share_secondary"], w, model="sar",
                          fe="twoways")
        c = compare({"a": a, "b": a.spec.replace(fe="time").fit()})
        t = c.to_frame()
        assert t.at[("Unit FE", ""), "a"] == "Yes" and t.at[("Time FE", ""), "a"] == "Yes"
        assert t.at[("Unit FE", ""), "b"] == "No" and t.at[("Time FE", ""), "b"] == "Yes"
        with pytest.raises(AttributeError):
            c.digits = 2
        p = c.params
        p.iloc[0, 0] = 99.0
        assert c.params.iloc[0, 0] != 99.0

    def test_bad_input(self, fits):
        sar, _ = fits
        with pytest.raises(ValueError, match="non-empty"):
            compare({})
        with pytest.raises(TypeError, match="x"):
            compare({"x": object()})
        with pytest.raises(ValueError, match="nope"):
            compare({"a": sar}, terms=["nope"])
