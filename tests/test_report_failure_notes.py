"""Failure notes and skip/failure reasons of the report speak the report's language.

A part of a stage that raises (a spatial Markov chain, a conditional beta convergence, a
figure ...) leaves a note; a stage whose prerequisite is missing is skipped with a reason; a
prerequisite that failed is noted in the footer.  Each path is forced here (the library
function the stage calls is replaced by one that raises a known error) and the sentence is
checked in both languages: in the zh report it is Chinese (no English word outside the
allowlist of ``test_report_language`` once the library's own error text is removed, and that
error text is kept verbatim), in the en report English (no CJK character).

The stages run on the bundled demo without figures (seconds in all); the figure paths call
the stage's figure helpers directly with the plotting function replaced.
"""
from __future__ import annotations

import copy
import json
import warnings
from types import SimpleNamespace

import pytest

import spatialnqpf.autocorrelation
import spatialnqpf.dynamics
import spatialnqpf.index
import spatialnqpf.models
from spatialnqpf.report import builder
from spatialnqpf.report.config import load_config
from spatialnqpf.report.stages import _base
from test_report_language import cjk, english_words

ERR = "the matrix is singular (forced)"
ERR_TEXT = f"RuntimeError: {ERR}"


def boom(*args, **kwargs):
    raise RuntimeError(ERR)


def _prepared(tmp, lang):
    cfg = load_config(None, autocorrelation={"permutations": 99}, models={"effects_nsim": 50})
    _, state, _, _ = builder._prepare(cfg, tmp, None, lang, ["index", "weights"], figures=False)
    for name in ("data", "index", "weights"):
        assert builder.run_stage(state, name).status == "ok"
    return state


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    return {lang: _prepared(tmp_path_factory.mktemp(f"notes_{lang}"), lang) for lang in ("zh", "en")}


def _fresh(prepared, lang):
    st = copy.copy(prepared[lang])
    st.notes = list(prepared[lang].notes)
    return st


def _new_notes(outcome_or_notes, before=()):
    notes = getattr(outcome_or_notes, "notes", outcome_or_notes)
    return [n for n in notes if n not in before]


def check_zh(note: str, must: str):
    """A zh note: contains the Chinese sentence ``must`` and the library's error text verbatim;
    outside that error text, no English word beyond the allowlist."""
    assert must in note, note
    assert ERR_TEXT in note, note
    rest = note.replace(ERR_TEXT, " ")
    assert english_words(rest) == [], (note, english_words(rest))
    assert cjk(rest), note


def check_en(note: str, must: str):
    assert must in note and ERR_TEXT in note, note
    assert cjk(note) == [], note


def _one(notes, marker):
    got = [n for n in notes if marker in n]
    assert len(got) == 1, notes
    return got[0]


# ---------------------------------------------------------------- parts of a stage

def test_dynamics_parts_failing(prepared, monkeypatch):
    """spatial Markov, conditional and spatial beta convergence: 空间马尔可夫链未能完成：... /
    Spatial Markov chain failed: ...; the stage itself still succeeds."""
    monkeypatch.setattr(spatialnqpf.dynamics, "spatial_markov", boom)
    monkeypatch.setattr(spatialnqpf.dynamics, "spatial_beta_convergence", boom)
    real = spatialnqpf.dynamics.beta_convergence

    def beta(*args, controls=None, **kw):  # the absolute one works, the conditional one fails
        if controls:
            boom()
        return real(*args, **kw)
    monkeypatch.setattr(spatialnqpf.dynamics, "beta_convergence", beta)
    want = {"zh": ["空间马尔可夫链未能完成：", "条件 β 收敛未能完成：", "空间 β 收敛（SDM）未能完成："],
            "en": ["Spatial Markov chain failed: ", "Conditional β-convergence failed: ",
                   "Spatial β-convergence (SDM) failed: "]}
    for lang in ("zh", "en"):
        out = builder.run_stage(_fresh(prepared, lang), "dynamics")
        assert out.status == "ok", out.reason
        notes = _new_notes(out, prepared[lang].notes)
        assert len(notes) == 3, notes
        for must in want[lang]:
            (check_zh if lang == "zh" else check_en)(_one(notes, must), must)
        assert not any(t.name == "spatial_markov" for t in out.tables)
        if lang == "zh":  # the old English-only wording and the Python names are gone
            zh = " ".join(out.notes)
            assert "failed" not in zh and "spatial_markov" not in zh and "beta" not in zh


