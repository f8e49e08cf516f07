"""Demo panel loader. Reference: the shared CSV as shipped (spatialnqpf/data), read here
with the csv module (no pandas) so the comparison does not reuse the loader's parsing."""
import csv
import math
from importlib import resources

import pandas as pd
import pytest

from spatialnqpf import datasets
from spatialnqpf._validation import DataError, PanelError, check_panel


def _raw_rows():
    with resources.files("spatialnqpf.data").joinpath("nqpf_panel_2012_2022.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_shape_and_keys():
    df = datasets.load_demo_panel()
    assert df.shape[0] == 341
    assert df["code"].nunique() == 31 and sorted(df["year"].unique()) == list(range(2012, 2023))
    assert not df.duplicated(["code", "year"]).any()


def test_values_equal_shared_csv():
    df = datasets.load_demo_panel().set_index(["code", "year"])
    rows = _raw_rows()
    assert len(rows) == 341
    numeric = [c for c in rows[0] if c not in ("code", "year", "name_cn", "name_cn_short", "name_pinyin")]
    for r in rows:
        key = (int(r["code"]), int(r["year"]))
        for c in numeric:
            got = df.at[key, c]
            if r[c] == "":
                assert math.isnan(got), (key, c)
            else:
                assert got == float(r[c]), (key, c)
        assert df.at[key, "name_zh"] == r["name_cn"]


def test_known_cells():
    # Beijing 2012 from shared/data/nqpf_panel_2012_2022.csv: GDP 17879.4 亿元, R&D intensity 5.95 %.
    df = datasets.load_demo_panel().set_index(["code", "year"])
    assert df.at[(11, 2012), "gdp"] == 17879.4
    assert df.at[(11, 2012), "rd_intensity"] == 5.95
    # CEADs has no Tibet and ends in 2019: missing stays missing.
    assert df.loc[54, "co2_scope1_total_mt"].isna().all()
    assert df.xs(2020, level="year")["co2_scope1_total_mt"].isna().all()


def test_attrs_units_sources():
    df = datasets.load_demo_panel()
    assert df.attrs["units"]["rd_exp_total"] == "万元"
    assert "CEADs" in df.attrs["sources"]["co2_scope1_total_mt"]
    dd = datasets.data_dictionary()
    assert dd.loc["hitech_revenue", "missing_years"] == "2017"
    assert "CEADs" in datasets.data_sources()


def test_year_subset_and_errors():
    assert len(datasets.load_demo_panel(years=[2020, 2022])) == 62
    with pytest.raises(DataError, match="2030"):
        datasets.load_demo_panel(years=[2022, 2030])
    with pytest.raises(DataError, match="not_a_var"):
        datasets.load_demo_panel(columns=["gdp", "not_a_var"])


def test_duplicate_province_year_is_named():
    df = datasets.load_demo_panel(columns=["gdp"])
    bad = pd.concat([df, df.iloc[[5]]])
    with pytest.raises(PanelError, match=r"\(11, 2017\)"):
        check_panel(bad, "code", "year", columns=["gdp"])


def test_unbalanced_panel_is_named():
    df = datasets.load_demo_panel(columns=["gdp"])
    with pytest.raises(PanelError, match=r"\(46, 2015\)"):
        check_panel(df[~((df.code == 46) & (df.year == 2015))], "code", "year", ["gdp"], balanced=True)
    with pytest.raises(DataError, match="co2_coal_mt"):
        check_panel(datasets.load_demo_panel(columns=["co2_coal_mt"]), "code", "year", ["co2_coal_mt"])
