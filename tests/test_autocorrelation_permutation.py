"""Permutation inference: reproducibility with a seed and convergence to exact moments.

References used (each test names its own):

* the randomisation variance of Moran's I / Geary's C (Cliff & Ord 1981) is the exact
  variance of the statistic over all permutations, and E[I] = -1/(n-1) its exact mean;
  the analytic values are themselves checked against spdep in test_autocorrelation.py;
* the conditional-randomisation moments of local Moran (Sokal et al. 1998, spdep
  ``localmoran(conditional=TRUE)``) are the exact mean and variance of I_i under
  conditional permutation;
* esda 2.8 ``Moran_Local.p_sim`` (independent implementation of the folded pseudo p-value);
* statsmodels ``multipletests(method="fdr_bh")`` for the Benjamini-Hochberg q-values.

Monte Carlo tolerances are 5 standard errors of the estimate.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from libpysal.graph import Graph

sys.path.insert(0, str(Path(__file__).parent / "reference"))
import spdep_columbus_values as R  # noqa: E402

from spatialnqpf import autocorrelation as ac  # noqa: E402
from spatialnqpf._kernels import autocorr as K  # noqa: E402


def columbus_graph(style="W"):
    g = Graph.from_dicts({i: list(nb) for i, nb in R.NEIGHBOURS.items()})
    return g.transform("r") if style == "W" else g


@pytest.fixture(scope="module")
def columbus():
    return pd.DataFrame({"id": R.IDS, "CRIME": R.CRIME, "INC": R.INC, "HOVAL": R.HOVAL})


@pytest.fixture(scope="module")
def lattice():
    """20 x 20 rook lattice (n = 400), row-standardised, with a spatial moving-average field."""
    side = 20
    ids = [f"c{r:02d}{c:02d}" for r in range(side) for c in range(side)]
    nbrs = {}
    for r in range(side):
        for c in range(side):
            nb = [f"c{rr:02d}{cc:02d}" for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1))
                  if 0 <= rr < side and 0 <= cc < side]
            nbrs[f"c{r:02d}{c:02d}"] = nb
    g = Graph.from_dicts(nbrs).transform("r")
    rng = np.random.default_rng(2024)
    e = rng.normal(size=len(ids))
    W = g.sparse
    x = e + 0.08 * (W @ e)          # weak autocorrelation: p-values in the informative range
    df = pd.DataFrame({"id": list(g.unique_ids), "x": x, "year": 2020})
    return g, df


class TestReproducible:
    def test_same_seed_same_numbers(self, columbus):
        a = ac.moran_by_year(columbus, "CRIME", columbus_graph(), id="id", time=None,
                             permutations=499, seed=7).to_frame()
        b = ac.moran_by_year(columbus, "CRIME", columbus_graph(), id="id", time=None,
                             permutations=499, seed=7).to_frame()
        c = ac.moran_by_year(columbus, "CRIME", columbus_graph(), id="id", time=None,
                             permutations=499, seed=8).to_frame()
        pd.testing.assert_frame_equal(a, b)
        assert a["sd_perm"].iloc[0] != c["sd_perm"].iloc[0]
        la = ac.lisa(columbus, "CRIME", columbus_graph(), id="id", time=None, permutations=499, seed=7)
        lb = ac.lisa(columbus, "CRIME", columbus_graph(), id="id", time=None, permutations=499, seed=7)
        pd.testing.assert_frame_equal(la.to_frame(), lb.to_frame())

    def test_seed_none_is_recorded_and_reproduces(self, columbus):
        a = ac.lisa(columbus, "CRIME", columbus_graph(), id="id", time=None, permutations=199)
        assert isinstance(a.seed, int)
        b = ac.lisa(columbus, "CRIME", columbus_graph(), id="id", time=None, permutations=199,
                    seed=a.seed)
        pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())

    def test_year_draws_do_not_depend_on_other_years(self, columbus):
        panel = pd.concat([columbus.assign(year=2001), columbus.assign(year=2002, CRIME=columbus["HOVAL"])])
        both = ac.lisa(panel, "CRIME", columbus_graph(), id="id", permutations=299, seed=5).to_frame()
        one = ac.lisa(panel[panel.year == 2002], "CRIME", columbus_graph(), id="id", permutations=299,
                      seed=5).to_frame()
        pd.testing.assert_frame_equal(both[both.year == 2002].reset_index(drop=True), one)
        g_both = ac.moran_by_year(panel, "CRIME", columbus_graph(), id="id", permutations=299, seed=5)
        g_one = ac.moran_by_year(panel[panel.year == 2002], "CRIME", columbus_graph(), id="id",
                                 permutations=299, seed=5)
        assert g_both.to_frame().loc[("w", 2002), "p_perm"] == g_one.to_frame().iloc[0]["p_perm"]

    def test_numpy_and_numba_engines_agree_exactly(self, columbus):
        pytest.importorskip("numba")
        a = ac.lisa(columbus, "CRIME", columbus_graph(), id="id", time=None, permutations=999,
                    seed=3, engine="numpy")
        b = ac.lisa(columbus, "CRIME", columbus_graph(), id="id", time=None, permutations=999,
                    seed=3, engine="numba")
        assert a.engine == "numpy" and b.engine == "numba"
        pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), rtol=1e-12)


    def test_global_draws_are_the_stream_of_rng_permuted(self, lattice):
        """Row r of the drawn block is shuffle(copy of v): the rows of rng.permuted(axis=1)."""
        v = lattice[1]["x"].to_numpy()
        a = K._draw_rows(v, 7, np.random.default_rng(9))
        b = np.random.default_rng(9).permuted(np.broadcast_to(v, (7, v.size)), axis=1)
        np.testing.assert_array_equal(a, b)

    @pytest.mark.parametrize("kind", ["moran", "geary", "getis_ord"])
    def test_global_numpy_and_numba_engines_agree(self, lattice, monkeypatch, kind):
        """The numba path (unit-major blocks evaluated in a worker thread) draws the same
        permutations as the numpy path: statistics equal to rounding, in the same order.
        A block of 256 bytes x n forces m = 5 permutations per block and a short last one."""
        pytest.importorskip("numba")
        g, df = lattice
        x = df["x"].to_numpy() - df["x"].min() + 0.5
        W = g.sparse.tocsr()
        c = K.weight_constants(W)
        ref = K.permute_global(kind, x, W, 37, np.random.default_rng(4), c, engine="numpy")
        monkeypatch.setattr(K, "_QUAD_BLOCK_BYTES", 8 * 5 * x.size)
        got = K.permute_global(kind, x, W, 37, np.random.default_rng(4), c, engine="numba")
        np.testing.assert_allclose(got, ref, rtol=1e-12)
        assert np.ptp(ref) > 1e-3 * np.abs(ref).max()   # the 37 statistics differ
        monkeypatch.setattr(K, "NUMBA_THRESHOLD", 0)    # "auto" picks numba
        auto = K.permute_global(kind, x, W, 37, np.random.default_rng(4), c)
        np.testing.assert_array_equal(auto, got)

    def test_moran_by_year_same_p_on_both_engines(self, columbus, monkeypatch):
        pytest.importorskip("numba")
        a = ac.moran_by_year(columbus, "CRIME", columbus_graph(), id="id", time=None,
                             permutations=999, seed=3).to_frame()
        monkeypatch.setattr(K, "NUMBA_THRESHOLD", 0)
        b = ac.moran_by_year(columbus, "CRIME", columbus_graph(), id="id", time=None,
                             permutations=999, seed=3).to_frame()
        assert a["p_perm"].iloc[0] == b["p_perm"].iloc[0] < 0.01
        pd.testing.assert_frame_equal(a, b, rtol=1e-12)

class TestConvergence:
    def test_global_permutation_moments_converge_to_randomisation(self, lattice):
        """Mean and variance of permuted I and C equal E and Var under randomisation (exact)."""
        g, df = lattice
        P = 20000
        for fn, lab in ((ac.moran_by_year, "I"), (ac.geary_by_year, "C")):
            row = fn(df, "x", g, id="id", permutations=P, seed=11).to_frame().iloc[0]
            se_mean = row["sd_rand"] / np.sqrt(P)
            assert abs(row["mean_perm"] - row[f"E[{lab}]"]) < 5 * se_mean
            # sd of a sample variance ~ var * sqrt((kurt - 1)/P), kurt ~ 3
            assert abs(row["sd_perm"] ** 2 / row["sd_rand"] ** 2 - 1) < 5 * np.sqrt(2 / P)
            # p-values: permutation vs normal approximation under randomisation (n = 400)
            assert 0.001 < row["p_rand"] < 0.5
            assert abs(row["p_perm"] - row["p_rand"]) < 0.02
            assert abs(row["z_perm"] - row["z_rand"]) < 0.1

    def test_getis_ord_permutation_converges(self, lattice):
        g, df = lattice
        d = df.assign(x=df["x"] - df["x"].min() + 0.5)
        row = ac.getis_ord_by_year(d, "x", g, id="id", permutations=20000, seed=2).to_frame().iloc[0]
        assert abs(row["mean_perm"] - row["E[G]"]) < 5 * row["sd_rand"] / np.sqrt(20000)
        assert abs(row["sd_perm"] ** 2 / row["sd_rand"] ** 2 - 1) < 5 * np.sqrt(2 / 20000)

    def test_local_permutation_moments_converge_to_conditional(self, lattice):
        """E and Var of I_i under conditional permutation = spdep's conditional moments."""
        g, df = lattice
        P = 9999
        f = ac.lisa(df, "x", g, id="id", permutations=P, seed=4).to_frame()
        se = np.sqrt(f["V_Ii"] / P)
        assert (np.abs(f["EI_sim"] - f["E_Ii"]) < 5 * se + 1e-12).all()
        ratio = f["sd_sim"] ** 2 / f["V_Ii"]
        ok = f["V_Ii"] > 1e-6
        assert (np.abs(ratio[ok] - 1) < 0.15).all()
        assert abs(ratio[ok].mean() - 1) < 5 * np.sqrt(2 / P)  # draws shared by units

    def test_numba_engine_moments(self, lattice):
        pytest.importorskip("numba")
        g, df = lattice
        f = ac.lisa(df, "x", g, id="id", permutations=4999, seed=4, engine="numba").to_frame()
        ratio = f["sd_sim"] ** 2 / f["V_Ii"]
        assert abs(ratio[f["V_Ii"] > 1e-6].mean() - 1) < 5 * np.sqrt(2 / 4999)

    @pytest.mark.filterwarnings("ignore::DeprecationWarning")  # esda's note on its p_sim
    def test_folded_against_esda(self, columbus):
        """esda Moran_Local p_sim (folded) with 9999 permutations vs ours: same distribution,
        independent draws: |difference| < 5 binomial standard errors per unit."""
        import esda
        g = columbus_graph()
        x = pd.Series(R.CRIME, index=R.IDS).loc[list(g.unique_ids)].to_numpy()
        P = 9999
        e = esda.Moran_Local(x, g, permutations=P, seed=12345, keep_simulations=False)
        ours = ac.lisa(columbus, "CRIME", g, id="id", time=None, permutations=P, seed=1,
                       alternative="folded").to_frame().set_index("id").loc[list(g.unique_ids)]
        p = ours["p"].to_numpy()
        se = np.sqrt(p * (1 - p) / P * 2) + 1e-4
        assert (np.abs(p - e.p_sim) < 5 * se).all()

    def test_alternatives_relations(self, columbus):
        """two-sided = min(1, 2 min(greater, less)); greater + less = 1 + (1 + ties)/(P+1);
        folded = (min(#ge, P - #ge) + 1)/(P+1) <= min(greater, less); without ties
        two-sided = min(1, 2 folded).  Columbus has units with 2 neighbours, so exact ties
        (the same neighbour set drawn again) occur."""
        g = columbus_graph()
        P = 999
        res = {a: ac.lisa(columbus, "CRIME", g, id="id", time=None, permutations=P, seed=9,
                          alternative=a).to_frame()["p"].to_numpy()
               for a in ("two-sided", "folded", "greater", "less")}
        np.testing.assert_allclose(res["two-sided"],
                                   np.minimum(1, 2 * np.minimum(res["greater"], res["less"])))
        ties = (res["greater"] + res["less"] - 1) * (P + 1) - 1
        np.testing.assert_allclose(ties, np.round(ties), atol=1e-9)
        assert (np.round(ties) >= 0).all()
        ge = res["greater"] * (P + 1) - 1
        np.testing.assert_allclose(res["folded"], (np.minimum(ge, P - ge) + 1) / (P + 1))
        no_tie = np.round(ties) == 0
        np.testing.assert_allclose(res["two-sided"][no_tie], np.minimum(1, 2 * res["folded"][no_tie]))


