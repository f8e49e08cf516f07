"""Regression tests of issue 12: silent wrong results, internal crashes, messages that must
say what to do.  Each case asserts the named error (a ``SpatialNQPFError`` subclass) and that
its message names the offending value, or the now-correct value."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from libpysal.graph import Graph

from spatialnqpf import autocorrelation as ac
from spatialnqpf import datasets, dynamics as dyn, index, inequality as ineq, regions
from spatialnqpf import weights as wts
from spatialnqpf._validation import (ArgumentError, DataError, IdMismatchError, SpatialNQPFError,
                                     WeightsError, check_weights)
from spatialnqpf.models import spatial_panel
from spatialnqpf.regions import UnknownRegionError


@pytest.fixture(scope="module")
def panel():
    return datasets.load_demo_panel()


@pytest.fixture(scope="module")
def y20(panel):
    return panel[panel.year == 2020].reset_index(drop=True)


@pytest.fixture(scope="module")
def w31(panel):
    return wts.contiguity(ids=panel.code.unique())


# ------------------------------------------------------------------------------ regions
@pytest.mark.parametrize("label", ["海南省", "吉林省", "内蒙古自治区"])
def test_province_name_at_city_level_is_an_error(label):
    """'海南省' used to return 632500 (海南藏族自治州, Qinghai), '吉林省' 220200 (吉林市)."""
    with pytest.raises(UnknownRegionError, match=re.escape(repr(label))) as exc:
        regions.normalize(label, level="city")
    assert "level='province'" in str(exc.value)


def test_city_names_still_work():
    assert regions.normalize(["海南", "吉林", "北京市"], level="city") == [632500, 220200, 110100]


def test_coerce_gives_nullable_int_not_float():
    out = regions.normalize(pd.Index(["11", "xx", "北京"]), errors="coerce")
    assert str(out.dtype) == "Int64" and out.tolist()[0] == 11 and out.tolist()[2] == 11
    assert pd.isna(out[1])
    assert regions.normalize(pd.Index(["11", "12"])).dtype == "int64"


@pytest.mark.parametrize("value, shown", [("፩፩", "'፩፩'"), ([["a"]], "['a']"),
                                          ([pd.NA, "xx"], "<NA>")])
def test_bad_labels_are_named_not_crashes(value, shown):
    with pytest.raises(UnknownRegionError, match=re.escape(shown)):
        regions.normalize(value)


def test_na_with_coerce_and_containers():
    assert regions.normalize([pd.NA, "xx", pd.NA, "11"], errors="coerce") == [None, None, None, 11]
    with pytest.raises(UnknownRegionError, match="got a dict"):
        regions.normalize({"a": 1})


def test_abbreviation_and_hints():
    assert regions.normalize("内蒙") == 15
    with pytest.raises(UnknownRegionError, match="national-total row"):
        regions.normalize(["北京", "全国"])
    with pytest.raises(UnknownRegionError, match="did you mean: 'Beijng' -> 北京市 / Beijing"):
        regions.normalize(["Beijng"])


# ------------------------------------------------------------------------------ ids
def test_mixed_id_types_are_refused(y20):
    d = y20[["code", "gdp", "rd_exp_total"]].copy()
    d["code"] = d["code"].astype(object)
    d.loc[0, "code"] = "11"
    with pytest.raises(DataError, match=r"mix types .*'11'"):
        index.entropy_topsis(d, {"gdp": 1, "rd_exp_total": 1}, time=None)


def test_duplicated_column_names_are_named(panel):
    d = panel[["code", "year", "gdp", "gdp"]]
    with pytest.raises(DataError, match="'gdp' appear more than once"):
        ineq.dagum_gini_by_year(d, "gdp")


def test_multiindex_and_cross_section_hints(panel, y20, w31):
    with pytest.raises(DataError, match=r"reset_index\(\)"):
        ineq.dagum_gini_by_year(panel.set_index(["code", "year"]), "gdp")
    with pytest.raises(DataError, match="time=None"):
        ac.moran_by_year(y20.drop(columns="year"), "gdp", w31, permutations=0)


# ------------------------------------------------------------------------------ index
@pytest.mark.parametrize("shift", [1e12, 7e7, 2.0])
def test_entropy_shift_relative_to_the_range(panel, shift):
    """1e12 used to give NaN weights, 7e7 weights [1, -0]."""
    with pytest.raises(DataError, match=re.escape(f"shift = {shift:g}")):
        index.entropy_weights(panel[["gdp", "rd_exp_total"]], {"gdp": 1, "rd_exp_total": 1},
                              shift=shift)
    w = index.entropy_weights(panel[["gdp", "rd_exp_total"]], {"gdp": 1, "rd_exp_total": 1},
                              shift=0.5)
    assert np.isfinite(w).all() and (w > 0).all() and w.sum() == pytest.approx(1)


def test_tiny_magnitudes_give_the_same_weights(panel):
    fr = panel[["gdp", "rd_exp_total"]]
    d = {"gdp": 1, "rd_exp_total": 1}
    np.testing.assert_allclose(index.entropy_weights(fr * 1e-160, d), index.entropy_weights(fr, d),
                               rtol=1e-10)


@pytest.mark.parametrize("alpha", ["x", 1.5, True])
def test_topsis_alpha_checked(panel, alpha):
    with pytest.raises(DataError, match=re.escape(f"got {alpha!r}")):
        index.entropy_topsis(panel, {"gdp": 1, "rd_exp_total": 1}, alpha=alpha)


# ------------------------------------------------------------------------------ dynamics
def test_markov_cutoffs_must_match_k(panel):
    with pytest.raises(DataError, match=r"\[5.0\] define 2 classes but k=4"):
        dyn.markov(panel, "gdp", k=4, cutoffs=[5.0])
    with pytest.raises(DataError, match="nan"):
        dyn.markov(panel, "gdp", k=3, cutoffs=[np.nan, 5])
    with pytest.raises(ArgumentError, match="2.5"):
        dyn.markov(panel, "gdp", k=2.5)
    med = float(panel.gdp.median())
    r = dyn.markov(panel, "gdp", k=2, cutoffs=[med])
    assert r.P.shape == (2, 2)


def test_spatial_markov_refuses_merged_classes(panel, w31):
    """Tied data: giddy silently fell to fewer classes where markov raises."""
    d = panel.assign(v=np.where(panel.gdp > panel.gdp.quantile(0.8), 2.0, 1.0))
    with pytest.raises(DataError, match="distinct quantile classes"):
        dyn.markov(d, "v", k=4)
    with pytest.raises(DataError, match=r"k=4"):
        dyn.spatial_markov(d, "v", w31, k=4)


def test_beta_convergence_periods(panel):
    r = dyn.beta_convergence(panel.assign(year=panel.year.astype(str)), "gdp")
    ref = dyn.beta_convergence(panel, "gdp")
    assert r.params.iloc[0] == pytest.approx(ref.params.iloc[0], rel=1e-12)
    with pytest.raises(DataError, match="2012"):
        dyn.beta_convergence(panel[panel.year == 2012], "gdp")
    with pytest.raises(DataError, match="tau = 11"):
        dyn.beta_convergence(panel, "gdp", tau=11)
    with pytest.raises(DataError, match="collinear.*'c1', 'c2'"):
        c1 = np.random.default_rng(0).normal(size=len(panel))
        dyn.beta_convergence(panel.assign(c1=c1, c2=2 * c1 + 1), "gdp", controls=["c1", "c2"])


def test_sigma_convergence_small(panel):
    with pytest.raises(DataError, match="fewer than 2 units"):
        dyn.sigma_convergence(panel[panel.code == 11], "gdp")
    with pytest.warns(RuntimeWarning, match="at least 3"):
        dyn.sigma_convergence(panel[panel.year.isin([2012, 2013])], "gdp", group=False)


# ------------------------------------------------------------------------------ inequality
def test_dagum_n_boot_must_be_a_count(panel):
    with pytest.raises(ArgumentError, match="2.5"):
        ineq.dagum_gini_by_year(panel, "gdp", n_boot=2.5)
    with pytest.raises(ArgumentError, match="-1"):
        ineq.dagum_gini_by_year(panel, "gdp", n_boot=-1)


def test_perfect_equality_is_said(panel):
    with pytest.warns(RuntimeWarning, match="G = 0"):
        tab = ineq.dagum_gini_by_year(panel.assign(gdp=1.0), "gdp").to_frame()
    assert (tab["G"] == 0).all()
    d = panel[["code", "year", "gdp"]].copy()
    d.loc[d.year == 2012, "gdp"] = 5.0
    with pytest.warns(RuntimeWarning, match="year 2012"):
        t = ineq.theil_by_year(d, "gdp")
    assert t.loc[2012, "T"] == 0 and np.isfinite(t.loc[2013, "T_share_w"])


# ------------------------------------------------------------------------------ autocorrelation
def test_weights_names_must_be_distinct(y20, w31):
    with pytest.raises(ArgumentError, match="'1'"):
        ac.moran_by_year(y20, "gdp", {1: w31, "1": w31}, time=None, permutations=0)


def test_getis_ord_single_nonzero(y20, w31):
    d = y20.assign(gdp=np.r_[1.0, np.zeros(len(y20) - 1)])
    with pytest.raises(DataError, match="at least 2 non-zero values; 'gdp' has 1"):
        ac.getis_ord_by_year(d, "gdp", w31, time=None, permutations=0)


def test_all_island_w_with_keep(y20):
    g = Graph.from_dicts({c: {} for c in y20.code})
    with pytest.raises(SpatialNQPFError, match="no links"):
        ac.moran_by_year(y20, "gdp", g, time=None, permutations=0, islands="keep")


@pytest.mark.parametrize("kw, shown", [({"permutations": -1}, "-1"), ({"permutations": 2.5}, "2.5"),
                                       ({"permutations": 9, "seed": "a"}, "'a'")])
def test_permutation_arguments(y20, w31, kw, shown):
    with pytest.raises(ArgumentError, match=re.escape(shown)):
        ac.moran_by_year(y20, "gdp", w31, time=None, **kw)


# ------------------------------------------------------------------------------ weights
def _graph_from(m, ids):
    return Graph.from_sparse(sp.csr_matrix(m), ids=list(ids))


def test_negative_and_infinite_weights_are_refused(y20, w31):
    """Moran's I came out 1.97 with negative weights."""
    m = w31.sparse.toarray().copy()
    m[0, m[0] > 0] *= -1
    with pytest.raises(WeightsError, match=r"negative weights at \(i, j, w_ij\) = \(11, "):
        ac.moran_by_year(y20, "gdp", _graph_from(m, w31.unique_ids), time=None, permutations=0)
    with pytest.raises(WeightsError, match="non-finite"):
        check_weights(sp.csr_matrix(np.array([[0, np.inf], [1, 0]])), ["a", "b"])


