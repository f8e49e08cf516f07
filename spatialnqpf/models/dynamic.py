"""Dynamic spatial panels: time and space-time lags by quasi-ML with the Yu–de Jong–Lee correction.

Reached through :func:`spatialnqpf.models.spatial_panel` with ``dynamic="time" | "spacetime" |
"both"``.  Nothing in PySAL/spreg estimates these models; this module is written from the
papers (Yu, de Jong & Lee 2008; Lee & Yu 2010; Elhorst 2014 ch. 4) and checked against
R ``spatialreg::lagsarlm`` with unit and year dummies and R ``SDPDmod`` (tests/reference/).

Model (t = 2, ..., T; the first year only supplies the lags, nobs = N(T − 1))::

    y_t = τ y_{t−1} + η W y_{t−1} + ρ W y_t + X_t β + W X_t θ + μ + α_t ι + ε_t

``dynamic="time"``: η = 0; ``"spacetime"``: τ = 0; ``"both"``: both.  SAR: θ = 0; SDM with
``durbin=[...]``: θ only for the listed regressors.

SEM-type dynamic panels (``model="sem"``/``"sdem"``): ρ = 0 in the mean and u_t = λ W u_t + ε_t,
by uncorrected QML only (``lee_yu=False``; anything else is refused naming the alternative): the
static SEM/SDEM likelihood with unit/year dummies on the years 2..T with y_{t−1}, W y_{t−1} as
regressors (checked against a dense transcription and R ``errorsarlm`` with dummies,
tests/reference/cigar_dynamic_sem.R).  The Yu–de Jong–Lee correction is derived for the
spatial-lag form only, so τ̂ keeps its O(1/T) bias here; the corrected alternative is the
dynamic SDM (``"both"``), which nests the dynamic SEM through the common-factor restriction
θ = −ρβ, η = −ρτ, tested by its "Wald dynamic SDM -> dynamic SEM".  Effects: short run
βI + θW, long run ((1 − τ)I − ηW)⁻¹(βI + θW); stability |τ + ηω| < 1.  ``model="sac"`` is refused.  Parameters: ``"y_lag"`` (τ),
``"W_y_lag"`` (η), ``"rho"``, the x names, ``"W_<x>"``.  y_{t−1} and W y_{t−1} are treated as
predetermined regressors (the likelihood is conditional on y_1).

Estimation
----------
All variables of t = 2..T, including W y_t, are demeaned after lagging by the fixed effects
(within units over the T − 1 used years; within years; or both).  With e(ρ) the residual of
the demeaned data and m, c as below, the concentrated quasi log-likelihood is

    ℓ(ρ) = −(m/2)[ln(2π σ²(ρ)) + 1] + (T − 1)[ln|I − ρW| − c ln(1 − ρ)],  σ²(ρ) = e′e/m.

``lee_yu=False`` (uncorrected QML): m = N(T − 1), c = 0 for every ``fe``.  This is exactly the
ML estimator of the model with unit and/or year dummies (W y demeaned after lagging;
σ² = e′e/(N(T − 1))) = ``lagsarlm`` on the stacked years 2..T with dummies.

``lee_yu=True``: year effects are removed by the Lee–Yu (2010) transformation F_{N,N−1}
(equivalent to year demeaning with m = (N − 1)(T − 1), c = 1 and W* = F′WF, whose spectrum is
that of W without the eigenvalue 1; requires row-standardised W); unit effects by demeaning.
For ``fe="individual"`` or ``"twoways"`` the Yu–de Jong–Lee (2008) bias correction follows:

    θ_bc = θ̂ + Σ̂⁻¹ â / (T − 1),   θ = (τ, η, β, θ, ρ, σ²),  Σ̂ = I(θ̂)/m,

with A = S⁻¹(τI + ηW*), S = I − ρW*, G = W*S⁻¹, n = dim W* (N or N − 1),
B = A without its eigenvalues above 1 − 1/n (those set to 0; m_u = their number), H = (I − B)⁻¹S⁻¹:

    a_τ = tr(H)/n,  a_η = tr(W*H)/n,  a_β = 0,
    a_ρ = τ tr(GH)/n + η tr(GW*H)/n + tr(G)/n,  a_σ² = 1/(2σ²),

plus (T − 1)/(2(1 − ρ)) · m_u/n on a_τ, a_η and a_ρ when m_u ≥ 1 (the unit-root component;
Yu, de Jong & Lee 2012).  The corrected σ² is reported.  ``fe="time"`` and ``"none"`` have no
incidental-parameter bias of order 1/T and are not corrected.  These are the formulas R
``SDPDmod`` 0.0.6 implements for ``tl = stl = TRUE``; we differ from it where it is defective:
(1) it inverts ``nearPD(Σ̂)`` instead of Σ̂ in the correction (corrected ρ 0.162 instead of
0.0763 on the cigarette SDM); (2) for the W y_{t−1}-only model it uses tr(H) for a_η and
η tr(GH) for a_ρ (we use tr(W*H), η tr(GW*H)); (3) for the y_{t−1}-only model it drops the
unit-root term; (4) it reads ln|I − ρW| from a 0.001 grid and stops the search at 1.2e-4 in ρ.

Standard errors: inverse of the information matrix of the maximised likelihood at the reported
estimate (corrected ones for ``lee_yu=True``), Z the demeaned regressors (including the lags),
g = Q(I ⊗ G) Z β:  I_ββ = Z′Z/σ², I_βρ = Z′g/σ², I_ρρ = g′g/σ² + (T − 1)[tr(GG) + tr(G′G)],
I_ρσ² = (T − 1) tr(G)/σ², I_σ²σ² = m/(2σ⁴) (Lee–Yu traces on the complement of ι) — for
``lee_yu=False`` the exact information of the dummy model, as ``lagsarlm``.
``cov_type="sandwich"``: Σ⁻¹ + Σ⁻¹ΩΣ⁻¹ with the μ₄ term of Yu, de Jong & Lee (2008):
Ω_ρρ = Σ G_ii²/n, Ω_ρσ² = tr(G)/(2σ²n), Ω_σ²σ² = 1/(4σ⁴), times (μ₄ − 3σ⁴)/σ⁴, μ₄ the mean of
the fourth powers of the within residuals (SDPDmod uses reduced-form residuals
(I − ρW)⁻¹ e in its F basis: its sandwich SEs differ from ours in the third digit).

Stability: the model is stationary iff every eigenvalue (τ + ηω)/(1 − ρω) of A = (I − ρW)⁻¹
(τI + ηW) lies inside the unit circle (ω the eigenvalues of W); for a row-standardised W with
real spectrum in [ω_min, 1] this is τ + ρ + η < 1 and the analogous condition at ω_min
(Elhorst 2014, §4.2).  A fit outside is flagged ``nonstationary`` and has no long-run effects.

Effects (Debarsy, Ertur & LeSage 2012): short run S = (I − ρW)⁻¹(βI + θW); long run
L = ((1 − τ)I − (ρ + η)W)⁻¹(βI + θW) = (1 − τ)⁻¹(I − ρ_L W)⁻¹(βI + θW), ρ_L = (ρ + η)/(1 − τ):
direct = tr/n, total = ι′·ι/n, indirect = total − direct, evaluated by the shared
:class:`~spatialnqpf.models._effects.EffectsCore` (eigenvalues for n ≤ 2 000, trace series above).

References
----------
Yu, J., de Jong, R. & Lee, L.-F. (2008). Quasi-maximum likelihood estimators for spatial dynamic
panel data with fixed effects when both n and T are large. J. Econometrics 146, 118-134.
Yu, J., de Jong, R. & Lee, L.-F. (2012). Estimation for spatial dynamic panel data with fixed
effects: the case of spatial cointegration. J. Econometrics 167, 16-37.
Lee, L.-F. & Yu, J. (2010). A spatial dynamic panel data model with both time and individual
fixed effects. Econometric Theory 26, 564-597.
Debarsy, N., Ertur, C. & LeSage, J. P. (2012). Interpreting dynamic space-time panel data models.
Statistical Methodology 9, 158-171.
Elhorst, J. P. (2014). Spatial Econometrics. Springer, ch. 4.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy import stats

from .._results import Flag, FitWarning, tidy_effects_frame
from .._validation import DataError, SpatialNQPFError, as_generator, format_values
from ._effects import EffectsCore, finish_effects_frame, summarise_draws
from ._logdet import EIGEN_MAX_N, _rademacher
from .results import SpatialResults
from ._panel_core import (SERIES_MIN_N, _Solver, _boundary_warning, _check_dependent,
                          _check_design, _choose_logdet, _demean, _information, _lag, _maximise)

__all__ = ["DynamicPanelResults", "DYNAMIC_TYPES", "NonStationaryError", "fit_dynamic"]

DYNAMIC_TYPES = ("time", "spacetime", "both")


def _nonstationary_flag(st) -> list:
    """``[Flag("nonstationary", ...)]`` when :func:`_stability` says the fit is not stationary."""
    if st["stationary"]:
        return []
    return [Flag("nonstationary", "the fitted model is not stationary (" + st["condition"] +
                 "); long-run effects do not exist")]


def _selection(pidx, terms) -> np.ndarray:
    """Rows of the identity picking ``terms`` out of the parameter vector ``pidx``."""
    J = np.zeros((len(terms), len(pidx)))
    for i, t in enumerate(terms):
        J[i, pidx.index(t)] = 1.0
    return J


def _wald(name, g, J, C) -> tuple:
    """(name, W, df, p) of the Wald test of g(θ) = 0 with Jacobian ``J`` and covariance ``C``."""
    w = float(g @ np.linalg.solve(J @ C @ J.T, g))
    return (name, w, len(g), float(stats.chi2.sf(w, len(g))))


def _eta_theta_tests(params, cov, dur, theta_name) -> list:
    """Wald η = 0 (when W y_{t−1} is in the model) and θ = 0 for the Durbin terms ``dur``."""
    pidx, C = list(params.index), cov.to_numpy()
    out = []
    if "W_y_lag" in pidx:
        out.append(_wald("Wald eta = 0 (W_y_lag)", params[["W_y_lag"]].to_numpy(),
                         _selection(pidx, ["W_y_lag"]), C))
    if dur:
        wx = ["W_" + v for v in dur]
        out.append(_wald(theta_name, params[wx].to_numpy(), _selection(pidx, wx), C))
    return out


def _time_lag_blocks(W, Ylag, dynamic):
    """The (T−1, N, 1) blocks of y_{t−1} and W y_{t−1} that ``dynamic`` asks for, and their names."""
    blocks, names = [], []
    if dynamic in ("time", "both"):
        blocks.append(Ylag[:, :, None])
        names.append("y_lag")
    if dynamic in ("spacetime", "both"):
        blocks.append(_lag(W, Ylag)[:, :, None])
        names.append("W_y_lag")
    return blocks, names


class NonStationaryError(SpatialNQPFError):
    """A long-run quantity was requested for a fit outside the stationary region."""


# --------------------------------------------------------------------------- results
class DynamicPanelResults(SpatialResults):
    """Results of a dynamic spatial panel (immutable): :class:`SpatialResults` plus horizons.

    ``effects(horizon="short" | "long", method="simulation" | "delta", nsim=1000, seed=0)``;
    ``info["stationary"]``, the ``nonstationary`` flag and ``extra["stability"]`` (the
    condition and its value) describe the stability check.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from ._taxonomy import model_label
        object.__setattr__(self, "_title", "Dynamic spatial panel results: "
                           + model_label(self.model) + f" (dynamic={self.info['dynamic']!r})")

    def effects(self, horizon: str = "short", method: str = "simulation", nsim: int = 1000,
                seed=0, level: float = 0.95, point: str = "estimate") -> pd.DataFrame:
        """Short- or long-run direct, indirect and total effects (Debarsy, Ertur & LeSage 2012).

        Parameters
        ----------
        horizon : {"short", "long"}
            Short run: S = (I − ρW)⁻¹(βI + θW).  Long run:
            ((1 − τ)I − (ρ + η)W)⁻¹(βI + θW); refused (:class:`NonStationaryError`) for a
            non-stationary fit.
        method : {"simulation", "delta"}
            Simulation: ``nsim`` draws of (τ, η, β, θ, ρ) from N(θ̂, V̂) (seeded; draws with ρ or
            ρ_L = (ρ + η)/(1 − τ) outside the admissible interval, or τ ≥ 1, are discarded and
            counted in ``attrs["discarded"]``); delta: central-difference Jacobian.
        point : {"estimate", "mean"}
            Effects at θ̂ or the mean of the draws (as SDPDmod's ``impactsSDPDm``).

        Returns
        -------
        DataFrame
            Rows = regressors; direct, indirect, total, ``*_se``, ``*_t``, ``*_p`` (and
            ``*_lo``/``*_hi`` for simulation).
        """
        if horizon not in ("short", "long"):
            raise ValueError(f"horizon must be 'short' or 'long', got {horizon!r}")
        st = self.extra["stability"]
        if horizon == "long" and not st["stationary"]:
            raise NonStationaryError(
                "no long-run effects exist for this fit: the model is not stationary ("
                + st["condition"] + "); long-run effects need every eigenvalue of "
                "(I - rho W)^-1 (tau I + eta W) inside the unit circle")
        out = self._effects_core.compute_dynamic(self._params, self._cov, horizon=horizon,
                                                 method=method, nsim=nsim, seed=seed,
                                                 level=level, point=point)
        out.attrs["flags"] = [tuple(f) for f in self.flags]
        if self.flags:
            import warnings
            warnings.warn("effects of a flagged fit are not interpretable: "
                          + "; ".join(map(str, self.flags)), FitWarning, stacklevel=2)
        return out

    def _tidy_effects(self, level: float = 0.95, horizon: str = "short",
                      method: str = "simulation", nsim: int = 1000, seed=0,
                      point: str = "estimate") -> pd.DataFrame:
        eff = self.effects(horizon=horizon, method=method, nsim=nsim, seed=seed, level=level,
                           point=point)
        return tidy_effects_frame(eff, level)


