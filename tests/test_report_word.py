"""Word and Excel output of the report: journal fonts, three-line rules, numbers as numbers.

References (python-docx / openpyxl read-back of the files written):

* every run of every table, caption and note (and every paragraph of ``report.docx``)
  has an East Asian font (宋体 SimSun) and a Latin font (Times New Roman: ascii, hAnsi,
  cs) set explicitly in ``w:rFonts``, so Word does not fall back to its theme fonts;
* three-line tables: top and bottom rules 1.5 pt (``w:sz="12"`` eighths of a point), the
  rule under the header 0.75 pt (``w:sz="6"``), no vertical line anywhere;
* cells in 五号 10.5 pt (``w:sz="21"`` half-points), notes in 9 pt (``18``);
* each Word table is built once and copied into its own file, ``all_tables.docx`` and
  ``report.docx`` (the writers work with :meth:`Table.docx_blocks` disabled);
* the raw-numbers sheet of each Excel table gives back, as floats, exactly the estimates,
  standard errors and p-values of the fitted models (spatialnqpf SAR panel of the demo,
  statsmodels OLS) and every numeric cell of the other tables.  openpyxl stores a float
  with 16 significant digits (``"%.16g"``; Excel itself shows 15), so the value read back
  is compared exactly with ``float("%.16g" % x)``, i.e. to 1e-16 relative.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

docx = pytest.importorskip("docx")
openpyxl = pytest.importorskip("openpyxl")

from docx.oxml.ns import qn  # noqa: E402

from spatialnqpf.report import builder  # noqa: E402
from spatialnqpf.report.builder import build_report, run_stages  # noqa: E402
from spatialnqpf.report.tables import (DOCX_STYLE, FLAG_MARK, Table, frame_table,  # noqa: E402
                                       regression_table, write_document, write_table)
from spatialnqpf.report.writers import docx_report, table_blocks, write_tables  # noqa: E402

FORMATS = ["docx", "xlsx"]


def xl(x) -> float:
    """The float openpyxl writes for ``x`` (16 significant digits), read back."""
    return float("%.16g" % float(x))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The tables of the demo report (no figures), written by the report writers."""
    out = tmp_path_factory.mktemp("word")
    stages = run_stages(None, stages=["index", "weights", "inequality", "models"])
    assert all(s.status == "ok" for s in stages), [(s.name, s.reason) for s in stages]
    blocks = table_blocks(stages)
    files = write_tables(out, stages, FORMATS, "zh", [], blocks=blocks)
    footer = {"data": {"source": "demo", "sha256": "0" * 64}, "generated": "now", "seed": 0,
              "versions": {"numpy": np.__version__}}
    docx_report("zh", stages, footer, out / "report.docx", blocks=blocks)
    return {"out": out, "stages": stages, "files": files,
            "tables": [t for s in stages for t in s.tables]}


def _docx_files(w):
    folder = w["out"] / "tables"
    return [folder / f"{t.name}.docx" for t in w["tables"]] + [folder / "all_tables.docx",
                                                              w["out"] / "report.docx"]


def _runs(element):
    return list(element.iter(qn("w:r")))


