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
from ._validation import (DataError, IdMismatchError, SpatialNQPFError, as_generator, check_panel,
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


# ===========================================================================
# gravity centre and standard deviational ellipse
# ===========================================================================
def _transformer(inverse: bool = False):
    from pyproj import Transformer
    return Transformer.from_crs(4326, CHINA_CRS, always_xy=True) if not inverse else \
        Transformer.from_crs(CHINA_CRS, 4326, always_xy=True)


def project(lon, lat):
    """Project WGS84 lon/lat (degrees) to :data:`CHINA_CRS`; returns x, y in **km**."""
    x, y = _transformer().transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x) / 1000.0, np.asarray(y) / 1000.0


def unproject(x_km, y_km):
    """Inverse of :func:`project`: x, y in km in :data:`CHINA_CRS` to lon/lat degrees."""
    lon, lat = _transformer(True).transform(np.asarray(x_km, float) * 1000.0,
                                            np.asarray(y_km, float) * 1000.0)
    return np.asarray(lon), np.asarray(lat)


def _points_frame(data, value, id, time, coords):
    from .weights._api import resolve_points
    df = check_panel(data, id, time, columns=[value])
    v = df[value].to_numpy(float)
    if (v < 0).any():
        bad = df.loc[v < 0, [id] + ([time] if time else [])].itertuples(index=False,
                                                                       name=None)
        raise DataError(f"weights {value!r} must be non-negative; negative at "
                        f"{format_values(list(bad))}")
    ids = pd.Index(df[id].unique())
    pts, source = resolve_points("capitals" if coords is None else coords, ids)
    x, yy = project(pts["lon"].to_numpy(), pts["lat"].to_numpy())
    xy = pd.DataFrame({"x_km": x, "y_km": yy}, index=pts.index)
    df["x_km"] = xy["x_km"].reindex(df[id]).to_numpy()
    df["y_km"] = xy["y_km"].reindex(df[id]).to_numpy()
    return df, source


def _moments(x, y, w):
    sw = w.sum()
    cx, cy = (w * x).sum() / sw, (w * y).sum() / sw
    dx, dy = x - cx, y - cy
    S = np.array([[(w * dx * dx).sum(), (w * dx * dy).sum()],
                  [(w * dx * dy).sum(), (w * dy * dy).sum()]]) / sw
    return cx, cy, S


def _by_year(df, value, time):
    if time is None:
        yield None, df
    else:
        for t, g in df.groupby(time, sort=True):
            yield t, g
        

def _centre_table(df, value, id, time):
    rows = []
    for t, g in _by_year(df, value, time):
        w = g[value].to_numpy(float)
        if w.sum() <= 0:
            raise DataError(f"{value!r} sums to zero{'' if t is None else f' in {t}'}; no "
                            "weighted centre")
        cx, cy, S = _moments(g["x_km"].to_numpy(), g["y_km"].to_numpy(), w)
        rows.append({**({} if time is None else {time: t}), "n": len(g), "x_km": cx,
                     "y_km": cy, "S": S})
    tab = pd.DataFrame(rows)
    lon, lat = unproject(tab.x_km.to_numpy(), tab.y_km.to_numpy())
    tab.insert(tab.columns.get_loc("y_km") + 1, "lon", lon)
    tab.insert(tab.columns.get_loc("lon") + 1, "lat", lat)
    dx, dy = np.diff(tab.x_km, prepend=np.nan), np.diff(tab.y_km, prepend=np.nan)
    tab["distance_km"] = np.hypot(dx, dy)
    tab["direction_deg"] = np.where(np.isfinite(dx), np.degrees(np.arctan2(dx, dy)) % 360.0,
                                    np.nan)
    from pyproj import Geod
    geod = Geod(ellps="WGS84")
    gk = np.full(len(tab), np.nan)
    if len(tab) > 1:
        _, _, dist = geod.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
        gk[1:] = np.asarray(dist) / 1000.0
    tab["geodesic_km"] = gk
    return tab


