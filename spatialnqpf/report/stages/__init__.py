"""The stages of ``spatialnqpf report``, one module each, and their registry.

:data:`REGISTRY` lists the stages in run order; the builder
(:func:`spatialnqpf.report.build_report`) loops over it and the CLI derives its
single-stage commands (``spatialnqpf moran`` ...) and the stages each needs first
(:func:`with_requirements`) from it.  Adding a stage = one new module here defining
``STAGE`` (:class:`~._base.Stage`) plus one line in :data:`REGISTRY`.
"""
from __future__ import annotations

from . import autocorrelation, data, dynamics, impact, index, inequality, models, weights
from . import patterns
from ._base import FigureRecord, Skip, Stage, StageOutput, State

__all__ = ["REGISTRY", "STAGES", "Stage", "StageOutput", "State", "Skip", "FigureRecord", "get",
           "commands", "with_requirements", "default_stages"]

#: Every stage, in run order.
REGISTRY: tuple = (
    data.STAGE,
    index.STAGE,
    weights.STAGE,
    autocorrelation.STAGE,
    inequality.STAGE,
    dynamics.STAGE,
    models.STAGE,
    patterns.STAGE,
    impact.STAGE,
)

#: Stage names in run order (``spatialnqpf report --stages`` takes a subset).
STAGES = tuple(s.name for s in REGISTRY)
_BY_NAME = {s.name: s for s in REGISTRY}


def get(name: str) -> Stage:
    """The :class:`Stage` called ``name``."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown stage {name!r}; stages are {list(STAGES)}") from None


def commands() -> dict:
    """``{CLI command: Stage}`` for every stage that has a single-stage command."""
    return {s.command: s for s in REGISTRY if s.command}


def with_requirements(names) -> tuple:
    """``names`` and every stage they require (transitively), in run order."""
    want, todo = set(), list(names)
    while todo:
        s = get(todo.pop())
        if s.name not in want:
            want.add(s.name)
            todo.extend(s.requires)
    return tuple(n for n in STAGES if n in want)


def default_stages(config) -> tuple:
    """Stage names a full report runs under ``config``: every stage, less the optional ones
    (``Stage.enabled``) that the configuration does not turn on."""
    return tuple(s.name for s in REGISTRY if s.enabled is None or s.enabled(config))
