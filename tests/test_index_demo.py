"""Indicator systems (TOML) and the demo index on the bundled panel (issue 5).

References:

* derived demo columns: recomputed by hand from the raw panel cells
  (spatialnqpf/data/nqpf_panel_2012_2022.csv, i.e. shared/data), rtol 1e-12;
* demo index: plausibility (Beijing, Shanghai, Guangdong, Jiangsu near the top
  of 2022) and the exact missing-cell bookkeeping of the bundled data
  (hitech_revenue not published for 2017; CEADs without Tibet and after 2019).
  The ranked 2022 table and the national-mean series are written to
  tests/output/index_demo.md (copied to docs/index_demo.md after being read).
"""
from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import index as ix
from spatialnqpf._validation import DataError

TOP4 = {11, 31, 44, 32}  # Beijing, Shanghai, Guangdong, Jiangsu


@pytest.fixture(scope="module")
def raw():
    from spatialnqpf import datasets
    return datasets.load_demo_panel()


@pytest.fixture(scope="module")
def demo(raw):
    return ix.demo_indicators(raw)


@pytest.fixture(scope="module")
def tech_result(demo):
    with pytest.warns(ix.IndexWarning, match="31 cell"):
        return ix.entropy_topsis(demo, system=ix.demo_system().select(pillars=["technology"]),
                                 missing="interpolate")


@pytest.fixture(scope="module")
def two_pillar_result(demo):
    sample = demo[(demo.year <= 2019) & (demo.code != 54)]
    with pytest.warns(ix.IndexWarning, match="30 cell"):
        return ix.entropy_topsis(sample, system=ix.demo_system(), missing="interpolate")


