"""Spatial regression models: cross-section and panel ML estimators, tests, effects.

Public entry points: :func:`spatial_cross_section` and :func:`spatial_panel`.
"""
from __future__ import annotations


def spatial_cross_section(*args, **kwargs):
    """Fit a cross-section spatial model; see :mod:`spatialnqpf.models.cross_section`."""
    from .cross_section import spatial_cross_section as _f
    return _f(*args, **kwargs)


def spatial_panel(*args, **kwargs):
    """Fit a spatial panel model; see :mod:`spatialnqpf.models.panel`."""
    from .panel import spatial_panel as _f
    return _f(*args, **kwargs)
