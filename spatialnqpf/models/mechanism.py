"""Mechanism tests of the impact paper: mediation (Baron–Kenny) and moderation.

Public entry points: :func:`mediation`, :func:`moderation`.  Written here: Stata's
``sgmediation``/``medeff`` and R ``mediation`` have no fixed-effects panel version with a
cluster bootstrap nor a spatial (SDM effects) version.

Three equations (two-way fixed effects, CR1 clustered by unit as reghdfe)::

    y = c x + controls + α_i + λ_t + ε                 (total, c)
    m_j = a_j x + controls + α_i + λ_t + u_j           (a path)
    y = c' x + Σ_j b_j m_j + controls + α_i + λ_t + e  (direct c', b path)

indirect_j = a_j b_j, Sobel SE √(a_j² s_b_j² + b_j² s_a_j²) with a normal p-value; with a
common sample and fixed effects c = c' + Σ_j a_j b_j exactly (least squares).
"""
from __future__ import annotations

import types

import numpy as np
import pandas as pd
from scipy import stats

from .._results import EstimationResults, TIDY_COLUMNS
from .._validation import DataError, as_generator, check_panel, format_values
from ._taxonomy import normalise_fe
from ._within import codes, cr1, demean, ols

__all__ = ["mediation", "moderation", "MediationResults", "ModerationResults",
           "MediationError"]


class MediationError(DataError):
    """Invalid mediation/moderation specification (e.g. a mediator equal to the treatment)."""


# --------------------------------------------------------------------------- helpers

class _FEData:
    """Demeaned design for the fixed-effects regressions of one panel (numpy core)."""

    def __init__(self, d, cols, id, time, fe):
        self.unit, self.N = codes(d[id])
        self.tcode, self.T = (codes(d[time]) if time is not None else (None, 1))
        self.fe = fe
        self.cols = list(cols)
        self.raw = d[self.cols].to_numpy(float)
        self.n = len(d)

    def groups(self, unit=None):
        unit = self.unit if unit is None else unit
        return {"twoways": [unit, self.tcode], "individual": [unit], "time": [self.tcode],
                "none": [np.zeros(self.n if unit is None else len(unit), dtype=np.intp)]
                }[self.fe]

    def k_extra(self, T):
        """Fixed-effect levels counted in K for CR1 by unit (nested unit FE counts one)."""
        return {"twoways": T, "individual": 1, "time": T, "none": 1}[self.fe]


def _fit(Ad, ix, yi, unit, kx):
    """OLS of column yi on columns ix of the demeaned matrix; CR1 by unit."""
    X = Ad[:, ix]
    b, e, XtXi = ols(X, Ad[:, yi])
    V, G = cr1(X, e, XtXi, [unit], len(ix) + kx)
    return b, np.sqrt(np.diag(V)), V, G


def _check_vars(y, treatment, mediators, controls):
    meds = [mediators] if isinstance(mediators, str) else list(mediators)
    ctr = [] if controls is None else ([controls] if isinstance(controls, str) else list(controls))
    if not meds:
        raise MediationError("mediators must name at least one variable")
    same = [m for m in meds if m == treatment]
    if same:
        raise MediationError(f"mediator {same[0]!r} equals the treatment {treatment!r}; a "
                             "variable cannot mediate its own effect")
    if y in meds or y == treatment:
        raise MediationError(f"the outcome {y!r} cannot also be the treatment or a mediator")
    dup = [m for m in meds if meds.count(m) > 1]
    if dup:
        raise MediationError(f"mediator(s) listed twice: {format_values(sorted(set(dup)))}")
    clash = [c for c in ctr if c in meds or c in (y, treatment)]
    if clash:
        raise MediationError(f"control(s) {format_values(clash)} are also the outcome, the "
                             "treatment or a mediator")
    return meds, ctr


def _bc_interval(draws, est, level):
    """Bias-corrected percentile interval (Efron 1987) of bootstrap draws."""
    d = draws[np.isfinite(draws)]
    p0 = np.mean(d < est)
    if p0 <= 0 or p0 >= 1:
        return np.nan, np.nan
    z0 = stats.norm.ppf(p0)
    za = stats.norm.ppf(1 - (1 - level) / 2)
    lo, hi = stats.norm.cdf(2 * z0 - za), stats.norm.cdf(2 * z0 + za)
    return float(np.quantile(d, lo)), float(np.quantile(d, hi))


