"""network: gravity model by hand, metrics vs R sna and networkx, CONCOR vs R concorR,
QAP/MRQAP vs sna::qaptest / netlm(qapspp) (tests/reference/network_*)."""
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from spatialnqpf import network, regions
from spatialnqpf._validation import DataError, IdMismatchError

REF = Path(__file__).parent / "reference"


def _mat(name):
    m = pd.read_csv(REF / name, index_col=0)
    m.columns = m.columns.astype(int)
    return m


PANEL = pd.read_csv(REF / "network_panel.csv")


def test_gravity_model_by_hand():
    res = network.gravity_network(PANEL, "value")
    assert res.years == [2021, 2022]
    net = res[2022]
    g = PANEL[PANEL.year == 2022].set_index("code")
    cap = regions.capitals()
    i, j = 11, 44
    lon1, lat1, lon2, lat2 = np.radians([cap.lon[i], cap.lat[i], cap.lon[j], cap.lat[j]])
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    D = 2 * 6371.0 * np.arcsin(np.sqrt(h))
    X, P, G = g.value, g["pop"], g.gdp
    k = X[i] / (X[i] + X[j])
    y = k * (P[i] * G[i] * X[i]) ** (1 / 3) * (P[j] * G[j] * X[j]) ** (1 / 3) / (
        D / (G[i] / P[i] - G[j] / P[j])) ** 2
    assert net.y.loc[i, j] == pytest.approx(y, rel=1e-12)
    assert net.y.loc[j, i] == pytest.approx(y * X[j] / X[i], rel=1e-12)
    ym = net.y.to_numpy()
    rowmean = (ym.sum(1) - np.diag(ym)) / (len(ym) - 1)
    np.testing.assert_array_equal(net.a.to_numpy(), (ym >= rowmean[:, None]) & ~np.eye(31, dtype=bool))
    # the committed reference network is this one
    pd.testing.assert_frame_equal(net.a.astype(int), _mat("network_gravity_a.csv"),
                                  check_names=False)
    assert res.to_frame().ties.tolist()[1] == int(net.a.to_numpy().sum())


@pytest.mark.parametrize("name", ["gravity", "random", "conn"])
def test_metrics_equal_sna(name):
    a = _mat(f"network_{name}_a.csv")
    m = network.metrics(a)
    ref = pd.read_csv(REF / f"network_sna_{name}_graph.csv").iloc[0]
    got = m.graph.iloc[0]
    for c in ["density", "connectedness", "hierarchy", "efficiency"]:
        assert got[c] == pytest.approx(ref[c], abs=1e-12), c
    nodes = pd.read_csv(REF / f"network_sna_{name}_nodes.csv").set_index("id")
    nd = m.nodes.loc[nodes.index]
    for c in ["in_degree", "out_degree"]:
        np.testing.assert_array_equal(nd[c], nodes[c])
    np.testing.assert_allclose(nd.betweenness, nodes.betweenness, atol=1e-12)
    G = nx.from_numpy_array(a.to_numpy(), create_using=nx.DiGraph)
    if nx.is_strongly_connected(G):       # sna's closeness is 0 when some node is unreachable
        for c in ["closeness", "closeness_in", "closeness_out"]:
            np.testing.assert_allclose(nd[c], nodes[c], atol=1e-12)
    if nx.is_connected(G.to_undirected()):
        np.testing.assert_allclose(nd.closeness, nodes.closeness, atol=1e-12)
    assert (nd.degree == nd.in_degree + nd.out_degree).all()


