"""Panel specification tests, the Elhorst sequence and the robustness runner.

References:

* spreg 1.9.0 ``OLS(spat_diag=True)`` on the stacked panel with kronecker(I_T, W) (run live):
  LM tests for pooled and unit-demeaned data (equal to ours by construction of the panel LM
  tests: tr over NT = T tr).  rtol 1e-8.
* A dense numpy transcription with explicit unit/year dummies for time and two-way effects.
* Elhorst (2014), Spatial Econometrics, §3.6.2 (cigarette demand): LR tests of the spatial and
  time-period fixed effects 2315.7 and 473.1; classic LM tests reject both spatial terms at 1%
  for every FE type; robust LM-lag not significant at 5% with time or two-way effects, robust
  LM-error significant at 1%.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from libpysal.graph import Graph

from spatialnqpf.models import spatial_panel
from spatialnqpf.models._panel_tests import lr_fixed_effects, panel_lm_tests, sdm_tests
from spatialnqpf.models.specification import robustness, specification_search

REF = Path(__file__).parent / "reference"
X = ["logp", "logy"]


@pytest.fixture(scope="module")
def cigar():
    return pd.read_csv(REF / "cigar_panel.csv")


@pytest.fixture(scope="module")
def w():
    e = pd.read_csv(REF / "cigar_w46_edges.csv", comment="#")
    return Graph.from_adjacency(e.assign(weight=1.0), focal_col="focal", neighbor_col="neighbor",
                                weight_col="weight").transform("r")


@pytest.fixture(scope="module")
def Wd(w):
    ids = np.asarray(w.unique_ids)
    o = np.argsort(ids)
    return w.sparse.toarray()[np.ix_(o, o)]


class TestLMTests:
    @pytest.mark.parametrize("fe", ["none", "individual"])
    def test_vs_spreg_stacked(self, cigar, w, fe):
        spreg = pytest.importorskip("spreg")
        import libpysal
        big = sp.kron(sp.identity(30), sp.csr_matrix(w.sparse)).tocsr()
        assert list(w.unique_ids) == sorted(cigar.state.unique())
        wb = libpysal.weights.WSP(big).to_W(silence_warnings=True)
        y = cigar[["logc"]].to_numpy()
        Xm = cigar[X].to_numpy()
        if fe == "individual":
            dm = lambda a: a - pd.DataFrame(a).groupby(cigar.state.to_numpy()).transform("mean").to_numpy()
            y, Xm = dm(y), dm(Xm)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = spreg.OLS(y, Xm, w=wb, spat_diag=True)
        ours = panel_lm_tests(cigar, "logc", X, w, id="state", time="year", fe=fe)
        np.testing.assert_allclose(ours.statistic.to_numpy(),
                                   [m.lm_lag[0], m.lm_error[0], m.rlm_lag[0], m.rlm_error[0]],
                                   rtol=1e-8)

    @pytest.mark.parametrize("fe", ["time", "twoways"])
    def test_vs_dense_dummy_transcription(self, cigar, w, Wd, fe):
        N, T = 46, 30
        yv = cigar.logc.to_numpy()
        Xm = cigar[X].to_numpy()
        D = np.kron(np.eye(T), np.ones((N, 1)))                    # year dummies
        if fe == "twoways":
            D = np.column_stack([D, np.kron(np.ones((T, 1)), np.eye(N))[:, 1:]])
        Z = np.column_stack([Xm, D])
        b, *_ = np.linalg.lstsq(Z, yv, rcond=None)
        e = yv - Z @ b
        s2 = e @ e / (N * T)
        WT = np.kron(np.eye(T), Wd)
        M = np.eye(N * T) - Z @ np.linalg.pinv(Z)
        wxb = WT @ (Z @ b)
        trT = T * np.trace(Wd.T @ Wd + Wd @ Wd)
        J = (wxb @ M @ wxb + trT * s2) / s2
        ewe, ewy = e @ WT @ e, e @ WT @ yv
        ref = [(ewy / s2) ** 2 / J, (ewe / s2) ** 2 / trT,
               ((ewy - ewe) / s2) ** 2 / (J - trT),
               ((ewe - trT / J * ewy) / s2) ** 2 / (trT * (1 - trT / J))]
        ours = panel_lm_tests(cigar, "logc", X, w, id="state", time="year", fe=fe)
        np.testing.assert_allclose(ours.statistic.to_numpy(), ref, rtol=1e-7)

    def test_fe_aliases_and_unknown_values(self, cigar, w):
        """Regression (review): ``fe`` values other than none/individual/time (the aliases
        "unit", "entity", "period" accepted by spatial_panel, "random", or a typo) fell through
        to the two-way transformation silently.  Reference: fe="individual" (checked against
        spreg on the stacked data in test_vs_spreg_stacked) and fe="time" (dense dummies)."""
        ind = panel_lm_tests(cigar, "logc", X, w, id="state", time="year", fe="individual")
        tim = panel_lm_tests(cigar, "logc", X, w, id="state", time="year", fe="time")
        for alias, ref in (("unit", ind), ("entity", ind), ("period", tim)):
            got = panel_lm_tests(cigar, "logc", X, w, id="state", time="year", fe=alias)
            np.testing.assert_allclose(got.statistic.to_numpy(), ref.statistic.to_numpy(),
                                       rtol=1e-12)
        for bad in ("random", "indvidual"):
            with pytest.raises(ValueError, match=repr(bad)):
                panel_lm_tests(cigar, "logc", X, w, id="state", time="year", fe=bad)

    def test_published_conclusions(self, cigar, w):
        """Elhorst (2014) §3.6.2 conclusions on the cigarette panel."""
        for fe in ("none", "individual", "time", "twoways"):
            t = panel_lm_tests(cigar, "logc", X, w, id="state", time="year", fe=fe)
            assert t.loc["LM_lag", "p"] < 0.01 and t.loc["LM_error", "p"] < 0.01
            assert t.loc["robust_LM_error", "p"] < 0.01
            if fe in ("time", "twoways"):
                assert t.loc["robust_LM_lag", "p"] > 0.05


class TestLRFixedEffects:
    def test_published_values(self, cigar, w):
        """Elhorst (2014) §3.6.2: 2315.7 (spatial FE) and 473.1 (time FE)."""
        lr = lr_fixed_effects(cigar, "logc", X, w, id="state", time="year")
        assert lr.loc["LR_individual_effects", "statistic"] == pytest.approx(2315.7, abs=0.05)
        assert lr.loc["LR_time_effects", "statistic"] == pytest.approx(473.1, abs=0.05)
        assert list(lr.df) == [45, 29]


class TestSDMTests:
    @pytest.fixture(scope="class")
    def fits(self, cigar, w):
        return {m: spatial_panel(cigar, "logc", X, w, id="state", time="year", model=m)
                for m in ("sdm", "sar", "sem")}

    def test_wald_and_lr(self, fits):
        sdm = fits["sdm"]
        t = sdm_tests(sdm, fits["sar"], fits["sem"])
        p, V = sdm.params.to_numpy(), sdm.cov.to_numpy()
        th = p[2:4]
        assert t.loc["Wald_SDM_vs_SAR", "statistic"] == pytest.approx(
            th @ np.linalg.inv(V[2:4, 2:4]) @ th, rel=1e-10)
        # delta method with a numerical Jacobian of g(b, t, rho) = t + rho b
        g = lambda v: v[2:4] + v[4] * v[0:2]
        Jn = np.column_stack([(g(p + h) - g(p - h)) / 2e-6 for h in np.eye(5) * 1e-6])
        gv = g(p)
        ref = gv @ np.linalg.inv(Jn @ V @ Jn.T) @ gv
        assert t.loc["Wald_SDM_vs_SEM", "statistic"] == pytest.approx(ref, rel=1e-6)
        assert t.loc["LR_SDM_vs_SAR", "statistic"] == pytest.approx(
            2 * (sdm.llf - fits["sar"].llf), rel=1e-12)
        assert (t.df == 2).all()

    def test_mismatched_fits_refused(self, fits, cigar, w):
        other = spatial_panel(cigar, "logc", X, w, id="state", time="year", model="sar",
                              fe="individual")
        with pytest.raises(ValueError, match="same data, fe and lee_yu"):
            sdm_tests(fits["sdm"], other)
        with pytest.raises(ValueError, match="needs an SDM"):
            sdm_tests(fits["sar"])


class TestSpecificationSearch:
    def test_cigar_sequence(self, cigar, w):
        s = specification_search(cigar, "logc", X, w, id="state", time="year", nsim=300, seed=0)
        tab = s.to_frame()
        assert list(tab.step.unique()) == [1, 2, 3, 4, 5]
        assert s.fe == "twoways"
        # both simplifications are rejected on this panel (Elhorst 2014 §3.6.2 also keeps SDM)
        assert s.model == "sdm"
        assert tab.query("step == 4").p.max() < 0.05
        assert "SDM" in s.summary()
        assert list(s.effects.index) == X

    def test_demo_panel_contiguity(self, output_dir):
        from spatialnqpf import weights
        from spatialnqpf.datasets import load_demo_panel
        d = load_demo_panel()
        d = d.assign(log_gdp=np.log(d.gdp))
        s = specification_search(d, "rd_intensity", ["share_secondary", "log_gdp"],
                                 weights.contiguity(), id="code", time="year", nsim=200)
        assert s.fe == "twoways"
        assert s.table.iloc[-1]["test"] == "decision"
        assert s.model in ("sdm", "sar", "sem")
        (output_dir / "demo_specification_search.txt").write_text(s.summary())


class TestRobustness:
    def test_demo_panel_contiguity_and_distance(self, output_dir):
        from spatialnqpf import weights
        from spatialnqpf.datasets import load_demo_panel
        d = load_demo_panel()
        d = d.assign(log_gdp=np.log(d.gdp))
        ws = {"contiguity": weights.contiguity(), "inverse distance^2": weights.distance(power=2)}
        r = robustness(d, "rd_intensity", ["share_secondary", "log_gdp"], ws, id="code", time="year",
                       model="sdm", fe="twoways", nsim=200)
        tab = r.to_frame()
        assert list(tab.columns) == list(ws)
        direct = spatial_panel(d, "rd_intensity", ["share_secondary", "log_gdp"],
                               ws["contiguity"], id="code", time="year")
        np.testing.assert_allclose(tab.loc[list(direct.params.index), "contiguity"],
                                   direct.params, rtol=1e-12)
        assert np.isfinite(tab.to_numpy()).all()
        (output_dir / "demo_sdm_robustness.txt").write_text(r.summary())
