"""Every result object is on the one protocol (spatialnqpf._results): frozen, copies out,
``to_frame``/``summary``/``_repr_html_``; every estimation result has ``tidy()`` with the fixed
columns and ``estimate == params``.

One small instance of every public result class is built from the bundled demo panel (5 years,
31 provinces, k-nearest-neighbour W) so that the whole file stays within a few seconds of fits.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import autocorrelation as ac
from spatialnqpf import datasets, dynamics as dyn, index as ix, inequality as ineq, weights
from spatialnqpf._results import TIDY_COLUMNS, EstimationResults, Results
from spatialnqpf.models import compare, robustness, spatial_cross_section, spatial_panel

YEARS = range(2018, 2023)



@pytest.fixture(scope="module")
def panel():
    return datasets.load_demo_panel(years=YEARS)


@pytest.fixture(scope="module")
def w():
    return weights.knn(k=4)


@pytest.fixture(scope="module")
def results(panel, w):
    col = "rd_intensity"
    ind = ix.demo_indicators(panel)
    cols = ["rd_intensity", "rd_personnel_per_gdp", "invention_grants_per_gdp", "hitech_revenue_per_gdp"]
    idx = ix.entropy_topsis(ind[["code", "year", *cols]], {c: 1 for c in cols[:3]} | {cols[3]: -1},
                            pillars={"tech": cols[:3], "green": cols[3:]})
    last = panel[panel.year == 2022]
    sar = spatial_cross_section(last, col, ["share_secondary"], w, time="year", model="sar",
                                tests=False)
    sdm = sar.spec.replace(model="sdm").fit()
    psar = spatial_panel(panel, col, ["share_secondary"], w, model="sar", fe="individual")
    beta = dyn.beta_convergence(panel, col)
    scores = idx.pillar_scores if hasattr(idx, "pillar_scores") else None
    out = {
        "IndexResult": idx,
        "ObstacleResult": idx.obstacles(),
        "GlobalAutocorrelation": ac.moran_by_year(panel, col, w, permutations=0),
        "LisaResult": ac.lisa(panel, col, w, permutations=99),
        "DagumResult": ineq.dagum_gini(last[col].to_numpy(), np.repeat(["a", "b"], [15, 16])),
        "DagumPanelResult": ineq.dagum_gini_by_year(panel, col),
        "TheilResult": ineq.theil(last[col].to_numpy(), np.repeat(["a", "b"], [15, 16])),
        "NestedTheilResult": ineq.theil_nested(last[col].to_numpy(), np.repeat(["a", "b"], [15, 16]),
                                               np.repeat(["a1", "a2", "b1", "b2"], [7, 8, 8, 8])),
        "KernelDensityResult": dyn.kernel_density_by_year(panel, col, n_grid=32),
        "MarkovResult": dyn.markov(panel, col),
        "SpatialMarkovResult": dyn.spatial_markov(panel, col, w),
        "SigmaResult": dyn.sigma_convergence(panel, col),
        "BetaResult": beta,
        "WeightsDescription": weights.describe(w),
        "SpatialResults (cross-section)": sar,
        "SpatialResults (panel)": psar,
        "ComparisonResult": compare({"SAR": sar, "SDM": sdm}),
        "RobustnessResult": robustness(panel, col, ["share_secondary"], {"knn4": w}, model="sar",
                                       fe="individual", effects=False),
    }
    if scores is not None and isinstance(scores, pd.DataFrame) and scores.shape[1] >= 2:
        out["CouplingResult"] = ix.coupling_coordination(scores)
    return out


def _public_frames(res):
    for name in dir(res):
        if name.startswith("_"):
            continue
        try:
            v = getattr(res, name)
        except Exception:  # noqa: BLE001 - properties that need arguments or effects
            continue
        if isinstance(v, (pd.DataFrame, pd.Series)) and len(v):
            yield name, v


def test_every_result_is_on_the_protocol(results):
    assert len(results) >= 18
    for name, res in results.items():
        assert isinstance(res, Results), name
        assert isinstance(res.to_frame(), pd.DataFrame), name
        assert isinstance(res.summary(), str) and str(res) == res.summary(), name
        assert isinstance(res._repr_html_(), str), name
        assert isinstance(res.flags, tuple), name


def _poke(obj) -> bool:
    """Change the first cell of a frame/series in place (True when it could be changed)."""
    col = obj.iloc[:, 0] if isinstance(obj, pd.DataFrame) else obj
    v = col.iloc[0]
    if pd.api.types.is_bool_dtype(col):
        new = not v
    elif pd.api.types.is_integer_dtype(col):
        new = int(v) + 1
    elif pd.api.types.is_float_dtype(col):
        new = 12345.0
    elif pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
        new = "changed"
    else:
        return False
    if isinstance(obj, pd.DataFrame):
        obj.iloc[0, 0] = new
    else:
        obj.iloc[0] = new
    return True


def test_every_result_is_frozen_and_copies_out(results):
    total = 0
    for name, res in results.items():
        attrs = [a for a in vars(res) if not a.startswith("_")] or ["anything"]
        for a in attrs[:3] + ["new_attribute"]:
            with pytest.raises(AttributeError):
                setattr(res, a, None)
        with pytest.raises(AttributeError):
            del res.new_attribute
        n = 0
        for attr, frame in _public_frames(res):
            before = getattr(res, attr).copy()
            if not _poke(frame):
                continue
            after = getattr(res, attr)
            pd.testing.assert_frame_equal(after, before) if isinstance(after, pd.DataFrame) \
                else pd.testing.assert_series_equal(after, before)
            n += 1
        frame = res.to_frame()
        if _poke(frame):
            assert not res.to_frame().equals(frame), name
        total += n
    assert total >= 15  # frames really were read and changed


def test_tidy_on_every_estimation_result(results):
    est = {k: r for k, r in results.items() if isinstance(r, EstimationResults)}
    assert {"BetaResult", "SpatialResults (cross-section)", "SpatialResults (panel)"} <= set(est)
    for name, res in est.items():
        t = res.tidy()
        assert tuple(t.columns) == TIDY_COLUMNS, name
        np.testing.assert_array_equal(t["estimate"].to_numpy(), res.params.to_numpy())
        assert list(t["term"]) == list(res.params.index), name
        np.testing.assert_array_equal(t["std_error"].to_numpy(), res.bse.to_numpy())
        np.testing.assert_allclose(t["p_value"].to_numpy(), res.pvalues.to_numpy(), rtol=1e-12)
        # to_frame of estimation results: one spelling, coef / se / t / p
        assert list(res.to_frame().columns) == ["coef", "se", "t", "p"], name


def test_beta_result_numbers_unchanged(results, panel):
    """BetaResult on the protocol: the same numbers as the regression it reports (an OLS of
    the within-transformed growth on the within-transformed log level)."""
    b = results["BetaResult"]
    assert b.r2 == b.r2_within
    assert b.pvalues.iloc[0] == pytest.approx(
        2 * __import__("scipy").stats.t.sf(abs(b.params.iloc[0] / b.bse.iloc[0]), b.df_resid),
        rel=1e-12)
