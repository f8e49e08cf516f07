"""The one result protocol of the package: frozen results, tables, tidy coefficients, flags.

Every object a public function returns as "results" derives from :class:`Results`; every
estimation result (anything with parameters and standard errors) from
:class:`EstimationResults`.  The protocol:

``summary() -> str``
    Plain-text report (``__str__`` returns it; ``_repr_html_`` renders :meth:`to_frame`
    as an escaped HTML table for notebooks, with the title and the flags).
``to_frame() -> DataFrame``
    The main table of the result.
``tidy(kind="params") -> DataFrame``  (estimation results)
    Exactly the columns :data:`TIDY_COLUMNS` = ``term, estimate, std_error, statistic,
    p_value, conf_low, conf_high`` (``estimate`` equals ``params``); ``kind="effects"`` adds
    an ``effect`` column (direct / indirect / total) in front.  ``df.attrs["flags"]`` holds
    the result's flags, so that a table built from ``tidy()`` can never lose them.
``flags -> tuple[Flag, ...]``
    Machine-readable warnings about the fit (``Flag(code, message)``): a parameter on the
    boundary of its admissible interval, degenerate standard errors, an optimiser that
    stopped early, a non-stationary dynamic model...  Empty for a clean result.
    :meth:`summary` prints them; the report marks every cell of a flagged fit.

Freezing (one mechanism for every result)
-----------------------------------------
A result is frozen at the end of its construction (``__post_init__`` for dataclasses,
``self._freeze()`` at the end of ``__init__`` otherwise): afterwards assigning or deleting
an attribute raises :class:`AttributeError`.  Stored numpy arrays are made read-only;
stored mappings become read-only views; pandas objects read from a public attribute are
returned as copies, so ``res.table.iloc[0, 0] = 0`` cannot change the result.

Writing a new result
--------------------
::

    @dataclasses.dataclass(eq=False, repr=False)
    class MyResult(Results):
        table: pd.DataFrame
        note: str = ""
        _title = "My statistic"

        def to_frame(self):
            return self.table

and for an estimator::

    class MyFit(EstimationResults):
        _title = "My estimator"

        def __init__(self, params, cov, *, df_resid=None, flags=()):
            self._init_estimates(params, cov, df_resid=df_resid, flags=flags)
            self._freeze()
"""
from __future__ import annotations

import html
import types
import warnings
from typing import Any, Iterable, Mapping, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["Results", "EstimationResults", "Flag", "FitWarning", "TIDY_COLUMNS",
           "EFFECT_TIDY_COLUMNS", "tidy_from_arrays", "stars", "flags_to_json"]

#: Columns of :meth:`EstimationResults.tidy`, in this order.
TIDY_COLUMNS = ("term", "estimate", "std_error", "statistic", "p_value", "conf_low",
                "conf_high")
#: Columns of ``tidy(kind="effects")``.
EFFECT_TIDY_COLUMNS = ("effect",) + TIDY_COLUMNS


class Flag(NamedTuple):
    """A machine-readable warning about a fit: ``code`` (stable identifier) and ``message``.

    Codes used by the package: ``"boundary"`` (a parameter within numerical tolerance of
    the bound of its admissible interval), ``"degenerate_se"`` (non-finite or zero standard
    errors, singular information matrix), ``"not_converged"`` (the optimiser stopped
    early), ``"nonstationary"`` (a dynamic model outside its stability region),
    ``"weak_instruments"`` (first-stage F below 10).
    """

    code: str
    message: str

    def __str__(self):
        return f"[{self.code}] {self.message}"


def flags_to_json(result) -> list:
    """Flags of ``result`` as JSON-ready records ``[{"code": ..., "message": ...}, ...]``.

    ``result`` is a :class:`Results` (or anything with ``flags``), a sequence of
    :class:`Flag`/``(code, message)`` pairs, or None (→ ``[]``).  The report writes this
    next to every estimate in ``results.json`` so that a flagged fit is machine-readable.
    """
    if result is None:
        return []
    flags = getattr(result, "flags", result)
    return [{"code": str(f[0]), "message": str(f[1])} for f in flags]


class FitWarning(UserWarning):
    """Warning issued when a result is created with flags (see :class:`Flag`)."""


def _readonly(value):
    """Store-time conversion: read-only arrays and mappings, tuples for lists of flags."""
    if isinstance(value, np.ndarray):
        if value.flags.writeable:
            value = value.copy()
            value.flags.writeable = False
        return value
    if isinstance(value, dict):
        return types.MappingProxyType(dict(value))
    return value


def stars(p: float) -> str:
    """Significance stars: ``***`` p < 0.01, ``**`` p < 0.05, ``*`` p < 0.1."""
    if p is None or not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


