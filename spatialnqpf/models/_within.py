"""Numpy core shared by the impact-paper estimators: within transformations, OLS, CR1.

Written here (not pyfixest) because the bootstraps and permutation tests of
:mod:`~spatialnqpf.models.threshold`, :mod:`~spatialnqpf.models.mediation` and
:mod:`~spatialnqpf.models.heterogeneity` refit the same small design thousands of times;
:func:`~spatialnqpf.models.fe.panel_fe` (pyfixest) is the reference these are checked against.

Conventions (those of Stata ``reghdfe`` and pyfixest ``feols``): CR1 covariance

    V = c · (X'X)⁻¹ (Σ_g X_g'e_g e_g'X_g) (X'X)⁻¹,   c = G/(G − 1) · (n − 1)/(n − K)

with K = slopes + levels of the absorbed fixed effects, a factor nested in a cluster
variable counting one level (its mean: the constant of ``xtreg, fe``), minus one redundant
level per additional factor (two-way FE clustered by unit: K = k + T).
"""
from __future__ import annotations

import numpy as np

from .._validation import DataError


def codes(values):
    """Integer codes 0..G−1 of ``values`` and the number of levels."""
    uniq, inv = np.unique(np.asarray(values), return_inverse=True)
    return inv.astype(np.intp), len(uniq)


def demean(A, groups, tol=1e-13, maxiter=10_000):
    """Remove the means of every factor in ``groups`` (list of integer code arrays).

    One factor: exact group demeaning.  Two factors on a balanced full grid: the exact
    closed form a − ā_i − ā_t + ā.  Otherwise alternating projections (Gauss–Seidel)
    until the largest change is below ``tol`` times the scale of ``A``.
    """
    A = np.asarray(A, float)
    one = A.ndim == 1
    A = A.reshape(len(A), -1).copy()
    if not groups:
        return A[:, 0] if one else A
    counts = [np.bincount(g) for g in groups]

    def sweep(M, g, c):
        sums = np.zeros((c.size, M.shape[1]))
        np.add.at(sums, g, M)
        return M - (sums / c[:, None])[g]

    if len(groups) == 1:
        A = sweep(A, groups[0], counts[0])
    elif (len(groups) == 2 and counts[0].size * counts[1].size == len(A)
          and np.all(counts[0] == counts[0][0]) and np.all(counts[1] == counts[1][0])):
        # balanced grid (orthogonal factors): two sweeps are the exact two-way transformation
        A = sweep(sweep(A, groups[0], counts[0]), groups[1], counts[1])
    else:
        scale = max(1.0, float(np.abs(A).max()))
        for _ in range(maxiter):
            old = A.copy()
            for g, c in zip(groups, counts):
                A = sweep(A, g, c)
            if np.abs(A - old).max() <= tol * scale:
                break
    return A[:, 0] if one else A


def ols(X, y):
    """β̂ = (X'X)⁻¹X'y via Cholesky; returns β̂, residuals, (X'X)⁻¹."""
    XtX = X.T @ X
    try:
        L = np.linalg.cholesky(XtX)
    except np.linalg.LinAlgError:
        raise DataError("regressors are perfectly collinear after the fixed effects") from None
    Li = np.linalg.inv(L)
    XtXi = Li.T @ Li
    beta = XtXi @ (X.T @ y)
    return beta, y - X @ beta, XtXi


def cluster_meat(X, e, g, G):
    """Σ_g (X_g'e_g)(X_g'e_g)'."""
    s = np.zeros((G, X.shape[1]))
    np.add.at(s, g, X * e[:, None])
    return s.T @ s


def cr1(X, e, XtXi, clusters, k_total):
    """CR1 covariance (one- or two-way clustering, as reghdfe/pyfixest with G_df="min").

    ``clusters`` is a list of integer code arrays (one or two); ``k_total`` the K of the
    small-sample factor (n − 1)/(n − K).  Returns (V, G) with G the smallest cluster count.
    """
    n = len(e)
    parts = []
    Gs = []
    if len(clusters) == 1:
        g, G = clusters[0], int(clusters[0].max()) + 1
        parts.append((1.0, cluster_meat(X, e, g, G)))
        Gs.append(G)
    else:
        g1, g2 = clusters
        G1, G2 = int(g1.max()) + 1, int(g2.max()) + 1
        g12, G12 = codes(g1.astype(np.int64) * G2 + g2)
        parts += [(1.0, cluster_meat(X, e, g1, G1)), (1.0, cluster_meat(X, e, g2, G2)),
                  (-1.0, cluster_meat(X, e, g12, G12))]
        Gs += [G1, G2]
    meat = sum(s * m for s, m in parts)
    G = min(Gs)
    c = G / (G - 1) * (n - 1) / (n - k_total)
    V = c * XtXi @ meat @ XtXi
    # two-way clustering can give a non-PSD V (Cameron–Gelbach–Miller); keep as is
    return V, G
