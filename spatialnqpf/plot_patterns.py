"""Figures of :mod:`spatialnqpf.patterns`, :mod:`spatialnqpf.network` and club convergence.

Drawing only (matplotlib): results come in already computed.  Maps are drawn on the
province base map of :func:`spatialnqpf.report.maps.plot_provinces` (Albers equal-area,
the plane :data:`spatialnqpf.patterns.CHINA_CRS` of the centre and ellipse, in metres).

* :func:`plot_ellipses` -- standard deviational ellipses of chosen years and the path of
  the gravity centre;
* :func:`plot_network` -- a year's association network between the capitals;
* :func:`plot_block_image` -- CONCOR density matrix with the image (1 cells outlined);
* :func:`plot_transition_paths` -- relative transition paths h_it, mean by club;
* :func:`plot_interaction` -- geodetector interaction q as a heat map;
* :func:`plot_lisa_paths` -- LISA time paths of chosen units in the Moran plane;
* :func:`plot_rose` -- Rose diagram of the first→last moves (sector counts and the moves).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._validation import DataError, format_values

__all__ = ["plot_ellipses", "plot_network", "plot_block_image", "plot_transition_paths",
           "plot_interaction", "plot_lisa_paths", "plot_rose"]


def _base_map(ax, lang):
    from .report.maps import plot_provinces
    return plot_provinces(None, ax=ax, lang=lang, legend=False, inset=False)


def plot_ellipses(ellipse, years=None, ax=None, lang: str = "en", colors=None,
                  path: bool = True):
    """Ellipses of ``years`` (default first, middle and last) with the centre's path.

    ``ellipse`` is an :class:`spatialnqpf.patterns.EllipseResult`.
    """
    import matplotlib.pyplot as plt
    tab = ellipse.table
    tcol = tab.columns[0]
    all_years = tab[tcol].tolist()
    if years is None:
        years = sorted({all_years[0], all_years[len(all_years) // 2], all_years[-1]})
    missing = [y for y in years if y not in all_years]
    if missing:
        raise DataError(f"no ellipse for year(s) {format_values(missing)}; available: "
                        f"{format_values(all_years)}")
    ax = _base_map(ax, lang)
    cols = colors or plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, y in enumerate(years):
        o = ellipse.outline(y, lonlat=False)
        ax.plot(o.x_km * 1e3, o.y_km * 1e3, color=cols[i % len(cols)], lw=1.4, label=str(y))
    if path:
        ax.plot(tab.x_km * 1e3, tab.y_km * 1e3, "-o", color="k", ms=2.5, lw=0.8,
                label="centre" if lang == "en" else "重心")
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    return ax


def plot_network(net, ax=None, lang: str = "en", color: str = "#b2182b", alpha: float = 0.5,
                 coords=None):
    """Ties of a :class:`spatialnqpf.network.YearNetwork` drawn between the capitals
    (or ``coords``: DataFrame indexed by id with lon/lat), arrows from sender to receiver."""
    from .patterns import project
    from .weights._api import resolve_points
    a = net.a
    pts, _ = resolve_points("capitals" if coords is None else coords, a.index)
    x, y = project(pts["lon"].to_numpy(), pts["lat"].to_numpy())
    x, y = x * 1e3, y * 1e3
    ax = _base_map(ax, lang)
    A = a.to_numpy()
    for i, j in zip(*np.nonzero(A)):
        ax.annotate("", xy=(x[j], y[j]), xytext=(x[i], y[i]),
                    arrowprops={"arrowstyle": "-|>", "color": color, "alpha": alpha,
                                "lw": 0.6, "shrinkA": 2, "shrinkB": 2})
    deg = A.sum(0) + A.sum(1)
    ax.scatter(x, y, s=8 + 4 * deg, color="k", zorder=3)
    return ax


def plot_block_image(blocks, ax=None, cmap: str = "Blues"):
    """Density matrix of a :class:`spatialnqpf.network.BlockModelResult`; image cells
    (density ≥ network density) outlined."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.6))
    d = blocks.density
    im = ax.imshow(d.to_numpy(float), cmap=cmap, vmin=0)
    img = blocks.image.to_numpy()
    for i in range(d.shape[0]):
        for j in range(d.shape[1]):
            ax.text(j, i, f"{d.iat[i, j]:.3f}", ha="center", va="center", fontsize=8)
            if img[i, j]:
                ax.add_patch(plt.Rectangle((j - .5, i - .5), 1, 1, fill=False, lw=2,
                                           ec="#b2182b"))
    ax.set_xticks(range(d.shape[1]), [f"B{k}" for k in d.columns])
    ax.set_yticks(range(d.shape[0]), [f"B{k}" for k in d.index])
    ax.set_xlabel("to")
    ax.set_ylabel("from")
    ax.figure.colorbar(im, ax=ax, shrink=0.8)
    return ax


