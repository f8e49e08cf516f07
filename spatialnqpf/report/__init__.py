"""Reports: publication tables, figures and the HTML/Markdown report (no estimation here).

:func:`build_report` runs the whole analysis (what ``spatialnqpf report`` does): the
stages of :mod:`.stages` in the order of their registry, then the writers of
:mod:`.writers`.  :func:`regression_table` and :func:`frame_table` make journal-layout
tables that :func:`write_table` writes as LaTeX, Word, Excel, CSV, HTML and Markdown.
Plotting helpers live in :mod:`.maps`, :mod:`.plot_autocorrelation` and
:mod:`.plot_inequality`; figure saving in :mod:`.figures`.  Submodules are imported on
first use.
"""
from __future__ import annotations

__all__ = sorted(["build_report", "run_stages", "regression_table", "frame_table", "write_table",
                  "write_workbook", "write_document"])


def __getattr__(name):
    if name in ("build_report", "run_stages"):
        from . import builder
        return getattr(builder, name)
    if name in __all__:
        from . import tables
        return getattr(tables, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