class TestFDR:
    def test_bh_matches_statsmodels(self):
        from statsmodels.stats.multitest import multipletests
        p = np.random.default_rng(0).uniform(size=200) ** 3
        np.testing.assert_allclose(K.bh_adjust(p), multipletests(p, method="fdr_bh")[1], rtol=1e-12)
        p2 = p.copy()
        p2[[3, 7]] = np.nan
        q2 = K.bh_adjust(p2)
        assert np.isnan(q2[[3, 7]]).all()
        keep = np.isfinite(p2)
        np.testing.assert_allclose(q2[keep], multipletests(p2[keep], method="fdr_bh")[1], rtol=1e-12)

    def test_fdr_flags(self, columbus):
        r = ac.lisa(columbus, "CRIME", columbus_graph(), id="id", time=None, permutations=999,
                    seed=1, fdr=0.05)
        f = r.to_frame()
        assert ((f["q"] <= 0.05) == f["significant"]).all()
        assert (f["q"] >= f["p"] - 1e-15).all()
        plain = ac.lisa(columbus, "CRIME", columbus_graph(), id="id", time=None, permutations=999,
                        seed=1).to_frame()
        assert f["significant"].sum() <= plain["significant"].sum()
        assert "Benjamini-Hochberg" in r.summary()


class TestKernels:
    def test_neighbour_draws_without_replacement(self):
        rng = np.random.default_rng(0)
        for n, k in ((31, 8), (200, 6), (5000, 6)):
            d = K.neighbour_draws(n, k, 3000, rng)
            assert d.shape == (3000, k) and d.min() >= 0 and d.max() <= n - 2
            s = np.sort(d, axis=1)
            assert not (s[:, 1:] == s[:, :-1]).any()
            # every column uniform over the n - 1 positions (chi-square goodness of fit)
            if n <= 200:
                from scipy.stats import chisquare
                for col in (0, k - 1):
                    counts = np.bincount(d[:, col], minlength=n - 1)
                    assert chisquare(counts).pvalue > 1e-3

    def test_crand_numpy_matches_bruteforce(self):
        """Counts of the vectorised kernel equal a direct loop over permutations."""
        rng = np.random.default_rng(5)
        n = 12
        W = sp.random(n, n, density=0.3, random_state=1, format="csr")
        W.setdiag(0)
        W.eliminate_zeros()
        W.sort_indices()
        z = rng.normal(size=n)
        z -= z.mean()
        rids = K.neighbour_draws(n, int(np.diff(W.indptr).max()), 50, np.random.default_rng(1))
        lag = W @ z
        sign = np.where(z > 0, 1.0, -1.0)
        ge, le, s1, s2 = K._crand_numpy(z, W.indptr, W.data, rids, lag, sign)
        for i in range(n):
            a, b = W.indptr[i], W.indptr[i + 1]
            others = np.delete(np.arange(n), i)
            sims = np.array([W.data[a:b] @ z[others[rids[p, :b - a]]] for p in range(50)]) * sign[i]
            obs = lag[i] * sign[i]
            tol = 1e-10 * np.abs(z).max() * np.abs(W.data[a:b]).sum()
            assert ge[i] == ((sims >= obs - tol).sum() if b > a else 0)
            assert le[i] == ((sims <= obs + tol).sum() if b > a else 0)


