"""Tests of spatialnqpf.report.tables (journal-layout tables in six formats).

References used here (each test says which):
* hand-worked examples (star thresholds, normal p-values, formatting);
* statsmodels OLS on a seeded simulated sample: the table must carry exactly
  statsmodels' estimates, standard errors, N, R² and log-likelihood;
* the written files read back with python-docx, openpyxl and the csv module.
"""
from __future__ import annotations

import csv
import re

import numpy as np
import pandas as pd
import pytest

from spatialnqpf.report.tables import (Cell, Row, Table, extract_model, format_number, frame_table,
                                       latex_escape, regression_table, stars, write_document,
                                       write_table, write_workbook)

docx = pytest.importorskip("docx")
openpyxl = pytest.importorskip("openpyxl")
sm = pytest.importorskip("statsmodels.api")


@pytest.fixture(scope="module")
def ols():
    rng = np.random.default_rng(12345)
    X = pd.DataFrame(rng.normal(size=(80, 2)), columns=["x1", "x_2"])
    y = 1.0 + 0.5 * X["x1"] - 0.05 * X["x_2"] + rng.normal(size=80)
    return sm.OLS(y, sm.add_constant(X)).fit()


# ------------------------------------------------------------ hand-worked
@pytest.mark.parametrize("p, expected", [(0.0099, "***"), (0.01, "**"), (0.0499, "**"), (0.05, "*"),
                                         (0.0999, "*"), (0.1, ""), (0.5, ""), (float("nan"), "")])
def test_stars_thresholds(p, expected):
    """Hand-worked: *** p<0.01, ** p<0.05, * p<0.1 (strict inequalities)."""
    assert stars(p) == expected


@pytest.mark.parametrize("x, digits, text", [(1.23456, 3, "1.235"), (-0.0004, 3, "-4.00e-04"),
                                             (-0.00004, 2, "-4.0e-05"), (0.0, 3, "0.000"),
                                             (12, 3, "12"), (float("nan"), 3, ""),
                                             (123456789.0, 3, "1.23e+08"), (0.0006, 3, "0.001"), (0.0004999, 3, "5.00e-04")])
def test_format_number(x, digits, text):
    """Hand-worked formatting: fixed decimals, scientific for tiny/huge values, ints kept."""
    assert format_number(x, digits) == text


def test_pvalue_fallback_is_two_sided_normal():
    """Hand-worked: b/se = 1.96 gives p = 0.04999579 (two-sided normal) → '**'; 1.6449 → '*'."""
    res = {"params": pd.Series({"a": 1.96, "b": 1.6449}), "bse": pd.Series({"a": 1.0, "b": 1.0})}
    ext = extract_model(res)
    assert ext["pvalues"]["a"] == pytest.approx(0.04999579, abs=1e-8)
    t = regression_table([res])
    assert t.rows[0].cells[0].text == "1.960**"
    assert t.rows[2].cells[0].text == "1.645*"


# --------------------------------------------------------- statsmodels
def test_regression_table_carries_statsmodels_numbers(ols):
    """Reference: statsmodels OLS.  Every coefficient, SE, N, R², llf equals its attribute."""
    t = regression_table({"(1)": ols}, lang="en")
    vals = {(v["label"], v["kind"]): v for v in t.values()}
    for name in ols.params.index:
        label = "Constant" if name == "const" else name
        row = next(i for i, r in enumerate(t.rows) if r.label == label)
        assert t.rows[row].cells[0].value == pytest.approx(ols.params[name], rel=1e-15)
        assert t.rows[row + 1].cells[0].value == pytest.approx(ols.bse[name], rel=1e-15)
        assert t.rows[row + 1].cells[0].text == f"({ols.bse[name]:.3f})"
        assert t.rows[row].cells[0].text == f"{ols.params[name]:.3f}" + stars(ols.pvalues[name])
    assert vals[("Observations", "stat")]["text"] == "80"
    assert vals[("R²", "stat")]["value"] == pytest.approx(ols.rsquared)
    assert vals[("Log-likelihood", "stat")]["text"] == f"{ols.llf:.3f}"
    assert t.notes[0] == "Standard errors in parentheses"


def test_regression_table_t_in_parentheses_and_zh_labels(ols):
    """Reference: statsmodels t-values; Chinese fixed labels."""
    t = regression_table({"OLS": ols}, lang="zh", paren="t")
    x1 = next(i for i, r in enumerate(t.rows) if r.label == "x1")
    assert t.rows[x1 + 1].cells[0].text == f"({ols.tvalues['x1']:.2f})"
    labels = [r.label for r in t.rows]
    assert "常数项" in labels and "样本量 N" in labels and "对数似然值" in labels
    assert t.notes[0] == "括号内为 t 值"


