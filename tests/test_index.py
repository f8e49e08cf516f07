"""Tests of spatialnqpf.index (issue 5).

References used, per class:

* ``TestWorkedExample``: the hand-worked example of docs/methods/index.md
  §1.1-1.2 (4 observations x 3 indicators), atol 1e-6.
* ``TestNumpyTranscription``: a plain-numpy transcription of the formulas of
  docs/methods/index.md §1, written independently in this file, on seeded random
  data, rtol 1e-12.
* ``TestPymcdm``: pymcdm 1.4.0 (``pymcdm.weights.entropy_weights``,
  ``pymcdm.weights.critic_weights``, ``pymcdm.methods.TOPSIS``) on
  cross-sections, rtol 1e-10.  pymcdm has no panel method, sets the entropy of
  any column containing a zero to 0 (so it is fed strictly positive Z) and
  ignores directions in CRITIC (so cost columns are negated before).
* Obstacle degree and coupling coordination: hand-worked numbers in the tests.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import index as ix
from spatialnqpf._validation import DataError, PanelError

# ---------------------------------------------------------------------------
# docs/methods/index.md §1.1-1.2 worked example
# ---------------------------------------------------------------------------
X_EX = np.array([[10, .5, 3], [20, .4, 5], [15, .9, 4], [30, .2, 8]], dtype=float)
DIRS_EX = {"a": 1, "b": -1, "c": 1}
E_EX = [0.689833, 0.773409, 0.649894]
W_EX = [0.349735, 0.255497, 0.394769]
S_EX = [0.146098, 0.515372, 0.166487, 1.000100]
C_EX = [0.213245, 0.495587, 0.195902, 1.0]


def example_frame():
    return pd.DataFrame(X_EX, columns=list("abc")).assign(code=[11, 12, 13, 14])


class TestWorkedExample:
    """docs/methods/index.md §1.1-1.2 worked example (hand-worked), atol 1e-6."""

    def test_entropy_weights(self):
        w = ix.entropy_weights(example_frame(), DIRS_EX)
        np.testing.assert_allclose(w.to_numpy(), W_EX, atol=1e-6)
        assert list(w.index) == ["a", "b", "c"]
        assert w.name == "weight"

    def test_cross_section(self):
        res = ix.entropy_topsis(example_frame(), DIRS_EX, time=None)
        np.testing.assert_allclose(res.entropies.to_numpy(), E_EX, atol=1e-6)
        np.testing.assert_allclose(res.weights.to_numpy(), W_EX, atol=1e-6)
        np.testing.assert_allclose(res.linear_scores.to_numpy(), S_EX, atol=1e-6)
        np.testing.assert_allclose(res.scores.to_numpy(), C_EX, atol=1e-6)
        np.testing.assert_allclose(res.divergences.to_numpy(), 1 - np.array(E_EX), atol=1e-6)
        assert res.ranks.tolist() == [3, 2, 4, 1]

    def test_as_panel_uses_k_1_over_ln_nT(self):
        # the same 4 observations as 2 provinces x 2 years: n*T = 4, same numbers
        df = pd.DataFrame(X_EX, columns=list("abc")).assign(code=[11, 12, 11, 12],
                                                            year=[2020, 2020, 2021, 2021])
        res = ix.entropy_topsis(df, DIRS_EX)
        np.testing.assert_allclose(res.weights.to_numpy(), W_EX, atol=1e-6)
        np.testing.assert_allclose(res.scores.loc[[(11, 2020), (12, 2020), (11, 2021), (12, 2021)]].to_numpy(),
                                   C_EX, atol=1e-6)
        np.testing.assert_allclose(res.linear_scores.loc[(12, 2021)], S_EX[3], atol=1e-6)
        # ranks are within years: 2020 -> (12 first), 2021 -> (12 first)
        assert res.ranks.loc[(12, 2020)] == 1 and res.ranks.loc[(11, 2020)] == 2
        assert res.ranks.loc[(12, 2021)] == 1 and res.ranks.loc[(11, 2021)] == 2

    def test_direction_spellings(self):
        for spell in ({"a": "+", "b": "-", "c": "+"}, {"a": "benefit", "b": "cost", "c": "positive"},
                      {"a": 1.0, "b": "负", "c": "正"}):
            np.testing.assert_allclose(ix.entropy_weights(example_frame(), spell).to_numpy(), W_EX, atol=1e-6)


# ---------------------------------------------------------------------------
# plain-numpy transcription (independent of the module's kernels)
# ---------------------------------------------------------------------------
def np_entropy(X, dirs, shift):
    X = np.asarray(X, float)
    n, m = X.shape
    Z = np.zeros_like(X)
    for j in range(m):
        lo, hi = X[:, j].min(), X[:, j].max()
        Z[:, j] = (X[:, j] - lo) / (hi - lo) if dirs[j] > 0 else (hi - X[:, j]) / (hi - lo)
    e = np.zeros(m)
    for j in range(m):
        p = (Z[:, j] + shift) / (Z[:, j] + shift).sum()
        e[j] = -sum(pi * math.log(pi) for pi in p if pi > 0) / math.log(n)
    w = (1 - e) / (1 - e).sum()
    return Z, e, w


def np_topsis(Z, w):
    V = Z * w
    dp = np.sqrt(((V - V.max(0)) ** 2).sum(1))
    dm = np.sqrt(((V - V.min(0)) ** 2).sum(1))
    return dm / (dp + dm)


def np_critic(Z):
    m = Z.shape[1]
    sd = np.array([np.std(Z[:, j], ddof=1) for j in range(m)])
    C = np.zeros(m)
    for j in range(m):
        for k in range(m):
            r = np.corrcoef(Z[:, j], Z[:, k])[0, 1]
            C[j] += 1 - r
        C[j] *= sd[j]
    return C / C.sum()


def random_panel(seed=0, n=12, T=5, m=5):
    rng = np.random.default_rng(seed)
    X = rng.lognormal(size=(n * T, m)) * rng.uniform(0.5, 50, size=m)
    cols = [f"x{j}" for j in range(m)]
    df = pd.DataFrame(X, columns=cols)
    df["code"] = np.tile(np.arange(n) + 11, T)
    df["year"] = np.repeat(np.arange(2010, 2010 + T), n)
    dirs = {c: (1 if j % 3 else -1) for j, c in enumerate(cols)}
    return df, dirs


class TestNumpyTranscription:
    """Plain-numpy transcription in this file (docs/methods/index.md §1), rtol 1e-12."""

    @pytest.mark.parametrize("seed,shift", [(0, 1e-4), (1, 1e-3), (2, 0.01), (3, 0.0)])
    def test_panel_entropy_topsis(self, seed, shift):
        df, dirs = random_panel(seed)
        res = ix.entropy_topsis(df, dirs, shift=shift)
        dsort = df.sort_values(["year", "code"])
        Z, e, w = np_entropy(dsort[list(dirs)].to_numpy(), list(dirs.values()), shift)
        np.testing.assert_allclose(res.entropies.to_numpy(), e, rtol=1e-12)
        np.testing.assert_allclose(res.weights.to_numpy(), w, rtol=1e-12)
        np.testing.assert_allclose(res.scores.to_numpy(), np_topsis(Z + shift, w), rtol=1e-12)
        np.testing.assert_allclose(res.linear_scores.to_numpy(), (Z + shift) @ w, rtol=1e-12)
        np.testing.assert_allclose(res.normalized.to_numpy(), Z, rtol=1e-12, atol=1e-15)

    def test_weighted_distance_variant(self):
        df, dirs = random_panel(4)
        res = ix.entropy_topsis(df, dirs, distance="weighted")
        dsort = df.sort_values(["year", "code"])
        Z, _, w = np_entropy(dsort[list(dirs)].to_numpy(), list(dirs.values()), 1e-4)
        dp = np.sqrt((w * (Z - Z.max(0)) ** 2).sum(1))
        dm = np.sqrt((w * (Z - Z.min(0)) ** 2).sum(1))
        np.testing.assert_allclose(res.scores.to_numpy(), dm / (dp + dm), rtol=1e-12)

    def test_per_year_option(self):
        df, dirs = random_panel(5)
        res = ix.entropy_topsis(df, dirs, per_year=True)
        assert res.weights_by_time.shape == (5, 5)
        for year, sub in df.groupby("year"):
            sub = sub.sort_values("code")
            Z, e, w = np_entropy(sub[list(dirs)].to_numpy(), list(dirs.values()), 1e-4)  # k = 1/ln n
            np.testing.assert_allclose(res.weights_by_time.loc[year].to_numpy(), w, rtol=1e-12)
            np.testing.assert_allclose(res.scores.xs(year, level="year").to_numpy(),
                                       np_topsis(Z, w), rtol=1e-12)
        np.testing.assert_allclose(res.weights.to_numpy(), res.weights_by_time.mean().to_numpy())
        assert res.settings["per_year"] and res.settings["method"].startswith("per-year")

    def test_critic(self):
        df, dirs = random_panel(6)
        Z, _, _ = np_entropy(df[list(dirs)].to_numpy(), list(dirs.values()), 0)
        w = ix.critic_weights(df, dirs)
        np.testing.assert_allclose(w.to_numpy(), np_critic(Z), rtol=1e-12)
        res = ix.entropy_topsis(df, dirs, scheme="critic")
        np.testing.assert_allclose(res.weights.to_numpy(), np_critic(Z), rtol=1e-12)

    def test_combined_and_equal(self):
        df, dirs = random_panel(7)
        Z, _, we = np_entropy(df[list(dirs)].to_numpy(), list(dirs.values()), 1e-4)
        wc = np_critic(Z)
        for method, expected in [("geometric", np.sqrt(we * wc)), ("product", we * wc),
                                 ("arithmetic", 0.5 * we + 0.5 * wc)]:
            res = ix.entropy_topsis(df, dirs, scheme="combined", combine=method)
            np.testing.assert_allclose(res.weights.to_numpy(), expected / expected.sum(), rtol=1e-12)
            np.testing.assert_allclose(res.indicators["weight_entropy"], we, rtol=1e-12)
            np.testing.assert_allclose(res.indicators["weight_critic"], wc, rtol=1e-12)
        w3 = ix.combined_weights(pd.Series(we, index=list(dirs)), pd.Series(wc, index=list(dirs)),
                                 "arithmetic", alpha=0.3)
        np.testing.assert_allclose(w3.to_numpy(), 0.3 * we + 0.7 * wc, rtol=1e-12)
        res = ix.entropy_topsis(df, dirs, scheme="equal")
        np.testing.assert_allclose(res.weights.to_numpy(), 0.2)
        dsort = df.sort_values(["year", "code"])
        Zs, _, _ = np_entropy(dsort[list(dirs)].to_numpy(), list(dirs.values()), 0)
        np.testing.assert_allclose(res.scores.to_numpy(), np_topsis(Zs, np.full(5, .2)), rtol=1e-12)
        np.testing.assert_allclose(ix.equal_weights(["a", "b", "c", "d"]).to_numpy(), 0.25)

    def test_user_weights_renormalised(self):
        df, dirs = random_panel(8)
        res = ix.entropy_topsis(df, dirs, scheme={c: 2.0 for c in dirs})
        np.testing.assert_allclose(res.weights.to_numpy(), 0.2)
        with pytest.raises(DataError, match="x4"):
            ix.entropy_topsis(df, dirs, scheme={"x0": 1, "x1": 1, "x2": 1, "x3": 1})


# ---------------------------------------------------------------------------
# pymcdm 1.4.0 on cross-sections
# ---------------------------------------------------------------------------
class TestPymcdm:
    """pymcdm 1.4.0 as second implementation on cross-sections, rtol 1e-10."""

    @pytest.fixture(autouse=True)
    def _pymcdm(self):
        pytest.importorskip("pymcdm")

    def cross_section(self, seed):
        rng = np.random.default_rng(seed)
        X = rng.gamma(2.0, size=(31, 6)) * rng.uniform(1, 100, size=6)
        cols = [f"v{j}" for j in range(6)]
        dirs = {c: (-1 if j in (1, 4) else 1) for j, c in enumerate(cols)}
        df = pd.DataFrame(X, columns=cols).assign(code=np.arange(31) + 11)
        return X, cols, dirs, df

    @pytest.mark.parametrize("seed", [0, 1, 2])
    def test_entropy(self, seed):
        from pymcdm.weights import entropy_weights as pm_entropy
        X, cols, dirs, df = self.cross_section(seed)
        d = np.array(list(dirs.values()))
        lo, hi = X.min(0), X.max(0)
        Z = np.where(d > 0, (X - lo) / (hi - lo), (hi - X) / (hi - lo))
        ours = ix.entropy_weights(df, dirs, shift=1e-3)
        np.testing.assert_allclose(ours.to_numpy(), pm_entropy(Z + 1e-3), rtol=1e-10)
        # the proportion method on raw positive data (normalize="none", no shift)
        ours_raw = ix.entropy_weights(df, {c: 1 for c in cols}, shift=0, normalize="none")
        np.testing.assert_allclose(ours_raw.to_numpy(), pm_entropy(X), rtol=1e-10)

    @pytest.mark.parametrize("seed", [0, 1, 2])
    def test_topsis(self, seed):
        from pymcdm.methods import TOPSIS
        X, cols, dirs, df = self.cross_section(seed)
        res = ix.entropy_topsis(df, dirs, time=None)
        pm = TOPSIS()(X, res.weights.to_numpy(), np.array(list(dirs.values())))
        np.testing.assert_allclose(res.scores.to_numpy(), pm, rtol=1e-10)

    @pytest.mark.parametrize("seed", [0, 1, 2])
    def test_critic(self, seed):
        from pymcdm.weights import critic_weights as pm_critic
        X, cols, dirs, df = self.cross_section(seed)
        signed = X * np.array(list(dirs.values()))  # pymcdm ignores directions: reverse cost columns
        np.testing.assert_allclose(ix.critic_weights(df, dirs).to_numpy(), pm_critic(signed), rtol=1e-10)


# ---------------------------------------------------------------------------
# invariances
# ---------------------------------------------------------------------------
class TestInvariances:
    """Properties that must hold exactly (row order, units) or in sign (monotonicity)."""

    def test_row_permutation(self):
        df, dirs = random_panel(10)
        base = ix.entropy_topsis(df, dirs)
        shuffled = df.sample(frac=1.0, random_state=3)
        res = ix.entropy_topsis(shuffled, dirs)
        pd.testing.assert_series_equal(res.weights, base.weights, rtol=1e-13)
        pd.testing.assert_frame_equal(res.to_frame(), base.to_frame(), rtol=1e-12)

    def test_unit_rescaling(self):
        df, dirs = random_panel(11)
        base = ix.entropy_topsis(df, dirs)
        df2 = df.copy()
        df2["x0"] = df2["x0"] * 1e4          # e.g. 亿元 -> 万元
        df2["x2"] = df2["x2"] / 100 + 7.5    # % -> share plus an offset
        res = ix.entropy_topsis(df2, dirs)
        np.testing.assert_allclose(res.weights.to_numpy(), base.weights.to_numpy(), rtol=1e-9)
        np.testing.assert_allclose(res.scores.to_numpy(), base.scores.to_numpy(), rtol=1e-9)

    def test_monotone_in_each_indicator(self):
        # fixed weights; change one observation strictly inside the column's range
        df, dirs = random_panel(12)
        fixed = {c: 1.0 for c in dirs}
        base = ix.entropy_topsis(df, dirs, scheme=fixed)
        for col, d in dirs.items():
            i = int(np.argsort(df[col].to_numpy())[len(df) // 2])  # the median row
            lo = df[col].min()
            hi = df[col].max()
            df2 = df.copy()
            v = df2.loc[i, col]
            df2.loc[i, col] = v + 0.5 * ((hi if d > 0 else lo) - v)  # move towards "better"
            res = ix.entropy_topsis(df2, dirs, scheme=fixed)
            key = (df.loc[i, "code"], df.loc[i, "year"])
            assert res.scores.loc[key] > base.scores.loc[key], col
            assert res.linear_scores.loc[key] > base.linear_scores.loc[key], col
            others = res.scores.drop(key)
            np.testing.assert_allclose(others.to_numpy(), base.scores.drop(key).to_numpy(), rtol=1e-12)

    def test_ties_share_rank(self):
        df = pd.DataFrame({"code": [1, 2, 3, 4], "a": [1.0, 2.0, 2.0, 3.0], "b": [1.0, 2.0, 2.0, 3.0]})
        res = ix.entropy_topsis(df, {"a": 1, "b": 1}, time=None)
        assert res.ranks.tolist() == [4, 2, 2, 1]


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
class TestBadInput:
    def test_negative_values_where_log_needed(self):
        df = example_frame()
        df.loc[2, "b"] = -0.3
        with pytest.raises(DataError, match=r"negative values.*'b' at row 2"):
            ix.entropy_weights(df, {"a": 1, "b": 1}, normalize="none")
        with pytest.raises(DataError, match="cost indicators"):
            ix.entropy_weights(df, {"a": 1, "b": -1}, normalize="none")
        # min-max standardisation makes negative raw values harmless
        w = ix.entropy_weights(df, {"a": 1, "b": 1})
        assert np.isclose(w.sum(), 1)

    def test_constant_indicator_gets_zero_weight_and_warning(self):
        df = example_frame().assign(k=5.0)
        with pytest.warns(ix.IndexWarning, match="zero variance.*'k'"):
            w = ix.entropy_weights(df, {**DIRS_EX, "k": 1})
        assert w["k"] == 0
        np.testing.assert_allclose(w[["a", "b", "c"]].to_numpy(), W_EX, atol=1e-6)
        with pytest.warns(ix.IndexWarning, match="'k'"):
            res = ix.entropy_topsis(df, {**DIRS_EX, "k": 1}, time=None)
        assert res.constant == ["k"]
        np.testing.assert_allclose(res.scores.to_numpy(), C_EX, atol=1e-6)
        assert res.entropies["k"] == 1.0

    def test_all_constant_is_error(self):
        df = pd.DataFrame({"code": [1, 2, 3], "a": [1.0] * 3, "b": [2.0] * 3})
        with pytest.raises(DataError, match="all indicators are constant"):
            ix.entropy_weights(df, {"a": 1, "b": 1})
        with pytest.raises(DataError, match="all indicators are constant"):
            ix.entropy_topsis(df, {"a": 1, "b": 1}, time=None)

    def test_unknown_direction(self):
        with pytest.raises(DataError, match=r"unknown direction 'up' for indicator 'b'"):
            ix.entropy_weights(example_frame(), {"a": 1, "b": "up"})
        with pytest.raises(DataError, match=r"unknown direction 0 for indicator 'a'"):
            ix.entropy_topsis(example_frame(), {"a": 0}, time=None)
        with pytest.raises(DataError, match="directions are required"):
            ix.entropy_weights(example_frame())

    def test_missing_columns(self):
        with pytest.raises(DataError, match=r"'rd_intensity', 'co2_per_gdp'"):
            ix.entropy_weights(example_frame(), {"a": 1, "rd_intensity": 1, "co2_per_gdp": -1})
        with pytest.raises(DataError, match="'zz'"):
            ix.entropy_topsis(example_frame(), {"zz": 1}, time=None)

    def test_missing_cells_refused_by_default(self):
        df, dirs = random_panel(13)
        df.loc[(df.code == 12) & (df.year == 2012), "x1"] = np.nan
        df.loc[(df.code == 15) & (df.year == 2014), "x3"] = np.nan
        with pytest.raises(DataError, match=r"2 missing .*\(\(12, 2012\), 'x1'\).*\(\(15, 2014\), 'x3'\)"):
            ix.entropy_topsis(df, dirs)
        with pytest.raises(DataError, match="missing or non-finite"):
            ix.entropy_weights(df, dirs)

    def test_other_errors(self):
        df, dirs = random_panel(14)
        with pytest.raises(PanelError, match="duplicated"):
            ix.entropy_topsis(pd.concat([df, df.iloc[:1]]), dirs)
        with pytest.raises(DataError, match="shift"):
            ix.entropy_topsis(df, dirs, shift=-1e-4)
        with pytest.raises(DataError, match="unknown weights"):
            ix.entropy_topsis(df, dirs, scheme="magic")
        with pytest.raises(DataError, match="distance"):
            ix.entropy_topsis(df, dirs, distance="manhattan")
        with pytest.raises(DataError, match="missing must be"):
            ix.entropy_topsis(df, dirs, missing="mean")
        with pytest.raises(DataError, match="not among the indicators"):
            ix.entropy_topsis(df, dirs, pillars={"p": ["x0", "nope"]})
        with pytest.raises(DataError, match="infinite"):
            ix.entropy_topsis(df.assign(x0=np.where(df.index == 3, np.inf, df.x0)), dirs)
        with pytest.raises(DataError, match="all weight is on constant indicators: 'k'"):
            ix.entropy_topsis(example_frame().assign(k=1.0), {"a": 1, "k": 1}, time=None,
                              scheme={"a": 0.0, "k": 1.0})
        one = pd.DataFrame({"code": [1, 2], "a": [1.0, 2.0]})
        with pytest.raises(DataError, match="CRITIC"):
            ix.critic_weights(one, {"a": 1})


# ---------------------------------------------------------------------------
# missing-data policy
# ---------------------------------------------------------------------------
class TestMissingPolicy:
    def panel(self):
        # 3 provinces x 4 years; hand-made so interpolated values are obvious
        df = pd.DataFrame({
            "code": np.repeat([11, 12, 13], 4), "year": np.tile([2012, 2013, 2014, 2015], 3),
            "a": [1.0, np.nan, 3.0, 4.0, 2.0, 2.5, np.nan, np.nan, np.nan, 1.0, 2.0, 6.0],
            "b": [5.0, 4.0, 3.0, 2.0, 1.0, 1.5, 2.0, 2.5, 3.0, 3.0, 3.5, 4.0],
        })
        return df

    def test_interpolate_reports_each_cell(self):
        df = self.panel().query("code != 13")
        df.loc[df.code == 12, "a"] = [2.0, np.nan, np.nan, 3.5]
        with pytest.warns(ix.IndexWarning, match="3 cell"):
            res = ix.entropy_topsis(df, {"a": 1, "b": -1}, missing="interpolate")
        rep = res.missing_report
        assert rep[["code", "year", "column", "action"]].values.tolist() == [
            [11, 2013, "a", "interpolated"], [12, 2013, "a", "interpolated"], [12, 2014, "a", "interpolated"]]
        np.testing.assert_allclose(rep["value"], [2.0, 2.5, 3.0])  # hand-worked linear interpolation
        # the filled panel equals the result on the hand-filled data
        filled = df.copy()
        filled.loc[(filled.code == 11) & (filled.year == 2013), "a"] = 2.0
        filled.loc[(filled.code == 12) & (filled.year == 2013), "a"] = 2.5
        filled.loc[(filled.code == 12) & (filled.year == 2014), "a"] = 3.0
        ref = ix.entropy_topsis(filled, {"a": 1, "b": -1})
        pd.testing.assert_series_equal(res.scores, ref.scores)
        assert "3 cell(s) interpolated" in res.summary()

    def test_interpolate_refuses_edges(self):
        with pytest.raises(DataError, match=r"cannot be interpolated.*\(\(13, 2012\), 'a'\)"):
            ix.entropy_topsis(self.panel(), {"a": 1, "b": 1}, missing="interpolate")

    def test_drop_reports_rows(self):
        with pytest.warns(ix.IndexWarning, match="4 row"):
            res = ix.entropy_topsis(self.panel(), {"a": 1, "b": 1}, missing="drop")
        rep = res.missing_report
        assert sorted(map(tuple, rep[["code", "year"]].values.tolist())) == [
            (11, 2013), (12, 2014), (12, 2015), (13, 2012)]
        assert set(rep["action"]) == {"dropped row"}
        assert res.settings["n_obs"] == 8 and (13, 2012) not in res.scores.index

    def test_interpolate_then_drop(self):
        with pytest.warns(ix.IndexWarning, match=r"1 cell\(s\) interpolated.*3 row"):
            res = ix.entropy_topsis(self.panel(), {"a": 1, "b": 1}, missing=("interpolate", "drop"))
        rep = res.missing_report
        assert rep.loc[rep.action == "interpolated", ["code", "year"]].values.tolist() == [[11, 2013]]
        assert sorted(map(tuple, rep.loc[rep.action == "dropped row", ["code", "year"]].values.tolist())) == [
            (12, 2014), (12, 2015), (13, 2012)]
        assert res.settings["n_obs"] == 9


# ---------------------------------------------------------------------------
# hierarchy, pillar scores, results object
# ---------------------------------------------------------------------------
class TestHierarchyAndResults:
    def system(self):
        return ix.IndicatorSystem.from_dict({"name": "t", "pillars": [
            {"key": "P", "subpillars": [
                {"key": "P1", "indicators": [{"key": "x0", "column": "x0", "direction": "-"},
                                             {"key": "x1", "column": "x1", "direction": "+"}]},
                {"key": "P2", "indicators": [{"key": "x2", "column": "x2", "direction": "+"}]}]},
            {"key": "Q", "indicators": [{"key": "x3", "column": "x3", "direction": "-"},
                                        {"key": "x4", "column": "x4", "direction": "+"}]}]})

    def test_pillars(self):
        df, dirs = random_panel(20)
        sysm = self.system()
        assert sysm.directions == dirs
        res = ix.entropy_topsis(df, system=sysm)
        w = res.weights
        np.testing.assert_allclose(res.pillar_weights.to_numpy(), [w[["x0", "x1", "x2"]].sum(), w[["x3", "x4"]].sum()])
        np.testing.assert_allclose(res.subpillar_weights.to_numpy(), [w[["x0", "x1"]].sum(), w["x2"]])
        np.testing.assert_allclose(res.pillar_linear.sum(axis=1).to_numpy(), res.linear_scores.to_numpy())
        # pillar closeness = TOPSIS on the pillar's indicators with the same weights (transcription)
        Z = res.normalized.to_numpy()
        np.testing.assert_allclose(res.pillar_scores["Q"].to_numpy(),
                                   np_topsis(Z[:, 3:], w.to_numpy()[3:]), rtol=1e-12)
        # same result from pillars= mapping
        res2 = ix.entropy_topsis(df, dirs, pillars={"P": ["x0", "x1", "x2"], "Q": ["x3", "x4"]})
        pd.testing.assert_frame_equal(res2.pillar_scores, res.pillar_scores)

    def test_frozen_and_copies(self):
        df, dirs = random_panel(21)
        res = ix.entropy_topsis(df, dirs)
        with pytest.raises(AttributeError):
            res.weights = None
        with pytest.raises(AttributeError):
            res.foo = 1
        s = res.scores
        s.iloc[:] = -1
        assert (res.scores >= 0).all()
        f = res.to_frame()
        assert list(f.columns[:5]) == ["closeness", "rank", "linear_score", "d_plus", "d_minus"]
        assert f.index.names == ["code", "year"]
        assert "entropy-TOPSIS" in res.summary() and "x0" in res.summary()
        rt = res.rank_table(2012)
        assert rt["rank"].tolist() == sorted(rt["rank"].tolist()) and len(rt) == 12
        nm = res.national_mean()
        np.testing.assert_allclose(nm["closeness"].to_numpy(),
                                   res.scores.groupby(level="year").mean().to_numpy())
        with pytest.raises(DataError, match="1999"):
            res.rank_table(1999)


# ---------------------------------------------------------------------------
# obstacle degree and coupling coordination (hand-worked)
# ---------------------------------------------------------------------------
class TestObstacle:
    """Hand-worked: w = (0.5, 0.3, 0.2); row Z = (0, 0.5, 1) -> F*I = (0.5, 0.15, 0), sum 0.65."""

    def test_hand_example(self):
        Z = pd.DataFrame([[0.0, 0.5, 1.0], [1.0, 1.0, 1.0], [0.5, 0.0, 0.0]],
                         index=pd.Index(["r1", "best", "r3"], name="id"), columns=["a", "b", "c"])
        w = pd.Series([0.5, 0.3, 0.2], index=["a", "b", "c"])
        with pytest.warns(ix.IndexWarning, match="'best'"):
            ob = ix.obstacle_degree(Z, w, pillars={"a": "P", "b": "P", "c": "Q"}, top_k=2)
        np.testing.assert_allclose(ob.degrees.loc["r1"].to_numpy(), [0.5 / 0.65, 0.15 / 0.65, 0.0])
        # r3: F*I = (0.25, 0.3, 0.2), sum 0.75
        np.testing.assert_allclose(ob.degrees.loc["r3"].to_numpy(), [0.25 / 0.75, 0.4, 0.2 / 0.75])
        assert ob.degrees.loc["best"].isna().all() and ob.undefined == ["best"]
        np.testing.assert_allclose(ob.pillar_degrees.loc["r3"].to_numpy(), [0.55 / 0.75, 0.2 / 0.75])
        top = ob.top()
        assert top.loc[top.id == "r3", "indicator"].tolist() == ["b", "a"]
        assert top.loc[top.id == "r1", "rank"].tolist() == [1, 2]
        assert "best" not in set(top.id)

    def test_from_index_result(self):
        df, dirs = random_panel(22)
        res = ix.entropy_topsis(df, dirs, pillars={"P": ["x0", "x1", "x2"], "Q": ["x3", "x4"]})
        ob = res.obstacles(top_k=3)
        d = ob.degrees
        np.testing.assert_allclose(d.sum(axis=1).to_numpy(), 1.0)
        Z = res.normalized.to_numpy()
        FI = res.weights.to_numpy() * (1 - Z)
        np.testing.assert_allclose(d.to_numpy(), FI / FI.sum(1, keepdims=True), rtol=1e-12)
        assert len(ob.top()) == 3 * len(df)
        np.testing.assert_allclose(ob.pillar_degrees["Q"].to_numpy(), d[["x3", "x4"]].sum(axis=1).to_numpy())
        assert "obstacle" in ob.summary().lower()


class TestCoupling:
    """Hand-worked: U = (0.25, 0.64): C = 2*0.4/0.89, T = 0.445, C*T = 0.4, D = sqrt(0.4)."""

    def test_two_systems(self):
        U = pd.DataFrame({"tech": [0.25, 0.5, 0.0], "green": [0.64, 0.5, 0.2]})
        cc = ix.coupling_coordination(U)
        np.testing.assert_allclose(cc.coupling.to_numpy(), [0.8 / 0.89, 1.0, 0.0])
        np.testing.assert_allclose(cc.development.to_numpy(), [0.445, 0.5, 0.1])
        np.testing.assert_allclose(cc.coordination.to_numpy(), [math.sqrt(0.4), math.sqrt(0.5), 0.0])
        assert cc.levels["level"].tolist() == [7, 8, 1]
        assert cc.levels["label_zh"].tolist() == ["初级协调", "中级协调", "极度失调"]

    def test_three_systems_and_alpha(self):
        U = pd.DataFrame({"a": [0.3, 0.2], "b": [0.3, 0.4], "c": [0.3, 0.9]})
        cc = ix.coupling_coordination(U, alpha={"a": 0.5, "b": 0.3, "c": 0.2})
        # equal scores -> C = 1; second row by the formula written out: 3*(0.072/1.5^3)^(1/3)
        np.testing.assert_allclose(cc.coupling.to_numpy(), [1.0, 3 * (0.072 / 1.5 ** 3) ** (1 / 3)])
        np.testing.assert_allclose(cc.development.to_numpy(), [0.3, 0.5 * 0.2 + 0.3 * 0.4 + 0.2 * 0.9])

    def test_level_boundaries_and_errors(self):
        U = pd.DataFrame({"a": [0.25, 1.0, 0.09], "b": [0.25, 1.0, 0.09]})  # D = 0.5, 1.0, 0.3
        assert ix.coupling_coordination(U).levels["level"].tolist() == [6, 10, 4]
        with pytest.raises(DataError, match=r"\[0, 1\].*1.2"):
            ix.coupling_coordination(pd.DataFrame({"a": [0.5, 1.2], "b": [0.5, 0.5]}))
        with pytest.raises(DataError, match="at least two"):
            ix.coupling_coordination(pd.DataFrame({"a": [0.5]}))
        with pytest.raises(DataError, match="alpha"):
            ix.coupling_coordination(U, alpha=[0.6, 0.6])
        with pytest.warns(ix.IndexWarning, match="undefined"):
            cc = ix.coupling_coordination(pd.DataFrame({"a": [0.0, 0.5], "b": [0.0, 0.5]}))
        assert np.isnan(cc.coupling.iloc[0])

    def test_from_index_result(self):
        df, dirs = random_panel(23)
        res = ix.entropy_topsis(df, dirs, pillars={"P": ["x0", "x1", "x2"], "Q": ["x3", "x4"]})
        cc = res.coupling()
        U = res.pillar_scores.to_numpy()
        C = 2 * np.sqrt(U[:, 0] * U[:, 1]) / (U[:, 0] + U[:, 1])
        np.testing.assert_allclose(cc.coupling.to_numpy(), C, rtol=1e-12)
        lin = res.coupling(scores="linear").to_frame()
        w = res.weights
        Z = res.normalized
        np.testing.assert_allclose(lin["Q"].to_numpy(), (Z[["x3", "x4"]] @ w[["x3", "x4"]]).to_numpy() / w[["x3", "x4"]].sum())
        assert "Coupling coordination" in cc.summary()


class TestOptionsAndShapes:
    """Per-year obstacles, index-level ids, cross-sections (numpy transcription in this file)."""

    def test_per_year_obstacles_use_each_years_weights(self):
        df, dirs = random_panel(30)
        res = ix.entropy_topsis(df, dirs, per_year=True)
        ob = res.obstacles()
        for year in (2010, 2013):
            Z = res.normalized.xs(year, level="year").to_numpy()
            FI = res.weights_by_time.loc[year].to_numpy() * (1 - Z)
            np.testing.assert_allclose(ob.degrees.xs(year, level="year").to_numpy(),
                                       FI / FI.sum(1, keepdims=True), rtol=1e-12)

    def test_ids_in_the_index(self):
        df, dirs = random_panel(31)
        base = ix.entropy_topsis(df, dirs)
        res = ix.entropy_topsis(df.set_index(["code", "year"]), dirs)
        pd.testing.assert_series_equal(res.scores, base.scores)

    def test_cross_section_tables(self):
        res = ix.entropy_topsis(example_frame(), DIRS_EX, time=None)
        rt = res.rank_table()
        assert rt.index.tolist() == [14, 12, 11, 13]
        with pytest.raises(DataError, match="cross-section"):
            res.national_mean()
        assert res.settings["n_times"] == 1
        with pytest.raises(DataError, match="interpolate.*time"):
            ix.entropy_topsis(example_frame().assign(a=[1.0, np.nan, 2.0, 3.0]), DIRS_EX, time=None,
                              missing="interpolate")

    def test_per_year_constant_in_one_year(self):
        df, dirs = random_panel(32)
        df.loc[df.year == 2011, "x1"] = 3.0
        with pytest.warns(ix.IndexWarning, match=r"in some periods.*'x1'"):
            res = ix.entropy_topsis(df, dirs, per_year=True)
        assert res.weights_by_time.loc[2011, "x1"] == 0
        assert res.weights_by_time.loc[2012, "x1"] > 0
