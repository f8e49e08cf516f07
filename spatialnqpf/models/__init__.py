"""Spatial regression models: cross-section and panel ML estimators, tests, effects.

Entry points
------------
:func:`spatial_cross_section`
    OLS, SLX, SAR, SEM, SDM, SDEM, SAC by maximum likelihood (checked against R spatialreg).
:func:`spatial_panel`
    Panel models with individual, time or two-way fixed effects and the Lee–Yu correction.
:func:`specification_search`, :func:`robustness`
    Elhorst's testing sequence, and one model under several weight matrices side by side
    (both loops over :meth:`ModelSpec.replace`; every result keeps its ``spec``).
:func:`compare`
    Results side by side (coefficients with stars, SEs, N, log-likelihood, R², FE rows).
Tests: :func:`lm_tests` (cross-section Anselin LM), :func:`panel_lm_tests`,
:func:`lr_fixed_effects`, :func:`sdm_tests`, :func:`hausman`.

Submodules are imported on first use so that ``import spatialnqpf.models`` is cheap.

Method notes: ``docs/methods/models.md`` §5-§6 (formulas and conventions);
the peers' defects it avoids: ``docs/anchors.md``.
"""
from __future__ import annotations

import importlib

_LAZY = {
    "spatial_cross_section": "cross_section",
    "lm_tests": "cross_section",
    "spatial_panel": "panel",
    "prepare_panel": "panel",
    "specification_search": "specification",
    "robustness": "specification",
    "panel_lm_tests": "_panel_tests",
    "lr_fixed_effects": "_panel_tests",
    "sdm_tests": "_panel_tests",
    "hausman": "_panel_tests",
    "SpatialResults": "results",
    "ModelSpec": "spec",
    "compare": "comparison",
    "ComparisonResult": "comparison",
    "LogDet": "_logdet",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
