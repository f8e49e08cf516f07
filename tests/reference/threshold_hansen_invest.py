"""Record panel_threshold on Hansen's (1999) investment data (see threshold_hansen_invest.R).

    SPATIALNQPF_HANSEN_INVEST=/tmp/invest.csv python tests/reference/threshold_hansen_invest.py
"""
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_models_threshold import hansen_frame  # noqa: E402

from spatialnqpf.models import panel_threshold  # noqa: E402

out = Path(__file__).with_suffix(".json")
rec = json.loads(out.read_text()) if out.exists() else {}
df = hansen_frame(os.environ["SPATIALNQPF_HANSEN_INVEST"])
res = panel_threshold(df, "i", ["q1", "q2", "q3", "d1", "qd", "cf"], ["cf"], "d1", id="firm",
                      time="year", n_thresholds=2, trim=0.01, n_boot=300, seed=0, grid=400)
rec["ours_grid400"] = {
    "thresholds": res.thresholds.tolist(), "ci_lower": res.ci.lower.tolist(),
    "ci_upper": res.ci.upper.tolist(), "F": res.tests.F.tolist(),
    "p_boot_seed0_300": res.tests.p_boot.tolist(), "crit_5": res.tests.crit_5.tolist(),
    "params": res.params.tolist(), "terms": list(res.params.index), "bse": res.bse.tolist(),
}
# bootstrap p-values across seeds (Monte Carlo error only)
rec["ours_grid400"]["p_boot_by_seed_300"] = {
    str(s): panel_threshold(df, "i", ["q1", "q2", "q3", "d1", "qd", "cf"], ["cf"], "d1",
                            id="firm", time="year", n_thresholds=2, trim=0.01, n_boot=300,
                            seed=s, grid=400).tests.p_boot.tolist() for s in (1, 2)}
out.write_text(json.dumps(rec, indent=1) + "\n")
print(json.dumps(rec["ours_grid400"], indent=1))
