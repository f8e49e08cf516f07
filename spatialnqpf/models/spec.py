"""Model specifications: an estimator and its keyword arguments, frozen, refittable.

Every result of :func:`~spatialnqpf.models.spatial_panel` and
:func:`~spatialnqpf.models.spatial_cross_section` keeps the :class:`ModelSpec` that produced
it (``res.spec``), so that a result can be refitted with one argument changed::

    res = spatial_panel(panel, "y", ["x1", "x2"], w, model="sdm", fe="twoways")
    sar = res.spec.replace(model="sar").fit()            # same data, W, FE, seed, ...
    under_knn = res.spec.replace(w=w_knn).fit()

:func:`~spatialnqpf.models.robustness` and :func:`~spatialnqpf.models.specification_search`
are loops over ``spec.replace(...)``.  A spec names its estimator by the function itself (no
import of the estimators here, so that this module sits below them in the import graph).
"""
from __future__ import annotations

import inspect
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

__all__ = ["ModelSpec"]


def _describe(v) -> str:
    shape = getattr(v, "shape", None)
    if shape is not None and hasattr(v, "columns"):
        return f"<{type(v).__name__} {shape[0]}x{shape[1]}>"
    if hasattr(v, "unique_ids") or hasattr(v, "sparse"):
        n = getattr(v, "n", None)
        return f"<{type(v).__name__}{'' if n is None else f' n={n}'}>"
    return repr(v)


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """A frozen estimator call: ``estimator(**arguments)``.

    Parameters
    ----------
    estimator : callable
        A public estimator of :mod:`spatialnqpf.models` (``spatial_panel``,
        ``spatial_cross_section``) or any function taking keyword arguments.
    arguments : mapping
        Its keyword arguments, data and weights included (stored as a read-only mapping;
        every name is checked against the estimator's signature).  The data frame and the
        weights are referenced, not copied: a frame changed in place after the fit changes
        what :meth:`fit` refits.

    Examples
    --------
    >>> spec = ModelSpec(spatial_panel, {"data": panel, "y": "y", "x": ["x"], "w": w,
    ...                                  "model": "sar"})            # doctest: +SKIP
    >>> res = spec.fit(); res.spec is not None                       # doctest: +SKIP
    >>> spec.replace(model="sdm").fit()                              # doctest: +SKIP
    """

    estimator: Callable
    arguments: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if not callable(self.estimator):
            raise TypeError(f"estimator must be callable, got {self.estimator!r}")
        args = dict(self.arguments)
        self._check_names(args)
        object.__setattr__(self, "arguments", types.MappingProxyType(args))

    def _check_names(self, names) -> None:
        params = inspect.signature(self.estimator).parameters
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return
        unknown = [n for n in names if n not in params]
        if unknown:
            raise TypeError(f"{self.name}() has no argument(s) {', '.join(map(repr, unknown))}; "
                            f"its arguments are {', '.join(params)}")

    @property
    def name(self) -> str:
        """Name of the estimator (``"spatial_panel"``, ...)."""
        return getattr(self.estimator, "__name__", repr(self.estimator))

    def __getitem__(self, key: str):
        return self.arguments[key]

    def get(self, key: str, default=None):
        """Argument ``key``, or ``default`` when the spec does not set it."""
        return self.arguments.get(key, default)

    def replace(self, **changes) -> "ModelSpec":
        """A new spec with some arguments changed (names checked against the estimator)."""
        self._check_names(changes)
        return ModelSpec(self.estimator, {**self.arguments, **changes})

    def fit(self):
        """Run the estimator on the stored arguments; the result keeps this spec (``.spec``)."""
        return self.estimator(**self.arguments)

    def __repr__(self):
        inner = ", ".join(f"{k}={_describe(v)}" for k, v in self.arguments.items())
        return f"ModelSpec({self.name}: {inner})"
