"""Language of the report: no English in the zh report, no Chinese in the en report (issue 13, 7-8).

The demo report is built once per language (module-scoped fixtures, a reduced but complete
configuration: every stage of the default run, fewer permutations and simulation draws, PNG
figures at a low resolution).  Every string a stage produced is scanned with the stage and the
table (or figure) it came from, then the text of ``report.html`` as a whole (tags stripped), so a
string added by a new stage or a new table is covered without touching this file.

Find the leaks in one line (prints every offending string with its stage/table)::

    pytest -q tests/test_report_language.py -k leaks -rA

What is *not* a leak in the zh report (a small explicit list, :data:`PROPER_NAMES` and
:data:`ACRONYMS`): names of methods and people (Moran, Dagum, Theil, Markov, Hausman, Wald,
Elhorst, Lee, Yu, Rey, Anselin, TOPSIS, CRITIC, LISA), acronyms of models and tests (SAR, SDM, SEM, LM, LR,
FE, RE, AIC, GDP, R&D, CO2, SHA), the flag codes of a flagged fit (``boundary`` ...), software (spatialnqpf, libpysal), single letters and math
notation (``G_nb``, ``ln``, ``W×x``, quantile classes ``Q1``), configuration settings written as
``key = value`` (``missing = interpolate``), dotted code references
(``spatialnqpf.datasets.load_demo_panel``) and the column names of the data (the descriptive
statistics and weights tables show them beside their labels) -- but never ``index_score``.
The en report may contain no CJK character at all (province names are English there).
"""
from __future__ import annotations

import functools
import html as _html
import re

import pytest

from spatialnqpf import datasets
from spatialnqpf.report import build_report
from spatialnqpf.report.config import load_config
from spatialnqpf.report.stages import STAGES

#: Method and person names written in Latin letters in Chinese papers too.
PROPER_NAMES = frozenset({
    "Moran", "Moran's", "Geary", "Getis", "Ord", "LISA", "Dagum", "Gini", "Theil", "Markov", "Hausman",
    "Wald", "Elhorst", "Lee", "Yu", "TOPSIS", "CRITIC", "Kernel", "Pesaran", "Arellano", "Bond",
    "Blundell", "Bover", "Sargan", "Hansen", "Theil's", "Nickell", "Phillips", "Sul", "Albers",
    "ArcGIS", "CrimeStat", "ConvergenceClubs", "Sobel", "Baron", "Kenny", "Krackhardt", "CONCOR",
    "QAP", "MRQAP", "Wang", "OPGD", "Fisher", "reghdfe", "Stata", "Rey", "Murray", "Anselin",
})
#: Acronyms of models, tests, statistics and units.
ACRONYMS = frozenset({
    "SAR", "SEM", "SDM", "SDEM", "SAC", "SLX", "OLS", "GMM", "ML", "QML", "LM", "LR", "FE", "RE",
    "AIC", "BIC", "GDP", "CO2", "SCI", "EI", "CPCI", "SHA", "HH", "LL", "HL", "LH", "kNN", "KNN",
    "ln", "log", "spatialnqpf", "libpysal", "UTC", "HAC", "WGS84", "km", "IV", "CR1",
    "SST", "SSW",
    # flag codes: machine identifiers, the same in results.json (spatialnqpf._results.Flag)
    "boundary", "degenerate_se", "not_converged", "nonstationary", "weak_instruments",
})
_CODE = re.compile(r"[A-Za-z_][\w.]*\s?=\s?(?:'[^']*'|\"[^\"]*\"|[\w.+\-]+)"   # key = value
                   r"|\b\w+(?:\.\w+)+\b"                                    # dotted code / versions
                   r"|\[[a-z_]+(?:\.[a-z_]+)?\]"                            # [section]
                   r"|\b[0-9a-f]{16,}\b")                                    # SHA-256
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'’]*")
_CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
                  r"\uff00-\uffef]")


@functools.lru_cache(maxsize=1)
def _columns() -> frozenset:
    cols = set(datasets.load_demo_panel().columns) | set(load_config(None).variables())
    cols |= set(_reduced().variables())            # the example config's own variables
    cols |= {"ln_gdp", "industry_share", "edu_budget_share", "code", "year"}
    from spatialnqpf import index
    cols |= set(index.demo_system().to_frame()["column"].dropna())
    return frozenset(cols - {"index_score"})


