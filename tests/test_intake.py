"""Tests of spatialnqpf.intake.read_yearbook (yearbook-layout sheets → long panel).

The reference is the bundled demo panel itself: the workbooks are written here with
openpyxl from the demo panel in yearbook layout (merged title row, unit row, a 全国 row,
footnotes, missing marks, numbers stored as text with thousands separators or full-width
digits, province names in several spellings), so the long panel read back must equal the
demo panel exactly, cell for cell, and the index computed from it must equal the index of
the long-format run exactly.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import datasets, index, regions
from spatialnqpf._validation import DataError, PanelError
from spatialnqpf.intake import YearbookReport, YearbookWarning, read_yearbook, unit_factor

openpyxl = pytest.importorskip("openpyxl")

MARKS = ["—", "…", "-", "/", None, "——", "－"]
FULL = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")


def demo_columns():
    s = index.demo_system()
    need = set()
    for i in s.indicators:
        need.update([c for c in (i.numerator, i.denominator) if c] or [i.column])
    return sorted(need)


def label_of(code, k):
    """Province label in one of the spellings yearbooks and spreadsheets use."""
    r = regions.provinces().loc[code]
    return [r["name_zh"], "\u3000".join(r["short_zh"]), r["name_en"], r["short_zh"],
            r["pinyin"]][k % 5]


def text_number(v, k):
    """A number as a yearbook cell: the float itself, or text in one of three forms."""
    kind = k % 4
    if kind == 0:  # a numeric cell; openpyxl writes floats with "%.16g" (17-digit values as text)
        return v if float("%.16g" % v) == v else repr(v)
    if kind == 1:
        return repr(v)
    if kind == 2:
        return f"{v:,}"
    return f"{v:,}".translate(FULL)


def write_yearbook(path, panel, columns, units=None, extra=None):
    """One sheet per column: merged title, unit row, header of years, 全国 row, footnotes."""
    units = units or {}
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    years = sorted(panel["year"].unique())
    codes = sorted(panel["code"].unique())
    wide = {c: panel.pivot(index="code", columns="year", values=c) for c in columns}
    k = 0
    for s, col in enumerate(columns):
        ws = wb.create_sheet(col)
        ncol = 1 + len(years)
        ws.cell(1, 1, f"表{s + 1}-1  各地区{col}（{years[0]}—{years[-1]}年）")
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
        ws.cell(2, ncol, f"单位：{units.get(col, '万元')}")
        ws.cell(3, 1, "地 区")
        for j, y in enumerate(years):
            ws.cell(3, 2 + j, int(y) if j % 2 == 0 else f"{y}年")
        ws.cell(4, 1, "全国")
        for j, y in enumerate(years):
            ws.cell(4, 2 + j, float(np.nansum(wide[col][y])))
        for i, code in enumerate(codes):
            ws.cell(5 + i, 1, label_of(code, i + s))
            for j, y in enumerate(years):
                v = wide[col].at[code, y]
                if np.isnan(v):
                    ws.cell(5 + i, 2 + j, MARKS[k % len(MARKS)])
                else:
                    ws.cell(5 + i, 2 + j, text_number(float(v), k))
                k += 1
        foot = 5 + len(codes)
        ws.cell(foot, 1, "注：本表数据不含港澳台地区。")
        ws.cell(foot + 1, 1, "资料来源：《中国科技统计年鉴》。")
    if extra:
        extra(wb)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def demo():
    return datasets.load_demo_panel()


@pytest.fixture(scope="module")
def workbook(tmp_path_factory, demo):
    p = tmp_path_factory.mktemp("yb") / "年鉴.xlsx"
    return write_yearbook(p, demo, demo_columns())


@pytest.fixture(scope="module")
def parsed(workbook):
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no YearbookWarning: every cell is a number or a mark
        return read_yearbook(workbook)


def test_yearbook_gives_exactly_the_long_panel(parsed, demo):
    """Reference: the demo panel the workbook was written from, cell for cell (exact)."""
    panel, report = parsed
    cols = demo_columns()
    expected = demo[["code", "year"] + cols].sort_values(["code", "year"]).reset_index(drop=True)
    expected.attrs = {}
    got = panel.copy()
    got.attrs = {}
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert panel.attrs["units"] == {c: "万元" for c in cols}


def test_yearbook_gives_exactly_the_index_of_the_long_run(parsed, demo):
    """entropy_topsis on the parsed workbook = entropy_topsis on the long panel (exact)."""
    panel, _ = parsed
    system = index.demo_system().select(pillars=["technology"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", index.IndexWarning)
        ref = index.entropy_topsis(index.demo_indicators(demo), system=system, missing="interpolate")
        got = index.entropy_topsis(index.demo_indicators(panel), system=system, missing="interpolate")
    pd.testing.assert_frame_equal(got.to_frame(), ref.to_frame(), check_exact=True)
    pd.testing.assert_series_equal(got.weights, ref.weights, check_exact=True)
    pd.testing.assert_frame_equal(got.missing_report, ref.missing_report, check_exact=True)
    assert len(ref.to_frame()) == 341 and len(ref.missing_report) > 0


def test_report_lists_every_cell_that_was_not_a_number(parsed, demo, workbook):
    """Hand-derived counts: one record per missing demo cell and per cell written as text."""
    panel, report = parsed
    assert isinstance(report, YearbookReport)
    cols = demo_columns()
    cells = report.cells
    n_missing = int(demo[cols].isna().sum().sum())
    missing = cells[cells["action"].isin(["missing mark", "blank"])]
    assert len(missing) == n_missing
    # the writer cycles through 4 number forms; 3 of 4 non-missing cells are text
    wb = openpyxl.load_workbook(workbook)
    text_cells = sum(isinstance(c.value, str) and c.value not in MARKS
                     for s in cols for row in wb[s].iter_rows(min_row=5, max_row=35, min_col=2)
                     for c in row)
    assert (cells["action"].str.startswith("number")).sum() == text_cells
    # addresses: Beijing (row 5) 2012 (column B) of the first sheet
    ws = wb[cols[0]]
    rec = cells[(cells["sheet"] == cols[0]) & (cells["cell"] == "C5")]
    raw = ws["C5"].value
    if isinstance(raw, str) or raw is None:
        assert rec["raw"].item() == raw and rec["code"].item() == 11 and rec["year"].item() == 2013
    full = cells[cells["action"].str.contains("full-width")]
    assert len(full) and all(np.isfinite(full["value"]))
    # 全国 rows dropped with a note, footnotes kept
    assert set(report.dropped["reason"]) == {"total row"}
    assert len(report.dropped) == len(cols) and set(report.dropped["cell"]) == {"A4"}
    assert any("注：本表数据不含港澳台地区" in n for n in report.notes)
    sh = report.to_frame()
    assert list(sh.index) == cols and set(sh["header"]) == {"B3:L3"}
    assert set(sh["labels"]) == {"A4:A35"} and (sh["merged_ranges"] == 1).all()
    assert report.labels["北\u3000京"] == 11 and report.labels["Inner Mongolia"] == 15
    text = report.summary()
    assert "dropped" in text and "全国" in text
    with pytest.raises(AttributeError):
        report.notes = ()


def test_unit_conversion_is_exact_and_recorded(tmp_path, demo):
    """万元 → 亿元 divides by 10 000 (one division: exact against demo / 1e4)."""
    p = write_yearbook(tmp_path / "u.xlsx", demo, ["rd_fte_total", "gdp"],
                       units={"rd_fte_total": "人年", "gdp": "万元"})
    panel, report = read_yearbook(p, variables={"gdp": "gdp_yi", "rd_fte_total": "fte"},
                                  units={"gdp_yi": "亿元"})
    assert list(panel.columns) == ["code", "year", "gdp_yi", "fte"]
    ref = demo.sort_values(["code", "year"])["gdp"].to_numpy() / 1e4
    np.testing.assert_array_equal(panel["gdp_yi"].to_numpy(), ref)
    sh = report.to_frame()
    assert sh.loc["gdp", "unit"] == "万元" and sh.loc["gdp", "unit_out"] == "亿元"
    assert sh.loc["gdp", "factor"] == 1e-4 and panel.attrs["units"]["gdp_yi"] == "亿元"
    assert any("converted from 万元 to 亿元" in n for n in report.notes)
    assert unit_factor("亿元", "万元") == (10 ** 4, 1) and unit_factor("千克", "千克") == (1, 1)
    titled, _ = read_yearbook(p, name_from="title")   # "表1-1  各地区gdp（2012—2022年）"
    assert list(titled.columns) == ["code", "year", "各地区rd_fte_total", "各地区gdp"]
    with pytest.raises(DataError, match="different base units"):
        read_yearbook(p, units={"rd_fte_total": "亿元"})


def test_wrong_sheet_name_lists_the_sheets(workbook):
    with pytest.raises(DataError, match=r"no sheet 'rd_intensty'.*'gdp'.*did you mean 'rd_intensity'"):
        read_yearbook(workbook, sheets=["rd_intensty"])
    with pytest.raises(DataError, match="out of range"):
        read_yearbook(workbook, sheets=[99])


def _small(ws, labels, values, years=(2020, 2021)):
    ws.cell(1, 1, "地区")
    for j, y in enumerate(years):
        ws.cell(1, 2 + j, y)
    for i, (lab, vals) in enumerate(zip(labels, values)):
        ws.cell(2 + i, 1, lab)
        for j, v in enumerate(vals):
            ws.cell(2 + i, 2 + j, v)


def test_unknown_label_is_named_with_cell_and_suggestion(tmp_path):
    wb = openpyxl.Workbook()
    _small(wb.active, ["北京", "安微省", "东部地区"], [[1, 2], [3, 4], [5, 6]])
    p = tmp_path / "x.xlsx"
    wb.save(p)
    with pytest.raises(regions.UnknownRegionError, match=r"'安微省'.*did you mean.*安徽.*A3") as e:
        read_yearbook(p)
    assert e.value.unknown == ["安微省"]
    with pytest.warns(YearbookWarning, match=r"Sheet!A3='安微省'"):
        panel, rep = read_yearbook(p, unknown="drop")
    assert list(panel["code"].unique()) == [11]
    assert dict(zip(rep.dropped["label"], rep.dropped["reason"])) == {
        "安微省": "unknown label", "东部地区": "regional aggregate row"}


def test_repeated_header_and_marked_labels(tmp_path):
    """A header repeated mid-sheet (page break) is dropped; '西藏*' / '河北①' are read."""
    wb = openpyxl.Workbook()
    _small(wb.active, ["北京", "地区", "西藏*", "河北①"], [[1, 2], [2020, "2021年"], [3, 4], [5, 6]])
    p = tmp_path / "x.xlsx"
    wb.save(p)
    panel, rep = read_yearbook(p)
    assert panel.set_index(["code", "year"])["Sheet"].to_dict() == {
        (11, 2020): 1.0, (11, 2021): 2.0, (13, 2020): 5.0, (13, 2021): 6.0,
        (54, 2020): 3.0, (54, 2021): 4.0}
    assert rep.dropped[["cell", "reason"]].values.tolist() == [["A3", "repeated header row"]]


def test_bad_cells_warn_and_duplicates_refused(tmp_path):
    wb = openpyxl.Workbook()
    _small(wb.active, ["北京", "天津"], [["12.5*", "n/d"], ["1 234", "３①"]])
    p = tmp_path / "x.xlsx"
    wb.save(p)
    with pytest.warns(YearbookWarning, match=r"C2='n/d'"):
        panel, rep = read_yearbook(p)
    assert panel["Sheet"].tolist() == [12.5, np.nan, 1234.0, 3.0] or \
        np.array_equal(panel["Sheet"].to_numpy(), [12.5, np.nan, 1234.0, 3.0], equal_nan=True)
    acts = dict(zip(rep.cells["cell"], rep.cells["action"]))
    assert acts == {"B2": "number cleaned (footnote mark)", "C2": "not a number (read as missing)",
                    "B3": "number cleaned (spaces)",
                    "C3": "number cleaned (footnote mark, full-width characters)"}
    wb = openpyxl.Workbook()
    _small(wb.active, ["北京", "北京市"], [[1, 2], [3, 4]])
    wb.save(p)
    with pytest.raises(PanelError, match=r"11 appears twice, at A2 \('北京'\) and A3 \('北京市'\)"):
        read_yearbook(p)


def test_transposed_sheet_csv_and_city_level(tmp_path):
    """Years down the first column are read transposed; a CSV is one sheet; city level drops
    province subtotals (吉林省 is not 吉林市)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "gdp"
    ws.cell(1, 1, "年份")
    for j, lab in enumerate(["Beijing", "Tianjin"]):
        ws.cell(1, 2 + j, lab)
    for i, y in enumerate([2020, 2021, 2022]):
        ws.cell(2 + i, 1, f"{y}年")
        for j in range(2):
            ws.cell(2 + i, 2 + j, 10.0 * (j + 1) + i)
    p = tmp_path / "t.xlsx"
    wb.save(p)
    panel, rep = read_yearbook(p)
    assert panel.set_index(["code", "year"])["gdp"].to_dict() == {
        (11, 2020): 10.0, (11, 2021): 11.0, (11, 2022): 12.0,
        (12, 2020): 20.0, (12, 2021): 21.0, (12, 2022): 22.0}
    assert rep.sheets["layout"].item().startswith("years as rows") and rep.sheets["labels"].item() == "B1:C1"

    csv = tmp_path / "城市.csv"
    csv.write_text("各城市GDP（亿元）\n城市,2020,2021\n吉林省,\"1,000\",—\n长春市,700,710\n"
                   "吉林市,300,…\n合计,1000,\n资料来源：吉林统计年鉴\n", encoding="gb18030")
    panel, rep = read_yearbook(csv, level="city", name_from="title", units="万元")
    assert list(panel.columns) == ["code", "year", "各城市GDP"]
    assert panel.set_index(["code", "year"])["各城市GDP"].to_dict(into=dict) == pytest.approx(
        {(220100, 2020): 7e6, (220100, 2021): 7.1e6, (220200, 2020): 3e6,
         (220200, 2021): np.nan}, nan_ok=True)
    assert dict(zip(rep.dropped["label"], rep.dropped["reason"])) == {
        "吉林省": "province subtotal row (province 22)", "合计": "total row"}
    assert rep.sheets["unit"].item() == "亿元" and rep.sheets["factor"].item() == 1e4
    # CSV text numbers are plain numbers (not recorded); the mark is
    assert rep.cells[["cell", "action"]].values.tolist() == [["C5", "missing mark"]]