class MediationResults(EstimationResults):
    """Result of :func:`mediation` (immutable).

    ``to_frame()`` rows ``total``, ``direct``, ``a``, ``b``, ``indirect`` (with several
    mediators a, b, indirect once per mediator, column ``mediator``, then ``indirect`` with
    mediator ``"(sum)"``); columns ``mediator``, ``estimate``, ``std_error``, ``statistic``,
    ``p_value``, ``conf_low``, ``conf_high`` and, for indirect effects, the bootstrap
    ``boot_low``/``boot_high`` (percentile), ``bc_low``/``bc_high`` (bias-corrected).
    ``params`` are named ``total``, ``direct``, ``a[m]``, ``b[m]``, ``indirect[m]``.
    """

    _title = "Mediation analysis (three-equation, fixed effects)"

    def __init__(self, table, *, df_resid, info, boot=None, equations=None, flags=()):
        names = [r if r in ("total", "direct") else f"{r}[{m}]"
                 for r, m in zip(table.index, table["mediator"])]
        self._init_estimates(pd.Series(table["estimate"].to_numpy(), index=names),
                             bse=pd.Series(table["std_error"].to_numpy(), index=names),
                             df_resid=df_resid, flags=flags)
        self._table = table
        self.info = types.MappingProxyType(dict(info))
        self._boot = None if boot is None else boot.copy()
        self.equations = types.MappingProxyType(dict(equations or {}))
        self._freeze()

    @property
    def boot_draws(self):
        """Bootstrap draws of the indirect effects (DataFrame, one column per mediator)."""
        return None if self._boot is None else self._boot.copy()

    @property
    def pvalues(self):
        return pd.Series(self._table["p_value"].to_numpy(), index=self._params.index)

    def tidy(self, kind="params", level=None, **kwargs):
        if kind != "params":
            return super().tidy(kind=kind, **kwargs)
        t = self._table
        out = pd.DataFrame({"term": list(self._params.index)})
        for c in TIDY_COLUMNS[1:]:
            out[c] = t[c].to_numpy()
        out.attrs["flags"] = [tuple(f) for f in self.flags]
        return out

    def to_frame(self):
        return self._table

    def _summary_notes(self):
        i = self.info
        return [f"treatment = {i['treatment']}, mediators = {', '.join(i['mediators'])}, "
                f"fe = {i['fe']}, N = {i['N']}, nobs = {i['nobs']}",
                "paths: CR1 by unit, t(G - 1); indirect: Sobel SE, normal p; "
                f"bootstrap: {i['n_boot']} cluster draws (units resampled as new units)"]


