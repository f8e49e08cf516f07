"""A real result object with a flag added, for tests of how flagged fits are reported."""
from __future__ import annotations

from spatialnqpf._results import Flag


class Flagged:
    """Delegates every attribute to ``res`` and reports one ``degenerate_se`` flag."""

    flags = (Flag("degenerate_se", "test flag"),)

    def __init__(self, res):
        self._res = res

    def __getattr__(self, name):
        return getattr(self._res, name)
