"""The Elhorst specification sequence for spatial panels, and a robustness runner over weights.

:func:`specification_search` runs, on one panel (Elhorst 2010, 2014 §3.5–3.6):

1. LM tests (classic and robust) for a spatial lag and a spatial error on the residuals of the
   non-spatial model for every fixed-effects type;
2. LR tests of the joint significance of unit and of time effects → chosen ``fe``
   (both significant → two-way; one → that one; none → pooled);
3. Hausman test of fixed against random unit effects on the SAR (individual effects with the
   consistent Lee–Yu σ² vs ``fe="random"``), when unit effects are chosen; fixed effects are kept either way
   (they are consistent under both hypotheses), the table records the verdict;
4. SDM with the chosen effects (``lee_yu`` as requested) and Wald/LR tests of SDM → SAR
   (θ = 0) and SDM → SEM (θ + ρβ = 0);
5. decision (Elhorst 2010, "specific-to-general-to-specific"): if both simplifications are
   rejected → SDM; if only SDM → SAR is accepted and the robust LM tests point to a lag (or
   neither) → SAR; if only SDM → SEM is accepted and the robust LM tests point to an error (or
   neither) → SEM; if both are accepted the one whose LR (or Wald) p-value is larger, and
   otherwise (the tests disagree) → SDM, the model that nests both.

The result keeps every fitted model, the full table of tests with the decision taken at each
step, and the effects of the chosen model.

:func:`robustness` fits the same model under several weights matrices (contiguity, distance,
economic, nested, ...) and returns them side by side (coefficients with SEs, ρ/λ, σ², ℓ, AIC,
and the direct / indirect / total effects).

References
----------
Elhorst, J. P. (2010). Applied spatial econometrics: raising the bar. Spatial Economic Analysis
5, 9-28.
Elhorst, J. P. (2014). Spatial Econometrics: From Cross-Sectional Data to Spatial Panels.
Springer, §3.5–3.6.

Method notes: ``docs/methods/models.md`` §5.5 (formulas and conventions);
the peers' defects it avoids: ``docs/anchors.md``.
"""
from __future__ import annotations

import types
import warnings
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from .._results import Results
from ._panel_tests import hausman, lr_fixed_effects, panel_lm_tests, sdm_tests
from .panel import spatial_panel
from .spec import ModelSpec

__all__ = ["specification_search", "SpecificationResult", "robustness", "RobustnessResult"]

#: Model on which step 3 runs the Hausman test (FE with Lee–Yu vs RE); tables name it.
HAUSMAN_MODEL = "sar"


