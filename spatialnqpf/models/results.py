"""Frozen results of the spatial regression models (cross-section and panel).

Building results from your own estimator
----------------------------------------
The constructor is generic; the panel estimators use it exactly as the
cross-section ones do::

    from spatialnqpf.models.results import SpatialResults
    from spatialnqpf.models._effects import EffectsCore

    core = EffectsCore(W_nxn, xnames=["logp", "logy"], model="sdm", ids=ids,
                       bounds=logdet.bounds)           # or None for no effects
    res = SpatialResults(
        params=pd.Series(est, index=names),             # x names, "W_<x>", "rho"/"lambda"
        cov=pd.DataFrame(V, index=names, columns=names),  # covariance of params
        sigma2=s2, llf=ll, nobs=N * T, model="sdm",
        n_params=len(names) + 1,                        # for AIC/BIC (σ² counted)
        residuals=pd.Series(e, index=multiindex),       # optional
        fitted=pd.Series(yhat, index=multiindex),       # optional
        info={"fe": "twoways", "lee_yu": True, "n": N, "T": T,
              "logdet": ld.method, "traces": "exact", "weights": "queen contiguity",
              "r2": r2},
        effects_core=core,
        tests=None,                                     # optional DataFrame of tests
        extra={"fixed_effects": fe_frame},              # anything else, read-only mapping
    )

Parameter naming convention: regressors by their column names, spatially lagged
regressors as ``"W_<x>"``, the spatial lag coefficient ``"rho"``, the spatial error
coefficient ``"lambda"``.  ``sigma2`` is not among ``params``.

Everything is read-only: attributes cannot be assigned, and the pandas objects
returned are copies.  :meth:`SpatialResults.effects` returns a new frame each call.
"""
from __future__ import annotations

import types
from typing import Mapping

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["SpatialResults"]

_MODEL_LABELS = {
    "ols": "OLS", "slx": "SLX (spatial lag of X)", "sar": "SAR (spatial lag)",
    "sem": "SEM (spatial error)", "sdm": "SDM (spatial Durbin)",
    "sdem": "SDEM (spatial Durbin error)", "sac": "SAC (lag and error)",
}


