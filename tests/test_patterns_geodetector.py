"""patterns.geodetector against R GD 10.8 / geodetector 1.0-5 (tests/reference/geodetector_*)."""
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spatialnqpf import patterns
from spatialnqpf._geodetector import breaks, cut, jenks_breaks
from spatialnqpf._validation import DataError

REF = Path(__file__).parent / "reference"
DATA = pd.read_csv(REF / "geodetector_data.csv")
OPGD = {"x1": "opgd", "x2": "opgd", "x3": "opgd"}


@pytest.fixture(scope="module")
def res():
    return patterns.geodetector(DATA, "y", ["x1", "x2", "x3", "c1", "c2", "c3"],
                                discretize=OPGD)


def test_opgd_choice_and_q_table_equal_gd(res):
    ref = pd.read_csv(REF / "geodetector_gd_opgd.csv").set_index("factor")
    d = res.discretization.set_index("factor")
    for f in ["x1", "x2", "x3"]:
        assert d.loc[f, "method"] == "opgd:" + ref.loc[f, "method"]
        assert d.loc[f, "k"] == ref.loc[f, "k"]
        want = np.array(ref.loc[f, "breaks"].split(";"), float)
        np.testing.assert_allclose(d.loc[f, "breaks"], want, rtol=0, atol=1e-12)
    qm = pd.read_csv(REF / "geodetector_gd_opgd_q.csv")
    for f in ["x1", "x2", "x3"]:
        got = res.opgd[(f, None)]
        want = qm[qm.factor == f].pivot(index="k", columns="method", values="q")[got.columns]
        assert (np.isnan(got.to_numpy()) == np.isnan(want.to_numpy())).all()
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=0, atol=1e-12)


def test_factor_detector_equals_gd(res):
    ref = pd.read_csv(REF / "geodetector_gd_factor.csv").set_index("factor")
    got = res.factor.set_index("factor").loc[ref.index]
    for c in ["q", "F", "lambda"]:
        np.testing.assert_allclose(got[c], ref[c], rtol=1e-10, atol=1e-12)
    assert (got.df1 == ref.df1).all() and (got.df2 == ref.df2).all()
    # R's pf(ncp=) is good to ~1e-9 absolute only (x1: off by 4.8e-10, 1.5e-4 relative)
    np.testing.assert_allclose(got.p_value, ref.p_value, rtol=0, atol=1e-9)
    # x1 to 40 digits with mpmath: sum_j Pois(j; lam/2) I_x(d1/2 + j, d2/2),
    # x = d1 F / (d1 F + d2) (F, lam as recorded from R)
    assert got.p_value["x1"] == pytest.approx(3.132443890345612678587654712e-06, rel=1e-12)


def test_one_unit_strata_kept_as_r_geodetector(res):
    ref = pd.read_csv(REF / "geodetector_r_geodetector_c3.csv").iloc[0]
    row = res.factor.set_index("factor").loc["c3"]
    assert row.n_strata == 5
    assert row.q == pytest.approx(ref.q, rel=1e-12)


def test_interaction_q_and_types(res):
    ref = pd.read_csv(REF / "geodetector_r_geodetector_interaction.csv")
    got = res.interaction.set_index(["factor_a", "factor_b"])
    for r in ref.itertuples():
        g = got.loc[(r.factor_a, r.factor_b)]
        assert g.q_ab == pytest.approx(r.q_ab, rel=1e-10)
    # where no crossed stratum has one unit, GD's gdinteract must agree in q and type
    gd = pd.read_csv(REF / "geodetector_gd_interaction.csv").set_index(["var1", "var2"])
    agree = ref[ref.min_cell >= 2]
    assert len(agree) >= 2
    for r in agree.itertuples():
        if (r.factor_a, r.factor_b) in gd.index:
            g, w = got.loc[(r.factor_a, r.factor_b)], gd.loc[(r.factor_a, r.factor_b)]
            assert g.q_ab == pytest.approx(w.qv12, rel=1e-10)
            assert g.type == w.interaction
    types = gd.interaction
    mine = got.loc[types.index, "type"]
    # GD drops one-unit crossed strata: only x1-c1 changes type on this data
    differ = mine[mine != types].index.tolist()
    assert differ == [("x1", "c1")]


