"""Pure numpy kernels for Gini-type inequality measures and Dagum's decomposition.

All pairwise sums are computed from sorted values and cumulative sums in
O(n log n) time and O(n) memory; no n x n matrix is ever formed.  The kernels
take plain arrays (values, integer group codes, unit weights) and do no input
validation: :mod:`spatialnqpf.inequality` validates and labels.

The key identity: for values ``y`` sorted ascending with weights ``v``,
cumulative weights ``C_k = sum_{r<k} v_r`` and cumulative weighted values
``S_k = sum_{r<k} v_r y_r``,

    sum_r v_r max(x - y_r, 0) = x C_k - S_k,   k = #{r : y_r <= x},

so ``sum_i sum_r w_i v_r max(x_i - y_r, 0)`` costs one ``searchsorted``.
Absolute differences are ``|a - b| = max(a - b, 0) + max(b - a, 0)``.
Values are centred on a common constant first (differences are translation
invariant) to limit cancellation in ``x C_k - S_k``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["positive_part_sum", "abs_diff_sum", "gini", "dagum_decompose"]


def _cumulative(y_sorted: np.ndarray, v_sorted: np.ndarray):
    cw = np.concatenate(([0.0], np.cumsum(v_sorted)))
    cwy = np.concatenate(([0.0], np.cumsum(v_sorted * y_sorted)))
    return cw, cwy


def positive_part_sum(x, wx, y_sorted, wy_sorted, _cum=None) -> float:
    r"""Return :math:`\sum_i \sum_r w_i v_r \max(x_i - y_r, 0)`.

    ``y_sorted`` must be sorted ascending (``wy_sorted`` in the same order);
    ``x`` need not be sorted.  O((n + m) log m).
    """
    cw, cwy = _cum if _cum is not None else _cumulative(y_sorted, wy_sorted)
    k = np.searchsorted(y_sorted, x, side="right")
    # Each term x_i C_k - S_k is a sum of non-negative numbers; clip rounding noise.
    terms = np.maximum(x * cw[k] - cwy[k], 0.0)
    return float(np.dot(wx, terms))


def abs_diff_sum(y_sorted, w_sorted) -> float:
    r"""Return :math:`\sum_i \sum_r w_i w_r |y_i - y_r|` for sorted ``y`` in O(n).

    Uses :math:`2 \sum_i w_i (y_i C_i - S_i)` with the cumulative sums over
    the preceding (smaller or equal) values.
    """
    cw, cwy = _cumulative(y_sorted, w_sorted)
    terms = np.maximum(y_sorted * cw[:-1] - cwy[:-1], 0.0)
    return 2.0 * float(np.dot(w_sorted, terms))


def gini(y, w=None) -> float:
    r"""Gini coefficient :math:`G = \sum_i\sum_r w_i w_r |y_i - y_r| / (2 W^2 \mu)`.

    ``W = sum w`` and :math:`\mu` the weighted mean; ``w=None`` gives unit weights.
    """
    y = np.asarray(y, dtype=float)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=float)
    order = np.argsort(y, kind="mergesort")
    ys, ws = y[order], w[order]
    big_w = ws.sum()
    mu = np.dot(ws, ys) / big_w
    return abs_diff_sum(ys - mu, ws) / (2.0 * big_w ** 2 * mu)


def dagum_decompose(y, g, k, w=None) -> dict:
    r"""Dagum (1997) decomposition of the Gini coefficient.

    Parameters
    ----------
    y : ndarray (n,)
        Non-negative values.
    g : ndarray (n,) of int
        Group codes ``0..k-1``, already numbered so that group means are
        non-decreasing (Dagum's ordering, :math:`\mu_1 \le \dots \le \mu_k`).
    k : int
        Number of groups.
    w : ndarray (n,), optional
        Unit weights (e.g. population); unit weights if ``None``.

    Returns
    -------
    dict of ndarrays / floats
        ``G``; ``n`` (weight sum per group), ``mu``, ``p`` (:math:`n_j/n`),
        ``s`` (:math:`n_j\mu_j/(n\mu)`); ``Gjj`` (k,); ``Gjh``, ``d``, ``pt``
        (transvariation :math:`p_{jh}`), ``D`` as (k, k) arrays filled for
        ``j > h`` (``Gjh`` symmetric); ``Gw``, ``Gnb``, ``Gt``; ``total_mu``.

    Notes
    -----
    With weights, every :math:`n_j` becomes a weight sum :math:`W_j` and
    every double sum is weighted by :math:`w_i w_r`:

    .. math::

        G_{jj} = \frac{\sum_i\sum_r w_i w_r |y_{ji}-y_{jr}|}{2 W_j^2 \mu_j},\quad
        G_{jh} = \frac{\sum_i\sum_r w_i w_r |y_{ji}-y_{hr}|}{W_j W_h(\mu_j+\mu_h)},

        d_{jh} = \frac{\sum\sum w_i w_r \max(y_{ji}-y_{hr},0)}{W_j W_h},\quad
        p_{jh} = \frac{\sum\sum w_i w_r \max(y_{hr}-y_{ji},0)}{W_j W_h},\quad
        D_{jh} = \frac{d_{jh}-p_{jh}}{d_{jh}+p_{jh}},

        G_w = \sum_j G_{jj} p_j s_j,\;
        G_{nb} = \sum_{j>h} G_{jh}(p_j s_h + p_h s_j) D_{jh},\;
        G_t = \sum_{j>h} G_{jh}(p_j s_h + p_h s_j)(1 - D_{jh}).
    """
    y = np.asarray(y, dtype=float)
    g = np.asarray(g, dtype=np.intp)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=float)
    big_w = w.sum()
    mu_all = np.dot(w, y) / big_w
    yc = y - mu_all  # centred: differences unchanged, less cancellation

    order = np.argsort(yc, kind="mergesort")
    ys, ws, gs = yc[order], w[order], g[order]
    total_abs = abs_diff_sum(ys, ws)
    G = total_abs / (2.0 * big_w ** 2 * mu_all)

    parts = []
    for j in range(k):
        m = gs == j  # stays sorted within the group
        yj, wj = ys[m], ws[m]
        parts.append((yj, wj, _cumulative(yj, wj)))
    n = np.array([p[1].sum() for p in parts])
    mu = np.array([np.dot(p[1], p[0]) for p in parts]) / n + mu_all
    p_share = n / big_w
    s_share = n * mu / (big_w * mu_all)

    Gjj = np.empty(k)
    for j, (yj, wj, _) in enumerate(parts):
        Gjj[j] = abs_diff_sum(yj, wj) / (2.0 * n[j] ** 2 * mu[j])

    Gjh = np.full((k, k), np.nan)
    d = np.full((k, k), np.nan)
    pt = np.full((k, k), np.nan)
    D = np.full((k, k), np.nan)
    for j in range(k):
        yj, wj, cj = parts[j]
        for h in range(j):
            yh, wh, ch = parts[h]
            pos = positive_part_sum(yj, wj, yh, wh, ch)   # sum max(y_j - y_h, 0)
            neg = positive_part_sum(yh, wh, yj, wj, cj)   # sum max(y_h - y_j, 0)
            nn = n[j] * n[h]
            d[j, h] = pos / nn
            pt[j, h] = neg / nn
            Gjh[j, h] = Gjh[h, j] = (pos + neg) / (nn * (mu[j] + mu[h]))
            tot = pos + neg
            D[j, h] = (pos - neg) / tot if tot > 0 else 0.0

    Gw = float(np.sum(Gjj * p_share * s_share))
    Gnb = 0.0
    Gt = 0.0
    for j in range(k):
        for h in range(j):
            wt = Gjh[j, h] * (p_share[j] * s_share[h] + p_share[h] * s_share[j])
            Gnb += wt * D[j, h]
            Gt += wt * (1.0 - D[j, h])
    return {
        "G": float(G), "n": n, "mu": mu, "p": p_share, "s": s_share, "Gjj": Gjj,
        "Gjh": Gjh, "d": d, "pt": pt, "D": D, "Gw": Gw, "Gnb": float(Gnb),
        "Gt": float(Gt), "total_mu": float(mu_all),
    }