@dataclasses.dataclass(eq=False, repr=False)
class GravityCentreResult(Results):
    """Result of :func:`gravity_centre`: ``table`` with (``year``), ``n``, ``x_km``,
    ``y_km`` (in :data:`CHINA_CRS`), ``lon``, ``lat``, ``distance_km``, ``direction_deg``,
    ``geodesic_km``; ``crs`` and ``coords_source``."""

    table: pd.DataFrame
    crs: str = CHINA_CRS
    coords_source: str = ""
    _title = "Gravity centre (weighted mean centre, Albers equal-area for China)"

    def to_frame(self):
        return self.table

    def _summary_notes(self):
        return [f"Coordinates: {self.coords_source}; plane: {self.crs}",
                "distance_km: planar move from the previous year; direction_deg: clockwise "
                "from grid north"]


def gravity_centre(data: pd.DataFrame, value: str, *, id: str = "code",
                   time: str | None = "year", coords=None) -> GravityCentreResult:
    r"""Value-weighted gravity centre of the units by year, and its yearly moves.

    Each unit is placed at its capital (``coords=None``; or ``coords`` as accepted by
    :func:`spatialnqpf.weights.distance`: a DataFrame indexed by id with ``lon``/``lat``,
    or a mapping id -> (lon, lat)), projected to :data:`CHINA_CRS` (Albers equal-area,
    lon₀ 105°, standard parallels 25°/47°, WGS84).  In that plane

    .. math::

        \bar x_t = \frac{\sum_i w_{it} x_i}{\sum_i w_{it}}, \qquad
        \bar y_t = \frac{\sum_i w_{it} y_i}{\sum_i w_{it}},

    with :math:`w_{it}` the value (non-negative).  ``lon``/``lat`` are the inverse
    projection of :math:`(\bar x_t, \bar y_t)` -- not the weighted mean of lon/lat.
    ``distance_km`` is the planar distance from the previous year's centre (NaN in the
    first year), ``direction_deg`` its bearing clockwise from grid north in [0, 360);
    ``geodesic_km`` the WGS84 geodesic distance between the two centres, beside it.

    ``time=None`` treats the data as one cross-section.
    """
    df, src = _points_frame(data, value, id, time, coords)
    tab = _centre_table(df, value, id, time).drop(columns="S")
    return GravityCentreResult(table=tab, crs=CHINA_CRS, coords_source=src)


@dataclasses.dataclass(eq=False, repr=False)
class EllipseResult(Results):
    """Result of :func:`std_ellipse`: ``table`` with (``year``), ``n``, the centre
    (``x_km``, ``y_km``, ``lon``, ``lat``), ``sigma_x_km`` (minor semi-axis),
    ``sigma_y_km`` (major semi-axis), ``rotation_deg`` (clockwise from north to the
    major axis, [0, 180)), ``area_km2``, ``shape_index`` (σx/σy, 1 = circle) and the
    centre's moves; ``method`` states the scaling."""

    table: pd.DataFrame
    method: str = "arcgis"
    crs: str = CHINA_CRS
    coords_source: str = ""
    _title = "Standard deviational ellipse (Albers equal-area for China)"

    def to_frame(self):
        return self.table

    def outline(self, year=None, n_points: int = 181, lonlat: bool = True) -> pd.DataFrame:
        """Boundary of the ellipse of ``year`` (lon/lat, or x_km/y_km in the plane)."""
        tab = self.table
        row = tab.iloc[0] if year is None else tab.set_index(tab.columns[0]).loc[year]
        a, b = row["sigma_y_km"], row["sigma_x_km"]
        th = np.radians(row["rotation_deg"])
        s = np.linspace(0, 2 * np.pi, n_points)
        u, v = a * np.cos(s), b * np.sin(s)          # u along the major axis
        # major axis direction (east, north) = (sin th, cos th); minor = (cos th, -sin th)
        x = row["x_km"] + u * np.sin(th) + v * np.cos(th)
        y = row["y_km"] + u * np.cos(th) - v * np.sin(th)
        if not lonlat:
            return pd.DataFrame({"x_km": x, "y_km": y})
        lon, lat = unproject(x, y)
        return pd.DataFrame({"lon": lon, "lat": lat})

    def _summary_notes(self):
        return [f"Scaling: {self.method}; coordinates: {self.coords_source}; plane: {self.crs}"]