def test_effects_and_fe_flags_under_coefficients():
    """Hand-made spatial result: ρ after W×x, effects sections in order, FE flags YES/NO."""
    res = {"params": pd.Series({"x": 0.5, "W_x": 0.2, "rho": 0.3}),
           "bse": pd.Series({"x": 0.1, "W_x": 0.1, "rho": 0.05}),
           "nobs": 310, "llf": -12.3456, "fe": "twoways", "r2": 0.4}
    eff = pd.DataFrame({"direct": [0.52], "direct_se": [0.1], "direct_p": [0.001],
                        "indirect": [0.4], "indirect_se": [0.3], "indirect_p": [0.2],
                        "total": [0.92], "total_se": [0.3], "total_p": [0.002]}, index=["x"])
    t = regression_table({"SDM": res}, effects={"SDM": eff}, lang="en")
    labels = [r.label for r in t.rows]
    assert labels[:6] == ["x", "", "W×x", "", "ρ (W×y)", ""]
    sec = [r.label for r in t.rows if r.kind == "section"]
    assert sec == ["Direct effect", "Indirect effect", "Total effect", "Statistics"]
    cells = {r.label: r.cells[0].text for r in t.rows if r.kind == "stat"}
    assert cells["Province FE"] == "YES" and cells["Year FE"] == "YES"
    assert cells["Observations"] == "310" and cells["Log-likelihood"] == "-12.346"
    d = labels.index("Direct effect")
    assert t.rows[d + 1].cells[0].text == "0.520***" and t.rows[d + 2].cells[0].text == "(0.100)"
    i = labels.index("Indirect effect")
    assert t.rows[i + 1].cells[0].text == "0.400"   # p = 0.2: no star


def test_bad_input_is_named(ols):
    with pytest.raises(TypeError, match="params"):
        regression_table([object()])
    with pytest.raises(ValueError, match="lang"):
        regression_table([ols], lang="fr")
    with pytest.raises(ValueError, match="paren"):
        regression_table([ols], paren="p")
    with pytest.raises(KeyError, match="nope"):
        regression_table({"a": ols}, effects={"nope": pd.DataFrame()})
    with pytest.raises(ValueError, match="row 'r'.*expected 2"):
        Table("t", "T", "", ("a", "b"), (Row("r", (Cell("1"),)),))


# ------------------------------------------------------------ formats
def _sample_table(ols):
    eff = pd.DataFrame({"direct": [0.52], "direct_se": [0.1], "direct_p": [0.001]}, index=["x1"])
    return regression_table({"(1)": ols, "(2) 50%_&": ols}, effects={"(1)": eff}, lang="zh",
                            name="reg")


def test_latex_is_booktabs_and_balanced(ols):
    """Structural validation (no TeX here): rules, column counts, escapes, environments."""
    t = _sample_table(ols)
    tex = t.to_latex()
    assert tex.count("\\toprule") == 1 and tex.count("\\bottomrule") == 1
    assert tex.count("\\begin{") == tex.count("\\end{") == 2
    assert "\\begin{tabular}{lcc}" in tex
    assert "50\\%\\_\\&" in tex and "x\\_2" in tex
    body = tex.split("\\midrule", 1)[1].split("\\bottomrule")[0]
    for line in body.splitlines():
        if line.startswith("\\midrule") or line.startswith("\\multicolumn") or not line.strip():
            continue
        assert len(re.findall(r"(?<!\\)&", line)) == 2, line
        assert line.endswith("\\\\")
    assert "$<$" in tex  # p<0.01 in the notes does not become an inverted exclamation mark
    assert latex_escape("σ² ρ") == "$\\sigma$$^2$ $\\rho$"


