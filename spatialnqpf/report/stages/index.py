"""Stage "index": composite index (entropy/CRITIC weights, TOPSIS scores) and its tables.

Calls :func:`spatialnqpf.index.entropy_topsis` on the analysis frame (gaps already
handled by the data stage) and adds the score column ``index_score`` that later stages
analyse; tables of weights, scores and ranks, regional means, pillar weights, coupling
coordination and obstacle degrees; trend and map figures.
"""
from __future__ import annotations

import warnings

import pandas as pd

from ... import index
from ..figures import map_grid, province_maps
from ..tables import frame_table
from ._base import Skip, Stage, StageOutput, State, pct

#: zh/en strings of this stage.
TEXT = {
    "title": {"zh": "综合指数：权重与得分", "en": "Composite index: weights and scores"},
    "part_coupling": {"zh": "维度间耦合协调度", "en": "Coupling coordination between pillars"},
    "part_obstacle": {"zh": "障碍度", "en": "Obstacle degree"},
    "rank": {"zh": "排名", "en": "Rank"},
    "score": {"zh": "得分", "en": "score"},
    "help": {"zh": "仅综合指数（权重、得分、排名）", "en": "composite index only (weights, scores, ranking)"},
    "indicator": {"zh": '指标', "en": 'Indicator'},
    "code": {"zh": '代码', "en": 'Code'},
    "year": {"zh": '年份', "en": 'Year'},
    "weight": {"zh": '权重', "en": 'Weight'},
    "in_last_the_top": {"zh": '{last} 年综合指数排名前三的是{v1}（{v2:.3f}）、{v3}（{v4:.3f}）和{v5}（{v6:.3f}）；排名最后的是{v7}（{v8:.3f}）。',
                       "en": 'In {last} the top three provinces are {v1} ({v2:.3f}), {v3} ({v4:.3f}) and {v5} ({v6:.3f}); the last is {v7} ({v8:.3f}).'},
    "the_national_mean_v": {"zh": '全国均值从 {first} 年的 {nat0:.3f} {v2}到 {last} 年的 {nat1:.3f}（{chg:+.1%}）。',
                           "en": 'The national mean {v6} from {nat0:.3f} in {first} to {nat1:.3f} in {last} ({chg:+.1%}).'},
    "the_largest_weight_goes": {"zh": '权重最大的指标是 {topw}（{v1:.1%}）。',
                               "en": 'The largest weight goes to {topw} ({v1:.1%}).'},
    "index": {"zh": '综合指数', "en": 'Index'},
    "pillar": {"zh": '维度', "en": 'Pillar'},
    "direction": {"zh": '方向', "en": 'Direction'},
    "label": {"zh": '指标名称', "en": 'Label'},
    "province": {"zh": '省份', "en": 'Province'},
    "mean": {"zh": '均值', "en": 'Mean'},
    "nation": {"zh": '全国', "en": 'Nation'},
    "in_last_the_east": {"zh": '{last} 年东部均值是西部的 {v1:.2f} 倍。',
                        "en": "In {last} the East's mean is {v1:.2f} times the West's."},
    "mean_index_by_region": {"zh": '分区域综合指数均值的变化', "en": 'Mean index by region over time'},
    "in_last_the_indicator": {"zh": '{last} 年平均障碍度最大的指标是 {v1}（{v2}），它是 {v3} 个省份的首要障碍因子。',
                             "en": 'In {last} the indicator with the largest mean obstacle degree is {v1} ({v2}); it is the main obstacle in {v3} provinces.'},
    "indicator_weights_meth_en": {"zh": '指标权重（{meth_zh}）', "en": 'Indicator weights ({meth_en})'},
    "index_scores_and_ranks": {"zh": '综合指数得分与排名（{first} 年与 {last} 年）',
                              "en": 'Index scores and ranks ({first} and {last})'},
    "mean_index_by_region_2": {"zh": '分区域综合指数均值', "en": 'Mean index by region'},
    "the_national_mean_coupling": {"zh": '维度间耦合协调度 D 的全国均值从 {v0:.3f} 变为 {v1:.3f}。',
                                  "en": 'The national mean coupling coordination degree D moved from {v0:.3f} to {v1:.3f}.'},
    "mean_obstacle_degree": {"zh": '平均障碍度', "en": 'Mean obstacle degree'},
    "provinces_where_it_is": {"zh": '为首要障碍的省份数', "en": 'Provinces where it is the main obstacle'},
    "the_index_is_the": {"zh": '综合指数为 TOPSIS 贴近度（面板全局理想解）。',
                        "en": 'The index is the TOPSIS closeness (panel-wide ideals).'},
    "pillar_weights_sums_of": {"zh": '维度权重（指标权重之和）',
                              "en": 'Pillar weights (sums of indicator weights)'},
    "national_mean_of_the": {"zh": '各维度得分的全国均值', "en": 'National mean of the pillar scores'},
    "obstacle_degrees_of_the": {"zh": '{last} 年指标障碍度',
                               "en": 'Obstacle degrees of the indicators, {last}'},
    "appendix_scores": {"zh": '附表：各省份综合指数得分（{first}—{last} 年）',
                        "en": 'Appendix table: index scores by province and year ({first}–{last})'},
    "appendix_note": {"zh": '各年得分均来自同一面板的综合指数；排名见正文表。',
                      "en": 'All scores come from the one panel-wide index; ranks are in the main table.'},
    "coupling_coordination_between_pillars": {"zh": '维度间耦合协调度（全国均值）',
                                             "en": 'Coupling coordination between pillars (national mean)'},
    "name": {"zh": "变量名", "en": "Name"},
}