def std_ellipse(data: pd.DataFrame, value: str, *, id: str = "code",
                time: str | None = "year", coords=None,
                method: str = "arcgis") -> EllipseResult:
    r"""Value-weighted standard deviational ellipse by year (one standard deviation).

    In :data:`CHINA_CRS` (see :func:`gravity_centre` for the coordinates), with
    :math:`d_i = (x_i - \bar x, y_i - \bar y)` and weights :math:`w_i` (the value),

    .. math::

        \Sigma = \frac{\sum_i w_i\, d_i d_i^\top}{\sum_i w_i}, \qquad
        \sigma_{y} = c\sqrt{\lambda_1}, \quad \sigma_{x} = c\sqrt{\lambda_2}
        \quad (\lambda_1 \ge \lambda_2 \text{ eigenvalues of } \Sigma),

    ``sigma_y_km`` along the major axis, ``sigma_x_km`` along the minor;
    ``rotation_deg`` is the angle clockwise from north to the major axis in [0, 180);
    ``area_km2`` = π σx σy; ``shape_index`` = σx / σy.

    ``method`` sets the scale c (references differ):

    * ``"arcgis"`` (default): c = √2, ArcGIS "Directional Distribution" with one
      standard deviation (no degrees-of-freedom factor);
    * ``"crimestat"``: c = √2·√(n/(n − 2)) (CrimeStat, pointpats' default);
    * ``"plain"``: c = 1 (no √2: the standard deviations along the axes).

    Eigen-decomposition in numpy; pointpats' :func:`~pointpats.centrography.ellipse`
    (``method="yuill"``) gives the same axes (tested), but not the year loop, the
    projection or the angle convention.
    """
    scale = {"arcgis": lambda n: np.sqrt(2.0), "crimestat": lambda n: np.sqrt(2.0 * n / (n - 2)),
             "plain": lambda n: 1.0}
    if method not in scale:
        raise SpatialNQPFError(f"method must be 'arcgis', 'crimestat' or 'plain', got {method!r}")
    df, src = _points_frame(data, value, id, time, coords)
    tab = _centre_table(df, value, id, time)
    sx, sy, rot = [], [], []
    for S, n in zip(tab["S"], tab["n"]):
        if n < 3:
            raise DataError(f"an ellipse needs at least 3 units with coordinates, got {n}")
        lam, vec = np.linalg.eigh(S)              # ascending
        c = scale[method](n)
        sx.append(c * np.sqrt(max(lam[0], 0.0)))
        sy.append(c * np.sqrt(max(lam[1], 0.0)))
        vx, vy = vec[:, 1]
        rot.append(np.degrees(np.arctan2(vx, vy)) % 180.0)
    tab = tab.drop(columns="S")
    pos = tab.columns.get_loc("lat") + 1
    for name, vals in [("sigma_x_km", sx), ("sigma_y_km", sy), ("rotation_deg", rot)][::-1]:
        tab.insert(pos, name, vals)
    tab.insert(pos + 3, "area_km2", np.pi * np.asarray(sx) * np.asarray(sy))
    tab.insert(pos + 4, "shape_index", np.asarray(sx) / np.asarray(sy))
    return EllipseResult(table=tab, method=method, crs=CHINA_CRS, coords_source=src)


# ===========================================================================
# ESTDA: LISA time paths and space-time transitions
# ===========================================================================
#: giddy/PySAL quadrant codes of :class:`giddy.markov.LISA_Markov` (own, lag)
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
#: direction sectors of a LISA time path (angle of the first→last move, counter-clockwise
#: from the own-value axis)
PATH_SECTORS = ("both up", "own down, neighbours up", "both down", "own up, neighbours down")
TRANSITION_TYPES = ("Type 0", "Type I", "Type II", "Type III")


