"""Result flags (issue 12): a fit at the ρ bound, degenerate SEs or an optimiser that stopped
early is flagged in ``flags``, ``summary()``, ``tidy().attrs["flags"]`` and the report's JSON."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph

from spatialnqpf._results import Flag, FitWarning, flags_to_json
from spatialnqpf.models import spatial_panel
from spatialnqpf.models import cross_section as cs


def _ring_panel(amplitude):
    """Even ring (bipartite: smallest eigenvalue −1) with an alternating pattern W y = −y."""
    N, T = 20, 5
    ids = [f"u{i:02d}" for i in range(N)]
    g = Graph.from_dicts({ids[i]: {ids[(i - 1) % N]: 1.0, ids[(i + 1) % N]: 1.0}
                          for i in range(N)}).transform("r")
    rng = np.random.default_rng(0)
    rows = []
    for t in range(T):
        x = rng.normal(size=N)
        for i in range(N):
            rows.append({"id": ids[i], "year": 2000 + t, "x": x[i],
                         "y": 0.5 * x[i] + (-1) ** i * amplitude * (1 + t) + 0.01 * rng.normal()})
    return pd.DataFrame(rows), g


def _fit(amplitude):
    df, g = _ring_panel(amplitude)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return spatial_panel(df, "y", ["x"], g, id="id", time="year", model="sar",
                             fe="individual")


def test_fit_at_the_rho_bound_is_flagged_everywhere():
    res = _fit(1e4)
    assert res.params["rho"] == pytest.approx(-1, abs=2e-4)       # at the lower bound −1
    assert [f.code for f in res.flags] == ["boundary"]
    assert "rho = -0.99999" in res.flags[0].message
    s = res.summary()
    assert "WARNING: this fit is flagged" in s and "[boundary] rho = -0.99999" in s
    td = res.tidy()
    assert td.attrs["flags"] == [("boundary", res.flags[0].message)]
    with pytest.warns(FitWarning, match="flagged fit"):
        eff = res.effects(method="delta")
    assert eff.attrs["flags"] == td.attrs["flags"]
    js = json.loads(json.dumps({"flags": flags_to_json(res)}))
    assert js["flags"] == [{"code": "boundary", "message": res.flags[0].message}]
    # what the report's models stage stores for every fit (numbers[...]["info"]) keeps the code
    from spatialnqpf.report.writers.common import jsonable
    assert jsonable(dict(res.info))["flags"] == "boundary"


def test_interior_fit_is_clean():
    res = _fit(5.0)
    assert -0.999 < res.params["rho"] < -0.9 and res.flags == ()
    assert "WARNING" not in res.summary() and res.tidy().attrs["flags"] == []
    assert flags_to_json(res) == [] and flags_to_json(None) == []


def test_flags_to_json_accepts_pairs():
    assert flags_to_json([Flag("not_converged", "m"), ("boundary", "b")]) == [
        {"code": "not_converged", "message": "m"}, {"code": "boundary", "message": "b"}]


def test_sac_optimiser_stopped_early_is_flagged_not_converged(monkeypatch):
    """L-BFGS-B stopping at maxiter with a small gradient used to return a clean-looking fit."""
    df, g = _ring_panel(5.0)
    df = df[df.year == 2000]
    real = cs.optimize.minimize

    def stopped(*a, **k):
        r = real(*a, **k)
        r.success = False
        r.message = "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"
        r.jac = np.zeros_like(r.x)
        return r

    monkeypatch.setattr(cs.optimize, "minimize", stopped)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.warns(FitWarning, match="not_converged"):
            res = cs.spatial_cross_section(df, "y", ["x"], g, id="id", model="sac")
    assert "not_converged" in [f.code for f in res.flags]
    assert "ITERATIONS REACHED LIMIT" in res.summary()
