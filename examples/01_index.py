"""Stage 1: the composite index (panel entropy weights + TOPSIS) on the bundled demo panel.

Run: python examples/01_index.py
"""
import warnings

from spatialnqpf import datasets, index
from spatialnqpf.report.tables import frame_table

raw = datasets.load_demo_panel()
ind = index.demo_indicators(raw)                       # intensities derived from the raw panel
system = index.demo_system().select(pillars=["technology"])
print(system.summary())

with warnings.catch_warnings():
    warnings.simplefilter("ignore", index.IndexWarning)  # the 2017 interpolation is listed below
    res = index.entropy_topsis(ind, system=system, id="code", time="year", shift=1e-4,
                               missing="interpolate")
print(res.weights.round(4))
print("cells interpolated:", len(res.missing_report))
top = res.rank_table(2022).head(5)
print(top)
t = frame_table(res.weights.to_frame("weight"), name="weights", title="Entropy weights", digits=4)
print(t.to_latex())
assert abs(res.weights.sum() - 1) < 1e-12
assert top.index[0] == 11  # Beijing leads in 2022
