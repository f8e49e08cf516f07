"""Stage "data": read the data, handle missing values, describe the variables used.

Reads the configured file (or the bundled demo panel) with
:func:`spatialnqpf.report.config.load_data`, which normalises province labels and applies
the ``missing`` policy; every cell imputed or row dropped is listed in a table.  The
indicator system of the index (demo system or ``[[index.indicators]]``) is read here,
so that only the columns the analysis uses are checked.
"""
from __future__ import annotations

import pandas as pd

from ... import index, regions
from ..config import ReportConfig, load_data
from ..tables import frame_table
from ._base import Stage, StageOutput, State, pct, year_ranges

#: zh/en strings of this stage.
TEXT = {
    "title": {"zh": "数据概览与缺失值", "en": "Data overview and missing values"},
}


def indicator_spec(config: ReportConfig) -> tuple[dict, pd.DataFrame, object]:
    """Directions ``{column: ±1}``, a metadata frame (pillar, label) and the system object.

    ``[index] system = "demo"``: :func:`spatialnqpf.index.demo_system` restricted to
    ``[index] pillars``; ``"inline"``: the ``[[index.indicators]]`` blocks (system None).
    """
    cfg = config.get("index")
    if cfg["system"] == "inline":
        dirs, meta = {}, []
        for ind in cfg["indicators"]:
            d = ind.get("direction", 1)
            d = -1 if d in (-1, "-", "negative") else 1
            dirs[ind["column"]] = d
            meta.append({"indicator": ind["column"], "direction": d, "pillar": ind.get("pillar", ""),
                         "label": ind.get("label", ind["column"])})
        return dirs, pd.DataFrame(meta).set_index("indicator"), None
    system = index.demo_system()
    pillars = cfg.get("pillars") or None
    if pillars:
        system = system.select(pillars=list(pillars))
    return {str(k): int(v) for k, v in system.directions.items()}, system.to_frame(), system