def test_metrics_wasserman_faust_by_hand():
    # 1 -> 2 -> 3, 4 isolated: out-closeness of 1 = (r-1)/(N-1) * (r-1)/sum d = 2/3 * 2/3
    a = pd.DataFrame([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
                     index=[1, 2, 3, 4], columns=[1, 2, 3, 4])
    nd = network.metrics(a).nodes
    assert nd.loc[1, "closeness_out"] == pytest.approx(4 / 9)
    assert nd.loc[3, "closeness_in"] == pytest.approx(4 / 9)
    assert nd.loc[2, "betweenness"] == pytest.approx(1 / 6)      # 1 of (N-1)(N-2) = 6
    assert nd.loc[2, "degree_centrality"] == pytest.approx(2 / 3)
    gm = network.metrics(a).graph.iloc[0]
    assert gm.hierarchy == pytest.approx(1.0)                     # no mutual reachability
    assert gm.connectedness == pytest.approx(6 / 12)


@pytest.mark.parametrize("name", ["gravity", "random", "conn"])
def test_concor_equals_concorR(name):
    a = _mat(f"network_{name}_a.csv")
    ref = pd.read_csv(REF / f"network_concor_{name}.csv").set_index("vertex").block
    ref.index = ref.index.astype(int)
    b = network.block_model(a, n_blocks=4)
    pd.testing.assert_series_equal(b.blocks, ref.loc[b.blocks.index], check_names=False)


def test_block_roles_and_density():
    a = _mat("network_gravity_a.csv")
    b = network.block_model(a)
    A = a.to_numpy()
    lab = b.blocks.to_numpy()
    n = len(A)
    for r in b.roles.itertuples():
        m = lab == r.block
        assert r.internal == A[np.ix_(m, m)].sum()
        assert r.sent_out == A[np.ix_(m, ~m)].sum()
        assert r.received == A[np.ix_(~m, m)].sum()
        assert r.expected_internal_ratio == pytest.approx((m.sum() - 1) / (n - 1))
        assert r.role in network.BLOCK_ROLES
        nk = m.sum()
        assert b.density.loc[r.block, r.block] == pytest.approx(
            A[np.ix_(m, m)].sum() / (nk * (nk - 1)))
    assert ((b.image == 1) == (b.density >= A.sum() / (n * (n - 1)))).all().all()
    assert set(b.roles.role) == {"net beneficiary", "net spillover", "bilateral spillover"}


def _tol(p, b1, b2):
    return max(4 * np.sqrt(max(p * (1 - p), 1e-3) * (1 / b1 + 1 / b2)), 0.005)


def test_mrqap_equals_netlm():
    y, x1, x2 = (_mat(f) for f in ["network_gravity_y.csv", "network_x1.csv", "network_x2.csv"])
    q = network.qap(y, {"x1": x1, "x2": x2}, n_perm=2000, seed=0)
    ref = pd.read_csv(REF / "network_sna_netlm.csv").set_index("term")
    np.testing.assert_allclose(q.params, ref.estimate, rtol=1e-10)
    np.testing.assert_allclose(q.tvalues, ref.t, rtol=1e-10)
    for t in ref.index:
        assert abs(q.pvalues[t] - ref.p_abs[t]) < _tol(ref.p_abs[t], 2000, 5000), t
        assert abs(q.p_greater[t] - ref.p_greater[t]) < _tol(ref.p_greater[t], 2000, 5000)
    tidy = q.tidy()
    assert list(tidy.columns) == ["term", "estimate", "std_error", "statistic", "p_value",
                                  "conf_low", "conf_high"]
    np.testing.assert_allclose(tidy.p_value, q.pvalues)
    # the same seed gives the same p-values; another seed other draws
    assert network.qap(y, {"x1": x1, "x2": x2}, n_perm=2000, seed=0).pvalues.equals(q.pvalues)


def test_qap_one_regressor_and_correlation():
    y, x1, x2 = (_mat(f) for f in ["network_gravity_y.csv", "network_x1.csv", "network_x2.csv"])
    q1 = network.qap(y, {"x1": x1}, n_perm=2000)
    ref = pd.read_csv(REF / "network_sna_netlm1.csv").set_index("term")
    np.testing.assert_allclose(q1.tvalues, ref.t, rtol=1e-10)
    for t in ref.index:
        assert abs(q1.pvalues[t] - ref.p_abs[t]) < _tol(ref.p_abs[t], 2000, 5000), t
    q = network.qap(y, {"x2": x2}, n_perm=2000)
    rq = pd.read_csv(REF / "network_sna_qaptest.csv").iloc[0]
    c = q.correlation.loc["x2"]
    assert c.r == pytest.approx(rq.r, rel=1e-12)
    assert abs(c.p_greater - rq.p_greater) < _tol(rq.p_greater, 2000, 5000)
    assert abs(c.p_value - rq.p_abs) < _tol(rq.p_abs, 2000, 5000)
    # aligned by id: a shuffled copy of x2 gives the same answer
    perm = x2.index[::-1]
    q2 = network.qap(y, {"x2": x2.loc[perm, perm]}, n_perm=2000)
    assert q2.correlation.loc["x2", "r"] == pytest.approx(c.r, rel=1e-12)


def test_bad_input():
    y = _mat("network_gravity_y.csv")
    with pytest.raises(IdMismatchError, match="only in"):
        network.qap(y, {"x": y.iloc[:-1, :-1]})
    flat = PANEL.assign(gdp=PANEL["pop"] * 3.0)          # equal per-capita GDP: no ties
    with pytest.raises(network.NetworkError, match="no tie"):
        network.gravity_network(flat, "value")
    with pytest.raises(DataError, match="positive"):
        network.gravity_network(PANEL.assign(value=-1.0), "value")
    with pytest.raises(DataError, match="0/1"):
        network.metrics(y)
    with pytest.raises(Exception, match="power of 2"):
        network.block_model(_mat("network_conn_a.csv"), n_blocks=3)


def test_user_distance_matrix():
    x1 = _mat("network_x1.csv")                       # the haversine distances themselves
    a = network.gravity_network(PANEL, "value")[2022]
    b = network.gravity_network(PANEL, "value", distance=x1 * 2.0)[2022]
    np.testing.assert_allclose(b.y.to_numpy(), a.y.to_numpy() / 4.0, rtol=1e-12)
    with pytest.raises(IdMismatchError):
        network.gravity_network(PANEL, "value", distance=x1.iloc[:-1, :-1])
