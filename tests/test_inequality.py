"""Tests of spatialnqpf.inequality (Dagum Gini, Theil T/L, nested Theil, CV).

References used (each test says which):

* docs/methods/inequality.md §4.1 exact example (fractions worked by hand; re-derived here
  with :class:`fractions.Fraction` and an O(n^2) double loop).
* An independent plain-numpy O(n^2) transcription of Dagum's (1997)
  formulas (``_oracle`` below) for random data, weighted and unweighted.
* Replication: integer unit weights must equal duplicating the units.
* docs/methods/inequality.md §4.2 worked example for Theil T/L.
* PySAL ``inequality`` 1.1.2: ``inequality.theil.TheilD`` and
  ``inequality.gini.Gini`` (unweighted cross-sections).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import inequality as ineq
from spatialnqpf._kernels import gini as gk
from spatialnqpf._validation import DataError, PanelError

EXAMPLE = {"A": [1, 2], "B": [3, 4, 8], "C": [6, 10]}


def _example_arrays():
    y = np.array([v for vs in EXAMPLE.values() for v in vs], dtype=float)
    g = np.array([k for k, vs in EXAMPLE.items() for _ in vs])
    return y, g


# --------------------------------------------------------------------------
# O(n^2) oracle: a literal transcription of docs/methods/inequality.md §4.1 with weights
# --------------------------------------------------------------------------
def _oracle(y, g, w=None):
    y = np.asarray(y, float)
    w = np.ones_like(y) if w is None else np.asarray(w, float)
    labs = list(pd.unique(g))
    W = w.sum()
    mu = (w * y).sum() / W
    diff = np.abs(y[:, None] - y[None, :])
    ww = w[:, None] * w[None, :]
    G = (ww * diff).sum() / (2 * W ** 2 * mu)
    info = {}
    for lab in labs:
        m = g == lab
        info[lab] = (y[m], w[m], w[m].sum(), (w[m] * y[m]).sum() / w[m].sum())
    labs.sort(key=lambda lab: info[lab][3])  # ascending mean
    p = {lab: info[lab][2] / W for lab in labs}
    s = {lab: info[lab][2] * info[lab][3] / (W * mu) for lab in labs}
    Gjj, Gjh, D = {}, {}, {}
    for lab in labs:
        yy, ww_, nj, mj = info[lab]
        tot = 0.0
        for i in range(len(yy)):
            for r in range(len(yy)):
                tot += ww_[i] * ww_[r] * abs(yy[i] - yy[r])
        Gjj[lab] = tot / (2 * nj ** 2 * mj)
    Gw = sum(Gjj[lab] * p[lab] * s[lab] for lab in labs)
    Gnb = Gt = 0.0
    for a in range(len(labs)):
        for b in range(a):
            j, h = labs[a], labs[b]
            yj, wj, nj, mj = info[j]
            yh, wh, nh, mh = info[h]
            tot = dd = pp = 0.0
            for i in range(len(yj)):
                for r in range(len(yh)):
                    x = wj[i] * wh[r]
                    tot += x * abs(yj[i] - yh[r])
                    dd += x * max(yj[i] - yh[r], 0)
                    pp += x * max(yh[r] - yj[i], 0)
            Gjh[(j, h)] = tot / (nj * nh * (mj + mh))
            dd /= nj * nh
            pp /= nj * nh
            D[(j, h)] = (dd - pp) / (dd + pp)
            wt = p[j] * s[h] + p[h] * s[j]
            Gnb += Gjh[(j, h)] * wt * D[(j, h)]
            Gt += Gjh[(j, h)] * wt * (1 - D[(j, h)])
    return {"G": G, "Gw": Gw, "Gnb": Gnb, "Gt": Gt, "Gjj": Gjj, "Gjh": Gjh, "D": D}


def _random_groups(rng, sizes, weights=False):
    y = np.concatenate([rng.lognormal(mean=0.4 * j, sigma=0.5 + 0.1 * j, size=n)
                        for j, n in enumerate(sizes)])
    g = np.concatenate([[f"g{j}"] * n for j, n in enumerate(sizes)])
    perm = rng.permutation(len(y))
    w = rng.uniform(0.5, 3.0, len(y)) if weights else None
    return y[perm], g[perm], (None if w is None else w[perm])


class TestDagumExactExample:
    """Reference: docs/methods/inequality.md §4.1 exact example (hand-worked fractions), tolerance 1e-12."""

    printed = {
        "G": Fraction(6, 17), "G_AA": Fraction(1, 6), "G_BB": Fraction(2, 9),
        "G_CC": Fraction(1, 8), "G_BA": Fraction(7, 13), "G_CA": Fraction(13, 19),
        "G_CB": Fraction(11, 39), "d_BA": Fraction(7, 2), "p_BA": Fraction(0),
        "d_CB": Fraction(10, 3), "p_CB": Fraction(1, 3), "D_CB": Fraction(9, 11),
        "G_w": Fraction(15, 238), "G_nb": Fraction(65, 238), "G_t": Fraction(4, 238),
    }

    def test_printed_fractions_rederived_exactly(self):
        # Exact rational arithmetic of the O(n^2) definitions reproduces the fractions of docs/methods/inequality.md §4.1.
        y = {k: [Fraction(v) for v in vs] for k, vs in EXAMPLE.items()}
        allv = [v for vs in y.values() for v in vs]
        n, mu = len(allv), sum(allv) / len(allv)
        G = sum(abs(a - b) for a in allv for b in allv) / (2 * n * n * mu)
        assert G == self.printed["G"]
        mus = {k: sum(v) / len(v) for k, v in y.items()}
        gcb = sum(abs(a - b) for a in y["C"] for b in y["B"]) / (3 * 2 * (mus["C"] + mus["B"]))
        assert gcb == self.printed["G_CB"]

    def test_every_printed_fraction(self):
        y, g = _example_arrays()
        r = ineq.dagum_gini(y, g)
        P = self.printed
        assert r.G == pytest.approx(float(P["G"]), abs=1e-12)
        assert r.groups.loc["A", "G_jj"] == pytest.approx(float(P["G_AA"]), abs=1e-12)
        assert r.groups.loc["B", "G_jj"] == pytest.approx(float(P["G_BB"]), abs=1e-12)
        assert r.groups.loc["C", "G_jj"] == pytest.approx(float(P["G_CC"]), abs=1e-12)
        assert r.pairs.loc["A-B", "G_jh"] == pytest.approx(float(P["G_BA"]), abs=1e-12)
        assert r.pairs.loc["A-C", "G_jh"] == pytest.approx(float(P["G_CA"]), abs=1e-12)
        assert r.pairs.loc["B-C", "G_jh"] == pytest.approx(float(P["G_CB"]), abs=1e-12)
        assert r.pairs.loc["A-B", "d_jh"] == pytest.approx(float(P["d_BA"]), abs=1e-12)
        assert r.pairs.loc["A-B", "p_jh"] == pytest.approx(float(P["p_BA"]), abs=1e-12)
        assert r.pairs.loc["A-B", "D_jh"] == pytest.approx(1.0, abs=1e-12)
        assert r.pairs.loc["A-C", "D_jh"] == pytest.approx(1.0, abs=1e-12)
        assert r.pairs.loc["B-C", "d_jh"] == pytest.approx(float(P["d_CB"]), abs=1e-12)
        assert r.pairs.loc["B-C", "p_jh"] == pytest.approx(float(P["p_CB"]), abs=1e-12)
        assert r.pairs.loc["B-C", "D_jh"] == pytest.approx(float(P["D_CB"]), abs=1e-12)
        assert r.G_w == pytest.approx(float(P["G_w"]), abs=1e-12)
        assert r.G_nb == pytest.approx(float(P["G_nb"]), abs=1e-12)
        assert r.G_t == pytest.approx(float(P["G_t"]), abs=1e-12)
        # the higher-mean group of each pair is recorded (Dagum's j > h)
        assert tuple(r.pairs.loc["B-C", ["high", "low"]]) == ("C", "B")
        assert list(r.groups.index) == ["A", "B", "C"]

    def test_input_order_and_label_order_irrelevant(self):
        # Reference: the same example, rows shuffled and groups renamed so that
        # the label order differs from the order by mean.
        y, g = _example_arrays()
        perm = np.random.default_rng(0).permutation(len(y))
        ren = {"A": "z", "B": "a", "C": "m"}
        r = ineq.dagum_gini(y[perm], np.array([ren[x] for x in g[perm]]))
        assert list(r.groups.index) == ["z", "a", "m"]  # ascending mean
        assert r.G_nb == pytest.approx(65 / 238, abs=1e-12)
        assert r.pairs.loc["a-m", "D_jh"] == pytest.approx(9 / 11, abs=1e-12)
        assert r.D.loc["m", "a"] == pytest.approx(9 / 11, abs=1e-12)
        assert np.isnan(r.D.loc["a", "m"])

    def test_frame_and_summary(self):
        y, g = _example_arrays()
        r = ineq.dagum_gini(y, g)
        fr = r.to_frame()
        assert fr.loc["G_w", "value"] == pytest.approx(15 / 238, abs=1e-12)
        assert fr.loc["share_nb", "value"] == pytest.approx(65 / 84, abs=1e-12)  # (65/238)/(6/17)
        assert "G_nb" in r.summary()
        with pytest.raises(Exception):
            r.G = 0.0  # frozen


class TestDagumAgainstOracle:
    """Reference: independent O(n^2) numpy/python transcription ``_oracle``; tolerance 1e-12."""

    @pytest.mark.parametrize("weights", [False, True])
    def test_random_unequal_groups(self, weights):
        rng = np.random.default_rng(42)
        y, g, w = _random_groups(rng, [3, 11, 40, 7, 25], weights)
        r = ineq.dagum_gini(y, g, w)
        o = _oracle(y, g, w)
        assert r.G == pytest.approx(o["G"], rel=1e-12)
        assert r.G_w == pytest.approx(o["Gw"], rel=1e-12)
        assert r.G_nb == pytest.approx(o["Gnb"], rel=1e-12)
        assert r.G_t == pytest.approx(o["Gt"], rel=1e-12)
        for lab, v in o["Gjj"].items():
            assert r.groups.loc[lab, "G_jj"] == pytest.approx(v, rel=1e-12)
        for (j, h), v in o["Gjh"].items():
            row = r.pairs[(r.pairs["high"] == j) & (r.pairs["low"] == h)].iloc[0]
            assert row["G_jh"] == pytest.approx(v, rel=1e-12)
            assert row["D_jh"] == pytest.approx(o["D"][(j, h)], rel=1e-10, abs=1e-12)

    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_identity_and_bounds(self, seed):
        # Reference: Dagum's identity G = G_w + G_nb + G_t (exact), 0 <= D_jh <= 1.
        rng = np.random.default_rng(seed)
        sizes = rng.integers(2, 400, size=8)
        y, g, w = _random_groups(rng, sizes, weights=bool(seed % 2))
        r = ineq.dagum_gini(y, g, w)
        assert abs(r.G - (r.G_w + r.G_nb + r.G_t)) < 1e-12
        assert ((r.pairs["D_jh"] >= 0) & (r.pairs["D_jh"] <= 1)).all()
        assert (r.pairs["p_jh"] >= 0).all()  # transvariation is never negative
        assert r.shares.sum() == pytest.approx(1.0, abs=1e-12)
        # overall Gini from the kernel vs PySAL inequality.Gini (unweighted)
        if w is None:
            from inequality.gini import Gini
            # PySAL's Gini is the same ratio (mean absolute difference / 2 mu)
            assert r.G == pytest.approx(Gini(y).g, rel=1e-10)

    def test_integer_weights_equal_replication(self):
        # Reference: weight 3 on a unit == that unit entered three times.
        rng = np.random.default_rng(7)
        y, g, _ = _random_groups(rng, [5, 9, 4])
        w = rng.integers(1, 4, size=len(y)).astype(float)
        rw = ineq.dagum_gini(y, g, w)
        rr = ineq.dagum_gini(np.repeat(y, w.astype(int)), np.repeat(g, w.astype(int)))
        pd.testing.assert_series_equal(rw.to_series(), rr.to_series(), rtol=1e-12)
        assert ineq.gini(y, w) == pytest.approx(ineq.gini(np.repeat(y, w.astype(int))), rel=1e-12)

    def test_ties_and_large_values(self):
        # Ties across groups and a large offset (cancellation in cumulative sums).
        y = np.array([5.0, 5, 5, 7, 5, 7, 9, 9]) + 1e6
        g = np.array(list("aaabbbcc"))
        r = ineq.dagum_gini(y, g)
        o = _oracle(y, g)
        assert r.G == pytest.approx(o["G"], rel=1e-9)
        assert r.G_t == pytest.approx(o["Gt"], rel=1e-9, abs=1e-15)

    def test_kernel_positive_part_sum(self):
        # Reference: the double loop, for the kernel used in every pair.
        rng = np.random.default_rng(3)
        x, y = rng.normal(size=17), np.sort(rng.normal(size=23))
        wx, wy = rng.uniform(size=17), rng.uniform(size=23)
        want = sum(wx[i] * wy[r] * max(x[i] - y[r], 0) for i in range(17) for r in range(23))
        assert gk.positive_part_sum(x, wx, y, wy) == pytest.approx(want, rel=1e-12)


class TestDagumBootstrap:
    """Reference: reproducibility by seed; resampling within groups keeps group sizes."""

    def test_seeded_and_reproducible(self):
        rng = np.random.default_rng(5)
        y, g, _ = _random_groups(rng, [10, 15, 20])
        a = ineq.dagum_gini(y, g, n_boot=50, seed=11)
        b = ineq.dagum_gini(y, g, n_boot=50, seed=11)
        c = ineq.dagum_gini(y, g, n_boot=50, seed=12)
        pd.testing.assert_frame_equal(a.ci, b.ci)
        assert not a.ci.equals(c.ci)
        assert (a.ci["low"] <= a.ci["high"]).all()
        assert a.ci.loc["G", "low"] < a.G < a.ci.loc["G", "high"]
        assert list(a.to_frame().columns) == ["value", "se", "low", "high"]

    def test_resamples_within_groups(self):
        # Two constant groups: every within-group resample is the same data, so
        # every statistic has zero bootstrap spread (a pooled resample would not).
        y = np.array([1.0] * 5 + [3.0] * 7)
        g = np.array(["lo"] * 5 + ["hi"] * 7)
        r = ineq.dagum_gini(y, g, n_boot=20, seed=0)
        assert np.allclose(r.ci["se"], 0.0)
        assert r.G_w == 0.0 and r.G_t == 0.0


class TestTheil:
    """References: docs/methods/inequality.md §4.2 worked example (6 decimals); PySAL inequality.theil.TheilD."""

    def test_worked_example(self):
        y, g = _example_arrays()
        t = ineq.theil(y, g)
        assert t.T == pytest.approx(0.203057, abs=5e-7)
        assert t.T_w == pytest.approx(0.059124, abs=5e-7)
        assert t.T_b == pytest.approx(0.143933, abs=5e-7)
        assert t.L == pytest.approx(0.244473, abs=5e-7)
        assert t.L_w == pytest.approx(0.063755, abs=5e-7)
        assert t.L_b == pytest.approx(0.180718, abs=5e-7)
        # plain-numpy definitions (independent of the decomposition)
        mu = y.mean()
        assert t.T == pytest.approx(np.mean(y / mu * np.log(y / mu)), rel=1e-12)
        assert t.L == pytest.approx(np.mean(np.log(mu / y)), rel=1e-12)

    @pytest.mark.parametrize("seed", [0, 1])
    def test_against_pysal_theild(self, seed):
        from inequality.theil import TheilD
        rng = np.random.default_rng(seed)
        y, g, _ = _random_groups(rng, [4, 13, 30, 8])
        codes = pd.factorize(g)[0]
        ref = TheilD(y, codes)
        t = ineq.theil(y, g)
        assert t.T == pytest.approx(float(np.squeeze(ref.T)), rel=1e-12)
        assert t.T_b == pytest.approx(float(np.squeeze(ref.bg)), rel=1e-12)
        assert t.T_w == pytest.approx(float(np.squeeze(ref.wg)), rel=1e-10)

    def test_weights_equal_replication(self):
        rng = np.random.default_rng(9)
        y, g, _ = _random_groups(rng, [6, 5, 7])
        w = rng.integers(1, 5, size=len(y))
        tw = ineq.theil(y, g, w.astype(float))
        tr = ineq.theil(np.repeat(y, w), np.repeat(g, w))
        pd.testing.assert_series_equal(tw.to_series(), tr.to_series(), rtol=1e-12)

    def test_nested_identities(self):
        # Reference: the two-stage terms must add up to one-stage decompositions:
        # between_upper = T_b by region; between_upper + between_lower = T_b by
        # province; within_lower = T_w by province (Akita 2003, eq. 3).
        rng = np.random.default_rng(4)
        prov = np.repeat([f"p{i}" for i in range(9)], rng.integers(2, 12, size=9))
        region = np.array([{"p0": "E", "p1": "E", "p2": "E", "p3": "C", "p4": "C",
                            "p5": "W", "p6": "W", "p7": "W", "p8": "W"}[p] for p in prov])
        y = rng.lognormal(size=len(prov))
        w = rng.uniform(1, 5, size=len(prov))
        for index in ("T", "L"):
            nt = ineq.theil_nested(y, region, prov, w, index=index)
            one_r = ineq.theil(y, region, w)
            one_p = ineq.theil(y, prov, w)
            assert nt.total == pytest.approx(getattr(one_r, index), rel=1e-12)
            assert nt.between_upper == pytest.approx(getattr(one_r, f"{index}_b"), rel=1e-12)
            assert nt.between_upper + nt.between_lower == pytest.approx(
                getattr(one_p, f"{index}_b"), rel=1e-12)
            assert nt.within_lower == pytest.approx(getattr(one_p, f"{index}_w"), rel=1e-12)
            assert nt.shares.sum() == pytest.approx(1.0, rel=1e-12)

    def test_nested_by_year_city_codes(self):
        # Reference: one-stage decompositions of each year (same identities as above),
        # with provinces from city codes (code // 10000) and NBS regions by hand.
        rng = np.random.default_rng(8)
        cities = [110100, 120100, 130100, 130200, 140100, 140200, 440100, 440300, 460100,
                  460200, 210100, 210200, 510100, 510300, 510400]
        region = {11: "East", 12: "East", 13: "East", 44: "East", 46: "East", 14: "Central",
                  21: "Northeast", 51: "West"}
        df = pd.DataFrame([(c, y, rng.lognormal(), rng.uniform(1, 9)) for y in (2020, 2021)
                           for c in cities], columns=["code", "year", "v", "pop"])
        tab = ineq.theil_nested_by_year(df, "v", obs_weights="pop")
        for yr in (2020, 2021):
            sub = df[df["year"] == yr]
            prov = (sub["code"] // 10000).to_numpy()
            reg = np.array([region[p] for p in prov])
            one_r = ineq.theil(sub["v"].to_numpy(), reg, sub["pop"].to_numpy())
            one_p = ineq.theil(sub["v"].to_numpy(), prov, sub["pop"].to_numpy())
            assert tab.loc[yr, "total"] == pytest.approx(one_r.T, rel=1e-12)
            assert tab.loc[yr, "between_upper"] == pytest.approx(one_r.T_b, rel=1e-12)
            assert tab.loc[yr, "within_lower"] == pytest.approx(one_p.T_w, rel=1e-12)
        with pytest.raises(DataError, match="six-digit"):
            ineq.theil_nested_by_year(df.assign(code=df["code"] // 10000 + 100 * df.index),
                                      "v")

    def test_nested_refuses_non_nested_labels(self):
        with pytest.raises(DataError, match="p1"):
            ineq.theil_nested([1.0, 2, 3, 4], ["E", "E", "W", "W"], ["p0", "p1", "p1", "p2"])

    def test_theil_t_allows_zeros_l_refuses(self):
        y = np.array([0.0, 1, 2, 3])
        t = ineq.theil(y, index="T")
        assert t.T == pytest.approx(np.sum(y[1:] / 1.5 * np.log(y[1:] / 1.5)) / 4, rel=1e-12)
        with pytest.raises(DataError, match=r"zeros at 0.*Theil L"):
            ineq.theil(y)


class TestCV:
    """Reference: numpy std/mean (population sd by default)."""

    def test_cv(self):
        x = np.array([1.0, 2, 4, 7])
        assert ineq.cv(x) == pytest.approx(np.std(x) / np.mean(x), rel=1e-14)
        assert ineq.cv(x, ddof=1) == pytest.approx(np.std(x, ddof=1) / np.mean(x), rel=1e-14)
        w = np.array([1.0, 2, 1, 3])
        assert ineq.cv(x, w) == pytest.approx(ineq.cv(np.repeat(x, w.astype(int))), rel=1e-12)


class TestBadInput:
    """Reference: CONTRIBUTING 'bad input gets a clear error' -- messages name the offenders."""

    def test_two_dimensional(self):
        with pytest.raises(DataError, match=r"one-dimensional.*\(31, 5\)"):
            ineq.dagum_gini(np.ones((31, 5)), ["a"] * 31)
        with pytest.raises(DataError, match="one-dimensional"):
            ineq.gini(np.ones((31, 5)))
        with pytest.raises(DataError, match="one-dimensional"):
            ineq.theil(np.ones((3, 2)))

    def test_nan(self):
        s = pd.Series([1.0, np.nan, 3.0, 4.0], index=[11, 12, 13, 14])
        with pytest.raises(DataError, match="non-finite values at 12"):
            ineq.dagum_gini(s, ["a", "a", "b", "b"])

    def test_one_member_group(self):
        with pytest.raises(DataError, match="single member: 'solo'"):
            ineq.dagum_gini([1.0, 2, 3, 4], ["a", "a", "a", "solo"])

    def test_negative_and_zero_mean(self):
        with pytest.raises(DataError, match="negative at 1"):
            ineq.dagum_gini([1.0, -2, 3, 4], ["a", "a", "b", "b"])
        with pytest.raises(DataError, match="mean zero: 'z'"):
            ineq.dagum_gini([0.0, 0, 3, 4], ["z", "z", "b", "b"])

    def test_bad_weights_and_labels(self):
        with pytest.raises(DataError, match="non-positive at 2"):
            ineq.dagum_gini([1.0, 2, 3, 4], list("aabb"), [1, 1, 0, 1])
        with pytest.raises(DataError, match="3 labels but there are 4 values"):
            ineq.dagum_gini([1.0, 2, 3, 4], list("aab"))
        with pytest.raises(DataError, match="missing labels at positions 1"):
            ineq.dagum_gini([1.0, 2, 3, 4], ["a", None, "b", "b"])
        s = pd.Series([1.0, 2, 3, 4], index=[11, 12, 13, 99])
        with pytest.raises(DataError, match="id.*99"):
            ineq.dagum_gini(s, {11: "a", 12: "a", 13: "b"})


class TestDemoPanel:
    """Reference: the cross-section functions applied year by year by hand
    (the by-year forms must be that loop), and Dagum's identity each year."""

    @pytest.fixture(scope="class")
    def panel(self):
        try:
            from spatialnqpf.datasets import load_demo_panel
            return load_demo_panel()
        except Exception:  # pragma: no cover - until datasets lands
            from pathlib import Path
            return pd.read_csv(Path(ineq.__file__).parent / "data" / "nqpf_panel_2012_2022.csv")

    def test_dagum_by_year_matches_loop(self, panel, output_dir):
        from spatialnqpf import regions
        res = ineq.dagum_gini_by_year(panel, "rd_intensity")
        tab = res.to_frame()
        assert list(tab.index) == list(range(2012, 2023))
        assert res.order == ("East", "Central", "West", "Northeast")
        sub = panel[panel["year"] == 2016]
        grp = regions.groups(sub["code"]).reindex(sub["code"]).to_numpy()
        one = ineq.dagum_gini(sub["rd_intensity"].to_numpy(), grp)
        pd.testing.assert_series_equal(tab.loc[2016], one.to_series(), check_names=False,
                                       rtol=1e-13)
        assert np.allclose(tab["G"], tab["G_w"] + tab["G_nb"] + tab["G_t"], atol=1e-12, rtol=0)
        tab.to_csv(output_dir / "dagum_rd_intensity_by_year.csv", float_format="%.6f")
        paper = res.table(lang="zh", decimals=None)
        assert paper[("区域间", "East-West")].equals(tab["G_jh[East-West]"])
        assert paper[("贡献率(%)", "超变密度")].equals(tab["share_t"] * 100)
        assert paper.shape[1] == 1 + 4 + 6 + 3
        paper.round(4).to_csv(output_dir / "dagum_rd_intensity_paper_table_zh.csv",
                              encoding="utf-8-sig")
        (output_dir / "dagum_rd_intensity_summary.txt").write_text(res.summary(), encoding="utf-8")
        import matplotlib.pyplot as plt
        from spatialnqpf.report.plot_inequality import plot_dagum
        plot_dagum(res).savefig(output_dir / "dagum_rd_intensity_by_year.png", dpi=110)
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # no CJK font -> English labels with a warning
            fig = plot_dagum(res, lang="zh")
        fig.savefig(output_dir / "dagum_rd_intensity_by_year_zh.png", dpi=110)
        with pytest.raises(ValueError, match="lang"):
            plot_dagum(res, lang="fr")
        plt.close("all")

    def test_weighted_and_bootstrap_by_year(self, panel):
        # Reference: the cross-section function with the same weights/seed stream.
        df = panel.assign(pop=np.random.default_rng(1).uniform(1, 10, len(panel)))
        res = ineq.dagum_gini_by_year(df, "rd_intensity", obs_weights="pop")
        sub = df[df["year"] == 2012]
        from spatialnqpf import regions
        grp = regions.groups(sub["code"]).reindex(sub["code"]).to_numpy()
        one = ineq.dagum_gini(sub["rd_intensity"].to_numpy(), grp, sub["pop"].to_numpy())
        pd.testing.assert_series_equal(res[2012].to_series(), one.to_series(), rtol=1e-13)
        b1 = ineq.dagum_gini_by_year(df[df["year"] <= 2013], "rd_intensity", n_boot=30, seed=4)
        b2 = ineq.dagum_gini_by_year(df[df["year"] <= 2013], "rd_intensity", n_boot=30, seed=4)
        pd.testing.assert_frame_equal(b1.to_frame(ci=True), b2.to_frame(ci=True))
        assert b1.to_frame(ci=True).loc[2013, ("G", "low")] < b1[2013].G

    def test_bootstrap_of_a_year_does_not_depend_on_the_other_years(self, panel):
        # Regression: the docstring promised that year t's bootstrap does not depend on which
        # years are kept, but seeds were spawned by position (dropping 2012 shifted every
        # stream); a numpy Generator seed (documented for dagum_gini) raised TypeError.
        # Reference: the same function on a different set of years (the promised invariance)
        # and the cross-section dagum_gini driven by SeedSequence(seed, spawn_key=(year,)).
        from spatialnqpf import regions
        a = ineq.dagum_gini_by_year(panel[panel["year"] <= 2014], "rd_intensity", n_boot=15, seed=3)
        b = ineq.dagum_gini_by_year(panel[panel["year"].between(2014, 2016)], "rd_intensity",
                                    n_boot=15, seed=3)
        pd.testing.assert_frame_equal(a[2014].ci, b[2014].ci, rtol=1e-14)
        sub = panel[panel["year"] == 2014]
        grp = regions.groups(sub["code"]).reindex(sub["code"]).to_numpy()
        one = ineq.dagum_gini(sub["rd_intensity"].to_numpy(), grp, n_boot=15, seed=np.random.default_rng(
            np.random.SeedSequence(3, spawn_key=(2014,))))
        pd.testing.assert_frame_equal(a[2014].ci, one.ci, rtol=1e-14)
        g1 = ineq.dagum_gini_by_year(panel[panel["year"] <= 2013], "rd_intensity", n_boot=5,
                                     seed=np.random.default_rng(1))
        g2 = ineq.dagum_gini_by_year(panel[panel["year"] <= 2013], "rd_intensity", n_boot=5,
                                     seed=np.random.default_rng(1))
        pd.testing.assert_frame_equal(g1.to_frame(ci=True), g2.to_frame(ci=True))

    def test_theil_and_cv_by_year(self, panel):
        th = ineq.theil_by_year(panel, "rd_intensity")
        cvs = ineq.cv_by_year(panel, "rd_intensity")
        sub = panel[panel["year"] == 2020]
        x = sub["rd_intensity"].to_numpy()
        assert th.loc[2020, "T"] == pytest.approx(np.mean(x / x.mean() * np.log(x / x.mean())),
                                                  rel=1e-12)
        assert cvs.loc[2020, "nation"] == pytest.approx(x.std() / x.mean(), rel=1e-12)
        east = sub[sub["code"].isin([11, 12, 13, 31, 32, 33, 35, 37, 44, 46])]["rd_intensity"]
        assert cvs.loc[2020, "East"] == pytest.approx(east.std(ddof=0) / east.mean(), rel=1e-12)

    def test_group_given_as_a_column_of_the_panel(self, panel):
        # Regression: group="<column of data>" (documented) was dropped by check_panel (it keeps
        # only numeric columns) and then read as a regions scheme name -> ValueError, in
        # dagum_gini_by_year, theil_by_year, cv_by_year and the dynamics by-group functions.
        # Reference: the O(n^2) numpy oracle (Dagum) and plain numpy (Theil T, CV) on the
        # 2019 cross-section, groups from the column; rows shuffled so labels must follow ids.
        df = panel.assign(half=np.where(panel["code"] < 40, "north", "south"))
        df = df.sample(frac=1, random_state=11)
        sub = df[df["year"] == 2019]
        x, g = sub["rd_intensity"].to_numpy(), sub["half"].to_numpy()
        ref = _oracle(x, g)
        res = ineq.dagum_gini_by_year(df, "rd_intensity", group="half")
        assert res.order == ("north", "south")
        r = res[2019]
        assert r.G == pytest.approx(ref["G"], rel=1e-12)
        assert r.G_nb == pytest.approx(ref["Gnb"], rel=1e-10)
        assert r.within["south"] == pytest.approx(ref["Gjj"]["south"], rel=1e-12)
        th = ineq.theil_by_year(df, "rd_intensity", group="half", index="T")
        mu, mug = x.mean(), {k: x[g == k].mean() for k in ("north", "south")}
        T_b = sum((g == k).sum() * mug[k] / (len(x) * mu) * np.log(mug[k] / mu) for k in mug)
        assert th.loc[2019, "T_b"] == pytest.approx(T_b, rel=1e-12)
        cvs = ineq.cv_by_year(df, "rd_intensity", group="half")
        n = x[g == "north"]
        assert cvs.loc[2019, "north"] == pytest.approx(n.std() / n.mean(), rel=1e-12)
        from spatialnqpf import dynamics as dyn
        sg = dyn.sigma_convergence(df, "rd_intensity", group="half")
        assert sg.table.loc[2019, "north"] == pytest.approx(n.std() / n.mean(), rel=1e-12)
        kd = dyn.kernel_density_by_year(df, "rd_intensity", group="half")
        assert kd.groups == ("nation", "north", "south")
        with pytest.raises(DataError, match=r"'half'.*\b12\b"):
            ineq.cv_by_year(df.assign(half=df["half"].where(df["code"] != 12)), "rd_intensity",
                            group="half")

    def test_panel_errors_name_rows(self, panel):
        dup = pd.concat([panel, panel.iloc[[0]]])
        with pytest.raises(PanelError, match=r"duplicated.*\(11, 2012\)"):
            ineq.dagum_gini_by_year(dup, "rd_intensity")
        with pytest.raises(DataError, match="no group label for id.*99"):
            ineq.dagum_gini_by_year(panel.assign(code=panel["code"].replace(65, 99)),
                                    "rd_intensity", group={c: "x" for c in range(11, 66)})
