"""Composite indices: panel entropy weights, TOPSIS, CRITIC, obstacle degree and
coupling coordination, driven by a declared indicator system.

The NQPF (新质生产力) literature scores provinces with a composite index before
anything spatial happens, usually an "improved" (panel) entropy-weight TOPSIS
over technological, green and digital pillars.  This module makes that step
declared and reproducible:

* :class:`IndicatorSystem` -- pillars -> sub-pillars -> indicators (data
  column, direction, unit, zh/en labels), in code or from a TOML file; the
  demo system of the bundled panel (:func:`demo_system`, with
  :func:`demo_indicators` deriving its columns) and the full three-pillar
  template (:func:`template_system`) ship with the package.
* :func:`entropy_weights`, :func:`critic_weights`, :func:`combined_weights`,
  :func:`equal_weights` -- weights as pandas Series keyed by indicator.
* :func:`entropy_topsis` -- the whole index on a long (id, time) panel or a
  single cross-section, returning a frozen :class:`IndexResult` (weights,
  entropies, pillar weights, closeness and linear scores, ranks per year,
  pillar scores, missing-data report, :meth:`IndexResult.obstacles`,
  :meth:`IndexResult.coupling`).
* :func:`obstacle_degree` and :func:`coupling_coordination` as stand-alone
  functions.

Formulas and conventions: ``docs/methods/index.md`` §1.  No
library in the spatial stack implements the panel ("time variable added")
entropy method, obstacle degree or coupling coordination; generic MCDM
packages (pymcdm) lack the panel method, so the kernels are written here and
checked against pymcdm on cross-sections in the tests.

References
----------
.. [1] Yang and Sun (2015), the usual citation in the Chinese applied
   literature for the panel ("time variable added") entropy method.  The
   original was not available to check; the formulas implemented are those
   of docs/methods/index.md §1.1.
.. [2] Hwang, C. L. and Yoon, K. (1981). *Multiple Attribute Decision Making*.
   Springer (TOPSIS).
.. [3] Diakoulaki, D., Mavrotas, G. and Papayannakis, L. (1995). Determining
   objective weights in multiple criteria problems: the CRITIC method.
   *Computers & Operations Research* 22(7), 763-770.
.. [4] Lu Jiang et al. (2024), cited in issue 5: NQPF measured by an improved
   entropy-weight TOPSIS over technological, green and digital productive
   forces (the structure of :func:`template_system`; its indicator table was
   not transcribed).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

try:  # Python >= 3.11
    import tomllib as _toml
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as _toml

from ._results import Results
from ._validation import DataError, check_panel, format_values, require_columns

__all__ = [
    "IndexWarning", "Indicator", "Group", "IndicatorSystem",
    "load_system", "demo_system", "template_system", "demo_indicators",
    "entropy_weights", "critic_weights", "combined_weights", "equal_weights",
    "entropy_topsis", "IndexResult", "obstacle_degree", "ObstacleResult",
    "coupling_coordination", "CouplingResult", "COUPLING_LEVELS",
]

_SYSTEMS_DIR = Path(__file__).parent / "data" / "indicator_systems"


class IndexWarning(UserWarning):
    """Something the index did to the data that the user must know about
    (a zero-information indicator, imputed or dropped cells, undefined
    obstacle degrees)."""


# ---------------------------------------------------------------------------
# directions
# ---------------------------------------------------------------------------
_DIRECTION_ALIASES = {
    "+": 1, "-": -1, "+1": 1, "-1": -1, "positive": 1, "negative": -1,
    "benefit": 1, "cost": -1, "max": 1, "min": -1, "正": 1, "负": -1,
    "正向": 1, "负向": -1,
}


def _direction(value, name) -> int:
    """+1 or -1 from the accepted spellings; error naming ``name`` otherwise."""
    if isinstance(value, (bool, np.bool_)):
        raise DataError(f"unknown direction {value!r} for indicator {name!r}; "
                        "use +1/-1, '+'/'-', 'positive'/'negative' or 'benefit'/'cost'")
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (1, -1):
        return int(value)
    if isinstance(value, str) and value.strip().lower() in _DIRECTION_ALIASES:
        return _DIRECTION_ALIASES[value.strip().lower()]
    raise DataError(f"unknown direction {value!r} for indicator {name!r}; "
                    "use +1/-1, '+'/'-', 'positive'/'negative' or 'benefit'/'cost'")


def _parse_directions(directions) -> dict[str, int]:
    if isinstance(directions, IndicatorSystem):
        return directions.directions
    if directions is None:
        raise DataError("directions are required: a mapping {column: +1 or -1} "
                        "(or an IndicatorSystem); the index never guesses them")
    if isinstance(directions, pd.Series):
        directions = directions.to_dict()
    if not isinstance(directions, Mapping):
        raise TypeError(f"directions must be a mapping {{column: +1/-1}}, got {type(directions).__name__}")
    if len(directions) == 0:
        raise DataError("directions is empty: name at least one indicator")
    return {k: _direction(v, k) for k, v in directions.items()}


# ---------------------------------------------------------------------------
# pure numpy kernels (arrays in, arrays out)
# ---------------------------------------------------------------------------
def _standardise(X: np.ndarray, dirs: np.ndarray, normalize: str):
    """Directed min-max standardisation; returns (Z, constant mask, min, max)."""
    mn = X.min(axis=0)
    mx = X.max(axis=0)
    rng = mx - mn
    scale = np.maximum(np.abs(mx), np.abs(mn))
    const = rng <= 1e-14 * np.where(scale > 0, scale, 1.0)
    if normalize == "none":
        return X.copy(), const, mn, mx
    safe = np.where(const, 1.0, rng)
    Z = np.where(dirs > 0, (X - mn) / safe, (mx - X) / safe)
    Z[:, const] = 0.0
    return Z, const, mn, mx


def _entropy_kernel(Z: np.ndarray, shift: float, const: np.ndarray):
    """Entropy e_j, divergence d_j = 1 - e_j and weights w_j = d_j / sum d.

    p_ij = (Z_ij + shift) / sum_i (Z_ij + shift);  e_j = -(1/ln n) sum_i p ln p
    (0 ln 0 = 0).  Constant columns get e = 1, d = 0, w = 0.
    """
    n, m = Z.shape
    e = np.ones(m)
    live = ~const
    if live.any():
        P = Z[:, live] + shift
        tot = P.sum(axis=0)
        p = P / tot
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
        e[live] = -plogp.sum(axis=0) / math.log(n)
    d = 1.0 - e
    d[const] = 0.0
    return e, d, d / d.sum()


def _critic_kernel(Z: np.ndarray, const: np.ndarray):
    """CRITIC information C_j = sigma_j sum_k (1 - r_jk) and weights."""
    m = Z.shape[1]
    info = np.zeros(m)
    live = ~const
    if live.sum() >= 2:
        Zl = Z[:, live]
        sd = Zl.std(axis=0, ddof=1)
        r = np.corrcoef(Zl, rowvar=False)
        info[live] = sd * (1.0 - r).sum(axis=0)
    tot = info.sum()
    if not tot > 0:
        return info, None
    return info, info / tot


def _topsis_kernel(Z: np.ndarray, w: np.ndarray, distance: str):
    """Distances to the ideal and anti-ideal and closeness C = D- / (D+ + D-)."""
    if distance == "euclidean":
        V = Z * w
        vp, vm = V.max(axis=0), V.min(axis=0)
        dp = np.sqrt(((V - vp) ** 2).sum(axis=1))
        dm = np.sqrt(((V - vm) ** 2).sum(axis=1))
    else:  # "weighted": sqrt(sum_j w_j (Z - Z+-)^2)
        zp, zm = Z.max(axis=0), Z.min(axis=0)
        dp = np.sqrt((w * (Z - zp) ** 2).sum(axis=1))
        dm = np.sqrt((w * (Z - zm) ** 2).sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        c = dm / (dp + dm)
    return dp, dm, c


def _obstacle_kernel(Z: np.ndarray, F: np.ndarray):
    """O_ij = F_j (1 - Z_ij) / sum_k F_k (1 - Z_ik); NaN where the sum is 0."""
    FI = F * (1.0 - Z)
    tot = FI.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        O = FI / tot[:, None]
    O[tot <= 0] = np.nan
    return O, tot


def _coupling_kernel(U: np.ndarray, alpha: np.ndarray):
    """C = s [prod U / (sum U)^s]^(1/s),  T = sum alpha U,  D = sqrt(C T)."""
    s = U.shape[1]
    su = U.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        C = s * (np.prod(U / su[:, None], axis=1)) ** (1.0 / s)
    C[su <= 0] = np.nan
    T = U @ alpha
    D = np.sqrt(C * T)
    return C, T, D


# ---------------------------------------------------------------------------
# indicator systems
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Indicator:
    """One indicator of a system.

    Attributes
    ----------
    key : str
        Identifier within the system.
    column : str or None
        Column of the user's data holding it (``None`` until filled in).
    direction : int
        +1 benefit (larger is better) or -1 cost.
    pillar, subpillar : str or None
        Keys of the groups it belongs to.
    unit, label_zh, label_en, formula, note : str
        Documentation carried into tables.
    numerator, denominator, scale :
        For derived demo indicators, ``column = numerator / denominator * scale``.
    """

    key: str
    column: str | None
    direction: int
    pillar: str | None = None
    subpillar: str | None = None
    unit: str = ""
    label_zh: str = ""
    label_en: str = ""
    formula: str = ""
    note: str = ""
    numerator: str | None = None
    denominator: str | None = None
    scale: float | None = None


@dataclass(frozen=True)
class Group:
    """A pillar or sub-pillar (``parent`` is the pillar key of a sub-pillar)."""

    key: str
    label_zh: str = ""
    label_en: str = ""
    parent: str | None = None
    coverage: str = ""
    reason: str = ""


@dataclass(frozen=True)
class IndicatorSystem:
    """Pillars -> sub-pillars -> indicators, each indicator mapped to a data column.

    Build one with :meth:`from_dict` (same nesting as the TOML files),
    :meth:`from_toml`, :func:`load_system`, or load the shipped
    :func:`demo_system` / :func:`template_system`.  The object is frozen;
    :meth:`with_columns` and :meth:`select` return new systems.

    Examples
    --------
    >>> sys = IndicatorSystem.from_dict({"name": "mine", "pillars": [
    ...     {"key": "tech", "indicators": [
    ...         {"key": "rd", "column": "rd_intensity", "direction": "+"}]},
    ...     {"key": "green", "indicators": [
    ...         {"key": "co2", "column": "co2_per_gdp", "direction": "-"}]}]})
    >>> sys.directions
    {'rd_intensity': 1, 'co2_per_gdp': -1}
    """

    name: str
    indicators: tuple
    pillars: tuple = ()
    subpillars: tuple = ()
    absent_pillars: tuple = ()
    title_zh: str = ""
    title_en: str = ""
    description: str = ""

    def __post_init__(self):
        keys = [i.key for i in self.indicators]
        if not keys:
            raise DataError(f"indicator system {self.name!r} has no indicators")
        dup = pd.Index(keys)[pd.Index(keys).duplicated()].unique()
        if len(dup):
            raise DataError(f"indicator system {self.name!r}: duplicated indicator keys {format_values(dup)}")
        cols = [i.column for i in self.indicators if i.column]
        dupc = pd.Index(cols)[pd.Index(cols).duplicated()].unique()
        if len(dupc):
            raise DataError(f"indicator system {self.name!r}: columns used by more than one indicator: "
                            f"{format_values(dupc)}")
        pk = {g.key for g in self.pillars}
        sk = {g.key for g in self.subpillars}
        bad = [i.key for i in self.indicators if i.pillar is not None and i.pillar not in pk]
        bad += [i.key for i in self.indicators if i.subpillar is not None and i.subpillar not in sk]
        if bad:
            raise DataError(f"indicator system {self.name!r}: indicators refer to undeclared groups: "
                            f"{format_values(bad)}")

    # -- construction -----------------------------------------------------
    @classmethod
    def from_dict(cls, spec: Mapping) -> "IndicatorSystem":
        """Build from nested mappings: ``pillars`` -> (``subpillars`` ->)
        ``indicators``; each indicator has ``key``, ``column``, ``direction``
        and optionally ``unit``, ``label_zh``, ``label_en``, ``formula``,
        ``note``, ``numerator``, ``denominator``, ``scale``.  A flat list of
        ``indicators`` without pillars is accepted too."""
        name = spec.get("name", "custom")
        inds, pillars, subs = [], [], []

        def ind(d, pillar, sub):
            if "key" not in d and "column" not in d:
                raise DataError(f"indicator entry without key or column in system {name!r}: {dict(d)}")
            key = d.get("key") or d["column"]
            if "direction" not in d:
                raise DataError(f"indicator {key!r} of system {name!r} has no direction")
            col = d.get("column") or None
            return Indicator(key=key, column=col, direction=_direction(d["direction"], key),
                             pillar=pillar, subpillar=sub, unit=d.get("unit", ""),
                             label_zh=d.get("label_zh", ""), label_en=d.get("label_en", ""),
                             formula=d.get("formula", ""), note=d.get("note", ""),
                             numerator=d.get("numerator"), denominator=d.get("denominator"),
                             scale=None if d.get("scale") is None else float(d["scale"]))

        for p in spec.get("pillars", []):
            pillars.append(Group(p["key"], p.get("label_zh", ""), p.get("label_en", ""),
                                 coverage=p.get("coverage", "")))
            for d in p.get("indicators", []):
                inds.append(ind(d, p["key"], None))
            for s in p.get("subpillars", []):
                subs.append(Group(s["key"], s.get("label_zh", ""), s.get("label_en", ""),
                                  parent=p["key"], coverage=s.get("coverage", "")))
                for d in s.get("indicators", []):
                    inds.append(ind(d, p["key"], s["key"]))
        for d in spec.get("indicators", []):
            inds.append(ind(d, None, None))
        absent = tuple(Group(a["key"], a.get("label_zh", ""), a.get("label_en", ""),
                             reason=a.get("reason", "")) for a in spec.get("absent_pillars", []))
        return cls(name=name, indicators=tuple(inds), pillars=tuple(pillars),
                   subpillars=tuple(subs), absent_pillars=absent,
                   title_zh=spec.get("title_zh", ""), title_en=spec.get("title_en", ""),
                   description=spec.get("description", ""))

    @classmethod
    def from_toml(cls, path) -> "IndicatorSystem":
        """Read a system from a TOML file (see ``data/indicator_systems/*.toml``)."""
        with open(path, "rb") as fh:
            return cls.from_dict(_toml.load(fh))

    # -- views ----------------------------------------------------------------
    @property
    def unfilled(self) -> list:
        """Keys of indicators whose data column is not set yet."""
        return [i.key for i in self.indicators if not i.column]

    def _require_filled(self):
        if self.unfilled:
            raise DataError(f"indicator system {self.name!r} has indicators without a data column: "
                            f"{format_values(self.unfilled, 40)}; fill them with "
                            "system.with_columns({key: column, ...}) or drop them with system.select(...)")

    @property
    def columns(self) -> list:
        """Data columns in system order."""
        self._require_filled()
        return [i.column for i in self.indicators]

    @property
    def directions(self) -> dict:
        """``{column: +1/-1}``."""
        self._require_filled()
        return {i.column: i.direction for i in self.indicators}

    @property
    def pillar_of(self) -> dict:
        """``{column: pillar key}`` for indicators that have a pillar."""
        return {i.column: i.pillar for i in self.indicators if i.column and i.pillar}

    @property
    def subpillar_of(self) -> dict:
        """``{column: sub-pillar key}`` for indicators that have one."""
        return {i.column: i.subpillar for i in self.indicators if i.column and i.subpillar}

    def with_columns(self, mapping: Mapping[str, str]) -> "IndicatorSystem":
        """New system with data columns set for the indicator keys in ``mapping``."""
        unknown = [k for k in mapping if k not in {i.key for i in self.indicators}]
        if unknown:
            raise DataError(f"unknown indicator key(s) {format_values(unknown)} for system {self.name!r}; "
                            f"keys: {format_values([i.key for i in self.indicators], 40)}")
        inds = tuple(replace(i, column=mapping.get(i.key, i.column)) for i in self.indicators)
        return replace(self, indicators=inds)

    def select(self, pillars: Iterable[str] | None = None,
               indicators: Iterable[str] | None = None) -> "IndicatorSystem":
        """New system restricted to some pillars and/or indicator keys."""
        inds = list(self.indicators)
        if pillars is not None:
            pillars = list(pillars)
            unknown = [p for p in pillars if p not in {g.key for g in self.pillars}]
            if unknown:
                raise DataError(f"unknown pillar(s) {format_values(unknown)}; "
                                f"pillars: {format_values([g.key for g in self.pillars])}")
            inds = [i for i in inds if i.pillar in pillars]
        if indicators is not None:
            indicators = list(indicators)
            unknown = [k for k in indicators if k not in {i.key for i in self.indicators}]
            if unknown:
                raise DataError(f"unknown indicator key(s) {format_values(unknown)}")
            inds = [i for i in inds if i.key in indicators]
        used_p = {i.pillar for i in inds}
        used_s = {i.subpillar for i in inds}
        return replace(self, indicators=tuple(inds),
                       pillars=tuple(g for g in self.pillars if g.key in used_p),
                       subpillars=tuple(g for g in self.subpillars if g.key in used_s))

    def to_toml(self, path=None) -> str:
        """Write the system as TOML (the format :meth:`from_toml` reads); returns the text
        and writes it to ``path`` when given (e.g. a filled-in copy of the template)."""
        import json

        def q(v):
            return json.dumps(v, ensure_ascii=False)

        def ind_lines(i, prefix, indent):
            out = [f"{indent}[[{prefix}.indicators]]", f"{indent}key = {q(i.key)}",
                   f"{indent}column = {q(i.column or '')}",
                   f"{indent}direction = {q('+' if i.direction > 0 else '-')}"]
            for k in ("unit", "label_zh", "label_en", "formula", "note", "numerator", "denominator"):
                v = getattr(i, k)
                if v:
                    out.append(f"{indent}{k} = {q(v)}")
            if i.scale is not None:
                out.append(f"{indent}scale = {float(i.scale)!r}")
            return out + [""]

        lines = [f"name = {q(self.name)}"]
        for k in ("title_zh", "title_en", "description"):
            if getattr(self, k):
                lines.append(f"{k} = {q(getattr(self, k))}")
        lines.append("")
        for a in self.absent_pillars:
            lines += ["[[absent_pillars]]", f"key = {q(a.key)}", f"label_zh = {q(a.label_zh)}",
                      f"label_en = {q(a.label_en)}", f"reason = {q(a.reason)}", ""]
        for p in self.pillars:
            lines += ["[[pillars]]", f"key = {q(p.key)}", f"label_zh = {q(p.label_zh)}",
                      f"label_en = {q(p.label_en)}"]
            if p.coverage:
                lines.append(f"coverage = {q(p.coverage)}")
            lines.append("")
            for i in self.indicators:
                if i.pillar == p.key and i.subpillar is None:
                    lines += ind_lines(i, "pillars", "  ")
            for sp in self.subpillars:
                if sp.parent != p.key:
                    continue
                lines += ["  [[pillars.subpillars]]", f"  key = {q(sp.key)}",
                          f"  label_zh = {q(sp.label_zh)}", f"  label_en = {q(sp.label_en)}", ""]
                for i in self.indicators:
                    if i.subpillar == sp.key:
                        lines += ind_lines(i, "pillars.subpillars", "    ")
        for i in self.indicators:
            if i.pillar is None:
                lines += ind_lines(i, "", "")
        text = "\n".join(lines).replace("[[.indicators]]", "[[indicators]]")
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator: pillar, sub-pillar, column, direction, unit, labels, formula."""
        rows = [{"key": i.key, "pillar": i.pillar, "subpillar": i.subpillar, "column": i.column,
                 "direction": "+" if i.direction > 0 else "-", "unit": i.unit,
                 "label_zh": i.label_zh, "label_en": i.label_en, "formula": i.formula,
                 "note": i.note} for i in self.indicators]
        return pd.DataFrame(rows).set_index("key")

    def summary(self) -> str:
        """Readable tree of the system."""
        lines = [f"Indicator system {self.name!r}: {self.title_en or self.title_zh}".rstrip(": ")]
        if self.title_zh and self.title_en:
            lines.append(f"  {self.title_zh}")
        for p in self.pillars:
            cov = f"  [{p.coverage}]" if p.coverage else ""
            lines.append(f"- {p.key} {p.label_zh} / {p.label_en}{cov}")
            for i in [i for i in self.indicators if i.pillar == p.key]:
                sub = f"{i.subpillar}: " if i.subpillar else ""
                lines.append(f"    {sub}{i.key} ({'+' if i.direction > 0 else '-'}) "
                             f"column={i.column or '<to fill>'} unit={i.unit!r} {i.label_zh}")
        for i in [i for i in self.indicators if i.pillar is None]:
            lines.append(f"- {i.key} ({'+' if i.direction > 0 else '-'}) column={i.column or '<to fill>'}")
        for a in self.absent_pillars:
            lines.append(f"- ABSENT pillar {a.key} {a.label_zh} / {a.label_en}: {a.reason}")
        return "\n".join(lines)

    def __str__(self):
        return self.summary()


def load_system(name_or_path) -> IndicatorSystem:
    """Load a shipped system by name (``"demo"``, ``"template_nqpf"``) or a TOML file path."""
    p = Path(name_or_path)
    if p.suffix.lower() == ".toml" and p.exists():
        return IndicatorSystem.from_toml(p)
    shipped = _SYSTEMS_DIR / f"{name_or_path}.toml"
    if shipped.exists():
        return IndicatorSystem.from_toml(shipped)
    avail = sorted(f.stem for f in _SYSTEMS_DIR.glob("*.toml"))
    raise DataError(f"no indicator system {str(name_or_path)!r}: not a TOML file and not one of the "
                    f"shipped systems {format_values(avail)}")


def demo_system() -> IndicatorSystem:
    """The demo system the bundled panel supports: technology (31 provinces,
    2012-2022) and green (30 provinces without Tibet, 2012-2019) pillars.

    The **digital pillar is absent**: the bundled panel has no internet,
    broadband, mobile, software or e-commerce statistics, so a digital pillar
    needs user data (:func:`template_system` lists its usual indicators).
    Columns are derived from the raw panel by :func:`demo_indicators`.
    """
    return load_system("demo")


def template_system() -> IndicatorSystem:
    """The full three-pillar NQPF template (technology, green, digital) with
    indicator names, units and directions and *empty* data columns: fill them
    with :meth:`IndicatorSystem.with_columns`."""
    return load_system("template_nqpf")


def demo_indicators(panel: pd.DataFrame | None = None, *, id: str = "code",
                    time: str = "year") -> pd.DataFrame:
    """Derive the demo system's indicator columns from the raw demo panel.

    Each derived column is ``numerator / denominator * scale`` with the
    formula and unit recorded in ``data/indicator_systems/demo.toml``; the
    returned frame's ``attrs["definitions"]`` holds that table (column,
    formula, unit, numerator, denominator, scale) and is also printed by
    ``demo_system().to_frame()``.  Cells whose inputs are missing stay NaN
    (hitech_revenue 2017; all CO2 columns for Tibet and for 2020-2022): the
    index functions refuse them unless a missing-data policy is chosen.

    Parameters
    ----------
    panel : DataFrame, optional
        The raw panel (``spatialnqpf.datasets.load_demo_panel()`` by default).
    id, time : str
        Id and time columns, carried into the result.

    Returns
    -------
    DataFrame
        ``id``, ``time``, name columns if present, and one column per
        indicator of :func:`demo_system`.
    """
    if panel is None:
        from . import datasets
        panel = datasets.load_demo_panel()
    system = demo_system()
    needed = set()
    for i in system.indicators:
        needed.update([c for c in (i.numerator, i.denominator) if c] or [i.column])
    require_columns(panel, [id, time] + sorted(needed), "the demo panel")
    keep = [c for c in (id, time, "name_zh", "short_zh", "name_en", "name_cn", "name_cn_short")
            if c in panel.columns]
    out = panel.loc[:, keep].copy()
    defs = []
    for i in system.indicators:
        if i.numerator:
            den = pd.to_numeric(panel[i.denominator], errors="coerce")
            num = pd.to_numeric(panel[i.numerator], errors="coerce")
            zero = den == 0
            if zero.any():
                raise DataError(f"zero denominator {i.denominator!r} for {i.column!r} at "
                                f"{format_values(panel.loc[zero, [id, time]].itertuples(index=False, name=None))}")
            out[i.column] = num / den * i.scale
        else:
            out[i.column] = pd.to_numeric(panel[i.column], errors="coerce")
        defs.append({"column": i.column, "formula": i.formula, "unit": i.unit,
                     "numerator": i.numerator, "denominator": i.denominator, "scale": i.scale,
                     "pillar": i.pillar, "direction": "+" if i.direction > 0 else "-"})
    out = out.reset_index(drop=True)
    out.attrs["definitions"] = pd.DataFrame(defs).set_index("column")
    return out


# ---------------------------------------------------------------------------
# frame-level weight functions
# ---------------------------------------------------------------------------
def _indicator_matrix(frame: pd.DataFrame, dirs: dict, what: str = "frame"):
    require_columns(frame, list(dirs), what)
    X = frame.loc[:, list(dirs)]
    for c in X.columns:
        if not pd.api.types.is_numeric_dtype(X[c]):
            raise DataError(f"indicator column {c!r} is not numeric (dtype {X[c].dtype})")
    arr = X.to_numpy(dtype=float)
    bad = ~np.isfinite(arr)
    if bad.any():
        cells = [f"{X.columns[j]!r} at row {X.index[i]!r}" for i, j in zip(*np.nonzero(bad))]
        raise DataError(f"missing or non-finite indicator values ({bad.sum()} cells): "
                        f"{format_values(cells, 15)}; see entropy_topsis(missing=...) for "
                        "interpolation or dropping")
    if arr.shape[0] < 2:
        raise DataError(f"at least two observations are needed, got {arr.shape[0]}")
    return arr


def _check_shift(shift):
    if not (isinstance(shift, (int, float, np.floating, np.integer)) and np.isfinite(shift) and shift >= 0):
        raise DataError(f"shift must be a finite number >= 0, got {shift!r}")
    return float(shift)


def _check_normalize(normalize, X, cols, dirs, index):
    if normalize not in ("minmax", "none"):
        raise DataError(f"normalize must be 'minmax' or 'none', got {normalize!r}")
    if normalize == "none":
        neg = [c for c, d in zip(cols, dirs) if d < 0]
        if neg:
            raise DataError("normalize='none' takes the values as already standardised and directed; "
                            f"cost indicators {format_values(neg)} must be turned into benefit "
                            "indicators first (or use normalize='minmax')")
        bad = np.argwhere(X < 0)
        if len(bad):
            cells = [f"{cols[j]!r} at row {index[i]!r} ({X[i, j]:g})" for i, j in bad]
            raise DataError("negative values cannot enter p ln p (normalize='none' uses the values as "
                            f"they are): {format_values(cells, 15)}")


def _warn_constant(cols, const):
    if const.all():
        raise DataError(f"all indicators are constant ({format_values(cols)}): no weights can be formed")
    names = [c for c, k in zip(cols, const) if k]
    if names:
        warnings.warn(f"indicator(s) with zero variance carry no information and get weight 0: "
                      f"{format_values(names)}", IndexWarning, stacklevel=3)


def entropy_weights(frame: pd.DataFrame, directions=None, shift: float = 1e-4,
                    normalize: str = "minmax") -> pd.Series:
    r"""Entropy weights of the indicator columns of ``frame`` (all rows pooled).

    With rows i (all province-years of a panel pooled, which is the "improved"
    panel entropy method) and indicators j:

    .. math::

        Z_{ij} = \frac{x_{ij} - \min_i x_{ij}}{\max_i x_{ij} - \min_i x_{ij}}
        \;(\text{benefit}),\qquad
        Z_{ij} = \frac{\max_i x_{ij} - x_{ij}}{\max_i x_{ij} - \min_i x_{ij}}
        \;(\text{cost}),

        p_{ij} = \frac{Z_{ij} + \varepsilon}{\sum_i (Z_{ij} + \varepsilon)},\quad
        e_j = -\frac{1}{\ln N}\sum_i p_{ij}\ln p_{ij},\quad
        w_j = \frac{1 - e_j}{\sum_k (1 - e_k)}.

    Parameters
    ----------
    frame : DataFrame
        One row per observation; other columns are ignored.
    directions : mapping or IndicatorSystem
        ``{column: +1 | -1}`` (also ``"+"/"-"``, ``"benefit"/"cost"``).
    shift : float, default 1e-4
        :math:`\varepsilon`, added to Z to avoid ln 0 (1e-3 and 0.01 also
        appear in the literature); 0 uses the convention 0 ln 0 = 0.
    normalize : {"minmax", "none"}
        ``"none"`` takes already standardised, non-negative benefit values.

    Returns
    -------
    Series
        Weights by indicator (name ``"weight"``), summing to 1.

    Raises
    ------
    DataError
        Missing columns, NaN cells, unknown directions, negative values with
        ``normalize="none"``, all indicators constant.

    Warns
    -----
    IndexWarning
        A constant indicator gets weight 0; the warning names it.

    Examples
    --------
    docs/methods/index.md §1.1 worked example:

    >>> X = pd.DataFrame({"a": [10, 20, 15, 30], "b": [.5, .4, .9, .2], "c": [3, 5, 4, 8]})
    >>> entropy_weights(X, {"a": 1, "b": -1, "c": 1}).round(6).tolist()
    [0.349735, 0.255497, 0.394769]
    """
    dirs = _parse_directions(directions)
    shift = _check_shift(shift)
    X = _indicator_matrix(frame, dirs)
    cols = list(dirs)
    d = np.array([dirs[c] for c in cols])
    _check_normalize(normalize, X, cols, d, frame.index)
    Z, const, _, _ = _standardise(X, d, normalize)
    _warn_constant(cols, const)
    _, _, w = _entropy_kernel(Z, shift, const)
    return pd.Series(w, index=pd.Index(cols, name="indicator"), name="weight")


def critic_weights(frame: pd.DataFrame, directions=None) -> pd.Series:
    r"""CRITIC weights (Diakoulaki et al. 1995) of the indicator columns of ``frame``.

    On the directed min-max standardised matrix Z:
    :math:`C_j = \sigma_j \sum_k (1 - r_{jk})`, :math:`w_j = C_j / \sum_k C_k`
    with :math:`\sigma_j` the standard deviation of column j (the ddof
    cancels in the ratio) and :math:`r_{jk}` Pearson correlations.  Cost
    indicators are reversed before the correlations, so their sign matters.
    A constant indicator gets weight 0 and a warning; fewer than two
    informative indicators (or perfectly correlated ones only) is an error.
    """
    dirs = _parse_directions(directions)
    X = _indicator_matrix(frame, dirs)
    cols = list(dirs)
    Z, const, _, _ = _standardise(X, np.array([dirs[c] for c in cols]), "minmax")
    _warn_constant(cols, const)
    _, w = _critic_kernel(Z, const)
    if w is None:
        raise DataError("CRITIC weights are undefined: fewer than two non-constant indicators, or all "
                        f"perfectly correlated ({format_values(cols)})")
    return pd.Series(w, index=pd.Index(cols, name="indicator"), name="weight")


def combined_weights(first: pd.Series, second: pd.Series, method: str = "geometric",
                     alpha: float = 0.5) -> pd.Series:
    r"""Combine two weight vectors (e.g. entropy and CRITIC).

    * ``"geometric"``: :math:`w_j \propto \sqrt{a_j b_j}`;
    * ``"product"`` (乘法合成归一化): :math:`w_j \propto a_j b_j`;
    * ``"arithmetic"``: :math:`w_j = \alpha a_j + (1-\alpha) b_j`.

    The result is renormalised to sum 1.
    """
    a, b = pd.Series(first, dtype=float), pd.Series(second, dtype=float)
    if set(a.index) != set(b.index):
        raise DataError(f"weights cover different indicators: only in first {format_values(a.index.difference(b.index))}; "
                        f"only in second {format_values(b.index.difference(a.index))}")
    b = b.reindex(a.index)
    if method == "geometric":
        w = np.sqrt(a * b)
    elif method == "product":
        w = a * b
    elif method == "arithmetic":
        if not 0 <= alpha <= 1:
            raise DataError(f"alpha must be in [0, 1], got {alpha!r}")
        w = alpha * a + (1 - alpha) * b
    else:
        raise DataError(f"unknown combination method {method!r}; use 'geometric', 'product' or 'arithmetic'")
    if not w.sum() > 0:
        raise DataError("combined weights are all zero")
    return (w / w.sum()).rename("weight")


def equal_weights(columns: Sequence[str]) -> pd.Series:
    """Equal weights 1/m for ``columns``."""
    cols = list(columns)
    if not cols:
        raise DataError("no indicators given")
    return pd.Series(1.0 / len(cols), index=pd.Index(cols, name="indicator"), name="weight")


def _user_weights(weights, cols) -> np.ndarray:
    w = pd.Series(weights, dtype=float)
    missing = [c for c in cols if c not in w.index]
    extra = [c for c in w.index if c not in cols]
    if missing or extra:
        raise DataError(f"user weights do not match the indicators: missing {format_values(missing)}; "
                        f"unknown {format_values(extra)}")
    w = w.reindex(cols)
    if (~np.isfinite(w)).any() or (w < 0).any() or not w.sum() > 0:
        raise DataError(f"user weights must be finite, non-negative and not all zero: {w.to_dict()}")
    return (w / w.sum()).to_numpy()


# ---------------------------------------------------------------------------
# missing-data policy
# ---------------------------------------------------------------------------
_MISSING_POLICIES = ("raise", "interpolate", "drop")


def _missing_policy(missing) -> tuple:
    pol = (missing,) if isinstance(missing, str) else tuple(missing)
    bad = [p for p in pol if p not in _MISSING_POLICIES]
    if bad or not pol or ("raise" in pol and len(pol) > 1):
        raise DataError(f"missing must be 'raise', 'interpolate', 'drop' or ('interpolate', 'drop'), "
                        f"got {missing!r}")
    return pol


def _handle_missing(df: pd.DataFrame, id: str, time: str | None, cols: list, missing):
    """Apply the missing-data policy; return (frame, report of changed/dropped cells)."""
    pol = _missing_policy(missing)
    report_cols = [id] + ([time] if time else []) + ["column", "action", "value"]
    empty = pd.DataFrame(columns=report_cols)
    vals = df[cols].apply(pd.to_numeric, errors="coerce")
    inf = np.isinf(vals.to_numpy(dtype=float))
    if inf.any():
        keys = [id] + ([time] if time else [])
        kl = list(df[keys].itertuples(index=False, name=None))
        cells = [(kl[i], cols[j]) for i, j in zip(*np.nonzero(inf))]
        raise DataError(f"infinite indicator values (not treated as missing): {format_values(cells, 15)}")
    na = vals.isna()
    if not na.to_numpy().any():
        return df, empty
    keys = [id] + ([time] if time else [])

    def cells_of(mask):
        key_list = list(df[keys].itertuples(index=False, name=None))
        out = []
        for j, c in enumerate(cols):
            for i in np.flatnonzero(mask[:, j]):
                k = key_list[i]
                out.append((k if len(k) > 1 else k[0], c))
        return out

    if pol == ("raise",):
        cells = cells_of(na.to_numpy())
        raise DataError(f"{len(cells)} missing indicator cell(s) ({'(' + ', '.join(keys) + ')'}, column): "
                        f"{format_values(cells, 30)}; pass missing='interpolate' (within-{id} linear "
                        "interpolation over time), missing='drop' or missing=('interpolate', 'drop')")
    df = df.copy()
    records = []
    if "interpolate" in pol:
        if time is None:
            raise DataError("missing='interpolate' needs a time column (interpolation is over time within each id)")
        if not pd.api.types.is_numeric_dtype(df[time]):
            raise DataError(f"missing='interpolate' needs a numeric time column; {time!r} is {df[time].dtype}")
        positions = df.groupby(id, sort=False).indices  # id -> positional rows
        t_all = df[time].to_numpy(dtype=float)
        id_all = df[id].to_numpy()
        for c in cols:
            miss_c = na[c].to_numpy()
            if not miss_c.any():
                continue
            y_all = vals[c].to_numpy(dtype=float).copy()
            for uid in pd.unique(id_all[miss_c]):
                pos = positions[uid]
                pos = pos[np.argsort(t_all[pos], kind="mergesort")]
                t, y = t_all[pos], y_all[pos]
                miss = np.isnan(y)
                if miss.all():
                    continue
                ok = np.flatnonzero(~miss)
                interior = miss & (t > t[ok[0]]) & (t < t[ok[-1]])
                if interior.any():
                    filled = np.interp(t[interior], t[~miss], y[~miss])
                    y_all[pos[interior]] = filled
                    for r, v in zip(pos[interior], filled):
                        records.append({id: id_all[r], time: df[time].iat[r], "column": c,
                                        "action": "interpolated", "value": float(v)})
            df[c] = y_all
        na = df[cols].apply(pd.to_numeric, errors="coerce").isna()
        if na.to_numpy().any() and "drop" not in pol:
            cells = cells_of(na.to_numpy())
            raise DataError(f"{len(cells)} missing cell(s) cannot be interpolated (no observation before "
                            f"and after within the same {id}): {format_values(cells, 30)}; use "
                            "missing=('interpolate', 'drop') to drop those rows, or supply the data")
    if "drop" in pol:
        na_arr = na.to_numpy()
        rows = np.flatnonzero(na_arr.any(axis=1))
        key_list = list(df[keys].itertuples(index=False, name=None))
        for i in rows:
            for j in np.flatnonzero(na_arr[i]):
                rec = dict(zip(keys, key_list[i]))
                rec.update({"column": cols[j], "action": "dropped row", "value": np.nan})
                records.append(rec)
        df = df.drop(index=df.index[rows]).reset_index(drop=True)
    report = pd.DataFrame(records, columns=report_cols)
    report = report.sort_values(keys + ["column"], kind="mergesort").reset_index(drop=True)
    n_i = (report["action"] == "interpolated").sum()
    dropped = report.loc[report["action"] == "dropped row", keys].drop_duplicates()
    msg = []
    if n_i:
        msg.append(f"{n_i} cell(s) interpolated within {id}")
    if len(dropped):
        rows_ = [tuple(r) if len(r) > 1 else r[0] for r in dropped.itertuples(index=False, name=None)]
        msg.append(f"{len(dropped)} row(s) dropped: {format_values(rows_, 15)}")
    if msg:
        warnings.warn("missing data: " + "; ".join(msg) + " (see result.missing_report)",
                      IndexWarning, stacklevel=3)
    return df, report


# ---------------------------------------------------------------------------
# frozen results
# ---------------------------------------------------------------------------
class _Frozen(Results):
    """Read-only result (the package's one freezing mechanism, :class:`spatialnqpf._results.Results`):
    the attributes are set once in ``__init__`` by :meth:`_set`, which then freezes."""

    def _set(self, **kw):
        for k, v in kw.items():
            object.__setattr__(self, "_" + k, v)
        self._freeze()

    def __repr__(self):
        return f"<{type(self).__name__}>\n" + self.summary()


def _copy(x):
    return None if x is None else x.copy()


COUPLING_LEVELS = pd.DataFrame({
    "lower": np.arange(0, 1.0, 0.1).round(1),
    "upper": np.arange(0.1, 1.05, 0.1).round(1),
    "label_zh": ["极度失调", "严重失调", "中度失调", "轻度失调", "濒临失调",
                 "勉强协调", "初级协调", "中级协调", "良好协调", "优质协调"],
    "label_en": ["extreme imbalance", "serious imbalance", "moderate imbalance", "mild imbalance",
                 "on the verge of imbalance", "barely coordinated", "primary coordination",
                 "intermediate coordination", "good coordination", "high-quality coordination"],
}, index=pd.RangeIndex(1, 11, name="level"))
"""The usual ten-level classification of the coupling coordination degree D:
level k covers [(k-1)/10, k/10) (level 10 includes D = 1)."""


class CouplingResult(_Frozen):
    """Coupling degree C, comprehensive index T and coordination degree D by
    observation, with the ten-level classification (:data:`COUPLING_LEVELS`)."""

    def __init__(self, table, subsystems, alpha):
        self._set(table=table, subsystems=list(subsystems), alpha=alpha)

    @property
    def coupling(self) -> pd.Series:
        """Coupling degree C in [0, 1]."""
        return self._table["C"].copy()

    @property
    def development(self) -> pd.Series:
        """Comprehensive development index T = sum alpha_i U_i."""
        return self._table["T"].copy()

    @property
    def coordination(self) -> pd.Series:
        """Coupling coordination degree D = sqrt(C T)."""
        return self._table["D"].copy()

    @property
    def levels(self) -> pd.DataFrame:
        """Level number (1-10) and zh/en labels of D."""
        return self._table[["level", "label_zh", "label_en"]].copy()

    @property
    def alpha(self) -> pd.Series:
        return self._alpha.copy()

    def to_frame(self) -> pd.DataFrame:
        """Subsystem scores U, C, T, D, level and labels."""
        return self._table.copy()

    def summary(self) -> str:
        t = self._table
        lines = [f"Coupling coordination of {len(self._subsystems)} subsystems "
                 f"({', '.join(map(str, self._subsystems))}), {len(t)} observations",
                 "C = s [prod U / (sum U)^s]^(1/s); T = sum alpha U; D = sqrt(C T)",
                 "alpha: " + ", ".join(f"{k}={v:.4g}" for k, v in self._alpha.items()),
                 f"D: mean {t['D'].mean():.4f}, min {t['D'].min():.4f}, max {t['D'].max():.4f}",
                 "observations by level: " + ", ".join(
                     f"{int(k)} {COUPLING_LEVELS.at[int(k), 'label_en']}: {v}"
                     for k, v in t["level"].dropna().value_counts().sort_index().items())]
        return "\n".join(lines)


def coupling_coordination(scores: pd.DataFrame, alpha=None) -> CouplingResult:
    r"""Coupling coordination degree of s subsystems.

    .. math::

        C = s\left[\frac{\prod_i U_i}{(\sum_i U_i)^s}\right]^{1/s},\quad
        T = \sum_i \alpha_i U_i,\quad D = \sqrt{C\,T}.

    For s = 2 this is the two-system form :math:`C = 2\sqrt{U_1U_2}/(U_1+U_2)`;
    C = 1 when all U are equal.  (The form with
    :math:`\prod_{i<j}(U_i + U_j)` in the denominator, found in some papers,
    cannot reach 1 for s > 2 and is not used.)  D is classified into ten
    levels (:data:`COUPLING_LEVELS`).

    Parameters
    ----------
    scores : DataFrame
        One column per subsystem, values U in [0, 1] (e.g.
        ``IndexResult.pillar_scores``); any index.
    alpha : mapping or sequence, optional
        Contribution weights of the subsystems (equal by default); must sum to 1.

    Raises
    ------
    DataError
        Fewer than two subsystems, NaN, values outside [0, 1] (named), alpha
        not summing to 1.

    Warns
    -----
    IndexWarning
        Observations where every U is 0 (C undefined: NaN), named.

    Notes
    -----
    This is the "normative" traditional form as restated by Wang Shujia et
    al. (2021) and Liu Chunlin (2017), who found about half of the papers
    they surveyed using a mis-written C.  Wang et al. also propose a
    *modified* C with better spread over [0, 1]; it is not implemented here
    (its formula could not be checked against the original for this release).

    References
    ----------
    .. [1] Wang Shujia, Kong Wei, Ren Liang, Zhi Dandan, Dai Binting (2021).
       国内耦合协调度模型的误区及修正 (Research on misuses and modification of
       coupling coordination degree model in China). *Journal of Natural
       Resources* 36(3), 793-810. doi:10.31497/zrzyxb.20210319
    .. [2] Liu Chunlin (2017). 耦合度计算的常见错误分析. *Journal of Jiangsu
       Normal University (Natural Science Edition)*.
    """
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"scores must be a DataFrame with one column per subsystem, got {type(scores).__name__}")
    if scores.shape[1] < 2:
        raise DataError(f"coupling needs at least two subsystems, got {list(scores.columns)}")
    U = scores.to_numpy(dtype=float)
    bad = ~np.isfinite(U)
    if bad.any():
        raise DataError("missing subsystem scores at " + format_values(
            [(scores.index[i], scores.columns[j]) for i, j in zip(*np.nonzero(bad))], 15))
    out = (U < 0) | (U > 1 + 1e-12)
    if out.any():
        raise DataError("subsystem scores must lie in [0, 1]; outside: " + format_values(
            [(scores.index[i], scores.columns[j], U[i, j]) for i, j in zip(*np.nonzero(out))], 15))
    s = U.shape[1]
    if alpha is None:
        a = pd.Series(1.0 / s, index=scores.columns)
    else:
        a = pd.Series(alpha, index=scores.columns if not isinstance(alpha, Mapping) else None, dtype=float)
        if isinstance(alpha, Mapping):
            if set(a.index) != set(scores.columns):
                raise DataError(f"alpha keys {format_values(a.index)} differ from subsystems "
                                f"{format_values(scores.columns)}")
            a = a.reindex(scores.columns)
        if (a < 0).any() or abs(a.sum() - 1) > 1e-9:
            raise DataError(f"alpha must be non-negative and sum to 1, got {a.to_dict()}")
    C, T, D = _coupling_kernel(U, a.to_numpy())
    zero = np.isnan(C)
    if zero.any():
        warnings.warn(f"coupling degree undefined (all subsystem scores 0) at "
                      f"{format_values(scores.index[zero])}: set to NaN", IndexWarning, stacklevel=2)
    lvl = np.where(np.isnan(D), np.nan, np.minimum(np.floor(np.round(D * 10, 9)) + 1, 10))
    table = scores.copy()
    table["C"], table["T"], table["D"] = C, T, D
    table["level"] = pd.array(lvl, dtype="Int64") if zero.any() else lvl.astype(int)
    lab = COUPLING_LEVELS.reindex(table["level"].astype("float").to_numpy())
    table["label_zh"] = lab["label_zh"].to_numpy()
    table["label_en"] = lab["label_en"].to_numpy()
    return CouplingResult(table, scores.columns, a)


class ObstacleResult(_Frozen):
    r"""Obstacle degrees O_ij = F_j I_j / sum_k F_k I_k by observation.

    Attributes are read-only; see :func:`obstacle_degree`.
    """

    def __init__(self, degrees, groups, undefined, top_k):
        self._set(degrees=degrees, groups=groups, undefined=undefined, top_k=top_k)

    @property
    def degrees(self) -> pd.DataFrame:
        """Indicator obstacle degrees (rows sum to 1; NaN rows undefined)."""
        return self._degrees.copy()

    @property
    def pillar_degrees(self) -> pd.DataFrame | None:
        """Pillar obstacle degrees (sums over each pillar's indicators)."""
        return _copy(self._groups)

    @property
    def undefined(self) -> list:
        """Observations best on every indicator (sum F I = 0): NaN degrees."""
        return list(self._undefined)

    def top(self, k: int | None = None) -> pd.DataFrame:
        """Long table of the ``k`` largest obstacles per observation
        (columns: index levels, rank, indicator, degree)."""
        k = self._top_k if k is None else int(k)
        if k < 1:
            raise DataError(f"k must be >= 1, got {k}")
        d = self._degrees
        long = d.stack(future_stack=True).rename("degree").dropna().reset_index()
        ind = long.columns[-2]
        long = long.rename(columns={ind: "indicator"})
        keys = list(long.columns[:-2])
        long = long.sort_values(keys + ["degree"], ascending=[True] * len(keys) + [False], kind="mergesort")
        long["rank"] = long.groupby(keys, sort=False).cumcount() + 1
        return long[long["rank"] <= k][keys + ["rank", "indicator", "degree"]].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """Indicator degrees and (prefixed ``pillar:``) pillar degrees side by side."""
        if self._groups is None:
            return self._degrees.copy()
        return pd.concat([self._degrees, self._groups.add_prefix("pillar:")], axis=1)

    def summary(self) -> str:
        mean = self._degrees.mean().sort_values(ascending=False)
        lines = [f"Obstacle degree, {len(self._degrees)} observations, {self._degrees.shape[1]} indicators",
                 "O_j = F_j (1 - Z_j) / sum_k F_k (1 - Z_k), F_j = indicator weight",
                 "mean obstacle degree by indicator:"]
        lines += [f"  {k:<30s} {v:.4f}" for k, v in mean.items()]
        if self._groups is not None:
            lines.append("mean by pillar: " + ", ".join(f"{k} {v:.4f}" for k, v in self._groups.mean().items()))
        if self._undefined:
            lines.append(f"undefined (best on every indicator): {format_values(self._undefined)}")
        return "\n".join(lines)


def obstacle_degree(normalized: pd.DataFrame, indicator_weights: pd.Series,
                    pillars: Mapping | None = None, top_k: int = 3) -> ObstacleResult:
    r"""Obstacle degree (障碍度) of each indicator for each observation.

    .. math::

        F_j = w_j,\quad I_{ij} = 1 - Z_{ij},\quad
        O_{ij} = \frac{F_j I_{ij}}{\sum_k F_k I_{ik}}.

    With one-stage weights over a hierarchy, :math:`w_j` already equals the
    within-pillar weight times the pillar weight.  Pillar obstacle degree =
    sum of its indicators'.  An observation that is best on every indicator
    has :math:`\sum F I = 0`: its degrees are NaN and a warning names it.

    Parameters
    ----------
    normalized : DataFrame
        Unshifted directed standardised values Z in [0, 1] (e.g.
        ``IndexResult.normalized``).
    indicator_weights : Series
        Indicator weights F (e.g. ``IndexResult.weights``).
    pillars : mapping, optional
        ``{indicator: pillar}``.
    top_k : int
        Default k of :meth:`ObstacleResult.top`.

    Notes
    -----
    The formula is the one used throughout the Chinese applied literature
    (因子贡献度 x 指标偏离度, normalised).  It is tested against hand-worked
    numbers; it has not been checked against a published table (docs/methods/index.md
    §1.4 marks it **to verify**).
    """
    cols = list(normalized.columns)
    w = pd.Series(indicator_weights, dtype=float)
    missing = [c for c in cols if c not in w.index]
    if missing:
        raise DataError(f"indicator_weights missing for indicators {format_values(missing)}")
    Z = normalized.to_numpy(dtype=float)
    if (~np.isfinite(Z)).any() or (Z < -1e-12).any() or (Z > 1 + 1e-12).any():
        raise DataError("normalized values must be finite and in [0, 1] (unshifted Z)")
    O, tot = _obstacle_kernel(Z, w.reindex(cols).to_numpy())
    undefined = list(normalized.index[tot <= 0])
    if undefined:
        warnings.warn(f"obstacle degree undefined (best on every weighted indicator) for "
                      f"{format_values(undefined)}: NaN", IndexWarning, stacklevel=2)
    deg = pd.DataFrame(O, index=normalized.index, columns=normalized.columns)
    groups = None
    if pillars:
        pm = {c: pillars.get(c) for c in cols if pillars.get(c) is not None}
        if pm:
            groups = deg[list(pm)].T.groupby(pd.Series(pm), sort=False).sum(min_count=1).T
            groups.columns.name = "pillar"
    return ObstacleResult(deg, groups, undefined, top_k)


class IndexResult(_Frozen):
    """Frozen result of :func:`entropy_topsis`.

    All attributes are read-only and return copies.

    Attributes
    ----------
    weights : Series
        Indicator weights (per-year runs: mean over years, see ``weights_by_time``).
    weights_by_time : DataFrame or None
        Per-year weights (``per_year=True`` only).
    entropies, divergences : Series
        e_j and d_j = 1 - e_j of the panel entropy (per-year runs: means).
    critic_information : Series
        C_j of CRITIC (when CRITIC weights were involved).
    indicators : DataFrame
        Per indicator: direction, pillar, sub-pillar, min, max, entropy,
        divergence, entropy and CRITIC weights, the weight used.
    pillar_weights, subpillar_weights : Series
        Sums of indicator weights.
    scores : Series
        TOPSIS closeness by (id, time).
    linear_scores : Series
        S = sum_j w_j (Z_j + shift).
    ranks : Series
        Rank of the closeness within each period (1 = best, ties share the
        smaller rank).
    pillar_scores : DataFrame
        TOPSIS closeness of each pillar on its own indicators (same weights).
    pillar_linear : DataFrame
        Pillar contributions sum_{j in pillar} w_j (Z_j + shift) (rows sum to
        ``linear_scores``).
    normalized : DataFrame
        Unshifted standardised Z.
    distances : DataFrame
        D+ and D-.
    missing_report : DataFrame
        Every interpolated cell and every cell of a dropped row.
    constant : list
        Zero-variance indicators (weight 0).
    settings : dict
        shift, normalize, distance, weights method, per_year, counts.
    """

    def __init__(self, **kw):
        self._set(**kw)

    # simple copies
    weights = property(lambda self: self._weights.copy(), doc="Indicator weights.")
    weights_by_time = property(lambda self: _copy(self._weights_by_time), doc="Per-year weights or None.")
    indicators = property(lambda self: self._indicators.copy(), doc="Per-indicator table.")
    entropies = property(lambda self: self._indicators["entropy"].rename("entropy"), doc="Entropies e_j.")
    divergences = property(lambda self: self._indicators["divergence"].rename("divergence"),
                           doc="Information (divergence) d_j = 1 - e_j.")
    critic_information = property(lambda self: self._indicators["critic_information"].copy(),
                                  doc="CRITIC information C_j.")
    pillar_weights = property(lambda self: self._pillar_weights.copy(), doc="Pillar weights (sums).")
    subpillar_weights = property(lambda self: self._subpillar_weights.copy(), doc="Sub-pillar weights.")
    scores = property(lambda self: self._table["closeness"].copy(), doc="TOPSIS closeness by (id, time).")
    linear_scores = property(lambda self: self._table["linear_score"].copy(), doc="Linear score S.")
    ranks = property(lambda self: self._table["rank"].copy(), doc="Rank within each period.")
    distances = property(lambda self: self._table[["d_plus", "d_minus"]].copy(), doc="D+ and D-.")
    pillar_scores = property(lambda self: self._pillar_scores.copy(), doc="Pillar closeness.")
    pillar_linear = property(lambda self: self._pillar_linear.copy(), doc="Pillar linear contributions.")
    normalized = property(lambda self: self._normalized.copy(), doc="Unshifted standardised Z.")
    missing_report = property(lambda self: self._missing_report.copy(), doc="Imputed/dropped cells.")
    constant = property(lambda self: list(self._constant), doc="Zero-variance indicators.")
    settings = property(lambda self: dict(self._settings), doc="Settings of the run.")
    system = property(lambda self: self._system, doc="IndicatorSystem used, if any.")

    def to_frame(self) -> pd.DataFrame:
        """One row per (id, time): closeness, rank, linear score, D+, D-, pillar
        closeness (``closeness:<pillar>``) and pillar contributions (``linear:<pillar>``)."""
        parts = [self._table]
        if self._pillar_scores.shape[1]:
            parts.append(self._pillar_scores.add_prefix("closeness:"))
            parts.append(self._pillar_linear.add_prefix("linear:"))
        return pd.concat(parts, axis=1)

    def rank_table(self, period=None) -> pd.DataFrame:
        """Ranked table for one period (a value of the time column; default: the last), best first."""
        t = self._table
        tn = self._settings["time"]
        if tn is None:
            sub = t
        else:
            times = t.index.get_level_values(tn)
            period = times.max() if period is None else period
            if period not in set(times):
                raise DataError(f"{tn} {period!r} not in the results; available: {format_values(sorted(set(times)))}")
            sub = t.xs(period, level=tn)
        out = sub[["rank", "closeness", "linear_score"]]
        if self._pillar_scores.shape[1]:
            ps = self._pillar_scores if tn is None else self._pillar_scores.xs(period, level=tn)
            out = out.join(ps.add_prefix("closeness:"))
        return out.sort_values(["rank"], kind="mergesort")

    def national_mean(self) -> pd.DataFrame:
        """Mean (over ids) closeness, linear score and pillar closeness by period,
        with the number of ids averaged."""
        tn = self._settings["time"]
        if tn is None:
            raise DataError("national_mean needs a panel (time column); this is a cross-section")
        f = self.to_frame()
        cols = ["closeness", "linear_score"] + [c for c in f.columns if c.startswith("closeness:")]
        g = f.groupby(level=tn)
        out = g[cols].mean()
        out.insert(0, "n", g.size())
        return out

    def obstacles(self, top_k: int = 3) -> ObstacleResult:
        """Obstacle degrees (:func:`obstacle_degree`) with the index's weights
        (per-year weights in a per-year run) and pillars."""
        tn = self._settings["time"]
        Z = self._normalized
        if self._weights_by_time is not None:
            parts = []
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                for t, sub in Z.groupby(level=tn, sort=True):
                    parts.append(obstacle_degree(sub, self._weights_by_time.loc[t],
                                                 self._pillar_of, top_k))
            undefined = sum((p.undefined for p in parts), [])
            if undefined:
                warnings.warn(f"obstacle degree undefined for {format_values(undefined)}: NaN",
                              IndexWarning, stacklevel=2)
            deg = pd.concat([p._degrees for p in parts])
            grp = None if parts[0]._groups is None else pd.concat([p._groups for p in parts])
            return ObstacleResult(deg, grp, undefined, top_k)
        return obstacle_degree(Z, self._weights, self._pillar_of, top_k)

    def coupling(self, pillars: Sequence[str] | None = None, alpha=None,
                 scores: str = "closeness") -> CouplingResult:
        """Coupling coordination between pillars (:func:`coupling_coordination`).

        ``scores="closeness"`` uses the pillar TOPSIS closeness (in [0, 1]);
        ``"linear"`` uses each pillar's linear index rescaled to [0, 1]:
        sum_{j in p} w_j Z_j / sum_{j in p} w_j (unshifted Z).
        """
        if not self._pillar_scores.shape[1]:
            raise DataError("no pillars: pass system= or pillars= to entropy_topsis")
        if scores == "closeness":
            U = self._pillar_scores
        elif scores == "linear":
            U = self._pillar_unit
        else:
            raise DataError(f"scores must be 'closeness' or 'linear', got {scores!r}")
        if pillars is not None:
            pillars = list(pillars)
            unknown = [p for p in pillars if p not in U.columns]
            if unknown:
                raise DataError(f"unknown pillar(s) {format_values(unknown)}; pillars: {format_values(U.columns)}")
            U = U[pillars]
        return coupling_coordination(U, alpha)

    def summary(self) -> str:
        s = self._settings
        lines = [f"Composite index: {s['method']}",
                 f"  observations {s['n_obs']} ({s['n_ids']} ids"
                 + (f" x {s['n_times']} periods {s['time_min']}-{s['time_max']})" if s['time'] else ")"),
                 f"  standardisation {s['normalize']} over "
                 + ("each period separately (k = 1/ln n_t)" if s["per_year"] else "all observations together"
                    + (" (panel entropy, k = 1/ln(nT))" if s["time"] else "")),
                 f"  shift {s['shift']:g}; TOPSIS distance {s['distance']}; weights {s['weights']}"]
        if self._system is not None:
            lines.append(f"  indicator system {self._system.name!r}")
            for a in self._system.absent_pillars:
                lines.append(f"  ABSENT pillar {a.key}: {a.reason}")
        ind = self._indicators[["direction", "pillar", "entropy", "divergence", "weight"]]
        lines.append("")
        lines.append(ind.to_string(float_format=lambda v: f"{v:.6f}"))
        if len(self._pillar_weights):
            lines.append("pillar weights: " + ", ".join(f"{k} {v:.4f}" for k, v in self._pillar_weights.items()))
        if self._constant:
            lines.append(f"zero-variance indicators (weight 0): {format_values(self._constant)}")
        mr = self._missing_report
        if len(mr):
            n_i = int((mr["action"] == "interpolated").sum())
            n_d = int((mr["action"] == "dropped row").sum())
            lines.append(f"missing data: {n_i} cell(s) interpolated, {n_d} missing cell(s) in dropped rows "
                         "(result.missing_report lists them)")
        else:
            lines.append("missing data: none")
        rt = self.rank_table()
        lines.append("")
        lines.append(f"top 5{' in ' + str(s['time_max']) if s['time'] else ''}:")
        lines.append(rt.head(5)[["rank", "closeness"]].to_string(float_format=lambda v: f"{v:.4f}"))
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# the index
# ---------------------------------------------------------------------------
def _weights_for(Z, const, shift, weights, combine, alpha, cols):
    """Entropy, CRITIC and chosen weights for one standardised block."""
    e, d, we = _entropy_kernel(Z, shift, const)
    info, wc = (None, None)
    if isinstance(weights, str) and weights in ("critic", "combined"):
        info, wc = _critic_kernel(Z, const)
        if wc is None:
            raise DataError("CRITIC weights are undefined: fewer than two non-constant indicators or all "
                            f"perfectly correlated ({format_values(cols)})")
    if isinstance(weights, str):
        if weights == "entropy":
            w = we
        elif weights == "critic":
            w = wc
        elif weights == "combined":
            w = combined_weights(pd.Series(we, index=cols), pd.Series(wc, index=cols),
                                 combine, alpha).to_numpy()
        elif weights == "equal":
            w = np.full(len(cols), 1.0 / len(cols))
        else:
            raise DataError(f"unknown weights scheme {weights!r}; use 'entropy', 'critic', 'combined', "
                            "'equal' or a mapping {indicator: weight}")
    else:
        w = _user_weights(weights, cols)
    return e, d, we, info, wc, w


def entropy_topsis(data: pd.DataFrame, directions=None, *, id: str = "code",
                   time: str | None = "year", shift: float = 1e-4,
                   system: IndicatorSystem | None = None,
                   pillars: Mapping[str, Sequence[str]] | None = None,
                   scheme="entropy", combine: str = "geometric", alpha: float = 0.5,
                   per_year: bool = False, distance: str = "euclidean",
                   normalize: str = "minmax", missing="raise") -> IndexResult:
    r"""Composite index by (panel) entropy weights and TOPSIS.

    Default ("improved" panel entropy-TOPSIS, docs/methods/index.md §1):

    1. standardise every indicator over **all** (id, time) observations
       together (directed min-max, see :func:`entropy_weights`), so scores
       are comparable across years;
    2. entropy weights with :math:`k = 1/\ln(nT)` and shift
       :math:`\varepsilon`;
    3. TOPSIS on :math:`V = w\,Z` with panel ideals
       :math:`V^+_j = \max V_j`, :math:`V^-_j = \min V_j`:
       :math:`D^\pm = \lVert V - V^\pm\rVert_2`,
       :math:`C = D^- / (D^+ + D^-)`;
    4. linear score :math:`S = \sum_j w_j (Z_j + \varepsilon)`; pillar
       weights are sums of indicator weights; pillar scores are the TOPSIS
       closeness on each pillar's indicators with the same weights.

    Parameters
    ----------
    data : DataFrame
        Long panel (one row per id and time) or a cross-section (``time=None``).
    directions : mapping or IndicatorSystem
        ``{column: +1 | -1}``; may be omitted when ``system`` is given.
    id, time : str
        Id and time columns (``time=None`` for a single cross-section).
    shift : float, default 1e-4
        :math:`\varepsilon` (option; 1e-3 and 0.01 also appear).
    system : IndicatorSystem, optional
        Supplies directions, pillars and sub-pillars.
    pillars : mapping, optional
        ``{pillar: [columns]}`` when no system is given.
    scheme : {"entropy", "critic", "combined", "equal"} or mapping
        Weighting scheme; a mapping gives fixed user weights (renormalised to sum 1).
        (``scheme``, not ``weights``: in this package ``obs_weights`` are observation
        weights and ``w`` is spatial weights.)
    combine, alpha :
        Combination of entropy and CRITIC weights for ``scheme="combined"``
        (see :func:`combined_weights`).
    per_year : bool, default False
        Option: T separate cross-sections (standardisation, weights with
        :math:`k = 1/\ln n_t`, ideals), scores comparable only within a year.
    distance : {"euclidean", "weighted"}
        ``"weighted"``: :math:`D^\pm = \sqrt{\sum_j w_j (Z_j - Z_j^\pm)^2}`.
    normalize : {"minmax", "none"}
        ``"none"`` uses already standardised, non-negative benefit values.
    missing : {"raise", "interpolate", "drop"} or ("interpolate", "drop")
        Default refuses and lists every missing cell.  ``"interpolate"``:
        linear interpolation over time within each id (interior gaps only;
        leading or trailing gaps are an error unless combined with
        ``"drop"``).  ``"drop"``: drop the (id, time) rows with a missing
        indicator.  Every changed or dropped cell is listed in
        ``result.missing_report`` and summarised in an :class:`IndexWarning`.

    Returns
    -------
    IndexResult

    Raises
    ------
    DataError, PanelError
        Missing columns, duplicated (id, time) rows, non-numeric data, missing
        cells under ``missing="raise"``, unknown directions, all-constant
        indicators, negative values with ``normalize="none"``.

    Warns
    -----
    IndexWarning
        Zero-variance indicators (weight 0, named); imputed or dropped cells.

    Examples
    --------
    >>> from spatialnqpf import index
    >>> panel = index.demo_indicators()
    >>> sysm = index.demo_system().select(pillars=["technology"])
    >>> res = index.entropy_topsis(panel, system=sysm, missing="interpolate")  # doctest: +SKIP
    >>> res.rank_table(2022).head()  # doctest: +SKIP
    """
    if system is not None:
        if not isinstance(system, IndicatorSystem):
            raise TypeError(f"system must be an IndicatorSystem, got {type(system).__name__}")
        if directions is not None and not isinstance(directions, IndicatorSystem):
            sd = system.directions
            dd = _parse_directions(directions)
            if dd != sd:
                raise DataError("directions disagree with the indicator system; pass only one of them")
    elif isinstance(directions, IndicatorSystem):
        system = directions
    dirs = system.directions if system is not None else _parse_directions(directions)
    cols = list(dirs)
    shift = _check_shift(shift)
    if distance not in ("euclidean", "weighted"):
        raise DataError(f"distance must be 'euclidean' or 'weighted', got {distance!r}")
    if per_year and time is None:
        raise DataError("per_year=True needs a time column")
    overlap = [c for c in cols if c in (id, time)]
    if overlap:
        raise DataError(f"indicator columns overlap the id/time columns: {format_values(overlap)}")

    # pillar structure
    if system is not None and pillars is not None:
        raise DataError("pass either system= or pillars=, not both")
    if system is not None:
        pillar_of = system.pillar_of
        sub_of = system.subpillar_of
    elif pillars is not None:
        pillar_of = {}
        for p, cs in pillars.items():
            for c in ([cs] if isinstance(cs, str) else cs):
                if c not in dirs:
                    raise DataError(f"pillar {p!r} lists {c!r}, which is not among the indicators "
                                    f"{format_values(cols)}")
                if c in pillar_of:
                    raise DataError(f"indicator {c!r} is in two pillars: {pillar_of[c]!r} and {p!r}")
                pillar_of[c] = p
        sub_of = {}
    else:
        pillar_of, sub_of = {}, {}

    if isinstance(data, pd.DataFrame) and any(k is not None and k not in data.columns and k in data.index.names
                                              for k in (id, time)):
        data = data.reset_index()  # ids/times given as index levels
    df = check_panel(data, id, time, columns=cols, allow_missing=True)
    df, report = _handle_missing(df, id, time, cols, missing)
    if time is not None:
        df = df.sort_values([time, id], kind="mergesort").reset_index(drop=True)
    keys = [id] + ([time] if time else [])
    index = pd.MultiIndex.from_frame(df[keys]) if time else pd.Index(df[id], name=id)
    X = df[cols].to_numpy(dtype=float)
    if X.shape[0] < 2:
        raise DataError(f"at least two observations are needed, got {X.shape[0]}")
    d = np.array([dirs[c] for c in cols])
    _check_normalize(normalize, X, cols, d, index)
    wname = scheme if isinstance(scheme, str) else "user"

    n = X.shape[0]
    if not per_year:
        blocks = [np.arange(n)]
        block_keys = [None]
    else:
        tv = df[time].to_numpy()
        block_keys = list(pd.unique(tv))
        blocks = [np.flatnonzero(tv == t) for t in block_keys]
        small = [t for t, b in zip(block_keys, blocks) if len(b) < 2]
        if small:
            raise DataError(f"per_year needs at least two ids per period; periods with fewer: {format_values(small)}")

    Z = np.empty_like(X)
    C = np.empty(n); dp = np.empty(n); dm = np.empty(n); S = np.empty(n)
    pillar_keys = list(dict.fromkeys(pillar_of[c] for c in cols if c in pillar_of))
    PC = np.empty((n, len(pillar_keys)))
    W_rows, E_rows, D_rows, WE_rows, INFO_rows, WC_rows, const_any = [], [], [], [], [], [], np.zeros(len(cols), bool)
    mins, maxs = [], []
    for bk, rows in zip(block_keys, blocks):
        Zb, const, mn, mx = _standardise(X[rows], d, normalize)
        const_any |= const
        if const.all():
            where = "" if bk is None else f" in {time} {bk!r}"
            raise DataError(f"all indicators are constant{where} ({format_values(cols)}): no weights can be formed")
        e, dv, we, info, wc, w = _weights_for(Zb, const, shift, scheme, combine, alpha, cols)
        if not w[~const].sum() > 0:
            where = "" if bk is None else f" in {time} {bk!r}"
            raise DataError(f"all weight is on constant indicators{where}: "
                            f"{format_values([c for c, k in zip(cols, const) if k])}; scores are undefined")
        p_, m_, c_ = _topsis_kernel(Zb + shift, w, distance)
        Z[rows], C[rows], dp[rows], dm[rows] = Zb, c_, p_, m_
        S[rows] = (Zb + shift) @ w
        for k, p in enumerate(pillar_keys):
            sel = np.array([pillar_of.get(c) == p for c in cols])
            PC[rows, k] = _topsis_kernel(Zb[:, sel] + shift, w[sel], distance)[2]
        W_rows.append(w); E_rows.append(e); D_rows.append(dv); WE_rows.append(we)
        INFO_rows.append(info if info is not None else np.full(len(cols), np.nan))
        WC_rows.append(wc if wc is not None else np.full(len(cols), np.nan))
        mins.append(mn); maxs.append(mx)
    const_names = [c for c, k in zip(cols, const_any) if k]
    if const_names:
        warnings.warn(f"indicator(s) with zero variance carry no information and get weight 0"
                      f"{' (in some periods)' if per_year else ''}: {format_values(const_names)}",
                      IndexWarning, stacklevel=2)

    ci = pd.Index(cols, name="indicator")
    mean = lambda rows_: np.nanmean(np.vstack(rows_), axis=0) if not all(np.isnan(r).all() for r in rows_) else np.full(len(cols), np.nan)
    w_final = pd.Series(np.mean(np.vstack(W_rows), axis=0), index=ci, name="weight")
    wbt = pd.DataFrame(np.vstack(W_rows), index=pd.Index(block_keys, name=time), columns=ci) if per_year else None
    indicators = pd.DataFrame({
        "direction": ["+" if x > 0 else "-" for x in d],
        "pillar": [pillar_of.get(c) for c in cols],
        "subpillar": [sub_of.get(c) for c in cols],
        "min": np.min(np.vstack(mins), axis=0), "max": np.max(np.vstack(maxs), axis=0),
        "entropy": mean(E_rows), "divergence": mean(D_rows),
        "weight_entropy": mean(WE_rows), "critic_information": mean(INFO_rows),
        "weight_critic": mean(WC_rows), "weight": w_final.to_numpy(),
    }, index=ci)

    table = pd.DataFrame({"closeness": C, "linear_score": S, "d_plus": dp, "d_minus": dm}, index=index)
    if time:
        table["rank"] = table.groupby(level=time)["closeness"].rank(ascending=False, method="min").astype(int)
    else:
        table["rank"] = table["closeness"].rank(ascending=False, method="min").astype(int)
    table = table[["closeness", "rank", "linear_score", "d_plus", "d_minus"]]

    Zdf = pd.DataFrame(Z, index=index, columns=ci)
    pcols = pd.Index(pillar_keys, name="pillar")
    pillar_scores = pd.DataFrame(PC, index=index, columns=pcols)
    if per_year:
        wmat = np.vstack([W_rows[block_keys.index(t)] for t in df[time].to_numpy()])
    else:
        wmat = np.broadcast_to(W_rows[0], Z.shape)
    contrib = (Z + shift) * wmat
    plin = np.column_stack([contrib[:, [pillar_of.get(c) == p for c in cols]].sum(axis=1)
                            for p in pillar_keys]) if pillar_keys else np.empty((n, 0))
    pillar_linear = pd.DataFrame(plin, index=index, columns=pcols)
    unit = []
    for p in pillar_keys:
        sel = np.array([pillar_of.get(c) == p for c in cols])
        ws = (wmat[:, sel]).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            unit.append(np.where(ws > 0, (Z[:, sel] * wmat[:, sel]).sum(axis=1) / ws, 0.0))
    pillar_unit = pd.DataFrame(np.column_stack(unit) if unit else np.empty((n, 0)), index=index, columns=pcols)
    pw = w_final.groupby(pd.Series(pillar_of), sort=False).sum().reindex(pillar_keys).rename("weight") \
        if pillar_keys else pd.Series(dtype=float, name="weight")
    pw.index.name = "pillar"
    sub_keys = list(dict.fromkeys(sub_of[c] for c in cols if c in sub_of))
    spw = w_final.groupby(pd.Series(sub_of), sort=False).sum().reindex(sub_keys).rename("weight") \
        if sub_keys else pd.Series(dtype=float, name="weight")
    spw.index.name = "subpillar"

    times = df[time] if time else None
    method = {"entropy": "entropy-TOPSIS", "critic": "CRITIC-TOPSIS", "combined": f"entropy+CRITIC ({combine})-TOPSIS",
              "equal": "equal-weight TOPSIS"}.get(wname, "user-weight TOPSIS")
    settings = {"method": ("per-year " if per_year else ("panel " if time else "")) + method,
                "weights": wname, "combine": combine if wname == "combined" else None,
                "shift": shift, "normalize": normalize, "distance": distance, "per_year": per_year,
                "id": id, "time": time, "n_obs": n, "n_ids": int(df[id].nunique()),
                "n_times": int(times.nunique()) if time else 1,
                "time_min": times.min() if time else None, "time_max": times.max() if time else None,
                "missing": missing}
    return IndexResult(weights=w_final, weights_by_time=wbt, indicators=indicators,
                       pillar_weights=pw, subpillar_weights=spw, table=table,
                       pillar_scores=pillar_scores, pillar_linear=pillar_linear,
                       pillar_unit=pillar_unit, normalized=Zdf, missing_report=report,
                       constant=const_names, settings=settings, system=system,
                       pillar_of=pillar_of)