class TestLocalGPermutation:
    def test_moments_converge(self, lattice):
        """G_i: E and Var under conditional permutation equal the Ord-Getis moments (checked
        against spdep localG in test_autocorrelation.py).  G_i*: the permutation keeps x_i
        (as esda and GeoDa), while spdep's moments let x_i vary too, so the reference is a
        plain numpy transcription of the conditional moments:
        E = (w_ii x_i + W'_i xbar_i)/sum x, Var = s_i^2 ((n-1) S1'_i - W'_i^2)/(n-2)/(sum x)^2
        with W' the off-diagonal weights and xbar_i, s_i^2 over the other n - 1 values."""
        g, df = lattice
        d = df.assign(x=df["x"] - df["x"].min() + 1.0)
        P = 4999
        f = ac.getis_ord_local(d, "x", g, id="id", permutations=P, seed=8).to_frame()
        se = np.sqrt(f["V_G"] / P)
        assert (np.abs(f["EG_sim"] - f["E_G"]) < 5 * se).all()
        ratio = f["sdG_sim"] ** 2 / f["V_G"]
        assert (np.abs(ratio - 1) < 0.15).all()
        assert abs(ratio.mean() - 1) < 5 * np.sqrt(2 / P)

        fs = ac.getis_ord_local(d, "x", g, id="id", star=True, permutations=P, seed=8).to_frame()
        B = (g.sparse > 0).astype(float).toarray()
        Ws = B + np.eye(len(B))
        Ws /= Ws.sum(axis=1, keepdims=True)                  # include.self then style "W"
        x = fs["value"].to_numpy()                            # rows follow g.unique_ids
        assert list(fs["id"]) == list(g.unique_ids)
        n, sx = len(x), x.sum()
        wii = np.diag(Ws)
        Woff = Ws - np.diag(wii)
        Wi, S1 = Woff.sum(axis=1), (Woff ** 2).sum(axis=1)
        xbar_i = (sx - x) / (n - 1)
        s2_i = (np.sum(x ** 2) - x ** 2) / (n - 1) - xbar_i ** 2
        E = (wii * x + Wi * xbar_i) / sx
        V = s2_i * ((n - 1) * S1 - Wi ** 2) / (n - 2) / sx ** 2
        np.testing.assert_allclose(fs["G"], Ws @ x / sx, rtol=1e-12)
        assert (np.abs(fs["EG_sim"] - E) < 5 * np.sqrt(V / P)).all()
        r2 = fs["sdG_sim"] ** 2 / V
        assert (np.abs(r2 - 1) < 0.15).all() and abs(r2.mean() - 1) < 5 * np.sqrt(2 / P)

    def test_reproducible_and_alternatives(self, columbus):
        g = columbus_graph("B")
        a = ac.getis_ord_local(columbus, "CRIME", g, id="id", time=None, permutations=499, seed=4)
        b = ac.getis_ord_local(columbus, "CRIME", g, id="id", time=None, permutations=499, seed=4)
        pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
        gr = ac.getis_ord_local(columbus, "CRIME", g, id="id", time=None, permutations=499, seed=4,
                                alternative="greater").to_frame()["p"]
        le = ac.getis_ord_local(columbus, "CRIME", g, id="id", time=None, permutations=499, seed=4,
                                alternative="less").to_frame()["p"]
        np.testing.assert_allclose(a.to_frame()["p"], np.minimum(1, 2 * np.minimum(gr, le)))


