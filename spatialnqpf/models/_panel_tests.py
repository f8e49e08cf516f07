"""Specification tests for spatial panels (Elhorst 2010, 2014; Anselin et al. 1996; Debarsy & Ertur 2010).

* :func:`panel_lm_tests` — LM tests for a spatial lag / spatial error on the residuals of the
  non-spatial fixed-effects model, classic and robust (docs/methods/models.md §5.5).
* :func:`lr_fixed_effects` — LR tests of the joint significance of unit and of time effects.
* :func:`sdm_tests` — Wald and LR tests of SDM → SAR (θ = 0) and SDM → SEM (θ + ρβ = 0).
* :func:`hausman` — Hausman test of fixed against random unit effects.

All return a DataFrame indexed by test name with columns ``statistic``, ``df``, ``p``
(χ² upper tail) and a ``note``.

Formulas (e: residuals of OLS of the demeaned y on the demeaned X, σ² = e′e/NT,
W_T = I_T ⊗ W, tr = tr(W′W + WW), b the OLS coefficients)::

    J = [ (W_T X b)′ M (W_T X b) + T tr σ² ] / σ²,   M = I − X(X′X)^{-1}X′
    LM_error        = (e′W_T e / σ²)² / (T tr)
    LM_lag          = (e′W_T y / σ²)² / J
    robust LM_error = [(e′W_T e − (T tr / J) e′W_T y) / σ²]² / (T tr (1 − T tr / J))
    robust LM_lag   = [(e′W_T y − e′W_T e) / σ²]² / (J − T tr)

each χ²(1).  "W_T y" and "W_T X b" are the spatial lags *demeaned after lagging*, the scores of
the exact fixed-effects likelihood (see :mod:`spatialnqpf.models.panel`); with individual effects
only this equals lagging the demeaned data.  Elhorst's ``LMsarsem_panel`` lags the demeaned
data, which differs for time effects (W's column sums are not 1).

Hausman: H = d′(V_FE − V_RE)^{-1} d with d = θ̂_FE − θ̂_RE over the coefficients both models
estimate (x, W_x, ρ or λ; not the intercept nor φ), χ²(number compared).  Random effects exist
for SAR/SDM/SLX/OLS and (N ≤ 2 000) SEM/SDEM (``fe="random"``).

References
----------
Anselin, L., Bera, A., Florax, R. & Yoon, M. (1996). Simple diagnostic tests for spatial
dependence. Regional Science and Urban Economics 26, 77-104.
Debarsy, N. & Ertur, C. (2010). Testing for spatial autocorrelation in a fixed effects panel
data model. Regional Science and Urban Economics 40, 453-470.
Elhorst, J. P. (2014). Spatial Econometrics. Springer, §3.5–3.6.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .panel import _demean, _lag, _normalise_fe, prepare_panel, spatial_panel

__all__ = ["panel_lm_tests", "lr_fixed_effects", "sdm_tests", "hausman"]


def _frame(rows):
    df = pd.DataFrame(rows).set_index("test")
    df["p"] = stats.chi2.sf(df["statistic"].astype(float), df["df"].astype(float))
    return df[["statistic", "df", "p", "note"]]


def panel_lm_tests(data, y, x, w, *, id: str = "code", time: str = "year",
                   fe="twoways") -> pd.DataFrame:
    """Classic and robust LM tests of a spatial lag and a spatial error (Elhorst 2014, §3.5).

    Parameters
    ----------
    data, y, x, w, id, time : as in :func:`spatialnqpf.models.spatial_panel`.
    fe : {"none", "individual", "time", "twoways"}
        Fixed effects of the non-spatial model whose residuals are tested (pooled OLS with an
        intercept for ``"none"``).

    Returns
    -------
    DataFrame
        Rows ``LM_lag``, ``LM_error``, ``robust_LM_lag``, ``robust_LM_error``; columns
        statistic, df (1), p, note.  ``attrs["fe"]`` records the FE type.
    """
    fe = _normalise_fe(fe)
    d = prepare_panel(data, y, x, w, id=id, time=time)
    N, T = d.N, d.T
    X = _demean(d.X, fe).reshape(N * T, -1)
    yv = _demean(d.Y, fe).ravel()
    Wy = _demean(_lag(d.W, d.Y), fe).ravel()
    if fe == "none":
        X = np.column_stack([np.ones(N * T), X])
    b, *_ = np.linalg.lstsq(X, yv, rcond=None)
    e = yv - X @ b
    s2 = e @ e / (N * T)
    We = _lag(d.W, e.reshape(T, N)).ravel()
    xb = (d.X.reshape(N * T, -1) @ (b[1:] if fe == "none" else b)).reshape(T, N)
    if fe == "none":
        xb = xb + b[0]
    Wxb = _demean(_lag(d.W, xb), fe).ravel()
    coef, *_ = np.linalg.lstsq(X, Wxb, rcond=None)
    mwxb = Wxb - X @ coef
    Wt = d.W.T.tocsr()
    tr = float(Wt.multiply(Wt).sum() + d.W.multiply(Wt).sum())   # tr(W'W) + tr(WW)
    Ttr = T * tr
    J = (mwxb @ mwxb + Ttr * s2) / s2
    ewe = e @ We
    ewy = e @ Wy
    lm_err = (ewe / s2) ** 2 / Ttr
    lm_lag = (ewy / s2) ** 2 / J
    rlm_err = ((ewe - Ttr / J * ewy) / s2) ** 2 / (Ttr * (1 - Ttr / J))
    rlm_lag = ((ewy - ewe) / s2) ** 2 / (J - Ttr)
    note = f"residuals of the non-spatial {fe!r} FE model"
    out = _frame([
        {"test": "LM_lag", "statistic": lm_lag, "df": 1, "note": note},
        {"test": "LM_error", "statistic": lm_err, "df": 1, "note": note},
        {"test": "robust_LM_lag", "statistic": rlm_lag, "df": 1, "note": note},
        {"test": "robust_LM_error", "statistic": rlm_err, "df": 1, "note": note},
    ])
    out.attrs["fe"] = fe
    return out


def lr_fixed_effects(data, y, x, w, *, id: str = "code", time: str = "year", model="ols",
                     lee_yu=False, **kwargs) -> pd.DataFrame:
    """LR tests of the joint significance of the unit effects and of the time effects.

    ``LR_individual = 2 (ℓ_twoways − ℓ_time)`` with N − 1 degrees of freedom and
    ``LR_time = 2 (ℓ_twoways − ℓ_individual)`` with T − 1 degrees of freedom, from the
    ``model`` (default the non-spatial model, as in Elhorst 2014, Table 3.2) fitted by direct
    ML (``lee_yu=False``: the likelihoods must be comparable, i.e. all on NT observations).

    Elhorst (2014, §3.6.2) reports 2315.7 and 473.1 on the cigarette panel, with 46 and 30
    degrees of freedom; the number of restrictions is N − 1 and T − 1 when the restricted model
    keeps an intercept (absorbed in the other set of effects), which is what we report.
    """
    with warnings.catch_warnings():
        # the restricted fits omit effects on purpose: their year-shock warning is expected
        warnings.filterwarnings("ignore", message="the residuals contain common year shocks")
        fits = {fe: spatial_panel(data, y, x, w, id=id, time=time, model=model, fe=fe,
                                  lee_yu=lee_yu, **kwargs)
                for fe in ("individual", "time", "twoways")}
    N, T = fits["twoways"].info["n"], fits["twoways"].info["T"]
    note = f"{model} model, lee_yu={lee_yu!r}"
    out = _frame([
        {"test": "LR_individual_effects",
         "statistic": 2 * (fits["twoways"].llf - fits["time"].llf), "df": N - 1, "note": note},
        {"test": "LR_time_effects",
         "statistic": 2 * (fits["twoways"].llf - fits["individual"].llf), "df": T - 1, "note": note},
    ])
    out.attrs["llf"] = {k: v.llf for k, v in fits.items()}
    return out


def sdm_tests(sdm, sar=None, sem=None) -> pd.DataFrame:
    """Wald and LR tests of the SDM against SAR (θ = 0) and SEM (θ + ρβ = 0).

    Parameters
    ----------
    sdm : SpatialResults
        A fitted SDM (``model="sdm"``).
    sar, sem : SpatialResults, optional
        The SAR and SEM fitted on the same data, FE and ``lee_yu`` setting; needed for the LR
        tests (LR = 2(ℓ_SDM − ℓ_restricted), k degrees of freedom).

    Notes
    -----
    Wald (SAR): θ̂′ V_θθ^{-1} θ̂.  Wald (SEM): g = θ̂ + ρ̂β̂ with delta-method covariance
    J V J′, J = [ρ̂ I_k | I_k | β̂] for (β, θ, ρ).  Each χ²(k).
    """
    if sdm.model != "sdm":
        raise ValueError(f"sdm_tests needs an SDM fit, got model {sdm.model!r}")
    p = sdm.params
    V = sdm.cov
    xs = [c for c in p.index if c != "rho" and not c.startswith("W_") and ("W_" + c) in p.index]
    ts = ["W_" + c for c in xs]
    k = len(xs)
    th = p[ts].to_numpy()
    Vt = V.loc[ts, ts].to_numpy()
    wald_sar = float(th @ np.linalg.solve(Vt, th))
    rho = float(p["rho"])
    b = p[xs].to_numpy()
    g = th + rho * b
    cols = xs + ts + ["rho"]
    J = np.hstack([rho * np.eye(k), np.eye(k), b[:, None]])
    Vg = J @ V.loc[cols, cols].to_numpy() @ J.T
    wald_sem = float(g @ np.linalg.solve(Vg, g))
    rows = [{"test": "Wald_SDM_vs_SAR", "statistic": wald_sar, "df": k, "note": "H0: theta = 0"},
            {"test": "Wald_SDM_vs_SEM", "statistic": wald_sem, "df": k,
             "note": "H0: theta + rho*beta = 0 (delta method)"}]
    for name, r, model in (("LR_SDM_vs_SAR", sar, "sar"), ("LR_SDM_vs_SEM", sem, "sem")):
        if r is None:
            continue
        if r.model != model or r.nobs != sdm.nobs or r.info.get("fe") != sdm.info.get("fe") \
                or r.info.get("lee_yu") != sdm.info.get("lee_yu"):
            raise ValueError(f"{name}: the {model.upper()} fit must use the same data, fe and "
                             f"lee_yu as the SDM (got model={r.model!r}, fe={r.info.get('fe')!r}, "
                             f"lee_yu={r.info.get('lee_yu')!r})")
        rows.append({"test": name, "statistic": 2 * (sdm.llf - r.llf), "df": k,
                     "note": f"2 (llf_SDM - llf_{model.upper()})"})
    return _frame(rows)


def hausman(fe_res, re_res) -> pd.DataFrame:
    """Hausman test of fixed (``fe="individual"``) against random unit effects.

    Parameters
    ----------
    fe_res, re_res : SpatialResults
        The same model fitted with individual fixed effects and with ``fe="random"``.  Use
        ``lee_yu=True`` for the FE fit: its σ² = e′e/(N(T − 1)) is consistent, whereas direct
        ML divides by NT, understates V_FE by the factor (T − 1)/T and easily makes
        V_FE − V_RE indefinite (negative statistics).

    Returns
    -------
    DataFrame with one row ``Hausman_FE_vs_RE``: statistic, df (number of compared
    coefficients), p; ``attrs["compared"]`` lists them.  If V_FE − V_RE is not positive
    definite a generalized inverse is used and the note says so; a negative statistic gets no
    p-value.  Cigarette panel, SAR: H = 11.02 (3 df, p = 0.012) with the Lee–Yu FE fit; with
    the direct-ML FE fit V_FE − V_RE is negative definite (H < 0).
    """
    if re_res.info.get("fe") != "random":
        raise ValueError("re_res must be a random-effects fit (fe='random')")
    if fe_res.info.get("fe") != "individual" or fe_res.model != re_res.model:
        raise ValueError(f"fe_res must be the same model ({re_res.model!r}) with fe='individual', "
                         f"got model={fe_res.model!r}, fe={fe_res.info.get('fe')!r}")
    names = [c for c in fe_res.params.index if c in re_res.params.index and c not in ("const", "phi")]
    dvec = (fe_res.params[names] - re_res.params[names]).to_numpy()
    V = fe_res.cov.loc[names, names].to_numpy() - re_res.cov.loc[names, names].to_numpy()
    ev = np.linalg.eigvalsh((V + V.T) / 2)
    note = "V_FE - V_RE positive definite"
    if ev.min() <= 0:
        stat = float(dvec @ np.linalg.pinv(V) @ dvec)
        note = "V_FE - V_RE not positive definite: generalized inverse used"
    else:
        stat = float(dvec @ np.linalg.solve(V, dvec))
    if stat < 0:
        note += ("; negative statistic: the data do not meet the test's asymptotic assumptions "
                 "(as Stata's hausman reports); no p-value")
    out = _frame([{"test": "Hausman_FE_vs_RE", "statistic": stat, "df": len(names), "note": note}])
    if stat < 0:
        out["p"] = np.nan
    out.attrs["compared"] = names
    return out
