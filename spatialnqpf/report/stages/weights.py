"""Stage "weights": the spatial weight matrices of ``[weights] matrices`` and their summary.

Each matrix is built through the registry of W builders
(:mod:`spatialnqpf.weights.registry`: kind → builder, zh/en label) for the units of the
data, and described by :func:`spatialnqpf.weights.describe` (neighbour counts, islands,
row sums, asymmetric links) and its recipe.
"""
from __future__ import annotations

import pandas as pd

from ... import weights as wmod
from ..._validation import graph_to_sparse
from ...weights import registry
from ..tables import frame_table
from ._base import Stage, StageOutput, State

#: zh/en strings of this stage.
TEXT = {
    "title": {"zh": "空间权重矩阵", "en": "Spatial weight matrices"},
    "help": {"zh": "仅空间权重矩阵", "en": "spatial weight matrices only"},
    "table": {"zh": "空间权重矩阵概况", "en": "Spatial weight matrices"},
    "matrix": {"zh": "矩阵", "en": "Matrix"},
    "n_links": {"zh": "非零权重数", "en": "Non-zero links"},
    "mean_nb": {"zh": "平均邻居数", "en": "Mean neighbours"},
    "min_nb": {"zh": "最少邻居", "en": "Min neighbours"},
    "max_nb": {"zh": "最多邻居", "en": "Max neighbours"},
    "islands": {"zh": "孤岛", "en": "Islands"},
    "row_sums": {"zh": "行和", "en": "Row sums"},
    "asym": {"zh": "非对称连接", "en": "Asymmetric links"},
    "hainan": {"zh": "邻接矩阵中海南（46）按规则 islands = {rule} 连接到 {to}。",
               "en": "In the contiguity matrix Hainan (46) is linked by the rule islands = {rule} to {to}."},
    "none": {"zh": "（无）", "en": "(none)"},
    "city_subset": {"zh": "矩阵按数据中的 {n} 个城市构建；城市登记表中另有 {k} 个单元（如省直辖县级单位）不在数据中，未纳入矩阵。",
                    "en": "The matrices are built for the {n} cities of the data; {k} units of the city "
                          "registry (e.g. county-level units under direct provincial administration) are not in the "
                          "data and not in the matrices."},
    "city_islands": {"zh": "在该城市子集上，{n} 个城市没有陆地邻居（{names}），已按 islands 规则或最近邻连接：{links}。",
                     "en": "On this subset of cities {n} have no land neighbour ({names}); they are "
                           "linked by the islands rule or to their nearest city: {links}."},
    "neighbours": {"zh": "{label}：平均每个省份 {mean:.2f} 个邻居（{lo}–{hi}）。",
                   "en": "{label}: {mean:.2f} neighbours per province on average ({lo}–{hi})."},
    "recipe": {"zh": "{n} 个{level}；参数：{params}；标准化：{std}{extra}；由 {versions} 构建。",
               "en": ""},
    "islands_rule": {"zh": "；孤岛规则 islands = {rule}，补充连接 {links}", "en": ""},
    "points": {"zh": "；坐标：{points}", "en": ""},
    "capitals": {"zh": "省会城市", "en": "capitals"},
    "centroids": {"zh": "几何中心", "en": "centroids"},
    "row": {"zh": "行标准化", "en": "row"},
    "level_province": {"zh": "省份", "en": "provinces"},
    "level_city": {"zh": "城市", "en": "cities"},
}


