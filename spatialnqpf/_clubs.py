r"""Phillips–Sul log t test, club clustering and club merging (behind
:func:`spatialnqpf.dynamics.club_convergence`).

A numpy transcription of R ``ConvergenceClubs`` 2.2.5 (Sichera & Pizzuto 2019:
``computeH``, ``estimateMod`` with the ``FQSB`` HAC of ``ps_andrews_hac``, ``coreG``,
``club``, ``findClubs``, ``mergeClubs``); written here because no Python package
implements the procedure (Stata ``psecta`` and R ``ConvergenceClubs`` only).

References
----------
Phillips, P. C. B. & Sul, D. (2007). Transition modeling and econometric convergence
tests. *Econometrica* 75(6), 1771-1855.

Phillips, P. C. B. & Sul, D. (2009). Economic transition and growth. *Journal of Applied
Econometrics* 24(7), 1153-1185.

von Lyncker, K. & Thoennessen, R. (2017). Regional club convergence in the EU: evidence
from a panel data analysis. *Empirical Economics* 52(2), 525-553.

Sichera, R. & Pizzuto, P. (2019). ConvergenceClubs: a package for performing the Phillips
and Sul's club convergence clustering procedure. *The R Journal* 11(2), 142-151.
"""
from __future__ import annotations


import numpy as np
import pandas as pd
from scipy import stats

from ._results import EstimationResults, as_mapping
from ._validation import DataError, check_panel, format_values

THRESHOLD = -1.65


def compute_H(X: np.ndarray) -> np.ndarray:
    """H_t = mean_i (h_it − 1)², h_it = x_it / mean_i x_it (X: units × periods)."""
    h = X / X.mean(axis=0, keepdims=True)
    return ((h - 1) ** 2).mean(axis=0)


def andrews_hac(x: np.ndarray) -> float:
    """Long-run variance of ``x`` as ConvergenceClubs' ``ps_andrews_hac`` (quadratic
    spectral kernel, Andrews' AR(1) plug-in bandwidth), transcribed as written."""
    t = x.size
    x1, x2 = x[:-1], x[1:]
    b1 = (x1 * x2).sum() / (x1 ** 2).sum()
    a = (4 * b1 ** 2) / ((1 - b1) ** 4)
    B = 1.3221 * (a * t) ** 0.2
    ll = np.arange(1, t)
    z = 1.2 * np.pi * ll / B
    k = (np.sin(z) / z - np.cos(z)) * (3 / z ** 2)
    t2 = t - 1
    out = 0.0
    for i in range(1, t2):
        o = float(x[:t2 - i] @ x[i:t2]) * k[i - 1] / t2
        out += 2 * o
    return out + float(x @ x) / t2


def log_t(H: np.ndarray, time_trim: float = 1 / 3) -> dict:
    """log(H_1/H_t) − 2 log log t = a + b log t for t = round(T·time_trim) + 1, …, T;
    b, its HAC standard error, t = b/se and p = Φ(t) (``estimateMod``, FQSB)."""
    nT = H.size
    start = int(np.round(nT * time_trim)) + 1
    rT = np.arange(start, nT + 1, dtype=float)
    logt = np.log(rT)
    rH = np.log(H[0] / H[rT.astype(int) - 1]) - 2 * np.log(logt)
    Xm = np.column_stack([np.ones_like(logt), logt])
    coef, *_ = np.linalg.lstsq(Xm, rH, rcond=None)
    r = rH - Xm @ coef
    hac = andrews_hac(r)
    se = float(np.sqrt(np.linalg.inv(Xm.T @ Xm)[1, 1] * hac))
    b = float(coef[1])
    tv = b / se
    return {"beta": b, "std_error": se, "t": tv, "p_value": float(stats.norm.cdf(tv)),
            "intercept": float(coef[0]), "n_periods": int(rT.size)}


def _t(X, rows, trim):
    return log_t(compute_H(X[rows]), trim)["t"]


