"""Stage "dynamics": kernel densities, Markov and spatial Markov chains, β-convergence.

:func:`spatialnqpf.dynamics.kernel_density_by_year`, :func:`~spatialnqpf.dynamics.markov`
(quantile classes), :func:`~spatialnqpf.dynamics.spatial_markov` with its homogeneity
tests under the first matrix, absolute and conditional
:func:`~spatialnqpf.dynamics.beta_convergence` and the spatial (SDM) β-convergence.
"""
from __future__ import annotations

import numpy as np

from ... import dynamics
from ..plot_inequality import plot_kde_overlay, plot_kde_surface, plot_markov_heatmap
from ..tables import frame_table, regression_table
from ._base import Stage, StageOutput, State, pct

#: zh/en strings of this stage.
TEXT = {
    "title": {"zh": "分布动态：核密度、马尔可夫链与收敛",
              "en": "Distribution dynamics: kernel density, Markov chains, convergence"},
    "help": {"zh": "核密度、马尔可夫链与 β 收敛（先运行指数与权重阶段）",
             "en": "kernel density, Markov chains and convergence (runs the index and weights first)"},
    "flagged": {"zh": "{col}：该估计被标记（{codes}），结果不能按常规解释：{why}",
                "en": "{col}: this fit is flagged ({codes}) and cannot be interpreted as it stands: {why}"},
    "t_t": {"zh": 't \\ t+1', "en": 't \\ t+1'},
    "the_main_peak_of": {"zh": '全国分布的主峰从 {v0} 年的 {v1:.3f} 移到 {v2} 年的 {v3:.3f}。',
                        "en": 'The main peak of the national distribution moved from {v1:.3f} in {v0} to {v3:.3f} in {v2}.'},
    "the_probability_of_staying": {"zh": '保持原类型的概率在 {v0:.2f} 至 {v1:.2f} 之间；稳态分布中最高一类占 {v2}。',
                                  "en": 'The probability of staying in the same class ranges from {v0:.2f} to {v1:.2f}; the steady state puts {v2} in the top class.'},
    "absolute": {"zh": '绝对 β 收敛', "en": 'Absolute β'},
    "spatial_sdm_v": {"zh": '空间 β 收敛（SDM，{v0}）', "en": 'Spatial β (SDM, {v0})'},
    "speed": {"zh": '收敛速度', "en": 'Speed'},
    "half_life_years": {"zh": '半衰期（年）', "en": 'Half-life (years)'},
    "lag_class_t": {"zh": '空间滞后类型 | t', "en": 'lag class | t'},
    "kernel_density_by_region": {"zh": '分区域核密度（逐年）', "en": 'Kernel density by region and year'},
    "national_kernel_density_surface": {"zh": '全国核密度三维图', "en": 'National kernel density surface'},
    "markov_transition_probabilities_k": {"zh": '传统马尔可夫转移概率矩阵（{k} 类，分位数分组）',
                                         "en": 'Markov transition probabilities ({k} quantile classes)'},
    "markov_transition_probabilities": {"zh": '马尔可夫转移概率热图', "en": 'Markov transition probabilities'},
    "conditional": {"zh": '条件 β 收敛', "en": 'Conditional β'},
    "convergence_two_way_fixed": {"zh": 'β 收敛检验（双向固定效应）',
                                 "en": 'β-convergence (two-way fixed effects)'},
    "c_v_f_p": {"zh": '{c}：β = {v1:.3f}（p = {p:.3f}），收敛速度 {v3:.3f}，半衰期 {v4:.1f} 年。',
               "en": '{c}: β = {v1:.3f} (p = {p:.3f}), speed {v3:.3f}, half-life {v4:.1f} years.'},
    "c_v_f_p_2": {"zh": '{c}：β = {v1:.3f}（p = {p:.3f}），没有显著的收敛证据。',
                 "en": '{c}: β = {v1:.3f} (p = {p:.3f}), no significant evidence of convergence.'},
    "spatial_markov_transition_probabilities": {"zh": '空间马尔可夫转移概率矩阵（{v0}）',
                                               "en": 'Spatial Markov transition probabilities ({v0})'},
    "spatial_markov_homogeneity_tests": {"zh": '空间马尔可夫同质性检验', "en": 'Spatial Markov homogeneity tests'},
}