class _DynamicEffects(EffectsCore):
    """EffectsCore with a time horizon: long-run effects are short-run ones at
    ρ_L = (ρ + η)/(1 − τ) scaled by 1/(1 − τ)."""

    def _dyn_positions(self, index):
        idx = pd.Index(index)
        return (idx.get_loc("y_lag") if "y_lag" in idx else None,
                idx.get_loc("W_y_lag") if "W_y_lag" in idx else None)

    def _long_vectors(self, V, pt_tau, pt_eta, pb, pt, pr):
        V = np.array(V, dtype=float, copy=True)
        tau = V[:, pt_tau] if pt_tau is not None else np.zeros(len(V))
        eta = V[:, pt_eta] if pt_eta is not None else np.zeros(len(V))
        s = 1.0 / (1.0 - tau)
        V[:, pr[0]] = (V[:, pr[0]] + eta) * s
        V[:, pb] *= s[:, None]
        if pt:
            V[:, pt] *= s[:, None]
        return V

    def _eval(self, V, horizon, pos):
        pb, pt, pr, tn, ptau, peta = pos
        if horizon == "long":
            V = self._long_vectors(V, ptau, peta, pb, pt, pr)
        return self._from_vectors(V, pb, pt, pr, tn)

    def point_dynamic(self, params, horizon="short"):
        pb, pt, pr, tn = self._vector_index(params.index)
        ptau, peta = self._dyn_positions(params.index)
        d, t = self._eval(params.to_numpy(float)[None, :], horizon, (pb, pt, pr, tn, ptau, peta))
        return pd.DataFrame({"direct": d[0], "indirect": t[0] - d[0], "total": t[0]},
                            index=self.xnames)

    def compute_dynamic(self, params, cov, horizon="short", method="simulation", nsim=1000,
                        seed=0, level=0.95, point="estimate"):
        if method not in ("simulation", "delta"):
            raise ValueError(f"unknown effects inference method {method!r}; use 'simulation' "
                             "or 'delta'")
        if point not in ("estimate", "mean"):
            raise ValueError(f"point must be 'estimate' or 'mean', got {point!r}")
        if point == "mean" and method != "simulation":
            raise ValueError("point='mean' needs method='simulation'")
        pb, pt, pr, tn = self._vector_index(params.index)
        ptau, peta = self._dyn_positions(params.index)
        pos = (pb, pt, pr, tn, ptau, peta)
        sel = pb + pt + pr + ([ptau] if ptau is not None else []) + \
            ([peta] if peta is not None else [])
        theta = params.to_numpy(dtype=float)
        C = np.asarray(cov.loc[params.index, params.index], dtype=float)
        out = self.point_dynamic(params, horizon)
        k = len(self.xnames)
        attrs = {"inference": method, "horizon": horizon, "effects_method": self.method,
                 "trace_method": self.trace_method, "model": self.model}
        if method == "delta":
            J = np.zeros((3 * k, len(theta)))
            for j in sel:
                h = 1e-6 * max(1.0, abs(theta[j]))
                up, dn = theta.copy(), theta.copy()
                up[j] += h
                dn[j] -= h
                du, tu = self._eval(up[None, :], horizon, pos)
                dd, td = self._eval(dn[None, :], horizon, pos)
                J[:k, j] = (du[0] - dd[0]) / (2 * h)
                J[2 * k:, j] = (tu[0] - td[0]) / (2 * h)
                J[k:2 * k, j] = J[2 * k:, j] - J[:k, j]
            se = np.sqrt(np.clip(np.diag(J @ C @ J.T), 0, None))
            for i, name in enumerate(("direct", "indirect", "total")):
                out[name + "_se"] = se[i * k:(i + 1) * k]
        else:
            rng = as_generator(seed)
            draws = np.tile(theta, (nsim, 1))
            draws[:, sel] = rng.multivariate_normal(theta[sel], C[np.ix_(sel, sel)], size=nsim,
                                                    method="eigh")
            ok = np.ones(nsim, dtype=bool)
            lo, hi = self.bounds if self.bounds is not None else (-np.inf, np.inf)
            rho = draws[:, pr[0]]
            ok &= (rho > lo) & (rho < hi)
            if horizon == "long":
                tau = draws[:, ptau] if ptau is not None else np.zeros(nsim)
                eta = draws[:, peta] if peta is not None else np.zeros(nsim)
                with np.errstate(divide="ignore", invalid="ignore"):
                    rl = (rho + eta) / (1.0 - tau)
                ok &= (tau < 1) & (rl > lo) & (rl < hi)
            attrs.update(nsim=nsim, seed=seed, discarded=int((~ok).sum()))
            if ok.sum() < 2:
                raise NonStationaryError(f"all but {int(ok.sum())} of {nsim} simulated draws "
                                         "are outside the admissible/stationary region")
            d, t = self._eval(draws[ok], horizon, pos)
            summarise_draws(out, d, t, level, point, attrs)
        return finish_effects_frame(out, attrs)