def _core(X, trim):
    """Core group (``coreG``, type "max"): the first consecutive pair with t > −1.65,
    extended while t stays above it; the group of largest |t|.  None if no pair passes."""
    nr = X.shape[0]
    for i in range(2, nr + 1):
        tv = _t(X, [i - 2, i - 1], trim)
        if tv > THRESHOLD:
            if i == nr:
                return [i - 2, i - 1]
            break
        elif i == nr:
            return None
    units = [i - 2, i - 1]
    groups, vt = [list(units)], [tv]
    k = i
    while k < nr:
        k += 1
        units = units + [k - 1]
        tv = _t(X, units, trim)
        if tv > THRESHOLD:
            vt.append(tv)
            groups.append(list(units))
        else:
            break
    va = np.abs(vt)
    return groups[int(np.flatnonzero(va == va.max())[0])]


def _club(X, core, trim, cstar, cstar_method, cstar_increment, cstar_cap):
    nr = X.shape[0]
    rest = [r for r in range(nr) if r not in core]
    if cstar_increment <= 0:
        cstar_method = "fixed"
    while True:
        tv = np.array([_t(X, core + [r], trim) for r in rest])
        cand = [r for r, t in zip(rest, tv) if t > cstar]
        rows = list(core) + cand
        mod = log_t(compute_H(X[rows]), trim)
        if mod["t"] > THRESHOLD or cstar_method == "fixed":
            break
        if cstar <= cstar_cap:
            cstar += cstar_increment
        else:
            rows = list(core)
            break
    return rows, mod, cstar


def find_clubs(X: np.ndarray, trim: float = 1 / 3, cstar: float = 0.0,
               cstar_method: str = "fixed", cstar_increment: float = 0.1,
               cstar_cap: float = 3.0):
    """Club clustering (``findClubs``): list of (row indices into X, model, cstar) and the
    divergent rows.  Units are sorted by their last-period value, decreasing."""
    order = np.argsort(-X[:, -1], kind="stable")
    remaining = list(order)
    clubs, divergent = [], []
    while True:
        if len(remaining) == 1:
            divergent = list(remaining)
            break
        if not remaining:
            break
        D = X[remaining]
        mod = log_t(compute_H(D), trim)
        if mod["t"] > THRESHOLD:
            clubs.append((list(remaining), mod, cstar))
            break
        core = _core(D, trim)
        if core is None:
            divergent = list(remaining)
            break
        rows, mod, cs = _club(D, core, trim, cstar, cstar_method, cstar_increment, cstar_cap)
        clubs.append(([remaining[r] for r in rows], mod, cs))
        remaining = [u for j, u in enumerate(remaining) if j not in set(rows)]
    return clubs, divergent


def merge_clubs(X, clubs, trim=1 / 3, method="PS"):
    """Club merging (``mergeClubs``): Phillips & Sul (2009) ``"PS"`` or von Lyncker &
    Thoennessen (2017) ``"vLT"``.  Returns a list of (initial club numbers, rows, model)."""
    ll = len(clubs)
    if ll < 2:
        return [([1], list(c[0]), c[1]) for c in clubs]
    out = []
    i = 1
    append_last = False
    while i < ll:
        units = list(clubs[i - 1][0])
        names = [i]
        k = i
        for k in range(i + 1, ll + 1):
            add = list(clubs[k - 1][0])
            tv = log_t(compute_H(X[units + add]), trim)["t"]
            if tv > THRESHOLD:
                if method == "vLT" and k <= ll - 1:
                    nxt = list(clubs[k - 1][0]) + list(clubs[k][0])
                    tv2 = log_t(compute_H(X[nxt]), trim)["t"]
                    if tv > tv2:
                        units += add
                        names.append(k)
                    else:
                        break
                else:
                    units += add
                    names.append(k)
            else:
                if k == ll:
                    append_last = True
                break
        i = k
        out.append((names, units, log_t(compute_H(X[units]), trim)))
        if append_last:
            out.append(([ll], list(clubs[ll - 1][0]), clubs[ll - 1][1]))
    return out


