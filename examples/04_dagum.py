"""Stage 4: Dagum Gini decomposition by the four NBS regions, Theil and CV by year.

Run: python examples/04_dagum.py
"""
from _common import demo_index_panel

from spatialnqpf import inequality

panel = demo_index_panel()
dag = inequality.dagum_gini_by_year(panel, "index", "region4", id="code", time="year")
print(dag.summary())
print(dag.contributions().round(1))
print(inequality.theil_by_year(panel, "index", "region4", id="code", time="year").round(4))
r = dag[2022]
assert abs(r.G - (r.G_w + r.G_nb + r.G_t)) < 1e-12
