"""Generate geodetector_data.csv (committed; synthetic) for the R GD / geodetector references.

Run: python geodetector_data.py  (then Rscript geodetector_gd.R)
"""
import numpy as np
import pandas as pd

rng = np.random.default_rng(20100601)
n = 150
x1 = rng.gamma(2.0, 1.5, n)                 # skewed, positive (geometric applies)
x2 = rng.normal(0, 1, n)                    # symmetric, negative values
x3 = rng.uniform(0, 10, n)
c1 = rng.choice(list("ABCDE"), n, p=[.3, .25, .2, .15, .1])
c2 = rng.integers(1, 4, n)
y = (0.8 * np.log1p(x1) + 0.5 * (x2 > 0.3) + 0.3 * np.sin(x3) + 0.4 * (c1 == "A")
     + 0.25 * (c2 == 2) + rng.normal(0, 0.5, n))
# c3: categorical with two one-unit strata (the geodetector convention keeps them)
c3 = rng.choice(["p", "q", "r"], n)
c3[0], c3[1] = "s", "t"
pd.DataFrame({"code": np.arange(1, n + 1), "y": y, "x1": x1, "x2": x2, "x3": x3,
              "c1": c1, "c2": c2, "c3": c3}).to_csv("geodetector_data.csv", index=False,
                                                     float_format="%.17g")