class SpatialResults:
    """Results of a spatial regression model (immutable).

    Parameters
    ----------
    params : pandas.Series
        Estimates indexed by name (x names, ``"W_<x>"``, ``"rho"``, ``"lambda"``).
    cov : pandas.DataFrame
        Covariance matrix of ``params`` (same index and columns).
    sigma2 : float
        Error variance estimate.
    llf : float
        Maximised log-likelihood.
    nobs : int
        Number of observations (n for cross-sections, NT for panels).
    model : str
        ``"ols"``, ``"slx"``, ``"sar"``, ``"sem"``, ``"sdm"``, ``"sdem"``, ``"sac"``.
    n_params : int, optional
        Number of estimated parameters for AIC/BIC; default ``len(params) + 1`` (σ²).
    df_resid : int, optional
        If given, t-values are referred to Student t(df_resid) (OLS, SLX); otherwise to
        the standard normal (ML).
    residuals, fitted : pandas.Series, optional
    info : mapping, optional
        Descriptive metadata: model, fe, lee_yu, n, T, logdet method, trace method,
        weights description, r2, ... (shown by :meth:`summary`).
    effects_core : :class:`spatialnqpf.models._effects.EffectsCore`, optional
        Enables :meth:`effects` and :meth:`effects_matrix`.
    tests : pandas.DataFrame, optional
        Specification tests (index = test name; columns statistic, df, p).
    extra : mapping, optional
        Additional read-only objects (e.g. fixed effects and their standard errors).

    Attributes
    ----------
    params, bse, tvalues, pvalues : pandas.Series
    cov : pandas.DataFrame
    sigma2, llf, aic, bic : float
    nobs : int
    info : mapping (read-only)
    """

    _frozen = False

    def __init__(self, params: pd.Series, cov: pd.DataFrame, sigma2: float, llf: float,
                 nobs: int, model: str, *, n_params: int | None = None,
                 df_resid: int | None = None, residuals: pd.Series | None = None,
                 fitted: pd.Series | None = None, info: Mapping | None = None,
                 effects_core=None, tests: pd.DataFrame | None = None,
                 extra: Mapping | None = None):
        params = pd.Series(params, dtype=float).copy()
        cov = pd.DataFrame(cov, dtype=float).copy()
        if list(cov.index) != list(params.index) or list(cov.columns) != list(params.index):
            raise ValueError("cov must be indexed and labelled by params.index, "
                             f"got {list(cov.index)} / {list(cov.columns)} vs {list(params.index)}")
        self._params = params
        self._cov = cov
        self.sigma2 = float(sigma2)
        self.llf = float(llf)
        self.nobs = int(nobs)
        self.model = str(model).lower()
        self.n_params = int(n_params) if n_params is not None else len(params) + 1
        self.df_resid = None if df_resid is None else int(df_resid)
        self._residuals = None if residuals is None else pd.Series(residuals).copy()
        self._fitted = None if fitted is None else pd.Series(fitted).copy()
        inf = {"model": self.model}
        inf.update(dict(info or {}))
        self.info = types.MappingProxyType(inf)
        self._effects_core = effects_core
        self._tests = None if tests is None else pd.DataFrame(tests).copy()
        self.extra = types.MappingProxyType(dict(extra or {}))
        self._frozen = True

    def __setattr__(self, name, value):
        if self._frozen:
            raise AttributeError(f"SpatialResults is read-only; cannot set {name!r}")
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        raise AttributeError(f"SpatialResults is read-only; cannot delete {name!r}")

    # ------------------------------------------------------------ estimates
    @property
    def params(self) -> pd.Series:
        """Estimates (a copy)."""
        return self._params.copy()

    @property
    def cov(self) -> pd.DataFrame:
        """Covariance matrix of the estimates (a copy)."""
        return self._cov.copy()

    @property
    def bse(self) -> pd.Series:
        """Standard errors sqrt(diag(cov))."""
        return pd.Series(np.sqrt(np.clip(np.diag(self._cov.to_numpy()), 0, None)),
                         index=self._params.index)

    @property
    def tvalues(self) -> pd.Series:
        """params / bse."""
        return self._params / self.bse

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values (normal, or Student t with ``df_resid``)."""
        t = np.abs(self.tvalues.to_numpy())
        if self.df_resid is None:
            p = 2 * stats.norm.sf(t)
        else:
            p = 2 * stats.t.sf(t, self.df_resid)
        return pd.Series(p, index=self._params.index)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals (columns lower, upper)."""
        a = 1 - (1 - level) / 2
        c = stats.norm.ppf(a) if self.df_resid is None else stats.t.ppf(a, self.df_resid)
        se = self.bse
        return pd.DataFrame({"lower": self._params - c * se, "upper": self._params + c * se})

    @property
    def aic(self) -> float:
        """−2 llf + 2 n_params."""
        return -2 * self.llf + 2 * self.n_params

    @property
    def bic(self) -> float:
        """−2 llf + ln(nobs) n_params."""
        return -2 * self.llf + np.log(self.nobs) * self.n_params

    @property
    def residuals(self) -> pd.Series | None:
        return None if self._residuals is None else self._residuals.copy()

    @property
    def fitted(self) -> pd.Series | None:
        return None if self._fitted is None else self._fitted.copy()

    @property
    def tests(self) -> pd.DataFrame | None:
        """Specification tests attached by the estimator (a copy), or None."""
        return None if self._tests is None else self._tests.copy()

    # -------------------------------------------------------------- tables
    def to_frame(self) -> pd.DataFrame:
        """Coefficient table: index = parameter names; columns coef, se, t, p."""
        df = pd.DataFrame({"coef": self._params, "se": self.bse, "t": self.tvalues,
                           "p": self.pvalues})
        df.index.name = "parameter"
        return df

    def effects(self, method: str = "simulation", nsim: int = 1000, seed: int = 0,
                level: float = 0.95, point: str = "estimate") -> pd.DataFrame:
        """Direct, indirect and total effects with inference (LeSage & Pace 2009).

        Parameters
        ----------
        method : {"simulation", "delta"}
            Simulation: ``nsim`` draws from N(θ̂, V̂) with ``seed``; delta method otherwise.
            For SLX/SDEM/SEM/OLS the effects are linear in the parameters and their standard
            errors are exact (both methods agree).
        nsim, seed, level : simulation settings.
        point : {"estimate", "mean"}
            Effects at θ̂ (default, as R ``spatialreg::impacts``) or the mean of the simulated
            draws (as Elhorst's MATLAB code and Stata ``xsmle``; simulation only).

        Returns
        -------
        DataFrame
            Rows = regressors; columns direct, indirect, total and ``*_se``, ``*_t``,
            ``*_p`` (and ``*_lo``/``*_hi`` percentile limits for simulation).  A new frame;
            the results object is unchanged.
        """
        if self._effects_core is None:
            raise ValueError(f"no effects are defined for this {self.model!r} model")
        return self._effects_core.compute(self._params, self._cov, method=method, nsim=nsim,
                                          seed=seed, level=level, point=point)

    def effects_matrix(self, x: str) -> pd.DataFrame:
        """n × n matrix of ∂y_i/∂x_j for regressor ``x`` (small n; unit-level spillovers)."""
        if self._effects_core is None:
            raise ValueError(f"no effects are defined for this {self.model!r} model")
        return self._effects_core.matrix(self._params, x)

    def _stars(self, p):
        return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""

    def summary(self) -> str:
        """Plain-text summary: model information, coefficient table, fit, tests."""
        lines = []
        title = _MODEL_LABELS.get(self.model, self.model.upper())
        lines.append(f"Spatial regression results: {title}")
        lines.append("=" * 78)
        for k, v in self.info.items():
            if k == "model" or v is None:
                continue
            if isinstance(v, float):
                v = f"{v:.6g}"
            lines.append(f"{k:>22}: {v}")
        lines.append(f"{'nobs':>22}: {self.nobs}")
        lines.append("-" * 78)
        tab = self.to_frame()
        lines.append(f"{'':<18}{'coef':>13}{'se':>13}{'t/z':>10}{'p':>10}")
        for name, r in tab.iterrows():
            lines.append(f"{str(name):<18}{r.coef:>13.6g}{r.se:>13.6g}{r.t:>10.3f}{r.p:>10.4f} "
                         f"{self._stars(r.p)}")
        lines.append("-" * 78)
        lines.append(f"sigma2 = {self.sigma2:.6g}   log-likelihood = {self.llf:.6f}   "
                     f"AIC = {self.aic:.4f}   BIC = {self.bic:.4f}")
        if self._tests is not None and len(self._tests):
            lines.append("-" * 78)
            lines.append("Tests")
            for name, r in self._tests.iterrows():
                vals = "  ".join(
                    (f"{c}={r[c]:.6g}" if isinstance(r[c], (int, float, np.floating)) else f"{c}={r[c]}")
                    for c in self._tests.columns
                    if not (isinstance(r[c], (float, np.floating)) and np.isnan(r[c])))
                lines.append(f"  {name}: {vals}")
        lines.append("Significance: *** p<0.01, ** p<0.05, * p<0.1")
        return "\n".join(lines)

    def __str__(self):
        return self.summary()

    def __repr__(self):
        return (f"<SpatialResults model={self.model!r} nobs={self.nobs} llf={self.llf:.4f} "
                f"params={len(self._params)}>")

    def _repr_html_(self):
        import html
        return "<pre>" + html.escape(self.summary()) + "</pre>"