@dataclass(eq=False, repr=False)
class SpecificationResult(Results):
    """Outcome of :func:`specification_search` (read-only).

    Attributes
    ----------
    table : DataFrame
        One row per test: step, test, fe, statistic, df, p, decision.
    fe : str
        Chosen fixed effects.
    model : str
        Chosen model (``"sdm"``, ``"sar"`` or ``"sem"``).
    models : mapping
        Fitted SDM, SAR and SEM (:class:`~spatialnqpf.models.results.SpatialResults`).
    effects : DataFrame
        Effects of the chosen model (simulation, ``nsim``, ``seed``).
    """

    table: pd.DataFrame
    fe: str
    model: str
    models: Mapping
    effects: pd.DataFrame
    alpha: float = 0.05

    def to_frame(self) -> pd.DataFrame:
        """The test table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        lines = ["Elhorst specification sequence", "=" * 78]
        tab = self.table
        for _, r in tab.iterrows():
            stat = "" if pd.isna(r["statistic"]) else f"{r['statistic']:10.3f}"
            p = "" if pd.isna(r["p"]) else f"{r['p']:8.4f}"
            df = "" if pd.isna(r["df"]) else f"{int(r['df']):4d}"
            lines.append(f"{r['step']:<4}{r['test']:<24}{str(r['fe']):<11}{stat:>10}{df:>5}{p:>9}  "
                         f"{r['decision']}")
        lines.append("-" * 78)
        lines.append(f"chosen: {self.model.upper()} with {self.fe!r} fixed effects (alpha = {self.alpha})")
        lines.append(self.models[self.model].to_frame().round(6).to_string())
        lines.append("effects:")
        lines.append(self.effects[["direct", "direct_se", "indirect", "indirect_se", "total",
                                   "total_se"]].round(6).to_string())
        return "\n".join(lines)

    def __str__(self):
        return self.summary()


def specification_search(data, y, x, w, *, id: str = "code", time: str = "year", lee_yu=True,
                         alpha: float = 0.05, nsim: int = 1000, seed: int = 0, dynamic=None,
                         **kwargs) -> SpecificationResult:
    """Run the Elhorst sequence (LM → LR of FE → [Hausman] → SDM → Wald/LR → effects).

    Parameters
    ----------
    data, y, x, w, id, time : as in :func:`spatialnqpf.models.spatial_panel`.
    lee_yu : {True, "elhorst", False}
        Estimator of the spatial models of step 4.
    alpha : float
        Significance level of every decision.
    nsim, seed : simulation settings of the effects of the chosen model.
    dynamic : {None, "time", "spacetime", "both"}
        When given, step 6 fits the dynamic SDM (same fe; ``lee_yu=True`` unless
        ``lee_yu=False``) and reports its LR test against the static model on the same sample,
        the Wald test of η = 0 and the SDM restrictions within the dynamic model
        (``models["dynamic_sdm"]``; :mod:`spatialnqpf.models.dynamic`).
    **kwargs : passed to :func:`spatial_panel` (``logdet``, ``traces``, ...).

    Returns
    -------
    SpecificationResult
    """
    rows = []
    base = ModelSpec(spatial_panel, dict(data=data, y=y, x=x, w=w, id=id, time=time, **kwargs))

    def add(step, test, fe, stat, df, p, decision):
        rows.append({"step": step, "test": test, "fe": fe, "statistic": stat, "df": df, "p": p,
                     "decision": decision})

    # 1. LM tests for every FE type
    lm = {}
    for fe in ("none", "individual", "time", "twoways"):
        t = panel_lm_tests(data, y, x, w, id=id, time=time, fe=fe)
        lm[fe] = t
        for name, r in t.iterrows():
            add(1, name, fe, r.statistic, r.df, r.p,
                "reject H0 (no spatial term)" if r.p < alpha else "do not reject")
    # 2. LR tests of the fixed effects (non-spatial model, direct ML)
    lr = lr_fixed_effects(data, y, x, w, id=id, time=time)
    ind = lr.loc["LR_individual_effects", "p"] < alpha
    tim = lr.loc["LR_time_effects", "p"] < alpha
    fe = "twoways" if ind and tim else "individual" if ind else "time" if tim else "none"
    for name, r in lr.iterrows():
        add(2, name, "-", r.statistic, r.df, r.p,
            "effects jointly significant" if r.p < alpha else "effects not significant")
    add(2, "choice_of_fe", fe, np.nan, np.nan, np.nan, f"use fe={fe!r}")
    # 3. Hausman
    if fe in ("individual", "twoways"):
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="the residuals contain common year shocks")
                h = hausman(base.replace(model=HAUSMAN_MODEL, fe="individual", lee_yu=True).fit(),
                            base.replace(model=HAUSMAN_MODEL, fe="random").fit()).iloc[0]
            verdict = ("inconclusive (" + h.note.split("; ")[-1] + "); fixed effects kept"
                       if np.isnan(h.p) else "reject RE: fixed effects" if h.p < alpha else
                       "RE not rejected; fixed effects kept (consistent either way)")
            add(3, "Hausman_FE_vs_RE", "individual", h.statistic, h.df, h.p, verdict)
        except Exception as exc:  # report, never hide
            add(3, "Hausman_FE_vs_RE", fe, np.nan, np.nan, np.nan, f"not computed: {exc}")
    else:
        add(3, "Hausman_FE_vs_RE", fe, np.nan, np.nan, np.nan, "not applicable (no unit effects)")
    # 4. SDM and its simplifications
    fits = {m: base.replace(model=m, fe=fe, lee_yu=lee_yu, seed=seed).fit()
            for m in ("sdm", "sar", "sem")}
    tests = sdm_tests(fits["sdm"], fits["sar"], fits["sem"])
    for name, r in tests.iterrows():
        add(4, name, fe, r.statistic, r.df, r.p,
            "reject simplification" if r.p < alpha else "simplification accepted")
    # 5. decision
    rej_sar = tests.loc["Wald_SDM_vs_SAR", "p"] < alpha or tests.loc["LR_SDM_vs_SAR", "p"] < alpha
    rej_sem = tests.loc["Wald_SDM_vs_SEM", "p"] < alpha or tests.loc["LR_SDM_vs_SEM", "p"] < alpha
    rl = lm[fe]
    lag_sig = rl.loc["robust_LM_lag", "p"] < alpha
    err_sig = rl.loc["robust_LM_error", "p"] < alpha
    if rej_sar and rej_sem:
        chosen, why = "sdm", "both simplifications rejected"
    elif not rej_sar and rej_sem:
        chosen, why = (("sar", "SAR accepted and the robust LM tests agree") if (lag_sig or not err_sig)
                       else ("sdm", "SAR accepted but the robust LM tests point to an error: keep SDM"))
    elif rej_sar and not rej_sem:
        chosen, why = (("sem", "SEM accepted and the robust LM tests agree") if (err_sig or not lag_sig)
                       else ("sdm", "SEM accepted but the robust LM tests point to a lag: keep SDM"))
    else:
        pa = tests.loc["LR_SDM_vs_SAR", "p"]
        pe = tests.loc["LR_SDM_vs_SEM", "p"]
        chosen = "sar" if pa >= pe else "sem"
        why = "both simplifications accepted: the one with the larger LR p-value"
    add(5, "decision", fe, np.nan, np.nan, np.nan, f"{chosen.upper()}: {why}")
    if dynamic is not None:
        dyn = spatial_panel(data, y, x, w, id=id, time=time, model="sdm", fe=fe,
                            lee_yu=lee_yu is not False, seed=seed, dynamic=dynamic, **kwargs)
        for name, r in dyn.tests.iterrows():
            add(6, name, fe, r.statistic, r.df, r.p,
                "significant" if r.p < alpha else "not significant")
        if dyn.flags:
            add(6, "stability", fe, np.nan, np.nan, np.nan, dyn.info["stability"])
        fits = dict(fits, dynamic_sdm=dyn)
    eff = fits[chosen].effects(method="simulation", nsim=nsim, seed=seed)
    table = pd.DataFrame(rows)
    return SpecificationResult(table=table, fe=fe, model=chosen,
                               models=types.MappingProxyType(fits), effects=eff, alpha=alpha)


# ---------------------------------------------------------------------- robustness
@dataclass(eq=False, repr=False)
class RobustnessResult(Results):
    """Side-by-side fits of one model under several weights (read-only).

    Attributes
    ----------
    table : DataFrame
        Rows: parameters (coef), their SEs (``se:<name>``), sigma2, llf, aic, r2, nobs, and the
        effects (``direct:<x>``, ``indirect:<x>``, ``total:<x>`` and their ``_se``); columns:
        the weights' names.
    results : mapping
        name → SpatialResults.
    """

    table: pd.DataFrame
    results: Mapping

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        return "Robustness across weights matrices\n" + self.table.round(6).to_string()

    def __str__(self):
        return self.summary()


def robustness(data, y, x, ws: Mapping, *, id: str = "code", time: str = "year", model="sdm",
               fe="twoways", lee_yu=True, effects: bool = True, nsim: int = 1000, seed: int = 0,
               **kwargs) -> RobustnessResult:
    """Fit ``model`` under every weights matrix of ``ws`` and tabulate side by side.

    Parameters
    ----------
    ws : mapping name → libpysal Graph/W
        (``ws``, not ``weights``: in this package ``w`` is one spatial weights object and
        ``ws`` a mapping of them.)
        E.g. ``{"contiguity": w_c, "inverse distance": w_d, "economic": w_e}``.
    model, fe, lee_yu : as in :func:`spatial_panel`.
    effects : bool
        Add direct/indirect/total effects (simulation with ``nsim`` draws, ``seed``).

    Returns
    -------
    RobustnessResult
    """
    if not isinstance(ws, Mapping) or not ws:
        raise ValueError("ws must be a non-empty mapping name -> weights")
    results, cols = {}, {}
    base = ModelSpec(spatial_panel, dict(data=data, y=y, x=x, w=None, id=id, time=time,
                                         model=model, fe=fe, lee_yu=lee_yu, seed=seed, **kwargs))
    for name, w in ws.items():
        r = base.replace(w=w).fit()
        results[name] = r
        s = {}
        for p, v in r.params.items():
            s[p] = v
        for p, v in r.bse.items():
            s[f"se:{p}"] = v
        s.update(sigma2=r.sigma2, llf=r.llf, aic=r.aic, nobs=r.nobs,
                 r2=r.r2)
        if effects and r.has_effects:
            eff = r.effects(method="simulation", nsim=nsim, seed=seed)
            for xv, row in eff.iterrows():
                for kind in ("direct", "indirect", "total"):
                    s[f"{kind}:{xv}"] = row[kind]
                    s[f"{kind}_se:{xv}"] = row[kind + "_se"]
        cols[name] = pd.Series(s)
    table = pd.DataFrame(cols)
    return RobustnessResult(table=table, results=types.MappingProxyType(results))
