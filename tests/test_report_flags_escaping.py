"""Flagged fits in every output, Markdown escaping, the stage layout (issues 11, 12, 13).

* A configuration whose dependent variable is a common trend plus noise drives the SAR's
  ρ to its upper bound 1 (a hand-made case: W y ≈ y for a row-standardised W): the fit
  carries a ``boundary`` flag, and the report must mark its cells with a dagger and a
  note naming the flag in HTML, Markdown, Word, Excel, LaTeX, CSV and results.json
  (read back here), print no effects, say in the reading why the fit cannot be
  interpreted, and give the stage the status "warning" instead of ok.
* User strings (column names, indicator labels and pillars) containing ``<script>``
  and ``<img onerror=...>`` are escaped in ``report.md`` and ``tables/*.md``.
* ``report/`` reaches the analysis modules by direct imports only (no importlib,
  ``hasattr`` probing or ``inspect.signature``), has one module per stage, and the
  builder is under 400 lines; the CLI's single-stage commands come from the registry.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import datasets
from spatialnqpf.report import stages as stage_registry
from spatialnqpf.report.builder import build_report, run_stages
from spatialnqpf.report.config import load_config
from spatialnqpf.report.tables import Table, frame_table, md_escape, regression_table

docx = pytest.importorskip("docx")
openpyxl = pytest.importorskip("openpyxl")

REPORT = Path(__file__).resolve().parents[1] / "spatialnqpf" / "report"
PAYLOADS = ("<script>alert(1)</script>", '<img src=x onerror="alert(2)">')


@pytest.fixture(scope="module")
def flagged(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("flag")
    panel = datasets.load_demo_panel()
    rng = np.random.default_rng(1)
    panel["x1"] = rng.normal(size=len(panel))
    panel["y_trend"] = (panel["year"] - 2012) + 1e-3 * rng.normal(size=len(panel)) + 0.01 * panel["x1"]
    panel.to_csv(tmp / "trend.csv", index=False)
    cfg = load_config(None, data={"file": str(tmp / "trend.csv"), "missing": "interpolate"},
                      weights={"matrices": ["contiguity"]},
                      models={"y": "y_trend", "x": ["x1"], "model": "sar", "fe": "individual",
                              "specification_search": False, "effects_nsim": 50},
                      output={"figures": []})
    res = build_report(cfg, out=tmp / "en", stages=["weights", "models"], progress=False, lang="en")
    zh = run_stages(cfg, stages=["weights", "models"], lang="zh")   # the zh texts, nothing written
    return {"en": (res, tmp / "en"), "zh": zh}


def test_flagged_fit_gets_warning_status_and_a_reading(flagged):
    res, folder = flagged["en"]
    st = res.stage("models")
    assert st.status == "warning"
    assert res.ok  # a warning is not a failure
    assert any("flagged" in r and "boundary" in r for r in st.readings), st.readings
    assert st.numbers["contiguity"]["effects"] is None
    assert st.numbers["contiguity"]["flags"][0][0] == "boundary"
    j = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert j["stages"]["models"]["status"] == "warning"
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert '<span class="status warning">warning</span>' in html
    zh = {s.name: s for s in flagged["zh"]}["models"]
    assert zh.status == "warning"
    assert any("被标记" in r and "boundary" in r for r in zh.readings), zh.readings
    note = next(n for n in zh.tables[0].notes if n.startswith("†"))
    assert "被标记" in note and "效应分解未列出" in note
    from spatialnqpf.report.writers import WORDS, html_report
    assert WORDS["zh"]["warning"] == "警告"
    page = html_report("zh", [zh], {"data": {"source": "s", "sha256": "x"}, "generated": "now", "seed": 0,
                                    "seconds": 0.0, "versions": {}, "config": {}})
    assert '<span class="status warning">警告</span>' in page


def test_flagged_cells_are_marked_in_every_format(flagged):
    res, folder = flagged["en"]
    t = next(t for t in res.stage("models").tables if t.name == "spatial_models")
    coef = [c.text for r in t.rows if r.kind == "body" for c in r.cells if c.text]
    assert coef and all(c.endswith("†") for c in coef)
    assert not any(r.kind == "section" and "effect" in r.label.lower() for r in t.rows)
    note = next(n for n in t.notes if n.startswith("†"))
    assert "boundary" in note and "rho" in note
    j = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    jt = j["stages"]["models"]["tables"]["spatial_models"]
    assert jt["flags"]["SAR (Contiguity)"][0][0] == "boundary"
    assert any("†" in cell for row in jt["grid"] for cell in row)
    tab = folder / "tables"
    for ext in ("md", "html", "csv"):
        text = (tab / f"spatial_models.{ext}").read_text(encoding="utf-8-sig")
        assert "†" in text and "boundary" in text, ext
    tex = (tab / "spatial_models.tex").read_text(encoding="utf-8")
    assert r"$^\dagger$" in tex and "boundary" in tex
    d = docx.Document(str(tab / "spatial_models.docx"))
    cells = [c.text for tb in d.tables for row in tb.rows for c in row.cells]
    assert any(c.endswith("†") for c in cells)
    assert any("boundary" in p.text for p in d.paragraphs)
    ws = openpyxl.load_workbook(tab / "spatial_models.xlsx").active
    vals = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert any(v.endswith("†") for v in vals) and any("boundary" in v for v in vals)
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert "†" in md and "flagged" in md
    word = docx.Document(str(folder / "report.docx"))
    assert any("†" in c.text for tb in word.tables for row in tb.rows for c in row.cells)


def test_regression_table_marks_only_the_flagged_column():
    from spatialnqpf._results import EstimationResults

    class Fit(EstimationResults):
        def __init__(self, flags):
            self._init_estimates(pd.Series({"x": 0.5, "rho": 0.99}), bse=pd.Series({"x": 0.1, "rho": 0.01}),
                                 flags=flags, warn=False)
            self._freeze()
    eff = pd.DataFrame({"direct": [0.5], "direct_se": [0.1], "indirect": [40.0], "indirect_se": [1.0],
                        "total": [40.5], "total_se": [1.0]}, index=["x"])
    t = regression_table({"clean": Fit(()), "bad": Fit([("boundary", "rho at 1")])},
                         effects={"clean": eff, "bad": eff}, lang="en")
    x = next(r for r in t.rows if r.label == "x")
    assert x.cells[0].text == "0.500***" and x.cells[1].text == "0.500***†"
    ind = [r for r in t.rows if r.label == "x"][2]          # x, then direct x, indirect x
    assert ind.cells[0].text.startswith("40.000") and ind.cells[1].text == ""
    assert t.meta["flags"] == {"bad": [["boundary", "rho at 1"]]}
    assert t.to_dict()["flags"] == {"bad": [["boundary", "rho at 1"]]}


# -------------------------------------------------------------------- escaping
@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_escape_leaves_no_live_html(payload):
    out = md_escape(payload)
    assert "<" not in out and ">" not in out
    assert md_escape("[x](javascript:alert(1))") == "\\[x\\](javascript:alert(1))"
    assert md_escape("a|b") == "a\\|b"


def test_table_markdown_escapes_labels_pillars_and_columns():
    df = pd.DataFrame({PAYLOADS[1]: [0.5], "pillar": [PAYLOADS[0]]}, index=pd.Index([PAYLOADS[0]], name="ind"))
    t = frame_table(df, name="t", title=f"weights {PAYLOADS[0]}", notes=(PAYLOADS[1],))
    md = t.to_markdown()
    assert "<script" not in md and "<img" not in md
    assert md.count("&lt;script&gt;") == 3 and md.count("&lt;img") == 2
    html = t.to_html()
    assert "<script" not in html and "<img" not in html


def test_report_md_and_table_md_escape_user_strings(tmp_path):
    panel = datasets.load_demo_panel()
    panel = panel.rename(columns={"rd_intensity": PAYLOADS[1]})
    panel[PAYLOADS[0]] = 1.0
    panel.to_csv(tmp_path / "evil.csv", index=False)
    cfg = load_config(None, data={"file": str(tmp_path / "evil.csv"), "missing": "interpolate"},
                      index={"system": "inline",
                             "indicators": [{"column": PAYLOADS[1], "direction": 1, "pillar": PAYLOADS[0],
                                             "label": PAYLOADS[0]}]},
                      models={"x": ["share_secondary"]}, output={"figures": []})
    build_report(cfg, out=tmp_path / "r", stages=[], progress=False, lang="en")
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "&lt;script&gt;" in md and "&lt;img" in md      # the strings are there, shown as text
    assert not re.search(r"<script|<img", md)
    for p in (tmp_path / "r" / "tables").glob("*.md"):
        assert not re.search(r"<script|<img", p.read_text(encoding="utf-8")), p.name
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"<script|<img src=x", html)


# -------------------------------------------------------------------- layout
def test_report_reaches_modules_by_direct_imports_only():
    bad = re.compile(r"\bimportlib\b|__import__|\bhasattr\(|inspect\.signature|^\s*import inspect")
    hits = [f"{p.relative_to(REPORT)}:{i}: {line.strip()}"
            for p in REPORT.rglob("*.py") for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if bad.search(line)]
    assert not hits, hits


def test_one_module_per_stage_and_a_short_builder():
    names = {p.stem for p in (REPORT / "stages").glob("*.py") if not p.stem.startswith("_")}
    assert names == set(stage_registry.STAGES) == {"data", "index", "weights", "autocorrelation",
                                                    "inequality", "dynamics", "models",
                                                    "patterns", "impact"}
    for st in stage_registry.REGISTRY:
        assert set(st.title) == {"zh", "en"} and all(st.title.values())
        assert all(r in stage_registry.STAGES[:stage_registry.STAGES.index(st.name)] for r in st.requires)
    assert len((REPORT / "builder.py").read_text(encoding="utf-8").splitlines()) < 400


def test_cli_commands_come_from_the_registry():
    from spatialnqpf import cli
    single = cli.single_stages()
    assert single["moran"] == ("index", "weights", "autocorrelation")
    assert single["dagum"] == ("index", "inequality")
    assert single["model"] == ("index", "weights", "models")
    assert set(single) == {s.command for s in stage_registry.REGISTRY if s.command}
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command")
    assert set(single) <= set(sub.choices)


def test_stage_output_is_frozen_and_checks_status():
    out = stage_registry.StageOutput(tables=[], readings=["a"])
    assert out.readings == ("a",)
    with pytest.raises(Exception):
        out.status = "failed"
    with pytest.raises(ValueError, match="status"):
        stage_registry.StageOutput(status="done")
    assert isinstance(frame_table(pd.DataFrame({"a": [1.0]}), name="a", title="a"), Table)


def test_tables_read_results_through_tidy(monkeypatch):
    """A spatialnqpf result is read through tidy() only: changing tidy changes the table."""
    from spatialnqpf._results import EstimationResults

    class Fit(EstimationResults):
        def __init__(self):
            self._init_estimates(pd.Series({"x": 0.5}), bse=pd.Series({"x": 0.25}), warn=False)
            self._freeze()
    fit = Fit()
    t = regression_table({"m": fit}, lang="en")
    assert t.rows[0].cells[0].value == 0.5 and t.rows[1].cells[0].value == 0.25
    fake = fit.tidy().assign(estimate=[7.0])
    monkeypatch.setattr(Fit, "tidy", lambda self, kind="params": fake)
    assert regression_table({"m": fit}, lang="en").rows[0].cells[0].value == 7.0
    eff = pd.DataFrame({"effect": ["direct", "indirect", "total"], "term": ["x"] * 3,
                        "estimate": [0.5, 0.2, 0.7], "std_error": [0.1, 0.1, 0.1],
                        "statistic": [5, 2, 7], "p_value": [0.001, 0.04, 0.001],
                        "conf_low": [0, 0, 0], "conf_high": [1, 1, 1]})
    t = regression_table({"m": fit}, effects={"m": eff}, lang="en")
    cells = [r.cells[0].text for r in t.rows if r.label == "x"]
    assert cells[1:] == ["0.500***", "0.200**", "0.700***"]
