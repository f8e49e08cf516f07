"""Tests of spatialnqpf.report.config: TOML template, validation, user data loading.

The user-style Excel file (Chinese province names in the forms yearbooks use,
an extra unknown column, one missing value, one misspelled province) is built
here from a seeded generator; expected values are hand-derived from it
(e.g. the interpolated cell is the mean of its two neighbours).
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import regions
from spatialnqpf._validation import DataError, PanelError
from spatialnqpf.report.config import (DEFAULTS, ConfigError, load_config, load_data, read_table,
                                       template)

openpyxl = pytest.importorskip("openpyxl")

YEARS = list(range(2012, 2017))


def user_frame(seed: int = 7) -> pd.DataFrame:
    """31 provinces × 2012-2016 with Chinese names in mixed forms and an extra column."""
    prov = regions.provinces()
    rng = np.random.default_rng(seed)
    names = []
    for k, (code, r) in enumerate(prov.iterrows()):
        names.append(r["name_zh"] if k % 3 == 0 else r["short_zh"] if k % 3 == 1 else
                     " ".join(r["short_zh"]))  # "河 北" style spacing of yearbooks
    rows = []
    for y in YEARS:
        for code, nm in zip(prov.index, names):
            base = 1 + (code % 7)
            rows.append({"省份": nm, "年份": y, "研发强度": base * (1 + 0.05 * (y - 2012)) + rng.uniform(0, 1),
                         "专利密度": base * 2 + rng.uniform(0, 2), "碳强度": 10 - base + rng.uniform(0, 1),
                         "二产比重": rng.uniform(20, 50), "备注": "来源：统计年鉴"})
    return pd.DataFrame(rows)


def write_config(path, data_file, **over):
    missing = over.get("missing", "interpolate")
    text = f'''
[data]
file = "{data_file}"
id = "省份"
time = "年份"
missing = "{missing}"

[index]
system = "inline"
[[index.indicators]]
column = "研发强度"
direction = 1
pillar = "科技"
[[index.indicators]]
column = "专利密度"
direction = 1
pillar = "科技"
[[index.indicators]]
column = "碳强度"
direction = -1
pillar = "绿色"

[weights]
matrices = ["contiguity"]

[autocorrelation]
permutations = 99

[models]
x = ["二产比重"]
effects_nsim = 200

[output]
lang = "en"
'''
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def user_excel(tmp_path):
    df = user_frame()
    hn = df.index[(df["省份"].str.replace(" ", "").isin(["湖南", "湖南省"])) & (df["年份"] == 2015)][0]
    df.loc[hn, "专利密度"] = np.nan
    path = tmp_path / "用户数据.xlsx"
    df.to_excel(path, index=False)
    return path, df


def test_template_parses_to_the_defaults(tmp_path):
    """Reference: DEFAULTS.  The commented template, read back, is exactly the defaults."""
    p = tmp_path / "a.toml"
    p.write_text(template(), encoding="utf-8")
    cfg = load_config(p)
    assert json.loads(json.dumps(cfg.settings)) == json.loads(json.dumps(DEFAULTS))
    assert cfg.is_demo and cfg.missing == "interpolate" and cfg.seed == DEFAULTS["seeds"]["seed"]


@pytest.mark.parametrize("text, match", [
    ("[dat]\nfile = 'x'\n", r"unknown section \[dat\]"),
    ("[data]\nmissng = 'error'\n", "unknown option 'data.missng'"),
    ("[data]\nmissing = 'impute'\n", "missing = 'impute'"),
    ("[output]\nlang = 'fr'\n", "lang"),
    ("[index]\nsystem = 'inline'\n", "at least one"),
    ("[index]\nsystem = 'inline'\n[[index.indicators]]\ncolumn = 'a'\ndirection = 2\n", "direction"),
    ("[data\n", "invalid TOML"),
])
def test_bad_config_is_named(tmp_path, text, match):
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=match):
        load_config(p)


def test_missing_config_file():
    with pytest.raises(ConfigError, match="not found"):
        load_config("/nonexistent/analysis.toml")


def test_misspelled_province_is_named(tmp_path, user_excel):
    """A misspelled province ('湖男省') is an error naming exactly that label."""
    path, df = user_excel
    bad = df.copy()
    bad.loc[bad["省份"].isin(["湖南", "湖南省", "湖 南"]), "省份"] = "湖男省"
    bad_path = tmp_path / "bad.xlsx"
    bad.to_excel(bad_path, index=False)
    cfg = load_config(write_config(tmp_path / "c.toml", bad_path.name))
    with pytest.raises(regions.UnknownRegionError, match="湖男省") as exc:
        load_data(cfg, ["研发强度"])
    # exactly that label is unknown; the message adds a "did you mean" (issue 12)
    assert exc.value.unknown == ["湖男省"]
    assert "did you mean '湖南省'" in str(exc.value)


def test_user_excel_interpolates_and_reports(tmp_path, user_excel):
    """Hand-derived: the gap (Hunan 2015, 专利密度) is the mean of 2014 and 2016; it is logged."""
    path, df = user_excel
    cfg = load_config(write_config(tmp_path / "c.toml", path.name))
    pdata = load_data(cfg, ["研发强度", "专利密度", "碳强度", "二产比重"])
    f = pdata.frame
    assert sorted(f["code"].unique()) == sorted(regions.provinces().index)
    assert list(f.columns[:2]) == ["code", "year"] and len(f) == 31 * 5
    hunan = f[f["code"] == 43].set_index("year")["专利密度"]
    assert hunan[2015] == pytest.approx((hunan[2014] + hunan[2016]) / 2, rel=1e-14)
    assert len(pdata.changes) == 1
    ch = pdata.changes[0]
    assert (ch["action"], ch["code"], ch["year"], ch["column"]) == ("interpolated", 43, 2015, "专利密度")
    assert ch["new"] == pytest.approx(hunan[2015])
    assert pdata.unused_columns == ("备注",)
    assert pdata.derived["missing_before"]["专利密度"] == 1
    assert len(pdata.checksum) == 64
    assert pdata.labels["河 北"] == 13 and pdata.labels["黑龙江"] == 23


def test_interpolation_is_linear_in_the_year(tmp_path):
    """Regression: a province whose file skips years (2012, 2013, 2016) was interpolated as if
    the rows were equally spaced (2013 = mean of 2012 and 2016 = 25).  Hand-derived reference,
    linear in the year: 10 + (40 - 10) * (2013 - 2012) / (2016 - 2012) = 17.5, the value
    index.entropy_topsis(missing="interpolate") gives (np.interp over time)."""
    rows = [{"province": nm, "year": y, "v": (10.0 if y == 2012 else np.nan if y == 2013 else 40.0)
             if nm == "北京" else float(y - 2000)}
            for nm in ("北京", "天津", "河北") for y in (2012, 2013, 2016)]
    path = tmp_path / "gappy.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    cfg = load_config(None, data={"file": str(path), "id": "province", "missing": "interpolate"},
                      index={"system": "inline", "indicators": [{"column": "v", "direction": 1}]})
    pdata = load_data(cfg, ["v"])
    bj = pdata.frame[pdata.frame["code"] == 11].set_index("year")["v"]
    assert bj[2013] == pytest.approx(17.5, rel=1e-14)
    assert [(c["code"], c["year"], c["new"]) for c in pdata.changes] == [(11, 2013, pytest.approx(17.5))]


@pytest.mark.parametrize("policy, rows, action", [("drop_rows", 154, "dropped row"),
                                                   ("drop_units", 150, "dropped province")])
def test_user_excel_drop_policies(tmp_path, user_excel, policy, rows, action):
    path, _ = user_excel
    cfg = load_config(write_config(tmp_path / "c.toml", path.name, missing=policy))
    pdata = load_data(cfg, ["专利密度"])
    assert len(pdata.frame) == rows
    assert [c["action"] for c in pdata.changes] == [action] and pdata.changes[0]["code"] == 43


def test_user_excel_missing_error_names_cell(tmp_path, user_excel):
    path, _ = user_excel
    cfg = load_config(write_config(tmp_path / "c.toml", path.name, missing="error"))
    with pytest.raises(DataError, match=r"\(43, 2015, '专利密度'\)"):
        load_data(cfg, ["专利密度"])


def test_other_bad_data(tmp_path):
    df = user_frame()
    dup = pd.concat([df, df.iloc[[0]]])
    p = tmp_path / "dup.csv"
    dup.to_csv(p, index=False, encoding="gb18030")  # Chinese Windows encoding is detected
    cfg = load_config(write_config(tmp_path / "c.toml", p.name))
    with pytest.raises(PanelError, match=r"\(11, 2012\)"):
        load_data(cfg, ["研发强度"])
    p2 = tmp_path / "ok.csv"
    df.to_csv(p2, index=False)
    cfg = load_config(write_config(tmp_path / "c2.toml", p2.name))
    with pytest.raises(DataError, match="'不存在'"):
        load_data(cfg, ["不存在"])
    with pytest.raises(DataError, match="unsupported"):
        read_table(tmp_path / "c2.toml")
    cfg3 = cfg.replace(data={"id": "province"})
    with pytest.raises(DataError, match="'province'"):
        load_data(cfg3, [])


def test_demo_loads_with_derived_columns():
    """The demo: 341 rows, demo indicators derived, the 31 unpublished hitech cells of 2017 interpolated."""
    cfg = load_config()
    pdata = load_data(cfg, ["hitech_revenue_per_gdp", "ln_gdp", "edu_budget_share"])
    assert len(pdata.frame) == 341
    assert {c["year"] for c in pdata.changes} == {2017} and len(pdata.changes) == 31
    f = pdata.frame
    raw = f[(f["code"] == 11) & (f["year"] == 2013)].iloc[0]
    assert raw["ln_gdp"] == pytest.approx(np.log(raw["gdp"]), rel=1e-15)
    assert raw["edu_budget_share"] == pytest.approx(raw["budget_exp_education"] / raw["budget_exp_total"])


def test_user_file_laid_out_like_the_demo_gives_the_demo_frame(tmp_path):
    """--data with the bundled CSV (Chinese names instead of codes) = the demo's analysis frame."""
    from spatialnqpf import datasets
    raw = datasets.load_demo_panel()
    user = raw.drop(columns=["code"]).rename(columns={"name_zh": "province"})
    p = tmp_path / "panel.csv"
    user.to_csv(p, index=False)
    cfg = load_config(None, data={"file": str(p), "id": "province", "missing": "interpolate"})
    cols = ["hitech_revenue_per_gdp", "rd_intensity", "ln_gdp", "edu_budget_share"]
    mine = load_data(cfg, cols).frame.set_index(["code", "year"])[cols]
    demo = load_data(load_config(), cols).frame.set_index(["code", "year"])[cols]
    pd.testing.assert_frame_equal(mine, demo, rtol=1e-12)


