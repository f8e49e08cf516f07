"""Stage "index": composite index (entropy/CRITIC weights, TOPSIS scores) and its tables.

Calls :func:`spatialnqpf.index.entropy_topsis` on the analysis frame (gaps already
handled by the data stage) and adds the score column ``index_score`` that later stages
analyse; tables of weights, scores and ranks, regional means, pillar weights, coupling
coordination and obstacle degrees; trend and map figures.
"""
from __future__ import annotations

import warnings

import pandas as pd

from ... import index, regions
from ..figures import map_grid, province_maps
from ..tables import frame_table
from ._base import Skip, Stage, StageOutput, State, pct

#: zh/en strings of this stage.
TEXT = {
    "title": {"zh": "综合指数：权重与得分", "en": "Composite index: weights and scores"},
    "help": {"zh": "仅综合指数（权重、得分、排名）", "en": "composite index only (weights, scores, ranking)"},
}


def _index_call(state: State):
    """:func:`spatialnqpf.index.entropy_topsis` with the configured system and weighting."""
    cfg = state.config.get("index")
    weighting = {"entropy_topsis": "entropy", "entropy": "entropy", "critic": "critic",
                 "combined": "combined", "equal": "equal"}.get(cfg["method"])
    if weighting is None:
        raise ValueError(f"[index] method {cfg['method']!r} is not one of entropy_topsis, entropy, "
                         "critic, combined, equal")
    kwargs = dict(id="code", time="year", shift=cfg["shift"], weights=weighting,
                  missing="raise")  # gaps were handled (and logged) by the data stage
    if state.system is not None:
        kwargs["system"] = state.system
    else:
        kwargs["directions"] = state.indicators
        meta = state.indicator_meta
        if meta is not None and "pillar" in meta.columns and meta["pillar"].astype(bool).all():
            kwargs["pillars"] = {p: list(g.index) for p, g in meta.groupby("pillar", sort=False)}
    return index.entropy_topsis(state.frame, **kwargs)