class ClubConvergenceResult(EstimationResults):
    """Result of :func:`spatialnqpf.dynamics.club_convergence` (read-only).

    An :class:`~spatialnqpf._results.EstimationResults` whose parameters are the log t
    slopes b: ``"panel"`` (all units), ``"club1"``… (initial clubs) and ``"merged1"``…
    (merged clubs); ``bse`` the HAC standard errors, ``tvalues`` t = b/se and
    ``pvalues`` the one-sided Φ(t) of ConvergenceClubs (convergence is rejected when
    t < −1.65).

    Attributes
    ----------
    clubs, merged : DataFrame
        One row per club: ``club``, (``from_clubs``), ``n``, ``beta``, ``std_error``,
        ``t``, ``p_value``, ``members`` (tuple of ids).
    divergent : tuple
        Ids in no club.
    membership : DataFrame
        Per id: ``club`` and ``merged_club`` (0 = divergent).
    transition : DataFrame
        Relative transition paths h_it = x_it / mean_i x_it (index id, columns periods).
    data : DataFrame
        The series used (after the optional log and filter), index id, columns periods.
    """

    _title = "Club convergence (Phillips-Sul log t test)"

    def __init__(self, params, bse, *, clubs, merged, divergent, membership, transition,
                 data, info):
        self._init_estimates(params, bse=bse, df_resid=None, warn=False)
        self.clubs, self.merged = clubs, merged
        self.divergent = tuple(divergent)
        self.membership, self.transition, self.data = membership, transition, data
        self.info = as_mapping(info)
        self._freeze()

    @property
    def pvalues(self) -> pd.Series:
        """One-sided Φ(t) (ConvergenceClubs' p-value)."""
        return pd.Series(stats.norm.cdf(self.tvalues.to_numpy()), index=self._params.index)

    @property
    def converges(self) -> bool:
        """Whether the whole panel converges (t > −1.65)."""
        return bool(self.tvalues["panel"] > THRESHOLD)

    def tidy(self, kind: str = "params", level: float = 0.95, **kwargs):
        if kind != "params":
            raise ValueError("ClubConvergenceResult has no effects")
        from ._results import tidy_from_arrays
        out = tidy_from_arrays(self._params.index, self._params.to_numpy(),
                               self._bse.to_numpy(), level=level,
                               p_value=self.pvalues.to_numpy())
        out.attrs["flags"] = [tuple(f) for f in self.flags]
        return out

    def to_frame(self):
        return self.merged if self.merged is not None else self.clubs

    def _summary_notes(self):
        t = self.tvalues["panel"]
        lines = [f"Full panel: b = {self._params['panel']:.4f}, t = {t:.2f} "
                 f"({'converges' if t > THRESHOLD else 'convergence rejected'}, "
                 "critical value -1.65)",
                 "", "Initial clubs:", self.clubs.drop(columns="members").to_string(index=False)]
        if self.divergent:
            lines.append(f"Divergent: {format_values(self.divergent)}")
        lines.append(f"Settings: {dict(self.info)}")
        return lines


