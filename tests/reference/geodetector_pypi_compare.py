"""Compare the PyPI ``geodetector`` 0.2.0 with R GD / geodetector and spatialnqpf (a note,
not a test: the package is not a dependency).  Writes geodetector_pypi_compare.json.

Run: PYTHONPATH=../.. python geodetector_pypi_compare.py  (needs pip install geodetector)
"""
import json

import pandas as pd
import geodetector as pgd

from spatialnqpf import patterns

d = pd.read_csv("geodetector_data.csv")
out = {"version": pgd.__version__}
for f in ["c1", "c3"]:
    fd = pgd.FactorDetector().fit(d[[f]], d["y"])
    ours = patterns.geodetector(d, "y", [f]).factor.iloc[0]
    out[f] = {"pypi_q": fd.q_value_, "pypi_p": fd.p_value_, "ours_q": ours.q,
              "ours_p": ours.p_value}
od = pgd.OptimalDiscretizer(discretize_methods=["equal", "jenks", "quantile"],
                            k_range=(3, 8)).fit(d[["x1", "x2", "x3"]], d["y"])
out["opgd_pypi"] = {k: [str(getattr(od, "best_method_", {}).get(k)),
                        int(od.best_k_.get(k))] for k in ["x1", "x2", "x3"]}
gd = pd.read_csv("geodetector_gd_opgd.csv")
out["opgd_gd"] = {r.factor: [r.method, int(r.k)] for r in gd.itertuples()}
json.dump(out, open("geodetector_pypi_compare.json", "w"), indent=1, default=float)
print(json.dumps(out, indent=1, default=float))
