"""Stage "dynamics": kernel densities, Markov and spatial Markov chains, β-convergence.

:func:`spatialnqpf.dynamics.kernel_density_by_year`, :func:`~spatialnqpf.dynamics.markov`
(quantile classes), :func:`~spatialnqpf.dynamics.spatial_markov` with its homogeneity
tests under the first matrix, absolute and conditional
:func:`~spatialnqpf.dynamics.beta_convergence` and the spatial (SDM) β-convergence.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import dynamics
from ..plot_inequality import plot_kde_overlay, plot_kde_surface, plot_markov_heatmap
from ..tables import MISSING, format_p, frame_table, regression_table
from ..labels import flag_reasons
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
    "part_spatial_markov": {"zh": "空间马尔可夫链", "en": "Spatial Markov chain"},
    "part_conditional_beta": {"zh": "条件 β 收敛", "en": "Conditional β-convergence"},
    "part_spatial_beta": {"zh": "空间 β 收敛（SDM）", "en": "Spatial β-convergence (SDM)"},
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
    "c_v_f_p": {"zh": '{c}：β = {v1:.3f}（p {p}），收敛速度 {v3:.3f}，半衰期 {v4:.1f} 年。',
               "en": '{c}: β = {v1:.3f} (p {p}), speed {v3:.3f}, half-life {v4:.1f} years.'},
    "c_v_f_p_2": {"zh": '{c}：β = {v1:.3f}（p {p}），没有显著的收敛证据。',
                 "en": '{c}: β = {v1:.3f} (p {p}), no significant evidence of convergence.'},
    "spatial_markov_transition_probabilities": {"zh": '空间马尔可夫转移概率矩阵（{v0}）',
                                               "en": 'Spatial Markov transition probabilities ({v0})'},
    "spatial_markov_homogeneity_tests": {"zh": '空间马尔可夫同质性检验', "en": 'Spatial Markov homogeneity tests'},
    "empty_rows": {"zh": '—：该行没有观测（没有处于该类型的转移），转移概率无定义。',
                   "en": '—: no observations in this row (no transition from this class), so its probabilities are undefined.'},
    "steady_state_title": {"zh": '马尔可夫链的稳态（遍历）分布', "en": 'Steady-state (ergodic) distribution of the Markov chains'},
    "class": {"zh": '类型', "en": 'Class'},
    "share_first": {"zh": '{y} 年分布', "en": 'Share {y}'},
    "steady": {"zh": '稳态分布', "en": 'Steady state'},
    "steady_lag": {"zh": '稳态（空间滞后 {q}）', "en": 'Steady state (lag {q})'},
    "steady_note": {"zh": '稳态分布 π 满足 πP = π、Σπ = 1（P 的特征值 1 对应的左特征向量）；空间滞后列为以邻域类型为条件的转移矩阵的稳态；—：该链没有唯一稳态（存在多个常返类或没有观测的行）。',
                    "en": 'The steady state π solves πP = π with Σπ = 1 (the left eigenvector of P for the eigenvalue 1); the lag columns are the steady states of the matrices conditioned on the neighbours\' class; —: the chain has no unique steady state (several recurrent classes or rows without observations).'},
    "kde_support": {"zh": '核密度在综合指数的取值范围 [{lo:g}, {hi:g}] 上估计，在边界处作反射校正（范围外密度为 0）。',
                    "en": 'The kernel densities are estimated on the support [{lo:g}, {hi:g}] of the index with reflection at the bounds (zero density outside).'},
    "short_panel": {"zh": '注意：样本为 {n} 个省份 × {t} 年的短面板，固定效应下 β 的估计含 Nickell 偏误（偏向更快的收敛），上述收敛速度与半衰期只是粗略估计，半衰期可能偏短。',
                    "en": 'Caveat: this is a short panel ({n} provinces × {t} years); with fixed effects the β estimate carries the Nickell bias (towards faster convergence), so the speeds and half-lives above are rough and the half-lives are probably too short.'},
    "short_panel_note": {"zh": '半衰期 = ln 2 / 收敛速度；{t} 年的短面板下固定效应 β 含 Nickell 偏误，半衰期可能偏短。',
                         "en": 'Half-life = ln 2 / speed; in a short panel ({t} years) the fixed-effects β carries the Nickell bias, so the half-lives are probably too short.'},
    "lag": {"zh": "邻域", "en": "lag"},
    "test": {"zh": "检验", "en": "Test"},
    "statistic": {"zh": "统计量", "en": "Statistic"},
    "df": {"zh": "自由度", "en": "df"},
    "p": {"zh": "p 值", "en": "p"},
}

#: Support of the composite index scores (entropy-weighted sums of min-max normalised
#: indicators and TOPSIS closeness both lie in [0, 1]): the kernel densities are reflected there.
INDEX_SUPPORT = (0.0, 1.0)
#: Panels with fewer periods than this get the short-panel caveat on β-convergence half-lives.
SHORT_PANEL_YEARS = 30


def _blank_empty_rows(tab):
    """Probabilities of rows with n == 0 set to NaN (shown as "—"): they do not exist."""
    tab = tab.copy()
    probs = [c for c in tab.columns if c != "n"]
    empty = tab["n"].to_numpy() == 0
    tab.loc[empty, probs] = np.nan
    return tab, int(empty.sum())


def run(state: State) -> StageOutput:
    col = state.variable("dynamics")
    k = int(state.config.get("dynamics", "markov_classes"))
    grp = state.config.get("inequality", "groups")
    tables, figures, readings, numbers = [], [], [], {}
    flagged = []  # readings of flagged fits shown in the tables
    vals = state.frame[col].to_numpy(dtype=float)
    support = (INDEX_SUPPORT if col == state.index_column and np.nanmin(vals) >= INDEX_SUPPORT[0]
               and np.nanmax(vals) <= INDEX_SUPPORT[1] else None)
    kd = dynamics.kernel_density_by_year(data=state.frame, column=col, group=state.group_arg(grp, density=True),
                                         id="code", time="year", support=support)
    numbers["kernel_density_peaks"] = kd.peaks()
    numbers["kernel_density_bandwidth"] = kd.bandwidth
    numbers["kernel_density_support"] = None if support is None else list(support)
    numbers["kernel_density_mass"] = {str(g): [float(np.trapezoid(d, kd.grid)) for d in kd.density[g]]
                                      for g in kd.groups}
    if support is not None:
        readings.append(state.text(TEXT, "kde_support", lo=support[0], hi=support[1]))
    if state.figures:
        figures += _kde_figures(state, kd)
    pk = kd.peaks()["nation"]
    readings.append(state.text(TEXT, "the_main_peak_of", v0=pk.index[0], v1=pk.iloc[0], v2=pk.index[-1], v3=pk.iloc[-1]))
    mk = dynamics.markov(data=state.frame, column=col, k=k, id="code", time="year")
    tab, n_empty = _blank_empty_rows(mk.table())
    tab.index.name = state.text(TEXT, "t_t")
    tables.append(frame_table(tab, name="markov_transitions", digits=3, na_rep=MISSING,
                              title=state.text(TEXT, "markov_transition_probabilities_k", k=k),
                              notes=(state.text(TEXT, "empty_rows"),) if n_empty else ()))
    if state.figures:
        figures.append(state.save_figure(plot_markov_heatmap(mk, lang=state.fig_lang), "markov_heatmap",
                                         state.text(TEXT, "markov_transition_probabilities")))
    numbers["markov_P"] = mk.P
    numbers["markov_steady_state"] = mk.steady_state
    diag = np.diag(mk.P.to_numpy(dtype=float))
    readings.append(state.text(TEXT, "the_probability_of_staying", v0=diag.min(), v1=diag.max(), v2=pct(mk.steady_state.iloc[-1])))
    sm = None
    if state.weights:
        wname = next(iter(state.weights))
        try:
            sm = dynamics.spatial_markov(data=state.frame, column=col, w=state.weights[wname], k=k,
                                         id="code", time="year")
            st, n_empty = _blank_empty_rows(sm.table())
            lag = state.text(TEXT, "lag")
            st.index = [f"{str(a).replace('lag ', lag + ' ', 1)} | {b}" for a, b in st.index]
            st.index.name = state.text(TEXT, "lag_class_t")
            tables.append(frame_table(st, name="spatial_markov", digits=3, na_rep=MISSING,
                                      title=state.text(TEXT, "spatial_markov_transition_probabilities", v0=state.weight_labels[wname]),
                                      notes=(state.text(TEXT, "empty_rows"),) if n_empty else ()))
            numbers["spatial_markov_P"] = {lag: sm.P[lag] for lag in sm.lag_labels}
            numbers["spatial_markov_n"] = {lag: sm.transitions[lag].sum(axis=1) for lag in sm.lag_labels}
            numbers["spatial_markov_empty_rows"] = n_empty
            numbers["spatial_markov_steady_state"] = sm.steady_state
            numbers["spatial_markov_steady_state_shown"] = [
                lag for lag in sm.lag_labels if not (sm.transitions[lag].sum(axis=1) == 0).any()]
            tests = sm.tests
            tests = tests.copy()
            tests.index.name = state.text(TEXT, "test")
            tables.append(frame_table(tests, name="spatial_markov_tests", digits=3, pvalues=("p_value",),
                                      labels={"statistic": state.text(TEXT, "statistic"),
                                              "df": state.text(TEXT, "df"), "p_value": state.text(TEXT, "p")},
                                      title=state.text(TEXT, "spatial_markov_homogeneity_tests")))
            numbers["spatial_markov_tests"] = sm.tests
        except Exception as exc:
            state.fail_note(state.text(TEXT, "part_spatial_markov"), exc)
    tables.append(_steady_state_table(state, mk, sm))
    numbers["markov_class_shares"] = _class_shares(mk)
    fits = {state.text(TEXT, "absolute"): dynamics.beta_convergence(data=state.frame, column=col, id="code", time="year")}
    ctrl = [c for c in state.config.get("models", "x") if c in state.frame.columns]
    if ctrl:
        try:
            fits[state.text(TEXT, "conditional")] = dynamics.beta_convergence(
                data=state.frame, column=col, controls=ctrl, id="code", time="year")
        except Exception as exc:
            state.fail_note(state.text(TEXT, "part_conditional_beta"), exc)
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
                                          why=flag_reasons(sb.flags, state.lang)))
        except Exception as exc:
            state.fail_note(state.text(TEXT, "part_spatial_beta"), exc)
    extra = {state.text(TEXT, "speed"): speed, state.text(TEXT, "half_life_years"): half}
    n_years = int(state.frame["year"].nunique())
    short = n_years < SHORT_PANEL_YEARS
    tables.append(regression_table(
        cols,
        name="beta_convergence", lang=state.lang, extra_rows=extra,
        labels={**state.var_labels(ctrl), **{r.params.index[0]: "ln x(t)" for r in fits.values()}},
        title=state.text(TEXT, "convergence_two_way_fixed"),
        notes=(state.text(TEXT, "short_panel_note", t=n_years),) if short else ()))
    numbers["beta_convergence_panel"] = {"units": int(state.frame["code"].nunique()), "years": n_years,
                                         "short_panel_caveat": bool(short)}
    numbers["beta_convergence"] = {c: {"params": r.params, "bse": r.bse, "pvalues": r.pvalues,
                                       "speed": r.speed, "half_life": r.half_life}
                                   for c, r in fits.items()}
    half_printed = False
    for c, r in fits.items():
        p = float(r.pvalues.iloc[0])
        if r.beta < 0 and p < 0.05:
            readings.append(state.text(TEXT, "c_v_f_p", c=c, v1=r.beta, p=_p_text(p), v3=r.speed, v4=r.half_life))
            half_printed = True
        else:
            readings.append(state.text(TEXT, "c_v_f_p_2", c=c, v1=r.beta, p=_p_text(p)))
    if short and half_printed:
        readings.append(state.text(TEXT, "short_panel", n=int(state.frame["code"].nunique()), t=n_years))
    readings.extend(flagged)
    return StageOutput(tables=tables, figures=figures, readings=readings, numbers=numbers,
                       status="warning" if flagged else "ok")


def _p_text(p: float) -> str:
    """``"= 0.003"`` or ``"< 0.001"`` (:func:`~spatialnqpf.report.tables.format_p`)."""
    txt = format_p(p)
    return f"< {txt[1:]}" if txt.startswith("<") else f"= {txt}"


def _class_shares(mk) -> dict:
    """Share of units in each class in the first and the last period."""
    cls = mk.classes
    first, last = cls.columns[0], cls.columns[-1]
    k = len(mk.labels)
    return {str(y): pd.Series(np.bincount(cls[y].to_numpy(dtype=int), minlength=k) / len(cls),
                              index=list(mk.labels)) for y in (first, last)}


def _steady_state_table(state: State, mk, sm):
    """Class shares of the first and last year, the steady state, and those of the spatial chains."""
    shares = _class_shares(mk)
    (y0, s0), (y1, s1) = shares.items()
    df = pd.DataFrame({state.text(TEXT, "share_first", y=y0): s0,
                       state.text(TEXT, "share_first", y=y1): s1,
                       state.text(TEXT, "steady"): mk.steady_state})
    if sm is not None:
        for lag in sm.lag_labels:
            q = lag.split(" ", 1)[-1]
            ss = sm.steady_state.loc[lag].reindex(df.index)
            if (sm.transitions[lag].sum(axis=1) == 0).any():
                # giddy makes a class without observations absorbing: its "steady state" is an artefact
                ss = ss * np.nan
            df[state.text(TEXT, "steady_lag", q=q)] = ss
    df.index.name = state.text(TEXT, "class")
    return frame_table(df, name="markov_steady_state", digits=3, na_rep=MISSING,
                       title=state.text(TEXT, "steady_state_title"),
                       notes=(state.text(TEXT, "steady_note"),))


def _kde_figures(state: State, kd) -> list:
    """Kernel densities by region (overlay) and the national surface."""
    out = []
    for fig, stem, title in (
            (lambda: plot_kde_overlay(kd, lang=state.fig_lang, label=state.var_label(kd.column, fig=True)),
             "kernel_density_by_region",
             state.text(TEXT, "kernel_density_by_region")),
            (lambda: plot_kde_surface(kd, kind="surface", lang=state.fig_lang,
                                      label=state.var_label(kd.column, fig=True)), "kernel_density_surface",
             state.text(TEXT, "national_kernel_density_surface"))):
        try:
            out.append(state.save_figure(fig(), stem, title))
        except Exception as exc:  # a plotting failure must not lose the tables
            state.fail_note(title, exc, "figure_failed")
    return out


STAGE = Stage(name="dynamics", title=TEXT["title"], run=run, requires=("index", "weights"), command="dynamics",
              help=TEXT["help"]["en"])
