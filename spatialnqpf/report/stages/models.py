"""Stage "models": spatial panel models under each matrix, effects, specification search.

:func:`spatialnqpf.models.spatial_panel` (``[models]`` model, fe, Lee–Yu) under every
matrix of ``[models] weights``, direct/indirect/total effects by simulation, and the
Elhorst sequence :func:`spatialnqpf.models.specification_search` under the first one.

A fit with ``flags`` (a spatial parameter on the bound of its interval, degenerate
standard errors, an early stop) is marked in every table cell (a dagger and a note
naming the flag), its effects are not computed nor printed, its reading says why it
cannot be interpreted, and the stage status is ``"warning"``.

Robustness columns under the first matrix (off by default): ``[models] dynamic = "time" |
"spacetime" | "both"`` adds the dynamic model (``spatial_panel(dynamic=...)``, same model, fe
and ``lee_yu``) beside the static one, with its short- and long-run effects tables (a
non-stationary fit is flagged: no effects are printed and the reading gives the stability
condition); ``[models] endog``/``instruments`` add the panel spatial 2SLS column
(``spatial_gmm(model="sar", fe=...)``) with its first-stage and over-identification tables.
"""
from __future__ import annotations

import warnings

from ... import models
from ..._results import FitWarning
from ..tables import FE_ZH, frame_table, lee_yu_label, regression_table, translate_specification
from ..labels import flag_reasons
from ._base import Stage, StageOutput, State, error_text

