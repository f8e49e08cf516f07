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
    "missing_handled": {"zh": "分析所用变量中有 {n} 个缺失值，按配置（missing = {policy}）处理：{actions}。",
                        "en": "The variables used have {n} missing value(s), handled as configured "
                              "(missing = {policy}): {actions}."},
    "action_count": {"zh": "{action} {n} 项", "en": "{n} {action}"},
    "list_sep": {"zh": "，", "en": ", "},
    "variable": {"zh": '变量', "en": 'Variable'},
    "mean": {"zh": '均值', "en": 'Mean'},
    "sd": {"zh": '标准差', "en": 'SD'},
    "min": {"zh": '最小值', "en": 'Min'},
    "max": {"zh": '最大值', "en": 'Max'},
    "missing_before_handling": {"zh": '缺失(处理前)', "en": 'Missing (before handling)'},
    "the_panel_covers_v": {"zh": '面板覆盖 {v0} 个省份、{v1}–{v2} 年，共 {v3} 个省份-年份观测。',
                          "en": 'The panel covers {v0} provinces over {v1}–{v2} ({v3} province-years).'},
    "the_data_do_not": {"zh": '数据不含以下大陆省份：{v0}（{v1}）；空间权重矩阵按数据中的省份构建。',
                       "en": 'The data do not cover these mainland provinces: {v2} ({v1}); the weight matrices are built for the provinces in the data.'},
    "the_panel_is_unbalanced": {"zh": '面板不平衡：各年份省份数为 {v0}–{v1}。',
                               "en": 'The panel is unbalanced: {v0}–{v1} provinces per year.'},
    "the_variables_used_have": {"zh": '分析所用变量没有缺失值。',
                               "en": 'The variables used have no missing values.'},
    "columns_in_the_data": {"zh": '数据中未使用的列：{v0}。',
                           "en": 'Columns in the data not used by the analysis: {v0}.'},
    "v_column_s_of": {"zh": '整个数据文件中有 {v0} 列存在缺失（未用于分析的列不作处理），缺失最多的是 {v1}（{v2}）。',
                     "en": '{v0} column(s) of the whole file have gaps (columns not used are left as they are); the most incomplete is {v1} ({v2} missing).'},
    "action": {"zh": '处理', "en": 'Action'},
    "code": {"zh": '代码', "en": 'Code'},
    "year": {"zh": '年份', "en": 'Year'},
    "column": {"zh": '变量', "en": 'Column'},
    "value_filled_in": {"zh": '填补值', "en": 'Value filled in'},
    "missing_cells": {"zh": '缺失单元', "en": 'Missing cells'},
    "share_missing": {"zh": '缺失比例', "en": 'Share missing'},
    "years_with_gaps": {"zh": '缺失年份', "en": 'Years with gaps'},
    "used": {"zh": '分析使用', "en": 'Used'},
    "descriptive_statistics": {"zh": '描述性统计', "en": 'Descriptive statistics'},
    "missing_values_by_column": {"zh": '数据缺失情况（按列；分析所用列为处理前）',
                                "en": 'Missing values by column (used columns: before handling)'},
    "missing_values_handled_missing": {"zh": '缺失值处理明细（missing = {v0}）',
                                      "en": 'Missing values handled (missing = {v0})'},
    "yes_handled": {"zh": '是（已处理）', "en": 'yes (handled)'},
    "city_absent": {"zh": "城市登记表中有 {n} 个单元不在数据中（{names}）；空间权重矩阵按数据中的城市构建。",
                    "en": "{n} units of the city registry are not in the data ({names}); the weight "
                          "matrices are built for the cities in the data."},
    "name_sep": {"zh": "、", "en": ", "},
    "etc": {"zh": " 等", "en": " ..."},
    "generated": {"zh": "注意：本报告所用城市面板为程序生成的示例数据（spatialnqpf.datasets.load_demo_city_panel），"
                        "并非真实统计数据，仅用于演示城市层面的分析流程，不能用于描述中国城市。",
                  "en": "Note: the city panel of this report is GENERATED example data "
                        "(spatialnqpf.datasets.load_demo_city_panel), not statistics; it demonstrates the "
                        "city-level workflow and describes no real city."},
    "name": {"zh": "变量名", "en": "Name"},
    "unknown_labels": {"zh": "[labels.{lang}] 中的 {names} 不是数据列、指标或维度，其标签未使用{hint}。",
                       "en": "[labels.{lang}] {names}: not a column, indicator or pillar of the data; "
                             "the label is not used{hint}."},
    "did_you_mean": {"zh": "（是否应为 {near}？）", "en": " (did you mean {near}?)"},
    "source_demo": {"zh": "内置演示面板", "en": "bundled demo panel"},
}

