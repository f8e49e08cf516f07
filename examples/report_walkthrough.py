# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The demo report, step by step
#
# `spatialnqpf report` (no arguments) analyses the bundled 31-province panel 2012–2022.
# This notebook reproduces it through the Python API, one stage at a time, with the
# settings of the default configuration, and checks at the end that every headline
# number equals the one in the report's `results.json`.
#
# Run it with `jupytext --to notebook --execute examples/report_walkthrough.py`, or open
# it in Jupyter (jupytext pairs the `.py` with a notebook).

# %%
import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from spatialnqpf import autocorrelation, dynamics, index, inequality, models, regions, weights
from spatialnqpf.report.config import load_config, load_data
from spatialnqpf.report.tables import regression_table

cfg = load_config()          # the defaults = what `spatialnqpf report` runs
seed = cfg.seed
out = Path(os.environ.get("SPATIALNQPF_EXAMPLE_OUT") or tempfile.mkdtemp()) / "walkthrough"
print("seed", seed, "| output", out)

# %% [markdown]
# ## 1. Data
# The demo panel plus the demo indicators (intensities per GDP or per budget) and the
# model's derived regressors. `hitech_revenue` was not published for 2017: the default
# policy for the demo interpolates those 31 cells within each province and lists them.

# %%
system = index.demo_system().select(pillars=cfg.get("index", "pillars"))
data = load_data(cfg, used_columns=list(system.directions) + cfg.get("models", "x"))
panel = data.frame
print(data.summary())
pd.DataFrame(data.changes).head()

# %% [markdown]
# ## 2. Composite index: panel entropy weights and TOPSIS

# %%
res_index = index.entropy_topsis(panel, system=system, id="code", time="year",
                                 shift=cfg.get("index", "shift"), missing="raise")
panel = panel.merge(res_index.scores.rename("index_score").reset_index(), on=["code", "year"])
res_index.weights.round(4)

# %%
ranking = res_index.rank_table(2022).head(10)
ranking.insert(0, "province", regions.names(list(ranking.index), lang="en"))
ranking

# %% [markdown]
# ## 3. Spatial weights
# Queen contiguity with Hainan linked to Guangdong, and inverse great-circle distance
# between capitals; both row-standardised.

# %%
ids = sorted(panel["code"].unique())
W = {"contiguity": weights.contiguity(ids=ids, islands=cfg.get("weights", "islands")),
     "distance": weights.distance(ids=ids)}
print(weights.describe(W["contiguity"]))

# %% [markdown]
# ## 4. Spatial autocorrelation

# %%
perms = cfg.get("autocorrelation", "permutations")
labels = {"contiguity": "邻接矩阵", "distance": "地理距离矩阵"}   # the report's (Chinese) labels
moran = autocorrelation.moran_by_year(panel, "index_score", {labels[k]: w for k, w in W.items()},
                                      id="code", time="year", permutations=perms, seed=seed)
moran.side_by_side(["I", "z_rand", "p_rand", "p_perm"]).round(3)

# %%
lisa = autocorrelation.lisa(panel, "index_score", W["contiguity"], id="code", time="year",
                            permutations=perms, seed=seed)
lisa.counts()

# %% [markdown]
# ## 5. Regional differences: Dagum Gini decomposition by the four NBS regions

# %%
dagum = inequality.dagum_gini_by_year(panel, "index_score", cfg.get("inequality", "groups"),
                                      id="code", time="year")
d22 = dagum[2022]
print(f"G(2022) = {d22.G:.4f}; between-region share {d22.G_nb / d22.G:.0%}")
dagum.contributions().round(1)

# %% [markdown]
# ## 6. Distribution dynamics

# %%
mk = dynamics.markov(panel, "index_score", cfg.get("dynamics", "markov_classes"), id="code",
                     time="year")
beta = dynamics.beta_convergence(panel, "index_score", id="code", time="year")
print(mk.table())
print(f"beta = {beta.beta:.3f}, half-life {beta.half_life:.2f} years")

# %% [markdown]
# ## 7. SDM with two-way fixed effects (Lee–Yu) under each W, effects, journal table

# %%
m = cfg.get("models")
fits, effects = {}, {}
for k, w in W.items():
    r = models.spatial_panel(panel, y="index_score", x=m["x"], w=w, id="code", time="year",
                             model=m["model"], fe=m["fe"], lee_yu=m["lee_yu"])
    fits[k] = r
    effects[k] = r.effects(method="simulation", nsim=m["effects_nsim"], seed=seed)
table = regression_table(fits, effects=effects, lang="en", name="sdm")
print(table.summary())

# %% [markdown]
# ## 8. The same numbers as `spatialnqpf report`
# Build the report (without the slower dynamics stage) and compare.

# %%
from spatialnqpf.report.builder import build_report

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    rep = build_report(cfg, out=out, progress=False,
                       stages=["index", "weights", "autocorrelation", "inequality", "models"])
results = json.loads((out / "results.json").read_text(encoding="utf-8"))
print(rep.summary())


def frame(obj):
    """A DataFrame stored in results.json ({"index", "columns", "data"}; MultiIndex as lists)."""
    idx = obj["index"]
    if idx and isinstance(idx[0], list):
        idx = pd.MultiIndex.from_tuples([tuple(i) for i in idx])
    return pd.DataFrame(obj["data"], index=idx, columns=obj["columns"])


st = results["stages"]
w_report = pd.Series(st["index"]["numbers"]["weights"])
assert np.allclose(w_report[res_index.weights.index], res_index.weights, rtol=1e-12)
mor = frame(st["autocorrelation"]["numbers"]["moran_by_year"])
assert np.allclose(mor["I"].to_numpy(), moran.to_frame()["I"].to_numpy(), rtol=1e-12)
dag = frame(st["inequality"]["numbers"]["dagum"])
assert abs(dag.loc[2022, "G"] - d22.G) < 1e-12
rho = st["models"]["numbers"]["contiguity"]["params"]["rho"]
assert abs(rho - fits["contiguity"].params["rho"]) < 1e-10
eff = frame(st["models"]["numbers"]["contiguity"]["effects"])
assert np.allclose(eff["indirect"].to_numpy(), effects["contiguity"]["indirect"].to_numpy(), rtol=1e-10)
print("the walkthrough reproduces the report's numbers")