#: zh/en strings of this stage.
TEXT = {
    "title": {"zh": "空间计量模型与效应分解", "en": "Spatial regression models and effects"},
    "help": {"zh": "空间面板模型与效应分解（先运行指数与权重阶段）",
             "en": "spatial panel models and effects (runs the index and weights first)"},
    "flagged": {"zh": "{col}：该估计被标记（{codes}），结果不能按常规解释，效应分解未列出：{why}",
                "en": "{col}: this fit is flagged ({codes}) and cannot be interpreted as it stands; its "
                      "effects are not shown: {why}"},
    "fixed_effects_v_bias": {"zh": "固定效应：{fe_zh}；偏误校正：{lee}；效应标准误由 {v3} 次模拟得到（种子 {v4}）。",
                            "en": 'Fixed effects: {v1}; bias correction: {lee}; effect standard errors from {v3} simulation draws (seed {v4}).'},
    "step": {"zh": '步骤', "en": 'Step'},
    "the_elhorst_sequence_v": {"zh": 'Elhorst 检验序列（{v0}，5% 水平）选择 {v1} 模型与{v2}固定效应。',
                              "en": 'The Elhorst sequence ({v0} weights, 5% level) chooses the {v1} with {v2} fixed effects.'},
    "spatial_panel_estimates_dependent": {"zh": '空间面板模型估计结果（被解释变量：{v0}）',
                                         "en": 'Spatial panel estimates (dependent variable: {v0})'},
    "col_the_spatial_parameter": {"zh": '{col}：空间参数 {sp} = {v2:.3f}（p = {v3:.3f}）。',
                                 "en": '{col}: the spatial parameter {sp} = {v2:.3f} (p = {v3:.3f}).'},
    "col_indirect_spillover_effects": {"zh": '{col}：在 5% 水平显著的间接（溢出）效应：{v1}。',
                                      "en": '{col}: indirect (spillover) effects significant at 5%: {v2}.'},
    "col_no_indirect_spillover": {"zh": '{col}：没有在 5% 水平显著的间接（溢出）效应。',
                                 "en": '{col}: no indirect (spillover) effect is significant at 5%.'},
    "specification_tests_elhorst_sequence": {"zh": '模型设定检验（Elhorst 检验序列，{v0}）',
                                            "en": 'Specification tests (Elhorst sequence, {v0})'},
    "sdm_sar_and_sem": {"zh": 'SDM、SAR 与 SEM 的比较（{v0}）', "en": 'SDM, SAR and SEM compared ({v0})'},
    "test": {"zh": '检验', "en": 'Test'},
    "fe": {"zh": '固定效应', "en": 'FE'},
    "statistic": {"zh": '统计量', "en": 'Statistic'},
    "df": {"zh": '自由度', "en": 'df'},
    "p": {"zh": 'p 值', "en": 'p'},
    "decision": {"zh": '结论', "en": 'Decision'},
    "hausman": {"zh": 'Hausman 检验（{model}，固定效应对随机效应）', "en": 'Hausman ({model}, FE vs RE)'},
    # dynamic model and spatial 2SLS (robustness columns under the first matrix)
    "dyn_col": {"zh": "动态 {model}（{w}）", "en": "Dynamic {model} ({w})"},
    "gmm_col": {"zh": "空间 2SLS（{w}）", "en": "Spatial 2SLS ({w})"},
    "y_lag": {"zh": "时间滞后 y(t−1)", "en": "Time lag y(t−1)"},
    "W_y_lag": {"zh": "时空滞后 W×y(t−1)", "en": "Space-time lag W×y(t−1)"},
    "dynamic_kind": {"zh": {"time": "时间滞后", "spacetime": "时空滞后", "both": "时间滞后与时空滞后"},
                     "en": {"time": "time lag", "spacetime": "space-time lag",
                            "both": "time and space-time lags"}},
    "dyn_note": {"zh": "{col}：含{kind}的动态模型（dynamic='{dyn}'），首年仅用作滞后项（样本量 N(T−1)）；偏误校正：{lee}。",
                 "en": "{col}: dynamic model with {kind} (dynamic='{dyn}'); the first year only supplies "
                       "the lags (N(T−1) observations); bias correction: {lee}."},
    "gmm_note": {"zh": "{col}：空间两阶段最小二乘（组内变换，fe='{fe}'），内生变量 {endog}，工具变量 {inst} 及 X 与工具变量的 W、W² 空间滞后。",
                 "en": "{col}: spatial two-stage least squares (within transformation, fe='{fe}'); "
                       "endogenous {endog}; instruments {inst} and the W, W² spatial lags of X and the "
                       "instruments."},
    "none_word": {"zh": "无", "en": "none"},
    "dyn_effects_title": {"zh": "{col}：{horizon}效应分解", "en": "{col}: {horizon} effects"},
    "horizon": {"zh": {"short": "短期", "long": "长期"}, "en": {"short": "short-run", "long": "long-run"}},
    "effects_note": {"zh": "短期效应 S = (I − ρW)⁻¹(βI + θW)；长期效应 ((1 − τ)I − (ρ + η)W)⁻¹(βI + θW)（Debarsy、Ertur 与 LeSage 2012）；标准误由 {nsim} 次模拟得到（种子 {seed}）。",
                     "en": "Short run S = (I − ρW)⁻¹(βI + θW); long run ((1 − τ)I − (ρ + η)W)⁻¹(βI + θW) "
                           "(Debarsy, Ertur & LeSage 2012); standard errors from {nsim} simulation draws "
                           "(seed {seed})."},
    "discarded": {"zh": "{nsim} 次模拟中有 {k} 次落在平稳（或可容许）区域之外，已剔除；接近单位根时长期效应及其标准误不稳定。",
                  "en": "{k} of the {nsim} simulation draws fell outside the stationary (or admissible) region "
                        "and were discarded; near a unit root the long-run effects and their standard errors "
                        "are unstable."},
    "stability_decision": {"zh": "不平稳：最大特征值模 {mod:.4f} ≥ 1（τ + ρ + η = {s:.4f}）",
                           "en": "not stationary: largest eigenvalue modulus {mod:.4f} >= 1 (tau + rho + eta = {s:.4f})"},
    "estimate": {"zh": "估计值", "en": "Estimate"},
    "std_error": {"zh": "标准误", "en": "SE"},
    "variable": {"zh": "变量", "en": "Variable"},
    "dyn_params": {"zh": "{col}：τ = {tau:.3f}，η = {eta:.3f}，{sp} = {rho:.3f}；模型平稳（最大特征值模 {mod:.4f} < 1）。",
                   "en": "{col}: tau = {tau:.3f}, eta = {eta:.3f}, {sp_en} = {rho:.3f}; the model is stationary "
                         "(largest eigenvalue modulus {mod:.4f} < 1)."},
    "nonstationary": {"zh": "{col}：模型不平稳（(I − ρW)⁻¹(τI + ηW) 的最大特征值模 {mod:.4f} ≥ 1；τ + ρ + η = {s:.4f}），长期效应不存在，效应分解未列出。",
                      "en": "{col}: the model is not stationary (the largest eigenvalue modulus of "
                            "(I − ρW)⁻¹(τI + ηW) is {mod:.4f} ≥ 1; tau + rho + eta = {s:.4f}): no long-run "
                            "effects exist, and no effects are shown."},
    "dyn_spill": {"zh": "{col}：在 5% 水平显著的{horizon}间接（溢出）效应：{v}。",
                  "en": "{col}: {horizon} indirect (spillover) effects significant at 5%: {v}."},
    "dyn_no_spill": {"zh": "{col}：没有在 5% 水平显著的{horizon}间接（溢出）效应。",
                     "en": "{col}: no {horizon} indirect (spillover) effect is significant at 5%."},
    "gmm_reading": {"zh": "{col}：ρ = {rho:.3f}（p = {p:.3f}）；第一阶段 F 统计量最小为 {fmin:.2f}（{fvar}）。",
                    "en": "{col}: rho = {rho:.3f} (p = {p:.3f}); the smallest first-stage F is {fmin:.2f} ({fvar})."},
    "weak": {"zh": "{col}：弱工具变量（第一阶段 F < {thr:g}：{v}），2SLS 估计与标准误不可靠。",
             "en": "{col}: weak instruments (first-stage F < {thr:g}: {v}); the 2SLS estimates and standard "
                   "errors are unreliable."},
    "first_stage_title": {"zh": "{col}：第一阶段诊断与过度识别检验", "en": "{col}: first-stage diagnostics and over-identification tests"},
    "first_stage_F": {"zh": "第一阶段 F", "en": "First-stage F"},
    "partial_r2": {"zh": "偏 R²", "en": "Partial R²"},
    "df1": {"zh": "自由度 1", "en": "df1"},
    "df2": {"zh": "自由度 2", "en": "df2"},
    "sargan": {"zh": "Sargan 检验", "en": "Sargan test"},
    "hansen": {"zh": "Hansen J 检验", "en": "Hansen J test"},
    "fs_note": {"zh": "第一阶段 F：内生变量对全部工具变量与对外生变量回归的 F 检验（同方差）；F < 10 视为弱工具变量（Staiger 与 Stock 1997）。",
                "en": "First-stage F: the excluded instruments in the regression of each endogenous variable "
                      "(homoskedastic); F < 10 marks weak instruments (Staiger & Stock 1997)."},
    "failed": {"zh": "{what}未能估计：{err}", "en": "{what} could not be estimated: {err}"},
    "what_dyn": {"zh": "动态空间面板模型", "en": "the dynamic spatial panel"},
    "what_gmm": {"zh": "空间 2SLS", "en": "the spatial 2SLS"},
    "what_spec": {"zh": "模型设定检验（Elhorst 检验序列）", "en": "the specification search (Elhorst sequence)"},
}


