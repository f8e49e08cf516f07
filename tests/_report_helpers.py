"""Helpers of the report-stage tests: a flagged result, tables by name, their numbers."""
from __future__ import annotations

import numpy as np

from spatialnqpf._results import Flag


class Flagged:
    """A real result object with a flag added: delegates every attribute to ``res`` and
    reports one ``degenerate_se`` flag (for tests of how flagged fits are reported)."""

    flags = (Flag("degenerate_se", "test flag"),)

    def __init__(self, res):
        self._res = res

    def __getattr__(self, name):
        return getattr(self._res, name)


def table(out, name):
    """The one table called ``name`` of a stage outcome (fails if absent or duplicated)."""
    (t,) = [t for t in out.tables if t.name == name]
    return t


def values(t) -> np.ndarray:
    """The cell values of a report table as floats (NaN for text cells)."""
    return np.array([[np.nan if c.value is None else c.value for c in r.cells]
                     for r in t.rows], dtype=float)
