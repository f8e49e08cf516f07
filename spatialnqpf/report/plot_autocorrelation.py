"""Figures for spatial autocorrelation: Moran scatter plot and LISA cluster map.

Both take a :class:`spatialnqpf.autocorrelation.LisaResult` (or the data, column and
weights, in which case :func:`spatialnqpf.autocorrelation.lisa` is run first) and
return the matplotlib ``Figure``.  No statistics are computed here beyond the
least-squares line of the scatter plot, whose slope is z'Wz / z'z (equal to Moran's I
for row-standardised weights).  Labels in English (``lang="en"``) or Chinese
(``lang="zh"``, which needs a CJK font; otherwise a warning and English).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .fonts import language_rc as _lang  # (effective language, rc settings) for a figure

__all__ = ["plot_moran_scatter", "plot_lisa_map", "CLUSTER_COLORS"]

#: colours of the LISA categories (GeoDa's convention)
CLUSTER_COLORS = {"HH": "#d7191c", "LL": "#2c7bb6", "LH": "#abd9e9", "HL": "#fdae61",
                  "hot": "#d7191c", "cold": "#2c7bb6", "ns": "#eeeeee", "isolate": "#ffffff"}

_TEXT = {
    "en": dict(HH="High-High", LL="Low-Low", LH="Low-High", HL="High-Low", hot="Hot spot",
               cold="Cold spot", ns="Not significant",
               isolate="No neighbours", x="standardised {col}", y="spatial lag of standardised {col}",
               scatter="Moran scatter plot, {col}{yr}", map="{stat} clusters, {col}{yr}",
               slope="Moran's I = {I:.3f}", sig="significant ({how})"),
    "zh": dict(HH="高-高", LL="低-低", LH="低-高", HL="高-低", hot="热点", cold="冷点",
               ns="不显著", isolate="无邻接",
               x="标准化 {col}", y="标准化 {col} 的空间滞后", scatter="莫兰散点图：{col}{yr}",
               map="{stat} 集聚图：{col}{yr}", slope="莫兰指数 I = {I:.3f}", sig="显著（{how}）"),
}

_ALBERS_CHINA = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"




def _result(result, column, w, kwargs):
    from ..autocorrelation import LisaResult, lisa
    if isinstance(result, LisaResult):
        return result
    if isinstance(result, pd.DataFrame):
        if column is None or w is None:
            raise ValueError("with a DataFrame give column= and w= (or pass a LisaResult)")
        kw = dict(permutations=9999, seed=12345)
        kw.update(kwargs)
        return lisa(result, column, w, **kw)
    raise TypeError(f"expected a LisaResult or a DataFrame, got {type(result).__name__}")


def _year_frame(res, year):
    f = res.to_frame()
    if res.time is None:
        return f, ""
    years = sorted(f[res.time].unique())
    if year is None:
        year = years[-1]
    if year not in years:
        raise ValueError(f"year {year!r} not in the result; available: {years}")
    return f[f[res.time] == year].reset_index(drop=True), f", {year}"


#: Up to this many units every unit is named on a LISA map; above it (cities) only the
#: significant ones.
_LABEL_ALL = 60


def _unit_labels(ids, lang):
    try:
        from .. import regions
        tab = regions.provinces(include_sar=True)
        col = "short_zh" if lang == "zh" else "name_en"
        lab = tab[col].reindex(pd.Index(ids))
        if lab.notna().all():
            return list(lab)
    except Exception:  # ids that are not province codes: try city codes, else show them as they are
        pass
    try:
        from .. import regions
        lab = regions.cities()["short_zh"].reindex(pd.Index(ids))  # proper names in both languages
        if lab.notna().all():
            return list(lab)
    except Exception:
        pass
    return [str(i) for i in ids]


def _how(res, lang="en"):
    if lang == "zh":
        if res.fdr is not None:
            return f"FDR q ≤ {res.fdr}"
        alt = {"two-sided": "双侧", "folded": "折叠单侧", "greater": "单侧（>）",
               "less": "单侧（<）"}[res.alternative]
        src = f"{res.permutations} 次置换" if res.permutations else "解析"
        return f"{alt} p ≤ {res.alpha}，{src}"
    if res.fdr is not None:
        return f"FDR q <= {res.fdr}"
    alt = {"two-sided": "two-sided", "folded": "folded", "greater": "one-sided >",
           "less": "one-sided <"}[res.alternative]
    src = f"{res.permutations} permutations" if res.permutations else "analytic"
    return f"{alt} p <= {res.alpha}, {src}"


def plot_moran_scatter(result, column: str | None = None, w=None, year=None, ax=None,
                       lang: str = "en", label_units: bool = True, title: str | None = None,
                       variable_label: str | None = None, **lisa_kwargs):
    """Moran scatter plot: standardised value against its spatial lag, with the OLS line.

    Points are coloured by LISA cluster (grey when not significant); the four quadrants
    are labelled HH, LH, LL, HL (高-高 ... in Chinese); the line through the origin has
    slope z'Wz / z'z, printed as Moran's I (equal to it for row-standardised weights).

    Parameters
    ----------
    result : LisaResult or pandas.DataFrame
        A result of :func:`spatialnqpf.autocorrelation.lisa`, or the data (then ``column``
        and ``w`` are required and ``lisa`` is run with ``lisa_kwargs``; default 9 999
        permutations, seed 12345).
    year : optional
        Year to draw (default: the last).
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}
    label_units : bool
        Write province short names (or ids) next to the points.
    variable_label : str, optional
        Display name of the variable in the axis labels and title (default the column name).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib
    import matplotlib.pyplot as plt

    res = _result(result, column, w, lisa_kwargs)
    if "quadrant" not in res.to_frame():
        raise ValueError("the Moran scatter plot needs a local Moran result (lisa), "
                         f"got {res.statistic}")
    f, yr = _year_frame(res, year)
    lang, rc = _lang(lang)
    T = _TEXT[lang]
    with matplotlib.rc_context(rc):
        if ax is None:
            fig, ax = plt.subplots(figsize=(6.2, 5.6))
        else:
            fig = ax.figure
        z = f["z"].to_numpy()
        lag = f["lag"].to_numpy()
        slope = float(z @ lag / (z @ z))
        for cl in ("ns", "isolate", "LH", "HL", "LL", "HH"):
            m = (f["cluster"] == cl).to_numpy()
            if m.any():
                ax.scatter(z[m], lag[m], s=34, c=CLUSTER_COLORS[cl], edgecolors="#444444",
                           linewidths=0.6, label=T[cl], zorder=3)
        lim = 1.08 * max(np.abs(z).max(), np.abs(lag).max(), 1.0)
        xs = np.array([-lim, lim])
        ax.plot(xs, slope * xs, color="black", lw=1.2, zorder=2, label=T["slope"].format(I=slope))
        ax.axhline(0, color="#888888", lw=0.8, zorder=1)
        ax.axvline(0, color="#888888", lw=0.8, zorder=1)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        for key, (x, y, ha, va) in {"HH": (.97, .97, "right", "top"), "LH": (.03, .97, "left", "top"),
                                    "LL": (.03, .03, "left", "bottom"),
                                    "HL": (.97, .03, "right", "bottom")}.items():
            ax.text(x, y, f"{key}  {T[key]}" if lang == "en" else T[key], transform=ax.transAxes,
                    ha=ha, va=va, fontsize=10, color="#555555", gid=f"quadrant-{key}")
        if label_units:
            for xi, yi, lab in zip(z, lag, _unit_labels(f[res.id], lang)):
                ax.annotate(lab, (xi, yi), xytext=(3, 3), textcoords="offset points", fontsize=7,
                            color="#333333")
        col = variable_label or res.column
        ax.set_xlabel(T["x"].format(col=col))
        ax.set_ylabel(T["y"].format(col=col))
        ax.set_title(title or T["scatter"].format(col=col, yr=yr))
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 0.08), fontsize=8, frameon=False,
                  title=T["sig"].format(how=_how(res, lang)), title_fontsize=7)
        ax.set_aspect("equal")
    return fig


