"""Stage "autocorrelation": global Moran's I by year under every matrix, LISA clusters.

:func:`spatialnqpf.autocorrelation.moran_by_year` (analytic randomisation and
permutation inference) and :func:`spatialnqpf.autocorrelation.lisa` under the first
matrix; cluster counts and first → last transitions; Moran scatter plots and LISA maps.

The Moran table gives I, E(I) = −1/(n−1), the sd of I under randomisation, z and p
(randomisation) and the permutation p; the note names the p-value by which the reading
counts significant years (the permutation p when permutations ran, else the randomisation
p).  LISA clusters use ``p <= 0.05`` by ``[autocorrelation] permutations`` (default 9,999)
conditional permutations, a rule stated in the table title, note and reading.
"""
from __future__ import annotations

import numpy as np

from ... import autocorrelation
from ..figures import as_figure
from ..plot_autocorrelation import plot_lisa_map, plot_moran_scatter
from ..tables import format_p, frame_table
from ._base import Stage, StageOutput, State, year_ranges

#: zh/en strings of this stage.
TEXT = {
    "title": {"zh": "空间自相关", "en": "Spatial autocorrelation"},
    "help": {"zh": "逐年 Moran's I 与 LISA（先运行指数与权重阶段）",
             "en": "Moran's I by year and LISA (runs the index and weights first)"},
    "year": {"zh": '年份', "en": 'Year'},
    "in_last_wlab_weights": {"zh": '{last} 年（{wlab}；{rule}）显著的高-高聚类有 {v2} 个省份，低-低聚类 {v3} 个，不显著 {v4} 个。',
                            "en": 'In {last} ({wlab} weights; {rule}), {v2} provinces form significant high-high clusters, {v3} low-low clusters, and {v4} are not significant.'},
    "global_moran_s_i": {"zh": "全局 Moran's I 的变化", "en": "Global Moran's I by year"},
    "under_lab_weights_global": {"zh": "{lab}下，{v1}的全局 Moran's I 在 {v2:.3f} 至 {v3:.3f} 之间，按{pname}计，{v4} 年中有 {nsig} 年在 5% 水平显著；{lastyr} 年 I = {v7:.3f}（{pname} {v8}）。",
                                "en": "Under {lab} weights, global Moran's I of the {v1} ranges from {v2:.3f} to {v3:.3f} and is significant at 5% by the {pname} in {nsig} of {v4} years; in {lastyr}, I = {v7:.3f} ({pname} {v8})."},
    "not_sig_years": {"zh": "{lab}下按{pname}不显著的年份：{years}。",
                      "en": "Under {lab} weights, years not significant at 5% by the {pname}: {years}."},
    "pname_perm": {"zh": "置换 p 值", "en": "permutation p-value"},
    "pname_rand": {"zh": "随机化 p 值", "en": "randomisation p-value"},
    "e_i": {"zh": "E(I)", "en": "E(I)"},
    "sd_rand": {"zh": "标准差（随机化）", "en": "sd (rand.)"},
    "moran_note_perm": {"zh": "E(I) = −1/(n−1)；标准差、z 与 p（随机化）为随机化假设下 I 的标准差与检验；p（置换）由 {perms} 次随机置换得到（种子 {seed}）；均为双侧检验。正文按 p（置换）< 0.05 判断显著。",
                        "en": "E(I) = −1/(n−1); sd, z and p (rand.) are the standard deviation of I and its test under the randomisation assumption; p (perm.) from {perms} random permutations (seed {seed}); all two-sided. The text counts a year as significant when p (perm.) < 0.05."},
    "moran_note_rand": {"zh": "E(I) = −1/(n−1)；标准差、z 与 p（随机化）为随机化假设下 I 的标准差与检验，双侧；未做置换检验。正文按 p（随机化）< 0.05 判断显著。",
                        "en": "E(I) = −1/(n−1); sd, z and p (rand.) are the standard deviation of I and its test under the randomisation assumption, two-sided; no permutations. The text counts a year as significant when p (rand.) < 0.05."},
    "lisa_rule_perm": {"zh": "p ≤ {alpha:g}，{perms} 次条件置换，双侧", "en": "p ≤ {alpha:g} by {perms} conditional permutations, two-sided"},
    "lisa_rule_rand": {"zh": "p ≤ {alpha:g}，条件随机化假设下的解析检验，双侧",
                       "en": "p ≤ {alpha:g} by the analytic test under conditional randomisation, two-sided"},
    "lisa_note": {"zh": "显著性：{rule}（种子 {seed}）；不显著：未达该显著水平。", "en": "Significance: {rule} (seed {seed}); ns: not significant."},
    "from_the_first_to": {"zh": '首年到末年，{stay} 个省份保持原显著聚类类型，{moved} 个省份改变了类型（含显著与不显著之间的变化）。',
                         "en": 'From the first to the last year {stay} provinces kept their significant cluster type and {moved} changed type (including moves between significant and not significant).'},
    "high_high_provinces_in": {"zh": '{last} 年高-高聚类省份：{v1}。',
                              "en": 'High-high provinces in {last}: {v2}.'},
    "moran_scatter": {"zh": 'Moran 散点图', "en": 'Moran scatter'},
    "part_lisa_transitions": {"zh": "LISA 聚类类型的转移", "en": "LISA cluster transitions"},
    "lisa_cluster_map": {"zh": 'LISA 聚类图', "en": 'LISA cluster map'},
    "global_moran_s_i_2": {"zh": "全局 Moran's I（{v0}）", "en": "Global Moran's I of the {v0}"},
    "lisa_clusters_wlab_two": {"zh": 'LISA 聚类个数（{wlab}，{rule}）',
                              "en": 'LISA clusters ({wlab}; {rule})'},
    "p_rand": {"zh": 'p（随机化）', "en": 'p (rand.)'},
    "p_perm": {"zh": 'p（置换）', "en": 'p (perm.)'},
    "lisa_cluster_transitions_first": {"zh": 'LISA 聚类类型的转移（首年→末年）',
                                      "en": 'LISA cluster transitions (first → last year)'},
    "contiguity": {"zh": '邻接矩阵', "en": 'Contiguity'},
    "distance": {"zh": '距离矩阵', "en": 'Distance'},
    "cluster_t": {"zh": "首年类型 \\ 末年类型", "en": "first year \\ last year"},
}

