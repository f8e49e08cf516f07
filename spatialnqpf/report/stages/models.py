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
from ._base import Stage, StageOutput, State

#: zh/en strings of this stage.
TEXT = {
    "title": {"zh": "空间计量模型与效应分解", "en": "Spatial regression models and effects"},
    "help": {"zh": "空间面板模型与效应分解（先运行指数与权重阶段）",
             "en": "spatial panel models and effects (runs the index and weights first)"},
    "flagged": {"zh": "{col}：该估计被标记（{codes}），结果不能按常规解释，效应分解未列出：{why}",
                "en": "{col}: this fit is flagged ({codes}) and cannot be interpreted as it stands; its "
                      "effects are not shown: {why}"},
}


def flagged_reading(state: State, col: str, res) -> str:
    """The reading of a flagged fit: which flags, and why it cannot be interpreted."""
    return state.text(TEXT, "flagged", col=col, codes=", ".join(f.code for f in res.flags),
                      why="; ".join(f.message for f in res.flags))


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
        res = models.spatial_panel(state.frame, y=y, x=x, w=state.weights[wn], id="code", time="year",
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
            ss = models.specification_search(state.frame, y=y, x=x, w=state.weights[wn0], id="code",
                                              time="year", lee_yu=cfg["lee_yu"],
                                              nsim=int(cfg["effects_nsim"]), seed=state.seed)
            sdf = ss.to_frame()
            if "step" in sdf.columns:
                sdf = sdf.set_index("step")
            sdf.index.name = state.t("步骤", "Step")
            tables.append(frame_table(
                translate_specification(sdf, state.lang), name="specification_tests", digits={"statistic": 3, "df": 0, "p": 3},
                labels={"test": state.t("检验", "Test"), "fe": state.t("固定效应", "FE"),
                        "statistic": state.t("统计量", "Statistic"), "df": state.t("自由度", "df"),
                        "p": state.t("p 值", "p"), "decision": state.t("结论", "Decision")},
                title=state.t(f"模型设定检验（Elhorst 检验序列，{state.weight_labels.get(wn0, wn0)}）",
                            f"Specification tests (Elhorst sequence, {state.weight_labels.get(wn0, wn0)})")))
            numbers["specification_search"] = {"table": sdf, "fe": ss.fe, "model": ss.model}
            cmp = {m.upper(): r for m, r in ss.models.items()}
            shown += list(cmp.values())
            tables.append(regression_table(
                cmp, name="sdm_sar_sem", lang=state.lang, labels={y: state.var_label(y)},
                title=state.t(f"SDM、SAR 与 SEM 的比较（{state.weight_labels.get(wn0, wn0)}）",
                            f"SDM, SAR and SEM compared ({state.weight_labels.get(wn0, wn0)})")))
            readings.append(state.t(
                f"Elhorst 检验序列（{state.weight_labels.get(wn0, wn0)}，5% 水平）选择 {ss.model.upper()} 模型与 "
                f"{ss.fe} 固定效应。",
                f"The Elhorst sequence ({state.weight_labels.get(wn0, wn0)} weights, 5% level) chooses the "
                f"{ss.model.upper()} with {ss.fe} fixed effects."))
        except Exception as exc:
            state.notes.append(f"specification_search failed: {type(exc).__name__}: {exc}")
    labels = {y: state.var_label(y)}
    lee = lee_yu_label(cfg["lee_yu"], state.lang)
    fe_zh = FE_ZH.get(cfg["fe"], cfg["fe"])
    note = state.t(f"固定效应：{fe_zh}（fe='{cfg['fe']}'）；偏误校正：{lee}；效应标准误由 {cfg['effects_nsim']} 次模拟得到"
                 f"（种子 {state.seed}）。",
                 f"Fixed effects: {cfg['fe']}; bias correction: {lee}; effect standard errors from "
                 f"{cfg['effects_nsim']} simulation draws (seed {state.seed}).")
    tables.insert(0, regression_table(fits, name="spatial_models", lang=state.lang, labels=labels,
                                      effects={k: v for k, v in effs.items() if v is not None} or None,
                                      title=state.t(f"空间面板模型估计结果（被解释变量：{state.var_label(y)}）",
                                                  f"Spatial panel estimates (dependent variable: {state.var_label(y)})"),
                                      notes=(note,)))
    for col, res in fits.items():
        p = res.params
        if res.flags:
            readings.append(flagged_reading(state, col, res))
            continue
        sp = "rho" if "rho" in p.index else ("lambda" if "lambda" in p.index else None)
        if sp:
            readings.append(state.t(
                f"{col}：空间参数 {sp} = {p[sp]:.3f}（p = {res.pvalues[sp]:.3f}）。",
                f"{col}: the spatial parameter {sp} = {p[sp]:.3f} (p = {res.pvalues[sp]:.3f})."))
        e = effs.get(col)
        if e is not None and "indirect" in e.columns:
            sig = [v for v in e.index if "indirect_p" in e.columns and e.loc[v, "indirect_p"] < 0.05]
            if sig:
                parts = [f"{v} ({e.loc[v, 'indirect']:+.3f})" for v in sig]
                readings.append(state.t(f"{col}：在 5% 水平显著的间接（溢出）效应：{'，'.join(parts)}。",
                                      f"{col}: indirect (spillover) effects significant at 5%: {', '.join(parts)}."))
            else:
                readings.append(state.t(f"{col}：没有在 5% 水平显著的间接（溢出）效应。",
                                      f"{col}: no indirect (spillover) effect is significant at 5%."))
    for col, res in cmp.items():
        if res.flags:
            readings.append(flagged_reading(state, col, res))
    status = "warning" if any(r.flags for r in shown) else "ok"
    return StageOutput(tables=tables, figures=figures, readings=readings, numbers=numbers, status=status)


STAGE = Stage(name="models", title=TEXT["title"], run=run, requires=("index", "weights"), command="model",
              help=TEXT["help"]["en"])
