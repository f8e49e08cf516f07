"""Stage 6: SDM with two-way fixed effects (Lee-Yu) under two matrices, effects, a journal table.

Run: python examples/06_models.py
"""
import numpy as np
from _common import demo_index_panel, output_dir

from spatialnqpf import models, weights
from spatialnqpf.report.tables import regression_table, write_table

panel = demo_index_panel()
panel["ln_gdp"] = np.log(panel["gdp"])
panel["industry_share"] = panel["share_secondary"] / 100
panel["edu_budget_share"] = panel["budget_exp_education"] / panel["budget_exp_total"]
x = ["ln_gdp", "industry_share", "edu_budget_share"]
fits, effects = {}, {}
for name, w in {"Contiguity": weights.contiguity(), "Distance": weights.distance()}.items():
    res = models.spatial_panel(panel, y="index", x=x, w=w, id="code", time="year", model="sdm",
                               fe="twoways", lee_yu=True)
    fits[name] = res
    effects[name] = res.effects(method="simulation", nsim=1000, seed=0)
table = regression_table(fits, effects=effects, lang="en", name="sdm_demo",
                         title="SDM with two-way fixed effects (Lee-Yu)")
print(table.summary())
paths = write_table(table, output_dir("06_models"))
print("written:", ", ".join(str(p) for p in paths.values()))
assert set(effects["Contiguity"].columns) >= {"direct", "indirect", "total", "direct_se"}
