"""The main job: run every stage of the analysis and write the report folder.

:func:`build_report` runs the stages in order — data, index, weights,
autocorrelation, regional differences, dynamics, models, spatial patterns — each in its own
failure boundary: a stage whose prerequisite is missing is *skipped*, a stage
that raises is *failed* (message and traceback kept), a stage that shows a
flagged fit is a *warning*, and everything that succeeded is still written.

This module keeps only the run loop.  The stages are the modules of
:mod:`spatialnqpf.report.stages` (registry :data:`~spatialnqpf.report.stages.REGISTRY`),
the writers those of :mod:`spatialnqpf.report.writers`, the figure helpers
:mod:`spatialnqpf.report.figures`.

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

import datetime as _dt
import json
import sys
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import pandas as pd

from .config import ReportConfig, load_config
from .progress import WRITE_PHASES, Progress
from .figures import rasterize_heavy as _rasterize_heavy  # noqa: F401  (kept: builder._rasterize_heavy)
from .stages import REGISTRY, STAGES, FigureRecord, Skip, State, StageOutput, default_stages
from .stages._base import COMMON_TEXT
from .writers import docx_report, html_report, jsonable, md_report, versions, write_tables

__all__ = ["build_report", "run_stages", "ReportResult", "StageOutcome", "FigureRecord", "STAGES",
           "run_stage"]

_Skip = Skip              # a stage cannot run (prerequisite missing): status "skipped"
_versions = versions
#: name -> ``run(state)`` of every stage (the loop looks the function up here at run time).
_STAGE_FUNCS = {s.name: s.run for s in REGISTRY}
_TITLES = {s.name: s.title for s in REGISTRY}
_IGNORED = (DeprecationWarning, PendingDeprecationWarning, ResourceWarning)


@dataclass(frozen=True)
class StageOutcome:
    """What one stage produced (frozen).

    ``status`` is ``"ok"``, ``"warning"`` (a result shown is flagged: see the readings
    and table notes), ``"skipped"`` (prerequisite absent; ``reason`` says which) or
    ``"failed"`` (``reason`` is the error message, ``traceback`` the full trace).
    ``reason`` is stable English (machine-readable; the CLI summary); ``message``, if any, the
    same in the report language as the report shows it (a failure's error text is never translated).
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
    message: str = ""

    @property
    def shown_reason(self) -> str:
        """What the report shows after the status word: ``message``, else ``reason``."""
        return self.message or self.reason

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
        shown = {"message": self.shown_reason} if self.reason else {}  # skipped/failed: as shown
        return {"name": self.name, "title": self.title, "status": self.status,
                "seconds": round(self.seconds, 3), "reason": self.reason, **shown,
                "traceback": self.traceback, "readings": list(self.readings),
                "notes": list(self.notes), "numbers": jsonable(self.numbers),
                "tables": {t.name: jsonable(t.to_dict()) for t in self.tables},
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
        label = self.footer.get("label", "spatialnqpf report")
        lines = [f"{label} -> {self.out_dir} ({self.seconds:.1f} s)"]
        for name, p in self.footer.get("prerequisites", {}).items():
            extra = f": {p['reason']}" if p.get("reason") else ""
            lines.append(f"  {name:<16} {p['status']:<8} {p['seconds']:6.1f} s  "
                         f"prerequisite, outputs not written{extra}")
        for s in self.stages:
            extra = f": {s.reason}" if s.reason else ""
            lines.append(f"  {s.name:<16} {s.status:<8} {s.seconds:6.1f} s  "
                         f"{len(s.tables)} table(s), {len(s.figures)} figure(s){extra}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def run_stage(state: State, name: str) -> StageOutcome:
    """Run one stage inside its failure boundary and return its outcome."""
    title = _TITLES[name][state.lang]
    t0 = time.perf_counter()
    n_notes = len(state.notes)

    def notes():
        return tuple(dict.fromkeys(state.notes[n_notes:]))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = _STAGE_FUNCS[name](state)
        if not isinstance(out, StageOutput):
            raise TypeError(f"stage {name!r} returned {type(out).__name__}, not StageOutput")
        extra = tuple(dict.fromkeys(
            state.text(COMMON_TEXT, "run_warning", err=f"{w.category.__name__}: {w.message}")
            for w in caught if not issubclass(w.category, _IGNORED) and "Glyph" not in str(w.message)))
        return StageOutcome(name, title, out.status, time.perf_counter() - t0, tables=out.tables,
                            figures=out.figures, readings=out.readings, numbers=out.numbers,
                            notes=tuple(dict.fromkeys(notes() + tuple(out.notes) + extra)))
    except Skip as s:
        return StageOutcome(name, title, "skipped", time.perf_counter() - t0, reason=str(s),
                            notes=notes(), message=state.units(s.message(state.lang)) if s.text else "")
    except Exception as exc:
        if name == "data":
            raise  # no data, no report: user errors (unknown province, missing cells) go to the caller
        return StageOutcome(name, title, "failed", time.perf_counter() - t0,
                            reason=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc(),
                            notes=notes())


def _prepare(config, out, data, lang, stages, figures=True):
    """Configuration, the run state and the stage names to run."""
    from .fonts import setup_language
    cfg = config if isinstance(config, ReportConfig) else load_config(config)
    if data is not None:
        cfg = ReportConfig(dict(cfg.settings, data=dict(cfg.settings["data"], file=str(Path(data).resolve()))),
                           cfg.source, cfg.base_dir)
    if lang is not None:
        cfg = cfg.replace(output={"lang": lang})
    want = (list(default_stages(cfg)) if stages is None
            else ["data"] + [s for s in stages if s != "data"])
    bad = [s for s in want if s not in STAGES]
    if bad:
        raise ValueError(f"unknown stage(s) {bad}; stages are {list(STAGES)}")
    fig_lang, font = cfg.lang, None
    if figures:
        fig_lang, font = setup_language(cfg.lang, extra_paths=[p for p in [cfg.get("fonts", "path")] if p])
    state = State(cfg, Path(out), cfg.lang, fig_lang, progress=False, figures=figures)
    state.stages = tuple(want)
    if fig_lang != cfg.lang:
        state.notes.append(state.t("未找到中文字体：图中文字为英文（安装 fonts-noto-cjk 或设置 [fonts] path）",
                                   "no CJK font found: figure labels are in English"))
    return cfg, state, want, font


def _loop(state: State, want, progress, write=None) -> list:
    """Run the stages ``want``; a stage not in ``write`` (a prerequisite) draws no figure."""
    bar = progress if isinstance(progress, Progress) else Progress(
        bool(progress), "spatialnqpf report", len(want))
    outcomes = []
    figures = state.figures
    for name in want:
        prereq = write is not None and name not in write
        label = f"{name} (prerequisite)" if prereq else name
        bar.show(label)
        state.on_step = lambda text, label=label: bar.show(f"{label}: {text}")
        state.figures = figures and not prereq
        try:
            outcomes.append(run_stage(state, name))
        finally:
            state.figures = figures
            state.on_step = None
        bar.done()
    if not isinstance(progress, Progress):
        bar.close()
    return outcomes


def run_stages(config: ReportConfig | str | Path | None = None, *, data=None, lang: str | None = None,
               stages=None, figures: bool = False, out=None) -> tuple:
    """Run the stages and return their :class:`StageOutcome` objects without writing a report.

    With ``figures=False`` (default) no figure is drawn and nothing is written; the
    tables, readings and numbers are those of :func:`build_report`.
    """
    import matplotlib
    import tempfile
    with matplotlib.rc_context(), tempfile.TemporaryDirectory() as tmp:
        cfg, state, want, _ = _prepare(config, out or tmp, data, lang, stages, figures=figures)
        return tuple(_loop(state, want, progress=False))


def build_report(config: ReportConfig | str | Path | None = None, out="spatialnqpf-report", *,
                 data=None, lang: str | None = None, stages=None, progress: bool = True,
                 write=None, label: str | None = None) -> ReportResult:
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
        Subset of :data:`STAGES` (``"data"`` always runs; the others read what the
        stages they require produced: see ``Stage.requires`` in
        :mod:`spatialnqpf.report.stages`).
    progress : bool
        Show a tqdm progress bar on stderr: one step per stage and per writing phase
        (tables, results.json, report.html, report.md, report.docx), the file being
        written named after the bar.
    write : sequence of str, optional
        Stages whose outputs are written (default: every stage run).  The others are
        prerequisites: they run without figures, their tables and readings are not
        written, and their status is recorded in ``footer["prerequisites"]``.  The
        data stage (what was read, dropped or imputed) is always written.  The
        single-stage commands (``spatialnqpf moran`` ...) pass their own stage.
    label : str, optional
        Text of the progress bar (default ``"spatialnqpf report"``).

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

    # fonts and styles are set for the report only: the caller's rcParams are restored after
    with matplotlib.rc_context():
        return _build(config, out, data, lang, stages, progress, write, label)


def _build(config, out, data, lang, stages, progress, write=None, label=None) -> ReportResult:

    t0 = time.perf_counter()
    cfg, state, want, font = _prepare(config, out, data, lang, stages)
    lang, fig_lang = state.lang, state.fig_lang
    out = state.out
    out.mkdir(parents=True, exist_ok=True)
    state.progress = progress
    shown = None if write is None else {"data", *write}
    formats = list(cfg.get("output", "formats"))
    phases = [ph for ph in WRITE_PHASES if ph != "report.docx" or "docx" in formats]
    bar = Progress(bool(progress), label or "spatialnqpf report", len(want) + len(phases))
    timings = {"stages": {}, "figures": 0.0, "writing": {}}
    try:
        all_outcomes = _loop(state, want, bar, write=shown)
        timings["stages"] = {o.name: round(o.seconds, 3) for o in all_outcomes}
        timings["figures"] = round(state.figure_seconds, 3)
        outcomes = [o for o in all_outcomes if shown is None or o.name in shown]
        prereq = {o.name: {"status": o.status, "seconds": round(o.seconds, 3), "reason": o.reason}
                  for o in all_outcomes if shown is not None and o.name not in shown}
        for name, o in prereq.items():
            if o["status"] == "failed":  # (a failure's reason is the error text, never translated)
                state.notes.append(state.text(COMMON_TEXT, "prerequisite_failed", name=name,
                                              title=_TITLES[name][state.lang], reason=o["reason"]))

        def phase(name):
            bar.show(f"writing {name}")
            return time.perf_counter()

        def end(name, t):
            timings["writing"][name] = round(time.perf_counter() - t, 3)
            bar.done()

        t = phase("tables")
        blocks = None
        if "docx" in formats:
            try:
                from .writers import table_blocks
                blocks = table_blocks(outcomes)  # each Word table built once, copied into three files
            except ImportError:
                blocks = None
        files = write_tables(out, outcomes, formats, lang, state.notes, blocks=blocks,
                             on_step=lambda text: bar.show(f"writing {text}"))
        end("tables", t)
        footer = {
            "generated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "seconds": time.perf_counter() - t0, "seed": cfg.seed, "lang": lang, "figure_lang": fig_lang,
            "font": font, "versions": versions(), "config": cfg.to_dict(), "config_source": cfg.source,
            "data": {"source": state.data.source, "sha256": state.data.checksum},
            "command": " ".join(sys.argv) if sys.argv else "", "notes": list(state.notes),
            "timings": timings, "label": label or "spatialnqpf report",
        }
        if prereq:
            footer["prerequisites"] = prereq
        t = phase("results.json")
        results = {"footer": footer, "stages": {s.name: s.to_dict() for s in outcomes}}
        (out / "results.json").write_text(json.dumps(jsonable(results), ensure_ascii=False, indent=1),
                                          encoding="utf-8")
        end("results.json", t)
        t = phase("report.html")
        (out / "report.html").write_text(html_report(lang, outcomes, footer), encoding="utf-8")
        end("report.html", t)
        t = phase("report.md")
        (out / "report.md").write_text(md_report(lang, outcomes, footer), encoding="utf-8")
        (out / "config_used.toml").write_text(cfg.to_toml(), encoding="utf-8")
        end("report.md", t)
        if "docx" in formats:
            t = phase("report.docx")
            try:
                docx_report(lang, outcomes, footer, out / "report.docx", blocks=blocks)
            except ImportError:
                pass  # python-docx absent: already noted by _write_tables
            end("report.docx", t)
    finally:
        bar.close()
    footer["seconds"] = time.perf_counter() - t0
    return ReportResult(out_dir=out, stages=tuple(outcomes), footer=footer,
                        files={"tables": files, "html": out / "report.html", "md": out / "report.md",
                               "json": out / "results.json"}, seconds=footer["seconds"])
