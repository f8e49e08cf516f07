"""Spatial panel models with fixed effects by maximum likelihood (Elhorst 2003, 2014; Lee & Yu 2010).

Public entry point: :func:`spatial_panel`.

Model (stacked time-major: all units of year 1, then year 2, ...)::

    y_t = ρ W y_t + X_t β + W X_t θ + μ + α_t ι + u_t,     u_t = λ W u_t + ε_t

SAR: θ = 0, λ = 0.  SDM: λ = 0.  SEM: ρ = 0, θ = 0.  SDEM: ρ = 0.  SLX: ρ = λ = 0.  OLS: all
spatial terms 0.  SAC: θ = 0 with both ρ and λ (optionally another W for the error; see
:func:`_fit_sac`).  ``fe`` selects μ (individual), α_t (time), both (two-way) or neither
(pooled, with an intercept); ``fe="random"`` fits random unit effects (:func:`_fit_re`).

Estimation
----------
The fixed effects are removed by demeaning **every** variable, including the spatial lags
W·y and W·X, within units / within years / both (two-way: v − v̄_i· − v̄_·t + v̄_··).  Demeaning
after lagging is the exact ML estimator with unit and year dummies: the year dummies are
concentrated out of e(ρ) = M_D (y − ρ W y − Z β), and M_D (W y) is the year-demeaned lag,
which differs from W (M_D y) because the column sums of W are not 1.  Unit demeaning commutes
with kron(I_T, W), so for individual effects both orders agree.  (Elhorst's MATLAB code
estimates with demeaned(W y) but evaluates the reported log-likelihood with W·demeaned(y);
docs/anchors.md item 14.)  For the error models the same holds when W is row-standardised,
because (I − λW) ι = (1 − λ) ι keeps the transformed year dummies in the span of the
dummies.

With e(ρ) the residual of the demeaned data, the concentrated log-likelihood is

    ℓ(ρ) = −(m/2) [ln(2π σ²(ρ)) + 1] + T* [ln|I − ρW| − c ln(1 − ρ)],   σ²(ρ) = e′e / m

with, for ``lee_yu=False`` (direct ML) and ``"elhorst"``: m = NT, T* = T, c = 0; for the
Lee–Yu (2010) transformation approach (``lee_yu=True``, the default; docs/methods/models.md §5.3):

========== ================ ======= ===
fe          m                T*      c
========== ================ ======= ===
individual  N(T − 1)         T − 1   0
time        (N − 1) T        T       1
twoways     (N − 1)(T − 1)   T − 1   1
none        N T              T       0
========== ================ ======= ===

(the time transformation F_{N,N−1} removes the eigenvalue 1 of a row-standardised W, hence
the −ln(1 − ρ) term; it requires row-standardised W).  The log-determinant is
:class:`spatialnqpf.models._logdet.LogDet` (eigenvalues for n ≤ 2 000, sparse LU up to 20 000,
Chebyshev or Barry–Pace Monte Carlo above).  The optimum over ρ is found by bounded Brent
search; β and σ² follow in closed form.

Standard errors come from the analytic information matrix of the likelihood that was
maximised (Elhorst 2014, ch. 3; Lee & Yu 2010, eq. 13) with G = W (I − ρW)^{-1}:

    I_ββ = Z′Z/σ²,   I_βρ = Z′ Q(I_T ⊗ G) Z β / σ²,
    I_ρρ = T* [tr(G̃G̃) + tr(G̃′G̃)] + ‖Q(I_T ⊗ G) Z β‖²/σ²,
    I_ρσ² = T* tr(G̃)/σ²,   I_σ²σ² = m/(2σ⁴)

(Z the demeaned regressors, Q the demeaning).  For the Lee–Yu time/two-way likelihood G̃ is
G restricted to the complement of ι: tr(G̃) = tr(G) − 1/(1 − ρ), tr(G̃G̃) = tr(GG) − 1/(1 − ρ)²,
tr(G̃′G̃) = tr(G′G) − ‖G′ι‖²/N.  The error models use the same λ block and I_ββ = Z*′Z*/σ²
with Z* = Z − λ Q(I_T ⊗ W) Z, I_βλ = 0.  Traces are exact for N ≤ 2 000 and stochastic
(Hutchinson, seeded) above; ``results.info`` says which.

``lee_yu="elhorst"`` reproduces the one-step correction of Elhorst's code: with ψ̂ = (β̂, ρ̂, σ̂²)
the direct ML estimate and Σ̂ its information matrix, for two-way effects
ψ_bc = ψ̂ + (Σ̂/NT)^{-1} [0_k; 1/(1 − ρ̂); 1/(2σ̂²)] / N and then σ²_bc ← T/(T − 1) σ²_bc; for
individual effects only σ² ← σ² T/(T − 1); for time effects only σ² ← σ² N/(N − 1).  The
information matrix is recomputed at ψ_bc.  Differences from the code as shipped
(``sar_panel_FE.m`` / ``sem_panel_FE.m``, third release 2010), which explain residual
third-decimal gaps to tables made with it: (1) it reads ln|I − ρW| from a 0.001 grid (we use
exact or provably accurate values; docs/anchors.md item 14); (2) its I_ρρ term uses ‖(I_T ⊗ G) X̃β‖²
without demeaning again after G (identical for individual effects; for time/two-way effects we
use the exact dummy-model information, which demeans); (3) ``sem_panel_FE`` lags the demeaned
data, W·(demeaned y), and after the correction keeps X* at the uncorrected λ; (4) its reported
log-likelihood for time/two-way effects uses W·(demeaned y); (5) its fixed-effect t-values use
σ²(X̃′X̃)^{-1} and ignore the uncertainty of ρ̂.

Fixed effects are recovered from r = y − ρ W y − Z β (raw data; SEM/SDEM: r = y − Z β):
μ_i = r̄_i· (two-way: r̄_i· − r̄_··), α_t = r̄_·t (two-way: r̄_·t − r̄_··), intercept r̄_·· for
two-way; var(μ̂_i) ≈ σ²/T + a_i′ V a_i with a_i the (centred) unit means of the regressors
and of W y (Elhorst 2014, §3.4); var(α̂_t) ≈ σ²/N + a_t′ V a_t.

References
----------
Elhorst, J. P. (2003). Specification and estimation of spatial panel data models. IRSR 26, 244-268.
Elhorst, J. P. (2014). Spatial Econometrics: From Cross-Sectional Data to Spatial Panels. Springer.
Lee, L.-F. & Yu, J. (2010). Estimation of spatial autoregressive panel data models with fixed
effects. Journal of Econometrics 154, 165-185.
LeSage, J. & Pace, R. K. (2009). Introduction to Spatial Econometrics. CRC.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._validation import DataError, SpatialNQPFError, format_values, graph_to_sparse
from ._effects import EffectsCore
from ._taxonomy import (FE_TYPES, ConvergenceError, normalise_fe,
                        normalise_model)
from ._logdet import EIGEN_MAX_N
from .results import SpatialResults, keep_spec
from .spec import ModelSpec
from . import _panel_core
from ._panel_core import (  # noqa: F401  (re-exported: tests and benchmarks import them from here)
    MODELS, SERIES_MIN_N, PanelDesign, _Solver, _boundary_warning, _check_dependent, _check_design,
    _check_nobs, _choose_logdet, _demean, _design, _DURBIN, _ERR, _information,
    _LAG, _lag, _likelihood_constants, _maximise, _ols, _weights_label, prepare_panel)

__all__ = ["spatial_panel", "PanelDesign", "prepare_panel", "MODELS", "FE_TYPES"]


# ----------------------------------------------------------------------- the model
def spatial_panel(data: pd.DataFrame, y: str, x, w, *, id: str = "code", time: str = "year",
                  model: str = "sdm", fe: str = "twoways", lee_yu=True, logdet: str = "auto",
                  traces: str = "auto", trace_nsim: int = 100, seed: int = 0,
                  effects_method: str = "auto", tol: float = 1e-10,
                  maxiter: int = 500, w_error=None, dynamic=None, durbin=None,
                  cov_type: str = "info") -> SpatialResults:
    """Fit a spatial panel model with fixed effects by maximum likelihood.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per (id, time); any row order (aligned internally by id and time).
    y : str
        Dependent variable.
    x : list of str
        Regressors (no constant: the fixed effects or, for ``fe="none"``, an intercept
        ``"const"`` are added).
    w : libpysal.graph.Graph or libpysal.weights.W
        Spatial weights keyed by the values of ``id`` (aligned by id, never by position).
        Usually row-standardised; the Lee–Yu transformation with time effects requires it.
    id, time : str
        Columns identifying units (default ``"code"``) and periods (default ``"year"``).
    model : {"sdm", "sar", "sem", "sdem", "slx", "ols", "sac"}
        SDM: y = ρWy + Xβ + WXθ; SAR: θ = 0; SEM/SDEM: error λWu (+ WXθ); SLX: Xβ + WXθ;
        SAC: y = ρWy + Xβ + u, u = λW_e u + ε (see :func:`_fit_sac`).
    fe : {"twoways", "individual", "time", "none", "random"}
        Fixed effects removed by the within transformation (see module docstring);
        ``"random"``: random unit effects (Elhorst 2003; SAR, SDM, SLX, OLS: :func:`_fit_re`;
        SEM, SDEM for N ≤ 2 000: :func:`_fit_re_error`).
    lee_yu : {True, "elhorst", False}
        ``True``: Lee–Yu (2010) transformation approach (default; docs/methods/models.md §5.3);
        ``"elhorst"``: the one-step correction of Elhorst's MATLAB code, to reproduce
        published tables; ``False``: uncorrected direct ML.
    logdet : {"auto", "eigen", "lu", "chebyshev", "mc"}
        Log-determinant method (:class:`~spatialnqpf.models._logdet.LogDet`).  ``"auto"``:
        eigen for N ≤ 2 000, LU up to 20 000; above that, for row-standardised W, Chebyshev
        (symmetric neighbour pattern, real spectrum in [−1, 1]) or Barry–Pace Monte Carlo,
        and sparse LU otherwise.
    traces : {"auto", "exact", "mc"}
        Traces of the information matrix: exact (N ≤ 2 000) or Hutchinson (``trace_nsim``
        vectors, ``seed``).  The Yu–de Jong–Lee bias traces of a dynamic panel use the same
        ``trace_nsim`` vectors with sparse LU up to N = 50 000; above, they come from the power
        series of the effects' 50 probe vectors (the long-run effects need the same powers),
        as ``res.info["bias_correction_traces"]`` states.
    seed : int
        Seed of all stochastic approximations (traces, Monte Carlo log-determinant).
    effects_method : {"auto", "exact", "traces"}
        How :meth:`SpatialResults.effects` evaluates tr((I − ρW)^{-1}) etc.
    tol, maxiter : optimiser settings (bounded Brent on ρ or λ).
    w_error : libpysal Graph or W, optional
        SAC only: weights of the error process (default ``w``), aligned by id like ``w``.
    dynamic : {None, "time", "spacetime", "both"}
        Dynamic panel (SAR/SDM with fixed effects): add y_(t-1) (``"y_lag"``, τ), W y_(t-1)
        (``"W_y_lag"``, η) or both; the first period only supplies the lags (nobs = N(T − 1)).
        ``lee_yu=True`` gives the Yu–de Jong–Lee (2008) bias-corrected QML (Lee–Yu 2010 for
        time effects), ``False`` the uncorrected QML (= unit/year dummies).  See
        :mod:`spatialnqpf.models.dynamic`; results have ``effects(horizon="short"|"long")``.
    durbin : list of str, optional
        Durbin models (SDM, SDEM, SLX, dynamic SDM): lag only these regressors (W_x terms);
        default all of ``x``.  Effects of the other regressors use θ = 0.
    cov_type : {"info", "sandwich"}
        Dynamic panels only: inverse information matrix (default) or the μ₄ sandwich.

    Returns
    -------
    SpatialResults
        ``params`` (x, ``W_<x>``, ``rho``/``lambda``; ``const`` for ``fe="none"``), ``bse``,
        ``sigma2``, ``llf`` (of the maximised likelihood), ``nobs`` = NT, ``info`` (fe,
        lee_yu, n, T, logdet and trace methods, ρ bounds, R²), ``extra["fixed_effects"]``
        (estimates and SEs), ``effects(...)``.

    Raises
    ------
    PanelError
        Duplicated (id, time) rows, gaps or an unbalanced panel (the absent pairs are named).
    DataError
        NaN/inf values, a regressor without variation under the chosen fixed effects,
        perfectly collinear regressors (named), islands in ``w``.
    IdMismatchError
        Ids of ``w`` and of the data differ (both sets named).
    ConvergenceError
        The optimiser failed (last ρ/λ and log-likelihood in the message).

    Warns
    -----
    RuntimeWarning
        ρ̂ or λ̂ at (within 1e-4 of) the bound of the admissible interval.

    Examples
    --------
    >>> res = spatial_panel(cigar, "logc", ["logp", "logy"], w, id="state", time="year",
    ...                     model="sdm", fe="twoways")            # doctest: +SKIP
    >>> res.effects(nsim=1000, seed=0)                               # doctest: +SKIP
    >>> res.spec.replace(model="sar").fit()                          # doctest: +SKIP
    """
    spec = ModelSpec(spatial_panel, dict(
        data=data, y=y, x=x, w=w, id=id, time=time, model=model, fe=fe, lee_yu=lee_yu,
        logdet=logdet, traces=traces, trace_nsim=trace_nsim, seed=seed,
        effects_method=effects_method, tol=tol, maxiter=maxiter, w_error=w_error,
        dynamic=dynamic, durbin=durbin, cov_type=cov_type))
    model = normalise_model(model)
    if w_error is not None and model != "sac":
        raise ValueError(f"w_error is only used by model='sac', not {model!r}")
    fe = normalise_fe(fe, FE_TYPES + ("random",))
    if fe == "random" and model not in ("sar", "sdm", "slx", "ols", "sem", "sdem"):
        raise ValueError(f"random effects are implemented for sar, sdm, sem, sdem, slx and ols, "
                         f"not {model!r}")
    if lee_yu not in (True, False, "elhorst"):
        raise ValueError(f"lee_yu must be True, False or 'elhorst', got {lee_yu!r}")
    if cov_type != "info" and dynamic is None:
        raise ValueError("cov_type='sandwich' is only available for dynamic panels")
    d = prepare_panel(data, y, x, w, id=id, time=time)
    if durbin is not None:
        durbin = [durbin] if isinstance(durbin, str) else list(durbin)
        bad = [v for v in durbin if v not in d.xnames]
        if bad:
            raise DataError(f"durbin names regressor(s) not in x: {format_values(bad)}; "
                            f"x = {format_values(list(d.xnames))}")
        if len(set(durbin)) != len(durbin):
            raise DataError(f"durbin lists a regressor twice: {format_values(durbin)}")
        if model not in _DURBIN:
            raise ValueError(f"durbin=[...] needs a Durbin model (sdm, sdem, slx), not {model!r}")
        if dynamic is None:
            import dataclasses
            d = dataclasses.replace(d, durbin=tuple(durbin))
    if dynamic is not None:
        if fe == "random":
            raise ValueError("dynamic panels are estimated with fixed effects, not fe='random'")
        from .dynamic import fit_dynamic
        return keep_spec(spec, fit_dynamic(
            d, model, fe, lee_yu, dynamic, durbin=durbin, logdet=logdet, traces=traces,
            trace_nsim=trace_nsim, seed=seed, effects_method=effects_method, tol=tol,
            maxiter=maxiter, cov_type=cov_type, weights_label=_weights_label(w),
            static_fit=_fit))   # the static fitter, for the SEM-type dynamic panels
    if fe == "random" and model in _ERR:
        return keep_spec(spec, _fit_re_error(d, model, logdet=logdet, seed=seed, tol=tol,
                                             maxiter=maxiter, weights_label=_weights_label(w)))
    if fe == "random":
        return keep_spec(spec, _fit_re(d, model, logdet=logdet, seed=seed,
                                       effects_method=effects_method, tol=tol, maxiter=maxiter,
                                       weights_label=_weights_label(w)))
    if model == "sac":
        W2 = d.W if w_error is None else graph_to_sparse(w_error, d.ids)
        if w_error is not None:
            rs2 = np.asarray(W2.sum(axis=1)).ravel()
            if (rs2 == 0).any():
                raise DataError("w_error has unit(s) without neighbours (islands): "
                                f"{format_values(list(d.ids[rs2 == 0]))}")
        return keep_spec(spec, _fit_sac(
            d, W2, fe, lee_yu, logdet=logdet, seed=seed, effects_method=effects_method, tol=tol,
            maxiter=maxiter, weights_label=_weights_label(w),
            error_weights_label=None if w_error is None else _weights_label(w_error)))
    return keep_spec(spec, _fit(d, model, fe, lee_yu, logdet=logdet, traces=traces,
                                trace_nsim=trace_nsim, seed=seed, effects_method=effects_method,
                                tol=tol, maxiter=maxiter, weights_label=_weights_label(w)))


_normalise_fe = normalise_fe  # the one FE vocabulary (models/_taxonomy.py)


def _fit(d: PanelDesign, model, fe, lee_yu, *, logdet="auto", traces="auto", trace_nsim=100,
         seed=0, effects_method="auto", tol=1e-10, maxiter=500, weights_label=None,
         _ld=None, _solver=None):
    N, T = d.N, d.T
    W = d.W
    xn = list(d.xnames)
    ly = lee_yu is True
    if ly and fe in ("time", "twoways") and model in _LAG + _ERR and not d.row_standardised:
        raise SpatialNQPFError(
            "the Lee-Yu transformation with time effects needs a row-standardised W "
            "(W 1 = 1); row-standardise the weights or use lee_yu=False / 'elhorst'")
    # ---- design
    Wy = _lag(W, d.Y)
    Zraw, names = _design(d, model, constant=fe == "none")
    p = len(names)
    _check_nobs(d, fe, p + 1 + (model in _LAG + _ERR), model)
    Zd = _demean(Zraw, fe).reshape(N * T, p)
    yd = _demean(d.Y, fe).ravel()
    Wyd = _demean(Wy, fe).ravel()
    _check_dependent(yd, d, fe)
    _check_design(Zd, names, fe, d)
    _, e_ols = _ols(Zd, yd)
    if float(e_ols @ e_ols) <= 1e-24 * float(yd @ yd):
        raise DataError(f"{d.yname!r} is an exact linear function of the regressors "
                        f"{format_values(list(names))} (after the {fe!r} fixed effects): the "
                        "residual variance is 0 and the likelihood is unbounded; check the data")
    m, Tj, c1 = _likelihood_constants(fe, ly, N, T)
    info = {"fe": fe, "lee_yu": {True: "Lee-Yu transformation", False: "none (direct ML)",
                                 "elhorst": "Elhorst one-step correction"}[lee_yu],
            "n": N, "T": T, "weights": weights_label,
            "weights_row_standardised": d.row_standardised}
    spatial = model in _LAG + _ERR
    pname = "rho" if model in _LAG else "lambda"
    ld = None
    if spatial:
        ld = _ld if _ld is not None else _choose_logdet(W, logdet, seed)
        lo, hi = ld.bounds
        info.update(logdet=ld.method, rho_bounds=f"({lo:.6g}, {hi:.6g})",
                    rho_bounds_method=ld.bounds_method)

    def jac(r):
        v = Tj * ld(r)
        if c1:
            v -= Tj * c1 * np.log1p(-r)
        return v

    # ---- estimation
    if not spatial:
        beta, e = _ols(Zd, yd)
        s2 = float(e @ e) / (m if lee_yu is not False else N * T)
        if lee_yu == "elhorst":
            s2 = float(e @ e) / (N * T) * _elhorst_s2_factor(fe, N, T)
        V = s2 * np.linalg.inv(Zd.T @ Zd)
        par = np.asarray(beta)
        pnames = names
        llf = -0.5 * m * np.log(2 * np.pi * s2) - float(e @ e) / (2 * s2)
        resid = e
        rhat = None
        info["logdet"] = None
    elif model in _LAG:
        b0, e0 = _ols(Zd, yd)
        b1, e1 = _ols(Zd, Wyd)
        a, bq, cq = e0 @ e0, e0 @ e1, e1 @ e1

        def negll(r):
            s2 = (a - 2 * r * bq + r * r * cq) / m
            return 0.5 * m * (np.log(2 * np.pi * s2) + 1) - jac(r)

        rhat, llc = _maximise(negll, lo, hi, tol, maxiter, pname)
        beta = b0 - rhat * b1
        e = e0 - rhat * e1
        s2 = float(e @ e) / m
    else:
        WZd = _demean(_lag(W, Zraw), fe).reshape(N * T, p)

        def gls(r):
            Zs = Zd - r * WZd
            ys = yd - r * Wyd
            b, e = _ols(Zs, ys)
            return b, e

        def negll(r):
            _, e = gls(r)
            s2 = float(e @ e) / m
            return 0.5 * m * (np.log(2 * np.pi * s2) + 1) - jac(r)

        rhat, llc = _maximise(negll, lo, hi, tol, maxiter, pname)
        beta, e = gls(rhat)
        s2 = float(e @ e) / m
    if spatial:
        solver = _solver if _solver is not None else _Solver(W, ld, traces, trace_nsim, seed)
        lyt = ly and fe in ("time", "twoways")
        Iinfo, tmeth = _information(model, Zd, WZd if model in _ERR else None, beta, rhat, s2,
                                    m, Tj, fe, N, T, solver, lyt)
        llf = -llc
        if lee_yu == "elhorst":
            psi = np.r_[beta, rhat, s2]
            if fe == "twoways":
                bvec = np.r_[np.zeros(p), 1.0 / (1.0 - rhat), 1.0 / (2.0 * s2)]
                psi = psi + np.linalg.solve(Iinfo / (N * T), bvec) / N
                psi[-1] *= T / (T - 1)
            else:
                psi[-1] *= _elhorst_s2_factor(fe, N, T)
            beta, rhat, s2 = psi[:p], float(psi[p]), float(psi[p + 1])
            if model in _LAG:
                e = yd - rhat * Wyd - Zd @ beta
            else:
                e = (yd - rhat * Wyd) - (Zd - rhat * WZd) @ beta
            Iinfo, tmeth = _information(model, Zd, WZd if model in _ERR else None, beta, rhat,
                                        s2, m, Tj, fe, N, T, solver, False)
            llf = float(-0.5 * m * np.log(2 * np.pi * s2) + jac(rhat) - (e @ e) / (2 * s2))
        Vfull = np.linalg.inv(Iinfo)
        V = Vfull[:p + 1, :p + 1]
        par = np.r_[beta, rhat]
        pnames = names + [pname]
        resid = e
        info["traces"] = tmeth
        _boundary_warning(rhat, lo, hi, pname)
    if fe in ("individual", "none"):
        _year_shock_check(resid, N, T, len(pnames) + (N if fe == "individual" else 0), info, model)
    params = pd.Series(par, index=pnames, dtype=float)
    cov = pd.DataFrame(V, index=pnames, columns=pnames)
    # ---- fit statistics, fixed effects
    tss = float(yd @ yd) if fe != "none" else float(((yd - yd.mean()) ** 2).sum())
    info["r2_within" if fe != "none" else "r2"] = 1.0 - float(resid @ resid) / tss
    if model in _LAG:
        fitted_d = yd - resid
        info["corr2"] = float(np.corrcoef(fitted_d, yd)[0, 1] ** 2)
    fe_tab = _fixed_effects(d, fe, model, Zraw, Wy, params, cov, s2, names)
    idx = pd.MultiIndex.from_arrays([np.repeat(d.times.to_numpy(), N), np.tile(d.ids.to_numpy(), T)],
                                    names=[d.time, d.id])
    resid_s = pd.Series(resid, index=idx, name="residual")
    core = None
    if model in ("sar", "sdm", "sem", "sdem", "slx", "ols"):
        core = EffectsCore(W, xn, model=model, ids=list(d.ids), method=effects_method,
                           bounds=ld.bounds if ld is not None else None,
                           eigenvalues=ld.eigenvalues if (ld is not None and model in _LAG) else None,
                           trace_seed=seed, q_max=10)
        if core.lag and spatial and N > _panel_core.SERIES_MIN_N and d.row_standardised \
                and "_hp" in solver.__dict__:
            core.share_probes(solver._hp)     # one probe sweep for the traces and the effects
        if spatial and "last_traces" in solver.__dict__:
            info["traces_se"] = tuple(round(v, 6) for v in solver.last_traces.se)
        if spatial and ld.method in ("mc", "chebyshev"):
            info["logdet_error"] = {k: float(f"{v:.3g}") for k, v in ld.error(rhat).items()}
        info["effects"] = core.method if core.lag else "linear (S = beta I + theta W)"
    info["nobs_effective"] = m
    extra = {"fixed_effects": fe_tab, "design": d, "lee_yu_setting": lee_yu}
    return SpatialResults(params, cov, s2, llf, N * T, model, n_params=len(params) + 1,
                          residuals=resid_s, fitted=None, info=info, effects_core=core,
                          extra=extra, bounds={pname: ld.bounds} if ld is not None else None)


def _year_shock_check(e, N, T, k, info, model):
    """Warn when the residuals keep common year shocks (docs/anchors.md item 3).

    F test of the year means of the residuals: F = [N Σ_t ē_t² / (T − 1)] / [Σ (e − ē_t)² / df],
    df = NT − T − k.  With a row-standardised W a common shock α_t satisfies W α_t ι = α_t ι, so
    omitted year effects load onto ρ (spreg's individual-FE ρ̂ = 0.92 for a true 0.4).
    """
    E = e.reshape(T, N)
    mt = E.mean(axis=1)
    ssb = N * float(mt @ mt)
    ssw = float(((E - mt[:, None]) ** 2).sum())
    df2 = N * T - T - k
    if T < 2 or df2 <= 0 or ssw <= 0:
        return
    F = (ssb / (T - 1)) / (ssw / df2)
    pval = float(stats.f.sf(F, T - 1, df2))
    info["year_effects_in_residuals_p"] = pval
    if pval < 1e-3:
        warnings.warn(f"the residuals contain common year shocks (F = {F:.3g}, p = {pval:.2g}); "
                      f"without time effects they bias the spatial parameter of this {model!r} "
                      "model (a common shock looks like perfect spatial dependence under a "
                      "row-standardised W); consider fe='twoways' or fe='time'",
                      RuntimeWarning, stacklevel=4)


def _elhorst_s2_factor(fe, N, T):
    return {"individual": T / (T - 1), "time": N / (N - 1), "twoways": T / (T - 1),
            "none": 1.0}[fe]


def _fixed_effects(d, fe, model, Zraw, Wy, params, cov, s2, names):
    """Recovered fixed effects with approximate standard errors (module docstring)."""
    if fe == "none":
        return None
    N, T = d.N, d.T
    p = len(names)
    beta = params.iloc[:p].to_numpy()
    R = d.Y - Zraw @ beta
    A = Zraw.copy()
    if model in _LAG + ("sac",):
        rho = float(params["rho"])
        R = R - rho * Wy
        A = np.concatenate([A, Wy[:, :, None]], axis=2)
    Vb = cov.to_numpy()[:A.shape[2], :A.shape[2]]
    out = []
    grand = R.mean()
    gA = A.mean(axis=(0, 1))
    two = fe == "twoways"
    if fe in ("individual", "twoways"):
        mu = R.mean(axis=0) - (grand if two else 0.0)
        a = A.mean(axis=0) - (gA if two else 0.0)
        se = np.sqrt(s2 / T + np.einsum("ij,jk,ik->i", a, Vb, a))
        out.append(pd.DataFrame({"effect": "individual", "label": d.ids, "estimate": mu, "se": se}))
    if fe in ("time", "twoways"):
        al = R.mean(axis=1) - (grand if two else 0.0)
        a = A.mean(axis=1) - (gA if two else 0.0)
        se = np.sqrt(s2 / N + np.einsum("ij,jk,ik->i", a, Vb, a))
        out.append(pd.DataFrame({"effect": "time", "label": d.times, "estimate": al, "se": se}))
    if two:
        se = np.sqrt(s2 / (N * T) + gA @ Vb @ gA)
        out.append(pd.DataFrame({"effect": ["intercept"], "label": ["intercept"],
                                 "estimate": [grand], "se": [se]}))
    tab = pd.concat(out, ignore_index=True)
    tab["t"] = tab["estimate"] / tab["se"]
    tab["p"] = 2 * stats.norm.sf(np.abs(tab["t"]))
    return tab


def _fit_sac(d: PanelDesign, W2, fe, lee_yu, *, logdet="auto", seed=0, effects_method="auto",
             tol=1e-10, maxiter=500, weights_label=None, error_weights_label=None,
             cov="auto"):
    """SAC panel: y = ρ W y + X β + u, u = λ W_e u + ε, with fixed effects.

    All spatial transforms are applied to the raw data and then demeaned (the exact FE
    likelihood with dummies, as for the other models):

        e(ρ, λ, β) = Q[(I − λW_e)(I − ρW) y − (I − λW_e) X β]
        ℓ = −(m/2) ln(2πσ²) + T*[ln|I − ρW| + ln|I − λW_e| − c ln(1 − ρ) − c ln(1 − λ)] − e′e/(2σ²)

    with m, T*, c as in the module docstring (both W row-standardised for the Lee–Yu time
    transformation).  (ρ, λ) maximise the likelihood concentrated in β and σ² (a 9 × 9 grid,
    then Nelder–Mead).  Standard errors: for N ≤ 2 000 the analytic expected information of
    Anselin (1988), as in R ``spatialreg::sacsarlm(method="eigen")`` (see
    :func:`_sac_information`); above, a central-difference Hessian of the full
    log-likelihood in (β, ρ, λ, σ²) (observed information; on the cigarette panel the two
    differ by up to 40% for ρ and λ, which are strongly correlated when W_e = W).  ``lee_yu="elhorst"``
    rescales σ² for one-way effects only; with two-way effects it is refused (no published
    one-step formula for SAC).
    """
    N, T = d.N, d.T
    W1 = d.W
    xn = list(d.xnames)
    ly = lee_yu is True
    rs2 = np.asarray(W2.sum(axis=1)).ravel()
    rowstd2 = bool(np.allclose(rs2, 1.0, atol=1e-10))
    if ly and fe in ("time", "twoways") and not (d.row_standardised and rowstd2):
        raise SpatialNQPFError("the Lee-Yu transformation with time effects needs row-standardised "
                               "W and w_error; row-standardise them or use lee_yu=False")
    if lee_yu == "elhorst" and fe == "twoways":
        raise SpatialNQPFError("lee_yu='elhorst' is not defined for SAC with two-way effects; "
                               "use lee_yu=True (Lee-Yu transformation) or False")
    Zraw, names = _design(d, "sac", constant=fe == "none")
    _check_nobs(d, fe, len(names) + 3, "sac")
    p = len(names)
    dm = lambda a: _demean(a, fe)
    W1y = _lag(W1, d.Y)
    yd, W1yd = dm(d.Y).ravel(), dm(W1y).ravel()
    W2yd, W2W1yd = dm(_lag(W2, d.Y)).ravel(), dm(_lag(W2, W1y)).ravel()
    Zd = dm(Zraw).reshape(N * T, p)
    W2Zd = dm(_lag(W2, Zraw)).reshape(N * T, p)
    _check_dependent(yd, d, fe)
    _check_design(Zd, names, fe, d)
    m, Tj, c1 = _likelihood_constants(fe, ly, N, T)
    ld1 = _choose_logdet(W1, logdet, seed)
    same = W2 is W1 or (W2.shape == W1.shape and (W2 != W1).nnz == 0)
    ld2 = ld1 if same else _choose_logdet(W2, logdet, seed)

    def jac(r, lam):
        v = Tj * (ld1(r) + ld2(lam))
        if c1:
            v -= Tj * c1 * (np.log1p(-r) + np.log1p(-lam))
        return v

    def resid(r, lam, beta=None):
        ys = yd - r * W1yd - lam * W2yd + r * lam * W2W1yd
        Zs = Zd - lam * W2Zd
        if beta is None:
            beta, *_ = np.linalg.lstsq(Zs, ys, rcond=None)
        return beta, ys - Zs @ beta

    (l1, h1), (l2, h2) = ld1.bounds, ld2.bounds
    eps1, eps2 = 1e-6 * (h1 - l1), 1e-6 * (h2 - l2)
    box = [(l1 + eps1, h1 - eps1), (l2 + eps2, h2 - eps2)]

    def negll(v):
        r, lam = v
        if not (box[0][0] <= r <= box[0][1] and box[1][0] <= lam <= box[1][1]):
            return np.inf
        _, e = resid(r, lam)
        s2 = float(e @ e) / m
        return 0.5 * m * (np.log(2 * np.pi * s2) + 1) - jac(r, lam)

    g1 = np.linspace(box[0][0], box[0][1], 11)[1:-1]
    g2 = np.linspace(box[1][0], box[1][1], 11)[1:-1]
    with np.errstate(all="ignore"):
        start = min(((a, b) for a in g1 for b in g2), key=negll)
        opt = optimize.minimize(negll, np.array(start), method="Nelder-Mead", bounds=box,
                                options={"xatol": max(tol, 1e-9), "fatol": 1e-10, "maxiter": maxiter * 10})
    if not opt.success or not np.isfinite(opt.fun):
        raise ConvergenceError(f"the SAC likelihood did not converge after {opt.nit} iterations: "
                               f"last rho, lambda = {tuple(np.round(opt.x, 8))}, log-likelihood = "
                               f"{-opt.fun!r}, message: {opt.message!r}")
    rhat, lhat = map(float, opt.x)
    beta, e = resid(rhat, lhat)
    s2 = float(e @ e) / m
    llf = -float(opt.fun)

    def fullll(v):
        b, r, lam, sg = v[:p], v[p], v[p + 1], v[p + 2]
        _, ee = resid(r, lam, b)
        return -0.5 * m * np.log(2 * np.pi * sg) + jac(r, lam) - float(ee @ ee) / (2 * sg)

    if lee_yu == "elhorst":
        s2 *= _elhorst_s2_factor(fe, N, T)
    psi = np.r_[beta, rhat, lhat, s2]
    if cov == "expected" or (cov == "auto" and N <= EIGEN_MAX_N):
        Iinfo = _sac_information(W1, W2, Zd, W2Zd, beta, rhat, lhat, s2, m, Tj, fe, N, T,
                                 lyt=ly and fe in ("time", "twoways"))
        V = np.linalg.inv(Iinfo)
        vmeth = "exact (dense expected information)"
    else:
        V = np.linalg.inv(-_num_hessian(fullll, psi))
        vmeth = "numerical Hessian (observed information)"
    pn = names + ["rho", "lambda"]
    params = pd.Series(np.r_[beta, rhat, lhat], index=pn)
    cov = pd.DataFrame(V[:p + 2, :p + 2], index=pn, columns=pn)
    for nm, val, (lo, hi) in (("rho", rhat, ld1.bounds), ("lambda", lhat, ld2.bounds)):
        _boundary_warning(val, lo, hi, nm)
    info = {"fe": fe, "lee_yu": {True: "Lee-Yu transformation", False: "none (direct ML)",
                                 "elhorst": "Elhorst one-step correction (sigma2 only)"}[lee_yu],
            "n": N, "T": T, "weights": weights_label,
            "error_weights": error_weights_label or "same as weights",
            "weights_row_standardised": d.row_standardised, "logdet": ld1.method,
            "rho_bounds": f"({ld1.bounds[0]:.6g}, {ld1.bounds[1]:.6g})",
            "lambda_bounds": f"({ld2.bounds[0]:.6g}, {ld2.bounds[1]:.6g})",
            "traces": vmeth}
    tss = float(yd @ yd) if fe != "none" else float(((yd - yd.mean()) ** 2).sum())
    info["r2_within" if fe != "none" else "r2"] = 1.0 - float(e @ e) / tss
    core = EffectsCore(W1, xn, model="sac", ids=list(d.ids), method=effects_method,
                       bounds=ld1.bounds, eigenvalues=ld1.eigenvalues, trace_seed=seed)
    info["effects"] = core.method
    info["nobs_effective"] = m
    fe_tab = _fixed_effects(d, fe, "sac", Zraw, W1y, params, cov, s2, names)
    idx = pd.MultiIndex.from_arrays([np.repeat(d.times.to_numpy(), N), np.tile(d.ids.to_numpy(), T)],
                                    names=[d.time, d.id])
    return SpatialResults(params, cov, s2, llf, N * T, "sac", n_params=len(params) + 1,
                          residuals=pd.Series(e, index=idx, name="residual"), info=info,
                          effects_core=core,
                          extra={"fixed_effects": fe_tab, "design": d, "lee_yu_setting": lee_yu},
                          bounds={"rho": ld1.bounds, "lambda": ld2.bounds})


def _num_hessian(f, x, rel=1e-4):
    """Central-difference Hessian of the scalar function f at x (steps rel·max(|x_i|, 0.01))."""
    x = np.asarray(x, dtype=float)
    k = len(x)
    h = rel * np.maximum(np.abs(x), 1e-2)
    H = np.empty((k, k))
    f0 = f(x)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        H[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / h[i] ** 2
        for j in range(i + 1, k):
            ej = np.zeros(k)
            ej[j] = h[j]
            H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej)
                                 + f(x - ei - ej)) / (4 * h[i] * h[j])
    return H


def _sac_information(W1, W2, Zd, W2Zd, beta, rho, lam, s2, m, Tj, fe, N, T, lyt):
    """Expected information of the SAC panel in (β, ρ, λ, σ²) (dense, small N).

    Anselin (1988, §6) as transcribed in R ``spatialreg::sacsarlm``: with A = I − ρW,
    B = I − λW_e, G_A = W A^{-1}, G_B = W_e B^{-1}, H = B G_A B^{-1}, Z* = Q(B Z) and
    g = Q(B G_A Z β):  I_ββ = Z*′Z*/σ²; I_ρβ = Z*′g/σ²;
    I_ρρ = T*[tr(G_A²) + tr(H′H)] + g′g/σ²; I_λλ = T*[tr(G_B²) + tr(G_B′G_B)];
    I_ρλ = T*[tr(G_B′H) + tr(W_e G_A B^{-1})]; I_ρσ² = T* tr(G_A)/σ²; I_λσ² = T* tr(G_B)/σ²;
    I_σ²σ² = m/(2σ⁴).  For the Lee–Yu time transformation the traces are taken in the
    (N − 1)-dimensional space of F_N′ W F_N.
    """
    Wa, Wb = W1.toarray(), W2.toarray()
    if lyt:
        ev, vec = np.linalg.eigh(np.eye(N) - np.full((N, N), 1.0 / N))
        F = vec[:, ev > 0.5]
        Wa, Wb = F.T @ Wa @ F, F.T @ Wb @ F
    k = Wa.shape[0]
    I_ = np.eye(k)
    Ai = np.linalg.inv(I_ - rho * Wa)
    B = I_ - lam * Wb
    Bi = np.linalg.inv(B)
    GA, GB = Wa @ Ai, Wb @ Bi
    H = B @ GA @ Bi
    t_AA, t_HH = np.sum(GA * GA.T), np.sum(H * H)
    t_BB, t_BtB = np.sum(GB * GB.T), np.sum(GB * GB)
    t_BH, t_BA = np.sum(GB * H), np.trace(Wb @ GA @ Bi)
    # g = Q(B G_A Z beta), per period with the full (untransformed) W
    W1d, W2d = W1.toarray(), W2.toarray()
    xb = (Zd @ beta).reshape(T, N)
    v = np.linalg.solve(np.eye(N) - rho * W1d, xb.T)       # A^{-1} (N, T)
    v = W1d @ v
    v = v - lam * (W2d @ v)
    g = _demean(v.T, fe).ravel()
    Zs = Zd - lam * W2Zd
    p = Zd.shape[1]
    I = np.zeros((p + 3, p + 3))
    I[:p, :p] = Zs.T @ Zs / s2
    I[:p, p] = I[p, :p] = Zs.T @ g / s2
    I[p, p] = Tj * (t_AA + t_HH) + g @ g / s2
    I[p + 1, p + 1] = Tj * (t_BB + t_BtB)
    I[p, p + 1] = I[p + 1, p] = Tj * (t_BH + t_BA)
    I[p, p + 2] = I[p + 2, p] = Tj * np.trace(GA) / s2
    I[p + 1, p + 2] = I[p + 2, p + 1] = Tj * np.trace(GB) / s2
    I[p + 2, p + 2] = m / (2 * s2 * s2)
    return I


def _fit_re(d: PanelDesign, model, *, logdet="auto", seed=0, effects_method="auto", tol=1e-10,
            maxiter=500, weights_label=None):
    """Random unit effects by ML (Elhorst 2003; 2014 §3.3): SAR, SDM, SLX, OLS.

    With μ_i ~ iid(0, σ_μ²) and φ² = σ² / (T σ_μ² + σ²), the quasi-demeaned data
    v*_it = v_it − (1 − φ) v̄_i· (also for W y, W X and the constant) give

        ℓ = −(NT/2) ln(2πσ²) + (N/2) ln φ² + T ln|I − ρW| − e′e/(2σ²),
        e = y* − ρ (W y)* − Z* β,

    maximised jointly in (ρ, φ) with β and σ² concentrated out (grid start, Nelder–Mead);
    φ → 0 is the fixed-effects estimator, φ = 1 pooled OLS.  Parameters: ``const``, x,
    ``W_<x>``, ``rho`` and ``phi``; covariance from a central-difference Hessian of the full
    log-likelihood (observed information).  Random effects for the error models are not
    implemented.
    """
    N, T = d.N, d.T
    W = d.W
    xn = list(d.xnames)
    Zraw, names = _design(d, model, constant=True)
    p = len(names)
    _check_design(_demean(Zraw, "none").reshape(N * T, p), names, "none", d)
    Wy = _lag(W, d.Y)
    lag = model in _LAG
    ld = _choose_logdet(W, logdet, seed) if lag else None

    def qd(A, phi):
        return (A - (1.0 - phi) * A.mean(axis=0, keepdims=True)).reshape(N * T, -1)

    def resid(r, phi, beta=None):
        ys = qd(d.Y, phi).ravel() - (r * qd(Wy, phi).ravel() if lag else 0.0)
        Zs = qd(Zraw, phi)
        if beta is None:
            beta, *_ = np.linalg.lstsq(Zs, ys, rcond=None)
        return beta, ys - Zs @ beta

    def ll_full(r, phi, beta, s2):
        _, e = resid(r, phi, beta)
        v = -0.5 * N * T * np.log(2 * np.pi * s2) + N * np.log(phi) - (e @ e) / (2 * s2)
        return v + (T * ld(r) if lag else 0.0)

    lo, hi = ld.bounds if lag else (0.0, 0.0)
    eps = 1e-6 * (hi - lo) if lag else 0.0

    def negll(v):
        r, phi = (v[0], v[1]) if lag else (0.0, v[0])
        if not (1e-8 <= phi <= 1.0) or (lag and not (lo + eps <= r <= hi - eps)):
            return np.inf
        _, e = resid(r, phi)
        s2 = e @ e / (N * T)
        return 0.5 * N * T * (np.log(2 * np.pi * s2) + 1) - N * np.log(phi) - (T * ld(r) if lag else 0.0)

    phis = np.linspace(0.02, 0.98, 9)
    rhos = np.linspace(max(lo, -0.95), min(hi, 0.95), 11)[1:-1] if lag else [None]
    cands = [((r, f) if lag else (f,)) for r in rhos for f in phis]
    with np.errstate(all="ignore"):
        start = min(cands, key=negll)
        bnds = [(lo + eps, hi - eps), (1e-8, 1.0)] if lag else [(1e-8, 1.0)]
        opt = optimize.minimize(negll, np.array(start, dtype=float), method="Nelder-Mead",
                                bounds=bnds, options={"xatol": max(tol, 1e-9), "fatol": 1e-10,
                                                      "maxiter": maxiter * 10})
    if not opt.success or not np.isfinite(opt.fun):
        raise ConvergenceError(f"the random-effects likelihood did not converge after {opt.nit} "
                               f"iterations: last (rho, phi) = {tuple(np.round(opt.x, 8))}, "
                               f"log-likelihood = {-opt.fun!r}, message: {opt.message!r}")
    rhat, phat = (float(opt.x[0]), float(opt.x[1])) if lag else (0.0, float(opt.x[0]))
    beta, e = resid(rhat, phat)
    s2 = float(e @ e) / (N * T)
    if lag:
        f = lambda v: ll_full(v[p], v[p + 1], v[:p], v[p + 2])
        psi = np.r_[beta, rhat, phat, s2]
        pn = names + ["rho", "phi"]
    else:
        f = lambda v: ll_full(0.0, v[p], v[:p], v[p + 1])
        psi = np.r_[beta, phat, s2]
        pn = names + ["phi"]
    V = np.linalg.inv(-_num_hessian(f, psi))
    k = len(pn)
    params = pd.Series(psi[:k], index=pn)
    cov = pd.DataFrame(V[:k, :k], index=pn, columns=pn)
    if lag:
        _boundary_warning(rhat, lo, hi, "rho")
    if phat > 1 - 1e-6 or phat < 1e-6:
        warnings.warn(f"phi = {phat:.6g} is at the bound of [0, 1] (phi = 0: fixed effects, "
                      "phi = 1: no unit effects)", RuntimeWarning, stacklevel=3)
    info = {"fe": "random", "lee_yu": "not applicable (random effects)", "n": N, "T": T,
            "weights": weights_label, "weights_row_standardised": d.row_standardised,
            "logdet": ld.method if lag else None,
            "traces": "numerical Hessian (observed information)",
            "sigma2_mu": s2 * (1.0 / phat ** 2 - 1.0) / T}
    core = EffectsCore(W, xn, model=model, ids=list(d.ids), method=effects_method,
                       bounds=ld.bounds if lag else None,
                       eigenvalues=ld.eigenvalues if lag else None, trace_seed=seed)
    info["effects"] = core.method if core.lag else "linear (S = beta I + theta W)"
    idx = pd.MultiIndex.from_arrays([np.repeat(d.times.to_numpy(), N), np.tile(d.ids.to_numpy(), T)],
                                    names=[d.time, d.id])
    return SpatialResults(params, cov, s2, -float(opt.fun), N * T, model, n_params=k + 1,
                          residuals=pd.Series(e, index=idx, name="residual"), info=info,
                          effects_core=core, extra={"design": d, "lee_yu_setting": None})


def _fit_re_error(d: PanelDesign, model, *, logdet="auto", seed=0, tol=1e-10, maxiter=500,
                  weights_label=None):
    """Random unit effects with a spatially autocorrelated error (SEM/SDEM; N ≤ 2 000).

    u = (ι_T ⊗ I_N) μ + (I_T ⊗ B^{-1}) ε, B = I − λW, μ ~ N(0, σ_μ² I), ε ~ N(0, σ² I), so
    Ω/σ² = θ J_T ⊗ I_N + I_T ⊗ (B′B)^{-1} with θ = σ_μ²/σ² (Elhorst 2003; Baltagi, Song & Koh
    2003).  With P̄ = J_T/T, E = I_T − P̄ and M = I_N + Tθ B′B:

        Ω^{-1}σ² = P̄ ⊗ B′B M^{-1} + E ⊗ B′B,   ln|Ω/σ²| = −2T ln|B| + ln|M|,
        ℓ = −(NT/2) ln(2πσ²) + T ln|B| − ½ ln|M| − [T ū′B′BM^{-1}ū + Σ_t ‖B(u_t − ū)‖²]/(2σ²)

    (ū the unit means of u = y − Zβ).  This holds for any W (no symmetry needed) but uses
    dense N × N algebra, hence N ≤ 2 000.  β is GLS and σ² = Q/NT given (λ, φ), with
    φ² = 1/(1 + Tθ) (φ → 0: fixed effects, φ = 1: no unit effects, as for the lag model);
    (λ, φ) by Nelder–Mead from a grid; covariance from a central-difference Hessian of ℓ.
    Parameters: ``const``, x, ``W_<x>`` (SDEM), ``lambda``, ``phi``.
    """
    N, T = d.N, d.T
    if N > EIGEN_MAX_N:
        raise SpatialNQPFError(f"random effects with a spatial error need dense N x N algebra; "
                               f"N = {N} > {EIGEN_MAX_N}: use fixed effects")
    W = d.W
    Wd = W.toarray()
    xn = list(d.xnames)
    Zraw, names = _design(d, model, constant=True)
    p = len(names)
    _check_design(Zraw.reshape(N * T, p), names, "none", d)
    ld = _choose_logdet(W, logdet, seed)
    lo, hi = ld.bounds
    Ybar, Zbar = d.Y.mean(axis=0), Zraw.mean(axis=0)          # (N,), (N, p)
    Ydev, Zdev = d.Y - Ybar, Zraw - Zbar                       # (T, N), (T, N, p)
    I_ = np.eye(N)

    def parts(lam, phi):
        B = I_ - lam * Wd
        BtB = B.T @ B
        Tth = 1.0 / phi ** 2 - 1.0                              # T theta
        M = I_ + Tth * BtB
        K = BtB @ np.linalg.inv(M)
        K = (K + K.T) / 2
        ev, vec = np.linalg.eigh(K)
        R = vec * np.sqrt(np.clip(ev, 0, None))                 # K = R R'
        sign, ldM = np.linalg.slogdet(M)
        return B, R, ldM

    def transform(lam, phi):
        B, R, ldM = parts(lam, phi)
        ym = np.sqrt(T) * (R.T @ Ybar)
        Zm = np.sqrt(T) * (R.T @ Zbar)
        yd = (B @ Ydev.T).T.ravel()
        Zd = np.einsum("ij,tjk->tik", B, Zdev).reshape(N * T, p)
        return np.r_[ym, yd], np.vstack([Zm, Zd]), ldM

    def ll_full(beta, lam, phi, s2):
        ys, Zs, ldM = transform(lam, phi)
        e = ys - Zs @ beta
        return (-0.5 * N * T * np.log(2 * np.pi * s2) + T * ld(lam) - 0.5 * ldM
                - float(e @ e) / (2 * s2))

    eps = 1e-6 * (hi - lo)

    def negll(v):
        lam, phi = v
        if not (lo + eps <= lam <= hi - eps and 1e-6 <= phi <= 1.0):
            return np.inf
        ys, Zs, ldM = transform(lam, phi)
        b, *_ = np.linalg.lstsq(Zs, ys, rcond=None)
        e = ys - Zs @ b
        s2 = float(e @ e) / (N * T)
        return 0.5 * N * T * (np.log(2 * np.pi * s2) + 1) - T * ld(lam) + 0.5 * ldM

    lams = np.linspace(max(lo, -0.95), min(hi, 0.95), 11)[1:-1]
    cands = [(a, f) for a in lams for f in np.linspace(0.05, 0.95, 7)]
    with np.errstate(all="ignore"):
        start = min(cands, key=negll)
        opt = optimize.minimize(negll, np.array(start), method="Nelder-Mead",
                                bounds=[(lo + eps, hi - eps), (1e-6, 1.0)],
                                options={"xatol": max(tol, 1e-9), "fatol": 1e-10,
                                         "maxiter": maxiter * 10})
    if not opt.success or not np.isfinite(opt.fun):
        raise ConvergenceError(f"the random-effects error-model likelihood did not converge after "
                               f"{opt.nit} iterations: last (lambda, phi) = "
                               f"{tuple(np.round(opt.x, 8))}, log-likelihood = {-opt.fun!r}, "
                               f"message: {opt.message!r}")
    lhat, phat = map(float, opt.x)
    ys, Zs, _ = transform(lhat, phat)
    beta, *_ = np.linalg.lstsq(Zs, ys, rcond=None)
    e = ys - Zs @ beta
    s2 = float(e @ e) / (N * T)
    psi = np.r_[beta, lhat, phat, s2]
    V = np.linalg.inv(-_num_hessian(lambda v: ll_full(v[:p], v[p], v[p + 1], v[p + 2]), psi))
    pn = names + ["lambda", "phi"]
    params = pd.Series(psi[:p + 2], index=pn)
    cov = pd.DataFrame(V[:p + 2, :p + 2], index=pn, columns=pn)
    _boundary_warning(lhat, lo, hi, "lambda")
    if phat > 1 - 1e-6 or phat < 1e-5:
        warnings.warn(f"phi = {phat:.6g} is at the bound of [0, 1] (phi = 0: fixed effects, "
                      "phi = 1: no unit effects)", RuntimeWarning, stacklevel=3)
    info = {"fe": "random", "lee_yu": "not applicable (random effects)", "n": N, "T": T,
            "weights": weights_label, "weights_row_standardised": d.row_standardised,
            "logdet": ld.method, "traces": "numerical Hessian (observed information)",
            "sigma2_mu": s2 * (1.0 / phat ** 2 - 1.0) / T}
    core = EffectsCore(W, xn, model=model, ids=list(d.ids))
    info["effects"] = "linear (S = beta I + theta W)"
    return SpatialResults(params, cov, s2, -float(opt.fun), N * T, model, n_params=p + 3,
                          info=info, effects_core=core,
                          extra={"design": d, "lee_yu_setting": None})
