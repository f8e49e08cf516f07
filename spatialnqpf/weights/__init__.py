"""Spatial weights for Chinese provinces, prefecture-level cities and counties.

Every builder returns a :class:`WeightsGraph`: a libpysal
:class:`~libpysal.graph.Graph` keyed by region codes (ints) that carries a
frozen :class:`Recipe` (builder, parameters, island rule, standardisation,
coordinates, versions).  Downstream code aligns it to the data with
``spatialnqpf._validation.graph_to_sparse(w, ids)``.

Builders: :func:`contiguity`, :func:`distance`, :func:`knn`,
:func:`economic`, :func:`nested`, :func:`economic_geographic`;
:func:`standardize`; interchange :func:`read` / :func:`write` (GAL, GWT, CSV
edge list, dense CSV/Excel matrix, Stata ``spmatrix`` text, MATLAB .mat);
:func:`describe`; :data:`BUILDERS` (:mod:`.registry`): kind → builder, recipe ↔
arguments, zh/en label.

Method notes: ``docs/methods/weights.md`` §2 (formulas and conventions);
the peers' defects it avoids: ``docs/anchors.md``.
"""
from ._api import (EQUAL_AREA_CRS, ISLAND_RULES, contiguity, distance, economic,
                   economic_geographic, knn, nested, period_means, recipe_of, resolve_points,
                   standardize)
from ._builders import EARTH_RADIUS_KM, haversine
from ._graph import WeightsGraph, spectral_radius, standardize_matrix
from .describe import WeightsDescription, describe
from .io import FORMATS, read, write
from .recipe import Recipe
from .registry import BUILDERS, WBuilder

__all__ = [
    "contiguity", "distance", "knn", "economic", "nested", "economic_geographic",
    "standardize", "period_means", "resolve_points", "recipe_of", "describe", "read", "write",
    "WeightsGraph", "Recipe", "WeightsDescription", "haversine", "spectral_radius",
    "standardize_matrix", "BUILDERS", "WBuilder", "EARTH_RADIUS_KM", "EQUAL_AREA_CRS", "ISLAND_RULES", "FORMATS",
]
