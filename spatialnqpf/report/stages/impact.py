"""Stage "impact": the tables of an impact paper — baseline, mechanism, thresholds, heterogeneity.

Optional: it runs only when the configuration has an ``[impact]`` table (worked example:
``examples/impact_report.toml``).  Every number comes from the package's estimators, read
through their ``tidy()`` / result frames:

* baseline: :func:`spatialnqpf.models.panel_fe` (reghdfe conventions, CR1 by ``cluster``),
  column (1) the core regressors alone, column (2) with the controls;
* mechanism: :func:`~spatialnqpf.models.mediation` per mediator (three equations, Sobel test,
  cluster bootstrap percentile and bias-corrected intervals of a·b; the equations' table is
  :func:`~spatialnqpf.models.panel_fe` clustered by unit, the same numbers as the paths) and
  :func:`~spatialnqpf.models.moderation` per moderator (centred interaction);
* threshold: :func:`~spatialnqpf.models.panel_threshold` (Hansen 1999): the sequential
  bootstrap tests, the thresholds with their LR-inversion intervals, the regime slopes of
  the model with the number of thresholds the bootstrap supports at 5% (the single-threshold
  model, marked as unsupported, when none is), and the LR plot;
* heterogeneity: :func:`~spatialnqpf.models.heterogeneity` by ``[impact] heterogeneity``
  groups, side by side, with the permutation and interacted-Wald tests of the differences,
  and a coefficient plot by group.

The readings are computed from these numbers: an insignificant coefficient, an indirect
effect whose interval contains zero or a threshold the bootstrap does not support is said to
be so.  A flagged fit is marked in its table and the stage status is ``"warning"``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import models
from ..._validation import DataError, format_values
from ..config import ConfigError
from ..tables import FE_ZH, LABELS, frame_table, regression_table
from ._base import Skip, Stage, StageOutput, State

#: zh/en strings of this stage.
TEXT = {
    "title": {"zh": "影响效应：基准回归、机制检验、门槛效应与异质性",
              "en": "Impact: baseline, mechanism, threshold effects and heterogeneity"},
    "help": {"zh": "影响效应分析（需要配置 [impact]；先运行指数阶段）",
             "en": "impact-paper tables: baseline FE, mediation, thresholds, heterogeneity "
                   "(needs [impact]; runs the index first)"},
    "off": {"zh": "配置中没有 [impact] 表",
            "en": "no [impact] table in the configuration (see examples/impact_report.toml)"},
    "skip_y_index": {"zh": "[impact] y = 'index'，但指数阶段未得到综合指数得分",
                     "en": "[impact] y = 'index' but the index stage did not produce scores"},
    "controls": {"zh": "控制变量", "en": "Controls"},
    "cluster_row": {"zh": "聚类", "en": "Clustered by"},
    "unit": {"zh": "地区", "en": "province"},
    "hetero": {"zh": "异方差稳健", "en": "heteroskedasticity-robust (HC1)"},
    "iid": {"zh": "同方差", "en": "homoskedastic"},
    "within_r2": {"zh": "组内 R²", "en": "Within R²"},
    "baseline_title": {"zh": "基准回归结果（被解释变量：{y}）",
                       "en": "Baseline regression (dependent variable: {y})"},
    "baseline_note": {"zh": "固定效应：{fe}；标准误：{se}，检验基于 t(G − 1) 分布（与 reghdfe 一致）。",
                      "en": "Fixed effects: {fe}; standard errors: {se}, tests on t(G − 1) (as reghdfe)."},
    "se_cluster": {"zh": "按{c}聚类（CR1）", "en": "clustered by {c} (CR1)"},
    "sig_pos": {"zh": "在 {lvl} 水平上显著为正", "en": "positive and significant at the {lvl} level"},
    "sig_neg": {"zh": "在 {lvl} 水平上显著为负", "en": "negative and significant at the {lvl} level"},
    "insig": {"zh": "在 10% 水平上不显著", "en": "not significant at the 10% level"},
    "baseline_reading": {"zh": "基准回归（第 {col} 列）：{x} 的系数为 {b:.4f}（标准误 {se:.4f}，p = {p:.3f}），{sig}。",
                         "en": "Baseline (column {col}): the coefficient of {x} is {b:.4f} (SE {se:.4f}, p = {p:.3f}), {sig}."},
    "baseline_none": {"zh": "基准回归未发现 {x} 的显著影响，下文的机制与门槛结果应结合这一点解读。",
                      "en": "The baseline shows no significant effect of {x}; read the mechanism and threshold results with this in mind."},
    "mech_title": {"zh": "机制检验：中介效应三步法（中介变量：{m}）",
                   "en": "Mechanism: the three-equation mediation test (mediator: {m})"},
    "mech_note": {"zh": "三个方程均为{fe}固定效应最小二乘，标准误按地区聚类（CR1）。",
                  "en": "Each equation least squares with {fe} fixed effects, standard errors clustered by province (CR1)."},
    "med_effects_title": {"zh": "中介效应检验：Sobel 检验与自助法置信区间",
                          "en": "Indirect effects: Sobel test and bootstrap intervals"},
    "med_effects_note": {"zh": "自助法：{n} 次按地区整群重抽样（种子 {seed}）；区间水平 95%。",
                         "en": "Bootstrap: {n} cluster draws of provinces (seed {seed}); 95% intervals."},
    "med_no_boot": {"zh": "未做自助法（mediation_boot = 0），仅报告 Sobel 检验。",
                    "en": "No bootstrap (mediation_boot = 0): Sobel test only."},
    "a": {"zh": "a（{x} → {m}）", "en": "a ({x} → {m})"},
    "b": {"zh": "b（{m} → {y}）", "en": "b ({m} → {y})"},
    "ab": {"zh": "间接效应 a×b", "en": "Indirect effect a×b"},
    "sobel_se": {"zh": "Sobel 标准误", "en": "Sobel SE"},
    "sobel_z": {"zh": "Sobel z 值", "en": "Sobel z"},
    "sobel_p": {"zh": "Sobel p 值", "en": "Sobel p"},
    "boot_low": {"zh": "自助法区间下限（百分位）", "en": "Bootstrap lower (percentile)"},
    "boot_high": {"zh": "自助法区间上限（百分位）", "en": "Bootstrap upper (percentile)"},
    "bc_low": {"zh": "自助法区间下限（偏差校正）", "en": "Bootstrap lower (bias-corrected)"},
    "bc_high": {"zh": "自助法区间上限（偏差校正）", "en": "Bootstrap upper (bias-corrected)"},
    "total": {"zh": "总效应 c", "en": "Total effect c"},
    "direct": {"zh": "直接效应 c′", "en": "Direct effect c′"},
    "share": {"zh": "中介效应占比", "en": "Share mediated"},
    "med_yes": {"zh": "中介变量 {m}：a = {a:.4f}（p = {pa:.3f}），b = {b:.4f}（p = {pb:.3f}），间接效应 a×b = {ab:.4f}（Sobel p = {ps:.3f}{ci}），{what}，{m} 是 {x} 影响 {y} 的渠道，约占总效应的 {share}。",
                "en": "Mediator {m}: a = {a:.4f} (p = {pa:.3f}), b = {b:.4f} (p = {pb:.3f}), indirect effect a×b = {ab:.4f} (Sobel p = {ps:.3f}{ci}); {what}: {m} is a channel of the effect of {x} on {y}, about {share} of the total effect."},
    "med_no": {"zh": "中介变量 {m}：a = {a:.4f}（p = {pa:.3f}），b = {b:.4f}（p = {pb:.3f}），间接效应 a×b = {ab:.4f}（Sobel p = {ps:.3f}{ci}），{what}，没有证据表明 {m} 是 {x} 影响 {y} 的渠道。",
               "en": "Mediator {m}: a = {a:.4f} (p = {pa:.3f}), b = {b:.4f} (p = {pb:.3f}), indirect effect a×b = {ab:.4f} (Sobel p = {ps:.3f}{ci}); {what}: no evidence that {m} is a channel of the effect of {x} on {y}."},
    "med_ci": {"zh": "，95% 自助法区间 [{lo:.4f}, {hi:.4f}]", "en": "; 95% bootstrap interval [{lo:.4f}, {hi:.4f}]"},
    "ci_excludes": {"zh": "自助法区间不含 0", "en": "the bootstrap interval excludes zero"},
    "ci_contains": {"zh": "自助法区间包含 0", "en": "the bootstrap interval contains zero"},
    "sobel_sig": {"zh": "Sobel 检验在 5% 水平上显著", "en": "the Sobel test is significant at 5%"},
    "sobel_insig": {"zh": "Sobel 检验在 5% 水平上不显著", "en": "the Sobel test is not significant at 5%"},
    "disagree": {"zh": "（Sobel 检验与自助法区间结论不一致，以自助法为准）",
                 "en": " (the Sobel test and the bootstrap interval disagree; the bootstrap is used)"},
    "mod_title": {"zh": "机制检验：调节效应（交互项已中心化）",
                  "en": "Mechanism: moderation (centred interaction terms)"},
    "mod_effects_title": {"zh": "{x} 在调节变量不同取值处的边际效应",
                          "en": "Marginal effect of {x} at values of the moderators"},
    "moderator": {"zh": "调节变量", "en": "Moderator"},
    "at": {"zh": "取值", "en": "At"},
    "at_lo": {"zh": "均值 − 标准差", "en": "mean − sd"},
    "at_mean": {"zh": "均值", "en": "mean"},
    "at_hi": {"zh": "均值 + 标准差", "en": "mean + sd"},
    "value": {"zh": "调节变量值", "en": "Moderator value"},
    "effect": {"zh": "边际效应", "en": "Marginal effect"},
    "se": {"zh": "标准误", "en": "SE"},
    "p": {"zh": "p 值", "en": "p"},
    "mod_sig": {"zh": "调节变量 {z}：交互项 {x} × {z} 的系数为 {b:.4f}（p = {p:.3f}），{sig}，{z} 越高，{x} 的影响{dir}。",
                "en": "Moderator {z}: the interaction {x} × {z} is {b:.4f} (p = {p:.3f}), {sig}: the effect of {x} is {dir} where {z} is higher."},
    "stronger": {"zh": "越大", "en": "larger"},
    "weaker": {"zh": "越小", "en": "smaller"},
    "mod_insig": {"zh": "调节变量 {z}：交互项 {x} × {z} 的系数为 {b:.4f}（p = {p:.3f}），在 10% 水平上不显著，没有证据表明 {z} 调节 {x} 的影响。",
                  "en": "Moderator {z}: the interaction {x} × {z} is {b:.4f} (p = {p:.3f}), not significant at the 10% level: no evidence that {z} moderates the effect of {x}."},
    "th_tests_title": {"zh": "门槛效应检验（门槛变量：{q}）", "en": "Threshold effect tests (threshold variable: {q})"},
    "th_tests_note": {"zh": "固定回归元自助法 {n} 次（Hansen 1999），每次重新估计门槛；修剪比例 {trim}；候选值：{cand}；种子 {seed}。",
                      "en": "Fixed-regressor bootstrap with {n} draws (Hansen 1999), thresholds re-estimated in every draw; trimming {trim}; candidates: {cand}; seed {seed}."},
    "cand_all": {"zh": "门槛变量的全部不同取值", "en": "every distinct value of the threshold variable"},
    "cand_grid": {"zh": "Hansen 分位数网格（{g} 个）", "en": "Hansen's quantile grid ({g})"},
    "single": {"zh": "单一门槛", "en": "Single threshold"},
    "double": {"zh": "双重门槛", "en": "Double threshold"},
    "triple": {"zh": "三重门槛", "en": "Triple threshold"},
    "test": {"zh": "检验", "en": "Test"},
    "F": {"zh": "F 值", "en": "F"},
    "p_boot": {"zh": "自助法 p 值", "en": "Bootstrap p"},
    "crit_10": {"zh": "10% 临界值", "en": "Critical 10%"},
    "crit_5": {"zh": "5% 临界值", "en": "Critical 5%"},
    "crit_1": {"zh": "1% 临界值", "en": "Critical 1%"},
    "th_est_title": {"zh": "门槛估计值与 95% 置信区间（{model}）",
                     "en": "Threshold estimates and 95% confidence intervals ({model})"},
    "model_1": {"zh": "单一门槛模型", "en": "single-threshold model"},
    "model_2": {"zh": "双重门槛模型", "en": "double-threshold model"},
    "model_3": {"zh": "三重门槛模型", "en": "triple-threshold model"},
    "estimate": {"zh": "估计值", "en": "Estimate"},
    "lower": {"zh": "区间下限", "en": "Lower"},
    "upper": {"zh": "区间上限", "en": "Upper"},
    "threshold": {"zh": "门槛", "en": "Threshold"},
    "th_est_note": {"zh": "置信区间由似然比统计量反转得到：LR(γ) ≤ c = {c:.4f}（Hansen 2000）。",
                    "en": "Intervals by inverting the likelihood ratio: LR(γ) ≤ c = {c:.4f} (Hansen 2000)."},
    "th_coef_title": {"zh": "门槛回归结果（被解释变量：{y}）", "en": "Threshold regression (dependent variable: {y})"},
    "th_unsupported": {"zh": "自助法在 5% 水平上不支持门槛效应，本表仅作参考。",
                       "en": "The bootstrap does not support a threshold effect at 5%; shown for reference only."},
    "th_coef_note": {"zh": "个体固定效应（组内变换）；{se}。", "en": "Unit fixed effects (within transformation); {se}."},
    "th_se_cluster": {"zh": "标准误按地区聚类（CR1）", "en": "standard errors clustered by province (CR1)"},
    "th_se_plain": {"zh": "标准误与 xtreg, fe 相同", "en": "standard errors as xtreg, fe"},
    "th_test_reading": {"zh": "门槛效应检验（门槛变量 {q}，自助法 {n} 次）：{parts}。",
                        "en": "Threshold tests on {q} ({n} bootstrap draws): {parts}."},
    "th_part": {"zh": "{name} F = {F:.2f}，p = {p:.3f}", "en": "{name} F = {F:.2f}, p = {p:.3f}"},
    "th_support": {"zh": "在 5% 水平上，自助法支持 {k} 个门槛：{gam}。",
                   "en": "At the 5% level the bootstrap supports {k} threshold(s): {gam}."},
    "th_gamma": {"zh": "γ̂{j} = {g:.4f}（95% 区间 [{lo:.4f}, {hi:.4f}]）", "en": "γ̂{j} = {g:.4f} (95% interval [{lo:.4f}, {hi:.4f}])"},
    "th_none": {"zh": "在 5% 水平上，自助法不支持 {q} 的门槛效应（单一门槛 p = {p:.3f}），{x} 的影响不随 {q} 分段变化。",
                "en": "At the 5% level the bootstrap does not support a threshold effect in {q} (single-threshold p = {p:.3f}): the effect of {x} does not change by regime of {q}."},
    "th_noboot": {"zh": "未做自助法（n_boot = 0），门槛个数未经检验，下面给出{model}。",
                  "en": "No bootstrap (n_boot = 0): the number of thresholds is not tested; the {model} is shown."},
    "th_slopes": {"zh": "{x} 在各区制的系数：{parts}。", "en": "Coefficients of {x} by regime: {parts}."},
    "lr_title": {"zh": "门槛估计值的似然比函数图（{q}）", "en": "Likelihood-ratio function of the thresholds ({q})"},
    "lr_x": {"zh": "门槛变量 {q}", "en": "threshold variable {q}"},
    "lr_y": {"zh": "似然比统计量 LR", "en": "LR statistic"},
    "lr_crit": {"zh": "95% 临界值 {c:.2f}", "en": "95% critical value {c:.2f}"},
    "het_title": {"zh": "区域异质性（按 {by} 分组）", "en": "Regional heterogeneity ({by} groups)"},
    "het_note": {"zh": "各组分别估计{fe}固定效应模型，标准误按地区聚类（CR1）。",
                 "en": "Each group its own regression with {fe} fixed effects, standard errors clustered by province (CR1)."},
    "diff_title": {"zh": "组间系数差异检验", "en": "Tests that the group coefficients differ"},
    "diff_note": {"zh": "p（置换）：组间置换地区 {n} 次的 Fisher 检验（种子 {seed}）；p（Wald）：完全交互的混合模型（地区及组别×年份固定效应），F(1, G − 1)。",
                  "en": "p (permutation): Fisher's test permuting provinces between the two groups {n} times (seed {seed}); p (Wald): fully interacted pooled model (province and group × year effects), F(1, G − 1)."},
    "group_1": {"zh": "组 1", "en": "Group 1"},
    "group_2": {"zh": "组 2", "en": "Group 2"},
    "term": {"zh": "变量", "en": "Variable"},
    "diff": {"zh": "系数差", "en": "Difference"},
    "p_perm": {"zh": "p（置换）", "en": "p (permutation)"},
    "p_wald": {"zh": "p（Wald）", "en": "p (Wald)"},
    "het_group": {"zh": "{g}（{n} 个地区）：{x} 的系数为 {b:.4f}（p = {p:.3f}），{sig}",
                  "en": "{g} ({n} provinces): the coefficient of {x} is {b:.4f} (p = {p:.3f}), {sig}"},
    "het_reading": {"zh": "分组回归：{parts}。", "en": "By group: {parts}."},
    "het_diff": {"zh": "在 5% 水平上（置换检验）系数差异显著的组别：{pairs}。",
                 "en": "Pairs whose coefficients of {x} differ at 5% (permutation test): {pairs}."},
    "het_nodiff": {"zh": "在 5% 水平上（置换检验）没有哪两组的 {x} 系数差异显著。",
                   "en": "No pair of groups differs in the coefficient of {x} at 5% (permutation test)."},
    "het_noperm": {"zh": "未做置换检验（n_perm = 0）；Wald 检验在 5% 水平上系数差异显著的组别：{pairs}。",
                   "en": "No permutation test (n_perm = 0); pairs differing at 5% by the Wald test: {pairs}."},
    "none": {"zh": "无", "en": "none"},
    "coef_fig_title": {"zh": "{x} 的分组系数（95% 置信区间）", "en": "Coefficient of {x} by group (95% intervals)"},
    "coef_fig_x": {"zh": "系数估计值", "en": "coefficient"},
    "all": {"zh": "全样本", "en": "All"},
    "flagged": {"zh": "{col}：该估计被标记（{codes}），不能按常规解释：{why}",
                "en": "{col}: this fit is flagged ({codes}) and cannot be interpreted as it stands: {why}"},
}

_K_NAME = {1: "single", 2: "double", 3: "triple"}


def enabled(config) -> bool:
    """The stage is part of a full report only when the configuration gives ``[impact]``."""
    return bool(config.get("impact", "enabled"))


def _lvl(p: float):
    return "1%" if p < 0.01 else "5%" if p < 0.05 else "10%" if p < 0.1 else None


def _sig(state: State, b: float, p: float) -> str:
    lvl = _lvl(p) if np.isfinite(p) else None
    if lvl is None:
        return state.text(TEXT, "insig")
    return state.text(TEXT, "sig_pos" if b > 0 else "sig_neg", lvl=lvl)


def _yes_no(state: State, flags) -> dict:
    L = LABELS[state.lang]
    return {c: (L["yes"] if v else L["no"]) for c, v in flags.items()}


def _resolve_y(state: State, y: str) -> str:
    if y != "index":
        return y
    if state.index_column is not None:
        return state.index_column
    raise Skip(TEXT["skip_y_index"]["en"], text=TEXT["skip_y_index"])


def _check_columns(state: State, cols, what="[impact]"):
    miss = [c for c in dict.fromkeys(cols) if c not in state.frame.columns]
    if miss:
        raise DataError(f"{what} column(s) {format_values(miss)} are not in the data; available: "
                        f"{format_values(list(state.frame.columns), 60)}")


def _cluster(state: State, cluster: str):
    c = cluster.strip()
    if c.lower() == "none":
        return None
    if c.lower() in ("hetero", "robust", "hc1"):
        return "hetero"
    if c in ("code", "id") or (state.data is not None and c == state.data.id_column):
        return "code"
    _check_columns(state, [c], "[impact] cluster")
    return c


def _se_text(state: State, cluster) -> str:
    if cluster is None:
        return state.text(TEXT, "iid")
    if cluster == "hetero":
        return state.text(TEXT, "hetero")
    c = state.text(TEXT, "unit") if cluster == "code" else cluster
    return state.text(TEXT, "se_cluster", c=c)


def _fe_text(state: State, fe: str) -> str:
    return FE_ZH.get(fe, fe) if state.lang == "zh" else fe


def _flag_reading(state: State, col: str, res) -> str:
    return state.text(TEXT, "flagged", col=col, codes=", ".join(f.code for f in res.flags),
                      why="; ".join(f.message for f in res.flags))


def _td(res) -> pd.DataFrame:
    return res.tidy().set_index("term")


# ------------------------------------------------------------------ sections
def _baseline(state, y, xs, ctr, fe, cluster, out):
    cols = {"(1)": models.panel_fe(state.frame, y, xs, id="code", time="year", fe=fe,
                                   cluster=cluster)}
    if ctr:
        cols["(2)"] = models.panel_fe(state.frame, y, xs + ctr, id="code", time="year", fe=fe,
                                      cluster=cluster)
    labels = state.var_labels([y, *xs, *ctr])
    extra = {state.text(TEXT, "controls"): _yes_no(state, {"(1)": False, "(2)": True}),
             state.text(TEXT, "within_r2"): {c: r.r2_within for c, r in cols.items()}}
    out["tables"].append(regression_table(
        cols, name="impact_baseline", lang=state.lang, labels=labels, digits=4,
        title=state.text(TEXT, "baseline_title", y=state.var_label(y)), extra_rows=extra,
        notes=(state.text(TEXT, "baseline_note", fe=_fe_text(state, fe),
                          se=_se_text(state, cluster)),)))
    out["numbers"]["baseline"] = {c: r.tidy() for c, r in cols.items()}
    last = list(cols)[-1]
    res = cols[last]
    out["shown"] += list(cols.values())
    if res.flags:
        out["readings"].append(_flag_reading(state, last, res))
        return cols
    td = _td(res)
    for x in xs:
        b, se, p = td.loc[x, ["estimate", "std_error", "p_value"]]
        out["readings"].append(state.text(TEXT, "baseline_reading", col=last, x=state.var_label(x), b=b, se=se, p=p,
                                          sig=_sig(state, b, p)))
    if all(not (td.loc[x, "p_value"] < 0.1) for x in xs):
        out["readings"].append(state.text(TEXT, "baseline_none", x=", ".join(map(state.var_label, xs))))
    return cols


def _mediation(state, y, x0, ctr, mediators, fe, n_boot, out):
    fr = state.frame
    ylab = state.var_label(y)
    eq = {f"(1) {ylab}": models.panel_fe(fr, y, [x0] + ctr, id="code", time="year", fe=fe,
                                         cluster="code")}
    rows, numbers = {}, {}
    j = 2
    for m in mediators:
        eq[f"({j}) {state.var_label(m)}"] = models.panel_fe(fr, m, [x0] + ctr, id="code", time="year", fe=fe,
                                           cluster="code")
        eq[f"({j + 1}) {ylab}"] = models.panel_fe(fr, y, [x0, m] + ctr, id="code", time="year", fe=fe,
                                           cluster="code")
        j += 2
        res = models.mediation(fr, y, x0, [m], ctr, id="code", time="year", fe=fe, n_boot=n_boot,
                               seed=state.seed, progress=bool(state.progress and n_boot))
        out["shown"].append(res)
        t = res.to_frame()
        numbers[m] = t
        ind = t.loc["indirect"]
        tot = float(t.loc["total", "estimate"])
        col = {
            state.text(TEXT, "total"): tot,
            state.text(TEXT, "direct"): float(t.loc["direct", "estimate"]),
            state.text(TEXT, "a", x=state.var_label(x0), m=state.var_label(m)): float(t.loc["a", "estimate"]),
            state.text(TEXT, "b", m=state.var_label(m), y=state.var_label(y)): float(t.loc["b", "estimate"]),
            state.text(TEXT, "ab"): float(ind["estimate"]),
            state.text(TEXT, "sobel_se"): float(ind["std_error"]),
            state.text(TEXT, "sobel_z"): float(ind["statistic"]),
            state.text(TEXT, "sobel_p"): float(ind["p_value"]),
        }
        if n_boot:
            for k in ("boot_low", "boot_high", "bc_low", "bc_high"):
                col[state.text(TEXT, k)] = float(ind[k])
        col[state.text(TEXT, "share")] = float(ind["estimate"]) / tot if tot else np.nan
        rows[state.var_label(m)] = pd.Series(col)
        out["readings"].append(_mediation_reading(state, y, x0, m, t, n_boot))
    labels = state.var_labels([y, x0, *ctr, *mediators])
    ctrl = {c: bool(ctr) for c in eq}
    out["tables"].append(regression_table(
        eq, name="impact_mediation_equations", lang=state.lang, labels=labels, digits=4,
        title=state.text(TEXT, "mech_title", m=", ".join(map(state.var_label, mediators))),
        extra_rows={state.text(TEXT, "controls"): _yes_no(state, ctrl)},
        notes=(state.text(TEXT, "mech_note", fe=_fe_text(state, fe)),)))
    out["shown"] += list(eq.values())
    eff = pd.concat([s.rename(m) for m, s in rows.items()], axis=1)
    eff.index.name = ""
    eff_tab = frame_table(eff, name="impact_mediation_effects", digits=4,
                          title=state.text(TEXT, "med_effects_title"),
                          notes=(state.text(TEXT, "med_effects_note", n=n_boot, seed=state.seed)
                                 if n_boot else state.text(TEXT, "med_no_boot"),))
    out["tables"].append(eff_tab)
    out["numbers"]["mediation"] = numbers
    out["numbers"]["mediation_equations"] = {c: r.tidy() for c, r in eq.items()}


def _mediation_reading(state, y, x0, m, t, n_boot):
    a, b, ind = t.loc["a"], t.loc["b"], t.loc["indirect"]
    tot = float(t.loc["total", "estimate"])
    sob = bool(ind["p_value"] < 0.05)
    ci = ""
    if n_boot:
        lo, hi = float(ind["boot_low"]), float(ind["boot_high"])
        ci = state.text(TEXT, "med_ci", lo=lo, hi=hi)
        boot = not (lo <= 0 <= hi)
        what = state.text(TEXT, "ci_excludes" if boot else "ci_contains")
        if boot != sob:
            what += state.text(TEXT, "disagree")
        yes = boot
    else:
        what = state.text(TEXT, "sobel_sig" if sob else "sobel_insig")
        yes = sob
    share = f"{100 * float(ind['estimate']) / tot:.1f}%" if tot else "—"
    key = "med_yes" if yes else "med_no"
    return state.text(TEXT, key, m=state.var_label(m), x=state.var_label(x0), y=state.var_label(y), a=a["estimate"],
                      pa=a["p_value"], b=b["estimate"], pb=b["p_value"], ab=ind["estimate"],
                      ps=ind["p_value"], ci=ci, what=what, share=share)


def _moderation(state, y, x0, ctr, moderators, fe, out):
    fits, eff_rows, numbers = {}, [], {}
    at_names = (state.text(TEXT, "at_lo"), state.text(TEXT, "at_mean"), state.text(TEXT, "at_hi"))
    labels = state.var_labels([y, x0, *ctr, *moderators])
    for j, z in enumerate(moderators, 1):
        c_z = [c for c in ctr if c != z]
        res = models.moderation(state.frame, y, x0, z, c_z, id="code", time="year", fe=fe)
        col = f"({j}) {state.var_label(z)}"
        fits[col] = res.fit
        out["shown"].append(res)
        inter = f"{x0}:{z}"
        labels[inter] = f"{state.var_label(x0)} × {state.var_label(z)}"
        numbers[z] = {"params": res.tidy(), "effects_at": res.effects_at}
        for k, (_, r) in enumerate(res.effects_at.iterrows()):
            eff_rows.append({state.text(TEXT, "moderator"): state.var_label(z),
                             state.text(TEXT, "at"): at_names[k] if k < 3 else "",
                             state.text(TEXT, "value"): float(r["at"]),
                             state.text(TEXT, "effect"): float(r["estimate"]),
                             state.text(TEXT, "se"): float(r["std_error"]),
                             state.text(TEXT, "p"): float(r["p_value"])})
        td = _td(res)
        b, p = float(td.loc[inter, "estimate"]), float(td.loc[inter, "p_value"])
        if res.flags:
            out["readings"].append(_flag_reading(state, col, res))
        elif _lvl(p):
            bx = float(td.loc[x0, "estimate"])
            stronger = (b > 0) == (bx > 0)
            out["readings"].append(state.text(TEXT, "mod_sig", z=state.var_label(z), x=state.var_label(x0), b=b, p=p,
                                              sig=_sig(state, b, p),
                                              dir=state.text(TEXT, "stronger" if stronger else "weaker")))
        else:
            out["readings"].append(state.text(TEXT, "mod_insig", z=state.var_label(z), x=state.var_label(x0), b=b, p=p))
    out["tables"].append(regression_table(
        fits, name="impact_moderation", lang=state.lang, labels=labels, digits=4,
        title=state.text(TEXT, "mod_title"),
        extra_rows={state.text(TEXT, "controls"): _yes_no(state, {c: True for c in fits})},
        notes=(state.text(TEXT, "mech_note", fe=_fe_text(state, fe)),)))
    out["shown"] += list(fits.values())
    ef = pd.DataFrame(eff_rows).set_index(state.text(TEXT, "moderator"))
    out["tables"].append(frame_table(ef, name="impact_moderation_effects", digits=4,
                                     title=state.text(TEXT, "mod_effects_title", x=state.var_label(x0))))
    out["numbers"]["moderation"] = numbers


def _threshold(state, y, xs, ctr, cfg, cluster, out):
    q = cfg["threshold"]
    ql = state.var_label(q)
    rx = list(cfg["threshold_x"]) or list(xs)
    allx = list(dict.fromkeys(xs + ctr))
    K, n_boot = int(cfg["n_thresholds"]), int(cfg["n_boot"])
    kw = dict(id="code", time="year", trim=float(cfg["trim"]), seed=state.seed,
              grid=int(cfg["grid"]) or None, cluster="code" if cluster == "code" else None)
    res = models.panel_threshold(state.frame, y, allx, rx, q, n_thresholds=K, n_boot=n_boot,
                                 backend=cfg["backend"], progress=state.progress, **kw)
    tests = res.tests
    # number of thresholds supported: sequential tests at 5%
    k_sup = 0
    if n_boot:
        for k in tests.index:
            if tests.loc[k, "p_boot"] < 0.05:
                k_sup = int(k)
            else:
                break
    k_show = max(k_sup, 1) if n_boot else K
    shown = res if k_show == K else models.panel_threshold(
        state.frame, y, allx, rx, q, n_thresholds=k_show, n_boot=0, **kw)
    out["shown"].append(shown)
    # tests table
    tt = tests[["F", "p_boot", "crit_10", "crit_5", "crit_1"]].copy()
    tt.index = [state.text(TEXT, _K_NAME[int(k)]) for k in tests.index]
    tt.index.name = state.text(TEXT, "test")
    cand = (state.text(TEXT, "cand_all") if not cfg["grid"]
            else state.text(TEXT, "cand_grid", g=cfg["grid"]))
    out["tables"].append(frame_table(
        tt, name="impact_threshold_tests", digits={"F": 3, "p_boot": 3, "crit_10": 3, "crit_5": 3,
                                                   "crit_1": 3},
        labels={k: state.text(TEXT, k) for k in ("F", "p_boot", "crit_10", "crit_5", "crit_1")},
        title=state.text(TEXT, "th_tests_title", q=ql),
        notes=(state.text(TEXT, "th_tests_note", n=n_boot, trim=cfg["trim"], cand=cand,
                          seed=state.seed),)))
    # threshold estimates of the model shown
    est = pd.DataFrame({"estimate": shown.thresholds, "lower": shown.ci["lower"],
                        "upper": shown.ci["upper"]})
    est.index = [f"γ̂{j + 1}" for j in range(len(est))]
    est.index.name = state.text(TEXT, "threshold")
    c = float(shown.info["c_alpha"])
    out["tables"].append(frame_table(
        est, name="impact_threshold_estimates", digits=4,
        labels={k: state.text(TEXT, k) for k in ("estimate", "lower", "upper")},
        title=state.text(TEXT, "th_est_title", model=state.text(TEXT, f"model_{k_show}")),
        notes=(state.text(TEXT, "th_est_note", c=c),)))
    # regime coefficients
    g = np.sort(shown.thresholds.to_numpy())
    labels = {}
    for v in rx:
        for r in range(len(g) + 1):
            if r == 0:
                cond = f"{ql} ≤ {g[0]:.3f}"
            elif r == len(g):
                cond = f"{ql} > {g[-1]:.3f}"
            else:
                cond = f"{g[r - 1]:.3f} < {ql} ≤ {g[r]:.3f}"
            labels[f"{v}_r{r + 1}"] = f"{state.var_label(v)} ({cond})"
    col = state.text(TEXT, f"model_{k_show}")
    L = LABELS[state.lang]
    N, T = int(shown.info["N"]), int(shown.info["T"])
    notes = [state.text(TEXT, "th_coef_note",
                        se=state.text(TEXT, "th_se_cluster" if kw["cluster"] else "th_se_plain"))]
    if n_boot and k_sup == 0:
        notes.append(state.text(TEXT, "th_unsupported"))
    out["tables"].append(regression_table(
        {col: shown}, name="impact_threshold_coefficients", lang=state.lang, labels=labels,
        digits=4, title=state.text(TEXT, "th_coef_title", y=state.var_label(y)),
        extra_rows={L["fe_individual"]: {col: L["yes"]}, L["fe_time"]: {col: L["no"]},
                    state.text(TEXT, "controls"): {col: L["yes"] if ctr else L["no"]},
                    L["nobs"]: {col: N * T}},
        notes=tuple(notes)))
    out["numbers"]["threshold"] = {"tests": tests, "thresholds": shown.thresholds, "ci": shown.ci,
                                   "params": shown.tidy(), "n_supported": k_sup,
                                   "n_thresholds_shown": k_show, "q": q}
    # readings
    if n_boot:
        parts = [state.text(TEXT, "th_part", name=state.text(TEXT, _K_NAME[int(k)]),
                            F=tests.loc[k, "F"], p=tests.loc[k, "p_boot"]) for k in tests.index]
        sep = "；" if state.lang == "zh" else "; "
        out["readings"].append(state.text(TEXT, "th_test_reading", q=ql, n=n_boot,
                                          parts=sep.join(parts)))
        if k_sup:
            gam = [state.text(TEXT, "th_gamma", j=j + 1, g=shown.thresholds.iloc[j],
                              lo=shown.ci["lower"].iloc[j], hi=shown.ci["upper"].iloc[j])
                   for j in range(k_sup)]
            out["readings"].append(state.text(TEXT, "th_support", k=k_sup,
                                              gam=("，" if state.lang == "zh" else ", ").join(gam)))
        else:
            out["readings"].append(state.text(TEXT, "th_none", q=ql, x=", ".join(map(state.var_label, rx)),
                                              p=tests["p_boot"].iloc[0]))
    else:
        out["readings"].append(state.text(TEXT, "th_noboot", model=state.text(TEXT, f"model_{K}")))
    if not (n_boot and k_sup == 0):
        td = _td(shown)
        for v in rx:
            parts = []
            for r in range(len(g) + 1):
                t = f"{v}_r{r + 1}"
                parts.append(f"{labels[t][len(state.var_label(v)) + 2:-1]}: {td.loc[t, 'estimate']:.4f} "
                             f"(p = {td.loc[t, 'p_value']:.3f})")
            out["readings"].append(state.text(TEXT, "th_slopes", x=state.var_label(v),
                                              parts=("；" if state.lang == "zh" else "; ").join(parts)))
    if state.figures:
        out["figures"].append(_lr_figure(state, shown, q))


def _lr_figure(state, res, q):
    import matplotlib.pyplot as plt
    names = list(res.thresholds.index)
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.4), squeeze=False)
    c = float(res.info["c_alpha"])
    for j, (ax, name) in enumerate(zip(axes[0], names)):
        d = res.lr[res.lr["threshold"] == name]
        ax.plot(d["gamma"], d["LR"], lw=1, color="k")
        ax.axhline(c, ls="--", color="#b00", lw=0.8, label=state.ftext(TEXT, "lr_crit", c=c))
        ax.axvline(res.thresholds[name], ls=":", color="#555", lw=0.8)
        ax.set_title(f"γ̂{j + 1} = {res.thresholds[name]:.4f}", fontsize=9)
        ax.set_xlabel(state.ftext(TEXT, "lr_x", q=state.var_label(q, fig=True)))
        ax.set_ylabel(state.ftext(TEXT, "lr_y"))
        ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return state.save_figure(fig, "impact_threshold_lr", state.text(TEXT, "lr_title", q=state.var_label(q)))


def _heterogeneity(state, y, xs, ctr, by, fe, n_perm, out):
    from ... import regions
    if by not in regions.SCHEMES:
        _check_columns(state, [by], "[impact] heterogeneity")
    res = models.heterogeneity(state.frame, y, list(dict.fromkeys(xs + ctr)), by=by, fe=fe,
                               id="code", time="year", n_perm=n_perm, seed=state.seed, terms=xs,
                               progress=bool(state.progress and n_perm))
    groups = list(res.info["groups"])
    lab = {g: state.region_label(g) for g in groups}
    cols = {lab[g]: res.results[g] for g in groups}
    out["shown"] += list(cols.values())
    L = LABELS[state.lang]
    out["tables"].append(regression_table(
        cols, name="impact_heterogeneity", lang=state.lang, labels=state.var_labels([y, *xs, *ctr]),
        digits=4, title=state.text(TEXT, "het_title", by=state.scheme_label(by)),
        extra_rows={state.text(TEXT, "controls"): {c: L["yes"] if ctr else L["no"] for c in cols}},
        notes=(state.text(TEXT, "het_note", fe=_fe_text(state, fe)),)))
    dfr = res.differences.copy()
    numbers = {"differences": res.differences.copy(),
               "groups": {g: r.tidy() for g, r in res.results.items()}}
    dfr["group_1"] = dfr["group_1"].map(lambda g: lab.get(g, g))
    dfr["group_2"] = dfr["group_2"].map(lambda g: lab.get(g, g))
    dfr["term"] = dfr["term"].map(state.var_label)
    keep = ["group_1", "group_2", "term", "diff", "p_perm", "p_wald"]
    dfr = dfr[keep].set_index("group_1")
    dfr.index.name = state.text(TEXT, "group_1")
    out["tables"].append(frame_table(
        dfr, name="impact_heterogeneity_differences", digits={"diff": 4, "p_perm": 3, "p_wald": 3},
        labels={k: state.text(TEXT, k) for k in keep},
        title=state.text(TEXT, "diff_title"),
        notes=(state.text(TEXT, "diff_note", n=n_perm, seed=state.seed),)))
    out["numbers"]["heterogeneity"] = numbers
    sep = "；" if state.lang == "zh" else "; "
    for x in xs:
        parts = []
        for g in groups:
            r = res.results[g]
            if r.flags:
                out["readings"].append(_flag_reading(state, lab[g], r))
                continue
            td = _td(r)
            b, p = float(td.loc[x, "estimate"]), float(td.loc[x, "p_value"])
            parts.append(state.text(TEXT, "het_group", g=lab[g], n=res.info["units"][g], x=state.var_label(x), b=b,
                                    p=p, sig=_sig(state, b, p)))
        out["readings"].append(state.text(TEXT, "het_reading", parts=sep.join(parts)))
        d = res.differences[res.differences["term"] == x]
        col = "p_perm" if n_perm else "p_wald"
        sig = d[d[col] < 0.05]
        pairs = ("、" if state.lang == "zh" else ", ").join(
            f"{lab[a]}–{lab[b]}" for a, b in zip(sig["group_1"], sig["group_2"]))
        if not n_perm:
            out["readings"].append(state.text(TEXT, "het_noperm",
                                              pairs=pairs or state.text(TEXT, "none")))
        elif len(sig):
            out["readings"].append(state.text(TEXT, "het_diff", x=state.var_label(x), pairs=pairs))
        else:
            out["readings"].append(state.text(TEXT, "het_nodiff", x=state.var_label(x)))
    if state.figures:
        out["figures"].append(_coef_figure(state, res, xs, groups, lab, out.get("baseline")))


def _coef_figure(state, res, xs, groups, lab, baseline):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(xs), figsize=(4.6 * len(xs), 0.5 * len(groups) + 2.0),
                             squeeze=False)
    for ax, x in zip(axes[0], xs):
        rows = []
        if baseline is not None:
            rows.append((state.ftext(TEXT, "all"), _td(baseline).loc[x]))
        rows += [(state.region_label(g, fig=True), _td(res.results[g]).loc[x]) for g in groups]
        ypos = np.arange(len(rows))[::-1]
        for yp, (name, r) in zip(ypos, rows):
            col = "#555" if name == state.ftext(TEXT, "all") else "#1f4e79"
            ax.errorbar(r["estimate"], yp, xerr=[[r["estimate"] - r["conf_low"]],
                                                 [r["conf_high"] - r["estimate"]]],
                        fmt="o", color=col, ms=4, capsize=3, lw=1)
        ax.axvline(0, color="#b00", lw=0.8, ls="--")
        ax.set_yticks(ypos)
        ax.set_yticklabels([n for n, _ in rows])
        ax.set_xlabel(state.ftext(TEXT, "coef_fig_x"))
        ax.set_title(state.var_label(x, fig=True), fontsize=9)
    fig.tight_layout()
    return state.save_figure(fig, "impact_heterogeneity_coefficients",
                             state.text(TEXT, "coef_fig_title", x=", ".join(map(state.var_label, xs))))


def run(state: State) -> StageOutput:
    cfg = state.config.get("impact")
    if not cfg["enabled"]:
        raise Skip(TEXT["off"]["en"], text=TEXT["off"])
    xs = list(cfg["x"])
    if not xs:
        raise ConfigError('[impact] x is empty; name the core explanatory variable(s), e.g. '
                          'x = ["scitech_share"]')
    y = _resolve_y(state, cfg["y"])
    ctr = [c for c in cfg["controls"] if c not in xs]
    _check_columns(state, [y] + xs + ctr + list(cfg["mediators"]) + list(cfg["moderators"])
                   + ([cfg["threshold"]] if cfg["threshold"] else []))
    from ...models._taxonomy import normalise_fe
    fe = normalise_fe(cfg["fe"])
    cluster = _cluster(state, cfg["cluster"])
    out = {"tables": [], "figures": [], "readings": [], "numbers": {}, "shown": []}
    base = _baseline(state, y, xs, ctr, fe, cluster, out)
    out["baseline"] = base[list(base)[-1]]
    x0, rest = xs[0], xs[1:]
    if cfg["mediators"]:
        _mediation(state, y, x0, rest + ctr, list(cfg["mediators"]), fe, int(cfg["mediation_boot"]),
                   out)
    if cfg["moderators"]:
        _moderation(state, y, x0, rest + ctr, list(cfg["moderators"]), fe, out)
    if cfg["threshold"]:
        _threshold(state, y, xs, ctr, cfg, cluster, out)
    if cfg["heterogeneity"]:
        _heterogeneity(state, y, xs, ctr, cfg["heterogeneity"], fe, int(cfg["n_perm"]), out)
    status = "warning" if any(r.flags for r in out["shown"]) else "ok"
    return StageOutput(tables=out["tables"], figures=out["figures"], readings=out["readings"],
                       numbers=out["numbers"], status=status)


STAGE = Stage(name="impact", title=TEXT["title"], run=run, requires=("index",), command="impact",
              help=TEXT["help"]["en"], enabled=enabled)