def _index_call(state: State):
    """:func:`spatialnqpf.index.entropy_topsis` with the configured system and weighting."""
    cfg = state.config.get("index")
    weighting = {"entropy_topsis": "entropy", "entropy": "entropy", "critic": "critic",
                 "combined": "combined", "equal": "equal"}.get(cfg["method"])
    if weighting is None:
        raise ValueError(f"[index] method {cfg['method']!r} is not one of entropy_topsis, entropy, "
                         "critic, combined, equal")
    kwargs = dict(id="code", time="year", shift=cfg["shift"], scheme=weighting,
                  missing="raise")  # gaps were handled (and logged) by the data stage
    if state.system is not None:
        kwargs["system"] = state.system
    else:
        kwargs["directions"] = state.indicators
        meta = state.indicator_meta
        if meta is not None and "pillar" in meta.columns and meta["pillar"].astype(bool).all():
            kwargs["pillars"] = {p: list(g.index) for p, g in meta.groupby("pillar", sort=False)}
    return index.entropy_topsis(data=state.frame, **kwargs)


def run(state: State) -> StageOutput:
    if not state.indicators:
        raise Skip.common("skip_no_system")
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
    wt = w.to_frame(state.text(TEXT, "weight"))
    if state.indicator_meta is not None:
        meta = state.indicator_meta
        if "column" in meta.columns:
            meta = meta.set_index("column")
        if "pillar" in meta.columns:
            wt[state.text(TEXT, "pillar")] = [state.var_label(p) if isinstance(p, str) and p else ""
                                              for p in meta["pillar"].reindex(wt.index)]
        if "direction" in meta.columns:
            wt[state.text(TEXT, "direction")] = meta["direction"].reindex(wt.index).astype(str).to_numpy()
    wt.insert(0, state.text(TEXT, "name"), wt.index.astype(str))
    wt.index = [state.var_label(c) for c in wt.index]  # labels: indicator system, [labels]
    wt.index.name = state.text(TEXT, "indicator")
    meth = state.config.get("index", "method")
    meth_zh = {"critic": "CRITIC 法", "combined": "熵权-CRITIC 组合", "equal": "等权"}.get(meth, "熵权法")
    meth_en = {"critic": "CRITIC", "combined": "entropy-CRITIC combined", "equal": "equal"}.get(meth, "entropy")
    tables.append(frame_table(wt, name="index_weights", title=state.text(TEXT, "indicator_weights_meth_en", meth_zh=meth_zh, meth_en=meth_en),
                              digits=4, notes=(state.text(TEXT, "the_index_is_the"),)))
    numbers["weights"] = w
    f = state.frame
    yrs = sorted(f["year"].unique())
    first, last = yrs[0], yrs[-1]
    piv = f.pivot(index="code", columns="year", values="index_score")
    rank_last = piv[last].rank(ascending=False, method="min").astype(int)
    rank_first = piv[first].rank(ascending=False, method="min").astype(int)
    rk = pd.DataFrame({state.text(TEXT, "province"): state.province_names(piv.index),
                       f"{first}": piv[first], f"{state.text(TEXT, 'rank')} {first}": rank_first,
                       f"{last}": piv[last], f"{state.text(TEXT, 'rank')} {last}": rank_last,
                       state.text(TEXT, "mean"): piv.mean(axis=1)}, index=piv.index)
    rk = rk.sort_values(f"{state.text(TEXT, 'rank')} {last}")
    rk.index.name = state.text(TEXT, "code")
    tables.append(frame_table(rk, name="index_ranking",
                              title=state.text(TEXT, "index_scores_and_ranks", first=first, last=last), digits=4))
    numbers["scores"] = piv
    grp = state.groups("region4", piv.index)  # cities: the region of their province
    by_region = f.assign(_g=f["code"].map(grp)).groupby(["year", "_g"])["index_score"].mean().unstack()
    by_region["nation"] = f.groupby("year")["index_score"].mean()
    numbers["mean_by_region"] = by_region
    reg_order = [g for g in ("East", "Central", "West", "Northeast") if g in by_region.columns]
    brt = by_region[reg_order + ["nation"]].copy()
    brt.columns = [state.region_label(c) if c != "nation" else state.text(TEXT, "nation") for c in brt.columns]
    brt.index.name = state.text(TEXT, "year")
    tables.append(frame_table(brt, name="index_by_region",
                              title=state.text(TEXT, "mean_index_by_region_2"), digits=4))
    # readings
    top = rk.head(3)
    names = top[state.text(TEXT, "province")].tolist()
    vals = top[f"{last}"].tolist()
    nat0, nat1 = by_region["nation"].iloc[0], by_region["nation"].iloc[-1]
    topw = w.index[0]
    readings.append(state.text(TEXT, "in_last_the_top", last=last, v1=names[0], v2=vals[0], v3=names[1], v4=vals[1], v5=names[2], v6=vals[2], v7=rk[state.text(TEXT, 'province')].iloc[-1], v8=rk[f'{last}'].iloc[-1]))
    chg = (nat1 - nat0) / nat0 if nat0 else float("nan")
    readings.append(state.text(TEXT, "the_national_mean_v", first=first, nat0=nat0, v2='上升' if nat1 >= nat0 else '下降', last=last, nat1=nat1, chg=chg, v6='rose' if nat1 >= nat0 else 'fell'))
    if "East" in by_region and "West" in by_region:
        e, wv = by_region.loc[last, "East"], by_region.loc[last, "West"]
        readings.append(state.text(TEXT, "in_last_the_east", last=last, v1=e / wv))
    readings.append(state.text(TEXT, "the_largest_weight_goes", topw=state.var_label(topw), v1=w.iloc[0]))
    _index_extras(state, res, last, tables, readings, numbers)
    tables.append(_appendix_table(state, piv, first, last))
    if state.figures:
        figures += _figures(state, by_region, reg_order, piv, first, last)
    return StageOutput(tables=tables, figures=figures, readings=readings, numbers=numbers)