def test_spatial_panel_refuses_a_diagonal_like_moran(panel, w31):
    m = w31.sparse.toarray().copy()
    m[0, 0] = 0.5
    with pytest.raises(WeightsError, match=r"w_ii != 0\) for ids 11"):
        spatial_panel(panel, "gdp", ["rd_exp_total"], _graph_from(m, w31.unique_ids),
                      id="code", time="year", model="sar")


def _write(tmp_path, name, text, mode="w"):
    p = tmp_path / name
    if mode == "wb":
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("name, text, err, shown", [
    ("twice.gal", "2\n11 2\n12 12\n12 1\n11\n", DataError, "'12' more than once"),
    ("nolab.csv", "0,1,1\n1,0,1\n1,1,0\n", IdMismatchError, "3 x 3 matrix without id labels"),
    ("head.gal", "abc\n11 1\n12\n", DataError, "'abc'"),
    ("trunc.gal", "2\n11 1\n", DataError, "unit 11 declares 1 neighbours"),
    ("empty.csv", "", DataError, "is empty"),
    ("nan.gwt", "0 2 x id\n11 12 nan\n12 11 1\n", WeightsError, "(11, 12)"),
    ("neg.gwt", "0 2 x id\n11 12 -1\n12 11 1\n", WeightsError, "-1.0"),
    ("bad.xlsx", b"PK\x03\x04garbage", DataError, "bad.xlsx"),
])
def test_malformed_weight_files(tmp_path, name, text, err, shown):
    p = _write(tmp_path, name, text, "wb" if isinstance(text, bytes) else "w")
    with pytest.raises(err, match=re.escape(shown)):
        wts.read(p)


