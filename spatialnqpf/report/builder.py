"""The main job: run every stage of the analysis and write the report folder.

:func:`build_report` runs the stages in order — data, index, weights,
autocorrelation, regional differences, dynamics, models — each in its own
failure boundary: a stage whose module is not installed is *skipped*, a stage
that raises is *failed* (message and traceback kept), and everything that
succeeded is still written.  No estimation happens here: the stages call the
public functions of :mod:`spatialnqpf.index`, :mod:`spatialnqpf.weights`,
:mod:`spatialnqpf.autocorrelation`, :mod:`spatialnqpf.inequality`,
:mod:`spatialnqpf.dynamics` and :mod:`spatialnqpf.models`, and the plotting
modules of :mod:`spatialnqpf.report`.

Output folder::

    report.html     self-contained (figures embedded as base64 PNG; opens offline)
    report.md       Markdown with links to figures/ and the tables inline
    report.docx     the same report as a Word document (tables, figures, readings)
    config_used.toml  the configuration, ready for ``spatialnqpf report --config``
    results.json    every number of every table, the readings, stage status, footer
    tables/         <table>.tex (booktabs), .docx, .xlsx, .csv, .html, .md;
                    all_tables.xlsx and all_tables.docx
    figures/        <figure>.png and .svg (map polygons embedded as images in the SVG)

The footer records package versions, the seed, the configuration and the
SHA-256 of the data, so the report can be reproduced.

The plain-language readings are computed from the numbers of the tables
(e.g. the largest Dagum contribution share ``max(G_w, G_nb, G_t) / G`` of the
last year), never canned.

References
----------
Methods of the stages (implemented in the modules named above):
Dagum, C. (1997). A new approach to the decomposition of the Gini income
inequality ratio. *Empirical Economics* 22, 515-531.
Anselin, L. (1995). Local indicators of spatial association - LISA.
*Geographical Analysis* 27, 93-115.
Rey, S. J. (2001). Spatial empirics for economic growth and convergence.
*Geographical Analysis* 33, 195-214 (spatial Markov chains).
Lee, L.-F. and Yu, J. (2010). Estimation of spatial autoregressive panel data
models with fixed effects. *Journal of Econometrics* 154, 165-185.
Elhorst, J. P. (2014). *Spatial Econometrics: From Cross-Sectional Data to
Spatial Panels*. Springer.
LeSage, J. and Pace, R. K. (2009). *Introduction to Spatial Econometrics*.
CRC Press (direct, indirect and total effects).
"""
from __future__ import annotations

import base64
import datetime as _dt
import html as _html
import importlib
import json
import math
import platform
import sys
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from .config import PreparedData, ReportConfig, load_config, load_data
from .tables import (FE_ZH, frame_table, lee_yu_label, regression_table, translate_specification,
                     write_document, write_table, write_workbook)

__all__ = ["build_report", "ReportResult", "StageOutcome", "FigureRecord", "STAGES", "run_stage"]

#: Stage names in run order (``spatialnqpf report --stages`` takes a subset).
STAGES = ("data", "index", "weights", "autocorrelation", "inequality", "dynamics", "models")

_TITLES = {
    "zh": {"data": "数据概览与缺失值", "index": "综合指数：权重与得分", "weights": "空间权重矩阵",
           "autocorrelation": "空间自相关", "inequality": "区域差异：Dagum 基尼系数与泰尔指数",
           "dynamics": "分布动态：核密度、马尔可夫链与收敛", "models": "空间计量模型与效应分解",
           "report": "空间计量分析报告", "reproduce": "复现信息", "skipped": "跳过",
           "failed": "失败", "ok": "完成", "contents": "目录", "readings": "解读"},
    "en": {"data": "Data overview and missing values", "index": "Composite index: weights and scores",
           "weights": "Spatial weight matrices", "autocorrelation": "Spatial autocorrelation",
           "inequality": "Regional differences: Dagum Gini and Theil",
           "dynamics": "Distribution dynamics: kernel density, Markov chains, convergence",
           "models": "Spatial regression models and effects", "report": "Spatial econometric report",
           "reproduce": "Reproducibility", "skipped": "skipped", "failed": "failed", "ok": "ok",
           "contents": "Contents", "readings": "Reading"},
}

_REGION_ZH = {"East": "东部", "Central": "中部", "West": "西部", "Northeast": "东北"}


class _Skip(Exception):
    """A stage cannot run (module absent, prerequisite missing); not an error of the data."""


@dataclass(frozen=True)
class FigureRecord:
    """A written figure: name, caption and file paths (PNG always; SVG/PDF as configured)."""

    name: str
    title: str
    files: Mapping

    @property
    def png(self) -> Path:
        return Path(self.files["png"])


@dataclass(frozen=True)
class StageOutcome:
    """What one stage produced (frozen).

    ``status`` is ``"ok"``, ``"skipped"`` (module or prerequisite absent; ``reason``
    says which) or ``"failed"`` (``reason`` is the error message, ``traceback``
    the full trace).
    """

    name: str
    title: str
    status: str
    seconds: float
    reason: str = ""
    traceback: str = ""
    tables: tuple = ()
    figures: tuple = ()
    readings: tuple = ()
    numbers: Mapping = field(default_factory=dict)
    notes: tuple = ()

    def summary(self) -> str:
        """Status line, readings and every table as text."""
        head = f"{self.title} [{self.status}] {self.seconds:.1f} s" + (f": {self.reason}" if self.reason else "")
        return "\n\n".join([head, *self.readings, *(t.summary() for t in self.tables)])

    def to_frame(self) -> pd.DataFrame:
        """One row per table and figure of the stage (kind, name, title)."""
        rows = [{"kind": "table", "name": t.name, "title": t.title} for t in self.tables]
        rows += [{"kind": "figure", "name": f.name, "title": f.title} for f in self.figures]
        return pd.DataFrame(rows, columns=["kind", "name", "title"])

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "status": self.status,
                "seconds": round(self.seconds, 3), "reason": self.reason,
                "traceback": self.traceback, "readings": list(self.readings),
                "notes": list(self.notes), "numbers": _jsonable(self.numbers),
                "tables": {t.name: _jsonable(t.to_dict()) for t in self.tables},
                "figures": [{"name": f.name, "title": f.title,
                             "files": {k: Path(v).name for k, v in f.files.items()}}
                            for f in self.figures]}