def _appendix_table(state: State, piv, first, last):
    """Full province x year table of the scores (appendix); rows in code order, the name first."""
    full = piv.copy()
    full.columns = [str(c) for c in full.columns]
    full.insert(0, state.text(TEXT, "province"), state.province_names(piv.index))
    full.index.name = state.text(TEXT, "code")
    return frame_table(full, name="index_scores_appendix", digits=4,
                       title=state.text(TEXT, "appendix_scores", first=first, last=last),
                       notes=(state.text(TEXT, "appendix_note"),))


def _figures(state: State, by_region, reg_order, piv, first, last) -> list:
    """Trend by region, maps of the first and last year, small multiples."""
    import matplotlib.pyplot as plt
    figures = []
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for g in reg_order:
        ax.plot(by_region.index, by_region[g], marker="o", ms=3, label=state.region_label(g, fig=True))
    ax.plot(by_region.index, by_region["nation"], color="k", lw=2, label=state.ftext(TEXT, "nation"))
    ax.set_xlabel(state.ftext(TEXT, "year"))
    ax.set_ylabel(state.var_label("index_score", fig=True))
    ax.legend(frameon=False, ncol=3, fontsize=8)
    ax.grid(alpha=0.3)
    figures.append(state.save_figure(fig, "index_trend_by_region",
                                   state.text(TEXT, "mean_index_by_region")))
    # captions in the report language, titles and colour bars inside the figure in its language
    what, fig_what = state.var_label("index_score"), state.var_label("index_score", fig=True)
    figures += province_maps(state, piv, [first, last], "index_map", what, fig_what=fig_what)
    figures += map_grid(state, piv, "index_maps_by_year", what, fig_what=fig_what)
    return figures


