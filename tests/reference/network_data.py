"""Generate the networks of the R sna / concorR references (committed; synthetic values on
the 31 provinces' capitals) and write network_*.csv.

* network_gravity_{y,a}.csv: spatialnqpf.network.gravity_network on generated value,
  population and GDP (network_panel.csv), year 2022;
* network_random_a.csv: a sparse random digraph (25 nodes, two isolates) for the metrics
  on a disconnected graph;
* network_x1.csv, network_x2.csv: regressor matrices for QAP (distance, |Δ value|).

Run: PYTHONPATH=../.. python network_data.py   (then Rscript network_sna.R)
"""
import numpy as np
import pandas as pd

from spatialnqpf import network, regions

rng = np.random.default_rng(1994)
ids = regions.capitals().index
rows = []
for yr in (2021, 2022):
    rows.append(pd.DataFrame({"code": ids, "year": yr,
                              "value": rng.lognormal(0, 0.5, ids.size),
                              "pop": rng.lognormal(8, 0.7, ids.size),
                              "gdp": rng.lognormal(10, 0.8, ids.size)}))
panel = pd.concat(rows, ignore_index=True)
panel.to_csv("network_panel.csv", index=False, float_format="%.17g")
net = network.gravity_network(panel, "value")[2022]
net.y.to_csv("network_gravity_y.csv", float_format="%.17g")
net.a.to_csv("network_gravity_a.csv")
n = 25
a = (rng.random((n, n)) < 0.09).astype(int)
np.fill_diagonal(a, 0)
a[[3, 17], :] = 0
a[:, [3, 17]] = 0
pd.DataFrame(a, index=range(101, 101 + n), columns=range(101, 101 + n)).to_csv(
    "network_random_a.csv")
cap = regions.capitals().loc[ids]
D = network._haversine_matrix(cap.lon.to_numpy(), cap.lat.to_numpy())
pd.DataFrame(D, index=ids, columns=ids).to_csv("network_x1.csv", float_format="%.17g")
v = panel[panel.year == 2022].set_index("code").value.loc[ids].to_numpy()
pd.DataFrame(np.abs(v[:, None] - v[None, :]) + rng.normal(0, .1, (ids.size, ids.size)),
             index=ids, columns=ids).to_csv("network_x2.csv", float_format="%.17g")
# a strongly connected digraph (closeness without unreachable nodes, as sna computes it)
n = 20
a = (rng.random((n, n)) < 0.3).astype(int)
np.fill_diagonal(a, 0)
for i in range(n):      # a Hamiltonian cycle guarantees strong connectivity
    a[i, (i + 1) % n] = 1
pd.DataFrame(a, index=range(1, n + 1), columns=range(1, n + 1)).to_csv("network_conn_a.csv")