def test_dense_csv_without_labels_with_ids(tmp_path):
    p = _write(tmp_path, "nolab.csv", "0,1,1\n1,0,1\n1,1,0\n")
    g = wts.read(p, ids=[11, 12, 13])
    assert list(g.unique_ids) == [11, 12, 13] and g.sparse.nnz == 6


def test_leading_zero_ids_keep_their_text(tmp_path):
    p = _write(tmp_path, "z.gal", "2\n007 1\n008\n008 1\n007\n")
    assert list(wts.read(p).unique_ids) == ["007", "008"]


# ------------------------------------------------------------------------------ spatial_panel
def _tiny(panel):
    d = panel[panel.code.isin([11, 12, 13]) & panel.year.isin([2012, 2013])]
    g = Graph.from_dicts({11: {12: 1, 13: 1}, 12: {11: 1, 13: 1}, 13: {11: 1, 12: 1}}).transform("r")
    return d, g


@pytest.mark.parametrize("model", ["sar", "sdm", "sac"])
def test_too_few_observations(panel, model):
    d, g = _tiny(panel)
    with pytest.raises(DataError, match=r"N = 3 units x T = 2 periods leave 2 effective"):
        spatial_panel(d, "gdp", ["rd_exp_total", "gfcf"], g, id="code", time="year", model=model)


