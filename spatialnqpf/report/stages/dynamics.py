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
}


def run(state: State) -> StageOutput:
    col = state.variable("dynamics")
    k = int(state.config.get("dynamics", "markov_classes"))
    grp = state.config.get("inequality", "groups")
    tables, figures, readings, numbers = [], [], [], {}
    kd = dynamics.kernel_density_by_year(state.frame, col, grp, id="code", time="year")
    numbers["kernel_density_peaks"] = kd.peaks()
    numbers["kernel_density_bandwidth"] = kd.bandwidth
    if state.figures:
        figures += _kde_figures(state, kd)
    pk = kd.peaks()["nation"]
    readings.append(state.t(
        f"全国分布的主峰从 {pk.index[0]} 年的 {pk.iloc[0]:.3f} 移到 {pk.index[-1]} 年的 {pk.iloc[-1]:.3f}。",
        f"The main peak of the national distribution moved from {pk.iloc[0]:.3f} in {pk.index[0]} "
        f"to {pk.iloc[-1]:.3f} in {pk.index[-1]}."))
    mk = dynamics.markov(state.frame, col, k, id="code", time="year")
    tab = mk.table()
    tab.index.name = state.t("t \\ t+1", "t \\ t+1")
    tables.append(frame_table(tab, name="markov_transitions", digits=3,
                              title=state.t(f"传统马尔可夫转移概率矩阵（{k} 类，分位数分组）",
                                          f"Markov transition probabilities ({k} quantile classes)")))
    if state.figures:
        figures.append(state.save_figure(plot_markov_heatmap(mk, lang=state.fig_lang), "markov_heatmap",
                                         state.t("马尔可夫转移概率热图", "Markov transition probabilities")))
    numbers["markov_P"] = mk.P
    numbers["markov_steady_state"] = mk.steady_state
    diag = np.diag(mk.P.to_numpy(dtype=float))
    readings.append(state.t(
        f"保持原类型的概率在 {diag.min():.2f} 至 {diag.max():.2f} 之间；稳态分布中最高一类占 "
        f"{pct(mk.steady_state.iloc[-1])}。",
        f"The probability of staying in the same class ranges from {diag.min():.2f} to {diag.max():.2f}; "
        f"the steady state puts {pct(mk.steady_state.iloc[-1])} in the top class."))
    if state.weights:
        wname = next(iter(state.weights))
        try:
            sm = dynamics.spatial_markov(state.frame, col, state.weights[wname], k, id="code", time="year")
            st = sm.table()
            st.index = [f"{a} | {b}" for a, b in st.index]
            st.index.name = state.t("空间滞后类型 | t", "lag class | t")
            tables.append(frame_table(st, name="spatial_markov", digits=3,
                                      title=state.t(f"空间马尔可夫转移概率矩阵（{state.weight_labels[wname]}）",
                                                  f"Spatial Markov transition probabilities ({state.weight_labels[wname]})")))
            tests = sm.tests
            tables.append(frame_table(tests, name="spatial_markov_tests", digits=3,
                                      title=state.t("空间马尔可夫同质性检验", "Spatial Markov homogeneity tests")))
            numbers["spatial_markov_tests"] = tests
        except Exception as exc:
            state.notes.append(f"spatial Markov failed: {type(exc).__name__}: {exc}")
    fits = {state.t("绝对 β 收敛", "Absolute β"): dynamics.beta_convergence(state.frame, col, id="code", time="year")}
    ctrl = [c for c in state.config.get("models", "x") if c in state.frame.columns]
    if ctrl:
        try:
            fits[state.t("条件 β 收敛", "Conditional β")] = dynamics.beta_convergence(
                state.frame, col, ctrl, id="code", time="year")
        except Exception as exc:
            state.notes.append(f"conditional beta convergence failed: {type(exc).__name__}: {exc}")
    speed = {c: r.speed for c, r in fits.items()}
    half = {c: r.half_life for c, r in fits.items()}
    cols = {c: {"params": r.params, "bse": r.bse, "pvalues": r.pvalues, "nobs": r.nobs,
                "r2": r.r2_within, "fe": r.fe} for c, r in fits.items()}
    if state.weights:
        wname = next(iter(state.weights))
        c = state.t(f"空间 β 收敛（SDM，{state.weight_labels[wname]}）", f"Spatial β (SDM, {state.weight_labels[wname]})")
        try:
            sb = dynamics.spatial_beta_convergence(state.frame, col, state.weights[wname], id="code", time="year")
            cols[c] = sb
            bname = next(n for n in sb.params.index if not n.startswith("W_") and n not in ("rho", "lambda"))
            b = float(sb.params[bname])
            sp, hl = dynamics.convergence_speed(b)
            speed[c], half[c] = sp, hl
            numbers["spatial_beta_convergence"] = {"params": sb.params, "bse": sb.bse,
                                                   "pvalues": sb.pvalues, "speed": sp, "half_life": hl}
        except Exception as exc:
            state.notes.append(f"spatial beta convergence failed: {type(exc).__name__}: {exc}")
    extra = {state.t("收敛速度", "Speed"): speed, state.t("半衰期（年）", "Half-life (years)"): half}
    tables.append(regression_table(
        cols,
        name="beta_convergence", lang=state.lang, extra_rows=extra,
        labels={r.params.index[0]: "ln x(t)" for r in fits.values()},
        title=state.t("β 收敛检验（双向固定效应）", "β-convergence (two-way fixed effects)")))
    numbers["beta_convergence"] = {c: {"params": r.params, "bse": r.bse, "pvalues": r.pvalues,
                                       "speed": r.speed, "half_life": r.half_life}
                                   for c, r in fits.items()}
    for c, r in fits.items():
        p = float(r.pvalues.iloc[0])
        if r.beta < 0 and p < 0.05:
            readings.append(state.t(f"{c}：β = {r.beta:.3f}（p = {p:.3f}），收敛速度 {r.speed:.3f}，半衰期 {r.half_life:.1f} 年。",
                                  f"{c}: β = {r.beta:.3f} (p = {p:.3f}), speed {r.speed:.3f}, "
                                  f"half-life {r.half_life:.1f} years."))
        else:
            readings.append(state.t(f"{c}：β = {r.beta:.3f}（p = {p:.3f}），没有显著的收敛证据。",
                                  f"{c}: β = {r.beta:.3f} (p = {p:.3f}), no significant evidence of "
                                  f"convergence."))
    return StageOutput(tables=tables, figures=figures, readings=readings, numbers=numbers)


def _kde_figures(state: State, kd) -> list:
    """Kernel densities by region (overlay) and the national surface."""
    out = []
    for fig, stem, title in (
            (lambda: plot_kde_overlay(kd, lang=state.fig_lang), "kernel_density_by_region",
             state.t("分区域核密度（逐年）", "Kernel density by region and year")),
            (lambda: plot_kde_surface(kd, kind="surface", lang=state.fig_lang), "kernel_density_surface",
             state.t("全国核密度三维图", "National kernel density surface"))):
        try:
            out.append(state.save_figure(fig(), stem, title))
        except Exception as exc:  # a plotting failure must not lose the tables
            state.notes.append(f"{stem} failed: {type(exc).__name__}: {exc}")
    return out


STAGE = Stage(name="dynamics", title=TEXT["title"], run=run, requires=("index", "weights"), command="dynamics",
              help=TEXT["help"]["en"])
