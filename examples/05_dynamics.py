"""Stage 5: distribution dynamics: kernel density, Markov chain, beta convergence.

Run: python examples/05_dynamics.py
"""
from _common import demo_index_panel

from spatialnqpf import dynamics

panel = demo_index_panel()
kd = dynamics.kernel_density_by_year(panel, "index", "region4", id="code", time="year")
print(kd.peaks().round(3))
mk = dynamics.markov(panel, "index", 4, id="code", time="year")
print(mk.summary())
beta = dynamics.beta_convergence(panel, "index", id="code", time="year")
print(beta.summary())
assert abs(mk.P.to_numpy().sum(axis=1) - 1).max() < 1e-12