class Results:
    """Base of every result object (see the module docstring for the protocol)."""

    _title = "Results"
    _frozen = False

    # ---------------------------------------------------------------- freezing
    def __setattr__(self, name, value):
        if self.__dict__.get("_frozen", False):
            raise AttributeError(f"{type(self).__name__} is read-only; cannot set {name!r}")
        object.__setattr__(self, name, _readonly(value))

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is read-only; cannot delete {name!r}")

    def __getattribute__(self, name):
        value = object.__getattribute__(self, name)
        if name[:1] != "_" and isinstance(value, (pd.DataFrame, pd.Series)):
            return value.copy()
        return value

    def _freeze(self):
        object.__setattr__(self, "_frozen", True)

    def __post_init__(self):  # dataclass subclasses are frozen after their __init__
        self._freeze()

    # ------------------------------------------------------------------ flags
    @property
    def flags(self) -> tuple:
        """Flags of this result (tuple of :class:`Flag`; empty when clean)."""
        return tuple(self.__dict__.get("_flags", ()))

    def _set_flags(self, flags: Iterable, warn: bool = True):
        """Attach flags before freezing; issue a :class:`FitWarning` for each new one."""
        fl = tuple(f if isinstance(f, Flag) else Flag(*f) for f in flags)
        object.__setattr__(self, "_flags", self.flags + fl)
        if warn:
            for f in fl:
                warnings.warn(f"{self._title}: {f}", FitWarning, stacklevel=3)

    # ----------------------------------------------------------------- tables
    def to_frame(self) -> pd.DataFrame:
        """The main table of this result."""
        raise NotImplementedError(f"{type(self).__name__}.to_frame")

    def _summary_notes(self) -> list:
        """Extra lines printed by :meth:`summary` after the table (override)."""
        return []

    def summary(self) -> str:
        """Plain-text summary: title, main table, notes and flags."""
        lines = [self._title, "=" * max(20, len(self._title))]
        with pd.option_context("display.width", 120, "display.max_columns", 50,
                               "display.max_rows", 200):
            lines.append(self.to_frame().to_string())
        lines.extend(self._summary_notes())
        lines.extend(self._flag_lines())
        return "\n".join(lines)

    def _flag_lines(self) -> list:
        if not self.flags:
            return []
        return ["WARNING: this fit is flagged and cannot be interpreted as it stands:"] + \
            [f"  {f}" for f in self.flags]

    def __str__(self):
        return self.summary()

    def __repr__(self):
        return f"<{type(self).__name__}: {self._title}{' (flagged)' if self.flags else ''}>"

    def _repr_html_(self):
        try:
            body = self.to_frame().to_html(escape=True, float_format=lambda v: f"{v:.6g}")
        except NotImplementedError:
            body = "<pre>" + html.escape(self.summary()) + "</pre>"
        head = f"<p><b>{html.escape(self._title)}</b></p>"
        notes = "".join(f"<p>{html.escape(str(n))}</p>" for n in self._summary_notes())
        fl = "".join(f"<p style='color:#b00'>&#9888; {html.escape(str(f))}</p>"
                     for f in self.flags)
        full = ("<details><summary>summary()</summary><pre>" + html.escape(self.summary())
                + "</pre></details>")
        return head + fl + body + notes + full