class TestBivariatePermutation:
    def test_against_esda_moran_bv(self, columbus):
        """esda 2.8 Moran_BV(INC, CRIME), 9 999 permutations of CRIME (independent draws):
        statistic identical; sd of the permutation distribution within 5 standard errors
        (relative SE of an sd ~ 1/sqrt(2P)); one-sided p equal to 1/(P+1) on both sides."""
        import esda
        g = columbus_graph("W")
        order = pd.Series(range(49), index=R.IDS).loc[list(g.unique_ids)].to_numpy()
        np.random.seed(0)
        m = esda.Moran_BV(np.asarray(R.INC)[order], np.asarray(R.CRIME)[order], g, permutations=9999)
        r = ac.moran_bv_by_year(columbus, "INC", "CRIME", g, id="id", time=None, permutations=9999,
                                seed=1, alternative="less").to_frame().iloc[0]
        np.testing.assert_allclose(r["I_xy"], m.I, rtol=1e-10)
        assert abs(r["sd_perm"] / m.seI_sim - 1) < 5 * np.sqrt(1 / (2 * 9999)) * np.sqrt(2)
        assert abs(r["mean_perm"] - m.EI_sim) < 5 * m.seI_sim / np.sqrt(9999) * np.sqrt(2)
        assert r["p_perm"] == m.p_sim == 1 / 10000