def mediation(data: pd.DataFrame, y: str, treatment: str, mediators, controls=(), *,
              id: str = "code", time: str | None = "year", fe="twoways", w=None,
              n_boot: int = 1000, seed=0, level: float = 0.95, progress: bool = False,
              nsim: int = 1000):
    """Baron–Kenny mediation with fixed effects, Sobel test and a cluster bootstrap.

    Parameters
    ----------
    data : DataFrame
        Long panel keyed by ``id`` and ``time``.
    y, treatment : str
    mediators : str or list of str
        One equation m_j = a_j x + … each; all mediators enter the outcome equation.
    controls : list of str
    id, time : str
    fe : {"twoways", "individual", "time", "none"} (``normalise_fe`` aliases)
    w : libpysal Graph or W, optional
        Spatial version: every equation a two-way FE SDM with the Lee–Yu correction
        (:func:`~spatialnqpf.models.spatial_panel`); a and b are the LeSage–Pace effects of
        x on m and of m on y (direct, indirect and total channels reported separately,
        delta-method SEs), a·b with its Sobel SE and a percentile interval from ``nsim``
        draws of both equations' parameters (N(θ̂, V̂), seeded).
    n_boot : int
        Cluster bootstrap draws (non-spatial version; 0 = none).
    seed : int, None or Generator
        Draw b uses ``as_generator(seed, key=b)``.
    level : float
    progress : bool  tqdm progress bar of the bootstrap.

    Conventions (stated so numbers can be matched)
    ----------------------------------------------
    * each path by least squares with the fixed effects absorbed, CR1 clustered by unit with
      K = slopes + absorbed levels counted as reghdfe/pyfixest (nested unit FE one level),
      tests on t(G − 1);
    * Sobel SE for a·b, normal p-value;
    * cluster bootstrap: N units drawn with replacement, a unit drawn twice counts as two
      units with their own fixed effects; percentile and bias-corrected (Efron 1987)
      intervals of a·b.

    Raises
    ------
    MediationError
        a mediator equal to the treatment (or the outcome), duplicated variables.
    DataError, PanelError
        missing columns or values, duplicated (id, time) rows.

    References
    ----------
    Baron, R. M., Kenny, D. A. (1986). J. Personality and Social Psychology 51, 1173–1182.
    Sobel, M. E. (1982). Sociological Methodology 13, 290–312.
    Cameron, A. C., Gelbach, J. B., Miller, D. L. (2008). Bootstrap-based improvements for
    inference with clustered errors. REStat 90, 414–427.
    """
    meds, ctr = _check_vars(y, treatment, mediators, controls)
    fe = normalise_fe(fe)
    if time is None and fe in ("time", "twoways"):
        raise ValueError(f"fe={fe!r} needs a time column; time=None is a cross-section")
    if w is not None:
        return _spatial_mediation(data, y, treatment, meds, ctr, id, time, w, level, nsim,
                                  seed, fe)
    cols = [y, treatment] + meds + ctr
    d = check_panel(data, id, time, columns=cols)
    fd = _FEData(d, cols, id, time, fe)
    k_med = len(meds)
    ix_x = 1
    ix_m = list(range(2, 2 + k_med))
    ix_c = list(range(2 + k_med, len(cols)))

    def estimate(A, unit, T, with_se=True):
        kx = fd.k_extra(T)
        bt, st, _, G = _fit(A, [ix_x] + ix_c, 0, unit, kx)
        a, sa = np.empty(k_med), np.empty(k_med)
        for j, m in enumerate(ix_m):
            bj, sj, _, _ = _fit(A, [ix_x] + ix_c, m, unit, kx)
            a[j], sa[j] = bj[0], sj[0]
        bo, so, _, _ = _fit(A, [ix_x] + ix_m + ix_c, 0, unit, kx)
        return dict(total=(bt[0], st[0]), direct=(bo[0], so[0]), a=(a, sa),
                    b=(bo[1:1 + k_med], so[1:1 + k_med]), G=G)

    A = demean(fd.raw, fd.groups())
    flat = [c for c, v, r in zip(cols, A.T, fd.raw.T)
            if np.abs(v).max() <= 1e-12 * max(np.abs(r).max(), 1e-300)]
    if flat:
        raise DataError(f"variable(s) without variation under fe={fe!r}: {format_values(flat)}")
    est = estimate(A, fd.unit, fd.T)
    G = est["G"]
    a, sa = est["a"]
    b, sb = est["b"]
    ind = a * b
    sob = np.sqrt(a ** 2 * sb ** 2 + b ** 2 * sa ** 2)
    # ---------------------------------------------------------------- bootstrap
    boot = None
    n_boot = int(n_boot)
    if n_boot > 0:
        if isinstance(seed, np.random.Generator):
            seed = int(seed.integers(2 ** 63))
        elif seed is None:
            seed = np.random.SeedSequence()
        rows_of = [np.flatnonzero(fd.unit == u) for u in range(fd.N)]
        from tqdm.auto import tqdm
        draws = np.full((n_boot, k_med), np.nan)
        for bi in tqdm(range(n_boot), desc="mediation bootstrap", disable=not progress,
                       leave=False):
            pick = as_generator(seed, key=bi).integers(0, fd.N, fd.N)
            rows = np.concatenate([rows_of[u] for u in pick])
            unit = np.repeat(np.arange(fd.N), [len(rows_of[u]) for u in pick])
            tc = fd.tcode[rows] if fd.tcode is not None else None
            groups = {"twoways": [unit, tc], "individual": [unit], "time": [tc],
                      "none": [np.zeros(len(rows), dtype=np.intp)]}[fe]
            try:
                Ab = demean(fd.raw[rows], groups)
                eb = estimate(Ab, unit, fd.T, with_se=False)
            except DataError:
                continue
            draws[bi] = eb["a"][0] * eb["b"][0]
        boot = pd.DataFrame(draws, columns=meds)
    # ---------------------------------------------------------------- table
    tdist = stats.t(G - 1)
    ct = tdist.ppf(1 - (1 - level) / 2)
    cz = stats.norm.ppf(1 - (1 - level) / 2)
    rows = []

    def row(path, med, e, s, normal=False):
        st = e / s if s > 0 else np.nan
        p = 2 * (stats.norm.sf(abs(st)) if normal else tdist.sf(abs(st)))
        c = cz if normal else ct
        return dict(path=path, mediator=med, estimate=e, std_error=s, statistic=st,
                    p_value=p, conf_low=e - c * s, conf_high=e + c * s)
    rows.append(row("total", "", *est["total"]))
    rows.append(row("direct", "", *est["direct"]))
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    for j, m in enumerate(meds):
        rows.append(row("a", m, a[j], sa[j]))
        rows.append(row("b", m, b[j], sb[j]))
        r = row("indirect", m, ind[j], sob[j], normal=True)
        if boot is not None:
            dj = boot[m].to_numpy()
            dj = dj[np.isfinite(dj)]
            r.update(boot_low=float(np.quantile(dj, lo_q)), boot_high=float(np.quantile(dj, hi_q)))
            r["bc_low"], r["bc_high"] = _bc_interval(dj, ind[j], level)
        rows.append(r)
    if k_med > 1:
        # sum of indirect effects: SE from the joint Sobel (independent paths) approximation
        r = row("indirect", "(sum)", ind.sum(), float(np.sqrt(np.sum(sob ** 2))), normal=True)
        if boot is not None:
            s_ = boot.sum(axis=1, skipna=False).to_numpy()
            s_ = s_[np.isfinite(s_)]
            r.update(boot_low=float(np.quantile(s_, lo_q)), boot_high=float(np.quantile(s_, hi_q)))
            r["bc_low"], r["bc_high"] = _bc_interval(s_, ind.sum(), level)
        rows.append(r)
    table = pd.DataFrame(rows).set_index("path")
    nfail = 0 if boot is None else int(boot.isna().any(axis=1).sum())
    info = dict(y=y, treatment=treatment, mediators=tuple(meds), controls=tuple(ctr), fe=fe,
                N=fd.N, T=fd.T, nobs=fd.n, n_clusters=G, n_boot=n_boot,
                boot_failed=nfail, level=level, spatial=False)
    return MediationResults(table, df_resid=G - 1, info=info, boot=boot)


