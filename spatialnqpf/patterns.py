r"""Spatial patterns: geographical detector, gravity centre, standard deviational ellipse, ESTDA.

* :func:`geodetector` -- factor, interaction, risk and ecological detectors (Wang et al.
  2010, 2016) with user, standard or optimal (OPGD, Song et al. 2020) discretisation.
* :func:`gravity_centre` -- the value-weighted centre of the provinces by year and its moves.
* :func:`std_ellipse` -- the standard deviational ellipse by year (ArcGIS "Directional
  Distribution").
* :func:`lisa_paths` -- LISA time paths and space--time transitions (giddy ``Rose`` and
  ``LISA_Markov``) aligned by id.

Centre and ellipse are computed in one equal-area plane for China, :data:`CHINA_CRS`
(Albers, lon₀ 105°, standard parallels 25° and 47°, WGS84; the same CRS as
:data:`spatialnqpf.weights.EQUAL_AREA_CRS`); distances are in km.

References
----------
Wang, J.-F., Li, X.-H., Christakos, G. et al. (2010). Geographical detectors-based health
risk assessment and its application in the neural tube defects study of the Heshun Region,
China. *International Journal of Geographical Information Science* 24(1), 107-127.

Wang, J.-F., Zhang, T.-L. & Fu, B.-J. (2016). A measure of spatial stratified heterogeneity.
*Ecological Indicators* 67, 250-256.

Song, Y., Wang, J., Ge, Y. & Xu, C. (2020). An optimal parameters-based geographical
detector model enhances geographic characteristics of explanatory variables for spatial
heterogeneity analysis. *GIScience & Remote Sensing* 57(5), 593-610.

Lefever, D. W. (1926). Measuring geographic concentration by means of the standard
deviational ellipse. *American Journal of Sociology* 32(1), 88-94.

Levine, N. (2010). *CrimeStat III*, chapter 4 (Spatial distribution).

Rey, S. J., Murray, A. T. & Anselin, L. (2011). Visualizing regional income distribution
dynamics. *Letters in Spatial and Resource Sciences* 4, 81-90.
"""
from __future__ import annotations

import dataclasses
from itertools import combinations
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from . import _geodetector as _gd
from ._results import Results, as_mapping
from ._validation import (DataError, IdMismatchError, SpatialNQPFError, check_panel,
                          format_values, require_columns)

__all__ = ["geodetector", "GeodetectorResult", "gravity_centre", "GravityCentreResult",
           "std_ellipse", "EllipseResult", "lisa_paths", "LisaPathsResult", "CHINA_CRS",
           "project", "unproject", "DISCRETIZE_METHODS", "INTERACTION_TYPES"]

#: Equal-area CRS of every planar computation of this module (Albers, lon₀ 105°,
#: standard parallels 25° and 47°, WGS84, metres).
CHINA_CRS = ("+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +datum=WGS84 "
             "+units=m +no_defs")
DISCRETIZE_METHODS = _gd.METHODS
INTERACTION_TYPES = _gd.INTERACTION_TYPES


