"""Figure helpers of the report: saving (PNG + vector formats), province maps, small multiples.

The plotting of the analyses lives in :mod:`.maps`, :mod:`.plot_autocorrelation` and
:mod:`.plot_inequality`; this module only writes figures and draws the map layouts the
stages share.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

__all__ = ["FigureRecord", "save_figure", "rasterize_heavy", "as_figure", "province_maps", "map_grid",
           "VECTOR_FORMATS", "tight_bbox"]

@dataclass(frozen=True)
class FigureRecord:
    """A written figure: name, caption and file paths (PNG always; SVG/PDF as configured)."""

    name: str
    title: str
    files: Mapping

    @property
    def png(self) -> Path:
        return Path(self.files["png"])


VECTOR_FORMATS = frozenset({"svg", "pdf", "eps", "ps"})
#: A collection with more path vertices than this is drawn as an embedded image
#: in vector figures (province polygons: ~10^5 vertices, ~5 MB of SVG each).
RASTER_VERTICES = 5000


def rasterize_heavy(fig, limit: int = RASTER_VERTICES) -> int:
    """Mark the heavy collections of ``fig`` (map polygons) as rasterized; return how many.

    In SVG/PDF output a rasterized artist is embedded as an image at the
    figure's ``dpi``, while text, axes, legends and colour bars stay vector.
    """
    n = 0
    axes, seen = list(fig.axes), set()
    while axes:  # inset axes (e.g. the South China Sea) are child axes, not in fig.axes
        ax = axes.pop()
        if id(ax) in seen:
            continue
        seen.add(id(ax))
        axes.extend(ax.child_axes)
        for coll in ax.collections:
            try:
                size = sum(len(p.vertices) for p in coll.get_paths())
            except Exception:  # some 3-D collections build their paths only when drawn
                continue
            if size > limit and not coll.get_rasterized():
                coll.set_rasterized(True)
                n += 1
    return n


def save_figure(fig, folder: Path, name: str, title: str, *, formats=(), dpi: int = 150):
    """Write ``fig`` as ``folder/<name>.png`` plus each vector/raster format; close it."""
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    fmts = list(dict.fromkeys(["png", *formats]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # glyph warnings are handled by fonts.setup_language
        bbox = tight_bbox(fig, dpi) if len(fmts) > 1 else "tight"
        for fmt in sorted(fmts, key=lambda f: f in VECTOR_FORMATS):  # raster formats first
            if fmt in VECTOR_FORMATS:
                rasterize_heavy(fig)
            p = folder / f"{name}.{fmt}"
            fig.savefig(p, dpi=dpi, bbox_inches=bbox)
            files[fmt] = p
    plt.close(fig)
    return FigureRecord(name, title, files)


def tight_bbox(fig, dpi: float):
    """The ``bbox_inches="tight"`` box of ``fig`` at ``dpi``, computed once for every format.

    ``savefig(bbox_inches="tight")`` lays the whole figure out again (a draw without
    rendering) for each file; with the box computed here, as matplotlib computes it
    for the PNG (Agg renderer at ``dpi``, ``savefig.pad_inches``), the PNG is the same
    and the vector formats skip that extra pass.  Falls back to ``"tight"`` when the
    canvas has no Agg renderer.
    """
    import matplotlib as mpl
    from contextlib import nullcontext
    old = fig.dpi
    try:
        fig.dpi = dpi
        renderer = fig.canvas.get_renderer()
        with getattr(renderer, "_draw_disabled", nullcontext)():
            fig.draw(renderer)
        pad = mpl.rcParams["savefig.pad_inches"]
        return fig.get_tightbbox(renderer).padded(pad)
    except Exception:  # pragma: no cover - non-Agg canvas: let savefig compute it per file
        return "tight"
    finally:
        fig.dpi = old


def as_figure(obj):
    """The matplotlib Figure of a plotting function's return value (Figure, Axes or (fig, ax))."""
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    if isinstance(obj, Figure):
        return obj
    if isinstance(obj, Axes):
        return obj.figure
    if isinstance(obj, tuple) and obj and isinstance(obj[0], Figure):
        return obj[0]
    raise TypeError(f"cannot find the figure of a {type(obj).__name__}")


#: Cities named on a city-level map of values: the highest ``CITY_LABELS`` of the year.
CITY_LABELS = 10


def _plotter(state):
    """:func:`.maps.plot_provinces`, or :func:`.maps.plot_cities` at ``[data] level = "city"``."""
    from .maps import plot_cities, plot_provinces
    return plot_cities if getattr(state, "level", "province") == "city" else plot_provinces


def province_maps(state, piv: pd.DataFrame, years, stem: str, what: str, fig_what: str | None = None) -> list:
    """Province maps of ``piv[year]`` on one colour scale (:func:`.maps.plot_provinces`; city
    polygons with the ten highest cities named at ``[data] level = "city"``).

    ``what`` names the variable in the caption (report language), ``fig_what`` in the map's
    title and colour bar (figure language: English when no CJK font was found); default ``what``.
    """
    plot = _plotter(state)
    city = plot.__name__ == "plot_cities"
    fig_what = _cap(what if fig_what is None else fig_what)
    what = _cap(what)
    out = []
    vmin, vmax = float(np.nanmin(piv[years].to_numpy())), float(np.nanmax(piv[years].to_numpy()))
    for y in years:
        try:
            kw = {"labels": list(piv[y].nlargest(CITY_LABELS).index)} if city else {}
            ax = plot(piv[y].rename(fig_what), lang=state.fig_lang, title=f"{fig_what} {y}",
                      vmin=vmin, vmax=vmax, **kw)
            out.append(state.save_figure(ax.figure, f"{stem}_{y}", f"{what} {y}"))
        except Exception as exc:
            state.fail_note(f"{what} {y}", exc, "figure_failed")
    return out


def _cap(s: str) -> str:
    """Capitalised first letter (an English label at the start of a caption or title)."""
    return s[:1].upper() + s[1:]


def map_grid(state, piv: pd.DataFrame, stem: str, what: str, n: int = 4, fig_what: str | None = None) -> list:
    """Small multiples: ``n`` evenly spaced years on one colour scale (``fig_what``: colour bar
    label in the figure language, default ``what``)."""
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    plot_provinces = _plotter(state)
    years = list(piv.columns)
    pick = sorted({years[round(i * (len(years) - 1) / (n - 1))] for i in range(n)}) if len(years) > 1 else years
    vmin, vmax = float(np.nanmin(piv.to_numpy())), float(np.nanmax(piv.to_numpy()))
    fig, axes = plt.subplots(1, len(pick), figsize=(4.2 * len(pick), 3.8))
    axes = np.atleast_1d(axes)
    try:
        for ax, y in zip(axes, pick):
            plot_provinces(piv[y], ax=ax, lang=state.fig_lang, title=str(y), vmin=vmin, vmax=vmax,
                           inset=False, legend=False, cmap="YlOrRd")
        fig.colorbar(ScalarMappable(norm=Normalize(vmin, vmax), cmap="YlOrRd"), ax=list(axes),
                     shrink=0.7, pad=0.01, label=_cap(what if fig_what is None else fig_what))
    except Exception as exc:
        plt.close(fig)
        state.fail_note(state.t(f"{_cap(what)}（多年）", f"{_cap(what)} (small multiples)"), exc,
                        "figure_failed")
        return []
    what = _cap(what)
    return [state.save_figure(fig, stem, state.t(f"{what}：{'、'.join(map(str, pick))} 年（同一色阶）",
                                                 f"{what}: {', '.join(map(str, pick))} (one colour scale)"))]