# --------------------------------------------------------------------------- spatial

def _effects_draws(res, nsim, rng):
    """LeSage–Pace direct/total effects at nsim draws from N(θ̂, V̂) of one SDM fit."""
    core = res._effects_core
    params = res.params
    pb, pt, pr, tn = core._vector_index(params.index)
    sel = pb + pt + pr
    theta = params.to_numpy(float)
    C = res.cov.to_numpy(float)
    V = np.tile(theta, (nsim, 1))
    V[:, sel] = rng.multivariate_normal(theta[sel], C[np.ix_(sel, sel)], size=nsim,
                                        method="eigh")
    if core.bounds is not None:
        rho = V[:, pr[0]]
        V = V[(rho > core.bounds[0]) & (rho < core.bounds[1])]
    d, t = core._from_vectors(V, pb, pt, pr, tn)
    xn = list(core.xnames)
    return {"direct": pd.DataFrame(d, columns=xn), "indirect": pd.DataFrame(t - d, columns=xn),
            "total": pd.DataFrame(t, columns=xn)}


def _spatial_mediation(data, y, x, meds, ctr, id, time, w, level, nsim, seed, fe):
    from .panel import spatial_panel
    if fe != "twoways":
        raise ValueError(f"the spatial mediation uses two-way fixed effects SDMs; got fe={fe!r}")
    if time is None:
        raise ValueError("the spatial mediation needs a panel (time=None given)")
    eq_total = spatial_panel(data, y, [x] + ctr, w, id=id, time=time, model="sdm",
                             fe="twoways")
    eq_out = spatial_panel(data, y, [x] + meds + ctr, w, id=id, time=time, model="sdm",
                           fe="twoways")
    eq_a = {m: spatial_panel(data, m, [x] + ctr, w, id=id, time=time, model="sdm",
                             fe="twoways") for m in meds}
    eff_t = eq_total.effects(method="delta")
    eff_o = eq_out.effects(method="delta")
    cz = stats.norm.ppf(1 - (1 - level) / 2)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    rows = []

    def row(path, med, effect, e, s, lo=np.nan, hi=np.nan):
        st = e / s if s > 0 else np.nan
        return dict(path=path, mediator=med, effect=effect, estimate=e, std_error=s,
                    statistic=st, p_value=2 * stats.norm.sf(abs(st)), conf_low=e - cz * s,
                    conf_high=e + cz * s, boot_low=lo, boot_high=hi)
    base = int(seed) if isinstance(seed, (int, np.integer)) else 0
    draws_o = _effects_draws(eq_out, nsim, as_generator(base, key=("mediation", "outcome")))
    flags = list(eq_total.flags) + list(eq_out.flags)
    for kind in ("direct", "indirect", "total"):
        rows.append(row("total", "", kind, eff_t.loc[x, kind], eff_t.loc[x, f"{kind}_se"]))
        rows.append(row("direct", "", kind, eff_o.loc[x, kind], eff_o.loc[x, f"{kind}_se"]))
    for j, m in enumerate(meds):
        ea = eq_a[m].effects(method="delta")
        flags += list(eq_a[m].flags)
        draws_a = _effects_draws(eq_a[m], nsim, as_generator(base, key=("mediation", m)))
        # the a path of the product uses the total effect of x on m
        at, sat = ea.loc[x, "total"], ea.loc[x, "total_se"]
        for kind in ("direct", "indirect", "total"):
            av, sa = ea.loc[x, kind], ea.loc[x, f"{kind}_se"]
            bv, sb = eff_o.loc[m, kind], eff_o.loc[m, f"{kind}_se"]
            rows.append(row("a", m, kind, av, sa))
            rows.append(row("b", m, kind, bv, sb))
            prod = at * bv
            sob = np.sqrt(at ** 2 * sb ** 2 + bv ** 2 * sat ** 2)
            nd = min(len(draws_a["total"]), len(draws_o[kind]))
            pd_ = draws_a["total"][x].to_numpy()[:nd] * draws_o[kind][m].to_numpy()[:nd]
            rows.append(row("indirect", m, kind, prod, sob, float(np.quantile(pd_, lo_q)),
                            float(np.quantile(pd_, hi_q))))
    table = pd.DataFrame(rows).set_index("path")
    main = table[table["effect"] == "total"].drop(columns="effect")
    N = int(eq_out.info.get("n", 0) or 0)
    info = dict(y=y, treatment=x, mediators=tuple(meds), controls=tuple(ctr), fe="twoways",
                N=N, T=eq_out.info.get("T"), nobs=eq_out.nobs, n_boot=0, nsim=nsim,
                level=level, spatial=True, model="sdm (two-way FE, Lee-Yu)")
    res = _SpatialMediationResults(main, df_resid=None, info=info, equations={
        "total": eq_total, "outcome": eq_out, **{f"a[{m}]": eq_a[m] for m in meds}},
        flags=flags, channels=table)
    return res