# ===========================================================================
# geographical detector
# ===========================================================================
@dataclasses.dataclass(eq=False, repr=False)
class GeodetectorResult(Results):
    """Result of :func:`geodetector` (read-only).

    Attributes
    ----------
    factor : DataFrame
        Factor detector: ``factor``, (``year``), ``q``, ``F``, ``df1``, ``df2``, ``lambda``,
        ``p_value``, ``n_strata``.
    interaction : DataFrame
        ``factor_a``, ``factor_b``, (``year``), ``q_a``, ``q_b``, ``q_ab``, ``type``.
    risk_means : DataFrame
        ``factor``, (``year``), ``stratum``, ``n``, ``mean``.
    risk : DataFrame
        Welch t-tests between strata: ``factor``, (``year``), ``stratum_a``, ``stratum_b``,
        ``t``, ``df``, ``p_value``, ``significant``.
    ecological : DataFrame
        ``factor_a``, ``factor_b``, (``year``), ``F``, ``p_value``, ``significant``.
    discretization : DataFrame
        ``factor``, (``year``), ``method`` ("categorical", "manual", a method name, or
        "opgd:<method>"), ``k``, ``breaks`` (tuple of edges; empty for categorical).
    opgd : mapping
        ``(factor, year)`` -> q table (index k, columns methods) of the OPGD search.
    strata : DataFrame
        Stratum label of every unit and factor (index as the input rows).
    """

    factor: pd.DataFrame
    interaction: pd.DataFrame
    risk_means: pd.DataFrame
    risk: pd.DataFrame
    ecological: pd.DataFrame
    discretization: pd.DataFrame
    opgd: Mapping
    strata: pd.DataFrame
    alpha: float = 0.05
    _title = "Geographical detector"

    def to_frame(self):
        return self.factor

    def _summary_notes(self):
        out = []
        if len(self.interaction):
            out += ["", "Interaction detector:", self.interaction.to_string(index=False)]
        if len(self.ecological):
            out += ["", "Ecological detector:", self.ecological.to_string(index=False)]
        d = self.discretization
        if len(d):
            out += ["", "Discretisation:", d.to_string(index=False)]
        return out


def _strata_of(x: pd.Series, spec, name, y, methods, k):
    """Codes, labels, discretisation row and OPGD table of one factor."""
    if spec is None:
        vals = x.to_numpy()
        uniq = pd.unique(vals)
        try:
            uniq = np.sort(uniq)
        except TypeError:
            pass
        pos = {v: i for i, v in enumerate(uniq)}
        codes = np.array([pos[v] for v in vals])
        return codes, [str(u) for u in uniq], ("categorical", len(uniq), ()), None
    xv = pd.to_numeric(x, errors="coerce").to_numpy(float)
    if not np.isfinite(xv).all():
        bad = x.index[~np.isfinite(xv)].tolist()
        raise DataError(f"factor {name!r} must be numeric to be discretised; non-numeric or "
                        f"missing at rows {format_values(bad)}")
    table = None
    if isinstance(spec, str) and spec == "opgd":
        if np.unique(xv).size < 2:
            raise DataError(f"factor {name!r} is constant; it has no strata")
        m, kk, edges, table = _gd.opgd(y, xv, methods, k)
        method = f"opgd:{m}"
    elif isinstance(spec, str) or (isinstance(spec, tuple) and len(spec) == 2
                                   and isinstance(spec[0], str)):
        m, kk = (spec, 5) if isinstance(spec, str) else spec
        if m not in _gd.METHODS:
            raise DataError(f"factor {name!r}: unknown discretisation {m!r}; use 'opgd', one "
                            f"of {format_values(_gd.METHODS)}, (method, k) or a list of breaks")
        if np.unique(xv).size < 2:
            raise DataError(f"factor {name!r} is constant; it has no strata")
        edges = _gd.breaks(xv, int(kk), m)
        method = m
    else:
        edges = np.asarray(spec, float)
        if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
            raise DataError(f"factor {name!r}: breaks must be the full, strictly increasing "
                            f"edge list (at least 2 values), got {list(np.ravel(edges))}")
        method, kk = "manual", edges.size - 1
    if method != "manual":
        edges = _gd.snap_edges(xv, edges)
    if np.unique(edges).size != edges.size:
        raise DataError(f"factor {name!r}: discretisation {method} gives repeated breaks "
                        f"{list(edges)}; choose fewer classes or another method")
    codes = _gd.cut(xv, edges)
    if (codes < 0).any():
        out = x.index[codes < 0].tolist()
        raise DataError(f"factor {name!r}: values outside the breaks [{edges[0]}, "
                        f"{edges[-1]}] at rows {format_values(out)}")
    labels = _gd.interval_labels(edges)
    return codes, labels, (method, int(edges.size - 1), tuple(float(e) for e in edges)), table