def test_interaction_type_boundaries():
    from spatialnqpf._geodetector import interaction_type as it
    assert it(.3, .2, .1) == "Weaken, nonlinear"
    assert it(.3, .2, .2) == "Weaken, uni-"
    assert it(.3, .2, .3) == "Weaken, uni-"
    assert it(.3, .2, .4) == "Enhance, bi-"
    assert it(.25, .5, .75) == "Independent"
    assert it(.3, .2, .6) == "Enhance, nonlinear"


def test_risk_welch_equals_gd(res):
    ref = pd.read_csv(REF / "geodetector_gd_risk.csv")
    ref = ref[ref.factor == "c1"]
    got = res.risk[res.risk.factor == "c1"].set_index(["stratum_a", "stratum_b"])
    for r in ref.itertuples():
        g = got.loc[(r.itv1, r.itv2)]
        assert g.t == pytest.approx(r.t, rel=1e-10)
        assert g.df == pytest.approx(r.df, rel=1e-10)
        assert g.p_value == pytest.approx(r.sig, rel=1e-8)
    means = res.risk_means[res.risk_means.factor == "c1"].set_index("stratum")["mean"]
    np.testing.assert_allclose(means, DATA.groupby("c1").y.mean(), rtol=1e-13)
    # no t-test involves a one-unit stratum of c3
    r3 = res.risk[res.risk.factor == "c3"]
    assert not ({"s", "t"} & set(r3.stratum_a) | {"s", "t"} & set(r3.stratum_b))


def test_ecological_formula(res):
    y = DATA.y.to_numpy()

    def ssw(col):
        return sum(((g - g.mean()) ** 2).sum() for _, g in DATA.groupby(col).y)

    row = res.ecological.set_index(["factor_a", "factor_b"]).loc[("c1", "c2")]
    F = ssw("c1") / ssw("c2")
    assert row.F == pytest.approx(F, rel=1e-12)
    n = y.size
    assert row.p_value == pytest.approx(2 * min(stats.f.cdf(F, n - 1, n - 1),
                                                stats.f.sf(F, n - 1, n - 1)), rel=1e-12)


def test_noncentral_p_by_hand():
    y = np.array([1., 2., 3., 6., 7., 9., 4., 4.5])
    c = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    r = patterns.geodetector(pd.DataFrame({"y": y, "c": c}), "y", ["c"]).factor.iloc[0]
    m = np.array([2., 22 / 3, 4.25])
    nh = np.array([3, 3, 2])
    sst = ((y - y.mean()) ** 2).sum()
    ssw = ((y[:3] - 2) ** 2).sum() + ((y[3:6] - 22 / 3) ** 2).sum() + 0.125
    q = 1 - ssw / sst
    lam = ((m ** 2).sum() - (np.sqrt(nh) * m).sum() ** 2 / 8) / (sst / 8)
    F = 5 * q / (2 * (1 - q))
    assert r.q == pytest.approx(q, rel=1e-13)
    assert r["lambda"] == pytest.approx(lam, rel=1e-13)
    assert r.p_value == pytest.approx(stats.ncf.sf(F, 2, 5, lam), rel=1e-12)


def test_manual_breaks_and_methods():
    x = DATA.x3.to_numpy()
    e = [0.0, 2.5, 5.0, 10.0]
    r = patterns.geodetector(DATA, "y", ["x3"], discretize={"x3": e})
    codes = cut(x, e)
    assert r.discretization.method.iloc[0] == "manual"
    assert r.factor.n_strata.iloc[0] == 3
    assert np.bincount(codes).tolist() == [int(((x >= 0) & (x <= 2.5)).sum()),
                                           int(((x > 2.5) & (x <= 5)).sum()),
                                           int((x > 5).sum())]
    r2 = patterns.geodetector(DATA, "y", ["x3"], discretize=("quantile", 4))
    np.testing.assert_allclose(r2.discretization.breaks.iloc[0],
                               np.quantile(x, [0, .25, .5, .75, 1]))
    assert breaks(x, 4, "equal").tolist() == pytest.approx(np.linspace(x.min(), x.max(), 5))
    # Jenks: two clear groups
    assert jenks_breaks([1, 2, 3, 10, 11, 12], 2).tolist() == [1, 3, 12]