def _recipe_note(state: State, w, d) -> str:
    """The matrix's recipe as one note: the recipe text in English, its parts in Chinese."""
    if state.lang != "zh":
        return " ".join(line.strip() for line in d.recipe.splitlines() if line.strip())
    T = lambda key, **kw: state.text(TEXT, key, **kw)  # noqa: E731
    r = getattr(w, "recipe", None)
    if r is None:
        return ""
    params = "，".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
                      for k, v in r.params if k not in ("means",) and not isinstance(v, (tuple, list)))
    extra = ""
    if r.islands:
        extra += T("islands_rule", rule=r.islands,
                   links="、".join(f"{a}–{b}" for a, b in r.links) or TEXT["none"]["zh"])
    if r.points:
        pts = str(r.points)
        extra += T("points", points=T("capitals") if pts.startswith("capitals") else
                   T("centroids") if pts.startswith("centroids") else pts)
    vers = "、".join(v for v in (f"spatialnqpf {r.package_version}" if r.package_version else "",
                                 f"libpysal {r.libpysal_version}" if r.libpysal_version else "") if v)
    level = TEXT.get(f"level_{r.level}", {}).get("zh", r.level)
    return T("recipe", n=len(r.ids), level=level, params=params or TEXT["none"]["zh"],
             std=T("row") if r.standardization == "row" else r.standardization, extra=extra,
             versions=vers or "spatialnqpf")


def run(state: State) -> StageOutput:
    ids = sorted(state.frame["code"].unique())
    cfg = state.config.get("weights")
    opts = dict(cfg, level=state.level)  # the builders' spatial level ([data] level)
    state.weights = {name: registry.build(name, ids, state.frame, opts) for name in cfg["matrices"]}
    state.weight_labels = {k: registry.label(k, state.lang) for k in state.weights}
    T = lambda key, **kw: state.text(TEXT, key, **kw)  # noqa: E731
    rows, recipes, readings = {}, {}, []
    for name, w in state.weights.items():
        d = wmod.describe(w)
        rows[state.weight_labels[name]] = {
            "n": d.n, T("n_links"): d.n_links, T("mean_nb"): d.mean_neighbors,
            T("min_nb"): d.min_neighbors, T("max_nb"): d.max_neighbors, T("islands"): len(d.islands),
            T("row_sums"): f"{d.row_sum_min:.3f}–{d.row_sum_max:.3f}",
            T("asym"): d.n_asymmetric_links}
        recipes[name] = _recipe_note(state, w, d)
        if name == "contiguity" and 46 in ids:
            m = graph_to_sparse(w, ids)
            hn = [int(ids[j]) for j in m[ids.index(46)].indices]
            readings.append(T("hainan", rule=cfg["islands"],
                              to=", ".join(state.province_names(hn)) or T("none")))
        readings.append(T("neighbours", label=state.weight_labels[name], mean=d.mean_neighbors,
                          lo=d.min_neighbors, hi=d.max_neighbors))
        if name == "contiguity" and state.level == "city":
            readings += _city_islands(state, w, ids)
    df = pd.DataFrame(rows).T
    df.index.name = T("matrix")
    t = frame_table(df, name="weights_summary", title=T("table"), digits=2,
                    notes=tuple(f"{state.weight_labels.get(k, k)}{state.t('：', ': ')}{v}"
                                for k, v in recipes.items() if v))
    mats = {}
    if len(ids) <= 100:  # the matrices themselves (dense: provinces, not ~300 cities; recipes rebuild them)
        for name, w in state.weights.items():
            mats[name] = pd.DataFrame(graph_to_sparse(w, ids).toarray(), index=ids, columns=ids)
    return StageOutput(tables=(t,), readings=readings,
                       numbers={"summary": df, "recipes": recipes, "matrices": mats})


def _city_islands(state: State, w, ids) -> list:
    """City level: registry cities absent from the data, and the islands of the subset W."""
    from ... import regions
    from ._base import city_names
    T = lambda key, **kw: state.text(TEXT, key, **kw)  # noqa: E731
    out = []
    absent = sorted(set(regions.cities().index) - set(ids))
    if absent:
        out.append(T("city_subset", n=len(ids), k=len(absent)))
    rec = w.recipe
    found = list(rec.islands_found)
    if found:
        sep = "、" if state.lang == "zh" else ", "
        links = [f"{city_names([a])[0]}–{city_names([b])[0]}" for a, b in rec.links if a in found]
        out.append(T("city_islands", n=len(found), names=sep.join(city_names(found)),
                     links=sep.join(links) or T("none")))
    return out


STAGE = Stage(name="weights", title=TEXT["title"], run=run, requires=("data",), command="weights",
              help=TEXT["help"]["en"])