def english_words(text: str, allowed=frozenset()) -> list:
    """Latin words of ``text`` that are not allowed in the zh report (see the module docstring)."""
    text = _CODE.sub(" ", str(text))
    bad = []
    for w in _WORD.findall(text):
        w = w.rstrip("'’")
        if len(w) < 2 or w in PROPER_NAMES or w in ACRONYMS or w in allowed:
            continue
        if re.fullmatch(r"[A-Za-z]_\w+|Q\d+|[A-Za-z]\d*", w):  # G_nb, Q1, x2
            continue
        bad.append(w)
    return bad


def cjk(text: str) -> list:
    return _CJK.findall(str(text))


def stage_strings(outcome):
    """(where, text) of every string a stage outcome shows: title, readings, notes, tables
    (title, notes, every header and body cell) and figure captions."""
    yield f"{outcome.name}: title", outcome.title
    for r in outcome.readings:
        yield f"{outcome.name}: reading", r
    for n in outcome.notes:
        yield f"{outcome.name}: note", n
    for t in outcome.tables:
        yield f"{outcome.name}/{t.name}: title", t.title
        for n in t.notes:
            yield f"{outcome.name}/{t.name}: note", n
        for i, row in enumerate(t.grid()):
            for cell in row:
                yield f"{outcome.name}/{t.name}: row {i}", cell
    for f in outcome.figures:
        yield f"{outcome.name}/{f.name}: caption", f.title


def html_text(path) -> str:
    """The visible text of report.html without the configuration dump and the versions line."""
    t = path.read_text(encoding="utf-8")
    t = re.sub(r"<style.*?</style>|<details><summary>[^<]*</summary><pre>.*?</pre></details>", " ", t,
               flags=re.S)
    t = re.sub(r"<p>[^<]*numpy [^<]*</p>", " ", t)  # package versions (names of software)
    t = re.sub(r"<img[^>]*>", " ", t)
    return _html.unescape(re.sub(r"<[^>]+>", "\n", t))


_FIGURE_TEXT: dict = {}


def _record_figure_text(monkeypatch, lang):
    """Wrap the stages' ``save_figure`` to keep every text of every figure (titles, axes,
    legends, colour bars, tick labels) of the run in ``lang``."""
    from matplotlib.text import Text

    from spatialnqpf.report.stages import _base
    orig = _base.save_figure
    store = _FIGURE_TEXT.setdefault(lang, {})

    def save(fig, folder, name, title, **kw):
        hidden, axes = set(), list(fig.axes)
        while axes:  # axis labels and ticks of axes drawn without axes (maps) are not shown
            ax = axes.pop()
            axes.extend(ax.child_axes)
            if not ax.axison:
                for axis in (ax.xaxis, ax.yaxis):
                    hidden |= {id(axis.label), *map(id, axis.get_ticklabels())}
        store[name] = [t.get_text() for t in fig.findobj(Text)
                       if t.get_text().strip() and t.get_visible() and id(t) not in hidden]
        # the text is what is checked: a blank stand-in is written instead of rendering the figure
        import matplotlib.pyplot as plt
        plt.close(fig)
        return orig(plt.figure(figsize=(0.4, 0.3)), folder, name, title, **kw)
    monkeypatch.setattr(_base, "save_figure", save)


def _reduced():
    """Every stage of the default report plus the optional ones (the impact stage of
    ``examples/impact_report.toml``, the geodetector of the patterns stage), cheaper: fewer
    permutations and draws, PNG at low dpi."""
    from pathlib import Path
    example = Path(__file__).resolve().parents[1] / "examples" / "impact_report.toml"
    return load_config(example, autocorrelation={"permutations": 99}, models={"effects_nsim": 100},
                       impact={"n_boot": 20, "mediation_boot": 20, "n_perm": 20},
                       patterns={"factors": ["ln_gdp", "industry_share"]},
                       output={"formats": ["html", "md"], "figures": ["png"], "dpi": 40})


def _build(tmp_path_factory, lang):
    mp = pytest.MonkeyPatch()
    try:
        _record_figure_text(mp, lang)
        out = tmp_path_factory.mktemp(f"report_{lang}")
        res = build_report(_reduced(), out=out, lang=lang, progress=False)
    finally:
        mp.undo()
    return res


@pytest.fixture(scope="module")
def zh(tmp_path_factory):
    return _build(tmp_path_factory, "zh")


@pytest.fixture(scope="module")
def en(tmp_path_factory):
    return _build(tmp_path_factory, "en")