def test_stata_file(tmp_path):
    """A .dta file (Stata 118, Unicode) with pinyin province names is read and normalised."""
    df = user_frame().rename(columns={"年份": "year", "研发强度": "rd", "专利密度": "pat",
                                      "碳强度": "co2", "二产比重": "ind", "备注": "note"})
    df["prov"] = regions.names(regions.normalize(df.pop("省份")), lang="pinyin").to_numpy()
    p = tmp_path / "u.dta"
    df.to_stata(p, write_index=False, version=118)
    cfg = load_config(None, data={"file": str(p), "id": "prov", "time": "year"})
    f = load_data(cfg, ["rd", "pat"]).frame
    assert len(f) == 155 and f["code"].nunique() == 31
    assert f.loc[(f["code"] == 61) & (f["year"] == 2012), "rd"].item() == pytest.approx(
        df.loc[(df["prov"] == "Shaanxi") & (df["year"] == 2012), "rd"].item())


def test_config_round_trips_through_toml(tmp_path, user_excel):
    """to_toml() → load_config() gives the same settings (Chinese keys, inline tables, booleans)."""
    path, _ = user_excel
    cfg = load_config(write_config(tmp_path / "c.toml", path.name)).replace(
        variables={"比率": "研发强度 / 专利密度"}, models={"lee_yu": "elhorst", "specification_search": False})
    text = cfg.to_toml()
    p = tmp_path / "again.toml"
    p.write_text(text, encoding="utf-8")
    again = load_config(p)
    expected = cfg.to_dict()
    expected["data"]["file"] = str(path.resolve())
    assert again.to_dict() == expected
    demo = load_config()
    (tmp_path / "d.toml").write_text(demo.to_toml(), encoding="utf-8")
    assert load_config(tmp_path / "d.toml").to_dict() == demo.to_dict()