def test_autocorrelation_lisa_transitions_failing(prepared, monkeypatch):
    real = spatialnqpf.autocorrelation.lisa

    def lisa(*args, **kw):
        res = real(*args, **kw)
        monkeypatch.setattr(type(res), "transitions", boom)
        return res
    monkeypatch.setattr(spatialnqpf.autocorrelation, "lisa", lisa)
    for lang, must in (("zh", "LISA 聚类类型的转移未计算："), ("en", "LISA cluster transitions not computed: ")):
        out = builder.run_stage(_fresh(prepared, lang), "autocorrelation")
        assert out.status == "ok", out.reason
        note = _one(_new_notes(out, prepared[lang].notes), must)
        (check_zh if lang == "zh" else check_en)(note, must)


def test_index_parts_failing(prepared, monkeypatch):
    """Obstacle degrees in the stage run; coupling coordination (two or more pillars; the
    demo's default index has none) through the stage's helper with a two-pillar result."""
    import pandas as pd
    from spatialnqpf.report.stages import index as index_stage
    monkeypatch.setattr(spatialnqpf.index.IndexResult, "obstacles", boom)
    idx = pd.MultiIndex.from_product([[11, 12], [2012, 2013]], names=["code", "year"])
    two = SimpleNamespace(pillar_weights=pd.Series({"technology": 0.6, "green": 0.4}),
                          pillar_scores=pd.DataFrame({"technology": [0.1, 0.2, 0.3, 0.4],
                                                      "green": [0.4, 0.3, 0.2, 0.1]}, index=idx),
                          coupling=boom, obstacles=boom)
    want = {"zh": ["维度间耦合协调度未计算：", "障碍度未计算："],
            "en": ["Coupling coordination between pillars not computed: ", "Obstacle degree not computed: "]}
    for lang in ("zh", "en"):
        check = check_zh if lang == "zh" else check_en
        out = builder.run_stage(_fresh(prepared, lang), "index")
        assert out.status == "ok", out.reason
        check(_one(_new_notes(out, prepared[lang].notes), want[lang][1]), want[lang][1])
        st = _fresh(prepared, lang)
        n0 = len(st.notes)
        tables = []
        index_stage._index_extras(st, two, 2013, tables, [], {})
        assert [t.name for t in tables] == ["index_pillar_weights", "index_pillar_scores"]
        notes = st.notes[n0:]
        assert len(notes) == 2, notes
        for must in want[lang]:
            check(_one(notes, must), must)


def test_models_specification_search_failing(prepared, monkeypatch):
    assert prepared["zh"].config.get("models", "specification_search")
    monkeypatch.setattr(spatialnqpf.models, "specification_search", boom)
    for lang, must in (("zh", "模型设定检验（Elhorst 检验序列）未能估计："),
                       ("en", "the specification search (Elhorst sequence) could not be estimated: ")):
        out = builder.run_stage(_fresh(prepared, lang), "models")
        assert out.status in ("ok", "warning"), out.reason
        note = _one(_new_notes(out, prepared[lang].notes), must)
        (check_zh if lang == "zh" else check_en)(note, must)
        assert "specification_search" not in note


# ---------------------------------------------------------------- figures that cannot be drawn

def _figure_state(prepared, lang, monkeypatch):
    st = _fresh(prepared, lang)
    st.figures, st.fig_lang = True, lang
    monkeypatch.setattr(st, "save_figure", lambda fig, name, title: pytest.fail("nothing is saved"),
                        raising=False)
    return st