def test_files_round_trip(ols, tmp_path):
    """Reference: the files read back with python-docx, openpyxl and csv equal the grid."""
    t = _sample_table(ols)
    paths = write_table(t, tmp_path)
    assert set(paths) == {"tex", "docx", "xlsx", "csv", "html", "md"}
    grid = t.grid()
    d = docx.Document(str(paths["docx"]))
    tab = d.tables[0]
    assert [[c.text for c in r.cells] for r in tab.rows] == grid
    assert d.paragraphs[0].text == t.title
    xml = tab._tbl.xml
    assert 'w:top w:val="single" w:sz="12"' in xml and 'w:bottom w:val="single" w:sz="12"' in xml
    ws = openpyxl.load_workbook(paths["xlsx"]).active
    assert ws.cell(1, 1).value == t.title
    for i, row in enumerate(grid, start=2):
        for j, text in enumerate(row, start=1):
            v = ws.cell(i, j).value
            if isinstance(v, (int, float)):
                assert format_number(v, len(text.split(".")[1]) if "." in text else 0) == text
            else:
                assert (v or "") == text
    n_numeric = sum(isinstance(c.value, (int, float)) for r in ws.iter_rows() for c in r)
    assert n_numeric >= 3  # N, R², llf are real numbers in Excel, not text
    with open(paths["csv"], encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[:len(grid)] == grid
    md = paths["md"].read_text(encoding="utf-8")
    assert md.count("\n| ") == len(grid)  # header + rows (separator line starts with '|:')
    html = paths["html"].read_text(encoding="utf-8")
    assert html.count("<tr>") == len(grid)


def test_workbook_and_document_hold_every_table(ols, tmp_path):
    a = _sample_table(ols)
    b = frame_table(pd.DataFrame({"v": [1.5, 2.25]}, index=["p", "q"]), name="b" * 40, title="B")
    wb = openpyxl.load_workbook(write_workbook([a, b], tmp_path / "all.xlsx"))
    assert wb.sheetnames == ["reg", "reg_raw", "b" * 31, "b" * 27 + "_raw"]
    doc = docx.Document(str(write_document([a, b], tmp_path / "all.docx", heading="H")))
    assert len(doc.tables) == 2


def test_frame_table_values_and_percent():
    """Hand-worked: numeric cells keep their float; percent columns show value×100."""
    df = pd.DataFrame({"G": [0.3512345, 0.2], "share": [0.6349, 0.5], "n": [31, 30],
                       "name": ["a", "b"]}, index=pd.Index([2012, 2013], name="year"))
    t = frame_table(df, name="f", title="F", digits=4, percent=["share"])
    assert t.stub == "year" and t.columns == ("G", "share", "n", "name")
    assert [c.text for c in t.rows[0].cells] == ["0.3512", "63.49%", "31", "a"]
    assert t.rows[0].cells[1].value == 0.6349 and t.rows[0].cells[3].value is None
    na = pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": [None, "x"]})
    assert [[c.text for c in r.cells] for r in frame_table(na, name="n", title="N").rows] == [["1", ""],
                                                                                            ["", "x"]]
    mi = pd.DataFrame([[1.0, 2.0]], columns=pd.MultiIndex.from_tuples([("W1", "I"), ("W1", "p")]))
    assert frame_table(mi, name="m", title="M").columns == ("W1 I", "W1 p")
    with pytest.raises(TypeError, match="DataFrame"):
        frame_table([1, 2], name="x", title="x")


def _pdflatex(tex_files, folder):
    import shutil
    import subprocess
    doc = folder / "doc.tex"
    doc.write_text("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{booktabs}\n"
                   "\\begin{document}\n" + "".join(f"\\input{{{p.name}}}\n" for p in tex_files)
                   + "\\end{document}\n", encoding="utf-8")
    r = subprocess.run([shutil.which("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", doc.name],
                       cwd=folder, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-3000:]
    return (folder / "doc.pdf").stat().st_size


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None, reason="no TeX installation")
def test_latex_compiles_with_pdflatex(ols, tmp_path):
    """English tables (Greek letters, %, _, &, <, effects sections) compile with pdflatex + booktabs."""
    eff = pd.DataFrame({"direct": [0.52], "direct_se": [0.1], "direct_p": [0.001]}, index=["x1"])
    spatial = {"params": pd.Series({"x1": 0.5, "W_x1": 0.2, "rho": 0.3}),
               "bse": pd.Series({"x1": 0.1, "W_x1": 0.1, "rho": 0.05}), "sigma2": 1.0, "fe": "twoways"}
    a = regression_table({"OLS 50%_&": ols, "SDM": spatial}, effects={"SDM": eff}, name="a")
    b = frame_table(pd.DataFrame({"G": [0.35, 1e-9], "share": [0.64, 0.5]}, index=["x_1", "y#"]),
                    name="b", title="Dagum G & shares", percent=["share"])
    files = [write_table(t, tmp_path, ("tex",))["tex"] for t in (a, b)]
    assert _pdflatex(files, tmp_path) > 1000


# ------------------------------------------------- specification-search wording
def test_translate_decision_every_phrase_of_the_elhorst_sequence():
    """Hand-written table: every decision text of models.specification.specification_search
    (the literal phrases and the f-string patterns) and its Chinese wording in the report."""
    from spatialnqpf.report.tables import translate_decision
    expected = {
        "reject H0 (no spatial term)": "拒绝 H0（无空间项）",
        "do not reject": "不拒绝 H0",
        "effects jointly significant": "效应联合显著",
        "effects not significant": "效应不显著",
        "use fe='twoways'": "采用双向固定效应（fe='twoways'）",
        "use fe='individual'": "采用个体固定效应（fe='individual'）",
        "use fe='time'": "采用时间固定效应（fe='time'）",
        "use fe='none'": "不设固定效应（fe='none'）",
        "reject RE: fixed effects": "拒绝随机效应：采用固定效应",
        "RE not rejected; fixed effects kept (consistent either way)":
            "不拒绝随机效应；保留固定效应（两者均一致）",
        "inconclusive (V_FE - V_RE not positive definite (min eigenvalue -0.1)); fixed effects kept":
            "无法判定（V_FE - V_RE not positive definite (min eigenvalue -0.1)）；保留固定效应",
        "not computed: singular matrix": "未计算：singular matrix",
        "not applicable (no unit effects)": "不适用（无个体效应）",
        "reject simplification": "拒绝简化",
        "simplification accepted": "接受简化",
        "SDM: both simplifications rejected": "SDM：两种简化均被拒绝",
        "SAR: SAR accepted and the robust LM tests agree": "SAR：接受 SAR，稳健 LM 检验与之一致",
        "SDM: SAR accepted but the robust LM tests point to an error: keep SDM":
            "SDM：接受 SAR，但稳健 LM 检验指向误差项：保留 SDM",
        "SEM: SEM accepted and the robust LM tests agree": "SEM：接受 SEM，稳健 LM 检验与之一致",
        "SDM: SEM accepted but the robust LM tests point to a lag: keep SDM":
            "SDM：接受 SEM，但稳健 LM 检验指向滞后项：保留 SDM",
        "SAR: both simplifications accepted: the one with the larger LR p-value":
            "SAR：两种简化均被接受：取 LR 检验 p 值较大者",
    }
    for en, zh in expected.items():
        assert translate_decision(en, "zh") == zh, en
        assert translate_decision(en, "en") == en
    # unknown text, an unknown fe and non-strings are kept unchanged (fallback)
    for other in ("a new phrase of the models module", "use fe='random'", "SDM: something new"):
        assert translate_decision(other, "zh") == other.replace("SDM: ", "SDM：")
    assert translate_decision(None, "zh") is None
    with pytest.raises(ValueError, match="'fr'"):
        translate_decision("do not reject", "fr")


def test_translate_specification_keeps_numbers_and_unknown_entries():
    """Hand-made frame in the layout of SpecificationResult.to_frame(): words translated,
    numbers and the input frame untouched."""
    from spatialnqpf.report.tables import translate_specification
    df = pd.DataFrame({"test": ["LM_lag", "robust_LM_error", "LR_time_effects", "Hausman_FE_vs_RE",
                                "Wald_SDM_vs_SEM", "decision", "new_test"],
                       "fe": ["none", "twoways", "-", "individual", "time", "twoways", "other"],
                       "statistic": [20.19, 1.49, 63.7, 12.5, 13.8, np.nan, 1.0],
                       "p": [7e-6, 0.222, 7e-10, 0.014, 0.003, np.nan, 0.5],
                       "decision": ["reject H0 (no spatial term)", "do not reject",
                                    "effects jointly significant", "reject RE: fixed effects",
                                    "reject simplification", "SDM: both simplifications rejected", "?"]},
                      index=pd.Index([1, 1, 2, 3, 4, 5, 6], name="step"))
    before = df.copy()
    zh = translate_specification(df, "zh")
    pd.testing.assert_frame_equal(df, before)
    assert list(zh["test"]) == ["LM 滞后检验", "稳健 LM 误差检验", "LR 检验：时间效应",
                                "Hausman 检验：FE 对 RE", "Wald 检验：SDM 对 SEM", "模型选择", "new_test"]
    assert list(zh["fe"]) == ["无", "双向", "-", "个体", "时间", "双向", "other"]
    assert list(zh["decision"]) == ["拒绝 H0（无空间项）", "不拒绝 H0", "效应联合显著",
                                    "拒绝随机效应：采用固定效应", "拒绝简化", "SDM：两种简化均被拒绝", "?"]
    pd.testing.assert_frame_equal(zh[["statistic", "p"]], df[["statistic", "p"]])
    pd.testing.assert_frame_equal(translate_specification(df, "en"), df)
    with pytest.raises(TypeError, match="DataFrame"):
        translate_specification([1], "zh")


@pytest.mark.parametrize("value, zh, en", [
    (True, "Lee–Yu 变换法", "Lee–Yu transformation"),
    ("elhorst", "Elhorst 一步校正", "Elhorst one-step correction"),
    ("Elhorst", "Elhorst 一步校正", "Elhorst one-step correction"),
    (False, "未校正", "none"),
    (np.bool_(True), "Lee–Yu 变换法", "Lee–Yu transformation"),
])
def test_lee_yu_label_words(value, zh, en):
    """Hand-written: the three lee_yu options of models.spatial_panel in words."""
    from spatialnqpf.report.tables import lee_yu_label
    assert lee_yu_label(value, "zh") == zh
    assert lee_yu_label(value, "en") == en


def test_lee_yu_label_rejects_other_values():
    from spatialnqpf.report.tables import lee_yu_label
    for bad in ("yes", 1, None):
        with pytest.raises(ValueError, match=re.escape(repr(bad))):
            lee_yu_label(bad, "zh")