class _SpatialMediationResults(MediationResults):
    """Spatial mediation: ``to_frame()`` the total-effect channel; ``channels`` all three."""

    _title = "Spatial mediation analysis (SDM, LeSage-Pace effects)"

    def __init__(self, table, *, channels, **kw):
        object.__setattr__(self, "_channels", channels)
        super().__init__(table, **kw)

    @property
    def channels(self):
        """Rows per LeSage–Pace effect (column ``effect``: direct, indirect, total)."""
        return self._channels.copy()

    def _summary_notes(self):
        i = self.info
        return [f"treatment = {i['treatment']}, mediators = {', '.join(i['mediators'])}; "
                "each equation a two-way FE SDM (Lee-Yu); a, b = LeSage-Pace total "
                "effects (delta-method SEs); indirect = a_total x b (Sobel SE, normal p); "
                f"boot_low/high: percentiles of {i['nsim']} parameter draws of both equations",
                "direct/indirect/total channels: .channels"]


# --------------------------------------------------------------------------- moderation

class ModerationResults(EstimationResults):
    """Result of :func:`moderation`: coefficients and the effect of x at moderator values.

    ``params`` x, z, ``x:z`` (centred interaction), controls (and ``W_*``, ``rho`` with
    ``w``); ``effects_at`` the marginal effect of x at the chosen moderator values
    (spatial: LeSage–Pace direct/indirect/total), ``to_frame()`` that table.
    """

    _title = "Moderation analysis (centred interaction, fixed effects)"

    def __init__(self, params, cov, *, df_resid, effects_at, info, fit=None, flags=()):
        self._init_estimates(params, cov, df_resid=df_resid, flags=flags)
        self.effects_at = effects_at
        self.info = types.MappingProxyType(dict(info))
        self.fit = fit
        self._freeze()

    def to_frame(self):
        return self.effects_at