def run(state: State) -> StageOutput:
    if not state.indicators:
        raise Skip("no indicator system (configure [index] or install the demo system)")
    res = _index_call(state)
    state.index_result = res
    tables, figures, readings, numbers = [], [], [], {}
    scores = res.scores
    if isinstance(scores.index, pd.MultiIndex):
        names = list(scores.index.names)
        s = scores.rename("index_score").reset_index()
        s = s.rename(columns={names[0]: "code", names[1]: "year"})
    else:
        raise TypeError("index scores must be indexed by (id, time)")
    state.frame = state.frame.drop(columns=["index_score"], errors="ignore").merge(
        s[["code", "year", "index_score"]], on=["code", "year"], how="left")
    if state.frame["index_score"].isna().any():
        bad = state.frame.loc[state.frame["index_score"].isna(), ["code", "year"]].values.tolist()
        raise ValueError(f"index scores missing for (code, year) {bad[:10]}")
    state.index_column = "index_score"
    w = pd.Series(res.weights).sort_values(ascending=False)
    wt = w.to_frame(state.t("权重", "Weight"))
    if state.indicator_meta is not None:
        meta = state.indicator_meta
        if "column" in meta.columns:
            meta = meta.set_index("column")
        names = {"pillar": state.t("维度", "Pillar"), "direction": state.t("方向", "Direction"),
                 "label_zh": state.t("指标名称", "Label"), "label_en": state.t("指标名称", "Label"),
                 "label": state.t("指标名称", "Label")}
        for c in ("label_zh" if state.lang == "zh" else "label_en", "label", "pillar", "direction"):
            if c in meta.columns and names[c] not in wt.columns:
                wt[names[c]] = meta[c].reindex(wt.index).astype(str)
    wt.index.name = state.t("指标", "Indicator")
    meth = state.config.get("index", "method")
    meth_zh = {"critic": "CRITIC 法", "combined": "熵权-CRITIC 组合", "equal": "等权"}.get(meth, "熵权法")
    meth_en = {"critic": "CRITIC", "combined": "entropy-CRITIC combined", "equal": "equal"}.get(meth, "entropy")
    tables.append(frame_table(wt, name="index_weights", title=state.t(f"指标权重（{meth_zh}）",
                                                                    f"Indicator weights ({meth_en})"),
                              digits=4, notes=(state.t("综合指数为 TOPSIS 贴近度（面板全局理想解）。",
                                                     "The index is the TOPSIS closeness (panel-wide ideals)."),)))
    numbers["weights"] = w
    f = state.frame
    yrs = sorted(f["year"].unique())
    first, last = yrs[0], yrs[-1]
    piv = f.pivot(index="code", columns="year", values="index_score")
    rank_last = piv[last].rank(ascending=False, method="min").astype(int)
    rank_first = piv[first].rank(ascending=False, method="min").astype(int)
    rk = pd.DataFrame({state.t("省份", "Province"): state.province_names(piv.index),
                       f"{first}": piv[first], f"{state.t('排名', 'Rank')} {first}": rank_first,
                       f"{last}": piv[last], f"{state.t('排名', 'Rank')} {last}": rank_last,
                       state.t("均值", "Mean"): piv.mean(axis=1)}, index=piv.index)
    rk = rk.sort_values(f"{state.t('排名', 'Rank')} {last}")
    rk.index.name = state.t("代码", "Code")
    tables.append(frame_table(rk, name="index_ranking",
                              title=state.t(f"综合指数得分与排名（{first} 年与 {last} 年）",
                                          f"Index scores and ranks ({first} and {last})"), digits=4))
    numbers["scores"] = piv
    grp = regions.groups(list(piv.index), scheme="region4")
    by_region = f.assign(_g=f["code"].map(grp)).groupby(["year", "_g"])["index_score"].mean().unstack()
    by_region["nation"] = f.groupby("year")["index_score"].mean()
    numbers["mean_by_region"] = by_region
    reg_order = [g for g in ("East", "Central", "West", "Northeast") if g in by_region.columns]
    brt = by_region[reg_order + ["nation"]].copy()
    brt.columns = [state.region_label(c) if c != "nation" else state.t("全国", "Nation") for c in brt.columns]
    brt.index.name = state.t("年份", "Year")
    tables.append(frame_table(brt, name="index_by_region",
                              title=state.t("分区域综合指数均值", "Mean index by region"), digits=4))
    # readings
    top = rk.head(3)
    names = top[state.t("省份", "Province")].tolist()
    vals = top[f"{last}"].tolist()
    nat0, nat1 = by_region["nation"].iloc[0], by_region["nation"].iloc[-1]
    topw = w.index[0]
    readings.append(state.t(
        f"{last} 年综合指数排名前三的是{names[0]}（{vals[0]:.3f}）、{names[1]}（{vals[1]:.3f}）和"
        f"{names[2]}（{vals[2]:.3f}）；排名最后的是{rk[state.t('省份', 'Province')].iloc[-1]}"
        f"（{rk[f'{last}'].iloc[-1]:.3f}）。",
        f"In {last} the top three provinces are {names[0]} ({vals[0]:.3f}), {names[1]} "
        f"({vals[1]:.3f}) and {names[2]} ({vals[2]:.3f}); the last is "
        f"{rk[state.t('省份', 'Province')].iloc[-1]} ({rk[f'{last}'].iloc[-1]:.3f})."))
    chg = (nat1 - nat0) / nat0 if nat0 else float("nan")
    readings.append(state.t(
        f"全国均值从 {first} 年的 {nat0:.3f} {'上升' if nat1 >= nat0 else '下降'}到 {last} 年的 {nat1:.3f}"
        f"（{chg:+.1%}）。",
        f"The national mean {'rose' if nat1 >= nat0 else 'fell'} from {nat0:.3f} in {first} to "
        f"{nat1:.3f} in {last} ({chg:+.1%})."))
    if "East" in by_region and "West" in by_region:
        e, wv = by_region.loc[last, "East"], by_region.loc[last, "West"]
        readings.append(state.t(f"{last} 年东部均值是西部的 {e / wv:.2f} 倍。",
                              f"In {last} the East's mean is {e / wv:.2f} times the West's."))
    readings.append(state.t(f"权重最大的指标是 {topw}（{w.iloc[0]:.1%}）。",
                          f"The largest weight goes to {topw} ({w.iloc[0]:.1%})."))
    _index_extras(state, res, last, tables, readings, numbers)
    if state.figures:
        figures += _figures(state, by_region, reg_order, piv, first, last)
    return StageOutput(tables=tables, figures=figures, readings=readings, numbers=numbers)