def test_figure_failures(prepared, monkeypatch):
    """Moran scatter / LISA map, kernel densities, maps: the note names the figure by its
    caption (Moran 散点图 2012), not the Python function (plot_moran_scatter(2012))."""
    from spatialnqpf.report import figures
    from spatialnqpf.report.stages import autocorrelation, dynamics
    for name in ("plot_moran_scatter", "plot_lisa_map"):
        monkeypatch.setattr(autocorrelation, name, boom)
    for name in ("plot_kde_overlay", "plot_kde_surface"):
        monkeypatch.setattr(dynamics, name, boom)
    monkeypatch.setattr(figures, "_plotter", lambda state: boom)
    import pandas as pd
    piv = pd.DataFrame({2012: [0.1, 0.2], 2013: [0.3, 0.4]}, index=[11, 12])
    want = {"zh": ["图“Moran 散点图 2012”未能绘制：", "图“LISA 聚类图 2012”未能绘制：",
                   "图“分区域核密度（逐年）”未能绘制：", "图“全国核密度三维图”未能绘制：",
                   "图“综合指数 2013”未能绘制："],
            "en": ["figure “Moran scatter 2012” could not be drawn: ",
                   "figure “LISA cluster map 2012” could not be drawn: ",
                   "figure “Kernel density by region and year” could not be drawn: ",
                   "figure “National kernel density surface” could not be drawn: ",
                   "figure “Composite index 2013” could not be drawn: "]}
    for lang in ("zh", "en"):
        st = _figure_state(prepared, lang, monkeypatch)
        n0 = len(st.notes)
        assert autocorrelation._lisa_figures(st, SimpleNamespace(column="x"), [2012]) == []
        assert dynamics._kde_figures(st, SimpleNamespace(column="x")) == []
        what = {"zh": "综合指数", "en": "composite index"}[lang]
        assert figures.province_maps(st, piv, [2013], "index_map", what) == []
        notes = st.notes[n0:]
        assert len(notes) == 5, notes
        for must in want[lang]:
            (check_zh if lang == "zh" else check_en)(_one(notes, must), must)


def test_dagum_by_region_figure_failure(prepared, monkeypatch):
    from spatialnqpf.report.stages import inequality
    from spatialnqpf.report.figures import FigureRecord
    monkeypatch.setattr(inequality, "plot_dagum_regions", boom)
    import matplotlib.pyplot as plt
    for lang, must in (("zh", "图“分区域的区域内基尼系数与分区域对的区域间基尼系数”未能绘制："),
                       ("en", "figure “Within-region Gini by region and between-region Gini by pair” "
                              "could not be drawn: ")):
        st = _figure_state(prepared, lang, monkeypatch)

        def save(fig, name, title):
            plt.close(fig)
            return FigureRecord(name, title, {})
        monkeypatch.setattr(st, "save_figure", save, raising=False)
        monkeypatch.setattr(inequality, "plot_dagum", lambda *a, **k: plt.figure(figsize=(1, 1)))
        out = builder.run_stage(st, "inequality")
        assert out.status == "ok", out.reason
        (check_zh if lang == "zh" else check_en)(_one(out.notes, must), must)
        assert "dagum_by_region" not in _one(out.notes, must)


# ---------------------------------------------------------------- skipped and failed stages

def test_skip_reason_in_the_report_language(tmp_path):
    """A stage without its prerequisite: the report shows the reason in its language,
    results.json keeps the stable English ``reason`` (and the shown ``message``)."""
    docx = pytest.importorskip("docx")
    cfg = load_config(None, output={"formats": ["md", "docx"], "figures": ["png"], "dpi": 30})
    for lang, shown in (("zh", "没有空间权重矩阵（空间权重阶段未成功）"),
                        ("en", "no spatial weights (the weights stage did not succeed)")):
        res = build(cfg, tmp_path / lang, lang, ["autocorrelation"])
        st = res.stage("autocorrelation")
        assert st.status == "skipped"
        assert st.reason == "no spatial weights (the weights stage did not succeed)"
        assert st.message == shown == st.shown_reason
        j = json.loads((tmp_path / lang / "results.json").read_text(encoding="utf-8"))
        assert j["stages"]["autocorrelation"]["reason"] == st.reason
        assert j["stages"]["autocorrelation"]["message"] == shown
        assert "message" not in j["stages"]["data"]          # nothing to say for a stage that ran
        md = (tmp_path / lang / "report.md").read_text(encoding="utf-8")
        word = {"zh": "跳过", "en": "skipped"}[lang]
        assert f"**{word}:** {shown}" in md
        html = (tmp_path / lang / "report.html").read_text(encoding="utf-8")
        assert f"<strong>{word}:</strong> {shown}" in html
        paragraphs = [p.text for p in docx.Document(str(tmp_path / lang / "report.docx")).paragraphs]
        assert f"{word}: {shown}" in paragraphs
        if lang == "zh":
            assert english_words(shown) == [] and "no spatial weights" not in md + html