def club_convergence(data: pd.DataFrame, value: str, *, id: str = "code",
                     time: str = "year", log: bool = False, filter: str | None = None,
                     hp_lambda: float = 400.0, time_trim: float = 1 / 3,
                     cstar: float = 0.0, cstar_method: str = "fixed",
                     cstar_increment: float = 0.1, cstar_cap: float = 3.0,
                     merge: str | None = "PS") -> ClubConvergenceResult:
    r"""Phillips–Sul (2007) log t convergence test, club clustering and merging.

    On the values as given (``log=True`` takes logs first; ``filter="hp"`` replaces each
    unit's series by its Hodrick–Prescott trend, ``hp_lambda`` = 400 as Phillips & Sul
    for annual data, statsmodels' ``hpfilter``):

    .. math::

        h_{it} = \frac{x_{it}}{N^{-1}\sum_i x_{it}}, \qquad
        H_t = \frac1N \sum_i (h_{it} - 1)^2, \qquad
        \log\frac{H_1}{H_t} - 2\log\log t = a + b\log t + u_t

    for t = round(T·``time_trim``) + 1, …, T (``time_trim`` = 1/3); the standard error
    of b is ConvergenceClubs' HAC (quadratic spectral kernel, Andrews bandwidth,
    ``FQSB``); convergence is not rejected when t_b > −1.65.

    Clubs as R ``ConvergenceClubs::findClubs`` (units ordered by the last period,
    decreasing; core group of largest |t| among the first passing consecutive units;
    units added when t > ``cstar``, ``cstar_method="fixed"`` or ``"incremental"``;
    repeated on the remaining units; a unit left alone, or no core, is divergent) and
    merged as ``mergeClubs`` (``merge="PS"``: Phillips & Sul 2009, adjacent clubs merged
    while the joint t > −1.65; ``"vLT"``: von Lyncker & Thoennessen 2017, merged only
    if that t exceeds the next pair's; ``None``: no merging).  Initial and merged clubs
    are both in the result.

    Returns
    -------
    ClubConvergenceResult

    Raises
    ------
    PanelError
        Unbalanced panel.
    DataError
        Missing values, non-positive values with ``log=True``, a zero cross-sectional
        mean, series too short for the HP filter (T < 5) or for the regression
        (T − round(T·time_trim) < 2).
    """
    df = check_panel(data, id, time, columns=[value], balanced=True)
    W = df.pivot(index=id, columns=time, values=value).sort_index(axis=1)
    X = W.to_numpy(float)
    nT = X.shape[1]
    if X.shape[0] < 3:
        raise DataError(f"club convergence needs at least 3 units, got {X.shape[0]}")
    if not 0 < time_trim < 1:
        raise DataError(f"time_trim must be in (0, 1), got {time_trim}")
    if nT - int(np.round(nT * time_trim)) < 2:
        raise DataError(f"series too short: {nT} periods leave fewer than 2 after trimming "
                        f"{time_trim:.3g} of them")
    if log:
        if (X <= 0).any():
            bad = [W.index[i] for i in np.unique(np.nonzero(X <= 0)[0])]
            raise DataError(f"log=True needs positive values; not for {id} "
                            f"{format_values(bad)}")
        X = np.log(X)
    if filter is not None:
        if filter != "hp":
            raise DataError(f"filter must be None or 'hp', got {filter!r}")
        if nT < 5:
            raise DataError(f"series too short for the HP filter: {nT} periods (need 5)")
        from statsmodels.tsa.filters.hp_filter import hpfilter
        X = np.vstack([np.asarray(hpfilter(row, lamb=hp_lambda)[1]) for row in X])
    if np.any(np.abs(X.mean(axis=0)) == 0):
        raise DataError("a period has a zero cross-sectional mean; h_it is undefined")
    if cstar_method not in ("fixed", "incremental"):
        raise DataError(f"cstar_method must be 'fixed' or 'incremental', got {cstar_method!r}")
    if merge not in (None, "PS", "vLT"):
        raise DataError(f"merge must be 'PS', 'vLT' or None, got {merge!r}")
    ids = W.index
    full = log_t(compute_H(X), time_trim)
    clubs, div = find_clubs(X, time_trim, cstar, cstar_method, cstar_increment, cstar_cap)
    names, b, se = ["panel"], [full["beta"]], [full["std_error"]]
    crow = []
    memb = pd.DataFrame({"club": 0, "merged_club": 0}, index=ids)
    for k, (rows, mod, cs) in enumerate(clubs, start=1):
        names.append(f"club{k}")
        b.append(mod["beta"])
        se.append(mod["std_error"])
        crow.append({"club": k, "n": len(rows), "beta": mod["beta"],
                     "std_error": mod["std_error"], "t": mod["t"], "p_value": mod["p_value"],
                     "cstar": cs, "members": tuple(ids[rows])})
        memb.iloc[rows, 0] = k
    merged = None
    if merge is not None:
        mrow = []
        for k, (from_c, rows, mod) in enumerate(merge_clubs(X, clubs, time_trim, merge), 1):
            names.append(f"merged{k}")
            b.append(mod["beta"])
            se.append(mod["std_error"])
            mrow.append({"club": k, "from_clubs": tuple(from_c), "n": len(rows),
                         "beta": mod["beta"], "std_error": mod["std_error"], "t": mod["t"],
                         "p_value": mod["p_value"], "members": tuple(ids[rows])})
            memb.iloc[rows, 1] = k
        merged = pd.DataFrame(mrow)
    h = X / X.mean(axis=0, keepdims=True)
    info = {"log": log, "filter": filter, "hp_lambda": hp_lambda if filter else None,
            "time_trim": time_trim, "cstar": cstar, "cstar_method": cstar_method,
            "merge": merge, "n": X.shape[0], "T": nT}
    return ClubConvergenceResult(
        pd.Series(b, index=names), pd.Series(se, index=names), clubs=pd.DataFrame(crow),
        merged=merged, divergent=tuple(ids[div]), membership=memb,
        transition=pd.DataFrame(h, index=ids, columns=W.columns),
        data=pd.DataFrame(X, index=ids, columns=W.columns), info=info)