def _assert_fonts(run, where):
    rpr = run.find(qn("w:rPr"))
    assert rpr is not None, where
    rf = rpr.find(qn("w:rFonts"))
    assert rf is not None, where
    got = {a: rf.get(qn(f"w:{a}")) for a in ("ascii", "hAnsi", "eastAsia", "cs")}
    assert got == {"ascii": "Times New Roman", "hAnsi": "Times New Roman", "eastAsia": "SimSun",
                   "cs": "Times New Roman"}, (where, got)
    assert not any(rf.get(qn(f"w:{a}")) for a in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme")), where


def test_every_run_of_every_table_has_east_asian_and_latin_fonts(written):
    n_runs = 0
    for path in _docx_files(written):
        doc = docx.Document(str(path))
        assert doc.tables, path.name
        for k, tab in enumerate(doc.tables):
            runs = _runs(tab._tbl)
            assert runs, (path.name, k)
            for r in runs:
                _assert_fonts(r, f"{path.name} table {k}: {r.xpath('string(.)')!r}")
            n_runs += len(runs)
    assert n_runs > 2000


def test_every_paragraph_run_of_the_word_files_has_the_fonts(written):
    """Headings, readings, captions and notes too (report.docx, all_tables.docx, one table file)."""
    for path in _docx_files(written)[-3:]:
        doc = docx.Document(str(path))
        runs = [r for p in doc.paragraphs for r in p.runs]
        assert len(runs) >= 3
        for r in runs:
            _assert_fonts(r._r, f"{path.name}: {r.text!r}")
    doc = docx.Document(str(written["out"] / "report.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    for s in written["stages"]:
        for reading in s.readings:
            assert reading in text


def _edge(tc, edge):
    b = tc.find(f"{qn('w:tcPr')}/{qn('w:tcBorders')}/{qn(f'w:{edge}')}")
    if b is None or b.get(qn("w:val")) in (None, "nil", "none"):
        return None
    return int(b.get(qn("w:sz")))


def test_three_line_rules_and_no_vertical_lines(written):
    for path in _docx_files(written):
        doc = docx.Document(str(path))
        for tab in doc.tables:
            tbl = tab._tbl
            borders = tbl.find(f"{qn('w:tblPr')}/{qn('w:tblBorders')}")
            assert borders is not None
            for e in ("left", "right", "insideV", "insideH", "top", "bottom"):
                assert borders.find(qn(f"w:{e}")).get(qn("w:val")) == "nil", (path.name, e)
            trs = tbl.findall(qn("w:tr"))
            for tc in trs[0].findall(qn("w:tc")):
                assert _edge(tc, "top") == 12 and _edge(tc, "bottom") == 6, path.name
            for tc in trs[-1].findall(qn("w:tc")):
                assert _edge(tc, "bottom") == 12, path.name
            for tr in trs:
                for tc in tr.findall(qn("w:tc")):
                    assert _edge(tc, "left") is None and _edge(tc, "right") is None
            for tr in trs[1:-1]:  # body rows: no rule under them (section rows: a 0.75 pt rule above)
                for tc in tr.findall(qn("w:tc")):
                    assert _edge(tc, "bottom") is None and _edge(tc, "top") in (None, 6)


def test_cells_in_10_5_pt_notes_in_9_pt_and_the_grid_is_the_table(written):
    assert DOCX_STYLE["cell_size"] == 21 and DOCX_STYLE["note_size"] == 18
    for t in written["tables"]:
        doc = docx.Document(str(written["out"] / "tables" / f"{t.name}.docx"))
        assert [[c.text for c in r.cells] for r in doc.tables[0].rows] == t.grid()
        sizes = {r.find(f"{qn('w:rPr')}/{qn('w:sz')}").get(qn("w:val")) for r in _runs(doc.tables[0]._tbl)}
        assert sizes == {"21"}, t.name
        paras = doc.paragraphs
        assert paras[0].text == t.title and paras[0].runs[0].bold
        notes = [p for p in paras[1:] if p.text]
        assert [p.text for p in notes] == list(t.notes)
        for p in notes:
            assert all(r.font.size.pt == 9 for r in p.runs), t.name


def test_each_table_is_built_once_and_reused(written, tmp_path, monkeypatch):
    """With the blocks built, the writers never build a Word table again."""
    stages = written["stages"]
    blocks = table_blocks(stages)
    assert set(blocks) == {t.name for t in written["tables"]}

    def refuse(self):
        raise AssertionError(f"table {self.name} built a second time")
    monkeypatch.setattr(Table, "docx_blocks", refuse)
    write_tables(tmp_path, stages, ["docx"], "en", [], blocks=blocks)
    footer = {"data": {"source": "demo", "sha256": "0"}, "generated": "now", "seed": 0, "versions": {}}
    docx_report("en", stages, footer, tmp_path / "report.docx", blocks=blocks)
    n = len(written["tables"])
    assert len(docx.Document(str(tmp_path / "report.docx")).tables) == n
    assert len(docx.Document(str(tmp_path / "tables" / "all_tables.docx")).tables) == n
    with pytest.raises(AssertionError, match="second time"):  # the check can fail
        write_tables(tmp_path / "again", stages, ["docx"], "en", [])


def test_build_report_builds_each_word_table_once(tmp_path, monkeypatch):
    calls = []
    real = Table.docx_blocks

    def counting(self):
        calls.append(self.name)
        return real(self)
    monkeypatch.setattr(Table, "docx_blocks", counting)
    res = build_report(None, out=tmp_path / "r", stages=["weights"], progress=False)
    names = [t.name for s in res.stages for t in s.tables]
    assert sorted(calls) == sorted(names) and len(names) >= 4
    assert (tmp_path / "r" / "report.docx").exists() and (tmp_path / "r" / "tables" / "all_tables.docx").exists()
    t = res.footer["timings"]
    assert set(t["writing"]) == set(builder.WRITE_PHASES)
    assert set(t["stages"]) == {"data", "weights"}


# ------------------------------------------------------------------ Excel
def _raw_sheet(path):
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[1].endswith("_raw"), wb.sheetnames
    return wb[wb.sheetnames[0]], wb[wb.sheetnames[1]]


def _sheet_frame(ws):
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    header = list(rows[0])
    return header, rows[1:]


def test_excel_raw_sheet_gives_the_model_estimates_as_floats(written):
    """Reference: the fitted SAR panel (results.json numbers) == the raw sheet, exactly."""
    models = next(s for s in written["stages"] if s.name == "models")
    fit = models.numbers["contiguity"]
    table = models.tables[0]
    col = table.columns[0]
    formatted, raw = _raw_sheet(written["out"] / "tables" / f"{table.name}.xlsx")
    header, rows = _sheet_frame(raw)
    j_est = header.index(f"{col} 估计值")
    j_se, j_p, j_star = j_est + 1, j_est + 2, j_est + 3
    assert header[j_se] == f"{col} 标准误" and header[j_p] == f"{col} p 值"
    coef = [r for r in rows if r[1] == "系数" and isinstance(r[j_est], float)]
    assert len(coef) == len(fit["params"])
    for r, term in zip(coef, fit["params"].index):
        assert isinstance(r[j_est], float) and isinstance(r[j_se], float) and isinstance(r[j_p], float)
        assert r[j_est] == xl(fit["params"][term])
        assert r[j_se] == xl(fit["bse"][term])
        assert r[j_p] == xl(fit["pvalues"][term])
        p = r[j_p]
        assert (r[j_star] or "") == ("***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else "")
    # the journal sheet beside it keeps the formatted text (stars, parentheses)
    texts = [c for row in formatted.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(t.startswith("(") and t.endswith(")") for t in texts)


def test_excel_raw_sheet_of_every_table_holds_every_number(written):
    checked = 0
    for t in written["tables"]:
        _, raw = _raw_sheet(written["out"] / "tables" / f"{t.name}.xlsx")
        header, rows = _sheet_frame(raw)
        got = [v for row in rows for v in row if isinstance(v, (int, float))]
        if any(r.kind == "se" for r in t.rows):
            want = [c.value for r in t.rows for c in r.cells
                    if c.value is not None and math.isfinite(c.value)]
            want += [c.p for r in t.rows for c in r.cells if c.p is not None and math.isfinite(c.p)]
        else:
            want = [c.value for r in t.rows if r.kind != "section" for c in r.cells
                    if c.value is not None and math.isfinite(c.value)]
            assert header[1:] == list(t.columns)
        assert sorted(got) == sorted(xl(v) for v in want), t.name
        checked += len(got)
    assert checked > 900


def test_excel_raw_sheet_of_an_ols_and_a_flagged_column(tmp_path):
    """Reference: statsmodels OLS params/bse/pvalues; a flagged column is marked in the header."""
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=["x1", "x2"])
    y = 1 + 0.4 * X["x1"] + rng.normal(size=60)
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    from spatialnqpf._results import EstimationResults

    class Fit(EstimationResults):
        def __init__(self):
            self._init_estimates(pd.Series({"x1": 0.3}), bse=pd.Series({"x1": 0.1}),
                                 flags=[("boundary", "rho at its bound")], warn=False)
            self._freeze()
    bad = Fit()
    t = regression_table({"OLS": ols, "bad": bad}, name="reg", lang="en")
    p = write_table(t, tmp_path, ("xlsx",))["xlsx"]
    _, raw = _raw_sheet(p)
    header, rows = _sheet_frame(raw)
    assert header[:6] == ["Variable", "Part", "OLS estimate", "OLS std. error", "OLS p-value", "OLS stars"]
    assert header[6] == f"bad{FLAG_MARK} estimate"
    byterm = {r[0]: r for r in rows}
    for term, lab in (("const", "Constant"), ("x1", "x1"), ("x2", "x2")):
        r = byterm[lab]
        assert (r[2], r[3], r[4]) == (xl(ols.params[term]), xl(ols.bse[term]), xl(ols.pvalues[term]))
    assert byterm["x1"][6] == 0.3 and byterm["x1"][7] == 0.1
    assert any(isinstance(v, str) and "boundary" in v for row in raw.iter_rows(values_only=True) for v in row)


def test_frame_table_raw_sheet_keeps_full_precision(tmp_path):
    df = pd.DataFrame({"G": [0.123456789012, 0.2], "share": [0.6349, 0.5]}, index=["a", "b"])
    t = frame_table(df, name="f", title="F", digits=3, percent=["share"])
    formatted, raw = _raw_sheet(write_table(t, tmp_path, ("xlsx",))["xlsx"])
    header, rows = _sheet_frame(raw)
    assert rows[0] == ("a", 0.123456789012, 0.6349)  # full precision (the journal sheet: 0.123)
    assert formatted.cell(3, 2).value == 0.123 and formatted.cell(3, 3).value == "63.5%"


def test_write_document_heading_and_tables_in_journal_fonts(tmp_path):
    t = frame_table(pd.DataFrame({"v": [1.5]}, index=["省份 a"]), name="t", title="表 1 数值 Value",
                    notes=("注：括号内为标准误",))
    doc = docx.Document(str(write_document([t, t], tmp_path / "d.docx", heading="报告 Report")))
    assert len(doc.tables) == 2
    for r in [r for p in doc.paragraphs for r in p.runs]:
        _assert_fonts(r._r, r.text)
    styles = doc.styles.element
    normal = doc.styles["Normal"].element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
    assert normal.get(qn("w:eastAsia")) == "SimSun" and styles is not None


def test_single_stage_command_writes_only_its_stage(tmp_path, capsys):
    """``spatialnqpf weights``: its progress bar is labelled and covers the writing phases."""
    from spatialnqpf import cli
    out = tmp_path / "i"
    assert cli.main(["weights", "--out", str(out), "--lang", "en"]) == 0
    err = capsys.readouterr()
    assert "spatialnqpf weights" in err.err and "writing report.docx" in err.err
    assert "spatialnqpf weights ->" in err.out
    import json
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert list(res["stages"]) == ["data", "weights"]
    assert "prerequisites" not in res["footer"]


def test_single_stage_prerequisites_are_not_written(tmp_path):
    from spatialnqpf.cli import single_stages
    assert single_stages()["model"] == ("index", "weights", "models")
    res = build_report(None, out=tmp_path / "m", stages=single_stages()["model"], write=("models",),
                       progress=False)
    assert [s.name for s in res.stages] == ["data", "models"]
    assert set(res.footer["prerequisites"]) == {"index", "weights"}
    assert all(p["status"] == "ok" for p in res.footer["prerequisites"].values())
    written = {p.stem for p in (tmp_path / "m" / "tables").glob("*.csv")}
    assert written == {t.name for s in res.stages for t in s.tables}
    assert not any(n.startswith("index") or n.startswith("weights") for n in written)
    assert not (tmp_path / "m" / "figures").exists() or not any((tmp_path / "m" / "figures").iterdir())
    assert "prerequisite, outputs not written" in res.summary()