def run(state: State) -> StageOutput:
    col = state.variable("dynamics")
    k = int(state.config.get("dynamics", "markov_classes"))
    grp = state.config.get("inequality", "groups")
    tables, figures, readings, numbers = [], [], [], {}
    flagged = []  # readings of flagged fits shown in the tables
    kd = dynamics.kernel_density_by_year(data=state.frame, column=col, group=state.group_arg(grp, density=True),
                                         id="code", time="year")
    numbers["kernel_density_peaks"] = kd.peaks()
    numbers["kernel_density_bandwidth"] = kd.bandwidth
    if state.figures:
        figures += _kde_figures(state, kd)
    pk = kd.peaks()["nation"]
    readings.append(state.text(TEXT, "the_main_peak_of", v0=pk.index[0], v1=pk.iloc[0], v2=pk.index[-1], v3=pk.iloc[-1]))
    mk = dynamics.markov(data=state.frame, column=col, k=k, id="code", time="year")
    tab = mk.table()
    tab.index.name = state.text(TEXT, "t_t")
    tables.append(frame_table(tab, name="markov_transitions", digits=3,
                              title=state.text(TEXT, "markov_transition_probabilities_k", k=k)))
    if state.figures:
        figures.append(state.save_figure(plot_markov_heatmap(mk, lang=state.fig_lang), "markov_heatmap",
                                         state.text(TEXT, "markov_transition_probabilities")))
    numbers["markov_P"] = mk.P
    numbers["markov_steady_state"] = mk.steady_state
    diag = np.diag(mk.P.to_numpy(dtype=float))
    readings.append(state.text(TEXT, "the_probability_of_staying", v0=diag.min(), v1=diag.max(), v2=pct(mk.steady_state.iloc[-1])))
    if state.weights:
        wname = next(iter(state.weights))
        try:
            sm = dynamics.spatial_markov(data=state.frame, column=col, w=state.weights[wname], k=k,
                                         id="code", time="year")
            st = sm.table()
            st.index = [f"{a} | {b}" for a, b in st.index]
            st.index.name = state.text(TEXT, "lag_class_t")
            tables.append(frame_table(st, name="spatial_markov", digits=3,
                                      title=state.text(TEXT, "spatial_markov_transition_probabilities", v0=state.weight_labels[wname])))
            tests = sm.tests
            tables.append(frame_table(tests, name="spatial_markov_tests", digits=3,
                                      title=state.text(TEXT, "spatial_markov_homogeneity_tests")))
            numbers["spatial_markov_tests"] = tests
        except Exception as exc:
            state.notes.append(f"spatial Markov failed: {type(exc).__name__}: {exc}")
    fits = {state.text(TEXT, "absolute"): dynamics.beta_convergence(data=state.frame, column=col, id="code", time="year")}
    ctrl = [c for c in state.config.get("models", "x") if c in state.frame.columns]
    if ctrl:
        try:
            fits[state.text(TEXT, "conditional")] = dynamics.beta_convergence(
                data=state.frame, column=col, controls=ctrl, id="code", time="year")
        except Exception as exc:
            state.notes.append(f"conditional beta convergence failed: {type(exc).__name__}: {exc}")
    speed = {c: r.speed for c, r in fits.items()}
    half = {c: r.half_life for c, r in fits.items()}
    cols = dict(fits)  # BetaResult: read through tidy() by the table
    if state.weights:
        wname = next(iter(state.weights))
        c = state.text(TEXT, "spatial_sdm_v", v0=state.weight_labels[wname])
        try:
            sb = dynamics.spatial_beta_convergence(data=state.frame, column=col, w=state.weights[wname],
                                                   id="code", time="year")
            cols[c] = sb
            bname = next(n for n in sb.params.index if not n.startswith("W_") and n not in ("rho", "lambda"))
            b = float(sb.params[bname])
            sp, hl = dynamics.convergence_speed(beta=b)
            speed[c], half[c] = sp, hl
            numbers["spatial_beta_convergence"] = {"params": sb.params, "bse": sb.bse,
                                                   "pvalues": sb.pvalues, "speed": sp, "half_life": hl,
                                                   "flags": [list(f) for f in sb.flags]}
            if sb.flags:
                flagged.append(state.text(TEXT, "flagged", col=c, codes=", ".join(f.code for f in sb.flags),
                                          why="; ".join(f.message for f in sb.flags)))
        except Exception as exc:
            state.notes.append(f"spatial beta convergence failed: {type(exc).__name__}: {exc}")
    extra = {state.text(TEXT, "speed"): speed, state.text(TEXT, "half_life_years"): half}
    tables.append(regression_table(
        cols,
        name="beta_convergence", lang=state.lang, extra_rows=extra,
        labels={r.params.index[0]: "ln x(t)" for r in fits.values()},
        title=state.text(TEXT, "convergence_two_way_fixed")))
    numbers["beta_convergence"] = {c: {"params": r.params, "bse": r.bse, "pvalues": r.pvalues,
                                       "speed": r.speed, "half_life": r.half_life}
                                   for c, r in fits.items()}
    for c, r in fits.items():
        p = float(r.pvalues.iloc[0])
        if r.beta < 0 and p < 0.05:
            readings.append(state.text(TEXT, "c_v_f_p", c=c, v1=r.beta, p=p, v3=r.speed, v4=r.half_life))
        else:
            readings.append(state.text(TEXT, "c_v_f_p_2", c=c, v1=r.beta, p=p))
    readings.extend(flagged)
    return StageOutput(tables=tables, figures=figures, readings=readings, numbers=numbers,
                       status="warning" if flagged else "ok")


def _kde_figures(state: State, kd) -> list:
    """Kernel densities by region (overlay) and the national surface."""
    out = []
    for fig, stem, title in (
            (lambda: plot_kde_overlay(kd, lang=state.fig_lang), "kernel_density_by_region",
             state.text(TEXT, "kernel_density_by_region")),
            (lambda: plot_kde_surface(kd, kind="surface", lang=state.fig_lang), "kernel_density_surface",
             state.text(TEXT, "national_kernel_density_surface"))):
        try:
            out.append(state.save_figure(fig(), stem, title))
        except Exception as exc:  # a plotting failure must not lose the tables
            state.notes.append(f"{stem} failed: {type(exc).__name__}: {exc}")
    return out


STAGE = Stage(name="dynamics", title=TEXT["title"], run=run, requires=("index", "weights"), command="dynamics",
              help=TEXT["help"]["en"])
