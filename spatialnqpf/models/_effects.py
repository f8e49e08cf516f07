"""Direct, indirect and total effects (LeSage & Pace 2009) with inference.

Shared by the cross-section and panel estimators.  The model-specific code only
builds an :class:`EffectsCore` (weights, variable names, model type) and passes it
to :class:`spatialnqpf.models.results.SpatialResults`; users call
``res.effects(...)``.

Definitions
-----------
For the lag models (SAR, SDM, SAC) with A(ρ) = I − ρW,

    S_k(ρ) = A(ρ)^{-1} (β_k I + θ_k W)            (θ_k = 0 for SAR/SAC)
    direct_k   = tr(S_k) / n = [β_k tr(A^{-1}) + θ_k tr(A^{-1} W)] / n
    total_k    = ι′ S_k ι / n   (= (β_k + θ_k) / (1 − ρ) for row-standardised W)
    indirect_k = total_k − direct_k

Note that spreg's SDM "full" direct effect is β_k tr(A^{-1})/n: it omits the term
θ_k tr(A^{-1}W)/n (docs/anchors.md item 1).  We compute the LeSage–Pace quantity.

For SLX and SDEM the matrix of partial derivatives is S_k = β_k I + θ_k W, so
direct = tr(S_k)/n = β_k + θ_k tr(W)/n and total = ι′S_k ι/n = β_k + θ_k ι′Wι/n; with a
row-standardised W (zero diagonal) these are β_k and β_k + θ_k, i.e. indirect = θ_k.  For
a W that is not row-standardised (e.g. binary) the indirect effect is θ_k times the average
row sum; R ``spatialreg::impacts`` of ``lmSLX``/SDEM reports θ_k unscaled in that case.
For OLS and SEM: direct = β_k, indirect = 0.

Computation
-----------
``method="exact"`` (n ≤ 2 000 by default): eigenvalues ω of W give
tr(A^{-1}) = Σ 1/(1 − ρω) and tr(A^{-1}W) = Σ ω/(1 − ρω) for any ρ at O(n) per draw;
the total uses ι′A^{-1}ι = n/(1 − ρc) when all row sums equal c, otherwise an
eigen-decomposition (checked against a direct solve) or a sparse solve per draw.
``method="traces"`` (large n): tr(A^{-1}) = Σ_{q≥0} ρ^q tr(W^q) and
tr(A^{-1}W) = Σ_q ρ^q tr(W^{q+1}) truncated at ``q_max`` powers, with traces exact
(sparse) or by Hutchinson's Monte Carlo estimator (:func:`power_traces`), and
ι′W^qι computed exactly by repeated products.  This is the approach of R
``spatialreg::impacts(..., tr = trW(...))``.

Inference
---------
``"simulation"``: draw (β, θ, ρ) from N(θ̂, V̂) (``nsim`` draws, default 1 000, seeded),
compute the effects for each draw and report their standard deviation (t = point / sd,
two-sided normal p-values) and 2.5/97.5 % percentiles.  Draws with ρ outside the
admissible interval are discarded and counted.
``"delta"``: V(effects) = J V̂ J′ with J the Jacobian (central differences) of the
effects with respect to (β, θ, ρ).

References
----------
LeSage, J. & Pace, R. K. (2009). Introduction to Spatial Econometrics. CRC, ch. 2.7, 4.
Elhorst, J. P. (2014). Spatial Econometrics: From Cross-Sectional Data to Spatial Panels,
Springer, ch. 2.7.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy import stats

from .._validation import as_generator
from ._logdet import EIGEN_MAX_N, HutchinsonPowers, _as_csr, power_traces
from ._taxonomy import LAG_MODELS, MODEL_NAMES, normalise_model

__all__ = ["EffectsCore", "summarise_draws", "finish_effects_frame", "LAG_MODELS", "ERROR_DURBIN_MODELS"]

# models whose effects involve (I − ρW)^{-1}: LAG_MODELS (models/_taxonomy.py);
#: models whose effects are linear in the coefficients (β direct, θ indirect)
ERROR_DURBIN_MODELS = tuple(m for m in MODEL_NAMES if m not in LAG_MODELS)


def _spectral_radius_bound(W, eigenvalues=None) -> float:
    """Upper bound r̄ ≥ spectral radius of W (1.0 for row-standardised W).

    max|ω| from the eigenvalues when given; otherwise the Collatz–Wielandt bound
    max_i (|W|+I)x_i / x_i − 1 after power iterations on |W| + I from x = ι (x stays positive;
    |ρ(W)| ≤ ρ(|W|)), never above min(‖W‖_∞, ‖W‖_1).
    """
    n = W.shape[0]
    if n == 0:
        return 1.0
    absW = abs(W).tocsr()
    bound = float(min(np.asarray(absW.sum(axis=1)).max(), np.asarray(absW.sum(axis=0)).max()))
    if eigenvalues is not None:
        bound = min(bound, float(np.max(np.abs(np.asarray(eigenvalues)))) * (1 + 1e-12))
    else:
        x = np.ones(n)
        for _ in range(100):
            y = absW @ x + x
            bound = min(bound, float(np.max(y / x)) - 1.0)
            x = y / y.max()
    if np.isclose(bound, 1.0, rtol=1e-12, atol=1e-12) or bound <= 0:
        return 1.0
    return bound


class EffectsCore:
    """Everything needed to turn estimates into effects, independent of the estimator.

    Parameters
    ----------
    W : sparse (n, n)
        Weights of the spatial lag (aligned to ``ids``).  For panels pass the n × n
        cross-section W, not the kron(I_T, W) block matrix.
    xnames : list of str
        Regressors whose effects are reported.  Their coefficients are read from the
        parameter Series under ``name`` (β) and ``"W_" + name`` (θ, if present).
    model : str
        ``"sar"``, ``"sdm"``, ``"sac"`` (lag type: need ``"rho"``), ``"slx"``, ``"sdem"``,
        ``"sem"``, ``"ols"`` (linear).
    ids : sequence, optional
        Unit ids (labels of :meth:`matrix`).
    method : {"auto", "exact", "traces"}
        ``"auto"``: exact for n ≤ 2 000, traces above.
    q_max : int
        Minimum number of powers in the trace series (``"traces"``); raised automatically so
        that the truncation error a^(q+1)/(1 − a), a = |ρ| r̄ with r̄ = min(‖W‖_∞, ‖W‖_1) ≥ the
        spectral radius (r̄ = 1 for row-standardised W), stays below 1e-10 for the largest |ρ|
        evaluated (at most 5 000).
    trace_method : {"auto", "exact", "mc"}
        How tr(W^q) are obtained for ``"traces"`` (auto: exact for n ≤ 2 000).
    trace_nsim, trace_seed : Monte Carlo settings of the traces.
    bounds : (float, float), optional
        Admissible interval of ρ (simulated draws outside are discarded).
    rho_name : str
        Name of the lag parameter (default ``"rho"``).

    Attributes
    ----------
    method : str
        ``"exact"`` or ``"traces"`` (with ``trace_method``) — reported in results.info.
    """

    def __init__(self, W, xnames, model: str, ids=None, method: str = "auto", q_max: int = 100,
                 trace_method: str = "auto", trace_nsim: int = 50, trace_seed: int = 0,
                 bounds=None, rho_name: str = "rho", eigenvalues=None):
        W = _as_csr(W)
        self.W = W
        self.n = n = W.shape[0]
        self.xnames = list(xnames)
        self.model = normalise_model(model)
        self.ids = None if ids is None else list(ids)
        self.rho_name = rho_name
        self.bounds = bounds
        self.lag = self.model in LAG_MODELS
        if method == "auto":
            method = "exact" if n <= EIGEN_MAX_N else "traces"
        if method not in ("exact", "traces"):
            raise ValueError(f"unknown effects method {method!r}; use 'auto', 'exact' or 'traces'")
        self.method = method
        self.trace_method = None
        # linear models: S = beta I + theta W, tr(S)/n and iota'S iota/n need tr(W)/n, iota'W iota/n
        self._wtr = float(W.diagonal().sum()) / n if n else 0.0
        self._wsum = float(W.sum()) / n if n else 0.0
        if not self.lag:
            return
        rs = np.asarray(W.sum(axis=1)).ravel()
        self._rowconst = float(rs[0]) if np.allclose(rs, rs[0], rtol=1e-12, atol=1e-12) else None
        if method == "exact":
            D = W.toarray()
            if eigenvalues is None:
                from ._logdet import eigenvalues as _eig
                ev, V = _eig(W), None
            else:
                ev, V = np.asarray(eigenvalues), None
            self._ev = ev
            self._ab = None
            self._dense = D
            if self._rowconst is None:
                if V is None:
                    ev, V = np.linalg.eig(D)
                    self._ev = ev
                try:
                    a = np.ones(n) @ V
                    b = np.linalg.solve(V, np.ones(n))
                    self._ab = a * b
                    # check the decomposition at rho = 0.5 * upper bound against a solve
                    r = 0.5 / max(np.max(np.real(ev)), 1e-12)
                    direct = np.ones(n) @ np.linalg.solve(np.eye(n) - r * D, np.ones(n))
                    via = np.real(np.sum(self._ab / (1 - r * ev)))
                    if not np.isclose(direct, via, rtol=1e-9):
                        self._ab = None
                except np.linalg.LinAlgError:
                    self._ab = None
        else:
            if trace_method == "auto":
                trace_method = "exact" if n <= EIGEN_MAX_N else "mc"
            self.trace_method = trace_method
            self.q_max = q_max
            # upper bound on the spectral radius: the terms of the power series decay like
            # (|rho| rad)^q, and the series is evaluated on W / rad to avoid overflow
            self._rad = None  # computed on first use by _lag_traces
            self._trace_args = (trace_nsim, trace_seed, eigenvalues)
            self._tr = None  # computed on first use (effects are often not needed)

    def share_probes(self, hp=None):
        """Evaluate the trace series with the Hutchinson probe block ``hp`` of the unscaled,
        row-standardised W (spectral radius 1), so that another computation on the same
        probes (the information-matrix traces, the dynamic bias traces) and the effects
        extend one series of powers; ``hp=None`` makes the core's own block
        (``trace_nsim`` vectors, ``trace_seed``) now.  Returns the block."""
        if hp is None:
            hp = HutchinsonPowers(self.W, *self._trace_args[:2])
        self._hutch, self._rad, self._tr = hp, 1.0, None
        return hp

    def _ensure_traces(self):
        if self._tr is not None:
            return
        q_max, n, rad = self.q_max, self.n, self._rad
        W = self.W if rad == 1.0 else (self.W * (1.0 / rad)).tocsr()   # scaled: radius <= 1
        nsim, seed, ev = self._trace_args
        if self.trace_method == "exact" and ev is not None:
            ev = np.asarray(ev) / rad
            self._tr = np.real(np.array([np.sum(ev ** q) for q in range(q_max + 2)]))
        elif self.trace_method == "mc":
            # one probe block for the life of the core: more powers (the simulated draws reach
            # larger |rho| than the estimate) extend the series instead of starting again
            hp = getattr(self, "_hutch", None)
            if hp is None or hp.W.shape != W.shape:
                hp = self._hutch = HutchinsonPowers(W, nsim, seed)
            self._tr = hp.traces(q_max + 1)
        else:
            self._tr = power_traces(W, q_max + 1, self.trace_method, nsim, seed)
        s = np.empty(q_max + 2)
        v = np.ones(n)
        for q in range(q_max + 2):
            s[q] = v.sum() / n
            v = W @ v
        self._s = s  # ι′(W/rad)^qι / n;  _tr[q] = tr((W/rad)^q)

    # ------------------------------------------------------------------ core
    def _lag_traces(self, rho):
        """Vectorised over rho (m,): (tr(A^{-1})/n, tr(A^{-1}W)/n, ι′A^{-1}ι/n, ι′A^{-1}Wι/n)."""
        rho = np.atleast_1d(np.asarray(rho, dtype=float))
        n = self.n
        if self.method == "exact":
            ev = self._ev
            den = 1 - np.outer(rho, ev)
            t0 = np.real(np.sum(1.0 / den, axis=1)) / n
            t1 = np.real(np.sum(ev / den, axis=1)) / n
            if self._rowconst is not None:
                c = self._rowconst
                s0 = 1.0 / (1 - rho * c)
                s1 = c / (1 - rho * c)
            elif self._ab is not None:
                s0 = np.real(np.sum(self._ab / den, axis=1)) / n
                s1 = np.real(np.sum(self._ab * ev / den, axis=1)) / n
            else:
                s0 = np.empty_like(rho)
                s1 = np.empty_like(rho)
                one = np.ones(n)
                w1 = self.W @ one
                I = sp.identity(n, format="csc")
                for i, r in enumerate(rho):
                    lu = spla.splu((I - r * self.W).tocsc())
                    s0[i] = lu.solve(one).sum() / n
                    s1[i] = lu.solve(w1).sum() / n
            return t0, t1, s0, s1
        if self._rad is None:
            self._rad = _spectral_radius_bound(self.W, self._trace_args[2])
        # enough powers for the largest |rho|: the terms rho^q tr(W^q)/n and rho^q iota'W^q iota/n
        # are bounded by a^q, a = |rho| rad; truncation error ~ a^(q+1) / (1 - a) < 1e-10
        r = float(np.max(np.abs(rho))) * self._rad if rho.size else 0.0
        need = int(np.ceil(np.log(1e-10 * (1 - r)) / np.log(r))) if 0 < r < 1 else (
            5000 if r >= 1 else 0)
        if min(need, 5000) > self.q_max:
            self.q_max = min(need, 5000)
            self._tr = None
        self._ensure_traces()
        q = np.arange(self.q_max + 1)
        rad = self._rad
        # rho^q W^q = (rho rad)^q (W/rad)^q and W^(q+1) = rad (W/rad)^(q+1)
        P = (rho * rad)[:, None] ** q[None, :]
        t0 = P @ self._tr[: self.q_max + 1] / n
        t1 = rad * (P @ self._tr[1: self.q_max + 2]) / n
        s0 = P @ self._s[: self.q_max + 1]
        s1 = rad * (P @ self._s[1: self.q_max + 2])
        return t0, t1, s0, s1

    def _names(self, params_index):
        idx = pd.Index(params_index)
        missing = [x for x in self.xnames if x not in idx]
        if missing:
            raise KeyError(f"effects variables not among the parameters: {missing}")
        tnames = [("W_" + x) if ("W_" + x) in idx else None for x in self.xnames]
        return idx, tnames

    def _vector_index(self, params_index):
        """Positions in params of (β..., θ... (present ones), ρ)."""
        idx, tnames = self._names(params_index)
        pos_b = [idx.get_loc(x) for x in self.xnames]
        pos_t = [idx.get_loc(t) for t in tnames if t is not None]
        pos_r = [idx.get_loc(self.rho_name)] if self.lag else []
        return pos_b, pos_t, pos_r, tnames

    def point(self, params: pd.Series) -> pd.DataFrame:
        """Effects at the parameter values ``params`` (rows xnames; direct, indirect, total)."""
        pb, pt, pr, tn = self._vector_index(params.index)
        vec = params.to_numpy(dtype=float)
        d, t = self._from_vectors(vec[None, :], pb, pt, pr, tn)
        d, t = d[0], t[0]
        return pd.DataFrame({"direct": d, "indirect": t - d, "total": t}, index=self.xnames)

    def _from_vectors(self, V, pb, pt, pr, tnames):
        """V (m, p) parameter draws → direct (m, k), total (m, k)."""
        B = V[:, pb]
        Th = np.zeros_like(B)
        j = 0
        for i, tname in enumerate(tnames):
            if tname is not None:
                Th[:, i] = V[:, pt[j]]
                j += 1
        if not self.lag:
            return B + Th * self._wtr, B + Th * self._wsum
        rho = V[:, pr[0]]
        t0, t1, s0, s1 = self._lag_traces(rho)
        direct = B * t0[:, None] + Th * t1[:, None]
        total = B * s0[:, None] + Th * s1[:, None]
        return direct, total

    def compute(self, params: pd.Series, cov: pd.DataFrame, method: str = "simulation",
                nsim: int = 1000, seed: int = 0, level: float = 0.95,
                point: str = "estimate") -> pd.DataFrame:
        """Effects with standard errors.

        ``point="estimate"`` (default) reports the effects at θ̂ (as R ``spatialreg::impacts``);
        ``point="mean"`` reports the mean of the simulated draws, as Elhorst's MATLAB code and
        Stata ``xsmle`` do (simulation only; t = mean / sd).

        Returns a new DataFrame: rows = xnames; columns direct, indirect, total, then
        ``<effect>_se``, ``<effect>_t``, ``<effect>_p`` and (simulation) ``<effect>_lo``,
        ``<effect>_hi`` percentile limits.  ``attrs`` records the method, nsim, seed and the
        number of discarded draws.
        """
        from .._validation import ArgumentError, as_count
        if method not in ("simulation", "delta", "none"):
            raise ArgumentError(f"unknown effects inference method {method!r}; use "
                                "'simulation', 'delta' or 'none' (point effects only)")
        if point not in ("estimate", "mean"):
            raise ArgumentError(f"point must be 'estimate' or 'mean', got {point!r}")
        if point == "mean" and method != "simulation":
            raise ArgumentError("point='mean' needs method='simulation'")
        if method == "simulation":
            nsim = as_count(nsim, "nsim", minimum=2)
        if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
            raise ArgumentError(f"level must be a number in (0, 1), got {level!r}")
        pt_ = self.point(params)
        if method == "none":  # point effects at the estimates, no inference
            out = pt_.copy()
            out.attrs = {"inference": "none (point effects at the estimates)",
                         "effects_method": self.method, "trace_method": self.trace_method,
                         "model": self.model}
            return out
        pb, pt, pr, tn = self._vector_index(params.index)
        sel = pb + pt + pr
        theta = params.to_numpy(dtype=float)
        C = np.asarray(cov.loc[params.index, params.index], dtype=float)
        out = pt_.copy()
        attrs = {"inference": method, "effects_method": self.method,
                 "trace_method": self.trace_method, "model": self.model}
        if not self.lag or method == "delta":
            # linear models: exact; lag models: numerical Jacobian
            k = len(self.xnames)
            J = np.zeros((3 * k, len(theta)))
            if not self.lag:
                for i, (b, tname) in enumerate(zip(pb, tn)):
                    J[i, b] = 1.0            # direct
                    J[2 * k + i, b] = 1.0    # total
                    if tname is not None:
                        tpos = params.index.get_loc(tname)
                        J[i, tpos] = self._wtr
                        J[k + i, tpos] = self._wsum - self._wtr
                        J[2 * k + i, tpos] = self._wsum
                if self.lag is False and method == "simulation":
                    attrs["inference"] = "exact linear (S = βI + θW)"
            else:
                for j in sel:
                    h = 1e-6 * max(1.0, abs(theta[j]))
                    up, dn = theta.copy(), theta.copy()
                    up[j] += h
                    dn[j] -= h
                    du, tu = self._from_vectors(up[None, :], pb, pt, pr, tn)
                    dd, td = self._from_vectors(dn[None, :], pb, pt, pr, tn)
                    J[:k, j] = (du[0] - dd[0]) / (2 * h)
                    J[2 * k:, j] = (tu[0] - td[0]) / (2 * h)
                    J[k:2 * k, j] = J[2 * k:, j] - J[:k, j]
            Vef = J @ C @ J.T
            se = np.sqrt(np.clip(np.diag(Vef), 0, None))
            for i, name in enumerate(("direct", "indirect", "total")):
                out[name + "_se"] = se[i * k:(i + 1) * k]
        else:
            rng = as_generator(seed)
            Csel = C[np.ix_(sel, sel)]
            draws_sel = rng.multivariate_normal(theta[sel], Csel, size=nsim, method="eigh")
            draws = np.tile(theta, (nsim, 1))
            draws[:, sel] = draws_sel
            rho = draws[:, pr[0]]
            ok = np.ones(nsim, dtype=bool)
            if self.bounds is not None:
                ok = (rho > self.bounds[0]) & (rho < self.bounds[1])
            attrs.update(nsim=nsim, seed=seed, discarded=int((~ok).sum()))
            d, t = self._from_vectors(draws[ok], pb, pt, pr, tn)
            summarise_draws(out, d, t, level, point, attrs)
        return finish_effects_frame(out, attrs)

    def matrix(self, params: pd.Series, x: str) -> pd.DataFrame:
        """The n × n matrix S_x = ∂y/∂x′ (rows: affected unit i, columns: source unit j).

        Lag models: (I − ρW)^{-1}(β I + θ W); SLX/SDEM: β I + θ W; OLS/SEM: β I.
        Dense, so only for n ≤ 5 000.  Entry (i, j) answers "how much does a unit change of
        x in unit j move y in unit i".
        """
        if x not in self.xnames:
            raise KeyError(f"{x!r} is not one of the effect variables {self.xnames}")
        if self.n > 5000:
            raise ValueError(f"effects_matrix builds a dense n x n matrix; n = {self.n} is too large")
        b = float(params[x])
        th = float(params["W_" + x]) if ("W_" + x) in params.index else 0.0
        D = self.W.toarray()
        M = b * np.eye(self.n) + th * D
        if self.lag:
            rho = float(params[self.rho_name])
            M = np.linalg.solve(np.eye(self.n) - rho * D, M)
        labels = self.ids if self.ids is not None else list(range(self.n))
        df = pd.DataFrame(M, index=pd.Index(labels, name="affected"),
                          columns=pd.Index(labels, name="source"))
        return df


def summarise_draws(out: pd.DataFrame, d: np.ndarray, t: np.ndarray, level: float, point: str,
                    attrs: dict) -> None:
    """Fill ``out`` with the simulation summaries of direct draws ``d`` and total draws ``t``
    (nsim × k): standard deviations, percentile limits and, with ``point="mean"``, the means."""
    a = (1 - level) / 2
    attrs["point"] = "mean of draws" if point == "mean" else "estimate"
    for name, arr in {"direct": d, "indirect": t - d, "total": t}.items():
        if point == "mean":
            out[name] = arr.mean(axis=0)
        out[name + "_se"] = arr.std(axis=0, ddof=1)
        out[name + "_lo"] = np.quantile(arr, a, axis=0)
        out[name + "_hi"] = np.quantile(arr, 1 - a, axis=0)


def finish_effects_frame(out: pd.DataFrame, attrs: dict) -> pd.DataFrame:
    """Add normal t and p to an effects frame and order its columns (direct, indirect, total,
    then ``<effect>_se/_t/_p/_lo/_hi``)."""
    for name in ("direct", "indirect", "total"):
        with np.errstate(divide="ignore", invalid="ignore"):
            tv = out[name] / out[name + "_se"]
        out[name + "_t"] = tv
        out[name + "_p"] = 2 * stats.norm.sf(np.abs(tv))
    order = ["direct", "indirect", "total"]
    cols = order + [f"{e}_{s}" for e in order for s in ("se", "t", "p", "lo", "hi")
                    if f"{e}_{s}" in out.columns]
    out = out[cols]
    out.index.name = "variable"
    out.attrs.update(attrs)
    return out
