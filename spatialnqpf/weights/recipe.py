"""Frozen construction recipe carried by every spatialnqpf weights graph.

A :class:`Recipe` records how a matrix was built (builder, parameters, island
rule and the links it added, standardisation, source of coordinates, ids and
the versions of the software), prints as a short block of text for reports,
and round-trips through JSON (:meth:`Recipe.to_json` / :meth:`Recipe.from_json`)
so that a matrix can be rebuilt from its description (:meth:`Recipe.rebuild`).
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any, Mapping

__all__ = ["Recipe"]


def _freeze(value: Any) -> Any:
    """Turn lists/dicts (e.g. from JSON) into hashable tuples, recursively."""
    if isinstance(value, Mapping):
        return tuple((str(k), _freeze(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (AttributeError, ValueError):
            pass
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def _versions() -> tuple[str, str]:
    import libpysal

    from .. import __version__

    return str(__version__), str(libpysal.__version__)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How a spatial weights matrix was built (immutable).

    Attributes
    ----------
    kind : str
        Builder: ``"contiguity"``, ``"distance"``, ``"knn"``, ``"economic"``,
        ``"nested"``, ``"economic_geographic"`` or ``"file"`` (read from disk).
    level : str
        ``"province"`` or ``"city"`` (``"custom"`` for user points/files).
    params : tuple of (name, value)
        Builder parameters (e.g. ``(("rook", False),)``), in call order.
    standardization : str
        ``"row"``, ``"spectral"`` or ``"none"``.
    ids : tuple of int
        Region codes, in the matrix's order.
    points : str or None
        Source of coordinates (``"capitals"``, ``"centroids (...)"``,
        ``"user"``) for distance-based matrices.
    islands : str or None
        Island rule of a contiguity matrix (``"guangdong"``, ...).
    islands_found : tuple of int
        Units that had no neighbour before the island rule was applied.
    links : tuple of (int, int)
        Links added by the island rule (undirected pairs).
    scale : float or None
        Divisor of a spectral standardisation (largest absolute eigenvalue of
        the unstandardised matrix).
    components : tuple of Recipe
        Recipes of the inputs of a combined matrix (nested, economic-geographic).
    notes : tuple of str
        Anything else a reader must know (warnings issued while building).
    package_version, libpysal_version : str
        Versions used to build.
    """

    kind: str
    level: str = "province"
    params: tuple = ()
    standardization: str = "row"
    ids: tuple = ()
    points: str | None = None
    islands: str | None = None
    islands_found: tuple = ()
    links: tuple = ()
    scale: float | None = None
    components: tuple = ()
    notes: tuple = ()
    package_version: str = ""
    libpysal_version: str = ""

    def __post_init__(self):
        for f in ("params", "ids", "islands_found", "links", "notes"):
            object.__setattr__(self, f, _freeze(getattr(self, f)))
        comps = tuple(c if isinstance(c, Recipe) else Recipe.from_dict(c) for c in self.components)
        object.__setattr__(self, "components", comps)
        if not self.package_version or not self.libpysal_version:
            pv, lv = _versions()
            if not self.package_version:
                object.__setattr__(self, "package_version", pv)
            if not self.libpysal_version:
                object.__setattr__(self, "libpysal_version", lv)

    # -- convenience ---------------------------------------------------------
    def param(self, name: str, default: Any = None) -> Any:
        """Value of parameter ``name`` (``default`` if absent)."""
        for k, v in self.params:
            if k == name:
                return v
        return default

    def replace(self, **changes) -> "Recipe":
        """A new recipe with ``changes`` applied (this one is unchanged)."""
        return dataclasses.replace(self, **changes)

    # -- text ----------------------------------------------------------------
    @property
    def name(self) -> str:
        """One-line label for tables, e.g. ``"queen contiguity (Hainan rule guangdong), row"``."""
        k = self.kind
        if k == "contiguity":
            base = ("rook" if self.param("rook") else "queen") + " contiguity"
            if self.islands is not None:
                base += f" (island rule {self.islands})"
        elif k == "distance":
            t = self.param("transform")
            if t == "inverse":
                p = self.param("power", 1.0)
                base = "inverse distance" + ("" if p == 1 else f"^{p:g}")
            elif t == "exponential":
                base = f"exp(-d/{self.param('bandwidth'):g} km)"
            else:
                base = "distance band"
            if self.param("cutoff") is not None:
                base += f", cutoff {self.param('cutoff'):g} km"
            src = (self.points or "").split(" ")[0]
            if src:
                base += f", {src}"
        elif k == "knn":
            base = f"{self.param('k')} nearest neighbours"
        elif k == "economic":
            base = "economic distance" + (f" ({self.param('column')})" if self.param("column") else "")
        elif k == "nested":
            base = f"nested {self.param('phi'):g}*[{self.components[0].name}] + " \
                   f"{1 - self.param('phi'):g}*[{self.components[1].name}]"
        elif k == "economic_geographic":
            base = f"economic-geographic [{self.components[0].name}] x diag(Ybar_j/Ybar)"
        else:
            base = k
        return f"{base}, {self.standardization}"

    def __str__(self) -> str:
        return self.describe()

    def describe(self, indent: str = "") -> str:
        """Human-readable multi-line description (used in reports)."""
        pars = ", ".join(f"{k}={_short(v)}" for k, v in self.params if k not in _LONG_PARAMS)
        lines = [f"{indent}{self.kind} weights ({self.level}, n={len(self.ids)})"]
        if pars:
            lines.append(f"{indent}  parameters: {pars}")
        if self.points:
            lines.append(f"{indent}  coordinates: {self.points}")
        if self.islands is not None:
            lines.append(f"{indent}  island rule: {self.islands}; islands found: "
                         f"{list(self.islands_found) or 'none'}; links added: "
                         f"{[tuple(x) for x in self.links] or 'none'}")
        std = self.standardization
        if std == "spectral" and self.scale is not None:
            std += f" (divided by {self.scale:.10g})"
        lines.append(f"{indent}  standardisation: {std}")
        for c in self.components:
            lines.append(f"{indent}  component:")
            lines.append(c.describe(indent + "    "))
        for n in self.notes:
            lines.append(f"{indent}  note: {n}")
        lines.append(f"{indent}  built with spatialnqpf {self.package_version}, "
                     f"libpysal {self.libpysal_version}")
        return "\n".join(lines)

    # -- serialisation ---------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain dict (lists instead of tuples) suitable for JSON."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name == "components":
                out[f.name] = [c.to_dict() for c in v]
            elif f.name == "params":
                out[f.name] = [[k, _thaw(x)] for k, x in v]
            else:
                out[f.name] = _thaw(v)
        return out

    @classmethod
    def from_dict(cls, d: Mapping) -> "Recipe":
        """Inverse of :meth:`to_dict`."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown recipe field(s): {sorted(unknown)}")
        d = dict(d)
        if "params" in d:
            d["params"] = tuple((str(k), _freeze(v)) for k, v in d["params"])
        return cls(**d)

    def to_json(self) -> str:
        """JSON text; ``Recipe.from_json(r.to_json()) == r``."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Recipe":
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    def rebuild(self):
        """Build the matrix again from this recipe (same ids, same parameters).

        Raises
        ------
        ValueError
            For matrices read from files (``kind="file"``), whose weights are
            not described by a recipe.
        """
        if _REBUILD is None:  # pragma: no cover - spatialnqpf.weights registers it on import
            raise RuntimeError("no weights registry: import spatialnqpf.weights")
        return _REBUILD(self)


#: The rebuild function of :mod:`spatialnqpf.weights.registry` (registered on import, so
#: that this module, which the builders import, never imports them back).
_REBUILD = None


def register_rebuilder(fn) -> None:
    """Install ``fn(recipe) -> WeightsGraph`` as the rebuild of every :class:`Recipe`."""
    global _REBUILD
    _REBUILD = fn


_LONG_PARAMS = {"means", "coordinates"}


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."
