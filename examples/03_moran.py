"""Stage 3: global Moran's I by year under two matrices, and LISA clusters.

Run: python examples/03_moran.py
"""
from _common import demo_index_panel

from spatialnqpf import autocorrelation, weights

panel = demo_index_panel()
ws = {"contiguity": weights.contiguity(), "distance": weights.distance()}
moran = autocorrelation.moran_by_year(panel, "index", ws, id="code", time="year",
                                      permutations=999, seed=1)
print(moran.side_by_side().round(3))
lisa = autocorrelation.lisa(panel, "index", ws["contiguity"], id="code", time="year",
                            permutations=999, seed=1)
print(lisa.counts())
assert moran.to_frame().loc[("contiguity", 2022), "I"] > 0
