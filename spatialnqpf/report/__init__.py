"""Reports: publication tables, figures and the HTML/Markdown report (no estimation here).

:func:`build_report` runs the whole analysis (what ``spatialnqpf report`` does);
:func:`regression_table` and :func:`frame_table` make journal-layout tables that
:func:`write_table` writes as LaTeX, Word, Excel, CSV, HTML and Markdown.
Plotting helpers live in :mod:`.maps`, :mod:`.plot_autocorrelation` and
:mod:`.plot_inequality`.  Submodules are imported on first use.
"""
from __future__ import annotations

import importlib

_LAZY = {
    "build_report": "builder",
    "regression_table": "tables",
    "frame_table": "tables",
    "write_table": "tables",
    "write_workbook": "tables",
    "write_document": "tables",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