def _index_extras(state: State, res, last, tables, readings, numbers) -> None:
    """Pillar weights, coupling coordination (two or more pillars) and obstacle degrees."""
    pw = res.pillar_weights
    if pw is not None and len(pw) > 1:
        ps = res.pillar_scores.groupby(level=-1).mean()
        ps.columns = [f"{state.text(TEXT, 'score')}: {c}" for c in ps.columns]
        numbers["pillar_weights"] = pw
        numbers["pillar_scores_mean"] = ps
        ps = ps.set_axis([f"{state.text(TEXT, 'score')}: {state.var_label(c)}"
                          for c in res.pillar_scores.columns], axis=1)
        pt = pd.DataFrame({state.text(TEXT, "weight"): pw})
        pt.index = [state.var_label(p) for p in pt.index]
        pt.index.name = state.text(TEXT, "pillar")
        tables.append(frame_table(pt, name="index_pillar_weights", digits=4,
                                  title=state.text(TEXT, "pillar_weights_sums_of")))
        ps.index.name = state.text(TEXT, "year")
        tables.append(frame_table(ps, name="index_pillar_scores", digits=4,
                                  title=state.text(TEXT, "national_mean_of_the")))
        try:
            cc = res.coupling()
            d = cc.coordination.groupby(level=-1).mean()
            ct = pd.DataFrame({"C": cc.coupling.groupby(level=-1).mean(),
                               "T": cc.development.groupby(level=-1).mean(), "D": d})
            ct.index.name = state.text(TEXT, "year")
            tables.append(frame_table(ct, name="coupling_coordination", digits=4,
                                      title=state.text(TEXT, "coupling_coordination_between_pillars")))
            numbers["coupling_coordination_mean"] = ct
            readings.append(state.text(TEXT, "the_national_mean_coupling", v0=d.iloc[0], v1=d.iloc[-1]))
        except Exception as exc:
            state.fail_note(state.text(TEXT, "part_coupling"), exc, "not_computed")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # undefined cases are listed by the index module
            ob = res.obstacles(top_k=3).to_frame()
        ind = [c for c in ob.columns if not str(c).startswith("pillar:")]
        sub = ob.xs(last, level=-1)[ind]
        mean = sub.mean().sort_values(ascending=False)
        top1 = sub.idxmax(axis=1).value_counts()
        ot = pd.DataFrame({state.text(TEXT, "mean_obstacle_degree"): mean,
                           state.text(TEXT, "provinces_where_it_is"):
                               top1.reindex(mean.index).fillna(0).astype(int)})
        ot.index = [state.var_label(c) for c in ot.index]
        ot.index.name = state.text(TEXT, "indicator")
        tables.append(frame_table(ot, name="obstacle_degree", digits=4,
                                  percent=[state.text(TEXT, "mean_obstacle_degree")],
                                  title=state.text(TEXT, "obstacle_degrees_of_the", last=last)))
        numbers["obstacle_degree_last_year"] = sub
        readings.append(state.text(TEXT, "in_last_the_indicator", last=last, v1=state.var_label(mean.index[0]), v2=pct(mean.iloc[0]), v3=int(top1.get(mean.index[0], 0))))
    except Exception as exc:
        state.fail_note(state.text(TEXT, "part_obstacle"), exc, "not_computed")


STAGE = Stage(name="index", title=TEXT["title"], run=run, requires=("data",), command="index",
              help=TEXT["help"]["en"])
