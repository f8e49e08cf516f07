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

from .._results import EstimationResults, Flag, stars, tidy_effects_frame
from ._taxonomy import model_label

__all__ = ["SpatialResults", "boundary_flags", "BOUNDARY_TOL"]

#: relative distance to a bound of the admissible interval under which a fit is flagged
BOUNDARY_TOL = 1e-4


def boundary_flags(params, bounds) -> list:
    """Flags for parameters within ``BOUNDARY_TOL`` (relative to the interval) of a bound.

    ``bounds`` maps a parameter name (``"rho"``, ``"lambda"``) to its interval (lo, hi).
    """
    out = []
    for name, (lo, hi) in dict(bounds or {}).items():
        if name not in params.index or not (np.isfinite(lo) and np.isfinite(hi)):
            continue
        v = float(params[name])
        if min(v - lo, hi - v) < BOUNDARY_TOL * (hi - lo):
            out.append(Flag("boundary", f"{name} = {v:.6g} is at the bound of its admissible "
                            f"interval ({lo:.6g}, {hi:.6g}); estimates, standard errors and "
                            "effects are not interpretable (check W and the model)"))
    return out


class SpatialResults(EstimationResults):
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
    spec : :class:`~spatialnqpf.models.spec.ModelSpec` or None
        The estimator call that produced this result (``res.spec.replace(model="sar").fit()``
        refits with one argument changed); set by the package's estimators.
    """

    def __init__(self, params: pd.Series, cov: pd.DataFrame, sigma2: float, llf: float,
                 nobs: int, model: str, *, n_params: int | None = None,
                 df_resid: int | None = None, residuals: pd.Series | None = None,
                 fitted: pd.Series | None = None, info: Mapping | None = None,
                 effects_core=None, tests: pd.DataFrame | None = None,
                 extra: Mapping | None = None, bounds: Mapping | None = None,
                 flags=(), spec=None):
        params = pd.Series(params, dtype=float)
        self._init_estimates(params, cov, df_resid=df_resid, flags=flags)
        # boundary flags: the estimators already warn (RuntimeWarning) when they find them
        self._set_flags(boundary_flags(params, bounds), warn=False)
        self.sigma2 = float(sigma2)
        self.llf = float(llf)
        self.nobs = int(nobs)
        self.model = str(model).lower()
        self.spec = spec
        self.n_params = int(n_params) if n_params is not None else len(params) + 1
        self._residuals = None if residuals is None else pd.Series(residuals).copy()
        self._fitted = None if fitted is None else pd.Series(fitted).copy()
        inf = {"model": self.model}
        inf.update(dict(info or {}))
        # one name for R²: info["r2"] (= self.r2), with info["r2_kind"] "within" after FE
        if "r2_within" in inf:
            inf["r2"] = inf.pop("r2_within")
            inf["r2_kind"] = "within"
        elif "r2" in inf:
            inf.setdefault("r2_kind", "overall")
        if self.flags:
            inf["flags"] = "; ".join(f.code for f in self.flags)
        self.info = types.MappingProxyType(inf)
        self._effects_core = effects_core
        self._tests = None if tests is None else pd.DataFrame(tests).copy()
        self.extra = types.MappingProxyType(dict(extra or {}))
        self._title = "Spatial regression results: " + model_label(self.model)
        self._freeze()

    @property
    def r2(self) -> float | None:
        """R² of the fit (``info["r2"]``): 1 − e′e / Σ(y − ȳ)², on the within-transformed data
        after fixed effects (``info["r2_kind"] == "within"``); None when the estimator records
        none (random effects)."""
        v = self.info.get("r2")
        return None if v is None else float(v)

    @property
    def has_effects(self) -> bool:
        """Whether :meth:`effects` is defined for this model."""
        return self._effects_core is not None

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

    def effects(self, method: str = "simulation", nsim: int = 1000, seed: int = 0,
                level: float = 0.95, point: str = "estimate") -> pd.DataFrame:
        """Direct, indirect and total effects with inference (LeSage & Pace 2009).

        Parameters
        ----------
        method : {"simulation", "delta", "none"}
            Simulation: ``nsim`` draws from N(θ̂, V̂) with ``seed``; delta method; ``"none"``
            gives the point effects at θ̂ only (columns direct, indirect, total).
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
        out = self._effects_core.compute(self._params, self._cov, method=method, nsim=nsim,
                                         seed=seed, level=level, point=point)
        out.attrs["flags"] = [tuple(f) for f in self.flags]
        if self.flags:
            import warnings

            from .._results import FitWarning
            warnings.warn("effects of a flagged fit are not interpretable: "
                          + "; ".join(map(str, self.flags)), FitWarning, stacklevel=2)
        return out

    def effects_matrix(self, x: str) -> pd.DataFrame:
        """n × n matrix of ∂y_i/∂x_j for regressor ``x`` (small n; unit-level spillovers)."""
        if self._effects_core is None:
            raise ValueError(f"no effects are defined for this {self.model!r} model")
        return self._effects_core.matrix(self._params, x)

    def summary(self) -> str:
        """Plain-text summary: model information, coefficient table, fit, tests."""
        lines = []
        lines.append(self._title)
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
                         f"{stars(r.p)}")
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
        lines.extend(self._flag_lines())
        return "\n".join(lines)

    def __repr__(self):
        return (f"<SpatialResults model={self.model!r} nobs={self.nobs} llf={self.llf:.4f} "
                f"params={len(self._params)}{' flagged' if self.flags else ''}>")

    def _tidy_effects(self, level: float = 0.95, method: str = "simulation", nsim: int = 1000,
                      seed: int = 0, point: str = "estimate") -> pd.DataFrame:
        eff = self.effects(method=method, nsim=nsim, seed=seed, level=level, point=point)
        return tidy_effects_frame(eff, level)


def keep_spec(spec, res):
    """Attach the :class:`~spatialnqpf.models.spec.ModelSpec` that produced ``res`` (estimators
    call this once, just before returning the result; afterwards ``res.spec`` is read-only)."""
    if res.__dict__.get("spec") is not None:
        raise AttributeError("this result already keeps its spec")
    object.__setattr__(res, "spec", spec)
    return res