def moderation(data: pd.DataFrame, y: str, x: str, moderator: str, controls=(), *,
               id: str = "code", time: str | None = "year", fe="twoways", w=None, at=None,
               level: float = 0.95):
    """Moderation: y = β_x x̃ + β_z z̃ + β_xz x̃ z̃ + controls + FE with centred x̃, z̃.

    Parameters
    ----------
    x, moderator : str
        Treatment and moderator; both centred at their sample means before the product.
    at : list of float, optional
        Moderator values (raw scale) at which the effect of x is evaluated; default
        mean − sd, mean, mean + sd.
    w : libpysal Graph or W, optional
        Spatial version: two-way FE SDM with x̃, z̃, x̃z̃ and their W-lags; the effects of x
        at z = z₀ are the LeSage–Pace effects with β_x + β_xz (z₀ − z̄) and
        θ_x + θ_xz (z₀ − z̄) (delta-method SEs).

    Notes
    -----
    Non-spatial: pyfixest via :func:`~spatialnqpf.models.panel_fe` (CR1 by unit, t(G − 1));
    effect of x at z₀: β_x + β_xz (z₀ − z̄), SE from the covariance.
    """
    ctr = [] if controls is None else ([controls] if isinstance(controls, str) else list(controls))
    if x == moderator:
        raise MediationError(f"moderator {moderator!r} equals the treatment {x!r}")
    fe = normalise_fe(fe)
    d = check_panel(data, id, time, columns=[y, x, moderator] + ctr)
    xbar, zbar, zsd = d[x].mean(), d[moderator].mean(), d[moderator].std(ddof=1)
    inter = f"{x}:{moderator}"
    d[x] = d[x] - xbar
    d[moderator] = d[moderator] - zbar
    d[inter] = d[x] * d[moderator]
    at = [zbar - zsd, zbar, zbar + zsd] if at is None else [float(v) for v in at]
    xs = [x, moderator, inter] + ctr
    cz = stats.norm.ppf(1 - (1 - level) / 2)
    info = dict(y=y, x=x, moderator=moderator, x_mean=xbar, z_mean=zbar, z_sd=zsd, fe=fe,
                at=tuple(at), spatial=w is not None)
    if w is None:
        from .fe import panel_fe
        fit = panel_fe(d, y, xs, id=id, time=time, fe=fe, cluster=id)
        p, V = fit.params, fit.cov
        tq = stats.t(fit.df_resid).ppf(1 - (1 - level) / 2)
        rows = []
        for z0 in at:
            g = np.zeros(len(p))
            g[p.index.get_loc(x)] = 1.0
            g[p.index.get_loc(inter)] = z0 - zbar
            e = float(g @ p.to_numpy())
            s = float(np.sqrt(g @ V.to_numpy() @ g))
            st = e / s
            rows.append(dict(at=z0, effect="marginal", estimate=e, std_error=s, statistic=st,
                             p_value=2 * stats.t(fit.df_resid).sf(abs(st)),
                             conf_low=e - tq * s, conf_high=e + tq * s))
        return ModerationResults(p, V, df_resid=fit.df_resid,
                                 effects_at=pd.DataFrame(rows), info=info, fit=fit)
    from .panel import spatial_panel
    fit = spatial_panel(d, y, xs, w, id=id, time=time, model="sdm", fe="twoways")
    core = fit._effects_core
    p = fit.params
    C = fit.cov.to_numpy()

    def eff_at(vec, z0):
        v = pd.Series(vec, index=p.index).copy()
        v[x] = v[x] + v[inter] * (z0 - zbar)
        v[f"W_{x}"] = v[f"W_{x}"] + v[f"W_{inter}"] * (z0 - zbar)
        return core.point(v).loc[x].to_numpy()
    rows = []
    theta = p.to_numpy(float)
    for z0 in at:
        e0 = eff_at(theta, z0)
        J = np.zeros((3, len(theta)))
        for j in range(len(theta)):
            h = 1e-6 * max(1.0, abs(theta[j]))
            up, dn = theta.copy(), theta.copy()
            up[j] += h
            dn[j] -= h
            J[:, j] = (eff_at(up, z0) - eff_at(dn, z0)) / (2 * h)
        se = np.sqrt(np.clip(np.diag(J @ C @ J.T), 0, None))
        for i, kind in enumerate(("direct", "indirect", "total")):
            st = e0[i] / se[i]
            rows.append(dict(at=z0, effect=kind, estimate=e0[i], std_error=se[i], statistic=st,
                             p_value=2 * stats.norm.sf(abs(st)), conf_low=e0[i] - cz * se[i],
                             conf_high=e0[i] + cz * se[i]))
    return ModerationResults(p, fit.cov, df_resid=None, effects_at=pd.DataFrame(rows),
                             info=info, fit=fit, flags=fit.flags)
