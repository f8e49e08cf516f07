"""Stage 2: spatial weight matrices for the 31 provinces (contiguity with Hainan's link, distance).

Run: python examples/02_weights.py
"""
from spatialnqpf import weights

wc = weights.contiguity(islands="guangdong")          # queen; Hainan (46) linked to Guangdong (44)
wd = weights.distance()                               # inverse great-circle distance between capitals
print(weights.describe(wc))
print(weights.describe(wd))
assert 44 in set(wc.adjacency.loc[46].index)
