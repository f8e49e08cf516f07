"""Stage "inequality": Dagum Gini decomposition by year, Theil indices, coefficient of variation.

:func:`spatialnqpf.inequality.dagum_gini_by_year` (with an optional within-group
bootstrap), :func:`~spatialnqpf.inequality.theil_by_year` and
:func:`~spatialnqpf.inequality.cv_by_year` over the ``[inequality] groups``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import inequality
from ..plot_inequality import plot_dagum
from ..tables import frame_table
from ._base import Stage, StageOutput, State, pct

#: zh/en strings of this stage.
TEXT = {
    "title": {"zh": "区域差异：Dagum 基尼系数与泰尔指数", "en": "Regional differences: Dagum Gini and Theil"},
    "help": {"zh": "Dagum 基尼系数分解、泰尔指数、变异系数（先运行指数阶段）",
             "en": "Dagum Gini decomposition, Theil, CV (runs the index first)"},
}


def run(state: State) -> StageOutput:
    col = state.variable("inequality")
    grp = state.config.get("inequality", "groups")
    nboot = int(state.config.get("inequality", "bootstrap"))
    res = inequality.dagum_gini_by_year(state.frame, col, grp, id="code", time="year", n_boot=nboot,
                                  seed=state.seed, progress=bool(state.progress and nboot))
    df = res.to_frame()
    tables, figures, readings, numbers = [], [], [], {"dagum": df}
    main = df[["G", "G_w", "G_nb", "G_t", "share_w", "share_nb", "share_t"]].copy()
    lab = {"G": state.t("总体基尼系数 G", "Overall Gini G"), "G_w": state.t("区域内 G_w", "Within G_w"),
           "G_nb": state.t("区域间 G_nb", "Net between G_nb"), "G_t": state.t("超变密度 G_t", "Transvariation G_t"),
           "share_w": state.t("区域内贡献率", "Within share"), "share_nb": state.t("区域间贡献率", "Between share"),
           "share_t": state.t("超变密度贡献率", "Transvariation share")}
    main.index.name = state.t("年份", "Year")
    tables.append(frame_table(main, name="dagum_decomposition", labels=lab, digits=4,
                              percent=["share_w", "share_nb", "share_t"],
                              title=state.t(f"Dagum 基尼系数及其分解（{state.var_label(col)}，按{grp}分组）",
                                          f"Dagum Gini decomposition of the {state.var_label(col)} ({grp} groups)")))
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
            cit.index.name = state.t("年份", "Year")
            numbers["dagum_bootstrap"] = cit
            tables.append(frame_table(cit, name="dagum_bootstrap", digits=4,
                                      title=state.t(f"Dagum 基尼系数的自助法置信区间（{nboot} 次，组内重抽样，种子 {state.seed}）",
                                                  f"Bootstrap intervals of the Dagum Gini ({nboot} replications "
                                                  f"within groups, seed {state.seed})")))
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
    wb = pd.concat([within, between], axis=1)
    wb.index.name = state.t("年份", "Year")
    tables.append(frame_table(wb, name="dagum_within_between", digits=4,
                              title=state.t("区域内与区域间基尼系数", "Within- and between-region Gini")))
    last, first = df.index[-1], df.index[0]
    shares = {"share_w": state.t("区域内差异", "within-region component"),
              "share_nb": state.t("区域间差异", "between-region component"),
              "share_t": state.t("超变密度", "transvariation")}
    top = max(shares, key=lambda k: df.loc[last, k])
    readings.append(state.t(
        f"{last} 年总体基尼系数为 {df.loc[last, 'G']:.3f}（{first} 年为 {df.loc[first, 'G']:.3f}）；"
        f"{shares[top]}贡献最大，解释了 {pct(df.loc[last, top])} 的基尼系数。",
        f"The overall Gini is {df.loc[last, 'G']:.3f} in {last} ({df.loc[first, 'G']:.3f} in {first}); "
        f"the {shares[top]} explains {pct(df.loc[last, top])} of the Gini in {last}."))
    readings.append(state.t(
        f"区域间差异贡献率从 {first} 年的 {pct(df.loc[first, 'share_nb'])} 变为 {last} 年的 "
        f"{pct(df.loc[last, 'share_nb'])}。",
        f"The between-region share moved from {pct(df.loc[first, 'share_nb'])} in {first} to "
        f"{pct(df.loc[last, 'share_nb'])} in {last}."))
    if len(within.columns):
        hi = within.loc[last].idxmax()
        readings.append(state.t(f"{last} 年区域内差异最大的是{hi}（G_jj = {within.loc[last, hi]:.3f}）。",
                              f"In {last} the largest within-region Gini is in the {hi} "
                              f"(G_jj = {within.loc[last, hi]:.3f})."))
    if state.figures:
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        bottom = np.zeros(len(df))
        for k, c in (("share_w", "#4C72B0"), ("share_nb", "#DD8452"), ("share_t", "#55A868")):
            ax.bar(df.index, df[k] * 100, bottom=bottom, color=c,
                   label={"share_w": state.ft("区域内", "Within"), "share_nb": state.ft("区域间", "Between"),
                          "share_t": state.ft("超变密度", "Transvariation")}[k])
            bottom += df[k].to_numpy() * 100
        ax2 = ax.twinx()
        ax2.plot(df.index, df["G"], color="k", marker="o", ms=3, label="G")
        ax.set_ylabel(state.ft("贡献率 (%)", "Contribution (%)"))
        ax2.set_ylabel(state.ft("基尼系数", "Gini"))
        ax.set_xlabel(state.ft("年份", "Year"))
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, frameon=False, fontsize=8, ncol=4, loc="upper center",
                  bbox_to_anchor=(0.5, 1.13))
        figures.append(state.save_figure(fig, "dagum_contributions",
                                       state.t("Dagum 基尼系数分解的贡献率", "Dagum decomposition: contributions")))
        figures.append(state.save_figure(plot_dagum(res, lang=state.fig_lang), "dagum_gini",
                                         state.t("区域内与区域间基尼系数", "Within- and between-region Gini")))
    th = inequality.theil_by_year(state.frame, col, grp, id="code", time="year")
    numbers["theil"] = th
    keep = [c for c in th.columns if c in ("T", "T_w", "T_b", "L", "L_w", "L_b")] or list(th.columns)
    tt = th[keep].copy()
    tt.index.name = state.t("年份", "Year")
    tables.append(frame_table(tt, name="theil_by_year", digits=4,
                              title=state.t("泰尔指数及其分解", "Theil indices and their decomposition")))
    if {"T", "T_b"} <= set(th.columns):
        readings.append(state.t(f"{last} 年泰尔 T 指数中区域间部分占 {pct(th.loc[last, 'T_b'] / th.loc[last, 'T'])}。",
                              f"In {last} the between-region part is {pct(th.loc[last, 'T_b'] / th.loc[last, 'T'])} "
                              f"of Theil's T."))
    cvt = inequality.cv_by_year(state.frame, col, grp, id="code", time="year")
    numbers["cv"] = cvt
    cvt = cvt.copy()
    cvt.columns = [state.t("全国", "Nation") if c == "nation" else state.region_label(c) for c in cvt.columns]
    cvt.index.name = state.t("年份", "Year")
    tables.append(frame_table(cvt, name="cv_by_year", digits=4,
                              title=state.t("变异系数（σ 收敛）", "Coefficient of variation (σ-convergence)")))
    nat = cvt.iloc[:, 0]
    readings.append(state.t(
        f"全国变异系数从 {nat.iloc[0]:.3f} {'下降' if nat.iloc[-1] < nat.iloc[0] else '上升'}到 {nat.iloc[-1]:.3f}，"
        f"{'存在' if nat.iloc[-1] < nat.iloc[0] else '不存在'} σ 收敛迹象。",
        f"The national coefficient of variation {'fell' if nat.iloc[-1] < nat.iloc[0] else 'rose'} from "
        f"{nat.iloc[0]:.3f} to {nat.iloc[-1]:.3f}: "
        f"{'a sign of' if nat.iloc[-1] < nat.iloc[0] else 'no'} σ-convergence."))
    return StageOutput(tables=tables, figures=figures, readings=readings, numbers=numbers)


STAGE = Stage(name="inequality", title=TEXT["title"], run=run, requires=("index",), command="dagum",
              help=TEXT["help"]["en"])
