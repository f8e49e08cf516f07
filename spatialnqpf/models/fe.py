"""Baseline of the impact paper: high-dimensional fixed-effects least squares (``reghdfe``).

:func:`panel_fe` runs pyfixest ``feols`` (the engine; not rewritten here) behind the
package's id/time interface and returns a result in the package protocol.
"""
from __future__ import annotations

import types

import numpy as np
import pandas as pd

from .._results import EstimationResults
from .._validation import DataError, check_panel, format_values, require_columns
from ._taxonomy import fe_label, normalise_fe

__all__ = ["panel_fe", "PanelFEResults"]


class PanelFEResults(EstimationResults):
    """Result of :func:`panel_fe` (immutable).

    Attributes
    ----------
    params, bse, cov, tvalues, pvalues : coefficient estimates and inference
        (t(G − 1) with clustered SEs, G the smallest number of clusters; t(n − K) otherwise).
    nobs : int
    r2, r2_within : float
    n_clusters : dict  cluster variable → number of clusters
    info : mapping  fe, cluster, vcov, K counted in the small-sample factor, dropped rows
    residuals : pandas.Series  indexed by (id, time) of the rows used
    """

    _title = "Fixed-effects regression (reghdfe / pyfixest feols)"

    def __init__(self, params, cov, *, df_resid, nobs, r2, r2_within, n_clusters, info,
                 residuals=None, flags=()):
        self._init_estimates(params, cov, df_resid=df_resid, flags=flags)
        self.nobs = int(nobs)
        self.r2 = float(r2)
        self.r2_within = float(r2_within)
        self.n_clusters = types.MappingProxyType(dict(n_clusters))
        self.info = types.MappingProxyType(dict(info))
        self._residuals = residuals
        self._freeze()

    @property
    def residuals(self):
        return None if self._residuals is None else self._residuals.copy()

    def _summary_notes(self):
        i = self.info
        return [f"nobs = {self.nobs}; fe = {i['fe']}; vcov = {i['vcov']}; "
                f"R2 = {self.r2:.4f}; within R2 = {self.r2_within:.4f}",
                "clusters: " + ", ".join(f"{k} = {v}" for k, v in self.n_clusters.items())
                if self.n_clusters else "no clustering",
                "Significance: *** p<0.01, ** p<0.05, * p<0.1"]


def _cluster_list(cluster, id):
    if cluster is None or cluster is False:
        return []
    if isinstance(cluster, str):
        return [cluster]
    out = list(cluster)
    if not 1 <= len(out) <= 2 or not all(isinstance(c, str) for c in out):
        raise ValueError(f"cluster must be None, 'hetero', a column name or a list of one or two "
                         f"column names, got {cluster!r}")
    return out