@pytest.mark.parametrize("x, shown", [(["a", "W_a"], "'W_a'"), (["rho"], "'rho'")])
def test_regressor_names_clashing_with_parameters(panel, w31, x, shown):
    d = panel.assign(W_a=panel.gfcf, a=panel.rd_exp_total, rho=panel.gfcf)
    with pytest.raises(DataError, match=re.escape(shown)):
        spatial_panel(d, "gdp", x, w31, id="code", time="year", model="sdm")


def test_extreme_magnitudes_refused_with_the_reason(panel, w31):
    with pytest.raises(DataError, match=r"'gdp' has values of magnitude 1\.\d+e\+155.*rescale"):
        spatial_panel(panel.assign(gdp=panel.gdp * 1e150), "gdp", ["rd_exp_total"], w31,
                      id="code", time="year", model="sar")


# ------------------------------------------------------------------------------ scale-aware
def test_thresholds_are_scale_aware(panel, w31):
    """y x 1e-13 was called constant; x2 = 2x + 1e-9 noise 'perfectly collinear'."""
    d = panel[["code", "year", "gdp", "rd_exp_total"]].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = spatial_panel(d, "gdp", ["rd_exp_total"], w31, id="code", time="year", model="sar")
        small = spatial_panel(d.assign(gdp=d.gdp * 1e-13), "gdp", ["rd_exp_total"], w31,
                              id="code", time="year", model="sar")
        assert small.params["rho"] == pytest.approx(ref.params["rho"], abs=1e-6)
        assert small.params["rd_exp_total"] == pytest.approx(ref.params["rd_exp_total"] * 1e-13,
                                                             rel=1e-6)
        noise = np.random.default_rng(0).normal(size=len(d)) * d.rd_exp_total.std()
        near = spatial_panel(d.assign(x2=2 * d.rd_exp_total + 1e-9 * noise), "gdp",
                             ["rd_exp_total", "x2"], w31, id="code", time="year", model="sar")
        assert np.isfinite(near.params).all()
    with pytest.raises(DataError, match=r"perfectly collinear .*'rd_exp_total', 'x2'"):
        spatial_panel(d.assign(x2=2 * d.rd_exp_total), "gdp", ["rd_exp_total", "x2"], w31,
                      id="code", time="year", model="sar")


def test_exact_fit_is_a_data_error_not_convergence(panel, w31):
    """An exact SEM fit was reported as ConvergenceError 'Solution found'."""
    d = panel[["code", "year", "rd_exp_total"]].assign(gdp=3 * panel.rd_exp_total)
    with pytest.raises(DataError, match=r"'gdp' is an exact linear function of .*'rd_exp_total'"):
        spatial_panel(d, "gdp", ["rd_exp_total"], w31, id="code", time="year", model="sem")


def test_theil_zero_mean_group_contributes_zero():
    with pytest.warns(RuntimeWarning, match="'z' have mean zero"):
        r = ineq.theil([0.0, 0, 3, 4], ["z", "z", "b", "b"], index="T")
    full = ineq.theil([3.0, 4], index="T")  # zero incomes add nothing to T but count in mu
    mu = 7 / 4
    want = (3 * np.log(3 / mu) + 4 * np.log(4 / mu)) / (4 * mu)
    assert r.T == pytest.approx(want, rel=1e-13) and r.T_w + r.T_b == pytest.approx(r.T)
    assert full.T < r.T
    with pytest.raises(DataError, match="zeros"):
        ineq.theil([0.0, 0, 3, 4], ["z", "z", "b", "b"], index="both")


@pytest.mark.parametrize("scale", [1e-160, 1e160, 1e306])
def test_extreme_magnitudes_in_autocorrelation_and_cv(y20, w31, scale):
    """Scale-invariant statistics gave NaN or wrong values at 1e±160 and 1e306."""
    base = y20.assign(v=y20.gdp / y20.gdp.max())
    big = base.assign(v=base.v * scale)
    for fn in (ac.moran_by_year, ac.geary_by_year, ac.getis_ord_by_year):
        a = fn(base, "v", w31, time=None, permutations=0).to_frame().iloc[0]
        b = fn(big, "v", w31, time=None, permutations=0).to_frame().iloc[0]
        for c in a.index:
            if isinstance(a[c], float) and np.isfinite(a[c]):
                assert b[c] == pytest.approx(a[c], rel=1e-9), (fn.__name__, c)
    assert ineq.cv(big.v) == pytest.approx(ineq.cv(base.v), rel=1e-12)


