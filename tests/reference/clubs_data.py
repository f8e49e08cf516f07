"""Generate clubs_data.csv (committed; synthetic) for the R ConvergenceClubs reference.

Four groups converging to nearby levels with random-walk noise: six initial clubs, one
divergent unit, and Phillips-Sul and von Lyncker-Thoennessen merging that differ.
Wide layout (id, Y1..Y25) as ConvergenceClubs reads it.
Run: python clubs_data.py   (then R_LIBS=... Rscript clubs_convergenceclubs.R)
"""
import numpy as np
import pandas as pd

rng = np.random.default_rng(2019)
n, T = 40, 25
t = np.arange(1, T + 1)
level = np.repeat([10.0, 9.6, 9.2, 8.8], 10)
start = level + rng.normal(0, 0.5, n)
decay = np.exp(-t / rng.uniform(3, 12, n)[:, None])
x = (level[:, None] + (start - level)[:, None] * decay + 0.02 * t
     + np.cumsum(rng.normal(0, 0.03, (n, T)), axis=1))
w = pd.DataFrame(x, columns=[f"Y{i}" for i in t])
w.insert(0, "id", [f"u{i:02d}" for i in range(1, n + 1)])
w.to_csv("clubs_data.csv", index=False, float_format="%.17g")
