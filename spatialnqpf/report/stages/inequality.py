"""Stage "inequality": Dagum Gini decomposition by year, Theil indices, coefficient of variation.

:func:`spatialnqpf.inequality.dagum_gini_by_year` (with an optional within-group
bootstrap), :func:`~spatialnqpf.inequality.theil_by_year` and
:func:`~spatialnqpf.inequality.cv_by_year` over the ``[inequality] groups``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import inequality
from ..plot_inequality import plot_dagum, plot_dagum_regions
from ..tables import frame_table
from ._base import Stage, StageOutput, State, pct

#: zh/en strings of this stage.
TEXT = {
    "title": {"zh": "区域差异：Dagum 基尼系数与泰尔指数", "en": "Regional differences: Dagum Gini and Theil"},
    "help": {"zh": "Dagum 基尼系数分解、泰尔指数、变异系数（先运行指数阶段）",
             "en": "Dagum Gini decomposition, Theil, CV (runs the index first)"},
    "year": {"zh": '年份', "en": 'Year'},
    "overall_gini_g": {"zh": '总体基尼系数 G', "en": 'Overall Gini G'},
    "within_g_w": {"zh": '区域内 G_w', "en": 'Within G_w'},
    "net_between_g_nb": {"zh": '区域间 G_nb', "en": 'Net between G_nb'},
    "transvariation_g_t": {"zh": '超变密度 G_t', "en": 'Transvariation G_t'},
    "within_share": {"zh": '区域内贡献率', "en": 'Within share'},
    "between_share": {"zh": '区域间贡献率', "en": 'Between share'},
    "transvariation_share": {"zh": '超变密度贡献率', "en": 'Transvariation share'},
    "within_region_component": {"zh": '区域内差异', "en": 'within-region component'},
    "between_region_component": {"zh": '区域间差异', "en": 'between-region component'},
    "transvariation": {"zh": '超变密度', "en": 'transvariation'},
    "the_overall_gini_is": {"zh": '{last} 年总体基尼系数为 {v1:.3f}（{first} 年为 {v3:.3f}）；{v4}贡献最大，解释了 {v5} 的基尼系数。',
                           "en": 'The overall Gini is {v1:.3f} in {last} ({v3:.3f} in {first}); the {v4} explains {v5} of the Gini in {last}.'},
    "the_between_region_share": {"zh": '区域间差异贡献率从 {first} 年的 {v1} 变为 {last} 年的 {v3}。',
                                "en": 'The between-region share moved from {v1} in {first} to {v3} in {last}.'},
    "the_national_coefficient_of": {"zh": '全国变异系数从 {v0:.3f} {v1}到 {v2:.3f}，{v3} σ 收敛迹象。',
                                   "en": 'The national coefficient of variation {v4} from {v0:.3f} to {v2:.3f}: {v5} σ-convergence.'},
    "in_last_the_largest": {"zh": '{last} 年区域内差异最大的是{hi}（G_jj = {v2:.3f}）。',
                           "en": 'In {last} the largest within-region Gini is in the {hi} (G_jj = {v2:.3f}).'},
    "contribution": {"zh": '贡献率 (%)', "en": 'Contribution (%)'},
    "gini": {"zh": '基尼系数', "en": 'Gini'},
    "in_last_the_between": {"zh": '{last} 年泰尔 T 指数中区域间部分占 {v1}。',
                           "en": "In {last} the between-region part is {v1} of Theil's T."},
    "nation": {"zh": '全国', "en": 'Nation'},
    "dagum_gini_decomposition_of": {"zh": 'Dagum 基尼系数及其分解（{v0}，按{grp}分组）',
                                   "en": 'Dagum Gini decomposition of the {v0} (groups: {grp})'},
    "within_and_between_region": {"zh": '区域内与区域间基尼系数', "en": 'Within- and between-region Gini'},
    "dagum_decomposition_contributions": {"zh": 'Dagum 基尼系数分解的贡献率',
                                         "en": 'Dagum decomposition: contributions'},
    "theil_indices_and_their": {"zh": '泰尔指数及其分解', "en": 'Theil indices and their decomposition'},
    "coefficient_of_variation_convergence": {"zh": '变异系数（σ 收敛）',
                                            "en": 'Coefficient of variation (σ-convergence)'},
    "bootstrap_intervals_of_the": {"zh": 'Dagum 基尼系数的自助法置信区间（{nboot} 次，组内重抽样，种子 {v1}）',
                                  "en": 'Bootstrap intervals of the Dagum Gini ({nboot} replications within groups, seed {v1})'},
    "within_between_by_region": {"zh": '分区域的区域内基尼系数与分区域对的区域间基尼系数',
                                 "en": 'Within-region Gini by region and between-region Gini by pair'},
    "within": {"zh": '区域内', "en": 'Within'},
    "between": {"zh": '区域间', "en": 'Between'},
    "transvariation_2": {"zh": '超变密度', "en": 'Transvariation'},
}


def run(state: State) -> StageOutput:
    col = state.variable("inequality")
    grp = state.config.get("inequality", "groups")
    nboot = int(state.config.get("inequality", "bootstrap"))
    garg = state.group_arg(grp)  # scheme name, or at city level a Series city -> group
    res = inequality.dagum_gini_by_year(data=state.frame, column=col, group=garg, id="code", time="year", n_boot=nboot,
                                  seed=state.seed, progress=bool(state.progress and nboot))
    df = res.to_frame()
    tables, figures, readings, numbers = [], [], [], {"dagum": df}
    main = df[["G", "G_w", "G_nb", "G_t", "share_w", "share_nb", "share_t"]].copy()
    lab = {"G": state.text(TEXT, "overall_gini_g"), "G_w": state.text(TEXT, "within_g_w"),
           "G_nb": state.text(TEXT, "net_between_g_nb"), "G_t": state.text(TEXT, "transvariation_g_t"),
           "share_w": state.text(TEXT, "within_share"), "share_nb": state.text(TEXT, "between_share"),
           "share_t": state.text(TEXT, "transvariation_share")}
    main.index.name = state.text(TEXT, "year")
    tables.append(frame_table(main, name="dagum_decomposition", labels=lab, digits=4,
                              percent=["share_w", "share_nb", "share_t"],
                              title=state.text(TEXT, "dagum_gini_decomposition_of", v0=state.var_label(col), grp=state.scheme_label(grp))))
    if nboot:
        rows = {}
        for yr in res.years:
            ci = res[yr].ci
            if ci is None:
                continue
            for stat in ("G", "share_nb"):
                if stat in ci.index:
                    rows.setdefault(yr, {})[stat] = df.loc[yr, stat]
                    for k in ("se", "low", "high"):
                        if k in ci.columns:
                            rows[yr][f"{stat} {k}"] = ci.loc[stat, k]
        if rows:
            cit = pd.DataFrame(rows).T
            cit.index.name = state.text(TEXT, "year")
            numbers["dagum_bootstrap"] = cit
            tables.append(frame_table(cit, name="dagum_bootstrap", digits=4,
                                      title=state.text(TEXT, "bootstrap_intervals_of_the", nboot=nboot, v1=state.seed)))
    within = df[[c for c in df.columns if c.startswith("G_jj[")]].copy()
    within.columns = [state.region_label(c[5:-1]) for c in within.columns]
    between = df[[c for c in df.columns if c.startswith("G_jh[")]].copy()

    def pair(c):
        a = c[5:-1]
        for sep in ("-", "–", " vs ", "/", "|", ","):
            if sep in a:
                return "–".join(state.region_label(x.strip()) for x in a.split(sep))
        return a
    between.columns = [pair(c) for c in between.columns]
    if len(within.columns) > 8:  # e.g. 31 province groups at city level: 465 pairs; within only
        between = between.iloc[:, :0]
    wb = pd.concat([within, between], axis=1)
    wb.index.name = state.text(TEXT, "year")
    tables.append(frame_table(wb, name="dagum_within_between", digits=4,
                              title=state.text(TEXT, "within_and_between_region")))
    last, first = df.index[-1], df.index[0]
    shares = {"share_w": state.text(TEXT, "within_region_component"),
              "share_nb": state.text(TEXT, "between_region_component"),
              "share_t": state.text(TEXT, "transvariation")}
    top = max(shares, key=lambda k: df.loc[last, k])
    readings.append(state.text(TEXT, "the_overall_gini_is", last=last, v1=df.loc[last, 'G'], first=first, v3=df.loc[first, 'G'], v4=shares[top], v5=pct(df.loc[last, top])))
    readings.append(state.text(TEXT, "the_between_region_share", first=first, v1=pct(df.loc[first, 'share_nb']), last=last, v3=pct(df.loc[last, 'share_nb'])))
    if len(within.columns):
        hi = within.loc[last].idxmax()
        readings.append(state.text(TEXT, "in_last_the_largest", last=last, hi=hi, v2=within.loc[last, hi]))
    if state.figures:
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        bottom = np.zeros(len(df))
        for k, c in (("share_w", "#4C72B0"), ("share_nb", "#DD8452"), ("share_t", "#55A868")):
            ax.bar(df.index, df[k] * 100, bottom=bottom, color=c,
                   label={"share_w": state.ftext(TEXT, "within"), "share_nb": state.ftext(TEXT, "between"),
                          "share_t": state.ftext(TEXT, "transvariation_2")}[k])
            bottom += df[k].to_numpy() * 100
        ax2 = ax.twinx()
        ax2.plot(df.index, df["G"], color="k", marker="o", ms=3, label="G")
        ax.set_ylabel(state.ftext(TEXT, "contribution"))
        ax2.set_ylabel(state.ftext(TEXT, "gini"))
        ax.set_xlabel(state.ftext(TEXT, "year"))
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, frameon=False, fontsize=8, ncol=4, loc="upper center",
                  bbox_to_anchor=(0.5, 1.13))
        figures.append(state.save_figure(fig, "dagum_contributions",
                                       state.text(TEXT, "dagum_decomposition_contributions")))
        figures.append(state.save_figure(plot_dagum(res, lang=state.fig_lang, label=state.var_label(col, fig=True)), "dagum_gini",
                                         state.text(TEXT, "within_and_between_region")))
        try:
            figures.append(state.save_figure(plot_dagum_regions(res, lang=state.fig_lang), "dagum_by_region",
                                             state.text(TEXT, "within_between_by_region")))
        except Exception as exc:  # a plotting failure must not lose the tables
            state.fail_note(state.text(TEXT, "within_between_by_region"), exc, "figure_failed")
    th = inequality.theil_by_year(data=state.frame, column=col, group=garg, id="code", time="year")
    numbers["theil"] = th
    keep = [c for c in th.columns if c in ("T", "T_w", "T_b", "L", "L_w", "L_b")] or list(th.columns)
    tt = th[keep].copy()
    tt.index.name = state.text(TEXT, "year")
    tables.append(frame_table(tt, name="theil_by_year", digits=4,
                              title=state.text(TEXT, "theil_indices_and_their")))
    if {"T", "T_b"} <= set(th.columns):
        readings.append(state.text(TEXT, "in_last_the_between", last=last, v1=pct(th.loc[last, 'T_b'] / th.loc[last, 'T'])))
    cvt = inequality.cv_by_year(data=state.frame, column=col, group=garg, id="code", time="year")
    numbers["cv"] = cvt
    cvt = cvt.copy()
    cvt.columns = [state.text(TEXT, "nation") if c == "nation" else state.region_label(c) for c in cvt.columns]
    cvt.index.name = state.text(TEXT, "year")
    tables.append(frame_table(cvt, name="cv_by_year", digits=4,
                              title=state.text(TEXT, "coefficient_of_variation_convergence")))
    nat = cvt.iloc[:, 0]
    readings.append(state.text(TEXT, "the_national_coefficient_of", v0=nat.iloc[0], v1='下降' if nat.iloc[-1] < nat.iloc[0] else '上升', v2=nat.iloc[-1], v3='存在' if nat.iloc[-1] < nat.iloc[0] else '不存在', v4='fell' if nat.iloc[-1] < nat.iloc[0] else 'rose', v5='a sign of' if nat.iloc[-1] < nat.iloc[0] else 'no'))
    return StageOutput(tables=tables, figures=figures, readings=readings, numbers=numbers)


STAGE = Stage(name="inequality", title=TEXT["title"], run=run, requires=("index",), command="dagum",
              help=TEXT["help"]["en"])
