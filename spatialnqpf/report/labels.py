"""Display labels of the report: variable → label in Chinese and English.

Every table, axis, caption and reading of ``spatialnqpf report`` names a variable by
its label, resolved in this order (first found wins):

1. the ``[labels.zh]`` / ``[labels.en]`` tables of the configuration
   (``gdp_pc = "人均GDP"`` under ``[labels.zh]``, ``gdp_pc = "GDP per capita"`` under
   ``[labels.en]``);
2. the indicator system: ``label_zh`` / ``label_en`` of its indicators and pillars
   (the pillar ``technology`` of the demo system is 科技生产力 / Technological productive
   forces), or the ``label`` of an ``[[index.indicators]]`` block (both languages);
3. the data dictionary of the bundled panel (:func:`spatialnqpf.datasets.data_dictionary`,
   columns ``label_zh`` / ``label_en``) and the derived variables of the demo
   (:data:`DEMO_LABELS`);
4. the variable name itself.

The composite index score column gets 综合指数 / composite index.  Group schemes
(``region4`` → 四大区域) and group keys (``East`` → 东部) are translated with the
Chinese schemes of :func:`spatialnqpf.regions.groups`.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Mapping

__all__ = ["Labels", "DEMO_LABELS", "SCHEME_LABELS", "INDEX_LABEL", "FLAGS_ZH", "group_names",
           "flag_reasons"]

#: Label of the composite index score column.
INDEX_LABEL = {"zh": "综合指数", "en": "composite index"}

#: Derived variables of the demo configuration (``[variables]`` of the default run).
DEMO_LABELS = {
    "ln_gdp": {"zh": "地区生产总值（对数）", "en": "GDP (log)"},
    "industry_share": {"zh": "第二产业占比", "en": "Secondary-sector share"},
    "edu_budget_share": {"zh": "教育支出占财政支出比重", "en": "Education share of budget expenditure"},
    "index_score": INDEX_LABEL,
}

#: Group schemes of :func:`spatialnqpf.regions.groups`.
SCHEME_LABELS = {
    "region4": {"zh": "四大区域", "en": "four regions"},
    "belt3": {"zh": "三大地带", "en": "three belts"},
    "zone8": {"zh": "八大综合经济区", "en": "eight economic zones"},
}


#: Chinese wording of the result flags (:class:`spatialnqpf._results.Flag` codes).
FLAGS_ZH = {
    "boundary": "参数位于其取值区间的边界，估计值、标准误与效应均不能解释（请检查权重矩阵与模型设定）",
    "degenerate_se": "标准误为零或非有限值（信息矩阵奇异）",
    "not_converged": "优化迭代提前停止，未收敛",
    "nonstationary": "拟合的动态模型不平稳",
    "weak_instruments": "弱工具变量（第一阶段 F 值小于 10）",
}
_GREEK = {"rho": "ρ", "lambda": "λ", "tau": "τ", "psi": "ψ"}


def flag_reasons(flags, lang: str) -> str:
    """Why flagged fits cannot be interpreted: the flags' messages (en) or their Chinese wording
    with the parameter value of a boundary flag (zh).  ``flags``: ``Flag`` or ``(code, message)``."""
    import re
    flags = [tuple(f) for f in flags]
    if lang != "zh":
        return "; ".join(str(m) for _, m in flags)
    out = []
    for code, msg in flags:
        text = FLAGS_ZH.get(code, str(code))
        m = re.match(r"\s*(\w+) = ([-+0-9.eE]+)", str(msg))
        if code == "boundary" and m:
            text = f"{_GREEK.get(m.group(1), m.group(1))} = {m.group(2)}：{text}"
        out.append(text)
    return "；".join(out)


@lru_cache(maxsize=1)
def group_names() -> dict:
    """English group key → Chinese name over every scheme of :func:`spatialnqpf.regions.groups`."""
    from .. import regions
    out = {}
    for scheme in SCHEME_LABELS:
        try:
            en, zh = regions.groups(scheme=scheme), regions.groups(scheme=scheme + "_zh")
        except Exception:  # a scheme without a Chinese version: keys stay as they are
            continue
        out.update({str(a): str(b) for a, b in zip(en.to_numpy(), zh.reindex(en.index).to_numpy())})
    return out


@lru_cache(maxsize=1)
def _dictionary_labels() -> dict:
    """Labels of the demo data dictionary and of every indicator and pillar of the demo system
    (also those a run does not select: their columns still appear in the missingness table)."""
    from .. import datasets, index
    dd = datasets.data_dictionary()
    out = {}
    for var, row in dd.iterrows():
        lab = {lang: str(row.get(f"label_{lang}", "") or "") for lang in ("zh", "en")}
        if any(lab.values()):
            out[str(var)] = lab
    try:
        system = index.demo_system()
    except Exception:  # the demo system is a shipped file; without it the dictionary suffices
        return out
    for ind in system.indicators:
        for name in {ind.key, ind.column} - {None, ""}:
            out[str(name)] = {"zh": ind.label_zh, "en": ind.label_en}
    for grp in tuple(system.pillars) + tuple(system.subpillars):
        out[str(grp.key)] = {"zh": grp.label_zh, "en": grp.label_en}
    return out


class Labels:
    """Variable → label resolver of one report run (see the module docstring for the order).

    Parameters
    ----------
    user : mapping, optional
        ``{"zh": {var: label}, "en": {var: label}}`` (the ``[labels]`` configuration).
    system : IndicatorSystem, optional
        Indicator system of the index (labels of its indicators and pillars).
    meta : DataFrame, optional
        Inline indicator metadata (``label`` column, index = column names).
    """

    def __init__(self, user: Mapping | None = None, system=None, meta=None):
        self._table: dict = {"zh": {}, "en": {}}
        for var, lab in _dictionary_labels().items():
            self._add(var, lab)
        for var, lab in DEMO_LABELS.items():
            self._add(var, lab)
        if meta is not None and "label" in meta.columns:
            for var, lab in meta["label"].items():
                if isinstance(lab, str) and lab and lab != var:
                    self._add(str(var), {"zh": lab, "en": lab})
        if system is not None:
            for ind in system.indicators:
                for name in {ind.key, ind.column} - {None, ""}:
                    self._add(str(name), {"zh": ind.label_zh, "en": ind.label_en})
            for grp in tuple(system.pillars) + tuple(system.subpillars):
                self._add(str(grp.key), {"zh": grp.label_zh, "en": grp.label_en})
        for lang in ("zh", "en"):
            for var, lab in dict((user or {}).get(lang, {})).items():
                if isinstance(lab, str) and lab.strip():
                    self._table[lang][str(var)] = lab.strip()

    def _add(self, var: str, lab: Mapping) -> None:
        for lang in ("zh", "en"):
            text = str(lab.get(lang, "") or "").strip()
            if text:
                self._table[lang][var] = text

    def get(self, var, lang: str) -> str:
        """The label of ``var`` in ``lang`` (the name itself when none is known)."""
        return self._table.get(lang, {}).get(str(var), str(var))

    def known(self, var, lang: str) -> bool:
        """Whether a label (other than the name) is known for ``var``."""
        return str(var) in self._table.get(lang, {})

    def to_dict(self) -> dict:
        """``{"zh": {var: label}, "en": {...}}`` of every label known."""
        return {lang: dict(t) for lang, t in self._table.items()}