#: Chinese names of the LISA cluster types (tables of the zh report).
CLUSTERS_ZH = {"HH": "高-高", "LH": "低-高", "LL": "低-低", "HL": "高-低", "ns": "不显著", "isolate": "孤立"}


def _cluster_names(state: State, df):
    """LISA cluster codes (HH, LH, ..., ns, isolate) of a table's rows and columns in Chinese."""
    if state.lang != "zh":
        return df
    ren = lambda v: CLUSTERS_ZH.get(str(v), v)  # noqa: E731
    out = df.rename(columns=ren)
    if out.index.name != state.text(TEXT, "year"):
        out = out.rename(index=ren)
    return out


def run(state: State) -> StageOutput:
    state.need_weights()
    col = state.variable("autocorrelation")
    perms = int(state.config.get("autocorrelation", "permutations"))
    tables, figures, readings, numbers = [], [], [], {}
    ws = {state.weight_labels.get(k, k): w for k, w in state.weights.items()}
    res = autocorrelation.moran_by_year(data=state.frame, column=col, w=ws, id="code", time="year", permutations=perms,
                           seed=state.seed)
    long = res.to_frame()
    numbers["moran_by_year"] = long
    stats = ["I", "E[I]", "sd_rand", "z_rand", "p_rand"] + (["p_perm"] if perms else [])
    sbs = res.side_by_side(stats)
    sbs.index.name = state.text(TEXT, "year")
    # the one p-value the note names and the reading counts: permutation p when permutations ran
    pcol = "p_perm" if perms else "p_rand"
    pname = state.text(TEXT, "pname_perm" if perms else "pname_rand")
    tables.append(frame_table(
        sbs, name="moran_by_year", digits=3, pvalues=("p_rand", "p_perm"),
        labels={"E[I]": state.text(TEXT, "e_i"), "sd_rand": state.text(TEXT, "sd_rand"),
                "z_rand": "z", "p_rand": state.text(TEXT, "p_rand"),
                "p_perm": state.text(TEXT, "p_perm")},
        title=state.text(TEXT, "global_moran_s_i_2", v0=state.var_label(col)),
        notes=(state.text(TEXT, "moran_note_perm" if perms else "moran_note_rand",
                          perms=f"{perms:,}", seed=state.seed),)))
    sig = {}
    for lab in ws:
        df = long.xs(lab, level=0)
        nsig = int((df[pcol] < 0.05).sum())
        sig[lab] = {"n_significant": nsig, "n_years": int(len(df)),
                    "not_significant_years": [int(y) for y in df.index[~(df[pcol] < 0.05)]]}
        lastyr = df.index[-1]
        readings.append(state.text(TEXT, "under_lab_weights_global", lab=lab, v1=state.var_label(col), v2=df['I'].min(), v3=df['I'].max(), v4=len(df), nsig=nsig, lastyr=lastyr, v7=df['I'].iloc[-1], v8=_p_text(df[pcol].iloc[-1]), pname=pname))
        if 0 < nsig < len(df):
            readings.append(state.text(TEXT, "not_sig_years", lab=lab, pname=pname,
                                       years=year_ranges(sig[lab]["not_significant_years"])))
    numbers["moran_significance"] = {"p_column": pcol, "alpha": 0.05, "permutations": perms,
                                     "by_weights": sig}
    if state.figures:
        figures.append(_moran_figure(state, long))
    wname = next(iter(state.weights))
    wlab = state.weight_labels.get(wname, wname)
    lres = autocorrelation.lisa(data=state.frame, column=col, w=state.weights[wname], id="code", time="year", permutations=perms,
                   seed=state.seed)
    lf = lres.to_frame()
    numbers["lisa"] = lf
    counts = lres.counts()
    counts.index.name = state.text(TEXT, "year")
    rule = state.text(TEXT, "lisa_rule_perm" if perms else "lisa_rule_rand", alpha=lres.alpha,
                      perms=f"{perms:,}")
    numbers["lisa_rule"] = {"alpha": lres.alpha, "permutations": perms, "alternative": lres.alternative,
                            "comparison": "p <= alpha", "seed": state.seed,
                            "p": "conditional permutation" if perms else "analytic (conditional randomisation)"}
    numbers["lisa_counts"] = counts
    tables.append(frame_table(_cluster_names(state, counts), name="lisa_counts",
                              title=state.text(TEXT, "lisa_clusters_wlab_two", wlab=wlab, rule=rule),
                              notes=(state.text(TEXT, "lisa_note", rule=rule, seed=state.seed),)))
    try:
        tr = lres.transitions(between="first-last")
        trt = _cluster_names(state, tr)
        trt.index.name = state.text(TEXT, "cluster_t")
        tables.append(frame_table(trt, name="lisa_transitions",
                                  title=state.text(TEXT, "lisa_cluster_transitions_first")))
        numbers["lisa_transitions"] = tr
        stay = sum(int(tr.loc[q, q]) for q in tr.index if q in tr.columns and q not in ("ns",))
        moved = int(tr.to_numpy().sum() - np.trace(tr.reindex(columns=tr.index).fillna(0).to_numpy()))
        readings.append(state.text(TEXT, "from_the_first_to", stay=stay, moved=moved))
    except Exception as exc:
        state.fail_note(state.text(TEXT, "part_lisa_transitions"), exc, "not_computed")
    last = counts.index[-1]
    c = counts.loc[last]
    readings.append(state.text(TEXT, "in_last_wlab_weights", last=last, wlab=wlab, v2=int(c.get('HH', 0)), v3=int(c.get('LL', 0)), v4=int(c.get('ns', 0)), rule=rule))
    hh = lf[(lf["year"] == last) & (lf["cluster"] == "HH")]["code" if "code" in lf.columns else "id"].tolist()
    if hh:
        readings.append(state.text(TEXT, "high_high_provinces_in", last=last, v1='、'.join(state.province_names(hh)), v2=', '.join(state.province_names(hh))))
    yrs = state.config.get("autocorrelation", "lisa_years") or [int(counts.index[0]), int(last)]
    if state.figures:
        figures += _lisa_figures(state, lres, yrs)
    return StageOutput(tables=tables, figures=figures, readings=readings, numbers=numbers)

