"""End-to-end tests of ``spatialnqpf report`` (spatialnqpf.report.builder).

The demo report is built once per module with the command line entry point
(`spatialnqpf report`, no arguments) in an empty working directory.  Checks:

* it writes only ./spatialnqpf-report, every stage succeeds, all outputs exist;
* report.html is self-contained: every figure is an embedded PNG (decoded and
  its signature checked), no external resource;
* every .docx and .xlsx table holds the same numbers as results.json
  (python-docx / openpyxl read-back); LaTeX tables are structurally valid;
* the plain-language readings are the numbers of the tables (recomputed here),
  and the Gini they quote matches an independent plain-numpy transcription of
  G = ΣΣ|y_i − y_j| / (2 n² μ) (docs/methods/inequality.md §4.1) on the index scores;
* the footer's data checksum equals SHA-256 of the demo panel computed here.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import cli, datasets
from spatialnqpf.report import builder
from spatialnqpf.report.builder import build_report

docx = pytest.importorskip("docx")
openpyxl = pytest.importorskip("openpyxl")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("user_cwd")
    old = os.getcwd()
    os.chdir(cwd)
    try:
        rc = cli.main(["report", "--quiet"])
    finally:
        os.chdir(old)
    out = cwd / "spatialnqpf-report"
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return {"rc": rc, "cwd": cwd, "out": out, "results": results}


def test_runs_with_no_arguments_and_writes_only_the_out_folder(demo, output_dir):
    assert demo["rc"] == 0
    assert sorted(p.name for p in demo["cwd"].iterdir()) == ["spatialnqpf-report"]
    out = demo["out"]
    for name in ("report.html", "report.md", "results.json", "tables/all_tables.xlsx",
                 "tables/all_tables.docx"):
        assert (out / name).stat().st_size > 0, name
    stages = demo["results"]["stages"]
    # the optional impact stage runs only with an [impact] table
    assert list(stages) == [s for s in builder.STAGES if s != "impact"]
    bad = {k: v["reason"] for k, v in stages.items() if v["status"] != "ok"}
    assert not bad, bad
    for s in stages.values():
        for t in s["tables"]:
            for ext in ("tex", "docx", "xlsx", "csv", "html", "md"):
                assert (out / "tables" / f"{t}.{ext}").exists()
        for f in s["figures"]:
            assert (out / "figures" / f["files"]["png"]).exists()
            assert (out / "figures" / f["files"]["svg"]).exists()
    print("demo report seconds:", round(demo["results"]["footer"]["seconds"], 1))
    import shutil
    shutil.copytree(out, output_dir / "report_demo", dirs_exist_ok=True)  # for a human to look at


def test_html_is_self_contained_and_embeds_every_figure(demo):
    html = (demo["out"] / "report.html").read_text(encoding="utf-8")
    n_fig = sum(len(s["figures"]) for s in demo["results"]["stages"].values())
    srcs = re.findall(r'<img[^>]*src="([^"]+)"', html)
    assert len(srcs) == n_fig >= 10
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script" not in html and "<link" not in html


def _all_tables(results):
    for s in results["stages"].values():
        yield from s["tables"].values()


def test_docx_and_xlsx_hold_the_numbers_of_results_json(demo):
    """Reference: results.json (raw numbers and formatted cells) vs python-docx / openpyxl."""
    out = demo["out"]
    checked = 0
    for t in _all_tables(demo["results"]):
        grid = t["grid"]
        doc = docx.Document(str(out / "tables" / f"{t['name']}.docx"))
        assert [[c.text for c in r.cells] for r in doc.tables[0].rows] == grid
        ws = openpyxl.load_workbook(out / "tables" / f"{t['name']}.xlsx").active
        for v in t["values"]:
            if v["value"] is None:
                continue
            i = v["row"] + 3  # title, header, then rows (1-based)
            j = grid[0].index(v["column"]) + 1
            cell = ws.cell(i, j).value
            text = v["text"]
            assert grid[v["row"] + 1][j - 1] == text
            if text.startswith("<"):  # a p-value below the shown precision (format_p): "<0.001"
                assert v["value"] < float(text[1:]) and cell == text, (t["name"], v, cell)
                checked += 1
                continue
            shown = float(re.sub(r"[*()%]", "", text))
            if text.endswith("%"):
                shown /= 100
            decimals = len(re.sub(r"[*()%]", "", text).split(".")[1]) if "." in text and "e" not in text else None
            if decimals is not None:
                scale = 100 if text.endswith("%") else 1
                assert abs(shown - v["value"]) <= 0.5 * 10 ** -decimals / scale + 1e-12, (t["name"], v)
            if isinstance(cell, (int, float)):
                assert cell == pytest.approx(shown, abs=0) or cell == shown
            else:
                assert cell == text
            checked += 1
    assert checked > 500


def test_word_report_holds_every_table_and_figure(demo):
    """report.docx (python-docx read-back): one table per results.json table, one picture per figure."""
    doc = docx.Document(str(demo["out"] / "report.docx"))
    st = demo["results"]["stages"].values()
    assert len(doc.tables) == sum(len(s["tables"]) for s in st)
    assert len(doc.inline_shapes) == sum(len(s["figures"]) for s in st)
    text = "\n".join(p.text for p in doc.paragraphs)
    for s in st:
        for r in s["readings"]:
            assert r in text


def test_latex_tables_are_structurally_valid(demo):
    for p in sorted((demo["out"] / "tables").glob("*.tex")):
        tex = p.read_text(encoding="utf-8")
        assert tex.count("\\toprule") == tex.count("\\bottomrule") == 1, p.name
        m = re.search(r"\\begin\{tabular\}\{l(c*)\}", tex)
        ncol = len(m.group(1))
        for line in tex.split("\\toprule", 1)[1].split("\\bottomrule")[0].splitlines():
            if not line.strip() or line.startswith("\\midrule"):
                continue
            if line.startswith("\\multicolumn"):
                assert f"\\multicolumn{{{ncol + 1}}}" in line
                continue
            assert len(re.findall(r"(?<!\\)&", line)) == ncol, (p.name, line)
        assert tex.count("{") == tex.count("}") + tex.count("\\}") - tex.count("\\{"), p.name


def test_readings_are_computed_from_the_numbers(demo):
    """Recompute the Dagum share, top-3 and the 2022 Gini from results.json / plain numpy."""
    st = demo["results"]["stages"]
    dag = st["inequality"]["numbers"]["dagum"]
    df = pd.DataFrame(dag["data"], index=dag["index"], columns=dag["columns"])
    last = df.index[-1]
    top = max(["share_w", "share_nb", "share_t"], key=lambda k: df.loc[last, k])
    share = f"{100 * df.loc[last, top]:.0f}%"
    assert any(share in r and str(last) in r for r in st["inequality"]["readings"])
    sc = st["index"]["numbers"]["scores"]
    scores = pd.DataFrame(sc["data"], index=sc["index"], columns=[int(c) for c in sc["columns"]])
    y = scores[int(last)].to_numpy()
    G = np.abs(y[:, None] - y[None, :]).sum() / (2 * len(y) ** 2 * y.mean())   # docs/methods/inequality.md §4.1
    assert df.loc[last, "G"] == pytest.approx(G, rel=1e-10)
    assert any(f"{G:.3f}" in r for r in st["inequality"]["readings"])
    best = scores[int(last)].sort_values(ascending=False).index[:3]
    from spatialnqpf import regions
    names = list(regions.names(list(best), lang="short"))
    reading = st["index"]["readings"][0]
    assert reading.index(names[0]) < reading.index(names[1]) < reading.index(names[2])


def test_footer_reproducibility(demo):
    f = demo["results"]["footer"]
    sha = hashlib.sha256(datasets.load_demo_panel().to_csv(index=False).encode("utf-8")).hexdigest()
    assert f["data"]["sha256"] == sha
    assert f["seed"] == 20240501 and f["config"]["seeds"]["seed"] == 20240501
    for pkg in ("spatialnqpf", "numpy", "pandas", "libpysal", "esda", "matplotlib"):
        assert f["versions"][pkg]
    html = (demo["out"] / "report.html").read_text(encoding="utf-8")
    assert sha in html and "20240501" in html
    from spatialnqpf.report.config import load_config
    again = load_config(demo["out"] / "config_used.toml")
    assert again.to_dict() == f["config"]


def test_failures_and_skips_are_recorded(tmp_path, monkeypatch):
    """A failing stage is recorded with its traceback; a skipped one with its reason; the rest is written."""
    def boom(ctx):
        raise RuntimeError("boom in inequality")

    def skip(ctx):
        raise builder._Skip("module spatialnqpf.dynamics is not available in this installation")
    monkeypatch.setitem(builder._STAGE_FUNCS, "inequality", boom)
    monkeypatch.setitem(builder._STAGE_FUNCS, "dynamics", skip)
    res = build_report(None, out=tmp_path / "r", stages=["weights", "inequality", "dynamics"],
                       progress=False, lang="en")
    assert [s.status for s in res.stages] == ["ok", "ok", "failed", "skipped"]
    assert not res.ok
    fail = res.stage("inequality")
    assert fail.reason == "RuntimeError: boom in inequality" and "Traceback" in fail.traceback
    j = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    assert j["stages"]["inequality"]["status"] == "failed"
    assert j["stages"]["dynamics"]["reason"].startswith("module spatialnqpf.dynamics")
    assert (tmp_path / "r" / "tables" / "weights_summary.xlsx").exists()
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "boom in inequality" in html and "failed" in html
    assert res.to_frame().loc["inequality", "status"] == "failed"
    with pytest.raises(ValueError, match="unknown stage"):
        build_report(None, out=tmp_path / "x", stages=["nope"], progress=False)


def test_english_report_readings_and_pdflatex(tmp_path):
    """The English report: computed readings; every LaTeX table compiles (pdflatex + booktabs)."""
    res = build_report(None, out=tmp_path / "en", progress=False, lang="en")
    assert res.ok, res.summary()
    r = " ".join(res.stage("inequality").readings)
    assert re.search(r"the (between-region component|within-region component|transvariation) "
                     r"explains \d+% of the Gini in 2022", r)
    assert res.stage("index").tables[0].stub == "Indicator"
    notes = " ".join(res.stage("models").tables[0].notes)
    assert "bias correction: Lee–Yu transformation" in notes and "True" not in notes
    spec = next(t for t in res.stage("models").tables if t.name == "specification_tests")
    assert spec.rows[0].cells[-1].text in ("reject H0 (no spatial term)", "do not reject")
    import shutil
    if shutil.which("pdflatex") is None:
        pytest.skip("no TeX installation: LaTeX validated structurally only")
    from test_report_tables import _pdflatex
    tex = sorted((tmp_path / "en" / "tables").glob("*.tex"))
    assert len(tex) >= 20
    assert _pdflatex(tex, tmp_path / "en" / "tables") > 10_000


def test_user_excel_report(tmp_path):
    """User-style Excel (Chinese names, extra column, one gap): the report runs and reports the gap."""
    from test_report_config import user_frame, write_config
    df = user_frame()
    df.loc[(df["省份"].isin(["湖南", "湖南省", "湖 南"])) & (df["年份"] == 2015), "专利密度"] = np.nan
    df.to_excel(tmp_path / "u.xlsx", index=False)
    cfg = write_config(tmp_path / "c.toml", "u.xlsx")
    res = build_report(cfg, out=tmp_path / "out", progress=False,
                       stages=["index", "weights", "autocorrelation", "inequality", "models"])
    assert {s.name: s.status for s in res.stages} == {k: "ok" for k in
                                                      ["data", "index", "weights", "autocorrelation",
                                                       "inequality", "models"]}
    data = res.stage("data")
    text = " ".join(data.readings)
    assert "1 missing value" in text and "interpolate" in text and "备注" in text
    assert any(t.name == "missing_values_handled" for t in data.tables)
    assert res.stage("index").numbers["weights"].index.tolist()[0] in ("研发强度", "专利密度", "碳强度")


@pytest.mark.skipif(__import__("shutil").which("chromium") is None, reason="headless chromium not installed")
def test_headless_chromium_renders_every_figure(demo, tmp_path):
    """Chromium prints report.html to PDF offline; the PDF holds one image per figure."""
    import subprocess
    pdf = tmp_path / "report.pdf"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-extensions",
                    f"--print-to-pdf={pdf}", (demo["out"] / "report.html").resolve().as_uri()],
                   capture_output=True, timeout=180, check=False)
    assert pdf.exists() and pdf.stat().st_size > 100_000
    n_fig = sum(len(s["figures"]) for s in demo["results"]["stages"].values())
    n_img = len(re.findall(rb"/Subtype\s*/Image", pdf.read_bytes()))
    assert n_img == n_fig


def test_stage_outcome_views(tmp_path):
    res = build_report(None, out=tmp_path / "w", stages=["weights"], progress=False, lang="en")
    st = res.stage("weights")
    assert st.to_frame().to_dict("records") == [{"kind": "table", "name": "weights_summary",
                                                 "title": "Spatial weight matrices"}]
    assert st.summary().startswith("Spatial weight matrices [ok]")
    with pytest.raises(Exception):
        st.status = "failed"  # frozen
    with pytest.raises(KeyError, match="no stage 'models'"):
        res.stage("models")


def test_economic_and_nested_weights_match_numpy(tmp_path):
    """Reference: plain-numpy transcription of docs/methods/weights.md §2: w_ij = 1/|Ȳ_i − Ȳ_j| (Ȳ: 2012-2022 mean
    GDP), row-standardised; nested = 0.5 W_d + 0.5 W_e with W_d the row-standardised inverse
    haversine distance between capitals (R = 6371 km), re-standardised by row."""
    from spatialnqpf import regions
    from spatialnqpf.report.config import load_config
    cfg = load_config(None, weights={"matrices": ["economic", "nested"]})
    res = build_report(cfg, out=tmp_path / "w", stages=["weights"], progress=False, lang="en")
    mats = res.stage("weights").numbers["matrices"]
    ids = list(mats["economic"].index)
    panel = datasets.load_demo_panel()
    ybar = panel.groupby("code")["gdp"].mean().reindex(ids).to_numpy()
    with np.errstate(divide="ignore"):
        we = 1 / np.abs(ybar[:, None] - ybar[None, :])
    np.fill_diagonal(we, 0)
    we /= we.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(mats["economic"].to_numpy(), we, rtol=1e-12)
    cap = regions.capitals().reindex(ids)
    lon, lat = np.radians(cap["lon"].to_numpy()), np.radians(cap["lat"].to_numpy())
    a = (np.sin((lat[:, None] - lat[None, :]) / 2) ** 2
         + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin((lon[:, None] - lon[None, :]) / 2) ** 2)
    d = 2 * 6371.0 * np.arcsin(np.sqrt(a))
    with np.errstate(divide="ignore"):
        wd = 1 / d
    np.fill_diagonal(wd, 0)
    wd /= wd.sum(axis=1, keepdims=True)
    wn = 0.5 * wd + 0.5 * we
    wn /= wn.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(mats["nested"].to_numpy(), wn, rtol=1e-10)


def test_absent_province_is_reported(tmp_path):
    """30 provinces without Tibet: the report says which mainland province is absent."""
    from test_report_config import user_frame, write_config
    df = user_frame()
    df = df[~df["省份"].isin(["西藏", "西藏自治区", "西 藏"])]
    df.to_excel(tmp_path / "u.xlsx", index=False)
    res = build_report(write_config(tmp_path / "c.toml", "u.xlsx"), out=tmp_path / "o", stages=[],
                       progress=False)
    assert "do not cover these mainland provinces: Tibet (54)" in " ".join(res.stage("data").readings)


def test_dagum_bootstrap_table(tmp_path):
    """With [inequality] bootstrap > 0 the report adds seeded percentile intervals that bracket G."""
    from spatialnqpf.report.config import load_config
    cfg = load_config(None, inequality={"bootstrap": 20})
    res = build_report(cfg, out=tmp_path / "b", stages=["inequality"], progress=False, lang="en")
    ci = res.stage("inequality").numbers["dagum_bootstrap"]
    assert len(ci) == 11 and (ci["G low"] <= ci["G"]).all() and (ci["G"] <= ci["G high"]).all()
    again = build_report(cfg, out=tmp_path / "c", stages=["inequality"], progress=False, lang="en")
    pd.testing.assert_frame_equal(again.stage("inequality").numbers["dagum_bootstrap"], ci)  # seeded


def test_no_cjk_font_falls_back_to_english_figures(tmp_path, monkeypatch):
    """Without a CJK font: a warning, English figure labels, Chinese tables, a note in the footer."""
    from spatialnqpf.report import fonts
    monkeypatch.setattr(fonts, "find_cjk_font", lambda extra_paths=(): None)
    with pytest.warns(fonts.CJKFontWarning):
        res = build_report(None, out=tmp_path / "f", stages=["inequality"], progress=False, lang="zh")
    assert res.footer["figure_lang"] == "en" and res.footer["lang"] == "zh"
    assert "未找到中文字体：图中文字为英文（安装 fonts-noto-cjk 或设置 [fonts] path）" in res.footer["notes"]
    assert res.stage("inequality").tables[0].stub == "年份"


def test_chinese_specification_table_and_model_note_are_in_words(demo):
    """The zh report translates the Elhorst-sequence words (report.tables.translate_specification)
    and keeps its numbers: each row of tables/specification_tests.csv is compared with the raw
    English table kept in results.json, translated by the hand-written dictionaries here."""
    import csv
    raw = demo["results"]["stages"]["models"]["numbers"]["specification_search"]["table"]
    with open(demo["out"] / "tables" / "specification_tests.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["步骤", "检验", "固定效应", "统计量", "自由度", "p 值", "结论"]
    body = rows[1:len(raw["data"]) + 1]
    tests_zh = {"LM_lag": "LM 滞后检验", "LM_error": "LM 误差检验", "robust_LM_lag": "稳健 LM 滞后检验",
                "robust_LM_error": "稳健 LM 误差检验", "decision": "模型选择",
                "Wald_SDM_vs_SAR": "Wald 检验：SDM 对 SAR", "LR_SDM_vs_SEM": "LR 检验：SDM 对 SEM"}
    fe_zh = {"none": "无", "individual": "个体", "time": "时间", "twoways": "双向", "-": "-"}
    for (test, fe, stat, df, p, decision), row in zip(raw["data"], body):
        if test in tests_zh:
            assert row[1] == tests_zh[test]
        assert row[2] == fe_zh[fe]
        if stat is not None and np.isfinite(stat):
            assert float(row[3]) == pytest.approx(stat, abs=5e-4)
        if decision == "reject H0 (no spatial term)":
            assert row[6] == "拒绝 H0（无空间项）"
        elif decision == "do not reject":
            assert row[6] == "不拒绝 H0"
    # no English sentence is left in the 结论 column (model names, H0, fe='...' and the
    # verbatim note of an inconclusive Hausman test excepted)
    for row in body:
        words = re.sub(r"fe='\w+'|（[^（）]*[A-Za-z][^（）]*）|SDM|SAR|SEM|LR|LM|H0", "", row[6])
        assert not re.search(r"[A-Za-z]{3,}", words), row[6]
    with open(demo["out"] / "tables" / "spatial_models.csv", encoding="utf-8-sig") as fh:
        text = fh.read()
    assert "偏误校正：Lee–Yu 变换法" in text          # config default lee_yu = true
    assert "校正：True" not in text


def test_map_svgs_are_small_and_embed_the_polygons_as_images(demo):
    """Vector copies of maps: polygons rasterized (an <image> element), text still vector;
    each map SVG under 1 MB (it was ~5 MB with vector polygons)."""
    figs = [f for s in demo["results"]["stages"].values() for f in s["figures"]]
    maps = [f for f in figs if "map" in f["name"]]
    assert len(maps) >= 4
    for f in maps:
        svg = demo["out"] / "figures" / f["files"]["svg"]
        assert svg.stat().st_size < 1_000_000, (svg.name, svg.stat().st_size)
        assert "<image" in svg.read_text(encoding="utf-8")
    total = sum(p.stat().st_size for p in (demo["out"] / "figures").iterdir())
    print("figures folder MB:", round(total / 2 ** 20, 1))


def test_rasterize_heavy_marks_only_large_collections_including_insets():
    """Hand-made figure: a 10 000-vertex polygon collection (main axes and inset axes) is
    rasterized, a 3-vertex one and the text are not; the SVG then holds an <image>."""
    import io
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection
    t = np.linspace(0, 2 * np.pi, 10_000)
    ring = np.column_stack([np.cos(t), np.sin(t)])
    fig, ax = plt.subplots()
    big = ax.add_collection(PolyCollection([ring]))
    small = ax.add_collection(PolyCollection([[(0, 0), (1, 0), (0, 1)]]))
    inset = ax.inset_axes([0.7, 0.7, 0.3, 0.3])
    big_inset = inset.add_collection(PolyCollection([ring]))
    ax.set_title("title")
    assert builder._rasterize_heavy(fig) == 2
    assert big.get_rasterized() and big_inset.get_rasterized() and not small.get_rasterized()
    assert builder._rasterize_heavy(fig) == 0          # idempotent
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    assert buf.getvalue().count("<image") == 2
