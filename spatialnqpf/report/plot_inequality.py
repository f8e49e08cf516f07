"""Figures for regional differences and their dynamics (no estimation here).

* :func:`plot_kde_overlay` -- overlaid kernel density curves by year (one panel per group);
* :func:`plot_kde_surface` -- 3-D surface (x, year, density) or a ridge plot;
* :func:`plot_markov_heatmap` -- transition-probability heatmap(s), classical or spatial;
* :func:`plot_dagum` -- Dagum decomposition by year (G, contribution shares);
* :func:`plot_dagum_regions` -- within-region Gini by region and between-region Gini by
  pair of regions, by year.

Each takes a results object from :mod:`spatialnqpf.dynamics` or
:mod:`spatialnqpf.inequality` and returns the matplotlib ``Figure``;
``lang="zh"`` gives Chinese labels when a CJK font is found (else English,
with a warning).
"""
from __future__ import annotations

from contextlib import nullcontext

import numpy as np

_TEXT = {
    "en": dict(density="density", year="year", nation="nation", gini="Gini",
               contrib="contribution (%)", overall="G (overall)", within="within",
               between="net between", trans="transvariation", t="t", t1="t+1",
               dagum="Dagum Gini decomposition of {col}", within_by="within-region Gini G_jj",
               between_by="between-region Gini G_jh", markov="Markov chain"),
    "zh": dict(density="密度", year="年份", nation="全国", gini="基尼系数",
               contrib="贡献率 (%)", overall="总体 G", within="区域内", between="区域间",
               trans="超变密度", t="t", t1="t+1", dagum="{col} 的 Dagum 基尼系数分解",
               within_by="区域内基尼系数 G_jj", between_by="区域间基尼系数 G_jh", markov="马尔可夫链"),
}
_REGION_ZH = {"East": "东部", "Central": "中部", "West": "西部", "Northeast": "东北",
              "nation": "全国"}

__all__ = ["plot_kde_overlay", "plot_kde_surface", "plot_markov_heatmap", "plot_dagum",
           "plot_dagum_regions"]


def _plt():
    import matplotlib.pyplot as plt  # headless sessions fall back to Agg by themselves
    return plt


def _lang(lang):
    """(language actually used, text table, rc context) -- English if no CJK font."""
    from .fonts import language_rc
    eff, rc = language_rc(lang)
    if eff == "en":
        return _TEXT["en"], nullcontext(), str
    import matplotlib
    from .labels import group_names
    return _TEXT["zh"], matplotlib.rc_context(rc), \
        lambda g: _REGION_ZH.get(str(g)) or group_names().get(str(g), str(g))


def plot_kde_overlay(kde, groups=None, cmap: str = "viridis", ncols: int = 3, figsize=None,
                     lang: str = "en", label: str | None = None):
    """Overlaid density curves, one colour per year, one panel per group.

    Parameters
    ----------
    kde : spatialnqpf.dynamics.KernelDensityResult
    groups : sequence, optional
        Groups to draw (default all, ``"nation"`` first).
    label : str, optional
        Display name of the variable on the x axis (default the column name).
    """
    txt, rc, gname = _lang(lang)
    with rc:
        return _kde_overlay(kde, groups, cmap, ncols, figsize, txt, gname, label or kde.column)