def _leaks(res, lang):
    cols = _columns()
    found = []
    for s in res.stages:
        for where, text in stage_strings(s):
            bad = english_words(text, cols) if lang == "zh" else cjk(text)
            if bad:
                found.append(f"{where}: {text!r} -> {sorted(set(bad))}")
    fig_lang = res.footer["figure_lang"]  # "en" for a zh report when no CJK font is installed
    for name, texts in _FIGURE_TEXT.get(lang, {}).items():
        for text in texts:
            bad = english_words(text, cols) if fig_lang == "zh" else cjk(text)
            if bad:
                found.append(f"figure {name} ({fig_lang}): {text!r} -> {sorted(set(bad))}")
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_every_default_stage_ran(zh, en, stage):
    """The scan below covers every stage (a failed stage shows no text)."""
    for res in (zh, en):
        s = res.stage(stage)
        assert s.status in ("ok", "warning"), (res.footer["lang"], stage, s.status, s.reason)


def test_zh_leaks(zh):
    """No English word in any string of the zh report outside the allowlist (stage/table named)."""
    leaks = _leaks(zh, "zh")
    assert len(_FIGURE_TEXT["zh"]) == sum(len(st.figures) for st in zh.stages) >= 10  # figures scanned
    assert not leaks, f"{len(leaks)} English string(s) in the zh report:\n" + "\n".join(leaks)


def test_en_leaks(en):
    """No CJK character in any string of the en report (province names are English there)."""
    leaks = _leaks(en, "en")
    assert len(_FIGURE_TEXT["en"]) == sum(len(st.figures) for st in en.stages) >= 10  # figures scanned
    assert not leaks, f"{len(leaks)} Chinese string(s) in the en report:\n" + "\n".join(leaks)


def test_zh_html_text_has_no_english(zh):
    """The whole page (contents, headings, source line, footer words), not only the stages."""
    text, cols = html_text(zh.out_dir / "report.html"), _columns()
    bad = {w for line in text.splitlines() for w in english_words(line, cols)}
    assert not bad, sorted(bad)
    assert "内置演示面板" in text and "综合指数" in text


def test_en_html_text_has_no_chinese(en):
    text = html_text(en.out_dir / "report.html")
    lines = [line for line in text.splitlines() if cjk(line)]
    assert not lines, lines[:20]
    assert "bundled demo panel" in text and "composite index" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_index_score_never_shown(zh, en, lang):
    """The index score column is 综合指数 / composite index in every table, caption, reading,
    figure text and in the Markdown, never its raw name."""
    res = zh if lang == "zh" else en
    for s in res.stages:
        for where, text in stage_strings(s):
            assert "index_score" not in str(text), (where, text)
    for name, texts in _FIGURE_TEXT.get(lang, {}).items():
        assert not any("index_score" in t for t in texts), (name, texts)
    for f in ("report.html", "report.md"):
        body = (res.out_dir / f).read_text(encoding="utf-8")
        body = body.split("```json")[0].split("<footer>")[0]  # not the configuration dump
        assert "index_score" not in body, f


def test_pillars_groups_and_variables_are_labelled(zh, en):
    """Pillar 科技生产力 (not ``technology``), 四大区域 (not ``region4``), labels of the
    regressors in the model table, of the indicators in the weights table."""
    zh_text = html_text(zh.out_dir / "report.html")
    assert "四大区域" in zh_text and "region4" not in zh_text
    weights = zh.stage("index").tables[0]
    assert weights.name == "index_weights"
    grid = weights.grid()
    assert grid[0][:3] == ["指标", "变量名", "权重"]
    body = {row[1]: row for row in grid[1:]}
    assert body["rd_intensity"][0] == "R&D经费投入强度"
    assert body["rd_intensity"][3] == "科技生产力"
    en_body = {row[1]: row for row in en.stage("index").tables[0].grid()[1:]}
    assert en_body["rd_intensity"][3] == "Technological productive forces"
    stub = [row[0] for row in zh.stage("models").tables[0].grid()]
    assert "第二产业占比" in stub and "W×第二产业占比" in stub and "industry_share" not in stub
    stub_en = [row[0] for row in en.stage("models").tables[0].grid()]
    assert "Secondary-sector share" in stub_en and "W×Secondary-sector share" in stub_en
    desc = {row[1]: row[0] for row in zh.stage("data").tables[0].grid()[1:]}
    assert desc["ln_gdp"] == "地区生产总值（对数）"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_headings_have_no_status_word(zh, en, lang):
    """Markdown (and Word) section headings are the titles alone; the status is in report.html."""
    res = zh if lang == "zh" else en
    md = (res.out_dir / "report.md").read_text(encoding="utf-8")
    heads = [line for line in md.splitlines() if line.startswith("## ")]
    titles = {f"## {s.title}" for s in res.stages}
    assert titles <= set(heads)
    assert not any(w in h for h in heads for w in ("(完成)", "(ok)", "(警告)", "(warning)"))
    page = (res.out_dir / "report.html").read_text(encoding="utf-8")
    word = {"zh": "完成", "en": "ok"}[lang]
    assert f'<span class="status ok">{word}</span>' in page