# --------------------------------------------------------------------------- helpers
def _stability(tau, eta, rho, ev, lo):
    """Stationarity of A = (I − ρW)⁻¹(τI + ηW): max |(τ + ηω)/(1 − ρω)| < 1.

    With eigenvalues ``ev`` the maximum is over all of them; otherwise over ω = 1 and
    ω_min = 1/lo (the bound of the ρ interval), the extreme points for a real spectrum in
    [ω_min, 1] (the eigenvalue is a Möbius function of ω, monotone on the interval).
    """
    if ev is not None:
        om = np.asarray(ev)
    else:
        om = np.array([1.0, 1.0 / lo if np.isfinite(lo) and lo < 0 else -1.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = (tau + eta * om) / (1.0 - rho * om)
    mod = np.abs(lam)
    i = int(np.nanargmax(mod))
    at1 = (tau + eta) / (1.0 - rho) if rho != 1 else np.inf
    stationary = bool(np.all(np.isfinite(mod)) and mod[i] < 1.0)
    s = tau + rho + eta
    if not stationary:
        if abs(complex(om[i]) - 1.0) < 1e-8:      # binding at the eigenvalue 1 (row-standardised W)
            cond = (f"tau + rho + eta = {tau:.6g} + {rho:.6g} + {eta:.6g} = {s:.6g} >= 1"
                    if s >= 1 else f"|(tau + eta)/(1 - rho)| = {abs(at1):.6g} >= 1")
        else:
            w = om[i]
            cond = (f"|(tau + eta w)/(1 - rho w)| = {mod[i]:.6g} >= 1 at the eigenvalue "
                    f"w = {complex(w).real:.6g} of W")
    else:
        cond = (f"stationary: max |(tau + eta w)/(1 - rho w)| = {mod[i]:.6g} < 1; "
                f"tau + rho + eta = {s:.6g}")
    return {"stationary": stationary, "condition": cond, "max_modulus": float(mod[i]),
            "tau_rho_eta": float(s)}


#: most powers of W the series path of the bias traces may use before it falls back to LU
BIAS_SERIES_MAX_TERMS = 600


def _bias_traces_series(hp, tau, c, rho, tol=1e-10):
    """(tr K⁻¹, tr WK⁻¹, tr GK⁻¹, tr GWK⁻¹, tr G) from the power traces of ``hp``, or None.

    Coefficients in powers of W: h_k = r^k/(1 − τ) (K⁻¹, r = c/(1 − τ)), s_k = ρ^k (S⁻¹) and
    g = s * h (Cauchy product: GK⁻¹ = Σ_j g_j W^{j+1}).  With ‖W‖_∞ = 1 (row-standardised),
    |tr W^k| ≤ n, |g_j| ≤ (j + 1) a^j/(1 − τ), a = max(|ρ|, |r|), so stopping at the first K
    with (K + 2) a^{K+1} / ((1 − a)² (1 − τ)) ≤ tol bounds every truncation error by tol · n.
    Orders 0-2 are exact (:meth:`~spatialnqpf.models._logdet.HutchinsonPowers.probe_traces`).
    Returns None when 1 − τ ≤ 0, a ≥ 1 or more than :data:`BIAS_SERIES_MAX_TERMS` powers are needed.
    """
    if not 1.0 - tau > 0:
        return None
    r = c / (1.0 - tau)
    a = max(abs(rho), abs(r))
    if not a < 1:
        return None
    K = 0
    while (K + 2) * a ** (K + 1) / ((1 - a) ** 2 * (1.0 - tau)) > tol:
        K += 1
        if K > BIAS_SERIES_MAX_TERMS:
            return None
    q = K + 2
    _, P = hp.probe_traces(q)
    k = np.arange(K + 1)
    h = r ** k / (1.0 - tau)
    sk = rho ** k
    g = np.convolve(sk, h)[: K + 1]
    est = (h @ P[: K + 1], h @ P[1: K + 2], g @ P[1: K + 2], g @ P[2: K + 3], sk @ P[1: K + 2])
    return tuple(float(np.mean(v)) for v in est), q


def _bias_vector(names, beta, rho, s2, ev, W, T1, n, twoways, trace_nsim, seed, lo, hp=None):
    """â of Yu, de Jong & Lee (2008) in the order (β..., ρ, σ²) (see the module docstring).

    ``ev``: eigenvalues of W (N ≤ 2 000; exact); else Hutchinson estimates x′f(W)x of the five
    traces, assuming no eigenvalue of A other than the one at ω = 1 is above 1 − 1/n (checked
    at ω_min).  With ``hp`` (the probe block of the effects, 50 vectors; n > ``SERIES_MIN_N``,
    row-standardised W) they come from its power traces x′W^k x:
    K⁻¹ = (1 − τ)⁻¹ Σ_k r^k W^k with r = (ρ + η)/(1 − τ) (the ρ_L of the long-run effects, so
    the effects reuse the same powers) and S⁻¹ = Σ_k ρ^k W^k, truncated where the remainder
    is below 1e-10 · n; no factorisation.  Otherwise (or when the series would need more
    than :data:`BIAS_SERIES_MAX_TERMS` powers) sparse LU of K = (1 − τ)I − (ρ + η)W and of S
    on the same probes ``_rademacher(N, trace_nsim, seed)``.
    """
    p = len(names)
    tau = float(beta[names.index("y_lag")]) if "y_lag" in names else 0.0
    eta = float(beta[names.index("W_y_lag")]) if "W_y_lag" in names else 0.0
    thr = 1.0 - 1.0 / n
    if ev is not None:
        om = np.asarray(ev, dtype=complex)
        if twoways:   # W* = F'WF: the spectrum of W without the eigenvalue 1
            om = np.delete(om, int(np.argmin(np.abs(om - 1.0))))
        S = 1.0 / (1.0 - rho * om)
        D = (tau + eta * om) * S
        keep = ~(np.real(D) > thr)
        mm = int((~keep).sum())
        h = np.where(keep, 1.0 / np.where(keep, 1.0 - D, 1.0), 1.0)
        H = h * S                       # eigenvalues of (I - B)^-1 S^-1
        G = om * S
        a_tau = float(np.real(H.sum())) / n
        a_eta = float(np.real((om * H).sum())) / n
        a_rho = float(np.real(tau * (G * H).sum() + eta * (G * om * H).sum() + G.sum())) / n
        method = "exact (eigenvalues)"
    else:
        wmin = 1.0 / lo if np.isfinite(lo) and lo < 0 else -1.0
        dmin = (tau + eta * wmin) / (1.0 - rho * wmin)
        if dmin > thr:
            raise SpatialNQPFError(
                f"the bias correction at N > {EIGEN_MAX_N} assumes no eigenvalue of "
                f"(I - rho W)^-1 (tau I + eta W) near 1 other than at w = 1, but at "
                f"w_min = {wmin:.4g} it is {dmin:.6g}; use lee_yu=False")
        Nw = W.shape[0]
        c = rho + eta
        series = _bias_traces_series(hp, tau, c, rho) if hp is not None else None
        if series is not None:
            (tH, tWH, tGH, tGWH, tG), q = series
            nvec, how = hp.nsim, f"power series to W^{q}"
        else:
            I_ = sp.identity(Nw, format="csc")
            luK = spla.splu(((1.0 - tau) * I_ - c * W).tocsc())
            luS = spla.splu((I_ - rho * W).tocsc())
            X = _rademacher(Nw, trace_nsim, seed)
            U = luK.solve(X)                                # K^-1 x
            WU = np.asarray(W @ U)
            GU = np.asarray(W @ luS.solve(U))               # G K^-1 x
            GWU = np.asarray(W @ luS.solve(WU))             # G W K^-1 x
            GX = np.asarray(W @ luS.solve(X))
            tr = lambda M: float(np.mean(np.einsum("ij,ij->j", X, M)))
            tH, tWH, tGH, tGWH, tG = tr(U), tr(WU), tr(GU), tr(GWU), tr(GX)
            nvec, how = trace_nsim, "sparse LU"
        # the eigenvalue w = 1 (row-standardised W): remove it for W*, or replace h(1)
        # by 1 when A's eigenvalue there is above 1 - 1/n
        mm = 0
        k1 = 1.0 / ((1.0 - tau) - c)          # eigenvalue of K^-1 at w = 1
        s1 = 1.0 / (1.0 - rho)
        d1 = (tau + eta) * s1
        f_k = np.array([k1, k1, s1 * k1, s1 * k1, s1])     # tH, tWH, tGH, tGWH, tG at w = 1
        vals = np.array([tH, tWH, tGH, tGWH, tG])
        if twoways:
            vals = vals - f_k
        elif d1 > thr:
            mm = 1
            f_r = np.array([s1, s1, s1 * s1, s1 * s1, s1])
            vals = vals - f_k + np.r_[f_r[:4], s1]
        tH, tWH, tGH, tGWH, tG = vals
        a_tau, a_eta = tH / n, tWH / n
        a_rho = (tau * tGH + eta * tGWH + tG) / n
        method = f"Hutchinson ({nvec} vectors, seed {seed}; {how})"
    a = np.zeros(p + 2)
    if "y_lag" in names:
        a[names.index("y_lag")] = a_tau
    if "W_y_lag" in names:
        a[names.index("W_y_lag")] = a_eta
    a[p] = a_rho
    a[p + 1] = 1.0 / (2.0 * s2)
    if mm >= 1:
        u = T1 / (2.0 * (1.0 - rho)) * mm / n
        for nm in ("y_lag", "W_y_lag"):
            if nm in names:
                a[names.index(nm)] += u
        a[p] += u
    return a, mm, method


def _sandwich_omega(p, rho, s2, mu4, W, ev, n, twoways, trace_nsim, seed):
    """Ω of Yu, de Jong & Lee (2008) for non-normal errors (only the (ρ, σ²) block)."""
    Nw = W.shape[0]
    if Nw <= EIGEN_MAX_N:
        Wd = W.toarray()
        if twoways:
            e_, v_ = np.linalg.eigh(np.eye(Nw) - np.full((Nw, Nw), 1.0 / Nw))
            F = v_[:, e_ > 0.5]
            Wd = F.T @ Wd @ F
        G = np.linalg.solve((np.eye(Wd.shape[0]) - rho * Wd).T, Wd.T).T
        dg = np.diag(G)
        trG = float(np.trace(G))
    else:   # Bekas et al. diagonal estimator of G (W* ≈ W for the diagonal at large N)
        lu = spla.splu((sp.identity(Nw, format="csc") - rho * W).tocsc())
        X = _rademacher(Nw, trace_nsim, seed)
        GX = np.asarray(W @ lu.solve(X))
        dg = (X * GX).sum(axis=1) / (X * X).sum(axis=1)
        trG = float(dg.sum()) - (1.0 / (1.0 - rho) if twoways else 0.0)
    O = np.zeros((p + 2, p + 2))
    O[p, p] = float(dg @ dg) / n
    O[p, p + 1] = O[p + 1, p] = trG / (2 * s2 * n)
    O[p + 1, p + 1] = 1.0 / (4 * s2 * s2)
    return O * (mu4 - 3 * s2 * s2) / (s2 * s2)


# --------------------------------------------------------------------------- the fit
def fit_dynamic(d, model, fe, lee_yu, dynamic, *, durbin=None, logdet="auto", traces="auto",
                trace_nsim=100, seed=0, effects_method="auto", tol=1e-10, maxiter=500,
                cov_type="info", weights_label=None, static_fit=None):
    """Fit a dynamic SAR/SDM (or uncorrected SEM/SDEM) panel (internal; called by
    :func:`spatial_panel`).

    ``d`` is a :class:`~spatialnqpf.models.panel.PanelDesign` (balanced, gap-free, aligned
    to W by id).  ``static_fit``: the static panel fitter of :mod:`spatialnqpf.models.panel`
    (passed in, so that this module does not import it: no import cycle), used by the
    SEM-type models.  See the module docstring for the estimator.
    """
    if dynamic not in DYNAMIC_TYPES:
        raise ValueError(f"dynamic must be None, 'time', 'spacetime' or 'both', got {dynamic!r}")
    if model not in ("sar", "sdm", "sem", "sdem"):
        raise ValueError(f"dynamic panels are implemented for model='sar' and 'sdm' (and 'sem', "
                         f"'sdem' with lee_yu=False), not {model!r}; fit the dynamic SDM "
                         "(dynamic='both') and test its restrictions (res.tests)")
    if model in ("sem", "sdem") and lee_yu is not False:
        raise ValueError(f"a dynamic {model.upper()} (SEM-type) panel is estimated by uncorrected "
                         "QML only: pass lee_yu=False; the Yu-de Jong-Lee bias correction is "
                         "implemented for model='sar' and 'sdm' (fit the dynamic SDM with "
                         "dynamic='both' and test the common-factor restriction theta = -rho beta, "
                         "eta = -rho tau: res.tests, 'Wald dynamic SDM -> dynamic SEM')")
    if lee_yu not in (True, False):
        raise ValueError(f"a dynamic panel takes lee_yu=True (Yu-de Jong-Lee corrected) or "
                         f"False (uncorrected QML), got {lee_yu!r}")
    if cov_type not in ("info", "sandwich"):
        raise ValueError(f"cov_type must be 'info' or 'sandwich', got {cov_type!r}")
    N, T = d.N, d.T
    if T < 3:
        raise DataError(f"a dynamic panel needs at least 3 periods (the first only supplies "
                        f"y_(t-1)); {d.time!r} has {T}: {format_values(list(d.times))}")
    if model in ("sem", "sdem"):
        if static_fit is None:
            raise ValueError("the SEM-type dynamic panels are reached through spatial_panel()")
        return _fit_dynamic_error(d, model, fe, dynamic, static_fit, durbin=durbin, logdet=logdet,
                                  traces=traces, trace_nsim=trace_nsim, seed=seed,
                                  effects_method=effects_method, tol=tol, maxiter=maxiter,
                                  cov_type=cov_type, weights_label=weights_label)
    W = d.W
    ly = lee_yu is True
    if ly and fe in ("time", "twoways") and not d.row_standardised:
        raise SpatialNQPFError("the Lee-Yu transformation with time effects needs a "
                               "row-standardised W (W 1 = 1); row-standardise the weights or "
                               "use lee_yu=False")
    T1 = T - 1
    xn = list(d.xnames)
    dur = xn if (model == "sdm" and durbin is None) else list(durbin or [])
    if model == "sar" and durbin:
        raise ValueError("durbin=[...] needs model='sdm' (a SAR model has no W x terms)")
    Y1, Ylag = d.Y[1:], d.Y[:-1]
    X1 = d.X[1:]
    blocks, names = _time_lag_blocks(W, Ylag, dynamic)
    blocks.append(X1)
    names += xn
    if dur:
        pos = [xn.index(v) for v in dur]
        blocks.append(_lag(W, X1[:, :, pos]))
        names += ["W_" + v for v in dur]
    if fe == "none":
        blocks.insert(0, np.ones((T1, N, 1)))
        names = ["const"] + names
    Zraw = np.concatenate(blocks, axis=2)
    p = len(names)
    Zd = _demean(Zraw, fe).reshape(N * T1, p)
    yd = _demean(Y1, fe).ravel()
    Wyd = _demean(_lag(W, Y1), fe).ravel()
    _check_dependent(yd, d, fe)
    _check_design(Zd, names, fe, d)
    lyt = ly and fe in ("time", "twoways")
    m = (N - 1) * T1 if lyt else N * T1
    c1 = 1.0 if lyt else 0.0
    ld = _choose_logdet(W, logdet, seed)
    lo, hi = ld.bounds

    def jac(r):
        return T1 * (ld(r) - c1 * np.log1p(-r))

    def concentrated(Z):
        b0, *_ = np.linalg.lstsq(Z, yd, rcond=None)
        b1, *_ = np.linalg.lstsq(Z, Wyd, rcond=None)
        e0, e1 = yd - Z @ b0, Wyd - Z @ b1
        a, bq, cq = e0 @ e0, e0 @ e1, e1 @ e1

        def negll(r):
            s2 = (a - 2 * r * bq + r * r * cq) / m
            return 0.5 * m * (np.log(2 * np.pi * s2) + 1) - jac(r)

        r, f = _maximise(negll, lo, hi, tol, maxiter, "rho")
        return r, f, b0 - r * b1, e0 - r * e1

    rhat, negll_hat, beta, e = concentrated(Zd)
    s2 = float(e @ e) / m
    llf = -negll_hat
    solver = _Solver(W, ld, traces, trace_nsim, seed)
    I0, tmeth = _information("sar", Zd, None, beta, rhat, s2, m, T1, fe, N, T1, solver, lyt)
    theta0 = np.r_[beta, rhat, s2]
    info = {"fe": fe, "dynamic": dynamic, "n": N, "T": T, "T_used": T1,
            "first_period_lags_only": str(d.times[0]), "weights": weights_label,
            "weights_row_standardised": d.row_standardised, "logdet": ld.method,
            "rho_bounds": f"({lo:.6g}, {hi:.6g})", "traces": tmeth, "nobs_effective": m}
    flags = []
    core = _DynamicEffects(W, xn, model="sdm" if dur else "sar", ids=list(d.ids),
                           method=effects_method, bounds=ld.bounds, eigenvalues=ld.eigenvalues,
                           trace_seed=seed)
    correct = ly and fe in ("individual", "twoways")
    hp = None
    if correct and core.method != "exact" and core.trace_method == "mc" and N > SERIES_MIN_N \
            and d.row_standardised:
        # one probe block (the effects' own) for the long-run effects and the bias traces:
        # both are series in W at rate (rho + eta)/(1 - tau), so the powers are shared
        hp = core.share_probes()
    bias = None
    if correct:
        nb = N - 1 if fe == "twoways" else N
        a, mm, bmeth = _bias_vector(names, beta, rhat, s2, ld.eigenvalues, W, T1, nb,
                                    fe == "twoways", trace_nsim, seed, lo, hp=hp)
        # theta_bc = theta + Sigma^-1 a / T1 with Sigma = I/m
        bias = m * np.linalg.solve(I0, a) / T1
        theta = theta0 + bias
        beta, rhat, s2 = theta[:p], float(theta[p]), float(theta[p + 1])
        if not (lo < rhat < hi) or s2 <= 0:
            raise SpatialNQPFError(f"the bias-corrected estimate is inadmissible (rho = "
                                   f"{rhat:.6g}, sigma2 = {s2:.6g}); use lee_yu=False")
        e = yd - rhat * Wyd - Zd @ beta
        Iinfo, tmeth = _information("sar", Zd, None, beta, rhat, s2, m, T1, fe, N, T1,
                                    solver, lyt)
        info["lee_yu"] = ("Lee-Yu transformation + Yu-de Jong-Lee bias correction"
                          if lyt else "Yu-de Jong-Lee bias correction")
        info["bias_correction_traces"] = bmeth
        info["unit_root_eigenvalues"] = mm
        info["llf_note"] = "llf of the maximised (uncorrected) likelihood"
    else:
        theta = theta0
        Iinfo = I0
        info["lee_yu"] = ("Lee-Yu transformation (no 1/T bias from time effects)" if lyt
                          else "none (uncorrected QML = unit/year dummies)")
    V = np.linalg.inv(Iinfo)
    mu4 = float(np.mean(e ** 4))
    info["mu4"] = mu4
    if cov_type == "sandwich":
        nb = N - 1 if lyt else N
        O = _sandwich_omega(p, rhat, s2, mu4, W, ld.eigenvalues, nb, lyt, trace_nsim, seed)
        V = V + m * V @ O @ V
        info["cov_type"] = "sandwich (mu4, Yu-de Jong-Lee 2008)"
    else:
        info["cov_type"] = "inverse information matrix"
    # ---- parameters in the documented order: y_lag, W_y_lag, rho, const, x, W_x
    dyn = [nm for nm in ("y_lag", "W_y_lag") if nm in names]
    rest = [nm for nm in names if nm not in dyn]
    order = dyn + ["rho"] + rest
    full = names + ["rho"]
    perm = [full.index(nm) for nm in order]
    params = pd.Series(np.r_[beta, rhat][perm], index=order)
    cov = pd.DataFrame(V[np.ix_(perm, perm)], index=order, columns=order)
    tau = float(params.get("y_lag", 0.0))
    eta = float(params.get("W_y_lag", 0.0))
    st = _stability(tau, eta, rhat, ld.eigenvalues, lo)
    info["stationary"] = st["stationary"]
    info["stability"] = st["condition"]
    flags += _nonstationary_flag(st)
    _boundary_warning(rhat, lo, hi, "rho")
    tss = float(yd @ yd) if fe != "none" else float(((yd - yd.mean()) ** 2).sum())
    info["r2_within" if fe != "none" else "r2"] = 1.0 - float(e @ e) / tss
    # ---- tests: LR dynamic vs static (same sample/likelihood), Wald eta = 0, SDM restrictions
    tests = []
    keepc = [j for j, nm in enumerate(names) if nm not in dyn]
    r0, negll0, _, _ = concentrated(Zd[:, keepc])
    lr = 2.0 * (llf + negll0)
    tests.append(("LR dynamic vs static", lr, len(dyn), float(stats.chi2.sf(max(lr, 0), len(dyn)))))
    tests += _eta_theta_tests(params, cov, dur, "Wald SDM -> SAR (theta = 0)")
    pidx, C = list(params.index), cov.to_numpy()
    if dur:
        J2 = _selection(pidx, ["W_" + v for v in dur])
        g2 = np.zeros(len(dur))
        for i, v in enumerate(dur):
            g2[i] = params["W_" + v] + rhat * params[v]
            J2[i, pidx.index(v)] = rhat
            J2[i, pidx.index("rho")] = params[v]
        tests.append(_wald("Wald SDM -> SEM (theta + rho beta = 0)", g2, J2, C))
        if dynamic == "both" and len(dur) == len(xn):
            # dynamic SEM y_t = tau y_(t-1) + X b + u, u = lambda W u + e, multiplied out:
            # the dynamic SDM with theta = -rho beta and eta = -rho tau (common factor)
            J3 = np.vstack([J2, np.zeros((1, len(pidx)))])
            J3[-1, pidx.index("W_y_lag")] = 1.0
            J3[-1, pidx.index("y_lag")] = rhat
            J3[-1, pidx.index("rho")] = tau
            tests.append(_wald("Wald dynamic SDM -> dynamic SEM (theta + rho beta = 0, "
                               "eta + rho tau = 0)", np.r_[g2, eta + rhat * tau], J3, C))
    tests = pd.DataFrame(tests, columns=["test", "statistic", "df", "p"]).set_index("test")
    info["effects"] = core.method
    times = d.times[1:]
    idx = pd.MultiIndex.from_arrays([np.repeat(times.to_numpy(), N), np.tile(d.ids.to_numpy(), T1)],
                                    names=[d.time, d.id])
    extra = {"design": d, "lee_yu_setting": lee_yu, "stability": st,
             "uncorrected": pd.Series(theta0, index=names + ["rho", "sigma2"]),
             "bias": None if bias is None else pd.Series(bias, index=names + ["rho", "sigma2"]),
             "durbin": tuple(dur)}
    res = DynamicPanelResults(params, cov, s2, llf, N * T1, model, n_params=len(params) + 1,
                              residuals=pd.Series(e, index=idx, name="residual"), info=info,
                              effects_core=core, tests=tests, extra=extra,
                              bounds={"rho": ld.bounds}, flags=flags)
    return res


# --------------------------------------------------------------------------- SEM-type
class _DynamicErrorEffects(_DynamicEffects):
    """Effects of a dynamic SEM/SDEM: no ρ in the mean equation, so the short run is
    βI + θW and the long run (1 − τ)⁻¹(I − ρ_L W)⁻¹(βI + θW) with ρ_L = η/(1 − τ): the
    lag-model formulas at ρ = 0 (λ, the error parameter, does not enter)."""

    @staticmethod
    def _with_rho(params, cov=None):
        if "rho" in params.index:
            return params, cov
        p = params.drop("lambda", errors="ignore").copy()
        p["rho"] = 0.0
        c = None if cov is None else cov.reindex(index=p.index, columns=p.index).fillna(0.0)
        return p, c

    def point_dynamic(self, params, horizon="short"):
        return super().point_dynamic(self._with_rho(params)[0], horizon)

    def compute_dynamic(self, params, cov, **kw):
        p, c = self._with_rho(params, cov)
        return super().compute_dynamic(p, c, **kw)


def _fit_dynamic_error(d, model, fe, dynamic, _fit, *, durbin, logdet, traces, trace_nsim, seed,
                       effects_method, tol, maxiter, cov_type, weights_label):
    """Dynamic SEM/SDEM by uncorrected QML (internal; ``lee_yu=False`` only).

    y_t = τ y_{t−1} + η W y_{t−1} + X_t β + W X_t θ + μ + α_t ι + u_t,  u_t = λ W u_t + ε_t,
    t = 2..T: with y_{t−1}, W y_{t−1} as predetermined regressors this is the static SEM/SDEM
    likelihood of :func:`spatialnqpf.models.panel.spatial_panel` (``lee_yu=False``: the ML
    estimator with unit and/or year dummies; σ² = e′e/(N(T − 1)), SEs from its exact
    information) on the years 2..T.  No bias correction: τ̂ has the O(1/T) bias of a
    within estimator with a lagged dependent variable (Nickell 1981).
    """
    import dataclasses
    if cov_type != "info":
        raise ValueError("cov_type='sandwich' is implemented for the dynamic SAR/SDM only")
    N, T = d.N, d.T
    T1 = T - 1
    W = d.W
    xn = list(d.xnames)
    dur = xn if (model == "sdem" and durbin is None) else list(durbin or [])
    Ylag = d.Y[:-1]
    blocks, lagn = _time_lag_blocks(W, Ylag, dynamic)
    ld = _choose_logdet(W, logdet, seed)
    lo, hi = ld.bounds
    kw = dict(logdet=logdet, traces=traces, trace_nsim=trace_nsim, seed=seed,
              effects_method=effects_method, tol=tol, maxiter=maxiter,
              weights_label=weights_label, _ld=ld)
    dyn_d = dataclasses.replace(d, Y=d.Y[1:], X=np.concatenate(blocks + [d.X[1:]], axis=2),
                                times=d.times[1:], xnames=tuple(lagn + xn), durbin=tuple(dur))
    stat_d = dataclasses.replace(d, Y=d.Y[1:], X=d.X[1:], times=d.times[1:], durbin=tuple(dur))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)   # flags are carried over below
        r = _fit(dyn_d, model, fe, False, **kw)
        warnings.simplefilter("ignore", RuntimeWarning)   # the static fit: only for the LR test
        r0 = _fit(stat_d, model, fe, False, **kw)
    names = list(r.params.index)
    order = lagn + ["lambda"] + [nm for nm in names if nm not in lagn and nm != "lambda"]
    params = r.params[order]
    cov = r.cov.loc[order, order]
    tau = float(params.get("y_lag", 0.0))
    eta = float(params.get("W_y_lag", 0.0))
    st = _stability(tau, eta, 0.0, ld.eigenvalues, lo)
    flags = [f for f in r.flags if f.code != "boundary"]    # boundary: re-derived from bounds
    flags += _nonstationary_flag(st)
    tests = []
    lr = 2.0 * (r.llf - r0.llf)
    tests.append(("LR dynamic vs static", lr, len(lagn), float(stats.chi2.sf(max(lr, 0), len(lagn)))))
    tests += _eta_theta_tests(params, cov, dur, "Wald SDEM -> SEM (theta = 0)")
    tests = pd.DataFrame(tests, columns=["test", "statistic", "df", "p"]).set_index("test")
    info = dict(r.info)
    info.pop("model", None)
    info.update({"dynamic": dynamic, "n": N, "T": T, "T_used": T1,
                 "first_period_lags_only": str(d.times[0]),
                 "lee_yu": "none (uncorrected QML = unit/year dummies; no bias correction for "
                           "SEM-type dynamic panels)",
                 "stationary": st["stationary"], "stability": st["condition"],
                 "cov_type": "inverse information matrix", "nobs_effective": N * T1})
    core = _DynamicErrorEffects(W, xn, model="sdm" if dur else "sar", ids=list(d.ids),
                                method=effects_method, bounds=ld.bounds,
                                eigenvalues=ld.eigenvalues, trace_seed=seed)
    info["effects"] = core.method
    extra = {"design": d, "lee_yu_setting": False, "stability": st, "uncorrected": None,
             "bias": None, "durbin": tuple(dur), "static": r0}
    return DynamicPanelResults(params, cov, r.sigma2, r.llf, N * T1, model,
                               n_params=len(params) + 1, residuals=r.residuals, info=info,
                               effects_core=core, tests=tests, extra=extra,
                               bounds={"lambda": ld.bounds}, flags=flags)