class TestSystems:
    def test_demo_system(self):
        s = ix.demo_system()
        assert [p.key for p in s.pillars] == ["technology", "green"]
        assert [a.key for a in s.absent_pillars] == ["digital"]
        assert "user data" in s.absent_pillars[0].reason
        assert s.directions["co2_per_gdp"] == -1 and s.directions["rd_intensity"] == 1
        assert "needs user data" in s.summary() or "user data" in s.summary()
        f = s.to_frame()
        assert f.loc["techmkt_per_gdp", "unit"] == "% of GDP"
        assert (f["formula"] != "").all() and (f["unit"] != "").all()
        assert s.subpillar_of["invention_grants_per_gdp"] == "innovation_output"

    def test_template(self):
        t = ix.template_system()
        assert [p.key for p in t.pillars] == ["technology", "green", "digital"]
        assert len(t.unfilled) == len(t.indicators) >= 15
        with pytest.raises(DataError, match="without a data column.*'rd_intensity'"):
            t.directions
        with pytest.raises(DataError, match="without a data column"):
            ix.entropy_topsis(pd.DataFrame({"code": [1, 2], "year": [1, 1]}), system=t)
        part = t.select(pillars=["technology"]).with_columns({"rd_intensity": "rd_intensity",
                                                               "techmkt_per_gdp": "tm"})
        part = part.select(indicators=["rd_intensity", "techmkt_per_gdp"])
        assert part.directions == {"rd_intensity": 1, "tm": 1}
        with pytest.raises(DataError, match="'nope'"):
            t.with_columns({"nope": "x"})
        with pytest.raises(DataError, match="'water'"):
            t.select(pillars=["water"])

    def test_load_from_toml_file(self, tmp_path):
        p = tmp_path / "mine.toml"
        p.write_text('name = "mine"\n[[pillars]]\nkey = "tech"\n'
                     '  [[pillars.indicators]]\n  key = "rd"\n  column = "rd_intensity"\n  direction = "+"\n'
                     '  [[pillars.indicators]]\n  key = "c"\n  column = "co2"\n  direction = "cost"\n',
                     encoding="utf-8")
        s = ix.load_system(p)
        assert s.directions == {"rd_intensity": 1, "co2": -1} and s.pillar_of == {"rd_intensity": "tech", "co2": "tech"}
        p.write_text(p.read_text().replace('"cost"', '"sideways"'))
        with pytest.raises(DataError, match="unknown direction 'sideways' for indicator 'c'"):
            ix.load_system(p)
        with pytest.raises(DataError, match="no indicator system"):
            ix.load_system("nonexistent_system")

    def test_toml_round_trip(self, tmp_path):
        filled = ix.template_system().with_columns({"rd_intensity": "my_rd", "co2_per_gdp": "my_co2"})
        path = tmp_path / "filled.toml"
        filled.to_toml(path)
        assert ix.load_system(path) == filled
        assert ix.IndicatorSystem.from_toml(path).to_frame().loc["rd_intensity", "column"] == "my_rd"
        demo = ix.demo_system()
        path2 = tmp_path / "demo.toml"
        demo.to_toml(path2)
        assert ix.load_system(path2) == demo

    def test_system_validation(self):
        with pytest.raises(DataError, match="duplicated indicator keys"):
            ix.IndicatorSystem.from_dict({"indicators": [{"key": "a", "column": "a", "direction": 1},
                                                         {"key": "a", "column": "b", "direction": 1}]})
        with pytest.raises(DataError, match="no direction"):
            ix.IndicatorSystem.from_dict({"indicators": [{"key": "a", "column": "a"}]})

    def test_docstring_examples(self):
        fails, _ = doctest.testmod(ix, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert fails == 0


class TestDemoIndicators:
    """Derived columns against the raw cells, recomputed by hand."""

    def test_formulas(self, raw, demo):
        r = raw.set_index(["code", "year"])
        d = demo.set_index(["code", "year"])
        bj = (11, 2022)
        assert d.loc[bj, "hitech_revenue_per_gdp"] == pytest.approx(7642.0 / 41610.9 * 100, rel=1e-12)
        assert d.loc[bj, "scitech_budget_share"] == pytest.approx(488.70 / 7469.15 * 100, rel=1e-12)
        assert d.loc[bj, "invention_grants_per_gdp"] == pytest.approx(88127.0 / 41610.9, rel=1e-12)
        assert d.loc[bj, "techmkt_per_gdp"] == pytest.approx(
            r.loc[bj, "techmkt_inflow_value"] / (41610.9 * 1e4) * 100, rel=1e-12)
        assert d.loc[bj, "rd_intensity"] == 6.83
        # CO2 per GDP: Mt -> t (1e6), 亿元 -> 万元 (1e4)
        sh = (31, 2019)
        assert d.loc[sh, "co2_per_gdp"] == pytest.approx(
            r.loc[sh, "co2_scope1_total_mt"] * 1e6 / (r.loc[sh, "gdp"] * 1e4), rel=1e-12)
        defs = demo.attrs["definitions"]
        assert set(defs.index) == set(ix.demo_system().columns)
        assert defs.loc["co2_per_gdp", "unit"].startswith("t CO2")

    def test_coverage_is_as_documented(self, demo):
        na = demo.set_index(["code", "year"]).isna()
        cols = ix.demo_system().columns
        counts = na[cols].sum()
        assert counts["hitech_revenue_per_gdp"] == 31
        assert set(na.index[na["hitech_revenue_per_gdp"]].get_level_values("year")) == {2017}
        # green: no Tibet, nothing after 2019 -> 31*11 - 30*8 = 101 missing cells
        assert counts["co2_per_gdp"] == counts["coal_co2_share"] == 101
        tech_cols = ix.demo_system().select(pillars=["technology"]).columns
        assert counts[tech_cols].drop("hitech_revenue_per_gdp").sum() == 0

    def test_refused_without_policy(self, demo):
        with pytest.raises(DataError, match=r"missing indicator cell.*\(\(11, 2017\), 'hitech_revenue_per_gdp'\)"):
            ix.entropy_topsis(demo, system=ix.demo_system().select(pillars=["technology"]))


def _table(df: pd.DataFrame, floatfmt="{:.4f}") -> str:
    cols = [df.index.name or ""] + list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for idx, *row in df.itertuples(name=None):
        cells = [str(idx)] + [floatfmt.format(v) if isinstance(v, (float, np.floating)) else str(v)
                              for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _named(table: pd.DataFrame) -> pd.DataFrame:
    from spatialnqpf import regions
    out = table.copy()
    out.insert(0, "province", regions.names(list(out.index), lang="zh"))
    out.insert(1, "name_en", regions.names(list(out.index), lang="en"))
    return out


class TestDemoIndex:
    def test_technology_index_2012_2022(self, tech_result, output_dir, two_pillar_result):
        res = tech_result
        rep = res.missing_report
        assert len(rep) == 31 and set(rep["year"]) == {2017} and set(rep["column"]) == {"hitech_revenue_per_gdp"}
        # an interpolated 2017 value lies between the 2016 and 2018 values of the same province
        assert res.settings["n_obs"] == 341 and res.settings["n_ids"] == 31
        rt = res.rank_table(2022)
        assert TOP4 <= set(rt.index[:7]), rt.head(10)
        assert rt.index[0] == 11  # Beijing first
        nm = res.national_mean()
        assert nm["n"].eq(31).all()
        assert nm.loc[2022, "closeness"] > nm.loc[2012, "closeness"]
        np.testing.assert_allclose(res.weights.sum(), 1.0)
        _write_demo(output_dir, res, two_pillar_result)

    def test_two_pillar_2012_2019(self, two_pillar_result):
        res = two_pillar_result
        assert res.settings["n_ids"] == 30 and res.settings["time_max"] == 2019
        assert 54 not in res.scores.index.get_level_values("code")
        assert list(res.pillar_weights.index) == ["technology", "green"]
        rt = res.rank_table(2019)
        assert TOP4 <= set(rt.index[:7]), rt.head(10)
        cc = res.coupling()
        d = cc.to_frame()
        assert d["D"].between(0, 1).all() and d["level"].between(1, 10).all()
        ob = res.obstacles(top_k=3)
        np.testing.assert_allclose(ob.pillar_degrees.sum(axis=1).to_numpy(), 1.0)


def _write_demo(output_dir, res, res2):
    from spatialnqpf import regions  # noqa: F401  (names in tables)
    sysm = ix.demo_system()
    rt = _named(res.rank_table(2022)[["rank", "closeness", "linear_score"]])
    nm = res.national_mean()[["n", "closeness", "linear_score"]]
    w = res.indicators[["pillar", "subpillar", "direction", "entropy", "weight"]]
    rt2 = _named(res2.rank_table(2019)[["rank", "closeness", "closeness:technology", "closeness:green"]])
    cc = res2.coupling().to_frame()
    ccm = cc.groupby(level="year")[["technology", "green", "C", "T", "D"]].mean()
    ob = res.obstacles(top_k=1).top()
    ob22 = ob[ob.year == 2022]["indicator"].value_counts().rename("provinces").to_frame()
    ob22.index.name = "top obstacle in 2022"
    r22 = res.rank_table(2022)
    xz_c = int(r22.loc[54, "rank"])
    xz_l = int(r22["linear_score"].rank(ascending=False, method="min").loc[54])
    tm = ix.demo_indicators().query("year == 2022").set_index("code")["techmkt_per_gdp"]
    xz_tm, tm_med = tm.loc[54], tm.median()
    text = f"""# Demo composite index on the bundled panel

Generated by `tests/test_index_demo.py` (written to `tests/output/index_demo.md`, read, and copied
here). Method: panel entropy-TOPSIS (`spatialnqpf.index.entropy_topsis`, docs/methods/index.md §1),
standardised over all province-years together, shift 1e-4, panel ideals.

## What the demo can and cannot measure

{sysm.summary()}

* **Technology pillar, 31 provinces x 2012-2022.** `hitech_revenue` was not published for 2017;
  the run uses `missing="interpolate"` and the result lists the {len(res.missing_report)} filled cells
  (all `hitech_revenue_per_gdp`, year 2017) in `missing_report`.
* **Green pillar, 30 provinces x 2012-2019 only.** The CEADs CO2 inventories have no Tibet and end
  in 2019. The demo does not pad them: the two-pillar index and its coupling coordination are run on
  the explicit sub-sample 2012-2019 without Tibet (section 3).
* **Digital pillar: absent.** The bundled panel has no digital-economy statistics; it needs user
  data (`spatialnqpf.index.template_system()` lists the usual indicators).
* Technology-market turnover is the buyer-side (吸纳) series: the seller-side series lacks Tibet
  2012-2016, a leading gap that cannot be interpolated. The basic-research share of R&D was
  considered and rejected: in provinces with tiny R&D budgets it is a ratio of small numbers (Tibet
  43% in 2022) and put Tibet third in 2022.
* All per-GDP ratios inherit the 2018/2019 level break of GDP (not revised after the 2018
  economic census).

## 1. Technology index: weights

{_table(w, "{:.6f}")}

## 2. Technology index: ranking in 2022 (31 provinces)

{_table(rt)}

National (unweighted) mean by year:

{_table(nm)}

Most frequent largest obstacle in 2022 (obstacle degree, `res.obstacles()`):

{_table(ob22)}

## 3. Technology + green index, 30 provinces (no Tibet), 2012-2019

Pillar weights: {", ".join(f"{k} {v:.4f}" for k, v in res2.pillar_weights.items())}.

Ranking in 2019:

{_table(rt2)}

Coupling coordination of the technology and green pillar closeness (national means by year):

{_table(ccm)}

## Plausibility

Beijing is first in 2022, followed by the large eastern innovation provinces (Guangdong, Zhejiang,
Jiangsu, Shanghai) and Anhui (high science-budget share and technology-market absorption); the
resource provinces (Inner Mongolia, Shanxi) and the south-west (Yunnan, Guizhou, Guangxi) close
the table. One entry deserves a caveat: Tibet ranks {xz_c} by TOPSIS closeness but {xz_l} by the
linear score, because its buyer-side technology-market turnover is {xz_tm:.1f}% of GDP in 2022
(technology purchases on a small GDP; the 2022 median is {tm_med:.1f}%), which TOPSIS rewards
through the distance to the anti-ideal.
The national mean rises steadily; 2016-2017 is flat, partly because 2017 high-tech revenue is
interpolated.
"""
    (output_dir / "index_demo.md").write_text(text, encoding="utf-8")