# ------------------------------------------------------------------------------ effects, files
def test_point_effects_without_inference(panel, w31):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = spatial_panel(panel, "gdp", ["rd_exp_total"], w31, id="code", time="year",
                            model="sdm")
    pt = res.effects(method="none")
    assert list(pt.columns[:3]) == ["direct", "indirect", "total"] and "direct_se" not in pt
    full = res.effects(method="delta")
    np.testing.assert_allclose(pt[["direct", "indirect", "total"]],
                               full[["direct", "indirect", "total"]], rtol=1e-12)
    with pytest.raises(ArgumentError, match="2.5"):
        res.effects(nsim=2.5)


def test_lisa_bv_says_what_to_do(y20, w31):
    with pytest.raises(ArgumentError, match="permutations=99"):
        ac.lisa_bv(y20, "gdp", "rd_exp_total", w31, time=None, permutations=0)


@pytest.mark.parametrize("name, content, shown", [
    ("empty.csv", b"", "is empty"), ("bad.xlsx", b"PK\x03\x04junk", "bad.xlsx"),
    ("bad.csv", b'a,b\n"1,2\n', "bad.csv")])
def test_malformed_data_files(tmp_path, name, content, shown):
    from spatialnqpf.report.config import read_table
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(DataError, match=re.escape(shown)):
        read_table(p)


def test_unknown_sheet_is_named(tmp_path):
    from spatialnqpf.report.config import read_table
    p = tmp_path / "d.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(p, index=False, sheet_name="data")
    with pytest.raises(DataError, match=r"no sheet 'dat'.*'data'"):
        read_table(p, sheet="dat")


# ------------------------------------------------------------------------------ more messages
def test_panel_lm_tests_small_or_constant(panel, w31):
    from spatialnqpf.models._panel_tests import panel_lm_tests
    d2 = panel[panel.code.isin([11, 12])]
    g2 = Graph.from_dicts({11: {12: 1.0}, 12: {11: 1.0}})
    with pytest.raises(DataError, match=r"at least 3 units; 'code' has 2 \(11, 12\)"):
        panel_lm_tests(d2, "gdp", ["rd_exp_total"], g2, id="code", time="year")
    with pytest.raises(DataError, match="'gdp' does not vary"):
        panel_lm_tests(panel.assign(gdp=1.0), "gdp", ["rd_exp_total"], w31, id="code", time="year")


def test_string_group_keys_vs_int_ids(panel):
    groups = {str(c): ("a" if c < 40 else "b") for c in panel.code.unique()}
    with pytest.raises(DataError, match=r"keys are strings \(e.g. '11'\) but the ids are numbers"):
        ineq.dagum_gini_by_year(panel, "gdp", group=groups)


def test_numbers_stored_as_text_show_a_cell(panel):
    with pytest.raises(DataError, match=r"stored as text, e.g. \[\{'code': 11, 'year': 2012, "
                                        r"'gdp': '17879.4'\}"):
        ineq.dagum_gini_by_year(panel.assign(gdp=panel.gdp.astype(str)), "gdp")


def test_index_missing_argument_type(panel):
    with pytest.raises(DataError, match="got 3"):
        index.entropy_topsis(panel, {"gdp": 1, "rd_exp_total": 1}, missing=3)


@pytest.mark.parametrize("scale", [1e-160, 1e160])
def test_extreme_magnitudes_lisa_and_cross_section(y20, w31, scale):
    from spatialnqpf.models import cross_section as cs
    a = ac.lisa(y20, "gdp", w31, time=None, permutations=0).to_frame()
    b = ac.lisa(y20.assign(gdp=y20.gdp * scale), "gdp", w31, time=None, permutations=0).to_frame()
    np.testing.assert_allclose(b["Ii"], a["Ii"], rtol=1e-9)
    np.testing.assert_allclose(b["value"], a["value"] * scale, rtol=1e-12)
    with pytest.raises(DataError, match="'gdp' has values of magnitude .*rescale"):
        cs.spatial_cross_section(y20.assign(gdp=y20.gdp * scale), "gdp", ["rd_exp_total"], w31,
                                 id="code", model="sar")
