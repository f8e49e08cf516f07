"""dynamics.club_convergence against R ConvergenceClubs 2.2.5 (tests/reference/clubs_*)."""
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import dynamics
from spatialnqpf._clubs import andrews_hac, compute_H, log_t
from spatialnqpf._validation import DataError, PanelError

REF = Path(__file__).parent / "reference"
WIDE = pd.read_csv(REF / "clubs_data.csv")


def _long(wide, idcol):
    d = wide.melt(id_vars=idcol, var_name="year", value_name="x")
    d["year"] = d.year.str[1:].astype(int)
    return d


LONG = _long(WIDE, "id")


def _check(got: pd.DataFrame, ref: pd.DataFrame, ids, rel=1e-9):
    ref = ref[ref.club != "divergent"].reset_index(drop=True)
    assert len(got) == len(ref)
    for g, r in zip(got.itertuples(), ref.itertuples()):
        # R records row numbers for character ids read from CSV, names for factors
        members = [ids[int(k) - 1] if k.isdigit() else k for k in str(r.members).split(";")]
        assert set(g.members) == set(members)
        assert g.n == r.n
        assert g.beta == pytest.approx(r.beta, rel=rel, abs=1e-12)
        assert g.std_error == pytest.approx(r.std_error, rel=rel)
        assert g.t == pytest.approx(r.t, rel=rel, abs=1e-12)


@pytest.fixture(scope="module")
def res():
    return dynamics.club_convergence(LONG, "x", id="id")


def test_full_panel_log_t(res):
    ref = pd.read_csv(REF / "clubs_r_full.csv").iloc[0]
    assert res.params["panel"] == pytest.approx(ref.beta, rel=1e-10)
    assert res.bse["panel"] == pytest.approx(ref.std_error, rel=1e-10)
    assert res.tvalues["panel"] == pytest.approx(ref.t, rel=1e-10)
    assert not res.converges
    tidy = res.tidy()
    assert tidy.term.iloc[0] == "panel" and list(tidy.columns)[0] == "term"


def test_clubs_equal_r(res):
    ids = WIDE.id.tolist()
    _check(res.clubs, pd.read_csv(REF / "clubs_r_clubs.csv"), ids)
    div = pd.read_csv(REF / "clubs_r_clubs.csv").query("club == 'divergent'").members
    assert set(res.divergent) == {ids[int(k) - 1] for k in str(div.iloc[0]).split(";")}
    assert (res.membership.loc[list(res.divergent), "club"] == 0).all()


def test_merging_ps_and_vlt_equal_r(res):
    ids = WIDE.id.tolist()
    ps = pd.read_csv(REF / "clubs_r_merged_ps.csv")
    _check(res.merged, ps, ids)
    want = [tuple(int(c[4:]) for c in f.split("+")) for f in ps[ps.club != "divergent"]["from"]]
    assert list(res.merged.from_clubs) == want
    vlt = dynamics.club_convergence(LONG, "x", id="id", merge="vLT")
    ref = pd.read_csv(REF / "clubs_r_merged_vlt.csv")
    _check(vlt.merged, ref, ids)
    assert len(vlt.merged) != len(res.merged)          # the two rules differ on this data


def test_incremental_cstar_equal_r():
    r = dynamics.club_convergence(LONG, "x", id="id", cstar_method="incremental")
    _check(r.clubs, pd.read_csv(REF / "clubs_r_clubs_incremental.csv"), WIDE.id.tolist())


def test_formulas_by_hand():
    X = WIDE.iloc[:, 1:].to_numpy()
    h = X / X.mean(axis=0)
    np.testing.assert_allclose(compute_H(X), ((h - 1) ** 2).mean(axis=0), rtol=1e-14)
    H = compute_H(X)
    T = H.size
    tt = np.arange(round(T / 3) + 1, T + 1)
    yv = np.log(H[0] / H[tt - 1]) - 2 * np.log(np.log(tt))
    b = np.polyfit(np.log(tt), yv, 1)[0]
    assert log_t(H)["beta"] == pytest.approx(b, rel=1e-10)
    # white noise: the QS long-run variance is close to the variance
    e = np.random.default_rng(0).normal(size=400)
    assert andrews_hac(e) == pytest.approx(e @ e / 399, rel=0.15)


def test_hp_filter_option_and_transition(res):
    from statsmodels.tsa.filters.hp_filter import hpfilter
    r = dynamics.club_convergence(LONG, "x", id="id", filter="hp", merge=None)
    trend = hpfilter(WIDE.iloc[0, 1:].to_numpy(float), lamb=400)[1]
    np.testing.assert_allclose(r.data.loc["u01"].to_numpy(), trend, rtol=1e-12)
    assert r.merged is None
    tr = res.transition
    np.testing.assert_allclose(tr.mean(axis=0), 1.0, rtol=1e-12)


def test_bad_input():
    short = LONG[LONG.year <= 2]
    with pytest.raises(DataError, match="too short"):
        dynamics.club_convergence(short, "x", id="id")
    with pytest.raises(DataError, match="HP filter"):
        dynamics.club_convergence(LONG[LONG.year <= 4], "x", id="id", time_trim=0.2,
                                  filter="hp")
    with pytest.raises(PanelError, match="unbalanced"):
        dynamics.club_convergence(LONG.iloc[1:], "x", id="id")
    with pytest.raises(DataError, match="positive"):
        dynamics.club_convergence(LONG.assign(x=LONG.x - 9.5), "x", id="id", log=True)
    with pytest.raises(DataError, match="merge"):
        dynamics.club_convergence(LONG, "x", id="id", merge="ward")


GDP_CSV = os.environ.get("SPATIALNQPF_CLUBS_GDP_CSV")


@pytest.mark.skipif(not GDP_CSV, reason="set SPATIALNQPF_CLUBS_GDP_CSV to ConvergenceClubs' "
                    "filteredGDP exported by tests/reference/clubs_convergenceclubs.R")
def test_convergenceclubs_bundled_gdp():
    w = pd.read_csv(GDP_CSV)
    d = _long(w, "Countries")
    r = dynamics.club_convergence(d, "x", id="Countries")
    assert r.params["panel"] == pytest.approx(-0.8748, abs=5e-5)      # Sichera & Pizzuto
    assert r.tvalues["panel"] == pytest.approx(-159.56, abs=5e-3)
    assert r.clubs.n.tolist() == [50, 30, 21, 24, 14, 11, 2]
    assert len(r.merged) == 6 and r.merged.from_clubs.tolist()[3] == (4, 5)
    ref = pd.read_csv(REF / "clubs_r_gdp_full.csv").iloc[0]
    assert r.tvalues["panel"] == pytest.approx(ref.t, rel=1e-10)
    ids = sorted(d.Countries.unique(), key=list(w.Countries).index)
    _check(r.clubs, pd.read_csv(REF / "clubs_r_gdp_clubs.csv"), ids)
    _check(r.merged, pd.read_csv(REF / "clubs_r_gdp_merged_ps.csv"), ids)
