"""Geographical detector (Wang et al. 2010, 2016) and its optimal discretisation (OPGD).

Implementation behind :func:`spatialnqpf.patterns.geodetector` (see its docstring for the
conventions).  Written here because neither package is right as it stands: R ``GD`` 10.8
drops one-unit strata from q but not from the degrees of freedom, and the PyPI
``geodetector`` 0.2.0 drops one-unit strata and chooses OPGD parameters differently; the
discretisation methods below are transcriptions of ``GD::disc`` (``natural`` of
``BAMMtools::getJenksBreaks``) so that the OPGD choice is GD's.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from ._validation import DataError, format_values

#: discretisation methods of GD 10.8, in its (method-major) search order
METHODS = ("equal", "natural", "quantile", "geometric", "sd")
#: interaction types of GD (boundaries as ``GD::gdinteract``)
INTERACTION_TYPES = ("Weaken, nonlinear", "Weaken, uni-", "Enhance, bi-", "Independent",
                     "Enhance, nonlinear")
_FLT_MAX = float(np.finfo(np.float32).max)


# ---------------------------------------------------------------------------
# discretisation (transcriptions of GD::disc)
# ---------------------------------------------------------------------------
def jenks_breaks(values, n_classes: int) -> np.ndarray:
    """Jenks natural breaks as ``BAMMtools::getJenksBreaks(var, n_classes + 1)`` (C port).

    Returns ``n_classes + 1`` edges: the minimum, then the largest value of each class.
    The dynamic programme keeps BAMMtools' tie rule (``>=``: the last candidate wins) and
    its initialisation; vectorised over the candidate class starts.
    """
    return jenks_breaks_all(values, [n_classes])[int(n_classes)]


def jenks_breaks_all(values, ks) -> dict:
    """:func:`jenks_breaks` for several numbers of classes from one dynamic programme
    (column j of the programme does not depend on the largest number of classes)."""
    d = np.sort(np.asarray(values, float))
    nu = np.unique(d).size
    eff = {int(k): min(int(k), nu) for k in ks}
    k = max(eff.values())
    n = d.size
    mat1 = np.ones((n, k))
    mat2 = np.zeros((n, k))
    mat2[1:, :] = _FLT_MAX
    for l in range(2, n + 1):  # noqa: E741 - names of the C source
        seg = d[:l][::-1]                          # d[l-1], d[l-2], ..., d[0]  (m = 1..l)
        s1 = np.cumsum(seg)                        # the C code's running sums, same order
        s2 = np.cumsum(seg * seg)
        w = np.arange(1, l + 1, dtype=float)
        v = s2 - s1 * s1 / w                       # v for m = 1..l
        i3 = l - np.arange(1, l + 1) + 1           # 1-based start of the last class
        i4 = i3 - 1
        ok = i4 != 0
        if k >= 2 and ok.any():
            cand = v[ok, None] + mat2[i4[ok] - 1, :k - 1]     # (m, j-2)
            cmin = cand.min(axis=0)
            # last m (in the loop order) reaching the minimum
            last = cand.shape[0] - 1 - np.argmax((cand == cmin)[::-1], axis=0)
            upd = mat2[l - 1, 1:] >= cmin
            mat1[l - 1, 1:] = np.where(upd, i3[ok][last], mat1[l - 1, 1:])
            mat2[l - 1, 1:] = np.where(upd, cmin, mat2[l - 1, 1:])
        mat1[l - 1, 0] = 1
        mat2[l - 1, 0] = v[-1]
    out = {}
    for kk, nc in eff.items():
        kclass = np.arange(1, nc + 1, dtype=float)
        kclass[nc - 1] = n
        pos = n
        for j in range(nc, 1, -1):
            idx = int(mat1[pos - 1, j - 1]) - 1
            kclass[j - 2] = idx
            pos = idx
        brks = np.empty(nc + 1)
        brks[0] = d[0]
        brks[1:] = d[kclass.astype(int) - 1]
        out[kk] = brks
    return out


def _quantile_breaks(x, n):
    itv = np.quantile(x, np.linspace(0, 1, n + 1))            # R type 7
    l0 = np.unique(itv).size
    if l0 < n + 1:
        l1 = l2 = l0
        while l2 < n + 1:
            itv1 = np.quantile(x, np.linspace(0, 1, l1 + 1))
            l2 = np.unique(itv1).size
            l1 += 1
        itv = np.unique(itv1)
    return itv


def _geometric_breaks(x, n):
    def fun(v, m):
        x1 = np.asarray(v, float) + 1
        b = (x1.max() / x1.min()) ** (1 / (m - 1))
        x0 = x1.min() / b
        return b ** np.arange(1, m + 1) * x0 - 1

    if x.min() >= 0:
        return fun(x, n)
    rng = np.abs([x.min(), x.max()])
    kmax = int(np.flatnonzero(rng == rng.max())[0])
    kmin = 1 - kmax
    n2 = int(np.floor((n + 1) / (1 + rng[kmin] / rng[kmax])))
    n1 = n + 1 - n2
    itv1 = fun([0, rng[kmin]], n1 + 1)[1:]
    itv2 = fun([0, rng[kmax]], n2 + 1)[1:]
    if kmin == 0:
        return np.concatenate([-itv1[::-1], itv2])
    return np.concatenate([-itv2[::-1], itv1])


def _sd_breaks(x, n):
    seqa = np.arange(2000, 1, -2, dtype=float)
    mu, s = x.mean(), x.std(ddof=1)
    itv = np.array([])
    m = n
    while itv.size < n + 1:
        m += 1
        seqb = (m - 1) - seqa
        seqb = seqb[seqb >= 0]
        div = 2 if m <= 7 else 4
        b1 = (mu - seqb / div * s)[::-1]
        b2 = mu + seqb / div * s
        b1 = b1[b1 > x.min()]
        b2 = b2[b2 < x.max()]
        bb = np.concatenate([b1, b2])
        _, first = np.unique(bb, return_index=True)
        bb = bb[np.sort(first)]
        itv = np.concatenate([[x.min()], bb, [x.max()]])
    return itv


def breaks(values, n: int, method: str = "quantile") -> np.ndarray:
    """Class edges of ``values`` by ``method`` with ``n`` intervals, as ``GD::disc``.

    ``equal`` (n + 1 equal steps from min to max), ``natural`` (Jenks, BAMMtools),
    ``quantile`` (R type 7; fewer classes when quantiles repeat, as GD), ``geometric``
    (GD's geometric progression, which returns ``n`` edges for non-negative data) and
    ``sd`` (mean ± multiples of the standard deviation).
    """
    x = np.asarray(values, float)
    if method == "equal":
        return np.linspace(x.min(), x.max(), n + 1)
    if method == "natural":
        return jenks_breaks(x, n)
    if method == "quantile":
        return _quantile_breaks(x, n)
    if method == "geometric":
        return _geometric_breaks(x, n)
    if method == "sd":
        return _sd_breaks(x, n)
    raise DataError(f"unknown discretisation method {method!r}; choose one of "
                    f"{format_values(METHODS)} or give the break points")


def snap_edges(values, edges, rtol: float = 1e-9) -> np.ndarray:
    """Move the first/last edge onto min/max of ``values`` when it misses them by a
    rounding error (relative ``rtol`` of the range), so that every unit has a stratum."""
    x = np.asarray(values, float)
    e = np.array(edges, float)
    tol = rtol * max(np.ptp(x), abs(x).max(), 1e-300)
    if e[0] > x.min() and e[0] - x.min() <= tol:
        e[0] = x.min()
    if e[-1] < x.max() and x.max() - e[-1] <= tol:
        e[-1] = x.max()
    return e


def cut(values, edges) -> np.ndarray:
    """Stratum codes 0..len(edges)-2 with right-closed intervals, the first closed
    (R ``cut(include.lowest = TRUE)``); -1 for values outside [edges[0], edges[-1]]."""
    x = np.asarray(values, float)
    e = np.asarray(edges, float)
    code = np.searchsorted(e, x, side="left") - 1
    code[x == e[0]] = 0
    code[(x < e[0]) | (x > e[-1])] = -1
    return code


def interval_labels(edges) -> list:
    e = [f"{v:.6g}" for v in edges]
    return [("[" if i == 0 else "(") + f"{e[i]}, {e[i + 1]}]" for i in range(len(edges) - 1)]


# ---------------------------------------------------------------------------
# detectors
# ---------------------------------------------------------------------------
def factor_q(y: np.ndarray, codes: np.ndarray) -> dict:
    """q, F, df, λ and non-central-F p-value of one stratification (all units kept)."""
    n = y.size
    _, inv, cnt = np.unique(codes, return_inverse=True, return_counts=True)
    L = cnt.size
    sums = np.bincount(inv, weights=y)
    means = sums / cnt
    sst = float(((y - y.mean()) ** 2).sum())
    ssw = float(((y - means[inv]) ** 2).sum())
    q = 1 - ssw / sst
    df1, df2 = L - 1, n - L
    with np.errstate(divide="ignore", invalid="ignore"):
        F = (df2 * q) / (df1 * (1 - q)) if q < 1 else np.inf
    lam = (np.sum(means ** 2) - np.sum(np.sqrt(cnt) * means) ** 2 / n) / (sst / n)
    lam = max(lam, 0.0)
    if df1 < 1 or df2 < 1:
        p = np.nan
    elif not np.isfinite(F):
        p = 0.0
    else:
        p = float(stats.ncf.sf(F, df1, df2, lam)) if lam > 0 else float(stats.f.sf(F, df1, df2))
    return {"q": q, "F": F, "df1": df1, "df2": df2, "lambda": lam, "p_value": p,
            "n_strata": L, "ssw": ssw}


def interaction_type(q1: float, q2: float, q12: float) -> str:
    """GD's five interaction types (``GD::gdinteract`` boundaries, exact comparisons)."""
    lo, hi = min(q1, q2), max(q1, q2)
    if q12 < lo:
        return INTERACTION_TYPES[0]
    if q12 <= hi:
        return INTERACTION_TYPES[1]
    if q12 < q1 + q2:
        return INTERACTION_TYPES[2]
    if q12 == q1 + q2:
        return INTERACTION_TYPES[3]
    return INTERACTION_TYPES[4]


def opgd(y: np.ndarray, x: np.ndarray, methods=METHODS, k=range(3, 8)) -> tuple:
    """Best (method, k, edges) by q as ``GD::optidisc``, and the q table (k × method).

    Candidates with repeated edges or an interval holding fewer than 2 units are skipped
    (NaN in the table); the first maximum in method-major order wins.  A value left
    outside the edges by rounding (GD's geometric edges can end a hair below the maximum)
    counts in SST but in no stratum, as in GD, so that the q table and the choice are
    GD's; :func:`snap_edges` then closes the chosen edges on the data range.
    """
    k = list(k)
    table = pd.DataFrame(np.nan, index=pd.Index(k, name="k"), columns=list(methods))
    best = None
    jenks = jenks_breaks_all(x, k) if "natural" in methods else {}
    for m in methods:
        for kk in k:
            e = jenks[kk] if m == "natural" else breaks(x, kk, m)
            if np.unique(e).size != e.size:
                continue
            codes = cut(x, e)
            out = codes < 0
            cnt = np.bincount(codes[~out], minlength=e.size - 1)
            if cnt.min() < 2:
                continue
            if out.any():   # GD: outside units add to SST only (each its own 0-SSW group)
                codes = codes.copy()
                codes[out] = e.size + np.arange(out.sum())
            q = factor_q(y, codes)["q"]
            table.loc[kk, m] = q
            if best is None or q > best[0]:
                best = (q, m, kk, e)
    if best is None:
        raise DataError("OPGD found no admissible discretisation (every candidate has "
                        "repeated breaks or an interval with fewer than 2 units)")
    return best[1], best[2], best[3], table


def welch(y1, y2):
    n1, n2 = y1.size, y2.size
    v1, v2 = y1.var(ddof=1), y2.var(ddof=1)
    se2 = v1 / n1 + v2 / n2
    if se2 <= 0:
        return np.nan, np.nan, np.nan
    t = (y1.mean() - y2.mean()) / np.sqrt(se2)
    df = se2 ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    return t, df, float(2 * stats.t.sf(abs(t), df))


def risk(y, codes, labels, alpha):
    uniq, inv, cnt = np.unique(codes, return_inverse=True, return_counts=True)
    means = np.bincount(inv, weights=y) / cnt
    lab = [labels[c] for c in uniq]
    mean_tab = pd.DataFrame({"stratum": lab, "n": cnt, "mean": means})
    rows = []
    for a, b in combinations(range(uniq.size), 2):
        if cnt[a] < 2 or cnt[b] < 2:
            continue
        t, df, p = welch(y[inv == a], y[inv == b])
        rows.append({"stratum_a": lab[a], "stratum_b": lab[b], "t": t, "df": df,
                     "p_value": p, "significant": bool(p < alpha) if np.isfinite(p) else False})
    cols = ["stratum_a", "stratum_b", "t", "df", "p_value", "significant"]
    return mean_tab, pd.DataFrame(rows, columns=cols)


def ecological(ssw_a, ssw_b, n, alpha):
    F = ssw_a / ssw_b if ssw_b > 0 else np.inf
    if np.isfinite(F) and F > 0:
        p = float(min(1.0, 2 * min(stats.f.cdf(F, n - 1, n - 1), stats.f.sf(F, n - 1, n - 1))))
    else:
        p = 0.0
    return F, p, p < alpha
