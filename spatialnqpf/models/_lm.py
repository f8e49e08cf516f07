"""Cross-section diagnostics of OLS residuals: Anselin's LM tests and Moran's I.

Pure numpy/scipy on aligned arrays; the public wrappers live in
:mod:`spatialnqpf.models.cross_section`.  All traces are computed from sparse W and
k-dimensional cross-products, so no dense n × n matrix is formed.

Formulas (Anselin 1988; Anselin, Bera, Florax & Yoon 1996), with e the OLS residuals,
σ̂² = e′e/n, M = I − X(X′X)^{-1}X′, T = tr(W′W + WW) and
nJ = [(WXb)′M(WXb) + T σ̂²] / σ̂²:

* LM-error  = (e′We/σ̂²)² / T
* LM-lag    = (e′Wy/σ̂²)² / nJ
* robust LM-error = (e′We/σ̂² − T (nJ)^{-1} e′Wy/σ̂²)² / (T − T² (nJ)^{-1})
* robust LM-lag   = (e′Wy/σ̂² − e′We/σ̂²)² / (nJ − T)
* SARMA = robust LM-error + LM-lag (χ²(2)); the others χ²(1).

Moran's I of regression residuals (Cliff & Ord 1981): I = (n/S₀) e′We/e′e,
E[I] = (n/S₀) tr(MW)/(n − k),
V[I] = (n/S₀)² [tr(MWMW′) + tr((MW)²) + (tr(MW))²] / ((n − k)(n − k + 2)) − E[I]²,
z = (I − E[I])/√V[I] (normal approximation; as R ``spdep::lm.morantest``).

References
----------
Anselin, L. (1988). Spatial Econometrics: Methods and Models. Kluwer.
Anselin, L., Bera, A. K., Florax, R. & Yoon, M. J. (1996). Simple diagnostic tests for spatial
dependence. Regional Science and Urban Economics 26, 77-104.
Cliff, A. D. & Ord, J. K. (1981). Spatial Processes: Models and Applications. Pion.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

__all__ = ["lm_tests_arrays", "moran_residuals_arrays"]


def _tr_WW(W):
    """(tr(W′W), tr(WW)) for sparse W."""
    return float(W.multiply(W).sum()), float(W.multiply(W.T).sum())


def lm_tests_arrays(y: np.ndarray, X: np.ndarray, W: sp.csr_matrix) -> pd.DataFrame:
    """Anselin LM tests on the OLS fit of y on X (X includes the constant).

    Returns a DataFrame indexed LM_error, LM_lag, robust_LM_error, robust_LM_lag, SARMA
    with columns statistic, df, p.
    """
    n = len(y)
    XtX_inv = np.linalg.inv(X.T @ X)
    b = XtX_inv @ (X.T @ y)
    e = y - X @ b
    s2 = e @ e / n
    We = W @ e
    Wy = W @ y
    tWtW, tWW = _tr_WW(W)
    T = tWtW + tWW
    WXb = W @ (X @ b)
    MWXb = WXb - X @ (XtX_inv @ (X.T @ WXb))
    nJ = (WXb @ MWXb + T * s2) / s2
    de = e @ We / s2
    dl = e @ Wy / s2
    lm_err = de ** 2 / T
    lm_lag = dl ** 2 / nJ
    r_err = (de - T / nJ * dl) ** 2 / (T - T * T / nJ)
    r_lag = (dl - de) ** 2 / (nJ - T)
    sarma = r_err + lm_lag
    stat = [lm_err, lm_lag, r_err, r_lag, sarma]
    df = [1, 1, 1, 1, 2]
    p = [stats.chi2.sf(s, d) for s, d in zip(stat, df)]
    return pd.DataFrame({"statistic": stat, "df": df, "p": p},
                        index=["LM_error", "LM_lag", "robust_LM_error", "robust_LM_lag", "SARMA"])


def moran_residuals_arrays(e: np.ndarray, X: np.ndarray, W: sp.csr_matrix,
                           alternative: str = "greater") -> dict:
    """Moran's I of OLS residuals with its exact-moment normal approximation.

    Returns a dict with I, EI, VI, z, p (``alternative`` "greater", "less" or "two-sided").
    """
    n, k = X.shape
    S0 = float(W.sum())
    I = n / S0 * (e @ (W @ e)) / (e @ e)
    XtX_inv = np.linalg.inv(X.T @ X)
    WX = np.asarray(W @ X)
    WtX = np.asarray(W.T @ X)
    # tr(MW) = tr(W) − tr((X′X)^{-1} X′WX)
    trMW = float(W.diagonal().sum()) - np.trace(XtX_inv @ (X.T @ WX))
    # tr(MWMW′) = tr(WW′) − tr(P WW′) − tr(P W′W) + tr(P W P W′), P = X(X′X)^{-1}X′
    # tr(MWMW)  = tr(WW) − 2 tr(P WW) + tr(P W P W)
    tWtW, tWW = _tr_WW(W)
    WWtX = np.asarray(W @ (W.T @ X))
    WWX = np.asarray(W @ WX)
    A = XtX_inv @ (X.T @ WX)       # (X′X)^{-1} X′ W X
    At = XtX_inv @ (X.T @ WtX)     # (X′X)^{-1} X′ W′ X
    tr_MWMWt = (tWtW - np.trace(XtX_inv @ (X.T @ WWtX)) - np.trace(XtX_inv @ (WX.T @ WX))
                + np.trace(A @ At))
    tr_MWMW = tWW - 2 * np.trace(XtX_inv @ (X.T @ WWX)) + np.trace(A @ A)
    EI = n / S0 * trMW / (n - k)
    VI = (n / S0) ** 2 * (tr_MWMWt + tr_MWMW + trMW ** 2) / ((n - k) * (n - k + 2)) - EI ** 2
    z = (I - EI) / np.sqrt(VI)
    if alternative == "greater":
        p = stats.norm.sf(z)
    elif alternative == "less":
        p = stats.norm.cdf(z)
    elif alternative == "two-sided":
        p = 2 * stats.norm.sf(abs(z))
    else:
        raise ValueError(f"alternative must be 'greater', 'less' or 'two-sided', got {alternative!r}")
    return {"I": float(I), "EI": float(EI), "VI": float(VI), "z": float(z), "p": float(p)}