@dataclasses.dataclass(eq=False, repr=False)
class LisaPathsResult(Results):
    """Result of :func:`lisa_paths` (read-only).

    Attributes
    ----------
    paths : DataFrame
        Per id: ``path_length``, ``relative_length``, ``tortuosity``, ``direction_deg``,
        ``sector``, ``dx``, ``dy`` (first→last move in the Moran plane).
    coordinates : DataFrame
        Long (id, year): ``z`` (standardised value) and ``wz`` (its spatial lag).
    quadrants : DataFrame
        Wide: LISA quadrant (``HH``/``LH``/``LL``/``HL``) of every id and year.
    transitions : DataFrame
        Long (id, year of origin): ``from``, ``to``, ``type`` (Rey 2001 Type 0/I/II/III).
    transition_matrix : DataFrame
        Counts between quadrants (rows from, columns to); ``transition_probs`` rows sum 1.
    type_shares : DataFrame
        Count and share of each transition type (the space–time cohesion, the share of
        Type 0, is also :attr:`cohesion`).
    rose : DataFrame
        Rose diagram (giddy ``Rose``, first and last year): sector bounds, counts,
        permutation expectation and two-sided pseudo p-values.
    """

    paths: pd.DataFrame
    coordinates: pd.DataFrame
    quadrants: pd.DataFrame
    transitions: pd.DataFrame
    transition_matrix: pd.DataFrame
    transition_probs: pd.DataFrame
    type_shares: pd.DataFrame
    rose: pd.DataFrame
    chi2: tuple = ()
    _title = "LISA time paths and space-time transitions"

    def to_frame(self):
        return self.paths

    @property
    def cohesion(self) -> float:
        """Space–time cohesion: the share of Type 0 transitions (neither the unit's nor its
        neighbours' side of the mean changes), NaN without transitions."""
        m = float(self.type_shares["count"].sum())
        return float(self.type_shares.loc["Type 0", "count"]) / m if m else float("nan")

    def _summary_notes(self):
        return ["", f"Space-time cohesion (share of Type 0): {self.cohesion:.4f}", "",
                "Transition types:", self.type_shares.to_string(), "",
                "Quadrant transition probabilities:", self.transition_probs.to_string(),
                "", "Rose diagram:", self.rose.to_string()]


def _aligned_W(w, ids):
    from libpysal.weights import WSP
    import scipy.sparse as sp
    from ._validation import graph_to_sparse
    m = graph_to_sparse(w, ids).tocsr()
    rs = np.asarray(m.sum(axis=1)).ravel()
    isl = [ids[i] for i in np.flatnonzero(rs == 0)]
    if isl:
        raise IdMismatchError(f"unit(s) without neighbours in the weights: "
                              f"{format_values(isl)}; their spatial lag would be 0")
    m = (sp.diags(1.0 / rs) @ m).tocsr()
    return WSP(m, id_order=list(ids)).to_W(silence_warnings=True), m


