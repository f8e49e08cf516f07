"""The shared result base (spatialnqpf._results) by hand-worked values, the model taxonomy and the seed convention."""
import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spatialnqpf._results import (TIDY_COLUMNS, EstimationResults, FitWarning, Flag, Results,
                                  stars, tidy_from_arrays)
from spatialnqpf._validation import as_generator
from spatialnqpf.models import _taxonomy as tx
from spatialnqpf.models.results import SpatialResults, boundary_flags


@dataclasses.dataclass(eq=False, repr=False)
class _Table(Results):
    table: pd.DataFrame
    arr: np.ndarray
    meta: dict
    _title = "A table"

    def to_frame(self):
        return self.table


class _Fit(EstimationResults):
    _title = "A fit"

    def __init__(self, params, cov, df_resid=None, flags=()):
        self._init_estimates(params, cov, df_resid=df_resid, flags=flags)
        self._freeze()


def test_dataclass_result_is_frozen_and_returns_copies():
    r = _Table(pd.DataFrame({"a": [1.0, 2.0]}), np.arange(3.0), {"k": 1})
    with pytest.raises(AttributeError, match="read-only"):
        r.table = None
    with pytest.raises(AttributeError, match="read-only"):
        del r.arr
    t = r.table
    t.iloc[0, 0] = 99.0
    assert r.table.iloc[0, 0] == 1.0
    with pytest.raises(ValueError):
        r.arr[0] = 5.0
    with pytest.raises(TypeError):
        r.meta["k"] = 2
    assert "A table" in r.summary() and str(r) == r.summary()
    html = r._repr_html_()
    assert "<table" in html and "A table" in html


def test_html_escapes_user_strings():
    r = _Table(pd.DataFrame({"<script>x</script>": [1.0]}), np.zeros(1), {})
    assert "<script>" not in r._repr_html_()


def test_estimation_tidy_columns_and_values():
    # hand-worked: estimate 2, se 0.5 -> z = 4, p = 2*(1-Phi(4)), CI 2 +- 1.959964*0.5
    p = pd.Series([2.0, -1.0], index=["a", "b"])
    cov = pd.DataFrame(np.diag([0.25, 1.0]), index=p.index, columns=p.index)
    f = _Fit(p, cov)
    t = f.tidy()
    assert tuple(t.columns) == TIDY_COLUMNS
    np.testing.assert_array_equal(t["estimate"].to_numpy(), f.params.to_numpy())
    assert t.loc[0, "statistic"] == 4.0
    assert t.loc[0, "p_value"] == pytest.approx(2 * stats.norm.sf(4.0), rel=1e-12)
    assert t.loc[0, "conf_low"] == pytest.approx(2 - 1.959963984540054 * 0.5, rel=1e-12)
    # Student t with df
    f2 = _Fit(p, cov, df_resid=10)
    assert f2.tidy().loc[1, "p_value"] == pytest.approx(2 * stats.t.sf(1.0, 10), rel=1e-12)
    assert f2.to_frame().columns.tolist() == ["coef", "se", "t", "p"]
    assert t.attrs["flags"] == []


def test_degenerate_se_is_flagged_with_warning():
    p = pd.Series([1.0, 1.0], index=["a", "b"])
    cov = pd.DataFrame(np.diag([1.0, 0.0]), index=p.index, columns=p.index)
    with pytest.warns(FitWarning, match="degenerate_se"):
        f = _Fit(p, cov)
    assert [fl.code for fl in f.flags] == ["degenerate_se"]
    assert "b" in f.flags[0].message
    assert "WARNING" in f.summary()
    assert f.tidy().attrs["flags"][0][0] == "degenerate_se"


def test_boundary_flags():
    p = pd.Series([0.5, 0.99995], index=["x", "rho"])
    fl = boundary_flags(p, {"rho": (-1.0, 1.0)})
    assert len(fl) == 1 and fl[0].code == "boundary"
    assert boundary_flags(pd.Series([0.5], index=["rho"]), {"rho": (-1.0, 1.0)}) == []


def test_spatial_results_flagged_at_bound():
    p = pd.Series([1.0, 0.99999], index=["x", "rho"])
    cov = pd.DataFrame(np.eye(2) * 0.01, index=p.index, columns=p.index)
    r = SpatialResults(p, cov, 1.0, -10.0, 20, "sar", bounds={"rho": (-1.0, 1.0)})
    assert r.flags and r.flags[0].code == "boundary"
    assert "boundary" in r.info["flags"]
    assert "WARNING" in r.summary()
    assert r.tidy().attrs["flags"][0][0] == "boundary"
    with pytest.raises(AttributeError):
        r.sigma2 = 2.0


def test_stars_and_tidy_from_arrays():
    assert [stars(x) for x in (0.001, 0.03, 0.07, 0.2, np.nan)] == ["***", "**", "*", "", ""]
    t = tidy_from_arrays(["a"], [1.0], [0.5], df=5)
    assert tuple(t.columns) == TIDY_COLUMNS
    assert Flag("boundary", "m").code == "boundary"


def test_taxonomy():
    assert tx.normalise_fe("both") == "twoways" and tx.normalise_fe(None) == "none"
    assert tx.normalise_fe("Unit") == "individual"
    with pytest.raises(ValueError, match="fe must be one of"):
        tx.normalise_fe("random")
    assert set(tx.LAG_MODELS) == {"sar", "sdm", "sac"}
    assert set(tx.DURBIN_MODELS) == {"slx", "sdm", "sdem"}
    assert set(tx.ERROR_MODELS) == {"sem", "sdem"}
    with pytest.raises(ValueError, match="model must be one of"):
        tx.normalise_model("sarar")
    assert tx.model_label("sdm", "zh") == "空间杜宾模型"
    from spatialnqpf.models import cross_section, panel
    assert panel.ConvergenceError is cross_section.ConvergenceError is tx.ConvergenceError


def test_as_generator_convention():
    a = as_generator(0, key=(2020, "x")).random(3)
    b = as_generator(0, key=(2020, "x")).random(3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, as_generator(0, key=(2021, "x")).random(3))
    assert as_generator(0).random() == np.random.default_rng(0).random()
    g = np.random.default_rng(1)
    assert as_generator(g) is g
    for bad in (True, 1.5, "1"):
        with pytest.raises(TypeError, match="seed must be"):
            as_generator(bad)
    with pytest.raises(ValueError, match="non-negative"):
        as_generator(-1)