def _p_text(p: float) -> str:
    """``"= 0.003"`` or ``"< 0.001"`` (the format of the table's p columns)."""
    txt = format_p(p)
    return f"< {txt[1:]}" if txt.startswith("<") else f"= {txt}"


def _moran_figure(state: State, long):
    """Global Moran's I by year, one line per matrix."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for name in state.weights:
        lab = state.weight_labels.get(name, name)
        df = long.xs(lab, level=0)
        ax.plot(df.index, df["I"], marker="o", ms=3,
                label={"contiguity": state.ftext(TEXT, "contiguity"),
                       "distance": state.ftext(TEXT, "distance"), "knn": "kNN"}.get(name, name))
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel(state.ftext(TEXT, "year"))
    ax.set_ylabel("Moran's I")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    return state.save_figure(fig, "moran_by_year", state.text(TEXT, "global_moran_s_i"))


def _lisa_figures(state: State, lres, years) -> list:
    """Moran scatter plots and LISA cluster maps (:mod:`spatialnqpf.report.plot_autocorrelation`)."""
    out = []
    for fn, stem, title in ((plot_moran_scatter, "moran_scatter", state.text(TEXT, "moran_scatter")),
                            (plot_lisa_map, "lisa_map", state.text(TEXT, "lisa_cluster_map"))):
        for y in years:
            try:
                kw = {"shapes": _city_shapes()} if (fn is plot_lisa_map and state.level == "city") else {}
                fig = as_figure(fn(lres, year=y, lang=state.fig_lang,
                                   variable_label=state.var_label(lres.column, fig=True), **kw))
                out.append(state.save_figure(fig, f"{stem}_{y}", f"{title} {y}"))
            except Exception as exc:  # a plotting failure must not lose the tables
                state.fail_note(f"{title} {y}", exc, "figure_failed")
    return out


def _city_shapes():
    """City polygons for the LISA maps at ``[data] level = "city"``."""
    from ..._shapes import load_cities
    return load_cities()


STAGE = Stage(name="autocorrelation", title=TEXT["title"], run=run, requires=("index", "weights"),
              command="moran", help=TEXT["help"]["en"])
