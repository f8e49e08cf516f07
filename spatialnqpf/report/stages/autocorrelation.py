"""Stage "autocorrelation": global Moran's I by year under every matrix, LISA clusters.

:func:`spatialnqpf.autocorrelation.moran_by_year` (analytic randomisation and
permutation inference) and :func:`spatialnqpf.autocorrelation.lisa` under the first
matrix; cluster counts and first → last transitions; Moran scatter plots and LISA maps.
"""
from __future__ import annotations

import numpy as np

from ... import autocorrelation
from ..figures import as_figure
from ..plot_autocorrelation import plot_lisa_map, plot_moran_scatter
from ..tables import frame_table
from ._base import Stage, StageOutput, State

#: zh/en strings of this stage.
TEXT = {
    "title": {"zh": "空间自相关", "en": "Spatial autocorrelation"},
    "help": {"zh": "逐年 Moran's I 与 LISA（先运行指数与权重阶段）",
             "en": "Moran's I by year and LISA (runs the index and weights first)"},
}


def run(state: State) -> StageOutput:
    state.need_weights()
    col = state.variable("autocorrelation")
    perms = int(state.config.get("autocorrelation", "permutations"))
    tables, figures, readings, numbers = [], [], [], {}
    ws = {state.weight_labels.get(k, k): w for k, w in state.weights.items()}
    res = autocorrelation.moran_by_year(state.frame, col, ws, id="code", time="year", permutations=perms,
                           seed=state.seed)
    long = res.to_frame()
    numbers["moran_by_year"] = long
    stats = ["I", "z_rand", "p_rand"] + (["p_perm"] if perms else [])
    sbs = res.side_by_side(stats)
    sbs.index.name = state.t("年份", "Year")
    tables.append(frame_table(
        sbs, name="moran_by_year", digits=3,
        labels={"z_rand": "z", "p_rand": state.t("p（随机化）", "p (rand.)"),
                "p_perm": state.t("p（置换）", "p (perm.)")},
        title=state.t(f"全局 Moran's I（{state.var_label(col)}）", f"Global Moran's I of the {state.var_label(col)}"),
        notes=(state.t(f"z 与 p（随机化）为随机化假设下的检验；置换检验 {perms} 次，种子 {state.seed}；双侧检验。",
                     f"z and p (rand.) under randomisation; {perms} permutations, seed {state.seed}; "
                     f"two-sided."),)))
    for lab in ws:
        df = long.xs(lab, level=0)
        nsig = int((df["p_rand"] < 0.05).sum())
        lastyr = df.index[-1]
        readings.append(state.t(
            f"{lab}下，{state.var_label(col)}的全局 Moran's I 在 {df['I'].min():.3f} 至 {df['I'].max():.3f} 之间，"
            f"{len(df)} 年中有 {nsig} 年在 5% 水平显著；{lastyr} 年 I = {df['I'].iloc[-1]:.3f}"
            f"（p = {df['p_rand'].iloc[-1]:.3f}）。",
            f"Under {lab} weights, global Moran's I of the {state.var_label(col)} ranges from "
            f"{df['I'].min():.3f} to {df['I'].max():.3f} and is significant at 5% in {nsig} of {len(df)} "
            f"years; in {lastyr}, I = {df['I'].iloc[-1]:.3f} (p = {df['p_rand'].iloc[-1]:.3f})."))
    if state.figures:
        figures.append(_moran_figure(state, long))
    wname = next(iter(state.weights))
    wlab = state.weight_labels.get(wname, wname)
    lres = autocorrelation.lisa(state.frame, col, state.weights[wname], id="code", time="year", permutations=perms,
                   seed=state.seed)
    lf = lres.to_frame()
    numbers["lisa"] = lf
    counts = lres.counts()
    counts.index.name = state.t("年份", "Year")
    tables.append(frame_table(counts, name="lisa_counts",
                              title=state.t(f"LISA 聚类个数（{wlab}，双侧 5% 水平）",
                                          f"LISA clusters ({wlab}, two-sided 5% level)"),
                              notes=(state.t("ns：不显著。", "ns: not significant."),)))
    try:
        tr = lres.transitions(between="first-last")
        tables.append(frame_table(tr, name="lisa_transitions",
                                  title=state.t("LISA 聚类类型的转移（首年→末年）",
                                              "LISA cluster transitions (first → last year)")))
        numbers["lisa_transitions"] = tr
        stay = sum(int(tr.loc[q, q]) for q in tr.index if q in tr.columns and q not in ("ns",))
        moved = int(tr.to_numpy().sum() - np.trace(tr.reindex(columns=tr.index).fillna(0).to_numpy()))
        readings.append(state.t(
            f"首年到末年，{stay} 个省份保持原显著聚类类型，{moved} 个省份改变了类型（含显著与不显著之间的变化）。",
            f"From the first to the last year {stay} provinces kept their significant cluster type and "
            f"{moved} changed type (including moves between significant and not significant)."))
    except Exception as exc:
        state.notes.append(f"LISA transitions not computed: {exc}")
    last = counts.index[-1]
    c = counts.loc[last]
    readings.append(state.t(
        f"{last} 年（{wlab}）显著的高-高聚类有 {int(c.get('HH', 0))} 个省份，低-低聚类 {int(c.get('LL', 0))} 个，"
        f"不显著 {int(c.get('ns', 0))} 个。",
        f"In {last} ({wlab} weights), {int(c.get('HH', 0))} provinces form significant high-high clusters, "
        f"{int(c.get('LL', 0))} low-low clusters, and {int(c.get('ns', 0))} are not significant."))
    hh = lf[(lf["year"] == last) & (lf["cluster"] == "HH")]["code" if "code" in lf.columns else "id"].tolist()
    if hh:
        readings.append(state.t(f"{last} 年高-高聚类省份：{'、'.join(state.province_names(hh))}。",
                              f"High-high provinces in {last}: {', '.join(state.province_names(hh))}."))
    yrs = state.config.get("autocorrelation", "lisa_years") or [int(counts.index[0]), int(last)]
    if state.figures:
        figures += _lisa_figures(state, lres, yrs)
    return StageOutput(tables=tables, figures=figures, readings=readings, numbers=numbers)

