"""Smoke tests of spatialnqpf.plot_patterns (the figures draw what the results hold)."""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from spatialnqpf import datasets, dynamics, network, patterns  # noqa: E402
from spatialnqpf import plot_patterns as pp  # noqa: E402

REF = Path(__file__).parent / "reference"


def test_ellipses_and_network_maps():
    d = datasets.load_demo_panel()[["code", "year", "gdp"]]
    e = patterns.std_ellipse(d, "gdp")
    ax = pp.plot_ellipses(e, years=[2012, 2022])
    labels = [l.get_label() for l in ax.get_lines()]
    assert {"2012", "2022", "centre"} <= set(labels)
    line = [l for l in ax.get_lines() if l.get_label() == "centre"][0]
    np.testing.assert_allclose(line.get_xdata(), e.table.x_km * 1e3)
    with pytest.raises(Exception, match="no ellipse"):
        pp.plot_ellipses(e, years=[1999])
    panel = pd.read_csv(REF / "network_panel.csv")
    net = network.gravity_network(panel, "value")[2022]
    fig, ax2 = plt.subplots()
    pp.plot_network(net, ax=ax2)
    assert len(ax2.texts) == int(net.a.to_numpy().sum())     # one arrow per tie
    plt.close("all")


def test_block_image_transition_and_interaction():
    a = pd.read_csv(REF / "network_gravity_a.csv", index_col=0)
    a.columns = a.columns.astype(int)
    b = network.block_model(a)
    ax = pp.plot_block_image(b)
    assert len(ax.patches) == int(b.image.to_numpy().sum())
    w = pd.read_csv(REF / "clubs_data.csv").melt(id_vars="id", var_name="year", value_name="x")
    w["year"] = w.year.str[1:].astype(int)
    c = dynamics.club_convergence(w, "x", id="id")
    ax = pp.plot_transition_paths(c)
    assert len(ax.get_lines()) == len(c.merged) + 2          # clubs, divergent, h = 1
    g = patterns.geodetector(pd.read_csv(REF / "geodetector_data.csv"), "y", ["c1", "c2", "c3"])
    ax = pp.plot_interaction(g)
    assert len(ax.texts) == 6
    plt.close("all")