def test_absent_rows_across_sheets_are_reported(tmp_path):
    wb = openpyxl.Workbook()
    _small(wb.active, ["北京", "天津"], [[1, 2], [3, 4]])
    wb.active.title = "a"
    _small(wb.create_sheet("b"), ["北京"], [[5, 6]])
    p = tmp_path / "x.xlsx"
    wb.save(p)
    panel, rep = read_yearbook(p)
    assert np.isnan(panel.loc[panel["code"] == 12, "b"]).all()
    absent = rep.cells[rep.cells["action"] == "absent row"]
    assert absent[["sheet", "code", "year"]].values.tolist() == [["b", 12, 2020], ["b", 12, 2021]]


def test_config_layout_wide_gives_the_demo_analysis_frame(tmp_path, demo):
    """[data] layout = "wide": the yearbook workbook of the demo = the demo's analysis frame."""
    from spatialnqpf.report.config import ConfigError, load_config, load_data
    p = write_yearbook(tmp_path / "年鉴.xlsx", demo, demo_columns() + ["budget_exp_education"])
    toml = tmp_path / "analysis.toml"
    toml.write_text('[data]\nfile = "年鉴.xlsx"\nlayout = "wide"\nmissing = "interpolate"\n',
                    encoding="utf-8")
    cfg = load_config(toml)
    cols = ["hitech_revenue_per_gdp", "rd_intensity", "techmkt_per_gdp", "ln_gdp", "edu_budget_share"]
    mine = load_data(cfg, cols)
    demo_run = load_data(load_config(), cols)
    pd.testing.assert_frame_equal(mine.frame.set_index(["code", "year"])[cols],
                                  demo_run.frame.set_index(["code", "year"])[cols], check_exact=True)
    assert [(c["action"], c["code"], c["year"], c["column"]) for c in mine.changes] == \
        [(c["action"], c["code"], c["year"], c["column"]) for c in demo_run.changes]
    assert isinstance(mine.intake, YearbookReport) and mine.labels["北\u3000京"] == 11
    assert set(mine.intake.dropped["reason"]) == {"total row"}
    sub = load_data(load_config(toml, data={"sheets": {"gdp": "GDP"}}), ["GDP"])
    assert list(sub.frame.columns) == ["code", "year", "GDP"]
    with pytest.raises(ConfigError, match="'tall'"):
        load_data(load_config(toml, data={"layout": "tall"}), cols)


def test_file_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_yearbook(tmp_path / "nope.xlsx")
    (tmp_path / "a.json").write_text("{}")
    with pytest.raises(DataError, match="unsupported yearbook file type '.json'"):
        read_yearbook(tmp_path / "a.json")
    (tmp_path / "a.xls").write_bytes(b"not a workbook")
    with pytest.raises(DataError, match=r"xlrd|cannot read a\.xls"):
        read_yearbook(tmp_path / "a.xls")
    wb = openpyxl.Workbook()
    wb.active.cell(1, 1, "说明：本文件没有数据")
    wb.save(tmp_path / "empty.xlsx")
    with pytest.raises(DataError, match="no sheet of empty.xlsx has a header row of years"):
        read_yearbook(tmp_path / "empty.xlsx")
