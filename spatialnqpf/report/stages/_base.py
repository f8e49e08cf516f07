"""What every report stage shares: the :class:`Stage` declaration, its frozen
:class:`StageOutput`, the run :class:`State` and the :class:`Skip` signal.

A stage is a module of :mod:`spatialnqpf.report.stages` holding a ``STAGE``
(:class:`Stage`): its name, zh/en title, the stages it requires, the CLI command that
runs it alone, and ``run(state) -> StageOutput``.  The builder loops over
:data:`spatialnqpf.report.stages.REGISTRY`; the CLI derives its single-stage commands
(and the stages each needs first) from the same registry.

Stages communicate only through :class:`State`: the data stage fills ``state.frame``,
the index stage adds the score column, the weights stage ``state.weights``; a stage
reads what it requires and raises :class:`Skip` when it is absent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import pandas as pd

from ..config import PreparedData, ReportConfig
from ..figures import FigureRecord, save_figure

__all__ = ["Stage", "StageOutput", "State", "Skip", "FigureRecord", "pct", "year_ranges",
           "REGION_ZH", "COMMON_TEXT", "error_text"]

#: Chinese names of the four regions of :func:`spatialnqpf.regions.groups` ("region4").
REGION_ZH = {"East": "东部", "Central": "中部", "West": "西部", "Northeast": "东北"}

#: zh/en sentences shared by the stages and the builder: a part of a stage that failed, a
#: figure that could not be drawn, a skipped stage, a failed prerequisite, a warning caught
#: while a stage ran.  ``{err}`` is the library's error (:func:`error_text`), never translated;
#: ``{part}`` is the part's name in the report language (a stage's own ``TEXT`` entry).
COMMON_TEXT = {
    "part_failed": {"zh": "{part}未能完成：{err}", "en": "{part} failed: {err}"},
    "not_computed": {"zh": "{part}未计算：{err}", "en": "{part} not computed: {err}"},
    "figure_failed": {"zh": "图“{part}”未能绘制：{err}", "en": "figure “{part}” could not be drawn: {err}"},
    "prerequisite_failed": {"zh": "前置阶段“{title}”失败：{reason}",
                            "en": "prerequisite stage {name} ({title}) failed: {reason}"},
    "run_warning": {"zh": "运行时警告：{err}", "en": "{err}"},
    "skip_no_weights": {"zh": "没有空间权重矩阵（空间权重阶段未成功）",
                        "en": "no spatial weights (the weights stage did not succeed)"},
    "skip_no_scores": {"zh": "指数阶段未得到综合指数得分，且没有可替代的变量",
                       "en": "the index stage did not produce scores and no fallback variable is known"},
    "skip_no_system": {"zh": "没有指标体系（请配置 [index] 或安装演示指标体系）",
                       "en": "no indicator system (configure [index] or install the demo system)"},
}


def error_text(exc: BaseException) -> str:
    """``"TypeName: message"`` of an exception, as the library raised it (not translated)."""
    return f"{type(exc).__name__}: {exc}"


class Skip(Exception):
    """A stage cannot run (a prerequisite is missing); not an error of the data.

    ``Skip(reason, text=None)``: ``reason`` is the stable English reason (``StageOutcome.reason``,
    ``results.json``); ``text`` (``{"zh": ..., "en": ...}``) the same in the report's
    languages (``StageOutcome.message``, shown in the report).  Without ``text`` the report
    shows ``reason``.
    """

    def __init__(self, reason: str = "", text: Mapping | None = None):
        super().__init__(reason)
        self.text = dict(text) if text else None

    @classmethod
    def common(cls, key: str) -> "Skip":
        """A skip with a sentence of :data:`COMMON_TEXT` (English reason, zh/en message)."""
        return cls(COMMON_TEXT[key]["en"], text=COMMON_TEXT[key])

    def message(self, lang: str) -> str:
        """The reason in ``lang`` (the English reason when no translation was given)."""
        if self.text and lang in self.text:
            return self.text[lang]
        return str(self)


@dataclass(frozen=True)
class StageOutput:
    """What a stage's ``run`` returns (frozen).

    ``tables`` (:class:`~spatialnqpf.report.tables.Table`), ``figures``
    (:class:`FigureRecord`), ``readings`` (sentences computed from the numbers),
    ``numbers`` (the raw results, written to ``results.json``), ``notes`` and
    ``status``: ``"ok"``, or ``"warning"`` when a result shown is flagged (e.g. a
    spatial parameter on its bound) and cannot be interpreted as it stands.
    """

    tables: tuple = ()
    figures: tuple = ()
    readings: tuple = ()
    numbers: Mapping = field(default_factory=dict)
    notes: tuple = ()
    status: str = "ok"

    def __post_init__(self):
        for name in ("tables", "figures", "readings", "notes"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.status not in ("ok", "warning"):
            raise ValueError(f"StageOutput status must be 'ok' or 'warning', got {self.status!r}")


@dataclass(frozen=True)
class Stage:
    """Declaration of one report stage.

    Attributes
    ----------
    name : str
        Key in ``results.json`` and ``--stages``.
    title : mapping
        ``{"zh": ..., "en": ...}`` section heading.
    run : callable
        ``run(state) -> StageOutput``.
    requires : tuple of str
        Stages that must run first (the CLI runs them for a single-stage command).
    command : str or None
        Name of the CLI single-stage command (``spatialnqpf <command>``), or None.
    help : str
        One line of CLI help for the command.
    enabled : callable or None
        ``enabled(config) -> bool`` for an optional stage: a full report runs it only when
        this is true (e.g. the impact stage, on when the configuration has ``[impact]``);
        None: always part of the full report.
    """

    name: str
    title: Mapping
    run: Callable
    requires: tuple = ()
    command: str | None = None
    help: str = ""
    enabled: Callable | None = None


class State:
    """Mutable state of one report run, shared by the stages (not part of the public API)."""

    def __init__(self, config: ReportConfig, out: Path, lang: str, fig_lang: str, progress: bool,
                 figures: bool = True):
        self.config = config
        self.out = Path(out)
        self.lang = lang            # tables and text
        self.fig_lang = fig_lang    # figure labels (English without a CJK font)
        self.progress = progress
        self.figures = figures      # False: stages compute numbers and tables only
        self.seed = config.seed
        self.data: PreparedData | None = None
        self.frame: pd.DataFrame | None = None   # analysis frame (data + index columns)
        self.index_result = None
        self.index_column: str | None = None
        self.system = None                       # IndicatorSystem of the index, if any
        self.weights: dict = {}
        self.weight_labels: dict = {}
        self.notes: list = []
        self.indicators: dict = {}               # column -> direction
        self.indicator_meta: pd.DataFrame | None = None
        self.fallback_variable: str | None = None  # analysed when the index is unavailable
        self.stages: tuple = ()                  # names of the stages this run executes (all if empty)
        self.level: str = getattr(config, "level", "province")  # "province" or "city" ([data] level)
        from ..labels import Labels
        self.labels = Labels(config.settings.get("labels"))  # rebuilt with the indicator system by the data stage
        self.on_step = None                      # progress hook: called with the name of each file written
        self.figure_seconds = 0.0                # time spent saving figures (the writing part of a stage)

    # text in the report / figure language
    def t(self, zh: str, en: str) -> str:
        return self.units(zh if self.lang == "zh" else en)

    def ft(self, zh: str, en: str) -> str:
        return self.units(zh if self.fig_lang == "zh" else en)

    def text(self, table: Mapping, key: str, **fmt) -> str:
        """``table[key][lang]`` formatted with ``fmt`` (the zh/en table of a stage)."""
        return self.units(table[key][self.lang]).format(**fmt)

    def ftext(self, table: Mapping, key: str, **fmt) -> str:
        """:meth:`text` in the figure language (English when no CJK font was found)."""
        return self.units(table[key][self.fig_lang]).format(**fmt)

    def fail_note(self, part: str, exc: BaseException, key: str = "part_failed") -> str:
        """Note that ``part`` (its name in the report language) failed with ``exc``: the
        sentence of :data:`COMMON_TEXT` ``[key]`` (``"part_failed"``, ``"not_computed"``,
        ``"figure_failed"``) around the library's own error text; appended to the notes."""
        note = self.text(COMMON_TEXT, key, part=part, err=error_text(exc))
        self.notes.append(note)
        return note

    def units(self, template: str) -> str:
        """``template`` with its unit words for the level: at ``[data] level = "city"`` the
        stages' province words (省份, provinces, province-years ...) become city words, so
        that one zh/en table serves both levels (applied before formatting: names and
        numbers filled in are never changed)."""
        if self.level != "city" or not isinstance(template, str):
            return template
        return _city_words(template)

    def region_label(self, g, fig: bool = False) -> str:
        """Group key in the report (or figure) language: ``East`` -> 东部 in Chinese."""
        from ..labels import group_names
        lang = self.fig_lang if fig else self.lang
        if lang != "zh":
            return str(g)
        return REGION_ZH.get(str(g)) or group_names().get(str(g), str(g))

    def scheme_label(self, scheme: str, fig: bool = False) -> str:
        """Name of a group scheme (``region4`` -> 四大区域 / four regions), else the column's label."""
        from ..labels import SCHEME_LABELS
        lang = self.fig_lang if fig else self.lang
        if scheme in SCHEME_LABELS:
            return SCHEME_LABELS[scheme][lang]
        return self.labels.get(scheme, lang)

    def province_names(self, codes, fig: bool = False):
        """Names of the units (provinces, or cities at ``level = "city"``) in the language."""
        from ... import regions
        lang = self.fig_lang if fig else self.lang
        if self.level == "city":
            return city_names(codes)
        try:
            return list(regions.names(list(codes), lang="short" if lang == "zh" else "en"))
        except Exception:
            return [str(c) for c in codes]

    def groups(self, scheme: str, codes=None) -> pd.Series:
        """Group label of each unit (Series indexed by code) for ``scheme``.

        Provinces: :func:`spatialnqpf.regions.groups`.  Cities: the region of the city's
        province (:func:`spatialnqpf.regions.city_groups`), or with ``scheme = "province"``
        the province's name in the report language.
        """
        from ... import regions
        codes = sorted(self.frame["code"].unique()) if codes is None else list(codes)
        if self.level != "city":
            return regions.groups(codes, scheme=scheme)
        g = regions.city_groups(codes, scheme=scheme)
        if scheme == "province":
            names = regions.names(sorted(set(g)), lang="short" if self.lang == "zh" else "en")
            g = g.map(dict(zip(sorted(set(g)), names))).rename("province")
        return g

    def group_arg(self, scheme: str, density: bool = False):
        """What to pass as ``group=`` to the inequality/dynamics functions for ``scheme``.

        The scheme name itself at province level (or a data column); at city level a Series
        code -> label from :meth:`groups`.  With ``density=True`` (kernel densities need two
        or more units per group and year) province groups at city level fall back to
        ``region4``, with a note.
        """
        from ...regions import SCHEMES
        if self.level != "city" or (scheme not in SCHEMES + ("province",)
                                    and scheme in self.frame.columns):
            return scheme  # a scheme name (provinces) or a group column of the data
        if density and scheme == "province":
            # (not through t(): its unit words are meant literally here)
            self.notes.append("城市层面的核密度按四大区域（而非省份）分组：有的省份只有一个城市。"
                              if self.lang == "zh" else
                              "City-level kernel densities are by region4 (not by province): "
                              "some provinces have only one city.")
            scheme = "region4"
        return self.groups(scheme)

    def save_figure(self, fig, name: str, title: str) -> FigureRecord:
        import time
        if self.on_step is not None:
            self.on_step(f"figures/{name}")
        t0 = time.perf_counter()
        try:
            return save_figure(fig, self.out / "figures", name, title,
                               formats=self.config.get("output", "figures"),
                               dpi=self.config.get("output", "dpi"))
        finally:
            self.figure_seconds += time.perf_counter() - t0

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
            lab = self.var_label(fallback)
            note = self.t(f"综合指数未计算（指数阶段未运行或失败），本节改用指标{lab}。",
                          f"The composite index was not computed (index stage not run or failed); this "
                          f"section uses the indicator {lab} instead.")
            self.notes.append(note)  # every stage that falls back says so
            return fallback
        raise Skip.common("skip_no_scores")

    def var_label(self, col: str, fig: bool = False) -> str:
        """Display label of a variable in the report (or figure) language ([labels], the
        indicator system, the data dictionary; the index score column is 综合指数)."""
        from ..labels import INDEX_LABEL
        lang = self.fig_lang if fig else self.lang
        if col == self.index_column and not self.labels.known(col, lang):
            return INDEX_LABEL[lang]
        return self.labels.get(col, lang)  # index_score: 综合指数 unless [labels] says otherwise

    def var_labels(self, cols, fig: bool = False) -> dict:
        """``{column: label}`` for ``cols`` (see :meth:`var_label`)."""
        return {c: self.var_label(c, fig=fig) for c in cols}

    def need_weights(self) -> None:
        if not self.weights:
            raise Skip.common("skip_no_weights")


# province words of the stages' templates -> city words ([data] level = "city"); longest first
_CITY_WORD_MAP = (
    ("省份-年份", "城市-年份"), ("省-年", "城市-年"), ("个省份", "个城市"), ("省份", "城市"),
    ("各省", "各城市"),
    ("province-years", "city-years"), ("province-year", "city-year"),
    ("Provinces", "Cities"), ("provinces", "cities"), ("Province", "City"),
    ("province", "city"),
)


def _city_words(text: str) -> str:
    import re
    out = text
    for a, b in _CITY_WORD_MAP:
        if a.isascii():
            out = re.sub(rf"\b{re.escape(a)}\b", b, out)
        else:
            out = out.replace(a, b)
    return out


def city_names(codes) -> list:
    """Short Chinese names of city codes (the registry has no English names: city names are
    proper names in both report languages); unknown codes are shown as they are."""
    from ... import regions
    tab = regions.cities()
    return [tab["short_zh"].get(int(c), str(c)) if str(c).lstrip("-").isdigit() else str(c)
            for c in codes]


def pct(x: float, digits: int = 0) -> str:
    return f"{100 * x:.{digits}f}%"


def year_ranges(years) -> str:
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