def plot_lisa_map(result, column: str | None = None, w=None, year=None, shapes=None, ax=None,
                  lang: str = "en", title: str | None = None, labels: bool = True,
                  variable_label: str | None = None, **lisa_kwargs):
    """LISA cluster map: units coloured HH / LL / LH / HL when significant, grey otherwise.

    Also draws hot and cold spots of :func:`spatialnqpf.autocorrelation.getis_ord_local`.

    Parameters
    ----------
    result : LisaResult or pandas.DataFrame
        As in :func:`plot_moran_scatter`.
    year : optional
        Year to draw (default: the last).
    shapes : geopandas.GeoDataFrame, optional
        Polygons indexed by the result's ids (or with a column named like the result's id).
        Default: the bundled province polygons ``spatialnqpf._shapes.load_provinces()``.
        Units of ``shapes`` without a result (e.g. Taiwan) are drawn white.
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}
    labels : bool
        Write unit names at representative points: province short names (English with
        ``lang="en"``), or city short names; above 60 units only the significant ones.
    variable_label : str, optional
        Display name of the variable in the title (default the column name).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    res = _result(result, column, w, lisa_kwargs)
    f, yr = _year_frame(res, year)
    if shapes is None:
        from .._shapes import load_provinces
        shapes = load_provinces()
    try:
        import geopandas as gpd
    except ImportError as err:  # pragma: no cover - geopandas is a dependency
        raise ImportError("plot_lisa_map needs geopandas") from err
    if not isinstance(shapes, gpd.GeoDataFrame):
        raise TypeError(f"shapes must be a GeoDataFrame, got {type(shapes).__name__}")
    g = shapes.set_index(res.id) if res.id in shapes.columns else shapes
    missing = pd.Index(f[res.id]).difference(g.index)
    if len(missing):
        from .._validation import IdMismatchError, format_values
        raise IdMismatchError(f"ids of the LISA result without a polygon in shapes: "
                              f"{format_values(list(missing))}")
    clusters = f.set_index(res.id)["cluster"].reindex(g.index)
    g = g.assign(_cluster=clusters.to_numpy())
    if g.crs is not None and g.crs.is_geographic:
        g = g.to_crs(_ALBERS_CHINA)
    lang, rc = _lang(lang)
    if lang == "en" and labels and len(f) > _LABEL_ALL:
        # city names are Chinese proper names in both languages: a CJK font as glyph fallback
        from .fonts import find_cjk_font
        fam = find_cjk_font()
        if fam is not None:
            rc = dict(rc, **{"font.family": ["DejaVu Sans", fam]})
    T = _TEXT[lang]
    with matplotlib.rc_context(rc):
        if ax is None:
            fig, ax = plt.subplots(figsize=(7.5, 6.2))
        else:
            fig = ax.figure
        colors = g["_cluster"].map(CLUSTER_COLORS).fillna("#ffffff")
        from .maps import _no_idle_draw
        with _no_idle_draw(fig):  # one render at savefig, not one per geopandas layer
            g.plot(ax=ax, color=list(colors), edgecolor="#666666", linewidth=0.4)
        if labels:
            ids = list(f[res.id])
            if len(ids) > _LABEL_ALL:  # many units (cities): name the significant ones only
                ids = list(f.loc[~f["cluster"].isin(["ns", "isolate"]), res.id])
            labs = _unit_labels(ids, lang)
            if ids and labs != [str(i) for i in ids]:
                pts = g.loc[ids].geometry.representative_point()
                size = 6 if len(f) <= _LABEL_ALL else 4.5
                for p, lab in zip(pts, labs):
                    ax.annotate(lab, (p.x, p.y), ha="center", va="center", fontsize=size, color="#222222")
        main = ["hot", "cold"] if "Getis" in res.statistic else ["HH", "LL", "LH", "HL"]
        present = main + [c for c in ("ns", "isolate") if (f["cluster"] == c).any()]
        handles = [Patch(facecolor=CLUSTER_COLORS[c], edgecolor="#666666",
                         label=f"{T[c]} ({int((f['cluster'] == c).sum())})") for c in present]
        ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False,
                  title=T["sig"].format(how=_how(res, lang)), title_fontsize=7)
        ax.set_axis_off()
        stat = "LISA" if "Moran" in res.statistic else res.statistic
        ax.set_title(title or T["map"].format(stat=stat, col=variable_label or res.column, yr=yr))
    return fig
