"""Behaviour unchanged: the refactored report reproduces every recorded number.

Reference: ``tests/reference/report_snapshot.json``, recorded by
``tests/reference/report_snapshot.py`` from the default ``spatialnqpf report`` of the
tree *before* the report was split into stage modules (issue 11).  The stages are run
here without figures (:func:`spatialnqpf.report.builder.run_stages`); every number
(index weights and scores, Moran's I, Dagum and Theil components, Markov matrices,
β-convergence, model coefficients and standard errors, specification tests) must
equal the recorded value to 1e-9 relative.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "reference"))
import report_snapshot  # noqa: E402

from spatialnqpf.report.builder import run_stages  # noqa: E402


@pytest.fixture(scope="module")
def stages():
    return run_stages(None)


def test_every_recorded_number_is_reproduced(stages):
    recorded = json.loads(report_snapshot.SNAPSHOT.read_text(encoding="utf-8"))["numbers"]
    assert len(recorded) > 1000
    now = report_snapshot.extract({s.name: s.numbers for s in stages})
    bad = report_snapshot.compare(recorded, now, rtol=1e-9)
    assert not bad, f"{len(bad)} number(s) changed:\n" + "\n".join(bad[:30])


def test_compare_can_fail():
    """The comparison is not vacuous: a change of 1e-8 relative or a missing key is reported."""
    ref = {"a": 1.0, "b": 2.0, "c": None}
    assert report_snapshot.compare(ref, {"a": 1.0, "b": 2.0, "c": None}) == []
    assert len(report_snapshot.compare(ref, {"a": 1.0 + 1e-8, "b": 2.0, "c": None})) == 1
    assert len(report_snapshot.compare(ref, {"a": 1.0, "c": 0.0})) == 2


def test_stages_without_figures_draw_none(stages):
    assert all(s.status == "ok" for s in stages), [(s.name, s.status, s.reason) for s in stages]
    assert all(not s.figures for s in stages)