def test_by_year_runs_each_year():
    d = pd.concat([DATA.assign(year=2020), DATA.assign(year=2021, y=DATA.y[::-1].to_numpy())])
    r = patterns.geodetector(d, "y", ["c1"], time="year")
    assert r.factor.year.tolist() == [2020, 2021]
    one = patterns.geodetector(DATA, "y", ["c1"]).factor.q.iloc[0]
    assert r.factor.q.iloc[0] == pytest.approx(one, rel=1e-14)
    assert r.factor.q.iloc[1] != pytest.approx(one, rel=1e-6)


def test_bad_input():
    with pytest.raises(DataError, match="constant"):
        patterns.geodetector(DATA.assign(k=1), "y", ["k"])
    with pytest.raises(DataError, match="too few units per stratum"):
        patterns.geodetector(DATA, "y", ["x1"])          # continuous used as categorical
    with pytest.raises(DataError, match="outside the breaks"):
        patterns.geodetector(DATA, "y", ["x3"], discretize={"x3": [1, 5, 10]})
    with pytest.raises(DataError, match="strictly increasing"):
        patterns.geodetector(DATA, "y", ["x3"], discretize={"x3": [0, 5, 5, 10]})
    with pytest.raises(DataError, match="not found"):
        patterns.geodetector(DATA, "y", ["nope"])
    with pytest.raises(DataError, match="unknown discretisation"):
        patterns.geodetector(DATA, "y", ["x3"], discretize="kmeans")
    with pytest.raises(DataError, match="missing"):
        patterns.geodetector(DATA.assign(y=np.r_[np.nan, DATA.y[1:]]), "y", ["c1"])


def test_frozen_and_summary(res):
    with pytest.raises(AttributeError):
        res.factor = None
    assert "Interaction detector" in res.summary()
    assert res.to_frame().shape[0] == 6


NDVI = os.environ.get("SPATIALNQPF_GD_NDVI_DIR")


@pytest.mark.skipif(not NDVI, reason="set SPATIALNQPF_GD_NDVI_DIR to the output of "
                    "tests/reference/geodetector_gd_bundled.R (GD's ndvi_40, not committed)")
def test_gd_bundled_ndvi():
    d = Path(NDVI)
    data = pd.read_csv(d / "ndvi_40.csv")
    cont = ["Tempchange", "Precipitation", "GDP", "Popdensity"]
    facs = ["Climatezone", "Mining"] + cont
    r = patterns.geodetector(data, "NDVIchange", facs, discretize={c: "opgd" for c in cont})
    op = pd.read_csv(d / "opgd.csv").set_index("factor")
    disc = r.discretization.set_index("factor")
    for c in cont:
        assert disc.loc[c, "method"] == "opgd:" + op.loc[c, "method"]
        assert disc.loc[c, "k"] == op.loc[c, "k"]
    ref = pd.read_csv(d / "factor.csv").set_index("factor")
    got = r.factor.set_index("factor").loc[ref.index]
    np.testing.assert_allclose(got.q, ref.q, rtol=1e-10)
    np.testing.assert_allclose(got.F, ref.F, rtol=1e-10)
    np.testing.assert_allclose(got.p_value, ref.p, atol=2e-9)
    it = pd.read_csv(d / "interaction.csv")
    gi = r.interaction.set_index(["factor_a", "factor_b"])
    same = [(gi.loc[(a, b), "type"] == t) for a, b, t in
            zip(it.var1, it.var2, it.interaction)]
    assert all(same)
