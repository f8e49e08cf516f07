"""Stage "models": spatial panel models under each matrix, effects, specification search.

:func:`spatialnqpf.models.spatial_panel` (``[models]`` model, fe, Lee–Yu) under every
matrix of ``[models] weights``, direct/indirect/total effects by simulation, and the
Elhorst sequence :func:`spatialnqpf.models.specification_search` under the first one.

A fit with ``flags`` (a spatial parameter on the bound of its interval, degenerate
standard errors, an early stop) is marked in every table cell (a dagger and a note
naming the flag), its effects are not computed nor printed, its reading says why it
cannot be interpreted, and the stage status is ``"warning"``.
"""
from __future__ import annotations

from ... import models
from ..tables import FE_ZH, frame_table, lee_yu_label, regression_table, translate_specification
from ..labels import flag_reasons
from ._base import Stage, StageOutput, State

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
            ss = models.specification_search(data=state.frame, y=y, x=x, w=state.weights[wn0], id="code",
                                              time="year", lee_yu=cfg["lee_yu"],
                                              nsim=int(cfg["effects_nsim"]), seed=state.seed)
            sdf = ss.to_frame()
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
            cmp = {m.upper(): r for m, r in ss.models.items()}
            shown += list(cmp.values())
            tables.append(regression_table(
                cmp, name="sdm_sar_sem", lang=state.lang, labels=state.var_labels([y, *x]),
                title=state.text(TEXT, "sdm_sar_and_sem", v0=state.weight_labels.get(wn0, wn0))))
            readings.append(state.text(TEXT, "the_elhorst_sequence_v", v0=state.weight_labels.get(wn0, wn0), v1=ss.model.upper(),
                                       v2=FE_ZH.get(ss.fe, ss.fe) if state.lang == "zh" else ss.fe))
        except Exception as exc:
            state.notes.append(f"specification_search failed: {type(exc).__name__}: {exc}")
    labels = state.var_labels([y, *x])
    lee = lee_yu_label(cfg["lee_yu"], state.lang)
    fe_zh = FE_ZH.get(cfg["fe"], cfg["fe"])
    note = state.text(TEXT, "fixed_effects_v_bias", fe_zh=fe_zh, v1=cfg['fe'], lee=lee, v3=cfg['effects_nsim'], v4=state.seed)
    tables.insert(0, regression_table(fits, name="spatial_models", lang=state.lang, labels=labels,
                                      effects={k: v for k, v in effs.items() if v is not None} or None,
                                      title=state.text(TEXT, "spatial_panel_estimates_dependent", v0=state.var_label(y)),
                                      notes=(note,)))
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


STAGE = Stage(name="models", title=TEXT["title"], run=run, requires=("index", "weights"), command="model",
              help=TEXT["help"]["en"])