def panel_fe(data: pd.DataFrame, y: str, x, *, id: str = "code", time: str | None = "year",
             fe="twoways", cluster="code") -> PanelFEResults:
    """Least squares with absorbed fixed effects and clustered SEs, as Stata ``reghdfe``.

    y_it = x_it'β + α_i + λ_t + ε_it, estimated by pyfixest ``feols`` (the engine) with the
    fixed effects absorbed (within transformation).

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per (``id``, ``time``); any row order; unbalanced allowed.
    y : str
    x : str or list of str
    id, time : str
        Unit and period columns (``time=None``: a cross-section, ``fe`` must be "none").
    fe : {"twoways", "individual", "time", "none"} or alias (``normalise_fe``)
    cluster : str, list of one or two str, "hetero" or None
        Cluster variable(s) of the CR1 covariance (default the unit id); ``"hetero"``: HC1;
        None: homoskedastic.

    Conventions (those of reghdfe and pyfixest; stated so numbers can be matched)
    ------------------------------------------------------------------------------
    CR1: V = G/(G − 1) · (n − 1)/(n − K) · (X̃'X̃)⁻¹ Σ_g X̃_g'ẽ_g ẽ_g'X̃_g (X̃'X̃)⁻¹, where K
    counts the slopes plus the levels of the absorbed fixed effects, a factor nested in a
    cluster variable counting one level, minus one redundant level per additional factor
    (two-way FE clustered by unit: K = k + T; pyfixest ``k_fixef="nonnested"``).  Two-way clustering:
    V = V₁ + V₂ − V₁₂ (Cameron–Gelbach–Miller), every term scaled with G = min(G₁, G₂).
    Tests and intervals use t(G − 1).  Singleton groups are dropped (reghdfe's default) and
    the count is reported in ``info["dropped_singletons"]``.

    References
    ----------
    Correia, S. (2016). A feasible estimator for linear models with multi-way fixed effects.
    Bergé, L. (2018). Efficient estimation of maximum likelihood models with multiple fixed
    effects: the R package FENmlm.  pyfixest: https://github.com/py-econometrics/pyfixest
    """
    import pyfixest as pf

    xs = [x] if isinstance(x, str) else list(x)
    if not xs:
        raise ValueError("x must name at least one regressor")
    fe = normalise_fe(fe)
    if time is None and fe in ("time", "twoways"):
        raise ValueError(f"fe={fe!r} needs a time column; time=None is a cross-section")
    vcov_kind = "CRV1"
    if isinstance(cluster, str) and cluster.lower() in ("hetero", "robust", "hc1"):
        vcov_kind, clus = "hetero", []
    else:
        clus = _cluster_list(cluster, id)
        if not clus:
            vcov_kind = "iid"
    require_columns(data, [y] + xs + clus)
    d = check_panel(data, id, time, columns=[y] + xs)
    # bring the cluster columns along (check_panel keeps only id/time/columns)
    keys = [id] + ([time] if time is not None else [])
    extra = [c for c in clus if c not in keys]
    if extra:
        add = data.loc[:, keys + extra].copy()
        d = d.drop(columns=[c for c in extra if c in d.columns]).merge(add, on=keys, how="left")
        miss = [c for c in extra if d[c].isna().any()]
        if miss:
            raise DataError(f"cluster column(s) with missing values: {format_values(miss)}")
    # safe internal names: the formula never contains user text
    names = {y: "_y"}
    names.update({v: f"_x{j}" for j, v in enumerate(xs)})
    df = pd.DataFrame({names[y]: d[y].to_numpy(float)})
    for v in xs:
        df[names[v]] = d[v].to_numpy(float)
    df["_id"] = pd.factorize(d[id])[0]
    if time is not None:
        df["_t"] = pd.factorize(d[time])[0]
    cl_names = []
    for j, c in enumerate(clus):
        src = d[c]
        df[f"_c{j}"] = pd.factorize(src)[0]
        cl_names.append(f"_c{j}")
    rhs = " + ".join(names[v] for v in xs)
    absorb = {"twoways": "_id + _t", "individual": "_id", "time": "_t", "none": ""}[fe]
    fml = f"_y ~ {rhs}" + (f" | {absorb}" if absorb else "")
    vcov = {"CRV1": "+".join(cl_names)} if vcov_kind == "CRV1" else vcov_kind
    fit = pf.feols(fml, df, vcov=vcov, ssc=pf.ssc(k_adj=True, k_fixef="nonnested",
                                                   G_adj=True, G_df="min"))
    inv = {v: k for k, v in names.items()}
    inv["Intercept"] = "const"
    coef = fit.coef()
    if getattr(fit, "_collin_vars", None):
        dropped = [inv.get(v, v) for v in fit._collin_vars]
        raise DataError(f"regressor(s) collinear with the fixed effects or each other: "
                        f"{format_values(dropped)}")
    terms = [inv.get(t, t) for t in coef.index]
    V = np.asarray(fit._vcov, float)
    cov = pd.DataFrame(V, index=terms, columns=terms)
    params = pd.Series(coef.to_numpy(float), index=terms)
    n_used = int(fit._N)
    dropped = len(df) - n_used
    na = np.fromiter(getattr(fit, "_na_index", ()) or (), dtype=np.int64)
    keep = ~df.index.isin(na)
    ncl = {}
    if vcov_kind == "CRV1":
        for c, cn in zip(clus, cl_names):
            ncl[c] = int(df.loc[keep, cn].nunique())
        df_resid = min(ncl.values()) - 1
    else:
        df_resid = int(fit._df_t)
    keys_used = d.loc[keep, keys]
    rix = (pd.MultiIndex.from_frame(keys_used) if len(keys) > 1
           else pd.Index(keys_used[keys[0]]))
    rv = np.asarray(fit.resid(), float)
    resid = pd.Series(rv, index=rix if len(rv) == len(rix) else None, name="residual")
    info = {"fe": fe, "fe_label": fe_label(fe), "cluster": tuple(clus) if clus else vcov_kind,
            "vcov": "CR1" if vcov_kind == "CRV1" else vcov_kind,
            "dropped_singletons": int(dropped), "engine": f"pyfixest {pf.__version__}",
            "y": y, "x": tuple(xs), "id": id, "time": time,
            "n_units": int(d[id].nunique()),
            "n_periods": None if time is None else int(d[time].nunique())}
    if dropped:
        import warnings
        warnings.warn(f"panel_fe dropped {dropped} singleton observation(s)", UserWarning,
                      stacklevel=2)
    r2w = getattr(fit, "_r2_within", np.nan)
    return PanelFEResults(params, cov, df_resid=df_resid, nobs=n_used, r2=float(fit._r2),
                          r2_within=float(r2w) if r2w is not None else np.nan,
                          n_clusters=ncl, info=info, residuals=resid)