def _check_strata(codes, name, n, allow_many=False):
    L = np.unique(codes).size
    if L < 2:
        raise DataError(f"factor {name!r} has a single stratum (constant factor); q is "
                        "undefined")
    if not allow_many and L > n / 2:
        raise DataError(f"factor {name!r} has too few units per stratum: {L} strata for {n} "
                        "units (more than n/2); discretise it (discretize='opgd' or breaks)")


def geodetector(data: pd.DataFrame, y: str = "y", factors: Sequence[str] | None = None,
                discretize=None, *, id: str = "code", time: str | None = None,
                methods: Sequence[str] = _gd.METHODS, k: Sequence[int] = range(3, 8),
                alpha: float = 0.05) -> GeodetectorResult:
    r"""Geographical detector: factor, interaction, risk and ecological detectors.

    For a stratification of the N units into L strata (sizes :math:`N_h`, means
    :math:`m_h`) the **factor detector** is

    .. math::

        q = 1 - \frac{\mathrm{SSW}}{\mathrm{SST}}
          = 1 - \frac{\sum_h \sum_{i\in h}(y_i - m_h)^2}{\sum_i (y_i - \bar y)^2},
        \qquad F = \frac{N-L}{L-1}\,\frac{q}{1-q}
        \sim F(L-1, N-L; \lambda),

    .. math::

        \lambda = \frac{\sum_h m_h^2 - \big(\sum_h \sqrt{N_h}\, m_h\big)^2 / N}{\mathrm{SST}/N}.

    Conventions (references differ; these are fixed):

    * q over **all** units: a one-unit stratum is kept (it adds 0 to SSW), as R
      ``geodetector`` (R ``GD`` 10.8 and the PyPI ``geodetector`` drop such strata);
    * λ with the population variance SST/N (Wang et al. 2016, R ``GD``); the p-value is
      the upper tail of the non-central F from :func:`scipy.stats.ncf` (accurate; R's
      ``pf(ncp=)`` is good to ~1e-9 only);
    * **interaction**: q of the crossed strata (every observed combination of the two
      factors' strata), typed by GD's boundaries: q_ab < min → "Weaken, nonlinear";
      min ≤ q_ab ≤ max → "Weaken, uni-"; max < q_ab < q_a + q_b → "Enhance, bi-";
      q_ab = q_a + q_b → "Independent"; otherwise "Enhance, nonlinear";
    * **ecological**: F = SSW_a / SSW_b on (N − 1, N − 1) degrees of freedom, two-sided p;
    * **risk**: stratum means and Welch t-tests with Satterthwaite df between every pair
      of strata with at least 2 units (none for one-unit strata);
    * **discretisation**: ``None`` uses each factor's values as strata (categorical);
      ``"opgd"`` picks, for every factor, the method and number of strata of largest q
      as GD 10.8's ``optidisc`` (methods equal, natural/Jenks, quantile type 7,
      geometric, sd; k = 3…7; candidates with repeated breaks or an interval holding
      fewer than 2 units are skipped; the first maximum in method-major order wins);
      a method name or ``(method, k)`` uses that method; a list is the full edge list
      (manual breaks).  Intervals are right-closed with the first one closed
      (R ``cut(include.lowest=TRUE)``).  A mapping gives one of these per factor
      (factors absent from it are categorical).

    Parameters
    ----------
    data : DataFrame
        One row per unit (and year).
    y : str
        Column of the explained variable.
    factors : list of str
        Columns of the explanatory factors.
    discretize : None, "opgd", method name, (method, k), or mapping factor -> one of
        these or a list of breaks.
    id, time : str
        Unit and year columns.  ``time=None`` (default) pools all rows into one analysis;
        ``time="year"`` runs the detector for each year (discretisation per year).  The
        ``id`` column, when present, is checked for duplicates within a year.
    methods, k :
        OPGD search space (GD's defaults).
    alpha : float
        Level of the ``significant`` columns.

    Returns
    -------
    GeodetectorResult

    Raises
    ------
    DataError
        Missing columns or values, a constant factor, a factor with more strata than
        N/2 (too few units per stratum), breaks that leave values out.
    """
    if factors is None or isinstance(factors, str) or not len(factors):
        raise DataError("factors must be a non-empty list of column names")
    factors = list(factors)
    if y in factors:
        raise DataError(f"y {y!r} is also among the factors")
    require_columns(data, [y] + factors + ([time] if time is not None else []))
    if id in data.columns:
        check_panel(data, id, time, columns=[y])
    spec = discretize if isinstance(discretize, Mapping) else {f: discretize for f in factors}
    unknown = [f for f in spec if f not in factors]
    if unknown:
        raise DataError(f"discretize names factor(s) not in factors: {format_values(unknown)}")
    yv_all = pd.to_numeric(data[y], errors="coerce")
    bad = data.index[~np.isfinite(yv_all.to_numpy(float))].tolist()
    if bad:
        raise DataError(f"y {y!r} has missing or non-numeric values at rows "
                        f"{format_values(bad)}")
    for f in factors:
        if data[f].isna().any():
            raise DataError(f"factor {f!r} has missing values at rows "
                            f"{format_values(data.index[data[f].isna()].tolist())}")
    groups = [(None, data)] if time is None else list(data.groupby(time, sort=True))
    fac, inter, rmean, rtest, eco, disc, tables, strata = [], [], [], [], [], [], {}, []
    for year, df in groups:
        yv = df[y].to_numpy(float)
        n = yv.size
        if np.ptp(yv) == 0:
            raise DataError(f"y {y!r} is constant{'' if year is None else f' in {year}'}; "
                            "q is undefined")
        tag = {} if year is None else {time: year}
        codes, labels, res = {}, {}, {}
        st = pd.DataFrame(index=df.index)
        for f in factors:
            c, lab, drow, table = _strata_of(df[f], spec.get(f), f, yv, methods, k)
            _check_strata(c, f, n)
            codes[f], labels[f] = c, lab
            st[f] = [lab[i] for i in c]
            disc.append({"factor": f, **tag, "method": drow[0], "k": drow[1],
                         "breaks": drow[2]})
            if table is not None:
                tables[(f, year)] = table
            r = _gd.factor_q(yv, c)
            res[f] = r
            fac.append({"factor": f, **tag, **{kk: r[kk] for kk in
                                              ("q", "F", "df1", "df2", "lambda", "p_value",
                                               "n_strata")}})
            mt, tt = _gd.risk(yv, c, lab, alpha)
            rmean.append(mt.assign(factor=f, **tag))
            rtest.append(tt.assign(factor=f, **tag))
        strata.append(st)
        for a, b in combinations(factors, 2):
            _, cross = np.unique(np.stack([codes[a], codes[b]]), axis=1, return_inverse=True)
            q12 = _gd.factor_q(yv, cross.ravel())["q"]
            qa, qb = res[a]["q"], res[b]["q"]
            inter.append({"factor_a": a, "factor_b": b, **tag, "q_a": qa, "q_b": qb,
                          "q_ab": q12, "type": _gd.interaction_type(qa, qb, q12)})
            F, p, sig = _gd.ecological(res[a]["ssw"], res[b]["ssw"], n, alpha)
            eco.append({"factor_a": a, "factor_b": b, **tag, "F": F, "p_value": p,
                        "significant": bool(sig)})
    lead = ["factor"] + ([time] if time is not None else [])

    def _front(df, first):
        return df[first + [c for c in df.columns if c not in first]] if len(df) else df

    rm = pd.concat(rmean, ignore_index=True)
    rt = pd.concat(rtest, ignore_index=True)
    pairs = ["factor_a", "factor_b"] + ([time] if time is not None else [])
    return GeodetectorResult(
        factor=pd.DataFrame(fac), interaction=pd.DataFrame(inter),
        risk_means=_front(rm, lead), risk=_front(rt, lead),
        ecological=pd.DataFrame(eco, columns=pairs + ["F", "p_value", "significant"]),
        discretization=pd.DataFrame(disc), opgd=as_mapping(tables),
        strata=pd.concat(strata), alpha=float(alpha))