def test_word_headings_have_no_status_word(tmp_path):
    docx = pytest.importorskip("docx")
    from spatialnqpf.report.writers import docx_report
    from spatialnqpf.report.builder import StageOutcome
    footer = {"data": {"source": "bundled demo panel (x)", "sha256": "0"}, "generated": "now",
              "seed": 1, "versions": {"numpy": "1"}}
    st = StageOutcome("weights", "空间权重矩阵", "ok", 0.1)
    path = docx_report("zh", [st], footer, tmp_path / "r.docx")
    heads = [p.text for p in docx.Document(str(path)).paragraphs if p.style.name.startswith("Heading")]
    assert "空间权重矩阵" in heads and not any("完成" in h for h in heads)
    texts = [p.text for p in docx.Document(str(path)).paragraphs]
    assert texts[1].startswith("内置演示面板（x）")


def test_allowlist_can_fail():
    """The scanners are not vacuous."""
    assert english_words("全局 Moran's I 在 0.17 至 0.37 之间") == []
    assert english_words("按配置（missing = interpolate）处理：interpolated 31 项") == ["interpolated"]
    assert english_words("SDM 模型与 twoways 固定效应") == ["twoways"]
    assert english_words("x: index_score", {"gdp"}) == ["index_score"]
    assert cjk("In 2022 Beijing (北京)") == ["北", "京"] and cjk("Beijing") == []


def test_no_cjk_font_map_titles_and_colour_bars_follow_the_figure(tmp_path, monkeypatch):
    """Without a CJK font the zh report's figures fall back to English: map titles and colour
    bars included (no boxes), while captions and tables stay Chinese (issue 13, item 8)."""
    from spatialnqpf.report import fonts
    monkeypatch.setattr(fonts, "find_cjk_font", lambda extra_paths=(): None)
    _record_figure_text(monkeypatch, "zh-nofont")
    cfg = load_config(None, output={"formats": ["md"], "figures": ["png"], "dpi": 30})
    with pytest.warns(fonts.CJKFontWarning):
        res = build_report(cfg, out=tmp_path / "f", stages=["index"], progress=False, lang="zh")
    assert res.footer["figure_lang"] == "en"
    figs = _FIGURE_TEXT["zh-nofont"]
    assert {"index_map_2012", "index_maps_by_year", "index_trend_by_region"} <= set(figs)
    for name, texts in figs.items():
        assert not [t for t in texts if cjk(t)], (name, [t for t in texts if cjk(t)])
    assert any(t.startswith("Composite index 2012") for t in figs["index_map_2012"])
    assert "Composite index" in figs["index_maps_by_year"]  # the colour bar
    assert res.stage("index").figures[1].title == "综合指数 2012"  # caption: report language


# ---------------------------------------------------------------- [labels] configuration

def test_labels_config_is_validated():
    from spatialnqpf.report.config import ConfigError
    cfg = load_config(None, labels={"zh": {"ln_gdp": "对数GDP"}, "en": {"ln_gdp": "log GDP"}})
    assert cfg.get("labels") == {"zh": {"ln_gdp": "对数GDP"}, "en": {"ln_gdp": "log GDP"}}
    with pytest.raises(ConfigError, match=r"\[labels.zh\] / \[labels.en\]"):
        load_config(None, labels={"gdp_pc": {"zh": "人均GDP", "en": "GDP per capita"}})
    with pytest.raises(ConfigError, match="did you mean 'zh'"):
        load_config(None, labels={"zhh": {"gdp": "x"}})
    with pytest.raises(ConfigError, match=r"\[labels.en\] gdp: the label must be a non-empty string, got 3"):
        load_config(None, labels={"en": {"gdp": 3}})
    with pytest.raises(ConfigError, match=r"\[labels.zh\] must be a table"):
        load_config(None, labels={"zh": "人均GDP"})