def _kde_overlay(kde, groups, cmap, ncols, figsize, txt, gname, label):
    plt = _plt()
    groups = list(kde.groups if groups is None else groups)
    ncols = min(ncols, len(groups))
    nrows = int(np.ceil(len(groups) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize or (4.2 * ncols, 3.2 * nrows),
                             squeeze=False)
    colours = plt.get_cmap(cmap)(np.linspace(0, 1, len(kde.years)))
    for ax, g in zip(axes.ravel(), groups):
        for c, yr, d in zip(colours, kde.years, kde.density[g]):
            ax.plot(kde.grid, d, color=c, lw=1.2, label=str(yr))
        ax.set_title(gname(g))
        ax.set_xlabel(label)
        ax.set_ylabel(txt["density"])
    for ax in axes.ravel()[len(groups):]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7, ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def plot_kde_surface(kde, group: str = "nation", kind: str = "surface", cmap: str = "viridis",
                     figsize=(7, 5), overlap: float = 0.8, lang: str = "en", label: str | None = None):
    """Density over (value, year) as a 3-D surface (``kind="surface"``) or ridge plot (``"ridge"``).

    ``label``: display name of the variable on the value axis (default the column name).
    """
    if kind not in ("surface", "ridge"):
        raise ValueError(f"kind must be 'surface' or 'ridge', got {kind!r}")
    txt, rc, gname = _lang(lang)
    with rc:
        return _kde_surface(kde, group, kind, cmap, figsize, overlap, txt, gname, label or kde.column)


def _kde_surface(kde, group, kind, cmap, figsize, overlap, txt, gname, label):
    plt = _plt()
    dens = kde.density[group]
    years = np.asarray(kde.years, dtype=float)
    if kind == "surface":
        fig = plt.figure(figsize=figsize)
        ax = fig.add_subplot(projection="3d")
        X, Y = np.meshgrid(kde.grid, years)
        ax.plot_surface(X, Y, dens, cmap=cmap, linewidth=0, antialiased=True,
                        rcount=len(years), ccount=min(len(kde.grid), 200))
        ax.set_xlabel(label)
        ax.set_ylabel(txt["year"])
        ax.set_zlabel(txt["density"])
        ax.set_title(gname(group))
        return fig
    fig, ax = plt.subplots(figsize=figsize)
    scale = overlap / np.nanmax(dens)
    colours = plt.get_cmap(cmap)(np.linspace(0, 1, len(years)))
    for i in range(len(years) - 1, -1, -1):
        base = i
        ax.fill_between(kde.grid, base, base + dens[i] * scale, color=colours[i], alpha=0.8, lw=0)
        ax.plot(kde.grid, base + dens[i] * scale, color="k", lw=0.6)
    ax.set_yticks(range(len(years)))
    ax.set_yticklabels([str(y) for y in kde.years])
    ax.set_xlabel(label)
    ax.set_title(gname(group))
    return fig


def plot_markov_heatmap(result, cmap: str = "Blues", figsize=None, decimals: int = 2,
                        lang: str = "en"):
    """Heatmap of transition probabilities; one panel per lag class for a spatial Markov chain."""
    txt, rc, _ = _lang(lang)
    with rc:
        return _markov_heatmap(result, cmap, figsize, decimals, txt)


def _markov_heatmap(result, cmap, figsize, decimals, txt):
    from ..dynamics import SpatialMarkovResult
    plt = _plt()
    if isinstance(result, SpatialMarkovResult):
        mats = [(lab, result.P[lab]) for lab in result.lag_labels]
    else:
        mats = [(txt["markov"], result.P)]
    fig, axes = plt.subplots(1, len(mats), figsize=figsize or (3.6 * len(mats), 3.4), squeeze=False)
    for ax, (title, P) in zip(axes[0], mats):
        vals = P.to_numpy(dtype=float)
        ax.imshow(vals, cmap=cmap, vmin=0, vmax=1)
        ax.set_xticks(range(P.shape[1]))
        ax.set_xticklabels(P.columns)
        ax.set_yticks(range(P.shape[0]))
        ax.set_yticklabels(P.index)
        ax.set_xlabel(txt["t1"])
        ax.set_ylabel(txt["t"])
        ax.set_title(str(title))
        for i in range(vals.shape[0]):
            for j in range(vals.shape[1]):
                ax.text(j, i, f"{vals[i, j]:.{decimals}f}", ha="center", va="center",
                        color="white" if vals[i, j] > 0.6 else "black", fontsize=8)
    fig.tight_layout()
    return fig


def plot_dagum(panel_result, figsize=(10, 3.6), lang: str = "en", label: str | None = None):
    """Dagum decomposition by year: G with G_w, G_nb, G_t (left) and contribution shares (right).

    ``label``: display name of the variable in the title (default the column name).
    """
    txt, rc, _ = _lang(lang)
    with rc:
        return _dagum(panel_result, figsize, txt, label or panel_result.column)


def _dagum(panel_result, figsize, txt, label):
    plt = _plt()
    tab = panel_result.to_frame()
    years = tab.index.to_numpy()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=figsize)
    for col, lab in (("G", txt["overall"]), ("G_w", txt["within"]), ("G_nb", txt["between"]),
                     ("G_t", txt["trans"])):
        a1.plot(years, tab[col], marker="o", ms=3, label=lab)
    a1.set_xlabel(txt["year"])
    a1.set_ylabel(txt["gini"])
    a1.legend(frameon=False, fontsize=8)
    bottom = np.zeros(len(years))
    for col, lab in (("share_w", txt["within"]), ("share_nb", txt["between"]),
                     ("share_t", txt["trans"])):
        a2.bar(years, tab[col] * 100, bottom=bottom, label=lab)
        bottom += tab[col].to_numpy() * 100
    a2.set_ylabel(txt["contrib"])
    a2.set_xlabel(txt["year"])
    a2.legend(frameon=False, fontsize=8)
    fig.suptitle(txt["dagum"].format(col=label))
    fig.tight_layout()
    return fig


def plot_dagum_regions(panel_result, figsize=(10, 3.8), lang: str = "en"):
    """Per-region Dagum figures: within-region Gini G_jj by region (left) and between-region
    Gini G_jh by pair of regions (right), by year.

    Reads the ``G_jj[g]`` and ``G_jh[g-h]`` columns of ``panel_result.to_frame()``
    (:func:`spatialnqpf.inequality.dagum_gini_by_year`); region names follow ``lang``.
    """
    txt, rc, gname = _lang(lang)
    with rc:
        return _dagum_regions(panel_result, figsize, txt, gname)


def _pair_name(label, gname):
    for sep in ("-", "–", " vs ", "/", "|", ","):
        if sep in label:
            return "–".join(gname(x.strip()) for x in label.split(sep))
    return gname(label)


def _dagum_regions(panel_result, figsize, txt, gname):
    plt = _plt()
    tab = panel_result.to_frame()
    years = tab.index.to_numpy()
    within = [c for c in tab.columns if c.startswith("G_jj[")]
    between = [c for c in tab.columns if c.startswith("G_jh[")]
    if not within and not between:
        raise ValueError("the Dagum result has no group components (G_jj/G_jh): one group only?")
    fig, (a1, a2) = plt.subplots(1, 2, figsize=figsize, sharey=True)
    for c in within:
        a1.plot(years, tab[c], marker="o", ms=3, label=gname(c[5:-1]))
    for c in between:
        a2.plot(years, tab[c], marker="o", ms=3, label=_pair_name(c[5:-1], gname))
    for ax, title in ((a1, txt["within_by"]), (a2, txt["between_by"])):
        ax.set_title(title)
        ax.set_xlabel(txt["year"])
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, fontsize=7, ncol=2)
    a1.set_ylabel(txt["gini"])
    fig.tight_layout()
    return fig