def _figures(state: State, by_region, reg_order, piv, first, last) -> list:
    """Trend by region, maps of the first and last year, small multiples."""
    import matplotlib.pyplot as plt
    figures = []
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for g in reg_order:
        ax.plot(by_region.index, by_region[g], marker="o", ms=3, label=state.region_label(g, fig=True))
    ax.plot(by_region.index, by_region["nation"], color="k", lw=2, label=state.ft("全国", "Nation"))
    ax.set_xlabel(state.ft("年份", "Year"))
    ax.set_ylabel(state.ft("综合指数", "Index"))
    ax.legend(frameon=False, ncol=3, fontsize=8)
    ax.grid(alpha=0.3)
    figures.append(state.save_figure(fig, "index_trend_by_region",
                                   state.t("分区域综合指数均值的变化", "Mean index by region over time")))
    figures += province_maps(state, piv, [first, last], "index_map", state.t("综合指数", "Index"))
    figures += map_grid(state, piv, "index_maps_by_year", state.t("综合指数", "Index"))
    return figures


def _index_extras(state: State, res, last, tables, readings, numbers) -> None:
    """Pillar weights, coupling coordination (two or more pillars) and obstacle degrees."""
    pw = res.pillar_weights
    if pw is not None and len(pw) > 1:
        ps = res.pillar_scores.groupby(level=-1).mean()
        ps.columns = [f"{state.t('得分', 'score')}: {c}" for c in ps.columns]
        numbers["pillar_weights"] = pw
        numbers["pillar_scores_mean"] = ps
        pt = pd.DataFrame({state.t("权重", "Weight"): pw})
        pt.index.name = state.t("维度", "Pillar")
        tables.append(frame_table(pt, name="index_pillar_weights", digits=4,
                                  title=state.t("维度权重（指标权重之和）", "Pillar weights (sums of indicator weights)")))
        ps.index.name = state.t("年份", "Year")
        tables.append(frame_table(ps, name="index_pillar_scores", digits=4,
                                  title=state.t("各维度得分的全国均值", "National mean of the pillar scores")))
        try:
            cc = res.coupling()
            d = cc.coordination.groupby(level=-1).mean()
            ct = pd.DataFrame({"C": cc.coupling.groupby(level=-1).mean(),
                               "T": cc.development.groupby(level=-1).mean(), "D": d})
            ct.index.name = state.t("年份", "Year")
            tables.append(frame_table(ct, name="coupling_coordination", digits=4,
                                      title=state.t("维度间耦合协调度（全国均值）",
                                                  "Coupling coordination between pillars (national mean)")))
            numbers["coupling_coordination_mean"] = ct
            readings.append(state.t(f"维度间耦合协调度 D 的全国均值从 {d.iloc[0]:.3f} 变为 {d.iloc[-1]:.3f}。",
                                  f"The national mean coupling coordination degree D moved from "
                                  f"{d.iloc[0]:.3f} to {d.iloc[-1]:.3f}."))
        except Exception as exc:
            state.notes.append(f"coupling coordination not computed: {type(exc).__name__}: {exc}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # undefined cases are listed by the index module
            ob = res.obstacles(top_k=3).to_frame()
        ind = [c for c in ob.columns if not str(c).startswith("pillar:")]
        sub = ob.xs(last, level=-1)[ind]
        mean = sub.mean().sort_values(ascending=False)
        top1 = sub.idxmax(axis=1).value_counts()
        ot = pd.DataFrame({state.t("平均障碍度", "Mean obstacle degree"): mean,
                           state.t("为首要障碍的省份数", "Provinces where it is the main obstacle"):
                               top1.reindex(mean.index).fillna(0).astype(int)})
        ot.index.name = state.t("指标", "Indicator")
        tables.append(frame_table(ot, name="obstacle_degree", digits=4,
                                  percent=[state.t("平均障碍度", "Mean obstacle degree")],
                                  title=state.t(f"{last} 年指标障碍度", f"Obstacle degrees of the indicators, {last}")))
        numbers["obstacle_degree_last_year"] = sub
        readings.append(state.t(
            f"{last} 年平均障碍度最大的指标是 {mean.index[0]}（{pct(mean.iloc[0])}），"
            f"它是 {int(top1.get(mean.index[0], 0))} 个省份的首要障碍因子。",
            f"In {last} the indicator with the largest mean obstacle degree is {mean.index[0]} "
            f"({pct(mean.iloc[0])}); it is the main obstacle in {int(top1.get(mean.index[0], 0))} provinces."))
    except Exception as exc:
        state.notes.append(f"obstacle degree not computed: {type(exc).__name__}: {exc}")


STAGE = Stage(name="index", title=TEXT["title"], run=run, requires=("data",), command="index",
              help=TEXT["help"]["en"])