def run(state: State) -> StageOutput:
    cfg = state.config
    tables, figures, readings, numbers = [], [], [], {}
    state.indicators, state.indicator_meta, state.system = indicator_spec(state.config)
    if cfg.get("index", "system") == "inline":
        state.fallback_variable = cfg.get("index", "indicators")[0]["column"]
    elif cfg.is_demo:
        state.fallback_variable = "rd_intensity"
    # indicator columns a declared system derives itself (e.g. patents per GDP) are not data columns
    used = list(state.indicators)
    if state.fallback_variable and state.fallback_variable not in used:
        used.append(state.fallback_variable)
    mcfg = cfg.get("models")
    used += [mcfg["y"]] if mcfg["y"] != "index" else []
    used += list(mcfg["x"])
    for role in ("autocorrelation", "inequality", "dynamics"):
        v = cfg.get(role, "variable")
        if v != "index":
            used.append(v)
    data = load_data(cfg, used_columns=[c for c in dict.fromkeys(used)])
    state.data = data
    state.frame = data.frame.copy()
    f = state.frame
    yrs = sorted(f["year"].unique())
    numbers.update({"source": data.source, "checksum_sha256": data.checksum,
                    "n_provinces": int(f["code"].nunique()), "n_years": len(yrs),
                    "first_year": int(yrs[0]), "last_year": int(yrs[-1]), "n_rows": int(len(f)),
                    "missing_policy": data.missing_policy, "changes": list(data.changes),
                    "unused_columns": list(data.unused_columns), "derived": data.derived})
    used = [c for c in dict.fromkeys(used) if c in f.columns]
    desc = pd.DataFrame({
        "N": f[used].notna().sum(), "mean": f[used].mean(), "sd": f[used].std(ddof=1),
        "min": f[used].min(), "max": f[used].max(),
        "missing": pd.Series(data.derived.get("missing_before", {})).reindex(used).fillna(0).astype(int)})
    desc.index.name = state.t("变量", "Variable")
    labels = {"N": "N", "mean": state.t("均值", "Mean"), "sd": state.t("标准差", "SD"),
              "min": state.t("最小值", "Min"), "max": state.t("最大值", "Max"),
              "missing": state.t("缺失(处理前)", "Missing (before handling)")}
    if used:
        tables.append(frame_table(desc, name="descriptive_statistics",
                                  title=state.t("描述性统计", "Descriptive statistics"), labels=labels,
                                  digits=3))
        numbers["descriptive"] = desc
    nmiss = int(sum(data.derived.get("missing_before", {}).values()))
    readings.append(state.t(
        f"面板覆盖 {numbers['n_provinces']} 个省份、{yrs[0]}–{yrs[-1]} 年，共 {len(f)} 个省份-年份观测。",
        f"The panel covers {numbers['n_provinces']} provinces over {yrs[0]}–{yrs[-1]} "
        f"({len(f)} province-years)."))
    absent = sorted(set(regions.provinces().index) - set(f["code"].unique()))
    if absent:
        readings.append(state.t(
            f"数据不含以下大陆省份：{'、'.join(state.province_names(absent))}（{', '.join(map(str, absent))}）；"
            "空间权重矩阵按数据中的省份构建。",
            f"The data do not cover these mainland provinces: {', '.join(state.province_names(absent))} "
            f"({', '.join(map(str, absent))}); the weight matrices are built for the provinces in the data."))
    per_year = f.groupby("year")["code"].nunique()
    if per_year.nunique() > 1:
        readings.append(state.t(
            f"面板不平衡：各年份省份数为 {per_year.min()}–{per_year.max()}。",
            f"The panel is unbalanced: {per_year.min()}–{per_year.max()} provinces per year."))
    if nmiss:
        acts = pd.Series([c["action"] for c in data.changes]).value_counts().to_dict()
        readings.append(state.t(
            f"分析所用变量中有 {nmiss} 个缺失值，按配置（missing = {data.missing_policy}）处理："
            + "，".join(f"{k} {v} 项" for k, v in acts.items()) + "。",
            f"The variables used have {nmiss} missing value(s), handled as configured "
            f"(missing = {data.missing_policy}): "
            + ", ".join(f"{v} {k}" for k, v in acts.items()) + "."))
        ch = pd.DataFrame(list(data.changes))
        if not ch.empty:
            ch = ch.drop(columns=[c for c in ("old",) if c in ch.columns])
            if ch["new"].isna().all():
                ch = ch.drop(columns=["new"])
            ch = ch.astype(object).where(ch.notna(), "")
            ch.index = range(1, len(ch) + 1)
            lab = {"action": state.t("处理", "Action"), "code": state.t("代码", "Code"), "year": state.t("年份", "Year"),
                   "column": state.t("变量", "Column"), "new": state.t("填补值", "Value filled in")}
            tables.append(frame_table(ch, name="missing_values_handled", labels=lab, digits=4,
                                      title=state.t(f"缺失值处理明细（missing = {data.missing_policy}）",
                                                  f"Missing values handled (missing = {data.missing_policy})")))
    else:
        readings.append(state.t("分析所用变量没有缺失值。", "The variables used have no missing values."))
    if data.unused_columns:
        readings.append(state.t(f"数据中未使用的列：{', '.join(map(str, data.unused_columns))}。",
                              f"Columns in the data not used by the analysis: "
                              f"{', '.join(map(str, data.unused_columns))}."))
    # missingness of the whole file by column (overview)
    before = data.derived.get("missing_before", {})
    counts = f.drop(columns=["code", "year"]).isna().sum()
    for c, k in before.items():  # used columns: the gaps before they were handled
        counts[c] = k
    n_rows = len(f) + sum(1 for ch in data.changes if ch["action"] == "dropped row")
    allmiss = (counts[counts > 0] / n_rows).sort_values(ascending=False)
    numbers["missing_share_all_columns"] = allmiss
    if len(allmiss):
        years_of = {ch["column"]: set() for ch in data.changes}
        for ch in data.changes:
            if ch.get("year") is not None:
                years_of[ch["column"]].add(ch["year"])
        miss = pd.DataFrame({
            state.t("缺失单元", "Missing cells"): counts[allmiss.index].astype(int),
            state.t("缺失比例", "Share missing"): allmiss,
            state.t("缺失年份", "Years with gaps"): [
                year_ranges(years_of[c] if c in before and c in years_of else
                             f.loc[f[c].isna(), "year"].unique()) for c in allmiss.index],
            state.t("分析使用", "Used"): [state.t("是（已处理）", "yes (handled)") if c in used else ""
                                        for c in allmiss.index]})
        miss.index.name = state.t("变量", "Variable")
        tables.append(frame_table(miss, name="missingness", percent=[state.t("缺失比例", "Share missing")],
                                  title=state.t("数据缺失情况（按列；分析所用列为处理前）",
                                              "Missing values by column (used columns: before handling)")))
    if len(allmiss):
        readings.append(state.t(
            f"整个数据文件中有 {len(allmiss)} 列存在缺失（未用于分析的列不作处理），缺失最多的是 "
            f"{allmiss.index[0]}（{pct(allmiss.iloc[0])}）。",
            f"{len(allmiss)} column(s) of the whole file have gaps (columns not used are left as "
            f"they are); the most incomplete is {allmiss.index[0]} ({pct(allmiss.iloc[0])} missing)."))
    return StageOutput(tables=tables, figures=figures, readings=readings, numbers=numbers)


STAGE = Stage(name="data", title=TEXT["title"], run=run, requires=(), command=None)