#: zh/en names of the actions of the missing-value policy (``PreparedData.changes``).
ACTIONS = {
    "interpolated": {"zh": "插值", "en": "interpolated"},
    "dropped row": {"zh": "删除观测", "en": "dropped row"},
    "dropped province": {"zh": "删除省份", "en": "dropped province"},
    "dropped unit": {"zh": "删除单元", "en": "dropped unit"},
    "dropped city": {"zh": "删除城市", "en": "dropped city"},
    "recoded city": {"zh": "城市代码更新", "en": "recoded city"},
    "renamed city": {"zh": "城市更名", "en": "renamed city"},
    "dropped city (merged)": {"zh": "删除城市（已并入他市）", "en": "dropped city (merged)"},
    "dropped city (abolished)": {"zh": "删除城市（已撤销）", "en": "dropped city (abolished)"},
    "absent row": {"zh": "缺失整行", "en": "absent row"},
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
    from ..labels import Labels
    state.labels = Labels(cfg.settings.get("labels"), system=state.system, meta=state.indicator_meta)
    if cfg.get("index", "system") == "inline":
        state.fallback_variable = cfg.get("index", "indicators")[0]["column"]
    elif cfg.is_demo:
        state.fallback_variable = "rd_intensity"
    # indicator columns a declared system derives itself (e.g. patents per GDP) are not data columns
    used = list(state.indicators)
    if state.fallback_variable and state.fallback_variable not in used:
        used.append(state.fallback_variable)
    # only the columns of the stages this run executes (`spatialnqpf weights` must not refuse
    # because of a [models] column it never uses)
    runs = set(state.stages) if state.stages else None
    if runs is None or "models" in runs:
        mcfg = cfg.get("models")
        used += [mcfg["y"]] if mcfg["y"] != "index" else []
        used += list(mcfg["x"])
        used += list(mcfg.get("endog", ())) + list(mcfg.get("instruments", ()))   # spatial 2SLS
    if runs is None or "impact" in runs:
        icfg = cfg.get("impact")
        if icfg["enabled"] or (runs and "impact" in runs):
            used += [icfg["y"]] if icfg["y"] != "index" else []
            used += [*icfg["x"], *icfg["controls"], *icfg["mediators"], *icfg["moderators"]]
            used += [icfg["threshold"]] if icfg["threshold"] else []
    for role in ("autocorrelation", "inequality", "dynamics"):
        v = cfg.get(role, "variable")
        if v != "index" and (runs is None or role in runs):
            used.append(v)
    if runs is None or "patterns" in runs:  # the patterns stage: its variable, factors, network masses
        pcfg = cfg.get("patterns")
        used += ([pcfg["variable"]] if pcfg["variable"] != "index" else []) + list(pcfg["factors"])
        used += [pcfg["population"], pcfg["gdp"]] if pcfg["population"] else []
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
    numbers["descriptive"] = desc
    desc = desc.copy()  # the table shows the labels, with the variable names beside them
    desc.insert(0, "name", desc.index.astype(str))
    desc.index = [state.var_label(c) for c in desc.index]
    desc.index.name = state.text(TEXT, "variable")
    labels = {"name": state.text(TEXT, "name"), "N": "N", "mean": state.text(TEXT, "mean"), "sd": state.text(TEXT, "sd"),
              "min": state.text(TEXT, "min"), "max": state.text(TEXT, "max"),
              "missing": state.text(TEXT, "missing_before_handling")}
    if used:
        tables.append(frame_table(desc, name="descriptive_statistics",
                                  title=state.text(TEXT, "descriptive_statistics"), labels=labels,
                                  digits=3))
    nmiss = int(sum(data.derived.get("missing_before", {}).values()))
    readings.append(state.text(TEXT, "the_panel_covers_v", v0=numbers['n_provinces'], v1=yrs[0], v2=yrs[-1], v3=len(f)))
    universe = regions.cities().index if state.level == "city" else regions.provinces().index
    absent = sorted(set(universe) - set(f["code"].unique()))
    if absent and state.level == "city":
        shown = state.province_names(absent[:12])
        readings.append(state.text(TEXT, "city_absent", n=len(absent),
                                   names=state.text(TEXT, "name_sep").join(shown)
                                   + (state.text(TEXT, "etc") if len(absent) > 12 else "")))
        gen = getattr(data.frame, "attrs", {}).get("generated") or data.source.startswith("GENERATED")
        if gen:
            readings.append(state.text(TEXT, "generated"))
    elif absent:
        readings.append(state.text(TEXT, "the_data_do_not", v0='、'.join(state.province_names(absent)), v1=', '.join(map(str, absent)), v2=', '.join(state.province_names(absent))))
    per_year = f.groupby("year")["code"].nunique()
    if per_year.nunique() > 1:
        readings.append(state.text(TEXT, "the_panel_is_unbalanced", v0=per_year.min(), v1=per_year.max()))
    if nmiss:
        acts = pd.Series([_action(state, c["action"]) for c in data.changes]).value_counts().to_dict()
        parts = [state.text(TEXT, "action_count", action=k, n=v) for k, v in acts.items()]
        readings.append(state.text(TEXT, "missing_handled", n=nmiss, policy=data.missing_policy,
                                   actions=state.text(TEXT, "list_sep").join(parts)))
        ch = pd.DataFrame(list(data.changes))
        if not ch.empty:
            ch = ch.drop(columns=[c for c in ("old",) if c in ch.columns])
            if ch["new"].isna().all():
                ch = ch.drop(columns=["new"])
            ch = ch.astype(object).where(ch.notna(), "")
            ch["action"] = [_action(state, a) for a in ch["action"]]
            ch["column"] = [", ".join(state.var_label(c.strip()) for c in str(v).split(","))
                            if v != "" else v for v in ch["column"]]
            ch.index = range(1, len(ch) + 1)
            lab = {"action": state.text(TEXT, "action"), "code": state.text(TEXT, "code"), "year": state.text(TEXT, "year"),
                   "column": state.text(TEXT, "column"), "new": state.text(TEXT, "value_filled_in")}
            tables.append(frame_table(ch, name="missing_values_handled", labels=lab, digits=4,
                                      title=state.text(TEXT, "missing_values_handled_missing", v0=data.missing_policy)))
    else:
        readings.append(state.text(TEXT, "the_variables_used_have"))
    if data.unused_columns:
        readings.append(state.text(TEXT, "columns_in_the_data", v0=state.text(TEXT, "list_sep").join(
            state.var_label(c) for c in map(str, data.unused_columns))))
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
            state.text(TEXT, "missing_cells"): counts[allmiss.index].astype(int),
            state.text(TEXT, "share_missing"): allmiss,
            state.text(TEXT, "years_with_gaps"): [
                year_ranges(years_of[c] if c in before and c in years_of else
                             f.loc[f[c].isna(), "year"].unique()) for c in allmiss.index],
            state.text(TEXT, "used"): [state.text(TEXT, "yes_handled") if c in used else ""
                                        for c in allmiss.index]})
        miss.index = [state.var_label(c) for c in miss.index]
        miss.index.name = state.text(TEXT, "variable")
        tables.append(frame_table(miss, name="missingness", percent=[state.text(TEXT, "share_missing")],
                                  title=state.text(TEXT, "missing_values_by_column")))
    if len(allmiss):
        readings.append(state.text(TEXT, "v_column_s_of", v0=len(allmiss), v1=state.var_label(allmiss.index[0]),
                                   v2=pct(allmiss.iloc[0])))
    _unknown_labels(state)
    return StageOutput(tables=tables, figures=figures, readings=readings, numbers=numbers)


def _action(state: State, action: str) -> str:
    return ACTIONS[action][state.lang] if action in ACTIONS else action


def _unknown_labels(state: State) -> None:
    """A note for every ``[labels]`` entry that names nothing of this run (a typo labels nothing)."""
    import difflib
    known = set(map(str, state.frame.columns)) | {"index_score"} | set(map(str, state.indicators))
    if state.system is not None:
        known |= {str(g.key) for g in tuple(state.system.pillars) + tuple(state.system.subpillars)}
        known |= {str(i.key) for i in state.system.indicators}
    for lang, body in (state.config.settings.get("labels") or {}).items():
        bad = [v for v in body if v not in known]
        if bad:
            near = [m for v in bad for m in difflib.get_close_matches(v, sorted(known), n=1)]
            hint = state.text(TEXT, "did_you_mean", near=", ".join(near)) if near else ""
            state.notes.append(state.text(TEXT, "unknown_labels", lang=lang, names=", ".join(bad),
                                          hint=hint))


STAGE = Stage(name="data", title=TEXT["title"], run=run, requires=(), command=None)