def _name_hausman(state: State, sdf):
    """The Hausman row names the model it tested (step 3 of the Elhorst sequence)."""
    from ...models.specification import HAUSMAN_MODEL
    out = sdf.copy()
    if "test" in out.columns:
        lab = state.text(TEXT, "hausman", model=HAUSMAN_MODEL.upper())
        out["test"] = [lab if v == "Hausman_FE_vs_RE" else v for v in out["test"]]
    return out


def flagged_reading(state: State, col: str, res) -> str:
    """The reading of a flagged fit: which flags, and why it cannot be interpreted."""
    return state.text(TEXT, "flagged", col=col, codes=", ".join(f.code for f in res.flags),
                      why=flag_reasons(res.flags, state.lang))


def run(state: State) -> StageOutput:
    state.need_weights()
    cfg = state.config.get("models")
    y = state.variable("models")
    x = list(cfg["x"])
    wnames = cfg["weights"] or list(state.weights)
    unknown = [w for w in wnames if w not in state.weights]
    if unknown:
        raise ValueError(f"[models] weights {unknown} are not among the built matrices {list(state.weights)}")
    tables, figures, readings, numbers = [], [], [], {}
    fits, effs = {}, {}
    for wn in wnames:
        res = models.spatial_panel(data=state.frame, y=y, x=x, w=state.weights[wn], id="code", time="year",
                                   model=cfg["model"], fe=cfg["fe"], lee_yu=cfg["lee_yu"])
        col = f"{cfg['model'].upper()} ({state.weight_labels.get(wn, wn)})"
        fits[col] = res
        if res.flags:  # effects of a flagged fit are not results: not computed, not printed
            effs[col] = None
        else:
            try:
                effs[col] = res.effects(method="simulation", nsim=int(cfg["effects_nsim"]), seed=state.seed)
            except ValueError:
                effs[col] = None
        numbers[wn] = {"params": res.params, "bse": res.bse, "pvalues": res.pvalues,
                       "llf": res.llf, "nobs": res.nobs, "sigma2": res.sigma2,
                       "effects": effs[col], "info": dict(res.info),
                       "flags": [list(f) for f in res.flags]}
    shown, cmp = list(fits.values()), {}
    if cfg["specification_search"]:
        try:
            wn0 = wnames[0]
            dyn = cfg.get("dynamic", "none")
            with warnings.catch_warnings():   # a flagged step-6 fit is reported in its own row
                warnings.simplefilter("ignore", FitWarning)
                ss = models.specification_search(data=state.frame, y=y, x=x, w=state.weights[wn0], id="code",
                                                  time="year", lee_yu=cfg["lee_yu"],
                                                  nsim=int(cfg["effects_nsim"]), seed=state.seed,
                                                  dynamic=None if dyn == "none" else dyn)
            sdf = ss.to_frame()
            if "dynamic_sdm" in ss.models and "test" in sdf.columns:
                # step 6: the stability row in the report language, from the fit's numbers
                st = ss.models["dynamic_sdm"].extra["stability"]
                sdf.loc[sdf["test"] == "stability", "decision"] = state.text(
                    TEXT, "stability_decision", mod=st["max_modulus"], s=st["tau_rho_eta"])
            if "step" in sdf.columns:
                sdf = sdf.set_index("step")
            sdf.index.name = state.text(TEXT, "step")
            tables.append(frame_table(
                translate_specification(_name_hausman(state, sdf), state.lang), name="specification_tests",
                digits={"statistic": 3, "df": 0, "p": 3}, pvalues=("p",),
                labels={"test": state.text(TEXT, "test"), "fe": state.text(TEXT, "fe"),
                        "statistic": state.text(TEXT, "statistic"), "df": state.text(TEXT, "df"),
                        "p": state.text(TEXT, "p"), "decision": state.text(TEXT, "decision")},
                title=state.text(TEXT, "specification_tests_elhorst_sequence", v0=state.weight_labels.get(wn0, wn0))))
            from ...models.specification import HAUSMAN_MODEL
            numbers["specification_search"] = {"table": sdf, "fe": ss.fe, "model": ss.model,
                                               "hausman_model": HAUSMAN_MODEL}
            cmp = {m.upper(): r for m, r in ss.models.items() if m != "dynamic_sdm"}
            shown += list(cmp.values())
            tables.append(regression_table(
                cmp, name="sdm_sar_sem", lang=state.lang, labels=state.var_labels([y, *x]),
                title=state.text(TEXT, "sdm_sar_and_sem", v0=state.weight_labels.get(wn0, wn0))))
            readings.append(state.text(TEXT, "the_elhorst_sequence_v", v0=state.weight_labels.get(wn0, wn0), v1=ss.model.upper(),
                                       v2=FE_ZH.get(ss.fe, ss.fe) if state.lang == "zh" else ss.fe))
        except Exception as exc:
            state.notes.append(state.text(TEXT, "failed", what=state.text(TEXT, "what_spec"),
                                          err=error_text(exc)))
    labels = state.var_labels([y, *x, *cfg.get("endog", []), *cfg.get("instruments", [])])
    lee = lee_yu_label(cfg["lee_yu"], state.lang)
    fe_zh = FE_ZH.get(cfg["fe"], cfg["fe"])
    note = state.text(TEXT, "fixed_effects_v_bias", fe_zh=fe_zh, v1=cfg['fe'], lee=lee, v3=cfg['effects_nsim'], v4=state.seed)
    robust, rnotes, rtables = _robustness(state, cfg, y, x, wnames[0], labels, readings, numbers)
    shown += list(robust.values())
    labels.update({nm: state.text(TEXT, nm) for nm in ("y_lag", "W_y_lag")})
    tables.insert(0, regression_table({**fits, **robust}, name="spatial_models", lang=state.lang, labels=labels,
                                      order=_term_order([*fits.values(), *robust.values()]),
                                      effects={k: v for k, v in effs.items() if v is not None} or None,
                                      title=state.text(TEXT, "spatial_panel_estimates_dependent", v0=state.var_label(y)),
                                      notes=(note, *rnotes)))
    tables[1:1] = rtables
    for col, res in fits.items():
        p = res.params
        if res.flags:
            readings.append(flagged_reading(state, col, res))
            continue
        sp = "rho" if "rho" in p.index else ("lambda" if "lambda" in p.index else None)
        if sp:
            readings.append(state.text(TEXT, "col_the_spatial_parameter", col=col,
                                       sp={"rho": "ρ", "lambda": "λ"}[sp], v2=p[sp], v3=res.pvalues[sp]))
        e = effs.get(col)
        if e is not None and "indirect" in e.columns:
            sig = [v for v in e.index if "indirect_p" in e.columns and e.loc[v, "indirect_p"] < 0.05]
            if sig:
                parts = [f"{state.var_label(v)} ({e.loc[v, 'indirect']:+.3f})" for v in sig]
                readings.append(state.text(TEXT, "col_indirect_spillover_effects", col=col, v1='，'.join(parts), v2=', '.join(parts)))
            else:
                readings.append(state.text(TEXT, "col_no_indirect_spillover", col=col))
    for col, res in cmp.items():
        if res.flags:
            readings.append(flagged_reading(state, col, res))
    status = "warning" if any(r.flags for r in shown) else "ok"
    return StageOutput(tables=tables, figures=figures, readings=readings, numbers=numbers, status=status)