def test_skip_reasons_of_the_index_and_impact_stages(prepared):
    """Every Skip the stages raise has both languages (an untranslated one shows its reason)."""
    from spatialnqpf.report.stages.impact import TEXT as IMPACT
    for key in ("skip_no_weights", "skip_no_scores", "skip_no_system"):
        s = _base.Skip.common(key)
        assert str(s) == _base.COMMON_TEXT[key]["en"] and s.message("en") == str(s)
        assert english_words(s.message("zh")) == [] and cjk(s.message("zh"))
    for key in ("off", "skip_y_index"):
        assert english_words(IMPACT[key]["zh"]) == [] and not cjk(IMPACT[key]["en"])
    assert _base.Skip("plain").message("zh") == "plain"
    st = _fresh(prepared, "zh")
    st.indicators = {}
    out = builder.run_stage(st, "index")
    assert out.status == "skipped" and out.reason.startswith("no indicator system")
    assert out.message == "没有指标体系（请配置 [index] 或安装演示指标体系）"
    outs = builder.run_stages(None, stages=["impact"], lang="zh")
    imp = outs[-1]
    assert imp.status == "skipped" and imp.reason.startswith("no [impact] table")
    assert imp.message == "配置中没有 [impact] 表"


def build(cfg, out, lang, stages, write=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return builder.build_report(cfg, out=out, lang=lang, stages=stages, progress=False, write=write)


def test_failed_stage_and_failed_prerequisite(tmp_path, monkeypatch):
    """A failed stage: status word in the language, the error text verbatim; a failed
    prerequisite of a single-stage run: 前置阶段“空间权重矩阵”失败：... in the footer notes."""
    monkeypatch.setitem(builder._STAGE_FUNCS, "weights", boom)
    cfg = load_config(None, output={"formats": ["md"], "figures": ["png"], "dpi": 30})
    titles = {lang: builder._TITLES["weights"][lang] for lang in ("zh", "en")}
    for lang in ("zh", "en"):
        res = build(cfg, tmp_path / lang, lang, ["weights", "autocorrelation"], write=["autocorrelation"])
        assert res.footer["prerequisites"]["weights"]["status"] == "failed"
        assert res.footer["prerequisites"]["weights"]["reason"] == ERR_TEXT
        note = _one(res.footer["notes"], ERR_TEXT)
        if lang == "zh":
            check_zh(note, f"前置阶段“{titles['zh']}”失败：")
        else:
            check_en(note, f"prerequisite stage weights ({titles['en']}) failed: ")
        j = json.loads((tmp_path / lang / "results.json").read_text(encoding="utf-8"))
        assert note in j["footer"]["notes"]
    # the failed stage written in full: the status word in Chinese, the error as raised
    res = build(cfg, tmp_path / "full", "zh", ["weights"])
    st = res.stage("weights")
    assert st.status == "failed" and st.reason == st.shown_reason == ERR_TEXT
    md = (tmp_path / "full" / "report.md").read_text(encoding="utf-8")
    assert f"**失败:** {ERR_TEXT}" in md


def test_warning_notes_are_introduced_in_the_language(prepared, monkeypatch):
    """A warning caught while a stage runs: 运行时警告：UserWarning: ... in zh, unchanged in en."""
    def warn(state):
        warnings.warn("the library's own words", UserWarning)
        return _base.StageOutput()
    monkeypatch.setitem(builder._STAGE_FUNCS, "inequality", warn)
    zh = builder.run_stage(_fresh(prepared, "zh"), "inequality")
    en = builder.run_stage(_fresh(prepared, "en"), "inequality")
    assert zh.notes == ("运行时警告：UserWarning: the library's own words",)
    assert en.notes == ("UserWarning: the library's own words",)


def test_no_english_only_failure_note_left():
    """No f-string note of the old English-only kind remains in the stages and figure helpers."""
    import re
    from pathlib import Path
    root = Path(builder.__file__).parent
    bad = []
    for p in [*root.glob("stages/*.py"), root / "figures.py", root / "builder.py"]:
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"notes\.append\(f[\"']", line) or re.search(r"\bf[\"'][^\"']*(failed|not computed): \{", line):
                bad.append(f"{p.name}:{i}: {line.strip()}")
    assert not bad, bad
