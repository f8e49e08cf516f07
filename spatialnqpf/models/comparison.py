"""Side-by-side comparison of estimation results (as ``linearmodels.panel.compare``).

:func:`compare` reads every result through the protocol only: coefficients from
:meth:`~spatialnqpf._results.EstimationResults.tidy` (``term, estimate, std_error, statistic,
p_value``) and fit statistics from public attributes (``nobs``, ``llf``, ``r2``, ``info["fe"]``,
``model``).  Anything that follows the protocol can be compared, not only spatial models.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np
import pandas as pd

from .._results import EstimationResults, Flag, Results, stars
from ._taxonomy import fe_label, model_label

__all__ = ["compare", "ComparisonResult"]

_SPATIAL = ("rho", "lambda")
#: fixed-effects type → (unit FE, time FE)
_FE_FLAGS = {"none": (False, False), "individual": (True, False), "time": (False, True),
             "twoways": (True, True), "random": (False, False)}
_STAT_LABELS = {
    "en": {"model": "Model", "fe_unit": "Unit FE", "fe_time": "Time FE", "nobs": "N",
           "llf": "Log-likelihood", "r2": "R²", "yes": "Yes", "no": "No"},
    "zh": {"model": "模型", "fe_unit": "个体固定效应", "fe_time": "时间固定效应", "nobs": "样本量",
           "llf": "对数似然值", "r2": "R²", "yes": "是", "no": "否"},
}


@dataclasses.dataclass(eq=False, repr=False)
class ComparisonResult(Results):
    """Several estimation results side by side (read-only; from :func:`compare`).

    Attributes
    ----------
    names : tuple of str
        Column names, in the order given.
    params, std_errors, tvalues, pvalues : DataFrame
        Terms × results (NaN where a result has no such term).
    stats : DataFrame
        Rows model, fe_unit, fe_time, nobs, llf, r2 × results (numbers and labels).
    """

    names: tuple
    params: pd.DataFrame
    std_errors: pd.DataFrame
    tvalues: pd.DataFrame
    pvalues: pd.DataFrame
    stats: pd.DataFrame
    digits: int = 4
    lang: str = "en"
    flagged: tuple = ()
    component_flags: tuple = ()
    _title = "Model comparison"

    def __post_init__(self):
        # the flags of the compared fits, prefixed by their names, so that a table built
        # from this comparison cannot lose them
        self._set_flags([Flag(code, f"{name}: {msg}") for name, code, msg in
                         self.component_flags], warn=False)
        self._freeze()

    def to_frame(self) -> pd.DataFrame:
        """The display table: for each term a coefficient row (with stars: *** p < 0.01,
        ** p < 0.05, * p < 0.1) and a row of standard errors in parentheses (index
        ``(term, "coef")`` / ``(term, "se")``), then the rows of :attr:`stats`
        (index ``(label, "")``).  Strings; the numbers are in :attr:`params` etc."""
        d = self.digits
        P, S, Pv = self.params, self.std_errors, self.pvalues
        rows, index = [], []
        for term in P.index:
            rows.append(["" if not np.isfinite(P.at[term, c]) else
                         f"{P.at[term, c]:.{d}f}{stars(Pv.at[term, c])}" for c in self.names])
            index.append((term, "coef"))
            rows.append(["" if not np.isfinite(S.at[term, c]) else f"({S.at[term, c]:.{d}f})"
                         for c in self.names])
            index.append((term, "se"))
        lab = _STAT_LABELS.get(self.lang, _STAT_LABELS["en"])
        st = self.stats
        for key in st.index:
            vals = []
            for c in self.names:
                v = st.at[key, c]
                if key in ("fe_unit", "fe_time"):
                    vals.append("" if v is None or v is np.nan else lab["yes" if v else "no"])
                elif key == "nobs":
                    vals.append("" if pd.isna(v) else f"{int(v)}")
                elif key in ("llf", "r2"):
                    vals.append("" if pd.isna(v) else f"{float(v):.{d}f}")
                else:
                    vals.append("" if v is None else str(v))
            rows.append(vals)
            index.append((lab.get(key, key), ""))
        out = pd.DataFrame(rows, columns=list(self.names),
                           index=pd.MultiIndex.from_tuples(index, names=["term", "row"]))
        return out

    def _summary_notes(self) -> list:
        notes = ["Standard errors in parentheses; *** p<0.01, ** p<0.05, * p<0.1"]
        if self.flagged:
            notes.append("flagged fits (not interpretable as they stand): "
                         + ", ".join(self.flagged))
        return notes

    def summary(self) -> str:
        tab = self.to_frame()
        tab.index = [t if r in ("coef", "") else "" for t, r in tab.index]
        lines = [self._title, "=" * 78]
        with pd.option_context("display.width", 160, "display.max_columns", 50,
                               "display.max_rows", 500):
            lines.append(tab.to_string())
        lines.extend(self._summary_notes())
        lines.extend(self._flag_lines())
        return "\n".join(lines)


def _stat(res, key):
    if key == "model":
        m = getattr(res, "model", None)
        return None if m is None else model_label(str(m))
    if key in ("fe_unit", "fe_time"):
        info = getattr(res, "info", {}) or {}
        fe = info.get("fe", getattr(res, "fe", "none"))  # a cross-section has no FE
        return _FE_FLAGS.get(str(fe), (None, None))[0 if key == "fe_unit" else 1]
    val = getattr(res, key, None)
    return np.nan if val is None else float(val)


def compare(results: Mapping[str, EstimationResults], *, digits: int = 4,
            lang: str = "en", terms=None) -> ComparisonResult:
    """Compare estimation results side by side: coefficients, standard errors, fit statistics.

    Parameters
    ----------
    results : mapping name → result
        Estimation results (:class:`~spatialnqpf.models.results.SpatialResults`,
        :class:`~spatialnqpf.dynamics.BetaResult`, any
        :class:`~spatialnqpf._results.EstimationResults`); a list or tuple is named
        ``(1), (2), ...``.
    digits : int
        Decimals of the display table (:meth:`ComparisonResult.to_frame`).
    lang : {"en", "zh"}
        Labels of the statistics rows.
    terms : sequence of str, optional
        Terms to show, in this order (default: every term, in order of first appearance,
        with ``rho`` and ``lambda`` last).

    Returns
    -------
    ComparisonResult
        ``params``, ``std_errors``, ``tvalues``, ``pvalues`` (terms × results, from
        ``tidy()``), ``stats`` (model, unit/time FE, N, log-likelihood, R²), ``to_frame()``
        (coefficients with stars, SEs in parentheses), ``summary()``.  A flagged fit is
        named in the notes and in :attr:`~spatialnqpf._results.Results.flags`.

    Examples
    --------
    >>> from spatialnqpf.models import compare
    >>> compare({"SAR": sar, "SDM": sdm}).summary()              # doctest: +SKIP
    """
    if isinstance(results, (list, tuple)):
        results = {f"({i + 1})": r for i, r in enumerate(results)}
    if not isinstance(results, Mapping) or not results:
        raise ValueError("results must be a non-empty mapping name -> estimation result")
    bad = [str(k) for k, r in results.items() if not isinstance(r, EstimationResults)]
    if bad:
        raise TypeError(f"not estimation results (no tidy()): {', '.join(bad)}")
    names = tuple(str(k) for k in results)
    tidies = {str(k): r.tidy() for k, r in results.items()}
    order = []
    for t in tidies.values():
        order.extend(x for x in t["term"] if x not in order)
    # spatial parameters last, as in journal tables: x, W_x, ..., rho, lambda
    order = [t for t in order if t not in _SPATIAL] + [t for t in _SPATIAL if t in order]
    if terms is not None:
        missing = [t for t in terms if t not in order]
        if missing:
            raise ValueError(f"term(s) in no result: {', '.join(map(str, missing))}")
        order = list(terms)

    def wide(col):
        return pd.DataFrame({n: t.set_index("term")[col].reindex(order)
                             for n, t in tidies.items()}, index=pd.Index(order, name="term"))

    stats_rows = ("model", "fe_unit", "fe_time", "nobs", "llf", "r2")
    stats = pd.DataFrame({n: [_stat(r, k) for k in stats_rows]
                          for n, r in zip(names, results.values())},
                         index=pd.Index(stats_rows, name="stat"), dtype=object)
    flagged = tuple(n for n, r in zip(names, results.values()) if r.flags)
    comp = tuple((n, f.code, f.message) for n, r in zip(names, results.values())
                 for f in r.flags)
    return ComparisonResult(names=names, params=wide("estimate"), std_errors=wide("std_error"),
                            tvalues=wide("statistic"), pvalues=wide("p_value"), stats=stats,
                            digits=int(digits), lang=lang, flagged=flagged,
                            component_flags=comp)
