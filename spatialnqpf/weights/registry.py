"""The registry of spatial weight builders: kind → builder, recipe ↔ arguments, zh/en label.

One :class:`WBuilder` per kind of matrix (the ``kind`` of its :class:`Recipe`).  It is
the one place that knows

* how to build the matrix from the options of a report configuration
  (``[weights]`` section: ``islands``, ``k``, ``economic_variable``, ``phi``), used by the
  report's weights stage and the CLI (:func:`build`, :data:`CONFIG_KINDS`);
* how to rebuild it from its recipe (:meth:`Recipe.rebuild` looks the kind up here);
* its label in Chinese and English (tables, readings, figure legends).

Adding a builder: write the function in :mod:`spatialnqpf.weights._api` (it returns a
:class:`WeightsGraph` with a :class:`Recipe` of a new ``kind``), then add one
:class:`WBuilder` line to :data:`BUILDERS` below.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Mapping

import pandas as pd

from .._validation import SpatialNQPFError
from . import _api
from .recipe import Recipe, register_rebuilder

__all__ = ["WBuilder", "BUILDERS", "CONFIG_KINDS", "build", "builder", "label"]


@dataclass(frozen=True)
class WBuilder:
    """How to build, rebuild and name one kind of weights matrix.

    Attributes
    ----------
    kind : str
        The :attr:`Recipe.kind` (and the name used in ``[weights] matrices``).
    label : mapping
        ``{"zh": ..., "en": ...}``.
    from_options : callable or None
        ``from_options(ids, data, options) -> WeightsGraph``: ``ids`` the units of the
        data, ``data`` the long frame (``code``, ``year``), ``options`` the ``[weights]``
        section.  None for kinds a configuration cannot ask for (files, plain graphs).
    from_recipe : callable or None
        ``from_recipe(recipe) -> WeightsGraph`` (same ids and parameters); None when the
        weights are not described by parameters (matrices read from files).
    """

    kind: str
    label: Mapping
    from_options: Callable | None
    from_recipe: Callable | None


def _economic_of(ids, data, options):
    var = options["economic_variable"]
    if var not in data.columns:
        raise SpatialNQPFError(f"[weights] economic_variable {var!r} is not a column of the data")
    return _api.economic(values=data, column=var, id="code", time="year", ids=ids)


def _level(options) -> str:
    """Spatial level of the units: ``options["level"]`` (the report passes ``[data] level``)."""
    return options.get("level", "province") if isinstance(options, Mapping) else "province"


def _means(recipe: Recipe) -> pd.Series:
    return pd.Series({m[0]: m[1] for m in recipe.param("means")})


def _contiguity_recipe(recipe: Recipe):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pts = recipe.points if recipe.points in ("capitals", "centroids") else None
        return _api.contiguity(ids=list(recipe.ids), level=recipe.level, rook=recipe.param("rook"),
                               islands=recipe.islands, points=pts,
                               standardize=recipe.standardization)


def _points_of(recipe: Recipe):
    coords = recipe.param("coordinates")
    if coords is not None:
        return {c[0]: (c[1], c[2]) for c in coords}, "province"
    return ("capitals" if recipe.points.startswith("capitals") else "centroids"), recipe.level


def _distance_recipe(recipe: Recipe):
    pts, lvl = _points_of(recipe)
    return _api.distance(ids=list(recipe.ids), points=pts, decay=recipe.param("transform"),
                         power=recipe.param("power", 1.0), cutoff=recipe.param("cutoff"),
                         bandwidth=recipe.param("bandwidth"), level=lvl,
                         standardize=recipe.standardization)


def _knn_recipe(recipe: Recipe):
    pts, lvl = _points_of(recipe)
    return _api.knn(ids=list(recipe.ids), k=recipe.param("k"), points=pts, level=lvl,
                    standardize=recipe.standardization)


def _economic_recipe(recipe: Recipe):
    return _api.economic(values=_means(recipe), ids=list(recipe.ids),
                         standardize=recipe.standardization)._with_recipe_params(recipe)


def _nested_recipe(recipe: Recipe):
    a, b = (c.rebuild() for c in recipe.components)
    return _api.nested(w_geo=a, w_econ=b, phi=recipe.param("phi"), standardize=recipe.standardization)


def _econ_geo_recipe(recipe: Recipe):
    a = recipe.components[0].rebuild()
    return _api.economic_geographic(w_dist=a, values=_means(recipe), standardize=recipe.standardization
                                    )._with_recipe_params(recipe)


def _econ_geo_options(ids, data, options):
    var = options["economic_variable"]
    if var not in data.columns:
        raise SpatialNQPFError(f"[weights] economic_variable {var!r} is not a column of the data")
    return _api.economic_geographic(w_dist=_api.distance(ids=ids, level=_level(options)), values=data,
                                    column=var, id="code", time="year")


#: Every kind of weights matrix, in the order the report lists them.
BUILDERS: Mapping[str, WBuilder] = {b.kind: b for b in (
    WBuilder("contiguity", {"zh": "邻接矩阵", "en": "Contiguity"},
             lambda ids, data, o: _api.contiguity(ids=ids, islands=o["islands"], level=_level(o)),
             _contiguity_recipe),
    WBuilder("distance", {"zh": "地理距离矩阵", "en": "Inverse distance"},
             lambda ids, data, o: _api.distance(ids=ids, level=_level(o)), _distance_recipe),
    WBuilder("knn", {"zh": "k 近邻矩阵", "en": "k nearest neighbours"},
             lambda ids, data, o: _api.knn(ids=ids, k=o["k"], level=_level(o)), _knn_recipe),
    WBuilder("economic", {"zh": "经济距离矩阵", "en": "Economic distance"},
             _economic_of, _economic_recipe),
    WBuilder("nested", {"zh": "经济地理嵌套矩阵", "en": "Nested economic-geographic"},
             lambda ids, data, o: _api.nested(w_geo=_api.distance(ids=ids, level=_level(o)),
                                              w_econ=_economic_of(ids, data, o),
                                              phi=o["phi"]), _nested_recipe),
    WBuilder("economic_geographic", {"zh": "经济地理矩阵", "en": "Economic-geographic"},
             _econ_geo_options, _econ_geo_recipe),
    WBuilder("file", {"zh": "文件读入的矩阵", "en": "Read from a file"}, None, None),
    WBuilder("graph", {"zh": "用户提供的矩阵", "en": "User graph"}, None, None),
)}

#: Kinds a report configuration may list in ``[weights] matrices``.
CONFIG_KINDS = tuple(k for k, b in BUILDERS.items() if b.from_options is not None)


def builder(kind: str) -> WBuilder:
    """The :class:`WBuilder` of ``kind``; a named error listing the kinds otherwise."""
    try:
        return BUILDERS[kind]
    except (KeyError, TypeError):
        raise SpatialNQPFError(f"unknown weight matrix {kind!r}; kinds: {', '.join(BUILDERS)}") from None


def label(kind: str, lang: str = "en") -> str:
    """zh/en label of ``kind`` (the kind itself when unknown)."""
    b = BUILDERS.get(kind)
    return b.label[lang] if b is not None else str(kind)


def build(kind: str, ids, data: pd.DataFrame, options: Mapping):
    """Build the ``kind`` matrix for ``ids`` from report options (``[weights]`` section)."""
    b = BUILDERS.get(kind)
    if b is None or b.from_options is None:
        raise SpatialNQPFError(f"unknown weight matrix {kind!r} in [weights] matrices; "
                               f"use {', '.join(CONFIG_KINDS)}")
    return b.from_options(ids, data, options)


def _rebuild(recipe: Recipe):
    b = BUILDERS.get(recipe.kind)
    if b is None or b.from_recipe is None:
        raise SpatialNQPFError(f"a {recipe.kind!r} matrix cannot be rebuilt from its recipe (its "
                               "weights are not described by parameters); read it from its file "
                               "instead")
    return b.from_recipe(recipe)


register_rebuilder(_rebuild)