def test_unit_at_the_mean_is_never_significant():
    """Regression: a unit whose value equals the mean has z_i = 0, so I_i = 0 and every
    simulated I_i* = z_i (W y*)_i / m2 = 0 too: all P draws tie with the observation and
    the pseudo p-values are (P + 1)/(P + 1) = 1 ("greater", "less", two-sided; hand-worked
    from the definition).  The kernel counted the simulated *lags* against the observed lag
    instead (as if z_i > 0) and flagged the unit as a significant LH cluster (p = 0.002).
    5 x 5 rook lattice, row-standardised; the centre (id 12) is set to the mean of all 25."""
    A = np.zeros((25, 25))
    for r in range(5):
        for c in range(5):
            for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                if 0 <= r + dr < 5 and 0 <= c + dc < 5:
                    A[5 * r + c, 5 * (r + dr) + c + dc] = 1.0
    g = Graph.from_sparse(sp.csr_matrix(A), ids=np.arange(25)).transform("r")
    x = np.array([0., 1, 2, 0, 1, 1, 0, 9, 1, 0, 2, 9, 0, 9, 1, 0, 1, 9, 2, 0, 1, 0, 1, 0, 2])
    x[12] = (x.sum() - x[12]) / 24                      # = mean of the 25 values, exactly
    assert x.mean() == x[12]
    df = pd.DataFrame({"id": np.arange(25), "x": x})
    P = 999
    for alt in ("two-sided", "greater", "less"):
        f = ac.lisa(df, "x", g, id="id", time=None, permutations=P, seed=2,
                    alternative=alt).to_frame().set_index("id")
        assert f.loc[12, "Ii"] == 0.0
        assert f.loc[12, "p"] == 1.0
        assert f.loc[12, "cluster"] == "ns"
        assert f.loc[12, "EI_sim"] == 0.0 and f.loc[12, "sd_sim"] == 0.0
    # folded is esda's p_sim: (min(#ge, P - #ge) + 1)/(P + 1) with #ge = P ties -> 1/(P + 1)
    f = ac.lisa(df, "x", g, id="id", time=None, permutations=P, seed=2,
                alternative="folded").to_frame().set_index("id")
    assert f.loc[12, "p"] == pytest.approx(1 / (P + 1))
