"""Moran scatter and LISA cluster map (figures written to tests/output/ for a human to look at).

Reference for the drawn line: its slope must equal Moran's I of the same year from
``moran_by_year`` (row-standardised weights: slope z'Wz/z'z = I), which is itself checked
against spdep in test_autocorrelation.py.  Colours are checked against the LISA clusters.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from libpysal.graph import Graph  # noqa: E402

from spatialnqpf import autocorrelation as ac  # noqa: E402
from spatialnqpf.report import plot_autocorrelation as pa  # noqa: E402


@pytest.fixture(scope="module")
def demo():
    from spatialnqpf import datasets
    panel = datasets.load_demo_panel()[["code", "year", "rd_intensity"]]
    cap = pd.read_csv(__import__("spatialnqpf").__path__[0] + "/data/capitals.csv")
    import geopandas as gpd
    pts = gpd.GeoSeries(gpd.points_from_xy(cap.lon, cap.lat), index=cap.code)
    g = Graph.build_knn(pts, k=4).transform("r")
    res = ac.lisa(panel, "rd_intensity", g, permutations=999, seed=1)
    return panel, g, res


def test_scatter_line_is_moran(demo, output_dir):
    panel, g, res = demo
    fig = pa.plot_moran_scatter(res, year=2022)
    fig.savefig(output_dir / "moran_scatter_rd_intensity_2022.png", dpi=100)
    ax = fig.axes[0]
    line = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2 and ln.get_color() == "black"][0]
    x, y = line.get_xdata(), line.get_ydata()
    slope = (y[1] - y[0]) / (x[1] - x[0])
    I = ac.moran_by_year(panel, "rd_intensity", g, permutations=0).to_frame().loc[("w", 2022), "I"]
    np.testing.assert_allclose(slope, I, rtol=1e-10)
    texts = {t.get_gid() for t in ax.texts}
    assert {"quadrant-HH", "quadrant-LL", "quadrant-LH", "quadrant-HL"} <= texts
    assert any("Beijing" == t.get_text() for t in ax.texts)
    n_points = sum(len(c.get_offsets()) for c in ax.collections)
    assert n_points == 31
    matplotlib.pyplot.close(fig)


def test_lisa_map_colours(demo, output_dir):
    _, _, res = demo
    fig = pa.plot_lisa_map(res, year=2022, labels=False)
    fig.savefig(output_dir / "lisa_map_rd_intensity_2022.png", dpi=100)
    ax = fig.axes[0]
    faces = ax.collections[0].get_facecolors()
    from spatialnqpf._shapes import load_provinces
    shapes = load_provinces()
    f = res.to_frame()
    cl = f[f.year == 2022].set_index("code")["cluster"].reindex(shapes.index)
    expect = np.array([mcolors.to_rgba(pa.CLUSTER_COLORS[c]) for c in cl])
    np.testing.assert_allclose(faces, expect)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("Not significant") for t in legend)
    matplotlib.pyplot.close(fig)


def test_map_accepts_geodataframe_and_checks_ids(demo):
    import geopandas as gpd
    from shapely.geometry import box
    from spatialnqpf._validation import IdMismatchError
    panel, g, res = demo
    codes = sorted(panel.code.unique())
    squares = gpd.GeoDataFrame({"code": codes}, geometry=[box(i, 0, i + 1, 1) for i in range(31)],
                               crs=None)
    fig = pa.plot_lisa_map(res, shapes=squares, year=2012)
    assert len(fig.axes[0].collections[0].get_facecolors()) == 31
    matplotlib.pyplot.close(fig)
    with pytest.raises(IdMismatchError, match="65"):
        pa.plot_lisa_map(res, shapes=squares[squares.code != 65])


def test_from_dataframe_and_chinese(demo, output_dir):
    panel, g, _ = demo
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # no CJK font on some machines: English fallback
        fig = pa.plot_moran_scatter(panel, "rd_intensity", g, year=2015, lang="zh",
                                    permutations=99, seed=3)
    fig.savefig(output_dir / "moran_scatter_rd_intensity_2015_zh.png", dpi=100)
    assert "2015" in fig.axes[0].get_title()
    matplotlib.pyplot.close(fig)
    with pytest.raises(ValueError, match="year"):
        pa.plot_moran_scatter(panel, "rd_intensity", g, year=1999, permutations=9, seed=1)


class TestDemoPanel:
    """Demo panel, R&D intensity, 2012-2022, under the package's contiguity and distance W.

    Reference: esda 2.8 ``Moran`` (independent implementation) year by year, on the same
    Graph re-ordered to its own ids; rtol 1e-10.
    """

    @pytest.mark.filterwarnings("ignore::DeprecationWarning")
    def test_moran_by_year_matches_esda(self, output_dir):
        import esda
        from spatialnqpf import datasets, weights
        panel = datasets.load_demo_panel()
        ws = {"contiguity": weights.contiguity(), "distance": weights.distance()}
        res = ac.moran_by_year(panel, "rd_intensity", ws, permutations=999, seed=2022)
        t = res.to_frame()
        assert len(t) == 22 and (t["n"] == 31).all()
        for name, w in ws.items():
            for yr in range(2012, 2023):
                y = panel[panel.year == yr].set_index("code").loc[list(w.unique_ids), "rd_intensity"]
                m = esda.Moran(y.to_numpy(), w, permutations=0)
                row = t.loc[(name, yr)]
                np.testing.assert_allclose([row["I"], row["E[I]"], row["sd_rand"] ** 2,
                                            row["sd_norm"] ** 2, row["z_rand"]],
                                           [m.I, m.EI, m.VI_rand, m.VI_norm, m.z_rand], rtol=1e-10)
        (output_dir / "moran_by_year_rd_intensity.txt").write_text(
            res.summary() + "\n\n" + res.side_by_side().round(4).to_string(), encoding="utf-8")


def test_hot_spot_map(demo, output_dir):
    panel, g, _ = demo
    from spatialnqpf import weights
    res = ac.getis_ord_local(panel, "rd_intensity", weights.contiguity(), star=True,
                             permutations=999, seed=1)
    fig = pa.plot_lisa_map(res, year=2022)
    fig.savefig(output_dir / "hot_spots_rd_intensity_2022.png", dpi=100)
    faces = fig.axes[0].collections[0].get_facecolors()
    from spatialnqpf._shapes import load_provinces
    f = res.to_frame()
    cl = f[f.year == 2022].set_index("code")["cluster"].reindex(load_provinces().index)
    np.testing.assert_allclose(faces, [mcolors.to_rgba(pa.CLUSTER_COLORS[c]) for c in cl])
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[0].startswith("Hot spot") and legend[1].startswith("Cold spot")
    assert fig.axes[0].get_title() == "Getis-Ord G_i* clusters, rd_intensity, 2022"
    matplotlib.pyplot.close(fig)
    with pytest.raises(ValueError, match="local Moran"):
        pa.plot_moran_scatter(res)