def test_labels_from_toml_and_back(tmp_path):
    p = tmp_path / "a.toml"
    p.write_text('[labels.zh]\ngdp_pc = "人均GDP"\n"ln gdp" = "对数"\n[labels.en]\ngdp_pc = "GDP per capita"\n',
                 encoding="utf-8")
    cfg = load_config(p)
    assert cfg.get("labels") == {"zh": {"gdp_pc": "人均GDP", "ln gdp": "对数"}, "en": {"gdp_pc": "GDP per capita"}}
    again = tmp_path / "b.toml"
    again.write_text(cfg.to_toml(), encoding="utf-8")
    assert load_config(again).get("labels") == cfg.get("labels")
    assert "[labels.zh]" in __import__("spatialnqpf.report.config", fromlist=["template"]).template()


def test_label_precedence():
    """[labels] > indicator system > data dictionary > the name; the index score is 综合指数."""
    from spatialnqpf import index
    from spatialnqpf.report.labels import Labels
    system = index.demo_system().select(pillars=["technology"])
    lab = Labels({"zh": {"rd_intensity": "研发强度"}}, system=system)
    assert lab.get("rd_intensity", "zh") == "研发强度"                 # configuration
    assert lab.get("rd_intensity", "en") == "R&D intensity (R&D expenditure / GDP)"  # system
    assert lab.get("technology", "zh") == "科技生产力"                # pillar of the system
    assert lab.get("gdp", "zh") == "地区生产总值" and lab.get("gdp", "en") == "GDP"  # dictionary
    assert lab.get("index_score", "zh") == "综合指数" and lab.get("index_score", "en") == "composite index"
    assert lab.get("my_column", "zh") == "my_column" and not lab.known("my_column", "zh")
    dd = datasets.data_dictionary()
    assert (dd["label_zh"] != "").all() and (dd["label_en"] != "").all()
    assert not dd["label_en"].map(cjk).map(bool).any()


def test_user_labels_reach_tables_readings_and_notes():
    """A [labels] entry is used in the tables and readings; one naming nothing gets a note."""
    from spatialnqpf.report.builder import run_stages
    cfg = load_config(None, labels={"zh": {"rd_intensity": "研发强度", "index_score": "新质生产力指数",
                                           "technology": "科技", "gdp_pcc": "人均"}})
    data, idx = run_stages(cfg, stages=["index"])
    body = {row[1]: row for row in idx.tables[0].grid()[1:]}
    assert body["rd_intensity"][0] == "研发强度" and body["rd_intensity"][3] == "科技"
    assert any(row[0] == "研发强度" for row in data.tables[0].grid())
    assert "[labels.zh] 中的 gdp_pcc 不是数据列、指标或维度，其标签未使用（是否应为 gdp？）。" in data.notes
    assert idx.figures == ()
    from spatialnqpf.report.stages import State
    st = State(cfg, ".", "zh", "zh", False)
    st.index_column = "index_score"
    assert st.var_label("index_score") == "新质生产力指数"
    assert st.scheme_label("region4") == "四大区域" and st.region_label("Southwest") == "大西南综合经济区"


def test_flag_reasons_are_chinese_in_the_zh_report():
    """A flagged fit's reading and table note give the reason in the report language."""
    from types import SimpleNamespace

    from spatialnqpf._results import Flag
    from spatialnqpf.report.labels import flag_reasons
    from spatialnqpf.report.stages import State
    from spatialnqpf.report.stages.models import flagged_reading
    fl = (Flag("boundary", "rho = 0.99999 is at the bound of its admissible interval (-1, 1); estimates, "
                           "standard errors and effects are not interpretable (check W and the model)"),
          Flag("degenerate_se", "non-finite or zero standard errors for rho"))
    zh = flagged_reading(State(load_config(None), ".", "zh", "zh", False), "SAR (邻接矩阵)",
                         SimpleNamespace(flags=fl))
    assert english_words(zh) == [], zh
    assert "ρ = 0.99999：参数位于其取值区间的边界" in zh and "标准误为零或非有限值" in zh
    assert flag_reasons(fl, "en") == "; ".join(f.message for f in fl)
    import pandas as pd

    from spatialnqpf._results import EstimationResults
    from spatialnqpf.report.tables import regression_table

    class Fit(EstimationResults):
        def __init__(self, flags):
            self._init_estimates(pd.Series({"x": 0.5, "rho": 0.99999}), bse=pd.Series({"x": 0.1, "rho": 0.01}),
                                 flags=flags, warn=False)
            self._freeze()
    t = regression_table({"SAR": Fit(list(fl))}, lang="zh")
    note = [n for n in t.notes if "被标记" in n]
    assert len(note) == 1 and english_words(note[0]) == [], note
    assert "ρ = 0.99999：参数位于其取值区间的边界" in note[0]