def plot_transition_paths(clubs, ax=None, merged: bool = True, units: bool = False):
    """Relative transition paths h_it of a club convergence result, mean by club (and
    every unit in light lines with ``units=True``)."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.8))
    h = clubs.transition
    col = "merged_club" if merged and clubs.merged is not None else "club"
    lab = clubs.membership[col]
    x = np.asarray(h.columns)
    for k in sorted(set(lab) - {0}):
        sub = h.loc[lab.index[lab == k]]
        if units:
            ax.plot(x, sub.T.to_numpy(), color="0.8", lw=0.5)
        ax.plot(x, sub.mean().to_numpy(), lw=1.6, label=f"club {k} (n={len(sub)})")
    if (lab == 0).any():
        ax.plot(x, h.loc[lab.index[lab == 0]].mean().to_numpy(), "k--", lw=1,
                label="divergent")
    ax.axhline(1, color="0.5", lw=0.6)
    ax.set_ylabel("relative transition h_it")
    ax.legend(fontsize=8, frameon=False)
    return ax


def plot_interaction(geo, ax=None, cmap: str = "OrRd"):
    """Interaction q (lower triangle) and factor q (diagonal) of a
    :class:`spatialnqpf.patterns.GeodetectorResult` (first year if by year)."""
    import matplotlib.pyplot as plt
    f = geo.factor
    it = geo.interaction
    if "factor_a" not in it or not len(it):
        raise DataError("the result has no interaction detector (one factor only)")
    tcols = [c for c in f.columns if c not in ("factor", "q", "F", "df1", "df2", "lambda",
                                               "p_value", "n_strata")]
    if tcols:
        t0 = f[tcols[0]].iloc[0]
        f, it = f[f[tcols[0]] == t0], it[it[tcols[0]] == t0]
    names = f.factor.tolist()
    M = pd.DataFrame(np.nan, index=names, columns=names)
    for r in f.itertuples():
        M.loc[r.factor, r.factor] = r.q
    for r in it.itertuples():
        M.loc[r.factor_b, r.factor_a] = r.q_ab
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 + .7 * len(names), 1 + .6 * len(names)))
    im = ax.imshow(M.to_numpy(float), cmap=cmap, vmin=0)
    for i in range(len(names)):
        for j in range(len(names)):
            v = M.iat[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:.3f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label="q")
    return ax


def plot_lisa_paths(paths, ids=None, ax=None, labels=None, top: int = 5):
    """LISA time paths of ``ids`` in the Moran plane (z, Wz) of a
    :class:`spatialnqpf.patterns.LisaPathsResult`.

    ``ids`` default: the ``top`` units of longest path.  A circle marks the first year,
    an arrow head the last; ``labels`` maps id -> legend text (default the id).
    """
    import matplotlib.pyplot as plt
    co = paths.coordinates
    idc, tc = co.columns[0], co.columns[1]
    if ids is None:
        ids = paths.paths["path_length"].sort_values(ascending=False, kind="stable").index[:top]
    ids = list(ids)
    absent = [i for i in ids if i not in set(co[idc])]
    if absent:
        raise DataError(f"id(s) {format_values(absent)} are not in the LISA paths result")
    labels = dict(labels or {})
    if ax is None:
        _, ax = plt.subplots(figsize=(5.6, 4.6))
    ax.axhline(0, color="0.6", lw=0.6)
    ax.axvline(0, color="0.6", lw=0.6)
    for i in ids:
        c = co[co[idc] == i].sort_values(tc)
        x, y = c["z"].to_numpy(float), c["wz"].to_numpy(float)
        (line,) = ax.plot(x, y, lw=1.2, marker=".", ms=4, label=str(labels.get(i, i)))
        ax.plot(x[:1], y[:1], "o", color=line.get_color(), ms=6, mfc="none")
        ax.annotate("", xy=(x[-1], y[-1]), xytext=(x[-2], y[-2]),
                    arrowprops=dict(arrowstyle="-|>", color=line.get_color(), lw=1.2))
    ax.set_xlabel("z")
    ax.set_ylabel("Wz")
    ax.legend(fontsize=8, frameon=False)
    return ax


def plot_rose(paths, ax=None, color: str = "#4575b4"):
    """Rose diagram of a :class:`spatialnqpf.patterns.LisaPathsResult`: the units' moves
    from the first to the last year (arrows from the origin, direction and length of
    (dx, dy)) over the counts of the ``k`` sectors (bars, radius = count scaled to the
    longest move).  ``ax`` must be a polar axes when given."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(4.8, 4.8), subplot_kw={"projection": "polar"})
    rose = paths.rose
    lo = np.radians(rose["from_deg"].to_numpy(float))
    width = np.radians(rose["to_deg"].to_numpy(float)) - lo
    counts = rose["count"].to_numpy(float)
    r = np.hypot(paths.paths["dx"].to_numpy(float), paths.paths["dy"].to_numpy(float))
    rmax = float(r.max()) if len(r) and r.max() > 0 else 1.0
    scale = rmax / counts.max() if counts.max() > 0 else 1.0
    ax.bar(lo, counts * scale, width=width, align="edge", color=color, alpha=0.25,
           edgecolor=color, lw=0.8)
    theta = np.radians(paths.paths["direction_deg"].to_numpy(float))
    for t, ri in zip(theta, r):
        ax.annotate("", xy=(t, ri), xytext=(0, 0),
                    arrowprops=dict(arrowstyle="-|>", color="0.25", lw=0.8))
    ax.set_rmax(rmax * 1.05)
    ax.set_yticklabels([])
    return ax
