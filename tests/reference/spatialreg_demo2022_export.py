"""Export the 2022 provincial cross-section and its contiguity W for the R reference run.

Tool: python (spatialnqpf.datasets.load_demo_panel, spatialnqpf.weights.contiguity defaults:
queen contiguity, Hainan linked to Guangdong, row-standardised).
Command: cd /work/main && python tests/reference/spatialreg_demo2022_export.py
Outputs: tests/reference/spatialreg_demo2022_data.csv (code, lgdp = ln gdp, lrd = ln R&D
expenditure, lpat = ln patent grants, share_tertiary) and spatialreg_demo2022_nb.csv (binary
neighbour pairs by code; the R script and the tests row-standardise them).
"""
from pathlib import Path

import numpy as np

from spatialnqpf import datasets, weights

here = Path(__file__).parent
df = datasets.load_demo_panel()
d = df[df.year == 2022].sort_values("code")
out = d[["code"]].assign(lgdp=np.log(d.gdp), lrd=np.log(d.rd_exp_total),
                         lpat=np.log(d.patent_grant_total), share_tertiary=d.share_tertiary)
out.to_csv(here / "spatialreg_demo2022_data.csv", index=False)
w = weights.contiguity(ids=out.code.tolist())
adj = w.adjacency.reset_index()
adj = adj[adj.weight != 0][["focal", "neighbor"]]
adj.to_csv(here / "spatialreg_demo2022_nb.csv", index=False)
print(len(out), "provinces,", len(adj), "directed links")