def _term_order(results):
    """Coefficient rows: the dynamic lags first, then regressors, W_ terms, ρ/λ (the
    default order of :func:`regression_table` otherwise)."""
    terms = []
    for r in results:
        terms += [t for t in r.params.index if t not in terms]
    dyn = [t for t in ("y_lag", "W_y_lag") if t in terms]
    tail = [t for t in ("rho", "lambda") if t in terms]
    sig = [t for t in ("sigma2",) if t in terms]
    rest = [t for t in terms if t not in dyn + tail + sig]
    wx = [t for t in rest if t.startswith("W_")]
    return dyn + [t for t in rest if t not in wx] + wx + tail + sig


def _effects_frame(state: State, eff):
    """Display frame of an effects frame (rows = regressors): estimate, SE, p per kind."""
    import pandas as pd
    from ..tables import LABELS
    L = LABELS[state.lang]
    cols = {}
    for kind in ("direct", "indirect", "total"):
        for stat, src in (("estimate", kind), ("std_error", kind + "_se"), ("p", kind + "_p")):
            cols[(L[kind], state.text(TEXT, stat))] = eff[src].astype(float)
    out = pd.DataFrame(cols, index=eff.index)
    out.index.name = state.text(TEXT, "variable")
    return out


def _robustness(state: State, cfg, y, x, wn, labels, readings, numbers):
    """The dynamic and spatial 2SLS columns under matrix ``wn`` (``[models] dynamic``,
    ``endog``/``instruments``): (columns, table notes, tables); readings and numbers in place."""
    from ..tables import FE_ZH
    from ...models._taxonomy import normalise_fe
    cols, notes, tabs = {}, [], []
    wlab = state.weight_labels.get(wn, wn)
    w = state.weights[wn]
    dyn = cfg.get("dynamic", "none")
    nsim, seed = int(cfg["effects_nsim"]), state.seed
    if dyn != "none":
        col = state.text(TEXT, "dyn_col", model=cfg["model"].upper(), w=wlab)
        try:
            with warnings.catch_warnings():   # flags are reported in the table and the readings
                warnings.simplefilter("ignore", FitWarning)
                res = models.spatial_panel(data=state.frame, y=y, x=x, w=w, id="code", time="year",
                                           model=cfg["model"], fe=cfg["fe"], lee_yu=cfg["lee_yu"],
                                           dynamic=dyn)
        except Exception as exc:
            state.notes.append(state.text(TEXT, "failed", what=state.text(TEXT, "what_dyn"),
                                          err=f"{type(exc).__name__}: {exc}"))
            res = None
        if res is not None:
            cols[col] = res
            notes.append(state.text(TEXT, "dyn_note", col=col, kind=TEXT["dynamic_kind"][state.lang][dyn],
                                    dyn=dyn, lee=lee_yu_label(cfg["lee_yu"], state.lang)))
            st = res.extra["stability"]
            p = res.params
            effd = {}
            if res.flags:
                # effects of a flagged fit are not results; a non-stationary one has no long run
                if [f.code for f in res.flags] == ["nonstationary"]:
                    readings.append(state.text(TEXT, "nonstationary", col=col, mod=st["max_modulus"],
                                               s=st["tau_rho_eta"]))
                else:
                    readings.append(flagged_reading(state, col, res))
            else:
                sp = "rho" if "rho" in p.index else "lambda"
                readings.append(state.text(TEXT, "dyn_params", col=col, tau=float(p.get("y_lag", 0.0)),
                                           eta=float(p.get("W_y_lag", 0.0)), rho=float(p[sp]),
                                           sp={"rho": "ρ", "lambda": "λ"}[sp], sp_en=sp,
                                           mod=st["max_modulus"]))
                for h in ("short", "long"):
                    eff = res.effects(horizon=h, method="simulation", nsim=nsim, seed=seed)
                    effd[h] = eff
                    hz = TEXT["horizon"][state.lang][h]
                    tabs.append(frame_table(
                        _effects_frame(state, eff), name=f"dynamic_effects_{h}", digits=3,
                        title=state.text(TEXT, "dyn_effects_title", col=col, horizon=hz),
                        notes=(state.text(TEXT, "effects_note", nsim=nsim, seed=seed),
                               *([state.text(TEXT, "discarded", k=eff.attrs["discarded"], nsim=nsim)]
                                 if eff.attrs.get("discarded") else []))))
                    sig = [v for v in eff.index if eff.loc[v, "indirect_p"] < 0.05]
                    if sig:
                        parts = [f"{v} ({eff.loc[v, 'indirect']:+.3f})" for v in sig]
                        readings.append(state.text(TEXT, "dyn_spill", col=col, horizon=hz,
                                                   v=("，" if state.lang == "zh" else ", ").join(parts)))
                    else:
                        readings.append(state.text(TEXT, "dyn_no_spill", col=col, horizon=hz))
            numbers["dynamic"] = {"column": col, "weights": wn, "dynamic": dyn, "params": res.params,
                                  "bse": res.bse, "pvalues": res.pvalues, "llf": res.llf,
                                  "nobs": res.nobs, "sigma2": res.sigma2, "stability": dict(st),
                                  "effects_short": effd.get("short"), "effects_long": effd.get("long"),
                                  "tests": res.tests, "info": dict(res.info),
                                  "flags": [list(f) for f in res.flags]}
    endog, inst = list(cfg["endog"]), list(cfg["instruments"])
    if endog or inst:
        col = state.text(TEXT, "gmm_col", w=wlab)
        fe = normalise_fe(cfg["fe"])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FitWarning)
                res = models.spatial_gmm(state.frame, y=y, x=x, w=w, id="code", time="year",
                                         model="sar", endog=endog, instruments=inst, fe=fe)
        except Exception as exc:
            state.notes.append(state.text(TEXT, "failed", what=state.text(TEXT, "what_gmm"),
                                          err=f"{type(exc).__name__}: {exc}"))
            res = None
        if res is not None:
            cols[col] = res
            none = state.text(TEXT, "none_word")
            notes.append(state.text(TEXT, "gmm_note", col=col, fe=fe,
                                    endog=", ".join(endog) or none, inst=", ".join(inst) or none))
            fs = res.first_stage
            fmin = fs["F"].idxmin()
            readings.append(state.text(TEXT, "gmm_reading", col=col, rho=float(res.params["rho"]),
                                       p=float(res.pvalues["rho"]), fmin=float(fs.loc[fmin, "F"]), fvar=fmin))
            from ...models.gmm import WEAK_F
            weak = fs[fs["F"] < WEAK_F]
            if len(weak):
                readings.append(state.text(TEXT, "weak", col=col, thr=WEAK_F,
                                           v=", ".join(f"{nm}: F = {r.F:.2f}" for nm, r in weak.iterrows())))
            other = [f for f in res.flags if f.code != "weak_instruments"]
            if other:
                readings.append(flagged_reading(state, col, res))
            disp = fs[["F", "df1", "df2", "p", "partial_r2"]].copy()
            tests = res.tests
            for key, nm in (("sargan", "Sargan"), ("hansen", "Hansen J")):
                if nm in tests.index:
                    disp.loc[state.text(TEXT, key)] = [tests.loc[nm, "statistic"], tests.loc[nm, "df"],
                                                       float("nan"), tests.loc[nm, "p"], float("nan")]
            disp.index.name = state.text(TEXT, "variable")
            tabs.append(frame_table(
                disp, name="gmm_first_stage", digits={"F": 3, "df1": 0, "df2": 0, "p": 3, "partial_r2": 3},
                labels={"F": state.text(TEXT, "statistic"), "df1": state.text(TEXT, "df1"),
                        "df2": state.text(TEXT, "df2"), "p": state.text(TEXT, "p"),
                        "partial_r2": state.text(TEXT, "partial_r2")},
                title=state.text(TEXT, "first_stage_title", col=col),
                notes=(state.text(TEXT, "fs_note"),)))
            numbers["gmm"] = {"column": col, "weights": wn, "params": res.params, "bse": res.bse,
                              "pvalues": res.pvalues, "first_stage": fs, "tests": tests,
                              "info": dict(res.info), "flags": [list(f) for f in res.flags]}
    return cols, notes, tabs


STAGE = Stage(name="models", title=TEXT["title"], run=run, requires=("index", "weights"), command="model",
              help=TEXT["help"]["en"])