def tidy_from_arrays(terms, estimate, std_error, *, df: int | None = None,
                     level: float = 0.95, statistic=None, p_value=None) -> pd.DataFrame:
    """Build a frame with :data:`TIDY_COLUMNS` from estimates and standard errors.

    ``statistic`` defaults to estimate / std_error, ``p_value`` to the two-sided normal
    (``df=None``) or Student-t(df) p-value, the interval to estimate ± c·std_error.
    """
    est = np.asarray(estimate, float)
    se = np.asarray(std_error, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se if statistic is None else np.asarray(statistic, float)
    dist = stats.norm if df is None else stats.t(df)
    p = 2 * dist.sf(np.abs(stat)) if p_value is None else np.asarray(p_value, float)
    c = dist.ppf(1 - (1 - level) / 2)
    return pd.DataFrame({"term": list(terms), "estimate": est, "std_error": se,
                         "statistic": stat, "p_value": p, "conf_low": est - c * se,
                         "conf_high": est + c * se}, columns=list(TIDY_COLUMNS))


def tidy_effects_frame(eff: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Long tidy form (``effect`` + :data:`TIDY_COLUMNS`) of an effects frame with columns
    direct/indirect/total and ``<effect>_se/_t/_p`` (and ``_lo/_hi`` simulation limits, used as
    the interval when present; otherwise estimate ± z·se)."""
    parts = []
    for kind in ("direct", "indirect", "total"):
        t = tidy_from_arrays(eff.index, eff[kind].to_numpy(), eff[f"{kind}_se"].to_numpy(),
                             level=level, statistic=eff[f"{kind}_t"].to_numpy(),
                             p_value=eff[f"{kind}_p"].to_numpy())
        if f"{kind}_lo" in eff:
            t["conf_low"] = eff[f"{kind}_lo"].to_numpy()
            t["conf_high"] = eff[f"{kind}_hi"].to_numpy()
        t.insert(0, "effect", kind)
        parts.append(t)
    return pd.concat(parts, ignore_index=True)


class EstimationResults(Results):
    """Base of estimation results: ``params``, ``cov``/``bse``, inference and :meth:`tidy`.

    Subclasses call :meth:`_init_estimates` in their constructor, then :meth:`_freeze`.
    ``df_resid=None`` refers statistics to the normal distribution (ML, GMM); an integer to
    Student t(df_resid) (least squares; G − 1 for cluster-robust covariances).
    """

    _title = "Estimation results"

    def _init_estimates(self, params, cov=None, *, bse=None, df_resid: int | None = None,
                        flags: Iterable = (), warn: bool = True):
        params = pd.Series(params, dtype=float).copy()
        object.__setattr__(self, "_params", params)
        if cov is not None:
            cov = pd.DataFrame(cov, dtype=float).copy()
            if list(cov.index) != list(params.index) or list(cov.columns) != list(params.index):
                raise ValueError("cov must be indexed and labelled by params.index, got "
                                 f"{list(cov.index)} / {list(cov.columns)} vs "
                                 f"{list(params.index)}")
            se = np.sqrt(np.clip(np.diag(cov.to_numpy()), 0, None))
        elif bse is not None:
            se = np.asarray(pd.Series(bse).reindex(params.index), float)
        else:
            raise ValueError("give cov or bse")
        object.__setattr__(self, "_cov", cov)
        object.__setattr__(self, "_bse", pd.Series(se, index=params.index))
        object.__setattr__(self, "df_resid", None if df_resid is None else int(df_resid))
        fl = list(flags)
        bad = [n for n, s in zip(params.index, se) if not np.isfinite(s) or s <= 0]
        if bad and not any(f[0] == "degenerate_se" for f in fl):
            fl.append(Flag("degenerate_se", "non-finite or zero standard errors for "
                           + ", ".join(map(str, bad))))
        self._set_flags(fl, warn=warn)

    # ------------------------------------------------------------ estimates
    @property
    def params(self) -> pd.Series:
        """Estimates (a copy)."""
        return self._params.copy()

    @property
    def cov(self) -> pd.DataFrame | None:
        """Covariance matrix of the estimates (a copy), or None when only SEs are known."""
        return None if self._cov is None else self._cov.copy()

    @property
    def bse(self) -> pd.Series:
        """Standard errors."""
        return self._bse.copy()

    @property
    def tvalues(self) -> pd.Series:
        """params / bse."""
        return self._params / self._bse

    def _dist(self):
        return stats.norm if self.df_resid is None else stats.t(self.df_resid)

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values (normal, or Student t with ``df_resid``)."""
        return pd.Series(2 * self._dist().sf(np.abs(self.tvalues.to_numpy())),
                         index=self._params.index)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals (columns lower, upper)."""
        c = self._dist().ppf(1 - (1 - level) / 2)
        return pd.DataFrame({"lower": self._params - c * self._bse,
                             "upper": self._params + c * self._bse})

    # ----------------------------------------------------------------- tidy
    def _tidy_effects(self, level: float = 0.95, **kwargs) -> pd.DataFrame:
        raise ValueError(f"{type(self).__name__} has no effects")

    def tidy(self, kind: str = "params", level: float = 0.95, **kwargs) -> pd.DataFrame:
        """Coefficients as a tidy frame with exactly the columns :data:`TIDY_COLUMNS`.

        Parameters
        ----------
        kind : {"params", "effects"}
            ``"effects"`` gives direct/indirect/total effects (``effect`` column first);
            keyword arguments go to the effects computation (method, nsim, seed).
        level : float
            Confidence level of ``conf_low``/``conf_high``.

        ``df.attrs["flags"]`` carries :attr:`flags`.
        """
        if kind == "params":
            out = tidy_from_arrays(self._params.index, self._params.to_numpy(),
                                   self._bse.to_numpy(), df=self.df_resid, level=level)
        elif kind == "effects":
            out = self._tidy_effects(level=level, **kwargs)
        else:
            raise ValueError(f"kind must be 'params' or 'effects', got {kind!r}")
        out.attrs["flags"] = [tuple(f) for f in self.flags]
        return out

    def to_frame(self) -> pd.DataFrame:
        """Coefficient table: index = parameter names; columns coef, se, t, p."""
        df = pd.DataFrame({"coef": self._params, "se": self._bse, "t": self.tvalues,
                           "p": self.pvalues})
        df.index.name = "parameter"
        return df


def as_mapping(value: Any) -> Mapping:
    """Read-only mapping view of ``value`` (None → empty)."""
    return types.MappingProxyType(dict(value or {}))