@dataclass(frozen=True)
class ReportResult:
    """Outcome of :func:`build_report` (frozen): the folder, the stages and the footer."""

    out_dir: Path
    stages: tuple
    footer: Mapping
    files: Mapping
    seconds: float

    def stage(self, name: str) -> StageOutcome:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(f"no stage {name!r}; stages: {[s.name for s in self.stages]}")

    @property
    def ok(self) -> bool:
        """True when no stage failed (skipped stages do not count as failures)."""
        return all(s.status != "failed" for s in self.stages)

    def to_frame(self) -> pd.DataFrame:
        """One row per stage: status, seconds, number of tables and figures, reason."""
        return pd.DataFrame([{"stage": s.name, "status": s.status, "seconds": round(s.seconds, 2),
                              "tables": len(s.tables), "figures": len(s.figures),
                              "reason": s.reason} for s in self.stages]).set_index("stage")

    def summary(self) -> str:
        lines = [f"spatialnqpf report -> {self.out_dir} ({self.seconds:.1f} s)"]
        for s in self.stages:
            extra = f": {s.reason}" if s.reason else ""
            lines.append(f"  {s.name:<16} {s.status:<8} {s.seconds:6.1f} s  "
                         f"{len(s.tables)} table(s), {len(s.figures)} figure(s){extra}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


# ------------------------------------------------------------------ helpers
def _jsonable(obj):
    """Convert numpy/pandas objects to JSON-compatible Python (NaN → None)."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        df = obj.copy()
        df.columns = [" ".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in df.columns]
        return {"index": [_jsonable(i) for i in df.index.tolist()], "columns": list(df.columns),
                "data": _jsonable(df.to_numpy().tolist())}
    if isinstance(obj, pd.Series):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, (int, str)):
        return obj
    return str(obj)


def _module(name: str, *attrs):
    """Import ``spatialnqpf.<name>`` and check ``attrs`` exist, else raise :class:`_Skip`."""
    full = f"spatialnqpf.{name}"
    try:
        mod = importlib.import_module(full)
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == full or full.startswith(exc.name + ".") or exc.name.startswith(full)):
            raise _Skip(f"module {full} is not available in this installation") from None
        raise
    missing = [a for a in attrs if not hasattr(mod, a)]
    if missing:
        raise _Skip(f"{full} does not provide {', '.join(missing)} yet")
    return mod


def _pct(x: float, digits: int = 0) -> str:
    return f"{100 * x:.{digits}f}%"


def _versions() -> dict:
    out = {"python": platform.python_version(), "platform": platform.platform()}
    from .. import __version__
    out["spatialnqpf"] = __version__
    for pkg in ("numpy", "scipy", "pandas", "matplotlib", "geopandas", "shapely", "libpysal", "esda",
                "giddy", "spreg", "statsmodels", "openpyxl", "docx"):
        try:
            mod = importlib.import_module(pkg)
            out["python-docx" if pkg == "docx" else pkg] = getattr(mod, "__version__", "installed")
        except Exception:
            out["python-docx" if pkg == "docx" else pkg] = "not installed"
    return out


_VECTOR_FORMATS = frozenset({"svg", "pdf", "eps", "ps"})
#: A collection with more path vertices than this is drawn as an embedded image
#: in vector figures (province polygons: ~10^5 vertices, ~5 MB of SVG each).
_RASTER_VERTICES = 5000


def _rasterize_heavy(fig, limit: int = _RASTER_VERTICES) -> int:
    """Mark the heavy collections of ``fig`` (map polygons) as rasterized; return how many.

    In SVG/PDF output a rasterized artist is embedded as an image at the
    figure's ``dpi``, while text, axes, legends and colour bars stay vector.
    """
    n = 0
    axes, seen = list(fig.axes), set()
    while axes:  # inset axes (e.g. the South China Sea) are child axes, not in fig.axes
        ax = axes.pop()
        if id(ax) in seen:
            continue
        seen.add(id(ax))
        axes.extend(getattr(ax, "child_axes", ()))
        for coll in ax.collections:
            try:
                size = sum(len(p.vertices) for p in coll.get_paths())
            except Exception:  # some 3-D collections build their paths only when drawn
                continue
            if size > limit and not coll.get_rasterized():
                coll.set_rasterized(True)
                n += 1
    return n


class _Context:
    """Mutable state shared by the stages of one run (not part of the public API)."""

    def __init__(self, config: ReportConfig, out: Path, lang: str, fig_lang: str, progress: bool):
        self.config = config
        self.out = out
        self.lang = lang            # tables and text
        self.fig_lang = fig_lang    # figure labels (English without a CJK font)
        self.progress = progress
        self.seed = config.seed
        self.data: PreparedData | None = None
        self.frame: pd.DataFrame | None = None   # analysis frame (data + index columns)
        self.index_result = None
        self.index_column: str | None = None
        self.index_label = None
        self.weights: dict = {}
        self.weight_labels: dict = {}
        self.variables: dict = {}               # role -> column actually analysed
        self.notes: list = []
        self.indicators: dict = {}              # column -> direction
        self.indicator_meta: pd.DataFrame | None = None
        self.fallback_variable: str | None = None  # analysed when the index is unavailable
        self._figs: list = []

    # text in the report language
    def t(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def ft(self, zh: str, en: str) -> str:
        return zh if self.fig_lang == "zh" else en

    def region_label(self, g, fig: bool = False) -> str:
        lang = self.fig_lang if fig else self.lang
        return _REGION_ZH.get(str(g), str(g)) if lang == "zh" else str(g)

    def province_names(self, codes, fig: bool = False):
        from .. import regions
        lang = self.fig_lang if fig else self.lang
        try:
            return list(regions.names(list(codes), lang="short" if lang == "zh" else "en"))
        except Exception:
            return [str(c) for c in codes]

    def save_figure(self, fig, name: str, title: str) -> FigureRecord:
        import matplotlib.pyplot as plt
        folder = self.out / "figures"
        folder.mkdir(parents=True, exist_ok=True)
        files = {}
        fmts = list(dict.fromkeys(["png", *self.config.get("output", "figures")]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # glyph warnings are handled by fonts.setup_language
            for fmt in sorted(fmts, key=lambda f: f in _VECTOR_FORMATS):  # raster formats first
                if fmt in _VECTOR_FORMATS:
                    _rasterize_heavy(fig)
                p = folder / f"{name}.{fmt}"
                fig.savefig(p, dpi=self.config.get("output", "dpi"), bbox_inches="tight")
                files[fmt] = p
        plt.close(fig)
        return FigureRecord(name, title, files)

    def variable(self, role: str) -> str:
        """Column analysed by a stage: ``"index"`` resolves to the index score column."""
        want = self.config.get(role, "variable") if role != "models" else self.config.get("models", "y")
        if want != "index":
            if want not in self.frame.columns:
                raise KeyError(f"[{role}] variable {want!r} is not a column of the data")
            return want
        if self.index_column is not None:
            return self.index_column
        fallback = self.fallback_variable
        if fallback is not None and fallback in self.frame.columns:
            note = self.t(f"综合指数未计算（指数阶段未运行或失败），本节改用指标 {fallback}。",
                          f"The composite index was not computed (index stage not run or failed); this "
                          f"section uses the indicator {fallback} instead.")
            self.notes.append(note)  # every stage that falls back says so
            return fallback
        raise _Skip("the index stage did not produce scores and no fallback variable is known")

    def var_label(self, col: str) -> str:
        if col == self.index_column:
            return self.t("综合指数", "composite index")
        return col


# ----------------------------------------------------------------- stages
def _indicator_spec(ctx: _Context) -> tuple[dict, pd.DataFrame | None, object]:
    """Directions {column: ±1}, a metadata frame (pillar, label) and the system object."""
    cfg = ctx.config.get("index")
    if cfg["system"] == "inline":
        dirs, meta = {}, []
        for ind in cfg["indicators"]:
            d = ind.get("direction", 1)
            d = -1 if d in (-1, "-", "negative") else 1
            dirs[ind["column"]] = d
            meta.append({"indicator": ind["column"], "direction": d, "pillar": ind.get("pillar", ""),
                         "label": ind.get("label", ind["column"])})
        return dirs, pd.DataFrame(meta).set_index("indicator"), None
    index = _module("index")
    system = None
    if hasattr(index, "demo_system"):
        system = index.demo_system()
        pillars = cfg.get("pillars") or None
        if pillars and hasattr(system, "select"):
            system = system.select(pillars=list(pillars))
    for fn in (() if system is not None else ("demo_indicator_system", "load_demo_system")):
        if hasattr(index, fn):
            system = getattr(index, fn)()
            break
    if system is None:
        for fn in ("load_system", "load_indicator_system", "indicator_system"):
            if hasattr(index, fn):
                try:
                    system = getattr(index, fn)("demo")
                    break
                except Exception:
                    continue
    if system is None:
        raise _Skip("spatialnqpf.index has no demo indicator system yet")
    dirs = None
    for attr in ("directions",):
        v = getattr(system, attr, None)
        if v is not None:
            dirs = dict(v() if callable(v) else v)
    meta = None
    for attr in ("to_frame", "table"):
        v = getattr(system, attr, None)
        if meta is not None:
            break
        if v is not None:
            try:
                meta = v() if callable(v) else v
                break
            except Exception:
                meta = None
    if dirs is None and isinstance(meta, pd.DataFrame) and "direction" in meta.columns:
        dirs = meta["direction"].astype(int).to_dict()
    if dirs is None:
        raise _Skip(f"cannot read directions from the demo indicator system ({type(system).__name__})")
    return {str(k): int(v) for k, v in dirs.items()}, meta, system


def _year_ranges(years) -> str:
    """Compact year list: [2012, 2013, 2014, 2017] -> "2012-2014, 2017"."""
    ys = sorted(int(y) for y in years)
    out, start = [], None
    for i, y in enumerate(ys):
        if start is None:
            start = y
        if i + 1 == len(ys) or ys[i + 1] != y + 1:
            out.append(str(start) if start == y else f"{start}-{y}")
            start = None
    return ", ".join(out)


def _stage_data(ctx: _Context) -> dict:
    cfg = ctx.config
    tables, figures, readings, numbers = [], [], [], {}
    try:
        dirs, meta, system = _indicator_spec(ctx)
        ctx.indicators, ctx.indicator_meta, ctx._system = dirs, meta, system
    except _Skip as s:
        ctx.indicators, ctx._system = {}, None
        ctx.notes.append(str(s))
    if cfg.get("index", "system") == "inline":
        ctx.fallback_variable = cfg.get("index", "indicators")[0]["column"]
    elif cfg.is_demo:
        ctx.fallback_variable = "rd_intensity"
    # indicator columns a declared system derives itself (e.g. patents per GDP) are not data columns
    used = list(ctx.indicators)
    if ctx.fallback_variable and ctx.fallback_variable not in used:
        used.append(ctx.fallback_variable)
    mcfg = cfg.get("models")
    used += [mcfg["y"]] if mcfg["y"] != "index" else []
    used += list(mcfg["x"])
    for role in ("autocorrelation", "inequality", "dynamics"):
        v = cfg.get(role, "variable")
        if v != "index":
            used.append(v)
    data = load_data(cfg, used_columns=[c for c in dict.fromkeys(used)])
    ctx.data = data
    ctx.frame = data.frame.copy()
    f = ctx.frame
    yrs = sorted(f["year"].unique())
    numbers.update({"source": data.source, "checksum_sha256": data.checksum,
                    "n_provinces": int(f["code"].nunique()), "n_years": len(yrs),
                    "first_year": int(yrs[0]), "last_year": int(yrs[-1]), "n_rows": int(len(f)),
                    "missing_policy": data.missing_policy, "changes": list(data.changes),
                    "unused_columns": list(data.unused_columns), "derived": data.derived})
    used = [c for c in dict.fromkeys(used) if c in f.columns]
    desc = pd.DataFrame({
        "N": f[used].notna().sum(), "mean": f[used].mean(), "sd": f[used].std(ddof=1),
        "min": f[used].min(), "max": f[used].max(),
        "missing": pd.Series(data.derived.get("missing_before", {})).reindex(used).fillna(0).astype(int)})
    desc.index.name = ctx.t("变量", "Variable")
    labels = {"N": "N", "mean": ctx.t("均值", "Mean"), "sd": ctx.t("标准差", "SD"),
              "min": ctx.t("最小值", "Min"), "max": ctx.t("最大值", "Max"),
              "missing": ctx.t("缺失(处理前)", "Missing (before handling)")}
    if used:
        tables.append(frame_table(desc, name="descriptive_statistics",
                                  title=ctx.t("描述性统计", "Descriptive statistics"), labels=labels,
                                  digits=3))
        numbers["descriptive"] = desc
    nmiss = int(sum(data.derived.get("missing_before", {}).values()))
    readings.append(ctx.t(
        f"面板覆盖 {numbers['n_provinces']} 个省份、{yrs[0]}–{yrs[-1]} 年，共 {len(f)} 个省份-年份观测。",
        f"The panel covers {numbers['n_provinces']} provinces over {yrs[0]}–{yrs[-1]} "
        f"({len(f)} province-years)."))
    try:
        from .. import regions
        absent = sorted(set(regions.provinces().index) - set(f["code"].unique()))
    except Exception:
        absent = []
    if absent:
        readings.append(ctx.t(
            f"数据不含以下大陆省份：{'、'.join(ctx.province_names(absent))}（{', '.join(map(str, absent))}）；"
            "空间权重矩阵按数据中的省份构建。",
            f"The data do not cover these mainland provinces: {', '.join(ctx.province_names(absent))} "
            f"({', '.join(map(str, absent))}); the weight matrices are built for the provinces in the data."))
    per_year = f.groupby("year")["code"].nunique()
    if per_year.nunique() > 1:
        readings.append(ctx.t(
            f"面板不平衡：各年份省份数为 {per_year.min()}–{per_year.max()}。",
            f"The panel is unbalanced: {per_year.min()}–{per_year.max()} provinces per year."))
    if nmiss:
        acts = pd.Series([c["action"] for c in data.changes]).value_counts().to_dict()
        readings.append(ctx.t(
            f"分析所用变量中有 {nmiss} 个缺失值，按配置（missing = {data.missing_policy}）处理："
            + "，".join(f"{k} {v} 项" for k, v in acts.items()) + "。",
            f"The variables used have {nmiss} missing value(s), handled as configured "
            f"(missing = {data.missing_policy}): "
            + ", ".join(f"{v} {k}" for k, v in acts.items()) + "."))
        ch = pd.DataFrame(list(data.changes))
        if not ch.empty:
            ch = ch.drop(columns=[c for c in ("old",) if c in ch.columns])
            if ch["new"].isna().all():
                ch = ch.drop(columns=["new"])
            ch = ch.astype(object).where(ch.notna(), "")
            ch.index = range(1, len(ch) + 1)
            lab = {"action": ctx.t("处理", "Action"), "code": ctx.t("代码", "Code"), "year": ctx.t("年份", "Year"),
                   "column": ctx.t("变量", "Column"), "new": ctx.t("填补值", "Value filled in")}
            tables.append(frame_table(ch, name="missing_values_handled", labels=lab, digits=4,
                                      title=ctx.t(f"缺失值处理明细（missing = {data.missing_policy}）",
                                                  f"Missing values handled (missing = {data.missing_policy})")))
    else:
        readings.append(ctx.t("分析所用变量没有缺失值。", "The variables used have no missing values."))
    if data.unused_columns:
        readings.append(ctx.t(f"数据中未使用的列：{', '.join(map(str, data.unused_columns))}。",
                              f"Columns in the data not used by the analysis: "
                              f"{', '.join(map(str, data.unused_columns))}."))
    # missingness of the whole file by column (overview)
    before = data.derived.get("missing_before", {})
    counts = f.drop(columns=["code", "year"]).isna().sum()
    for c, k in before.items():  # used columns: the gaps before they were handled
        counts[c] = k
    n_rows = len(f) + sum(1 for ch in data.changes if ch["action"] == "dropped row")
    allmiss = (counts[counts > 0] / n_rows).sort_values(ascending=False)
    numbers["missing_share_all_columns"] = allmiss
    if len(allmiss):
        years_of = {ch["column"]: set() for ch in data.changes}
        for ch in data.changes:
            if ch.get("year") is not None:
                years_of[ch["column"]].add(ch["year"])
        miss = pd.DataFrame({
            ctx.t("缺失单元", "Missing cells"): counts[allmiss.index].astype(int),
            ctx.t("缺失比例", "Share missing"): allmiss,
            ctx.t("缺失年份", "Years with gaps"): [
                _year_ranges(years_of[c] if c in before and c in years_of else
                             f.loc[f[c].isna(), "year"].unique()) for c in allmiss.index],
            ctx.t("分析使用", "Used"): [ctx.t("是（已处理）", "yes (handled)") if c in used else ""
                                        for c in allmiss.index]})
        miss.index.name = ctx.t("变量", "Variable")
        tables.append(frame_table(miss, name="missingness", percent=[ctx.t("缺失比例", "Share missing")],
                                  title=ctx.t("数据缺失情况（按列；分析所用列为处理前）",
                                              "Missing values by column (used columns: before handling)")))
    if len(allmiss):
        readings.append(ctx.t(
            f"整个数据文件中有 {len(allmiss)} 列存在缺失（未用于分析的列不作处理），缺失最多的是 "
            f"{allmiss.index[0]}（{_pct(allmiss.iloc[0])}）。",
            f"{len(allmiss)} column(s) of the whole file have gaps (columns not used are left as "
            f"they are); the most incomplete is {allmiss.index[0]} ({_pct(allmiss.iloc[0])} missing)."))
    return {"tables": tables, "figures": figures, "readings": readings, "numbers": numbers}


def _index_call(ctx: _Context, index, directions: dict):
    cfg = ctx.config.get("index")
    f = ctx.frame
    method = cfg["method"]
    system = getattr(ctx, "_system", None)
    kwargs = dict(id="code", time="year", shift=cfg["shift"])
    fn = index.entropy_topsis
    weighting = {"entropy_topsis": "entropy", "entropy": "entropy", "critic": "critic",
                 "combined": "combined", "equal": "equal"}.get(method)
    if weighting is None:
        raise ValueError(f"[index] method {method!r} is not one of entropy_topsis, entropy, critic, "
                         "combined, equal")
    kwargs["scheme"] = weighting
    import inspect
    params = inspect.signature(fn).parameters
    if system is not None and "system" in params:
        kwargs["system"] = system
    else:
        kwargs["directions"] = directions
        meta = ctx.indicator_meta
        if "pillars" in params and meta is not None and "pillar" in meta.columns and meta["pillar"].astype(bool).all():
            kwargs["pillars"] = {p: list(g.index) for p, g in meta.groupby("pillar", sort=False)}
    if "missing" in params:
        kwargs["missing"] = "raise"  # gaps were handled (and logged) by the data stage
    kwargs = {k: v for k, v in kwargs.items() if k in params or any(
        p.kind == p.VAR_KEYWORD for p in params.values())}
    return fn(f, **kwargs)


def _stage_index(ctx: _Context) -> dict:
    index = _module("index", "entropy_topsis")
    if not ctx.indicators:
        raise _Skip("no indicator system (configure [index] or install the demo system)")
    res = _index_call(ctx, index, ctx.indicators)
    ctx.index_result = res
    tables, figures, readings, numbers = [], [], [], {}
    scores = res.scores
    if isinstance(scores, pd.DataFrame):
        scores = scores.iloc[:, 0] if scores.shape[1] == 1 else scores[[c for c in scores.columns
                                                                          if "total" in str(c) or "score" in str(c)][0]]
    scores = pd.Series(scores)
    if isinstance(scores.index, pd.MultiIndex):
        names = list(scores.index.names)
        s = scores.rename("index_score").reset_index()
        s = s.rename(columns={names[0]: "code", names[1]: "year"})
    else:
        raise TypeError("index scores must be indexed by (id, time)")
    ctx.frame = ctx.frame.drop(columns=["index_score"], errors="ignore").merge(
        s[["code", "year", "index_score"]], on=["code", "year"], how="left")
    if ctx.frame["index_score"].isna().any():
        bad = ctx.frame.loc[ctx.frame["index_score"].isna(), ["code", "year"]].values.tolist()
        raise ValueError(f"index scores missing for (code, year) {bad[:10]}")
    ctx.index_column = "index_score"
    w = pd.Series(res.weights).sort_values(ascending=False)
    wt = w.to_frame(ctx.t("权重", "Weight"))
    if ctx.indicator_meta is not None:
        meta = ctx.indicator_meta
        if "column" in meta.columns:
            meta = meta.set_index("column")
        names = {"pillar": ctx.t("维度", "Pillar"), "direction": ctx.t("方向", "Direction"),
                 "label_zh": ctx.t("指标名称", "Label"), "label_en": ctx.t("指标名称", "Label"),
                 "label": ctx.t("指标名称", "Label")}
        for c in ("label_zh" if ctx.lang == "zh" else "label_en", "label", "pillar", "direction"):
            if c in meta.columns and names[c] not in wt.columns:
                wt[names[c]] = meta[c].reindex(wt.index).astype(str)
    wt.index.name = ctx.t("指标", "Indicator")
    meth = ctx.config.get("index", "method")
    meth_zh = {"critic": "CRITIC 法", "combined": "熵权-CRITIC 组合", "equal": "等权"}.get(meth, "熵权法")
    meth_en = {"critic": "CRITIC", "combined": "entropy-CRITIC combined", "equal": "equal"}.get(meth, "entropy")
    tables.append(frame_table(wt, name="index_weights", title=ctx.t(f"指标权重（{meth_zh}）",
                                                                    f"Indicator weights ({meth_en})"),
                              digits=4, notes=(ctx.t("综合指数为 TOPSIS 贴近度（面板全局理想解）。",
                                                     "The index is the TOPSIS closeness (panel-wide ideals)."),)))
    numbers["weights"] = w
    f = ctx.frame
    yrs = sorted(f["year"].unique())
    first, last = yrs[0], yrs[-1]
    piv = f.pivot(index="code", columns="year", values="index_score")
    rank_last = piv[last].rank(ascending=False, method="min").astype(int)
    rank_first = piv[first].rank(ascending=False, method="min").astype(int)
    rk = pd.DataFrame({ctx.t("省份", "Province"): ctx.province_names(piv.index),
                       f"{first}": piv[first], f"{ctx.t('排名', 'Rank')} {first}": rank_first,
                       f"{last}": piv[last], f"{ctx.t('排名', 'Rank')} {last}": rank_last,
                       ctx.t("均值", "Mean"): piv.mean(axis=1)}, index=piv.index)
    rk = rk.sort_values(f"{ctx.t('排名', 'Rank')} {last}")
    rk.index.name = ctx.t("代码", "Code")
    tables.append(frame_table(rk, name="index_ranking",
                              title=ctx.t(f"综合指数得分与排名（{first} 年与 {last} 年）",
                                          f"Index scores and ranks ({first} and {last})"), digits=4))
    numbers["scores"] = piv
    from .. import regions
    grp = regions.groups(list(piv.index), scheme="region4")
    by_region = f.assign(_g=f["code"].map(grp)).groupby(["year", "_g"])["index_score"].mean().unstack()
    by_region["nation"] = f.groupby("year")["index_score"].mean()
    numbers["mean_by_region"] = by_region
    reg_order = [g for g in ("East", "Central", "West", "Northeast") if g in by_region.columns]
    brt = by_region[reg_order + ["nation"]].copy()
    brt.columns = [ctx.region_label(c) if c != "nation" else ctx.t("全国", "Nation") for c in brt.columns]
    brt.index.name = ctx.t("年份", "Year")
    tables.append(frame_table(brt, name="index_by_region",
                              title=ctx.t("分区域综合指数均值", "Mean index by region"), digits=4))
    # readings
    top = rk.head(3)
    names = top[ctx.t("省份", "Province")].tolist()
    vals = top[f"{last}"].tolist()
    nat0, nat1 = by_region["nation"].iloc[0], by_region["nation"].iloc[-1]
    topw = w.index[0]
    readings.append(ctx.t(
        f"{last} 年综合指数排名前三的是{names[0]}（{vals[0]:.3f}）、{names[1]}（{vals[1]:.3f}）和"
        f"{names[2]}（{vals[2]:.3f}）；排名最后的是{rk[ctx.t('省份', 'Province')].iloc[-1]}"
        f"（{rk[f'{last}'].iloc[-1]:.3f}）。",
        f"In {last} the top three provinces are {names[0]} ({vals[0]:.3f}), {names[1]} "
        f"({vals[1]:.3f}) and {names[2]} ({vals[2]:.3f}); the last is "
        f"{rk[ctx.t('省份', 'Province')].iloc[-1]} ({rk[f'{last}'].iloc[-1]:.3f})."))
    chg = (nat1 - nat0) / nat0 if nat0 else float("nan")
    readings.append(ctx.t(
        f"全国均值从 {first} 年的 {nat0:.3f} {'上升' if nat1 >= nat0 else '下降'}到 {last} 年的 {nat1:.3f}"
        f"（{chg:+.1%}）。",
        f"The national mean {'rose' if nat1 >= nat0 else 'fell'} from {nat0:.3f} in {first} to "
        f"{nat1:.3f} in {last} ({chg:+.1%})."))
    if "East" in by_region and "West" in by_region:
        e, wv = by_region.loc[last, "East"], by_region.loc[last, "West"]
        readings.append(ctx.t(f"{last} 年东部均值是西部的 {e / wv:.2f} 倍。",
                              f"In {last} the East's mean is {e / wv:.2f} times the West's."))
    readings.append(ctx.t(f"权重最大的指标是 {topw}（{w.iloc[0]:.1%}）。",
                          f"The largest weight goes to {topw} ({w.iloc[0]:.1%})."))
    _index_extras(ctx, res, last, tables, readings, numbers)
    # figures: trend by region (ours), maps (maps.py when available)
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for g in reg_order:
        ax.plot(by_region.index, by_region[g], marker="o", ms=3, label=ctx.region_label(g, fig=True))
    ax.plot(by_region.index, by_region["nation"], color="k", lw=2, label=ctx.ft("全国", "Nation"))
    ax.set_xlabel(ctx.ft("年份", "Year"))
    ax.set_ylabel(ctx.ft("综合指数", "Index"))
    ax.legend(frameon=False, ncol=3, fontsize=8)
    ax.grid(alpha=0.3)
    figures.append(ctx.save_figure(fig, "index_trend_by_region",
                                   ctx.t("分区域综合指数均值的变化", "Mean index by region over time")))
    figures += _maps(ctx, piv, [first, last], "index_map", ctx.t("综合指数", "Index"))
    figures += _map_grid(ctx, piv, "index_maps_by_year", ctx.t("综合指数", "Index"))
    return {"tables": tables, "figures": figures, "readings": readings, "numbers": numbers}


def _index_extras(ctx: _Context, res, last, tables, readings, numbers) -> None:
    """Pillar weights, coupling coordination (two or more pillars) and obstacle degrees."""
    pw = getattr(res, "pillar_weights", None)
    if pw is not None and len(pw) > 1:
        ps = res.pillar_scores.groupby(level=-1).mean()
        ps.columns = [f"{ctx.t('得分', 'score')}: {c}" for c in ps.columns]
        numbers["pillar_weights"] = pw
        numbers["pillar_scores_mean"] = ps
        pt = pd.DataFrame({ctx.t("权重", "Weight"): pw})
        pt.index.name = ctx.t("维度", "Pillar")
        tables.append(frame_table(pt, name="index_pillar_weights", digits=4,
                                  title=ctx.t("维度权重（指标权重之和）", "Pillar weights (sums of indicator weights)")))
        ps.index.name = ctx.t("年份", "Year")
        tables.append(frame_table(ps, name="index_pillar_scores", digits=4,
                                  title=ctx.t("各维度得分的全国均值", "National mean of the pillar scores")))
        try:
            cc = res.coupling()
            d = cc.coordination.groupby(level=-1).mean()
            ct = pd.DataFrame({"C": cc.coupling.groupby(level=-1).mean(),
                               "T": cc.development.groupby(level=-1).mean(), "D": d})
            ct.index.name = ctx.t("年份", "Year")
            tables.append(frame_table(ct, name="coupling_coordination", digits=4,
                                      title=ctx.t("维度间耦合协调度（全国均值）",
                                                  "Coupling coordination between pillars (national mean)")))
            numbers["coupling_coordination_mean"] = ct
            readings.append(ctx.t(f"维度间耦合协调度 D 的全国均值从 {d.iloc[0]:.3f} 变为 {d.iloc[-1]:.3f}。",
                                  f"The national mean coupling coordination degree D moved from "
                                  f"{d.iloc[0]:.3f} to {d.iloc[-1]:.3f}."))
        except Exception as exc:
            ctx.notes.append(f"coupling coordination not computed: {type(exc).__name__}: {exc}")
    if hasattr(res, "obstacles"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # undefined cases are listed by the index module
                ob = res.obstacles(top_k=3).to_frame()
            ind = [c for c in ob.columns if not str(c).startswith("pillar:")]
            sub = ob.xs(last, level=-1)[ind]
            mean = sub.mean().sort_values(ascending=False)
            top1 = sub.idxmax(axis=1).value_counts()
            ot = pd.DataFrame({ctx.t("平均障碍度", "Mean obstacle degree"): mean,
                               ctx.t("为首要障碍的省份数", "Provinces where it is the main obstacle"):
                                   top1.reindex(mean.index).fillna(0).astype(int)})
            ot.index.name = ctx.t("指标", "Indicator")
            tables.append(frame_table(ot, name="obstacle_degree", digits=4,
                                      percent=[ctx.t("平均障碍度", "Mean obstacle degree")],
                                      title=ctx.t(f"{last} 年指标障碍度", f"Obstacle degrees of the indicators, {last}")))
            numbers["obstacle_degree_last_year"] = sub
            readings.append(ctx.t(
                f"{last} 年平均障碍度最大的指标是 {mean.index[0]}（{_pct(mean.iloc[0])}），"
                f"它是 {int(top1.get(mean.index[0], 0))} 个省份的首要障碍因子。",
                f"In {last} the indicator with the largest mean obstacle degree is {mean.index[0]} "
                f"({_pct(mean.iloc[0])}); it is the main obstacle in {int(top1.get(mean.index[0], 0))} provinces."))
        except Exception as exc:
            ctx.notes.append(f"obstacle degree not computed: {type(exc).__name__}: {exc}")


def _maps(ctx: _Context, piv: pd.DataFrame, years, stem: str, what: str) -> list:
    """Province maps of ``piv[year]`` on one colour scale (spatialnqpf.report.maps)."""
    try:
        maps = _module("report.maps", "plot_provinces")
    except _Skip as s:
        ctx.notes.append(str(s))
        return []
    out = []
    vmin, vmax = float(np.nanmin(piv[years].to_numpy())), float(np.nanmax(piv[years].to_numpy()))
    for y in years:
        try:
            ax = maps.plot_provinces(piv[y].rename(what), lang=ctx.fig_lang, title=f"{what} {y}",
                                     vmin=vmin, vmax=vmax)
            out.append(ctx.save_figure(ax.figure, f"{stem}_{y}", f"{what} {y}"))
        except Exception as exc:
            ctx.notes.append(f"map {stem} {y} failed: {type(exc).__name__}: {exc}")
    return out


def _map_grid(ctx: _Context, piv: pd.DataFrame, stem: str, what: str, n: int = 4) -> list:
    """Small multiples: ``n`` evenly spaced years on one colour scale (report.maps.plot_provinces)."""
    try:
        maps = _module("report.maps", "plot_provinces")
    except _Skip:
        return []
    import matplotlib.pyplot as plt
    years = list(piv.columns)
    pick = sorted({years[round(i * (len(years) - 1) / (n - 1))] for i in range(n)}) if len(years) > 1 else years
    vmin, vmax = float(np.nanmin(piv.to_numpy())), float(np.nanmax(piv.to_numpy()))
    fig, axes = plt.subplots(1, len(pick), figsize=(4.2 * len(pick), 3.8))
    axes = np.atleast_1d(axes)
    try:
        for ax, y in zip(axes, pick):
            maps.plot_provinces(piv[y], ax=ax, lang=ctx.fig_lang, title=str(y), vmin=vmin, vmax=vmax,
                                inset=False, legend=False, cmap="YlOrRd")
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize
        fig.colorbar(ScalarMappable(norm=Normalize(vmin, vmax), cmap="YlOrRd"), ax=list(axes),
                     shrink=0.7, pad=0.01, label=what)
    except Exception as exc:
        plt.close(fig)
        ctx.notes.append(f"map grid {stem} failed: {type(exc).__name__}: {exc}")
        return []
    return [ctx.save_figure(fig, stem, ctx.t(f"{what}：{'、'.join(map(str, pick))} 年（同一色阶）",
                                             f"{what}: {', '.join(map(str, pick))} (one colour scale)"))]


def _weights_for(ctx: _Context, ids) -> dict:
    wmod = _module("weights")
    cfg = ctx.config.get("weights")
    out = {}
    for name in cfg["matrices"]:
        if name == "contiguity":
            out[name] = wmod.contiguity(ids=ids, islands=cfg["islands"])
        elif name == "distance":
            out[name] = wmod.distance(ids=ids)
        elif name == "knn":
            out[name] = wmod.knn(ids=ids, k=cfg["k"])
        elif name in ("economic", "nested"):
            var = cfg["economic_variable"]
            if var not in ctx.frame.columns:
                raise ValueError(f"[weights] economic_variable {var!r} is not a column of the data")
            w_e = wmod.economic(ctx.frame, var, id="code", time="year", ids=ids)
            if name == "economic":
                out[name] = w_e
            else:
                out[name] = wmod.nested(wmod.distance(ids=ids), w_e, phi=cfg["phi"])
        else:
            raise ValueError(f"unknown weight matrix {name!r} in [weights] matrices; "
                             "use contiguity, distance, knn, economic or nested")
    return out


def _stage_weights(ctx: _Context) -> dict:
    _module("weights", "contiguity", "distance")
    ids = sorted(ctx.frame["code"].unique())
    ctx.weights = _weights_for(ctx, ids)
    labels = {"contiguity": ctx.t("邻接矩阵", "Contiguity"), "distance": ctx.t("地理距离矩阵", "Inverse distance"),
              "knn": ctx.t("k 近邻矩阵", "k nearest neighbours"), "economic": ctx.t("经济距离矩阵", "Economic distance"),
              "nested": ctx.t("经济地理嵌套矩阵", "Nested economic-geographic")}
    ctx.weight_labels = {k: labels.get(k, k) for k in ctx.weights}
    from .._validation import graph_to_sparse
    rows, recipes, readings = {}, {}, []
    for name, w in ctx.weights.items():
        m = graph_to_sparse(w, ids)
        nnz = np.diff(m.indptr)
        binary = (m > 0).astype(float)
        asym = abs(binary - binary.T).sum() / 2
        rows[ctx.weight_labels[name]] = {
            "n": len(ids), ctx.t("非零权重数", "Non-zero links"): int(m.nnz),
            ctx.t("平均邻居数", "Mean neighbours"): float(nnz.mean()),
            ctx.t("最少邻居", "Min neighbours"): int(nnz.min()),
            ctx.t("最多邻居", "Max neighbours"): int(nnz.max()),
            ctx.t("孤岛", "Islands"): int((nnz == 0).sum()),
            ctx.t("行和", "Row sums"): f"{m.sum(axis=1).min():.3f}–{m.sum(axis=1).max():.3f}",
            ctx.t("非对称连接", "Asymmetric links"): int(asym)}
        rec = getattr(w, "recipe", None)
        text = ""
        if rec is not None:
            text = rec.describe() if hasattr(rec, "describe") else str(rec)
        recipes[name] = " ".join(line.strip() for line in str(text).splitlines() if line.strip())
        if name == "contiguity" and 46 in ids:
            hn = [int(ids[j]) for j in m[ids.index(46)].indices]
            readings.append(ctx.t(
                f"邻接矩阵中海南（46）按规则 islands = {ctx.config.get('weights', 'islands')} 连接到 "
                f"{', '.join(ctx.province_names(hn)) or '（无）'}。",
                f"In the contiguity matrix Hainan (46) is linked by the rule islands = "
                f"{ctx.config.get('weights', 'islands')} to {', '.join(ctx.province_names(hn)) or '(none)'}."))
        readings.append(ctx.t(f"{ctx.weight_labels[name]}：平均每个省份 {nnz.mean():.2f} 个邻居（{nnz.min()}–{nnz.max()}）。",
                              f"{ctx.weight_labels[name]}: {nnz.mean():.2f} neighbours per province on "
                              f"average ({nnz.min()}–{nnz.max()})."))
    df = pd.DataFrame(rows).T
    df.index.name = ctx.t("矩阵", "Matrix")
    t = frame_table(df, name="weights_summary", title=ctx.t("空间权重矩阵概况", "Spatial weight matrices"),
                    digits=2, notes=tuple(f"{ctx.weight_labels.get(k, k)}: {v}" for k, v in recipes.items() if v))
    mats = {}
    if len(ids) <= 400:  # the matrices themselves, for reproduction (dense only for small n)
        for name, w in ctx.weights.items():
            mats[name] = pd.DataFrame(graph_to_sparse(w, ids).toarray(), index=ids, columns=ids)
    return {"tables": [t], "figures": [], "readings": readings,
            "numbers": {"summary": df, "recipes": recipes, "matrices": mats}}


def _need_weights(ctx):
    if not ctx.weights:
        raise _Skip("no spatial weights (the weights stage did not succeed)")


def _stage_autocorrelation(ctx: _Context) -> dict:
    ac = _module("autocorrelation", "moran_by_year")
    _need_weights(ctx)
    col = ctx.variable("autocorrelation")
    perms = int(ctx.config.get("autocorrelation", "permutations"))
    tables, figures, readings, numbers = [], [], [], {}
    ws = {ctx.weight_labels.get(k, k): w for k, w in ctx.weights.items()}
    res = ac.moran_by_year(ctx.frame, col, ws, id="code", time="year", permutations=perms,
                           seed=ctx.seed)
    long = res.to_frame()
    numbers["moran_by_year"] = long
    stats = ["I", "z_rand", "p_rand"] + (["p_perm"] if perms else [])
    sbs = res.side_by_side(stats)
    sbs.index.name = ctx.t("年份", "Year")
    tables.append(frame_table(
        sbs, name="moran_by_year", digits=3,
        labels={"z_rand": "z", "p_rand": ctx.t("p（随机化）", "p (rand.)"),
                "p_perm": ctx.t("p（置换）", "p (perm.)")},
        title=ctx.t(f"全局 Moran's I（{ctx.var_label(col)}）", f"Global Moran's I of the {ctx.var_label(col)}"),
        notes=(ctx.t(f"z 与 p（随机化）为随机化假设下的检验；置换检验 {perms} 次，种子 {ctx.seed}；双侧检验。",
                     f"z and p (rand.) under randomisation; {perms} permutations, seed {ctx.seed}; "
                     f"two-sided."),)))
    for lab in ws:
        df = long.xs(lab, level=0)
        nsig = int((df["p_rand"] < 0.05).sum())
        lastyr = df.index[-1]
        readings.append(ctx.t(
            f"{lab}下，{ctx.var_label(col)}的全局 Moran's I 在 {df['I'].min():.3f} 至 {df['I'].max():.3f} 之间，"
            f"{len(df)} 年中有 {nsig} 年在 5% 水平显著；{lastyr} 年 I = {df['I'].iloc[-1]:.3f}"
            f"（p = {df['p_rand'].iloc[-1]:.3f}）。",
            f"Under {lab} weights, global Moran's I of the {ctx.var_label(col)} ranges from "
            f"{df['I'].min():.3f} to {df['I'].max():.3f} and is significant at 5% in {nsig} of {len(df)} "
            f"years; in {lastyr}, I = {df['I'].iloc[-1]:.3f} (p = {df['p_rand'].iloc[-1]:.3f})."))
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for name in ctx.weights:
        lab = ctx.weight_labels.get(name, name)
        df = long.xs(lab, level=0)
        ax.plot(df.index, df["I"], marker="o", ms=3,
                label={"contiguity": ctx.ft("邻接矩阵", "Contiguity"),
                       "distance": ctx.ft("距离矩阵", "Distance"), "knn": "kNN"}.get(name, name))
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel(ctx.ft("年份", "Year"))
    ax.set_ylabel("Moran's I")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    figures.append(ctx.save_figure(fig, "moran_by_year", ctx.t("全局 Moran's I 的变化", "Global Moran's I by year")))
    if not hasattr(ac, "lisa"):
        ctx.notes.append("spatialnqpf.autocorrelation has no lisa() yet")
        return {"tables": tables, "figures": figures, "readings": readings, "numbers": numbers}
    wname = next(iter(ctx.weights))
    wlab = ctx.weight_labels.get(wname, wname)
    lres = ac.lisa(ctx.frame, col, ctx.weights[wname], id="code", time="year", permutations=perms,
                   seed=ctx.seed)
    lf = lres.to_frame()
    numbers["lisa"] = lf
    counts = lres.counts()
    counts.index.name = ctx.t("年份", "Year")
    tables.append(frame_table(counts, name="lisa_counts",
                              title=ctx.t(f"LISA 聚类个数（{wlab}，双侧 5% 水平）",
                                          f"LISA clusters ({wlab}, two-sided 5% level)"),
                              notes=(ctx.t("ns：不显著。", "ns: not significant."),)))
    try:
        tr = lres.transitions(between="first-last")
        tables.append(frame_table(tr, name="lisa_transitions",
                                  title=ctx.t("LISA 聚类类型的转移（首年→末年）",
                                              "LISA cluster transitions (first → last year)")))
        numbers["lisa_transitions"] = tr
        stay = sum(int(tr.loc[q, q]) for q in tr.index if q in tr.columns and q not in ("ns",))
        moved = int(tr.to_numpy().sum() - np.trace(tr.reindex(columns=tr.index).fillna(0).to_numpy()))
        readings.append(ctx.t(
            f"首年到末年，{stay} 个省份保持原显著聚类类型，{moved} 个省份改变了类型（含显著与不显著之间的变化）。",
            f"From the first to the last year {stay} provinces kept their significant cluster type and "
            f"{moved} changed type (including moves between significant and not significant)."))
    except Exception as exc:
        ctx.notes.append(f"LISA transitions not computed: {exc}")
    last = counts.index[-1]
    c = counts.loc[last]
    readings.append(ctx.t(
        f"{last} 年（{wlab}）显著的高-高聚类有 {int(c.get('HH', 0))} 个省份，低-低聚类 {int(c.get('LL', 0))} 个，"
        f"不显著 {int(c.get('ns', 0))} 个。",
        f"In {last} ({wlab} weights), {int(c.get('HH', 0))} provinces form significant high-high clusters, "
        f"{int(c.get('LL', 0))} low-low clusters, and {int(c.get('ns', 0))} are not significant."))
    hh = lf[(lf["year"] == last) & (lf["cluster"] == "HH")]["code" if "code" in lf.columns else "id"].tolist()
    if hh:
        readings.append(ctx.t(f"{last} 年高-高聚类省份：{'、'.join(ctx.province_names(hh))}。",
                              f"High-high provinces in {last}: {', '.join(ctx.province_names(hh))}."))
    yrs = ctx.config.get("autocorrelation", "lisa_years") or [int(counts.index[0]), int(last)]
    figures += _lisa_figures(ctx, lres, col, wname, yrs)
    return {"tables": tables, "figures": figures, "readings": readings, "numbers": numbers}


def _lisa_figures(ctx, lres, col, wname, years) -> list:
    """Moran scatter and LISA maps via spatialnqpf.report.plot_autocorrelation (when present)."""
    out = []
    try:
        pa = _module("report.plot_autocorrelation")
    except _Skip as s:
        ctx.notes.append(str(s) + "; LISA maps drawn with report.maps.plot_provinces")
        try:
            maps = _module("report.maps", "plot_provinces")
        except _Skip:
            return out
        lf = lres.to_frame()
        idc = "code" if "code" in lf.columns else lres.id
        colors = {"HH": "#d7191c", "LL": "#2c7bb6", "HL": "#fdae61", "LH": "#abd9e9", "ns": "#eeeeee",
                  "isolate": "#999999"}
        for y in years:
            sub = lf[lf["year"] == y]
            vals = pd.Series(sub["cluster"].astype(str).to_numpy(), index=sub[idc].to_numpy())
            try:
                ax = maps.plot_provinces(vals, lang=ctx.fig_lang, categorical=True, colors=colors,
                                         title=f"LISA {y}")
                out.append(ctx.save_figure(ax.figure, f"lisa_map_{y}",
                                           ctx.t(f"LISA 聚类图 {y}", f"LISA cluster map {y}")))
            except Exception as exc:
                ctx.notes.append(f"LISA map {y} failed: {type(exc).__name__}: {exc}")
        return out
    for fname, stem, title in (("plot_moran_scatter", "moran_scatter", ctx.t("Moran 散点图", "Moran scatter")),
                               ("plot_lisa_map", "lisa_map", ctx.t("LISA 聚类图", "LISA cluster map"))):
        fn = getattr(pa, fname, None) or getattr(pa, fname.replace("plot_", ""), None)
        if fn is None:
            ctx.notes.append(f"spatialnqpf.report.plot_autocorrelation has no {fname}() yet")
            continue
        for y in years:
            try:
                res = _call_plot(fn, lres, year=y, lang=ctx.fig_lang)
                out.append(ctx.save_figure(_as_figure(res), f"{stem}_{y}", f"{title} {y}"))
            except Exception as exc:  # a plotting failure must not lose the tables
                ctx.notes.append(f"{fname}({y}) failed: {type(exc).__name__}: {exc}")
    return out


def _plots(ctx: _Context, module: str, specs) -> list:
    """Draw figures with another module's plotting functions; failures become notes.

    ``specs``: (function name, args, kwargs, file stem, caption).  ``lang`` is
    passed when the function accepts it.
    """
    try:
        mod = _module(module)
    except _Skip as s:
        ctx.notes.append(str(s))
        return []
    out = []
    for fname, args, kwargs, stem, title in specs:
        fn = getattr(mod, fname, None)
        if fn is None:
            ctx.notes.append(f"spatialnqpf.{module} has no {fname}()")
            continue
        try:
            fig = _as_figure(_call_plot(fn, *args, lang=ctx.fig_lang, **kwargs))
            out.append(ctx.save_figure(fig, stem, title))
        except Exception as exc:
            ctx.notes.append(f"{module}.{fname} failed: {type(exc).__name__}: {exc}")
    return out


def _call_plot(fn, *args, **kwargs):
    """Call a plotting function with the keyword arguments it accepts."""
    import inspect
    params = inspect.signature(fn).parameters
    if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    return fn(*args, **kwargs)


def _as_figure(obj):
    if hasattr(obj, "savefig"):
        return obj
    fig = getattr(obj, "figure", None)
    if fig is not None:
        return fig
    if isinstance(obj, tuple) and obj and hasattr(obj[0], "savefig"):
        return obj[0]
    return obj.get_figure()


def _stage_inequality(ctx: _Context) -> dict:
    ineq = _module("inequality", "dagum_gini_by_year")
    col = ctx.variable("inequality")
    grp = ctx.config.get("inequality", "groups")
    nboot = int(ctx.config.get("inequality", "bootstrap"))
    res = ineq.dagum_gini_by_year(ctx.frame, col, grp, id="code", time="year", n_boot=nboot,
                                  seed=ctx.seed, progress=bool(ctx.progress and nboot))
    df = res.to_frame()
    tables, figures, readings, numbers = [], [], [], {"dagum": df}
    main = df[["G", "G_w", "G_nb", "G_t", "share_w", "share_nb", "share_t"]].copy()
    lab = {"G": ctx.t("总体基尼系数 G", "Overall Gini G"), "G_w": ctx.t("区域内 G_w", "Within G_w"),
           "G_nb": ctx.t("区域间 G_nb", "Net between G_nb"), "G_t": ctx.t("超变密度 G_t", "Transvariation G_t"),
           "share_w": ctx.t("区域内贡献率", "Within share"), "share_nb": ctx.t("区域间贡献率", "Between share"),
           "share_t": ctx.t("超变密度贡献率", "Transvariation share")}
    main.index.name = ctx.t("年份", "Year")
    tables.append(frame_table(main, name="dagum_decomposition", labels=lab, digits=4,
                              percent=["share_w", "share_nb", "share_t"],
                              title=ctx.t(f"Dagum 基尼系数及其分解（{ctx.var_label(col)}，按{grp}分组）",
                                          f"Dagum Gini decomposition of the {ctx.var_label(col)} ({grp} groups)")))
    if nboot:
        rows = {}
        for yr in res.years:
            ci = res[yr].ci
            if ci is None:
                continue
            for stat in ("G", "share_nb"):
                if stat in ci.index:
                    rows.setdefault(yr, {})[stat] = df.loc[yr, stat]
                    for k in ("se", "low", "high"):
                        if k in ci.columns:
                            rows[yr][f"{stat} {k}"] = ci.loc[stat, k]
        if rows:
            cit = pd.DataFrame(rows).T
            cit.index.name = ctx.t("年份", "Year")
            numbers["dagum_bootstrap"] = cit
            tables.append(frame_table(cit, name="dagum_bootstrap", digits=4,
                                      title=ctx.t(f"Dagum 基尼系数的自助法置信区间（{nboot} 次，组内重抽样，种子 {ctx.seed}）",
                                                  f"Bootstrap intervals of the Dagum Gini ({nboot} replications "
                                                  f"within groups, seed {ctx.seed})")))
    within = df[[c for c in df.columns if c.startswith("G_jj[")]].copy()
    within.columns = [ctx.region_label(c[5:-1]) for c in within.columns]
    between = df[[c for c in df.columns if c.startswith("G_jh[")]].copy()

    def pair(c):
        a = c[5:-1]
        for sep in ("-", "–", " vs ", "/", "|", ","):
            if sep in a:
                return "–".join(ctx.region_label(x.strip()) for x in a.split(sep))
        return a
    between.columns = [pair(c) for c in between.columns]
    wb = pd.concat([within, between], axis=1)
    wb.index.name = ctx.t("年份", "Year")
    tables.append(frame_table(wb, name="dagum_within_between", digits=4,
                              title=ctx.t("区域内与区域间基尼系数", "Within- and between-region Gini")))
    last, first = df.index[-1], df.index[0]
    shares = {"share_w": ctx.t("区域内差异", "within-region component"),
              "share_nb": ctx.t("区域间差异", "between-region component"),
              "share_t": ctx.t("超变密度", "transvariation")}
    top = max(shares, key=lambda k: df.loc[last, k])
    readings.append(ctx.t(
        f"{last} 年总体基尼系数为 {df.loc[last, 'G']:.3f}（{first} 年为 {df.loc[first, 'G']:.3f}）；"
        f"{shares[top]}贡献最大，解释了 {_pct(df.loc[last, top])} 的基尼系数。",
        f"The overall Gini is {df.loc[last, 'G']:.3f} in {last} ({df.loc[first, 'G']:.3f} in {first}); "
        f"the {shares[top]} explains {_pct(df.loc[last, top])} of the Gini in {last}."))
    readings.append(ctx.t(
        f"区域间差异贡献率从 {first} 年的 {_pct(df.loc[first, 'share_nb'])} 变为 {last} 年的 "
        f"{_pct(df.loc[last, 'share_nb'])}。",
        f"The between-region share moved from {_pct(df.loc[first, 'share_nb'])} in {first} to "
        f"{_pct(df.loc[last, 'share_nb'])} in {last}."))
    if len(within.columns):
        hi = within.loc[last].idxmax()
        readings.append(ctx.t(f"{last} 年区域内差异最大的是{hi}（G_jj = {within.loc[last, hi]:.3f}）。",
                              f"In {last} the largest within-region Gini is in the {hi} "
                              f"(G_jj = {within.loc[last, hi]:.3f})."))
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    bottom = np.zeros(len(df))
    for k, c in (("share_w", "#4C72B0"), ("share_nb", "#DD8452"), ("share_t", "#55A868")):
        ax.bar(df.index, df[k] * 100, bottom=bottom, color=c,
               label={"share_w": ctx.ft("区域内", "Within"), "share_nb": ctx.ft("区域间", "Between"),
                      "share_t": ctx.ft("超变密度", "Transvariation")}[k])
        bottom += df[k].to_numpy() * 100
    ax2 = ax.twinx()
    ax2.plot(df.index, df["G"], color="k", marker="o", ms=3, label="G")
    ax.set_ylabel(ctx.ft("贡献率 (%)", "Contribution (%)"))
    ax2.set_ylabel(ctx.ft("基尼系数", "Gini"))
    ax.set_xlabel(ctx.ft("年份", "Year"))
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, frameon=False, fontsize=8, ncol=4, loc="upper center",
              bbox_to_anchor=(0.5, 1.13))
    figures.append(ctx.save_figure(fig, "dagum_contributions",
                                   ctx.t("Dagum 基尼系数分解的贡献率", "Dagum decomposition: contributions")))
    figures += _plots(ctx, "report.plot_inequality", [
        ("plot_dagum", (res,), {}, "dagum_gini", ctx.t("区域内与区域间基尼系数", "Within- and between-region Gini"))])
    if hasattr(ineq, "theil_by_year"):
        th = ineq.theil_by_year(ctx.frame, col, grp, id="code", time="year")
        numbers["theil"] = th
        keep = [c for c in th.columns if c in ("T", "T_w", "T_b", "L", "L_w", "L_b")] or list(th.columns)
        tt = th[keep].copy()
        tt.index.name = ctx.t("年份", "Year")
        tables.append(frame_table(tt, name="theil_by_year", digits=4,
                                  title=ctx.t("泰尔指数及其分解", "Theil indices and their decomposition")))
        if {"T", "T_b"} <= set(th.columns):
            readings.append(ctx.t(f"{last} 年泰尔 T 指数中区域间部分占 {_pct(th.loc[last, 'T_b'] / th.loc[last, 'T'])}。",
                                  f"In {last} the between-region part is {_pct(th.loc[last, 'T_b'] / th.loc[last, 'T'])} "
                                  f"of Theil's T."))
    if hasattr(ineq, "cv_by_year"):
        cvt = ineq.cv_by_year(ctx.frame, col, grp, id="code", time="year")
        numbers["cv"] = cvt
        cvt = cvt.copy()
        cvt.columns = [ctx.t("全国", "Nation") if c == "nation" else ctx.region_label(c) for c in cvt.columns]
        cvt.index.name = ctx.t("年份", "Year")
        tables.append(frame_table(cvt, name="cv_by_year", digits=4,
                                  title=ctx.t("变异系数（σ 收敛）", "Coefficient of variation (σ-convergence)")))
        nat = cvt.iloc[:, 0]
        readings.append(ctx.t(
            f"全国变异系数从 {nat.iloc[0]:.3f} {'下降' if nat.iloc[-1] < nat.iloc[0] else '上升'}到 {nat.iloc[-1]:.3f}，"
            f"{'存在' if nat.iloc[-1] < nat.iloc[0] else '不存在'} σ 收敛迹象。",
            f"The national coefficient of variation {'fell' if nat.iloc[-1] < nat.iloc[0] else 'rose'} from "
            f"{nat.iloc[0]:.3f} to {nat.iloc[-1]:.3f}: "
            f"{'a sign of' if nat.iloc[-1] < nat.iloc[0] else 'no'} σ-convergence."))
    return {"tables": tables, "figures": figures, "readings": readings, "numbers": numbers}


def _stage_dynamics(ctx: _Context) -> dict:
    dyn = _module("dynamics")
    col = ctx.variable("dynamics")
    k = int(ctx.config.get("dynamics", "markov_classes"))
    grp = ctx.config.get("inequality", "groups")
    tables, figures, readings, numbers = [], [], [], {}
    import matplotlib.pyplot as plt
    done = False
    if hasattr(dyn, "kernel_density_by_year"):
        kd = dyn.kernel_density_by_year(ctx.frame, col, grp, id="code", time="year")
        numbers["kernel_density_peaks"] = kd.peaks()
        numbers["kernel_density_bandwidth"] = kd.bandwidth
        kfigs = _plots(ctx, "report.plot_inequality", [
            ("plot_kde_overlay", (kd,), {}, "kernel_density_by_region",
             ctx.t("分区域核密度（逐年）", "Kernel density by region and year")),
            ("plot_kde_surface", (kd,), {"kind": "surface"}, "kernel_density_surface",
             ctx.t("全国核密度三维图", "National kernel density surface"))])
        figures += kfigs
        if not kfigs:  # our own overlay when the plotting module is absent
            yrs = list(kd.years)
            pick = sorted(set([yrs[0], yrs[len(yrs) // 2], yrs[-1]]))
            fig, ax = plt.subplots(figsize=(6.4, 3.6))
            d = kd.density["nation"]
            for y in pick:
                ax.plot(kd.grid, d[yrs.index(y)], label=str(y))
            ax.set_xlabel(ctx.ft("取值", "Value"))
            ax.set_ylabel(ctx.ft("密度", "Density"))
            ax.legend(frameon=False, fontsize=8)
            ax.grid(alpha=0.3)
            figures.append(ctx.save_figure(fig, "kernel_density",
                                           ctx.t("全国核密度估计（高斯核，Silverman 带宽）",
                                                 "National kernel density (Gaussian, Silverman bandwidth)")))
        pk = kd.peaks()["nation"]
        readings.append(ctx.t(
            f"全国分布的主峰从 {pk.index[0]} 年的 {pk.iloc[0]:.3f} 移到 {pk.index[-1]} 年的 {pk.iloc[-1]:.3f}。",
            f"The main peak of the national distribution moved from {pk.iloc[0]:.3f} in {pk.index[0]} "
            f"to {pk.iloc[-1]:.3f} in {pk.index[-1]}."))
        done = True
    if hasattr(dyn, "markov"):
        mk = dyn.markov(ctx.frame, col, k, id="code", time="year")
        tab = mk.table()
        tab.index.name = ctx.t("t \\ t+1", "t \\ t+1")
        tables.append(frame_table(tab, name="markov_transitions", digits=3,
                                  title=ctx.t(f"传统马尔可夫转移概率矩阵（{k} 类，分位数分组）",
                                              f"Markov transition probabilities ({k} quantile classes)")))
        figures += _plots(ctx, "report.plot_inequality", [
            ("plot_markov_heatmap", (mk,), {}, "markov_heatmap",
             ctx.t("马尔可夫转移概率热图", "Markov transition probabilities"))])
        numbers["markov_P"] = mk.P
        numbers["markov_steady_state"] = mk.steady_state
        diag = np.diag(mk.P.to_numpy(dtype=float))
        readings.append(ctx.t(
            f"保持原类型的概率在 {diag.min():.2f} 至 {diag.max():.2f} 之间；稳态分布中最高一类占 "
            f"{_pct(mk.steady_state.iloc[-1])}。",
            f"The probability of staying in the same class ranges from {diag.min():.2f} to {diag.max():.2f}; "
            f"the steady state puts {_pct(mk.steady_state.iloc[-1])} in the top class."))
        done = True
    if hasattr(dyn, "spatial_markov") and ctx.weights:
        wname = next(iter(ctx.weights))
        try:
            sm = dyn.spatial_markov(ctx.frame, col, ctx.weights[wname], k, id="code", time="year")
            st = sm.table()
            st.index = [f"{a} | {b}" for a, b in st.index]
            st.index.name = ctx.t("空间滞后类型 | t", "lag class | t")
            tables.append(frame_table(st, name="spatial_markov", digits=3,
                                      title=ctx.t(f"空间马尔可夫转移概率矩阵（{ctx.weight_labels[wname]}）",
                                                  f"Spatial Markov transition probabilities ({ctx.weight_labels[wname]})")))
            tests = sm.tests
            tables.append(frame_table(tests, name="spatial_markov_tests", digits=3,
                                      title=ctx.t("空间马尔可夫同质性检验", "Spatial Markov homogeneity tests")))
            numbers["spatial_markov_tests"] = tests
        except Exception as exc:
            ctx.notes.append(f"spatial Markov failed: {type(exc).__name__}: {exc}")
    if hasattr(dyn, "beta_convergence"):
        fits = {ctx.t("绝对 β 收敛", "Absolute β"): dyn.beta_convergence(ctx.frame, col, id="code", time="year")}
        ctrl = [c for c in ctx.config.get("models", "x") if c in ctx.frame.columns]
        if ctrl:
            try:
                fits[ctx.t("条件 β 收敛", "Conditional β")] = dyn.beta_convergence(
                    ctx.frame, col, ctrl, id="code", time="year")
            except Exception as exc:
                ctx.notes.append(f"conditional beta convergence failed: {type(exc).__name__}: {exc}")
        speed = {c: r.speed for c, r in fits.items()}
        half = {c: r.half_life for c, r in fits.items()}
        cols = {c: {"params": r.params, "bse": r.bse, "pvalues": r.pvalues, "nobs": r.nobs,
                    "r2": r.r2_within, "fe": r.fe} for c, r in fits.items()}
        if hasattr(dyn, "spatial_beta_convergence") and ctx.weights:
            wname = next(iter(ctx.weights))
            c = ctx.t(f"空间 β 收敛（SDM，{ctx.weight_labels[wname]}）", f"Spatial β (SDM, {ctx.weight_labels[wname]})")
            try:
                sb = dyn.spatial_beta_convergence(ctx.frame, col, ctx.weights[wname], id="code", time="year")
                cols[c] = sb
                bname = next(n for n in sb.params.index if not n.startswith("W_") and n not in ("rho", "lambda"))
                b = float(sb.params[bname])
                sp, hl = dyn.convergence_speed(b) if hasattr(dyn, "convergence_speed") else (np.nan, np.nan)
                speed[c], half[c] = sp, hl
                numbers["spatial_beta_convergence"] = {"params": sb.params, "bse": sb.bse,
                                                       "pvalues": sb.pvalues, "speed": sp, "half_life": hl}
            except Exception as exc:
                ctx.notes.append(f"spatial beta convergence failed: {type(exc).__name__}: {exc}")
        extra = {ctx.t("收敛速度", "Speed"): speed, ctx.t("半衰期（年）", "Half-life (years)"): half}
        tables.append(regression_table(
            cols,
            name="beta_convergence", lang=ctx.lang, extra_rows=extra,
            labels={r.params.index[0]: "ln x(t)" for r in fits.values()},
            title=ctx.t("β 收敛检验（双向固定效应）", "β-convergence (two-way fixed effects)")))
        numbers["beta_convergence"] = {c: {"params": r.params, "bse": r.bse, "pvalues": r.pvalues,
                                           "speed": r.speed, "half_life": r.half_life}
                                       for c, r in fits.items()}
        for c, r in fits.items():
            p = float(r.pvalues.iloc[0])
            if r.beta < 0 and p < 0.05:
                readings.append(ctx.t(f"{c}：β = {r.beta:.3f}（p = {p:.3f}），收敛速度 {r.speed:.3f}，半衰期 {r.half_life:.1f} 年。",
                                      f"{c}: β = {r.beta:.3f} (p = {p:.3f}), speed {r.speed:.3f}, "
                                      f"half-life {r.half_life:.1f} years."))
            else:
                readings.append(ctx.t(f"{c}：β = {r.beta:.3f}（p = {p:.3f}），没有显著的收敛证据。",
                                      f"{c}: β = {r.beta:.3f} (p = {p:.3f}), no significant evidence of "
                                      f"convergence."))
        done = True
    if not done:
        raise _Skip("spatialnqpf.dynamics provides none of kernel_density_by_year, markov, beta_convergence")
    return {"tables": tables, "figures": figures, "readings": readings, "numbers": numbers}


def _stage_models(ctx: _Context) -> dict:
    models = _module("models", "spatial_panel")
    _need_weights(ctx)
    cfg = ctx.config.get("models")
    y = ctx.variable("models")
    x = list(cfg["x"])
    wnames = cfg["weights"] or list(ctx.weights)
    unknown = [w for w in wnames if w not in ctx.weights]
    if unknown:
        raise ValueError(f"[models] weights {unknown} are not among the built matrices {list(ctx.weights)}")
    tables, figures, readings, numbers = [], [], [], {}
    fits, effs = {}, {}
    for wn in wnames:
        res = models.spatial_panel(ctx.frame, y=y, x=x, w=ctx.weights[wn], id="code", time="year",
                                   model=cfg["model"], fe=cfg["fe"], lee_yu=cfg["lee_yu"])
        col = f"{cfg['model'].upper()} ({ctx.weight_labels.get(wn, wn)})"
        fits[col] = res
        try:
            effs[col] = res.effects(method="simulation", nsim=int(cfg["effects_nsim"]), seed=ctx.seed)
        except ValueError:
            effs[col] = None
        numbers[wn] = {"params": res.params, "bse": res.bse, "pvalues": res.pvalues,
                       "llf": res.llf, "nobs": res.nobs, "sigma2": res.sigma2,
                       "effects": effs[col], "info": dict(getattr(res, "info", {}) or {})}
    spec = getattr(models, "specification_search", None)
    if spec is None:
        try:
            from ..models.specification import specification_search as spec
        except ImportError:
            spec = None
            ctx.notes.append("spatialnqpf.models has no specification_search yet")
    if cfg["specification_search"] and spec is not None:
        try:
            wn0 = wnames[0]
            ss = spec(ctx.frame, y=y, x=x, w=ctx.weights[wn0], id="code",
                                              time="year", lee_yu=cfg["lee_yu"],
                                              nsim=int(cfg["effects_nsim"]), seed=ctx.seed)
            sdf = ss.to_frame()
            if "step" in sdf.columns:
                sdf = sdf.set_index("step")
            sdf.index.name = ctx.t("步骤", "Step")
            tables.append(frame_table(
                translate_specification(sdf, ctx.lang), name="specification_tests", digits={"statistic": 3, "df": 0, "p": 3},
                labels={"test": ctx.t("检验", "Test"), "fe": ctx.t("固定效应", "FE"),
                        "statistic": ctx.t("统计量", "Statistic"), "df": ctx.t("自由度", "df"),
                        "p": ctx.t("p 值", "p"), "decision": ctx.t("结论", "Decision")},
                title=ctx.t(f"模型设定检验（Elhorst 检验序列，{ctx.weight_labels.get(wn0, wn0)}）",
                            f"Specification tests (Elhorst sequence, {ctx.weight_labels.get(wn0, wn0)})")))
            numbers["specification_search"] = {"table": sdf, "fe": ss.fe, "model": ss.model}
            cmp = {m.upper(): r for m, r in ss.models.items()}
            tables.append(regression_table(
                cmp, name="sdm_sar_sem", lang=ctx.lang, labels={y: ctx.var_label(y)},
                title=ctx.t(f"SDM、SAR 与 SEM 的比较（{ctx.weight_labels.get(wn0, wn0)}）",
                            f"SDM, SAR and SEM compared ({ctx.weight_labels.get(wn0, wn0)})")))
            readings.append(ctx.t(
                f"Elhorst 检验序列（{ctx.weight_labels.get(wn0, wn0)}，5% 水平）选择 {ss.model.upper()} 模型与 "
                f"{ss.fe} 固定效应。",
                f"The Elhorst sequence ({ctx.weight_labels.get(wn0, wn0)} weights, 5% level) chooses the "
                f"{ss.model.upper()} with {ss.fe} fixed effects."))
        except Exception as exc:
            ctx.notes.append(f"specification_search failed: {type(exc).__name__}: {exc}")
    labels = {y: ctx.var_label(y)}
    lee = lee_yu_label(cfg["lee_yu"], ctx.lang)
    fe_zh = FE_ZH.get(cfg["fe"], cfg["fe"])
    note = ctx.t(f"固定效应：{fe_zh}（fe='{cfg['fe']}'）；偏误校正：{lee}；效应标准误由 {cfg['effects_nsim']} 次模拟得到"
                 f"（种子 {ctx.seed}）。",
                 f"Fixed effects: {cfg['fe']}; bias correction: {lee}; effect standard errors from "
                 f"{cfg['effects_nsim']} simulation draws (seed {ctx.seed}).")
    tables.insert(0, regression_table(fits, name="spatial_models", lang=ctx.lang, labels=labels,
                                      effects={k: v for k, v in effs.items() if v is not None} or None,
                                      title=ctx.t(f"空间面板模型估计结果（被解释变量：{ctx.var_label(y)}）",
                                                  f"Spatial panel estimates (dependent variable: {ctx.var_label(y)})"),
                                      notes=(note,)))
    for col, res in fits.items():
        p = res.params
        sp = "rho" if "rho" in p.index else ("lambda" if "lambda" in p.index else None)
        if sp:
            readings.append(ctx.t(
                f"{col}：空间参数 {sp} = {p[sp]:.3f}（p = {res.pvalues[sp]:.3f}）。",
                f"{col}: the spatial parameter {sp} = {p[sp]:.3f} (p = {res.pvalues[sp]:.3f})."))
        e = effs.get(col)
        if e is not None and "indirect" in e.columns:
            sig = [v for v in e.index if "indirect_p" in e.columns and e.loc[v, "indirect_p"] < 0.05]
            if sig:
                parts = [f"{v} ({e.loc[v, 'indirect']:+.3f})" for v in sig]
                readings.append(ctx.t(f"{col}：在 5% 水平显著的间接（溢出）效应：{'，'.join(parts)}。",
                                      f"{col}: indirect (spillover) effects significant at 5%: {', '.join(parts)}."))
            else:
                readings.append(ctx.t(f"{col}：没有在 5% 水平显著的间接（溢出）效应。",
                                      f"{col}: no indirect (spillover) effect is significant at 5%."))
    return {"tables": tables, "figures": figures, "readings": readings, "numbers": numbers}


_STAGE_FUNCS: dict[str, Callable] = {
    "data": _stage_data, "index": _stage_index, "weights": _stage_weights,
    "autocorrelation": _stage_autocorrelation, "inequality": _stage_inequality,
    "dynamics": _stage_dynamics, "models": _stage_models,
}


def run_stage(ctx: _Context, name: str) -> StageOutcome:
    """Run one stage inside its failure boundary and return its outcome."""
    title = _TITLES[ctx.lang][name]
    t0 = time.perf_counter()
    n_notes = len(ctx.notes)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = _STAGE_FUNCS[name](ctx)
        notes = tuple(dict.fromkeys(ctx.notes[n_notes:])) + tuple(
            dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught
                          if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning,
                                                         ResourceWarning))
                          and "Glyph" not in str(w.message)))
        return StageOutcome(name, title, "ok", time.perf_counter() - t0, tables=tuple(out["tables"]),
                            figures=tuple(out["figures"]), readings=tuple(out["readings"]),
                            numbers=out["numbers"], notes=notes)
    except _Skip as s:
        return StageOutcome(name, title, "skipped", time.perf_counter() - t0, reason=str(s),
                            notes=tuple(ctx.notes[n_notes:]))
    except ModuleNotFoundError as exc:
        if name != "data" and (exc.name or "").startswith("spatialnqpf"):
            return StageOutcome(name, title, "skipped", time.perf_counter() - t0,
                                reason=f"module {exc.name} is not available in this installation",
                                notes=tuple(ctx.notes[n_notes:]))
        if name == "data":
            raise
        return StageOutcome(name, title, "failed", time.perf_counter() - t0,
                            reason=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc(),
                            notes=tuple(ctx.notes[n_notes:]))
    except Exception as exc:
        if name == "data":
            raise  # no data, no report: user errors (unknown province, missing cells) go to the caller
        return StageOutcome(name, title, "failed", time.perf_counter() - t0,
                            reason=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc(),
                            notes=tuple(ctx.notes[n_notes:]))


# ------------------------------------------------------------------ writing
_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",Helvetica,Arial,sans-serif;
max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{border-bottom:2px solid #333}h2{border-bottom:1px solid #aaa;margin-top:2em}
.status{font-size:80%;padding:1px 6px;border-radius:3px;color:#fff}
.ok{background:#3a7d44}.skipped{background:#888}.failed{background:#b3261e}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:90%;color:#555}.reading{background:#f6f8fa;border-left:3px solid #4C72B0;
padding:.4em .8em}pre{background:#f6f8fa;padding:.6em;overflow-x:auto;font-size:80%}
table.three-line td,table.three-line th{font-size:90%}footer{margin-top:3em;font-size:85%;color:#444}
"""


def _html_report(ctx: _Context, stages, footer) -> str:
    e = _html.escape
    T = _TITLES[ctx.lang]
    parts = [f'<!DOCTYPE html><html lang="{ctx.lang}"><head><meta charset="utf-8">',
             f"<title>{e(T['report'])}</title><style>{_CSS}</style></head><body>",
             f"<h1>{e(T['report'])}</h1>",
             f"<p>{e(footer['data']['source'])} · {e(footer['generated'])}</p>",
             f"<h2>{e(T['contents'])}</h2><ol>"]
    for s in stages:
        parts.append(f'<li><a href="#{s.name}">{e(s.title)}</a> '
                     f'<span class="status {s.status}">{e(T[s.status])}</span></li>')
    parts.append("</ol>")
    for s in stages:
        parts.append(f'<section id="{s.name}"><h2>{e(s.title)} '
                     f'<span class="status {s.status}">{e(T[s.status])}</span></h2>')
        if s.reason:
            parts.append(f"<p><strong>{e(T[s.status])}:</strong> {e(s.reason)}</p>")
        if s.traceback:
            parts.append(f"<details><summary>traceback</summary><pre>{e(s.traceback)}</pre></details>")
        for r in s.readings:
            parts.append(f'<p class="reading">{e(r)}</p>')
        for t in s.tables:
            parts.append(t.to_html())
        for f in s.figures:
            b64 = base64.b64encode(Path(f.files["png"]).read_bytes()).decode("ascii")
            parts.append(f'<figure><img alt="{e(f.title)}" src="data:image/png;base64,{b64}">'
                         f"<figcaption>{e(f.title)}</figcaption></figure>")
        if s.notes:
            parts.append("<ul class=\"notes\">" + "".join(f"<li>{e(n)}</li>" for n in s.notes) + "</ul>")
        parts.append("</section>")
    parts.append(f"<footer><h2>{e(T['reproduce'])}</h2>")
    parts.append(f"<p>seed = {footer['seed']} · data SHA-256 = <code>{e(footer['data']['sha256'])}</code>"
                 f" · {footer['seconds']:.1f} s</p>")
    parts.append("<p>" + " · ".join(f"{e(k)} {e(str(v))}" for k, v in footer["versions"].items()) + "</p>")
    parts.append(f"<details><summary>config</summary><pre>{e(json.dumps(footer['config'], ensure_ascii=False, indent=2))}"
                 "</pre></details></footer></body></html>")
    return "\n".join(parts)


def _md_report(ctx: _Context, stages, footer) -> str:
    T = _TITLES[ctx.lang]
    out = [f"# {T['report']}", "", f"{footer['data']['source']} · {footer['generated']}", ""]
    for s in stages:
        out += [f"## {s.title} ({T[s.status]})", ""]
        if s.reason:
            out += [f"**{T[s.status]}:** {s.reason}", ""]
        for r in s.readings:
            out += [f"> {r}", ""]
        for t in s.tables:
            out += [t.to_markdown(), ""]
        for f in s.figures:
            out += [f"![{f.title}](figures/{Path(f.files['png']).name})", ""]
        for n in s.notes:
            out += [f"- {n}"]
        out.append("")
    out += [f"## {T['reproduce']}", "", f"- seed: {footer['seed']}",
            f"- data: {footer['data']['source']} (SHA-256 `{footer['data']['sha256']}`)",
            "- versions: " + ", ".join(f"{k} {v}" for k, v in footer["versions"].items()), "",
            "```json", json.dumps(footer["config"], ensure_ascii=False, indent=2), "```", ""]
    return "\n".join(out)


def _docx_report(ctx: _Context, stages, footer, path: Path) -> Path:
    """The whole report as a Word document: headings, readings, three-line tables, figures."""
    import docx
    from docx.shared import Cm, Pt

    T = _TITLES[ctx.lang]
    doc = docx.Document()
    doc.add_heading(T["report"], level=0)
    doc.add_paragraph(f"{footer['data']['source']} · {footer['generated']}")
    for s in stages:
        doc.add_heading(f"{s.title} ({T[s.status]})", level=1)
        if s.reason:
            doc.add_paragraph(f"{T[s.status]}: {s.reason}")
        for r in s.readings:
            doc.add_paragraph(r)
        for t in s.tables:
            t.to_docx(document=doc)
            doc.add_paragraph()
        for f in s.figures:
            doc.add_picture(str(f.files["png"]), width=Cm(15))
            cap = doc.add_paragraph()
            run = cap.add_run(f.title)
            run.italic = True
            run.font.size = Pt(9)
    doc.add_heading(T["reproduce"], level=1)
    doc.add_paragraph(f"seed = {footer['seed']}; data SHA-256 = {footer['data']['sha256']}")
    doc.add_paragraph("; ".join(f"{k} {v}" for k, v in footer["versions"].items()))
    doc.save(str(path))
    return path


def _write_tables(ctx: _Context, stages) -> dict:
    folder = ctx.out / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    fmts = list(ctx.config.get("output", "formats"))
    avail = []
    for fmt in fmts:
        mod = {"docx": "docx", "xlsx": "openpyxl"}.get(fmt)
        if mod:
            try:
                importlib.import_module(mod)
            except ImportError:
                ctx.notes.append(f"{fmt} tables not written: install {'python-docx' if mod == 'docx' else mod} "
                                 "(pip install 'spatialnqpf[report]')")
                continue
        avail.append(fmt)
    files = {}
    alltables = [t for s in stages for t in s.tables]
    for t in alltables:
        files[t.name] = {k: str(v) for k, v in write_table(t, folder, avail).items()}
    if "xlsx" in avail:
        write_workbook(alltables, folder / "all_tables.xlsx")
    if "docx" in avail:
        write_document(alltables, folder / "all_tables.docx", heading=_TITLES[ctx.lang]["report"])
    return files


def build_report(config: ReportConfig | str | Path | None = None, out="spatialnqpf-report", *,
                 data=None, lang: str | None = None, stages=None, progress: bool = True) -> ReportResult:
    """Run the analysis and write the report folder.

    Parameters
    ----------
    config : ReportConfig, path or None
        Configuration (``None``: the defaults, i.e. the bundled demo).
    out : path
        Output folder (created; existing files with the same names are replaced).
    data : path, optional
        Data file overriding ``[data] file``.
    lang : {"zh", "en"}, optional
        Overrides ``[output] lang``.  Figures fall back to English labels with a
        warning when no CJK font is found (:mod:`spatialnqpf.report.fonts`).
    stages : sequence of str, optional
        Subset of :data:`STAGES` (``"data"`` always runs; others depend on
        ``index`` and ``weights`` for the analysed variable and W).
    progress : bool
        Show a tqdm progress bar on stderr.

    Returns
    -------
    ReportResult

    Raises
    ------
    Errors of the data stage (unknown province labels, duplicated rows, missing
    values under ``missing = "error"``) are raised: without data there is no
    report.  Errors of later stages are recorded in the report instead.
    """
    import matplotlib
    from .fonts import setup_language

    # fonts and styles are set for the report only: the caller's rcParams are restored after
    with matplotlib.rc_context():
        return _build(config, out, data, lang, stages, progress, setup_language)


def _build(config, out, data, lang, stages, progress, setup_language) -> ReportResult:

    t0 = time.perf_counter()
    cfg = config if isinstance(config, ReportConfig) else load_config(config)
    if data is not None:
        cfg = ReportConfig(dict(cfg.settings, data=dict(cfg.settings["data"], file=str(Path(data).resolve()))),
                           cfg.source, cfg.base_dir)
    if lang is not None:
        cfg = cfg.replace(output={"lang": lang})
    lang = cfg.lang
    fig_lang, font = setup_language(lang, extra_paths=[p for p in [cfg.get("fonts", "path")] if p])
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = _Context(cfg, out, lang, fig_lang, progress)
    if fig_lang != lang:
        ctx.notes.append("no CJK font found: figure labels are in English")
    want = list(STAGES) if stages is None else ["data"] + [s for s in stages if s != "data"]
    bad = [s for s in want if s not in STAGES]
    if bad:
        raise ValueError(f"unknown stage(s) {bad}; stages are {list(STAGES)}")
    outcomes = []
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(want), desc="spatialnqpf report", unit="stage", file=sys.stderr)
    for name in want:
        if bar is not None:
            bar.set_postfix_str(name)
        outcomes.append(run_stage(ctx, name))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    files = _write_tables(ctx, outcomes)
    footer = {
        "generated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "seconds": time.perf_counter() - t0, "seed": cfg.seed, "lang": lang, "figure_lang": fig_lang,
        "font": font, "versions": _versions(), "config": cfg.to_dict(), "config_source": cfg.source,
        "data": {"source": ctx.data.source, "sha256": ctx.data.checksum},
        "command": " ".join(sys.argv) if sys.argv else "", "notes": list(ctx.notes),
    }
    results = {"footer": footer, "stages": {s.name: s.to_dict() for s in outcomes}}
    (out / "results.json").write_text(json.dumps(_jsonable(results), ensure_ascii=False, indent=1),
                                      encoding="utf-8")
    (out / "report.html").write_text(_html_report(ctx, outcomes, footer), encoding="utf-8")
    (out / "report.md").write_text(_md_report(ctx, outcomes, footer), encoding="utf-8")
    (out / "config_used.toml").write_text(cfg.to_toml(), encoding="utf-8")
    if "docx" in cfg.get("output", "formats"):
        try:
            _docx_report(ctx, outcomes, footer, out / "report.docx")
        except ImportError:
            pass  # python-docx absent: already noted by _write_tables
    footer["seconds"] = time.perf_counter() - t0
    return ReportResult(out_dir=out, stages=tuple(outcomes), footer=footer,
                        files={"tables": files, "html": out / "report.html", "md": out / "report.md",
                               "json": out / "results.json"}, seconds=footer["seconds"])
