"""Spatial IV/GMM for endogenous regressors: spatial 2SLS (SAR), GM for SEM and SAC.

Public entry point: :func:`spatial_gmm`.

Cross-section (``time=None``)
    spreg's estimators through the id-aligned interface of the package (they are right; we
    do not re-implement them): SAR → ``spreg.GM_Lag`` (spatial 2SLS, Kelejian & Prucha 1998;
    SEs σ² (Ẑ′Ẑ)⁻¹ with σ² = e′e/n, as spreg); SEM → ``spreg.GM_Error_Het`` /
    ``GM_Endog_Error_Het``; SAC → ``spreg.GM_Combo_Het`` (Arraiz, Drukker, Kelejian & Prucha
    2010: heteroskedasticity-robust GM for λ, one iteration by default).  Instruments:
    [1, X, Z, W[X, Z], W²[X, Z]] (spreg's ``w_lags=2, lag_q=True``), Z the user's ``instruments``.
    Workaround of a spreg 1.9 defect: ``GM_Endog_Error_Het`` clips the first-step 2SLS
    coefficient of the *last endogenous regressor* to ±0.9 (meant for ρ in the SAC model, but
    applied to a user's endogenous regressor in the SEM); we rescale that regressor so that its
    first-step coefficient is 0.5 in absolute value, fit, and scale back (GM is equivariant to
    the scaling, so the result is the estimator without the clip).
Panel (``fe="individual"`` or ``"twoways"``, SAR only — ``model="sem"``/``"sac"`` with ``fe`` is
refused with an error naming the alternatives: the within-transformed GM of the error
(Kapoor–Kelejian–Prucha moments) is not implemented; written by us because spreg has no panel
IV): spatial 2SLS on the within-transformed data (demeaned y, W y, X, endogenous regressors and
instruments [X, Z, W[X, Z], W²[X, Z]], lags taken per period before demeaning), which equals
2SLS with unit (and year) dummies among the included exogenous variables (Frisch–Waugh–Lovell);
SEs σ²(Ẑ′Ẑ)⁻¹ with σ² = e′e/(NT − p − n_FE), n_FE = N (individual) or N + T − 1 (two-way) —
the degrees of freedom of the dummy model, as R ``ivreg``.

Diagnostics (``res.first_stage``, ``res.tests``): for every endogenous variable (including
W y) the first-stage F of the excluded instruments (the regression of the variable on all
instruments vs on the included exogenous ones; homoskedastic F), its partial R²; a fit with
some F < 10 carries the ``weak_instruments`` flag (Staiger & Stock 1997) and warns.  Over-
identification (more excluded instruments than endogenous variables): Sargan n R² of the
2SLS residuals on the instruments (homoskedastic) and Hansen's J = u′H(H′ diag(u²) H)⁻¹H′u;
for SEM/SAC on the spatially filtered residuals and instruments (u − λ̂Wu, H − λ̂WH).
An instrument set that does not identify (fewer excluded instruments than endogenous
variables, or collinear instruments) is refused with an error naming the problem.

References
----------
Kelejian, H. H. & Prucha, I. R. (1998). A generalized spatial two-stage least squares procedure.
J. Real Estate Finance and Economics 17, 99-121.
Kelejian, H. H. & Prucha, I. R. (2010). Specification and estimation of spatial autoregressive
models with autoregressive and heteroskedastic disturbances. J. Econometrics 157, 53-67.
Arraiz, I., Drukker, D. M., Kelejian, H. H. & Prucha, I. R. (2010). A spatial Cliff-Ord-type model
with heteroskedastic innovations. J. Regional Science 50, 592-614.
Staiger, D. & Stock, J. H. (1997). Instrumental variables regression with weak instruments.
Econometrica 65, 557-586.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .._results import EstimationResults, Flag
from .._validation import (DataError, SpatialNQPFError, check_panel, format_values,
                           graph_to_sparse)

__all__ = ["spatial_gmm", "GMMResults", "IdentificationError"]

#: first-stage F below which the weak_instruments flag is set
WEAK_F = 10.0


class IdentificationError(SpatialNQPFError):
    """The instruments do not identify the model (too few, or collinear)."""


class GMMResults(EstimationResults):
    """Results of :func:`spatial_gmm` (immutable).

    Attributes
    ----------
    params, bse, cov, tvalues, pvalues : as :class:`~spatialnqpf._results.EstimationResults`
        (z statistics, normal p-values).
    first_stage : DataFrame
        Per endogenous variable: F, df1, df2, p, partial_r2.
    tests : DataFrame
        Sargan and Hansen J (statistic, df, p) when over-identified.
    info : mapping
        model, estimator, n, T, fe, instruments, sigma2, ...
    residuals : Series
    nobs : int
        Observations used (n, or N·T for panels).
    """

    def __init__(self, params, cov, *, info, first_stage, tests, residuals, flags=(),
                 df_resid=None):
        self._init_estimates(params, cov, df_resid=df_resid, flags=flags)
        import types
        self.info = types.MappingProxyType(dict(info))
        self._first_stage = first_stage.copy()
        self._tests = tests.copy()
        self._residuals = residuals.copy()
        self.nobs = int(len(residuals))
        self._title = f"Spatial IV/GMM: {info['model'].upper()} ({info['estimator']})"
        self._freeze()

    @property
    def first_stage(self) -> pd.DataFrame:
        return self._first_stage.copy()

    @property
    def tests(self) -> pd.DataFrame:
        return self._tests.copy()

    @property
    def residuals(self) -> pd.Series:
        return self._residuals.copy()

    def _summary_notes(self):
        lines = [f"{k}: {v}" for k, v in self.info.items()]
        lines.append("First stage:")
        lines.append(self._first_stage.to_string())
        if len(self._tests):
            lines.append("Over-identification:")
            lines.append(self._tests.to_string())
        return lines


# --------------------------------------------------------------------------- helpers
def _lags(W, A, q):
    """[W A, W² A, ..., W^q A] for A (n, k) (per period for panels: W block-diagonal)."""
    out, cur = [], A
    for _ in range(q):
        cur = W @ cur
        out.append(np.asarray(cur))
    return out


def _first_stage(E, H, Xinc, enames, n):
    """First-stage F of the excluded instruments for each column of E."""
    rows = []
    kH = H.shape[1]
    q = kH - Xinc.shape[1]
    for j, nm in enumerate(enames):
        e = E[:, j]
        ru = e - H @ np.linalg.lstsq(H, e, rcond=None)[0]
        rr = e - Xinc @ np.linalg.lstsq(Xinc, e, rcond=None)[0] if Xinc.shape[1] else e
        rssu, rssr = float(ru @ ru), float(rr @ rr)
        df2 = n - kH
        F = ((rssr - rssu) / q) / (rssu / df2) if rssu > 0 else np.inf
        rows.append({"variable": nm, "F": F, "df1": q, "df2": df2,
                     "p": float(stats.f.sf(F, q, df2)) if np.isfinite(F) else 0.0,
                     "partial_r2": 1 - rssu / rssr if rssr > 0 else np.nan})
    return pd.DataFrame(rows).set_index("variable")


def _overid(u, H, nendog, nexcl):
    """Sargan n R² and Hansen J of residuals u on instruments H."""
    dfo = nexcl - nendog
    if dfo <= 0:
        return pd.DataFrame(columns=["statistic", "df", "p"], dtype=float)
    n = len(u)
    fit = H @ np.linalg.lstsq(H, u, rcond=None)[0]
    uc = u - u.mean()
    sargan = n * float(fit @ fit - n * u.mean() ** 2) / float(uc @ uc) if H.shape[1] else np.nan
    g = H.T @ u
    S = (H * (u ** 2)[:, None]).T @ H
    J = float(g @ np.linalg.solve(S, g))
    return pd.DataFrame({"statistic": [sargan, J], "df": [dfo, dfo],
                         "p": [float(stats.chi2.sf(sargan, dfo)), float(stats.chi2.sf(J, dfo))]},
                        index=pd.Index(["Sargan", "Hansen J"], name="test"))


def _check_instruments(H, hnames, nendog, nexcl):
    if nexcl < nendog:
        raise IdentificationError(
            f"the model is not identified: {nendog} endogenous variable(s) but only {nexcl} "
            "excluded instrument(s); add instruments (or spatial lags of them: w_lags)")
    Hs = H / np.where(H.std(0) > 0, np.sqrt((H ** 2).mean(0)), 1.0)
    _, s, Vt = np.linalg.svd(Hs, full_matrices=False)
    null = Vt[s <= s.max() * 1e-10]
    if len(null):
        inv = [nm for j, nm in enumerate(hnames) if np.any(np.abs(null[:, j]) > 1e-6)]
        raise IdentificationError(f"collinear instruments (the instrument matrix is rank "
                                  f"deficient): {format_values(inv)}; drop some of them or "
                                  "reduce w_lags")


def _weak_flags(fs):
    weak = fs[fs.F < WEAK_F]
    if not len(weak):
        return []
    txt = ", ".join(f"{nm}: F = {r.F:.3g}" for nm, r in weak.iterrows())
    return [Flag("weak_instruments", f"weak instruments (first-stage F < {WEAK_F:g}) for "
                 f"{txt}; 2SLS/GM estimates and standard errors are unreliable")]


# --------------------------------------------------------------------------- main
def spatial_gmm(data: pd.DataFrame, y: str, x, w, *, id: str = "code", time: str | None = None,
                model: str = "sar", endog=None, instruments=None, fe=None, w_lags: int = 2,
                lag_q: bool = True, max_iter: int = 1, step1c: bool = False,
                seed=0) -> GMMResults:
    """Spatial IV/GMM: spatial 2SLS (SAR), GM for SEM and SAC, with endogenous regressors.

    Parameters
    ----------
    data : DataFrame
        Cross-section (one row per ``id``; ``time=None``) or long balanced panel.
    y : str
        Dependent variable.
    x : list of str
        Exogenous regressors (a constant is added for cross-sections).
    w : libpysal Graph or W
        Spatial weights keyed by ``id`` (aligned by id; a mismatch is refused naming the ids).
    id, time : str
        Unit and period columns (``time=None``: cross-section).
    model : {"sar", "sem", "sac"}
        SAR y = ρWy + Xβ + Yβ_e + ε (spatial 2SLS); SEM y = Xβ + Yβ_e + u, u = λWu + ε (GM,
        heteroskedasticity robust); SAC both (GM).  Panels: SAR only.
    endog : list of str, optional
        Endogenous regressors Y.
    instruments : list of str, optional
        Excluded instruments Z for ``endog``.
    fe : {None, "individual", "twoways"}
        Panel fixed effects removed by the within transformation (SAR 2SLS).
    w_lags : int
        Spatial lags of [X, Z] among the instruments (default 2: W[X, Z], W²[X, Z]).
    lag_q : bool
        Include the spatial lags of the user's instruments Z (spreg's ``lag_q``).
    max_iter, step1c : GM settings for SEM/SAC (spreg's: one iteration, no step 1c).
    seed : unused (the estimators are deterministic); accepted for the package convention.

    Returns
    -------
    GMMResults
        ``params``: ``const`` (cross-section), x, endog, ``rho`` (SAR/SAC), ``lambda``
        (SEM/SAC); ``first_stage``; ``tests`` (Sargan/Hansen); ``flags`` (weak_instruments).

    Raises
    ------
    IdentificationError
        Fewer excluded instruments than endogenous variables, or collinear instruments.
    DataError, IdMismatchError, PanelError
        Missing columns/values, ids that differ from ``w``, an unbalanced panel.
    """
    model = str(model).lower()
    if model not in ("sar", "sem", "sac"):
        raise ValueError(f"model must be 'sar', 'sem' or 'sac', got {model!r}")
    x = [x] if isinstance(x, str) else list(x)
    endog = [] if endog is None else ([endog] if isinstance(endog, str) else list(endog))
    instruments = [] if instruments is None else (
        [instruments] if isinstance(instruments, str) else list(instruments))
    if endog and not instruments:
        raise IdentificationError(f"endogenous regressor(s) {format_values(endog)} need "
                                  "instruments=[...] (excluded instruments)")
    allv = [y] + x + endog + instruments
    dup = sorted({v for v in allv if allv.count(v) > 1})
    if dup:
        raise DataError(f"variable(s) listed more than once among y, x, endog, instruments: "
                        f"{format_values(dup)}")
    if fe not in (None, "individual", "twoways"):
        raise ValueError(f"fe must be None, 'individual' or 'twoways', got {fe!r}")
    if time is None:
        if fe is not None:
            raise ValueError("fe needs a panel (time=...)")
        return _cross_section(data, y, x, w, id, model, endog, instruments, w_lags, lag_q,
                              max_iter, step1c)
    if fe is None:
        raise ValueError("panel GMM is implemented with fixed effects: fe='individual' or "
                         "'twoways' (pooled panels: estimate year by year or add dummies)")
    if model != "sar":
        raise ValueError(f"panel GMM with fixed effects is implemented for model='sar' (spatial "
                         f"2SLS after the within transformation), not {model!r}: the GM estimator "
                         "of a spatial error after the within transformation (Kapoor, Kelejian & "
                         "Prucha 2007 moments) is not implemented; use spatial_gmm(model="
                         f"{model!r}, time=None) year by year, or spatial_panel(model={model!r}, "
                         "fe=...) when the regressors are exogenous")
    return _panel_sar(data, y, x, w, id, time, fe, endog, instruments, w_lags, lag_q)


def _cross_section(data, y, x, w, id, model, endog, instruments, w_lags, lag_q, max_iter,
                   step1c):
    import libpysal
    import spreg

    df = check_panel(data, id, None, [y] + x + endog + instruments)
    ids = pd.Index(df[id])
    Wsp = graph_to_sparse(w, ids)
    n = len(ids)
    wl = libpysal.weights.WSP(Wsp, id_order=list(ids)).to_W(silence_warnings=True)
    wl.transform = "o"
    Y = df[[y]].to_numpy(float)
    Xm = df[x].to_numpy(float)
    E = df[endog].to_numpy(float) if endog else None
    Q = df[instruments].to_numpy(float) if instruments else None
    # instruments as spreg builds them: [1, X, Z, W[X,Z].., ] (lags of Z only if lag_q)
    base = [np.ones((n, 1)), Xm] + ([Q] if Q is not None else [])
    lagsrc = np.hstack([Xm] + ([Q] if (Q is not None and lag_q) else []))
    lnames = x + (instruments if lag_q else [])
    H = np.hstack(base + _lags(Wsp, lagsrc, w_lags))
    hnames = (["const"] + x + instruments +
              [f"W{'^' + str(k) if k > 1 else ''}_{v}" for k in range(1, w_lags + 1) for v in lnames])
    enames = endog + (["W_y"] if model in ("sar", "sac") else [])
    nexcl = H.shape[1] - 1 - len(x)
    _check_instruments(H, hnames, len(enames), nexcl)
    Ecols = ([E] if E is not None else []) + ([np.asarray(Wsp @ Y)] if model in ("sar", "sac") else [])
    fs = _first_stage(np.hstack(Ecols), H, np.hstack([np.ones((n, 1)), Xm]), enames, n) \
        if enames else pd.DataFrame(columns=["F", "df1", "df2", "p", "partial_r2"])
    names = ["const"] + x + endog
    scale = None
    import contextlib
    import io
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")   # spreg prints and warns about the W it is given
        if model == "sar":
            reg = spreg.GM_Lag(Y, Xm, yend=E, q=Q, w=wl, w_lags=w_lags, lag_q=lag_q)
            names += ["rho"]
            est = "spatial 2SLS (spreg.GM_Lag)"
            u = np.asarray(reg.u).ravel()
            tests = _overid(u, H, len(enames), nexcl)
        elif model == "sem":
            if E is None:
                reg = spreg.GM_Error_Het(Y, Xm, w=wl, max_iter=max_iter, step1c=step1c)
                est = "GM heteroskedastic (spreg.GM_Error_Het)"
            else:
                # undo spreg's +-0.9 clip of the last endogenous coefficient (module docstring)
                Z1 = np.hstack([np.ones((n, 1)), Xm, E])
                Zh = H @ np.linalg.lstsq(H, Z1, rcond=None)[0]
                b1 = np.linalg.lstsq(Zh, Y.ravel(), rcond=None)[0][-1]
                scale = 1.0 if abs(b1) <= 0.5 else 2.0 * abs(b1)
                E2 = E.copy()
                E2[:, -1] = E2[:, -1] * scale
                reg = spreg.GM_Endog_Error_Het(Y, Xm, yend=E2, q=Q, w=wl, max_iter=max_iter,
                                               step1c=step1c)
                est = "GM heteroskedastic (spreg.GM_Endog_Error_Het)"
            names += ["lambda"]
        else:
            reg = spreg.GM_Combo_Het(Y, Xm, yend=E, q=Q, w=wl, w_lags=w_lags, lag_q=lag_q,
                                     max_iter=max_iter, step1c=step1c)
            names += ["rho", "lambda"]
            est = "GM heteroskedastic (spreg.GM_Combo_Het)"
    b = np.asarray(reg.betas, float).ravel()
    V = np.asarray(reg.vm, float)
    if scale is not None and scale != 1.0:
        j = 1 + len(x) + len(endog) - 1
        b[j] *= scale
        V[j, :] *= scale
        V[:, j] *= scale
    if model in ("sem", "sac"):
        lam = b[-1]
        uf = np.asarray(reg.e_filtered).ravel()
        Hf = H - lam * np.asarray(Wsp @ H)
        tests = _overid(uf, Hf, len(enames), nexcl)
    params = pd.Series(b, index=names)
    cov = pd.DataFrame(V, index=names, columns=names)
    flags = _weak_flags(fs) if len(fs) else []
    info = {"model": model, "estimator": est, "n": n, "T": None, "fe": None,
            "instruments": ", ".join(hnames), "n_instruments": H.shape[1],
            "sigma2": float(getattr(reg, "sig2n", np.nan)) if model == "sar" else np.nan,
            "clip_workaround_scale": scale}
    resid = pd.Series(np.asarray(reg.u).ravel(), index=ids, name="residual")
    return GMMResults(params, cov, info=info, first_stage=fs, tests=tests, residuals=resid,
                      flags=flags)


def _panel_sar(data, y, x, w, id, time, fe, endog, instruments, w_lags, lag_q):
    from .panel import _demean
    cols = [y] + x + endog + instruments
    df = check_panel(data, id, time, cols, balanced=True)
    ids = pd.Index(df[id].iloc[:df[id].nunique()])
    times = pd.Index(pd.unique(df[time]))
    N, T = len(ids), len(times)
    if T < 2:
        raise DataError(f"a panel needs at least 2 periods; {time!r} has {T}")
    Wsp = graph_to_sparse(w, ids)

    def grid(c):
        return df[c].to_numpy(float).reshape(T, N)

    def wlag(A):                      # (T, N) -> W applied per period
        return np.asarray(Wsp @ A.T).T

    removed = []

    def dm(A, name=None):
        # a column without variation after the within transformation (constant within units,
        # or within years for two-way) is absorbed by the fixed effects: refuse it by name, as
        # its round-off residue would otherwise be rescaled into a spurious instrument
        out = _demean(A, fe).ravel()
        if name is not None and np.linalg.norm(out) <= 1e-9 * max(np.linalg.norm(A), 1e-300):
            removed.append(name)
        return out

    Yg = grid(y)
    Xg = [grid(c) for c in x]
    Eg = [grid(c) for c in endog]
    Qg = [grid(c) for c in instruments]
    lagsrc = Xg + (Qg if lag_q else [])
    lnames = x + (instruments if lag_q else [])
    Hcols, hnames = [dm(a, nm) for a, nm in zip(Xg + Qg, x + instruments)], x + instruments
    for k in range(1, w_lags + 1):
        for nm, a in zip(lnames, lagsrc):
            cur = a
            for _ in range(k):
                cur = wlag(cur)
            hnames.append(f"W{'^' + str(k) if k > 1 else ''}_{nm}")
            Hcols.append(dm(cur, hnames[-1]))
    H = np.column_stack(Hcols)
    Xd = np.column_stack([dm(a) for a in Xg])
    Ed = np.column_stack([dm(a, nm) for a, nm in zip(Eg, endog)] + [dm(wlag(Yg))])
    if removed:
        raise IdentificationError(
            f"variable(s) without variation after the within ({fe}) transformation, absorbed by "
            f"the fixed effects: {format_values(list(dict.fromkeys(removed)))}; drop them (an "
            "instrument constant within units cannot identify a fixed-effects model)")
    enames = endog + ["W_y"]
    nexcl = H.shape[1] - len(x)
    _check_instruments(H, hnames, len(enames), nexcl)
    yd = dm(Yg)
    Z = np.column_stack([Xd, Ed])
    names = x + endog + ["rho"]
    Zh = H @ np.linalg.lstsq(H, Z, rcond=None)[0]
    beta = np.linalg.solve(Zh.T @ Z, Zh.T @ yd)
    u = yd - Z @ beta
    n = N * T
    nfe = N if fe == "individual" else N + T - 1
    dfr = n - Z.shape[1] - nfe
    s2 = float(u @ u) / dfr
    V = s2 * np.linalg.inv(Zh.T @ Zh)
    fs = _first_stage(Ed, H, Xd, enames, n - nfe)
    tests = _overid(u, H, len(enames), nexcl)
    params = pd.Series(beta, index=names)
    cov = pd.DataFrame(V, index=names, columns=names)
    info = {"model": "sar", "estimator": f"panel spatial 2SLS, within ({fe}) transformation",
            "n": N, "T": T, "fe": fe, "instruments": ", ".join(hnames),
            "n_instruments": H.shape[1], "sigma2": s2, "df_resid": dfr}
    idx = pd.MultiIndex.from_arrays([np.repeat(times.to_numpy(), N), np.tile(ids.to_numpy(), T)],
                                    names=[time, id])
    return GMMResults(params, cov, info=info, first_stage=fs, tests=tests,
                      residuals=pd.Series(u, index=idx, name="residual"),
                      flags=_weak_flags(fs), df_resid=dfr)