def _moran_figure(state: State, long):
    """Global Moran's I by year, one line per matrix."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for name in state.weights:
        lab = state.weight_labels.get(name, name)
        df = long.xs(lab, level=0)
        ax.plot(df.index, df["I"], marker="o", ms=3,
                label={"contiguity": state.ft("邻接矩阵", "Contiguity"),
                       "distance": state.ft("距离矩阵", "Distance"), "knn": "kNN"}.get(name, name))
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel(state.ft("年份", "Year"))
    ax.set_ylabel("Moran's I")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    return state.save_figure(fig, "moran_by_year", state.t("全局 Moran's I 的变化", "Global Moran's I by year"))


def _lisa_figures(state: State, lres, years) -> list:
    """Moran scatter plots and LISA cluster maps (:mod:`spatialnqpf.report.plot_autocorrelation`)."""
    out = []
    for fn, stem, title in ((plot_moran_scatter, "moran_scatter", state.t("Moran 散点图", "Moran scatter")),
                            (plot_lisa_map, "lisa_map", state.t("LISA 聚类图", "LISA cluster map"))):
        for y in years:
            try:
                fig = as_figure(fn(lres, year=y, lang=state.fig_lang))
                out.append(state.save_figure(fig, f"{stem}_{y}", f"{title} {y}"))
            except Exception as exc:  # a plotting failure must not lose the tables
                state.notes.append(f"{fn.__name__}({y}) failed: {type(exc).__name__}: {exc}")
    return out


STAGE = Stage(name="autocorrelation", title=TEXT["title"], run=run, requires=("index", "weights"),
              command="moran", help=TEXT["help"]["en"])