def lisa_paths(data: pd.DataFrame, value: str, w, *, id: str = "code", time: str = "year",
               k: int = 8, permutations: int = 999, seed=0) -> LisaPathsResult:
    r"""LISA time paths (Rey, Murray & Anselin 2011) and space–time transitions (Rey 2001).

    The panel (balanced) is aligned with ``w`` by id; ``w`` is row-standardised.  In each
    year :math:`z_{it} = (y_{it} - \bar y_t)/s_t` (population s.d.) and
    :math:`(Wz)_{it}` its spatial lag: the unit's point in the Moran scatter plot.

    * path length :math:`d_i = \sum_t \lVert L_{i,t+1} - L_{i,t}\rVert`,
      ``relative_length`` :math:`N d_i / \sum_j d_j`, ``tortuosity``
      :math:`d_i / \lVert L_{i,T} - L_{i,1}\rVert` (1 = straight path);
    * ``direction_deg``: angle of :math:`L_{i,T} - L_{i,1}` counter-clockwise from the
      z axis in [0, 360) (giddy ``Rose``'s θ), ``sector`` its quadrant
      (:data:`PATH_SECTORS`);
    * quadrants and transitions from giddy ``LISA_Markov`` (PySAL codes 1 HH, 2 LH,
      3 LL, 4 HL; no significance filter); Rey's types: Type 0 (unit and neighbours
      stay), I (only the unit changes side), II (only the neighbours), III (both);
    * Rose diagram with ``k`` sectors of giddy ``Rose`` on the first and last years;
      its permutation p-values (two-sided, giddy's formula) are computed here with
      ``permutations`` random relabellings drawn from ``as_generator(seed)`` (giddy draws
      from numpy's global generator).
    """
    from giddy.directional import Rose
    from giddy.markov import LISA_Markov
    df = check_panel(data, id, time, columns=[value], balanced=True)
    Wd = df.pivot(index=id, columns=time, values=value).sort_index(axis=1)
    ids = Wd.index
    if Wd.shape[1] < 2:
        raise DataError("LISA time paths need at least 2 periods")
    W, m = _aligned_W(w, ids)
    Y = Wd.to_numpy(float)
    sd = Y.std(axis=0)
    if (sd == 0).any():
        raise DataError(f"{value!r} is constant in period(s) "
                        f"{format_values(list(Wd.columns[sd == 0]))}")
    Z = (Y - Y.mean(axis=0)) / sd
    WZ = m @ Z
    steps = np.hypot(np.diff(Z, axis=1), np.diff(WZ, axis=1))
    d = steps.sum(axis=1)
    dx, dy = Z[:, -1] - Z[:, 0], WZ[:, -1] - WZ[:, 0]
    chord = np.hypot(dx, dy)
    with np.errstate(divide="ignore", invalid="ignore"):
        tort = np.where(chord > 0, d / chord, np.inf)
    ang = np.degrees(np.arctan2(dy, dx)) % 360.0
    paths = pd.DataFrame({"path_length": d, "relative_length": len(d) * d / d.sum(),
                          "tortuosity": tort, "direction_deg": ang,
                          "sector": [PATH_SECTORS[int(a // 90) % 4] for a in ang],
                          "dx": dx, "dy": dy}, index=ids)
    coords = pd.DataFrame({id: np.repeat(ids, Y.shape[1]),
                           time: np.tile(Wd.columns, len(ids)),
                           "z": Z.ravel(), "wz": WZ.ravel()})
    lm = LISA_Markov(Y, W, permutations=0)
    q = np.asarray(lm.q)
    quads = pd.DataFrame(np.vectorize(QUADRANTS.get)(q), index=ids, columns=Wd.columns)
    own_hi = np.isin(q, (1, 4))
    lag_hi = np.isin(q, (1, 2))
    own_ch = own_hi[:, 1:] != own_hi[:, :-1]
    lag_ch = lag_hi[:, 1:] != lag_hi[:, :-1]
    typ = own_ch.astype(int) + 2 * lag_ch.astype(int)   # 0, 1 = own only, 2 = lag, 3 = both
    type_name = np.array(["Type 0", "Type I", "Type II", "Type III"])[typ]
    trans = pd.DataFrame({id: np.repeat(ids, q.shape[1] - 1),
                          time: np.tile(Wd.columns[:-1], len(ids)),
                          "from": quads.to_numpy()[:, :-1].ravel(),
                          "to": quads.to_numpy()[:, 1:].ravel(),
                          "type": type_name.ravel()})
    labels = [QUADRANTS[i] for i in (1, 2, 3, 4)]
    tm = pd.DataFrame(np.asarray(lm.transitions), index=pd.Index(labels, name="from"),
                      columns=pd.Index(labels, name="to"))
    with np.errstate(divide="ignore", invalid="ignore"):
        tp = tm.div(tm.sum(axis=1), axis=0)
    cnt = pd.Series(type_name.ravel()).value_counts().reindex(list(TRANSITION_TYPES),
                                                               fill_value=0)
    shares = pd.DataFrame({"count": cnt, "share": cnt / cnt.sum()})
    shares.index.name = "type"
    # rose diagram: giddy for the observed vectors, our generator for the permutations
    Y2 = Z[:, [0, -1]]
    rose = Rose(Y2, W, k=k)
    counts = np.asarray(rose.counts, float)
    rng = as_generator(seed)
    perm_counts = np.empty((int(permutations), k))
    for b in range(int(permutations)):
        idx = rng.permutation(len(ids))
        perm_counts[b] = rose._calc(Y2[idx], W, k)["counts"]
    if permutations:
        larger = (perm_counts >= counts).sum(axis=0)
        P = (larger + 1) / (permutations + 1.0)
        p = np.where(P < 0.5, 2 * P, 2 * (1 - P))
        exp = perm_counts.mean(axis=0)
    else:
        p = exp = np.full(k, np.nan)
    cuts = np.degrees(np.asarray(rose.cuts))
    rose_tab = pd.DataFrame({"from_deg": cuts[:-1], "to_deg": cuts[1:], "count": counts,
                             "expected": exp, "p_value": p})
    return LisaPathsResult(paths=paths, coordinates=coords, quadrants=quads,
                           transitions=trans, transition_matrix=tm, transition_probs=tp,
                           type_shares=shares, rose=rose_tab, chi2=tuple(lm.chi_2))
