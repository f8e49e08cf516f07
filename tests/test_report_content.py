"""Report statistics content (issue 13, items 5 and 6), on the default demo report.

References used here (each test says which):
* hand-worked values: E(I) = -1/(n-1); the reflected Gaussian kernel at a bound;
* esda ``Moran`` (``EI``, ``seI_rand``, ``seI_norm``) on the same values and matrix;
* numpy: the steady state as the left eigenvector of P for the eigenvalue 1
  (``numpy.linalg.eig`` of P transposed), independent of giddy's ``ergodic`` routine;
* counts recomputed from ``results.json``-level numbers (p columns, LISA frame).
"""
from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import dynamics
from spatialnqpf._validation import DataError, graph_to_sparse
from spatialnqpf.report.builder import _loop, _prepare
from spatialnqpf.report.tables import MISSING, format_p, frame_table
from _report_helpers import table

P_FORMAT = re.compile(r"^(<0\.001|[01]\.\d{3})$")


def _run(lang, stages):
    import tempfile

    import matplotlib
    with matplotlib.rc_context(), tempfile.TemporaryDirectory() as tmp:
        _, state, want, _ = _prepare(None, tmp, None, lang, stages, figures=False)
        out = {s.name: s for s in _loop(state, want, progress=False)}
    return out, state


@pytest.fixture(scope="module")
def en():
    """Every stage of the default demo report in English (no figures)."""
    return _run("en", None)


@pytest.fixture(scope="module")
def zh():
    """The stages this file checks, in Chinese."""
    return _run("zh", ("index", "weights", "autocorrelation", "dynamics"))


def _column(t, header):
    j = t.columns.index(header)
    return [r.cells[j] for r in t.rows]


# ------------------------------------------------------------------ Moran table
def test_moran_table_has_expectation_and_sd_matching_esda(en):
    """E(I) = -1/(n-1) (hand-worked, n = 31) and sd (rand.)/(norm.) equal esda's seI_rand/seI_norm."""
    from esda.moran import Moran
    from libpysal.weights import WSP

    out, state = en
    ac = out["autocorrelation"]
    long = ac.numbers["moran_by_year"]
    assert (long["n"] == 31).all()
    np.testing.assert_allclose(long["E[I]"], -1 / 30, rtol=0, atol=1e-15)
    t = table(ac, "moran_by_year")
    lab = state.weight_labels["contiguity"]
    assert [c.text for c in _column(t, f"{lab} E(I)")] == ["-0.033"] * 11
    sd_cells = _column(t, f"{lab} sd (rand.)")
    f = state.frame
    for k, yr in enumerate(sorted(f["year"].unique())):
        sub = f[f["year"] == yr].sort_values("code")
        ids = list(sub["code"])
        W = WSP(graph_to_sparse(state.weights["contiguity"], ids).tocsr(), id_order=ids).to_W(
            silence_warnings=True)
        m = Moran(sub["index_score"].to_numpy(), W, transformation="o", permutations=0)
        row = long.loc[(lab, yr)]
        assert row["I"] == pytest.approx(m.I, rel=1e-10)
        assert row["E[I]"] == pytest.approx(m.EI, rel=1e-12)
        assert row["sd_rand"] == pytest.approx(m.seI_rand, rel=1e-9)
        assert row["sd_norm"] == pytest.approx(m.seI_norm, rel=1e-9)
        assert sd_cells[k].value == pytest.approx(m.seI_rand, rel=1e-9)
        assert sd_cells[k].text == f"{m.seI_rand:.3f}"


def test_moran_p_columns_have_one_format(en):
    out, state = en
    t = table(out["autocorrelation"], "moran_by_year")
    pcols = [c for c in t.columns if c.endswith("p (rand.)") or c.endswith("p (perm.)")]
    assert len(pcols) == 4  # two matrices x (rand., perm.)
    for c in pcols:
        texts = [cell.text for cell in _column(t, c)]
        assert all(P_FORMAT.match(s) for s in texts), (c, texts)
    # a column with values below 0.001 shows "<0.001", never scientific notation
    rand = [cell for cell in _column(t, pcols[0])]
    assert any(c.text == "<0.001" and c.value < 0.001 for c in rand)
    # the specification tests' p column follows the same rule (it used to print 8.38e-173)
    spec = table(out["models"], "specification_tests")
    texts = [c.text for c in _column(spec, "p") if c.text]
    assert texts and all(P_FORMAT.match(s) for s in texts)
    assert "<0.001" in texts


def test_format_p_hand_worked():
    assert [format_p(v) for v in (0.0234, 7e-6, 0.001, 0.0009999, 1.0, float("nan"), None)] == \
        ["0.023", "<0.001", "0.001", "<0.001", "1.000", "", ""]
    assert format_p(0.04, digits=2) == "0.04" and format_p(0.004, digits=2) == "<0.01"


def test_reading_counts_significant_years_by_the_named_p(en, zh):
    """The reading counts p (perm.) < 0.05, the p the note names; under the distance matrix
    this differs from the randomisation count (2018: p_rand < 0.05 <= p_perm), so the test
    tells the two apart."""
    out, state = en
    ac = out["autocorrelation"]
    long = ac.numbers["moran_by_year"]
    note = table(ac, "moran_by_year").notes[0]
    assert "9,999 random permutations" in note and "significant when p (perm.) < 0.05" in note
    sig = ac.numbers["moran_significance"]
    assert sig["p_column"] == "p_perm" and sig["permutations"] == 9999
    differs = False
    for wname in state.weights:
        lab = state.weight_labels[wname]
        df = long.xs(lab, level=0)
        n_perm, n_rand = int((df["p_perm"] < 0.05).sum()), int((df["p_rand"] < 0.05).sum())
        differs |= n_perm != n_rand
        assert sig["by_weights"][lab]["n_significant"] == n_perm
        (r,) = [r for r in ac.readings if r.startswith(f"Under {lab} weights, global")]
        assert f"by the permutation p-value in {n_perm} of {len(df)} years" in r
        assert f"(permutation p-value = {df['p_perm'].iloc[-1]:.3f})" in r
    assert differs, "the demo no longer separates the two p columns; pick another check"
    zac = zh[0]["autocorrelation"]
    assert "正文按 p（置换）< 0.05 判断显著" in table(zac, "moran_by_year").notes[0]
    assert any("按置换 p 值计" in r for r in zac.readings)


def test_lisa_counts_state_their_rule_and_match_the_frame(en, zh):
    """9,999 conditional permutations by default; counts = #(p <= 0.05 and quadrant) per year."""
    out, _ = en
    ac = out["autocorrelation"]
    rule = ac.numbers["lisa_rule"]
    assert rule["permutations"] == 9999 and rule["alpha"] == 0.05
    t = table(ac, "lisa_counts")
    text = "p ≤ 0.05 by 9,999 conditional permutations, two-sided"
    assert text in t.title and text in t.notes[0]
    assert any(text in r and r.startswith("In 2022") for r in ac.readings)
    lf = ac.numbers["lisa"]
    years = sorted(lf["year"].unique())
    for q in ("HH", "LL", "LH", "HL"):
        want = [int(((lf["year"] == y) & (lf["p"] <= 0.05) & (lf["quadrant"] == q)).sum()) for y in years]
        assert [int(c.value) for c in _column(t, q)] == want
    assert sum(int(c.value) for c in _column(t, "LL")) > 0
    zt = table(zh[0]["autocorrelation"], "lisa_counts")
    assert "p ≤ 0.05，9,999 次条件置换，双侧" in zt.title


# ------------------------------------------------------------------ Markov
def test_markov_rows_without_observations_show_a_dash(en):
    out, _ = en
    dy = out["dynamics"]
    t = table(dy, "spatial_markov")
    n = _column(t, "n")
    empty = [i for i, c in enumerate(n) if c.value == 0]
    assert empty, "the demo's spatial Markov chain has an empty row (lag Q1 | Q4)"
    assert t.rows[empty[0]].label == "lag Q1 | Q4"
    for i, r in enumerate(t.rows):
        probs = [c.text for c in r.cells[1:]]
        if i in empty:
            assert probs == [MISSING] * 4 and r.cells[0].text == "0"
        else:
            assert MISSING not in probs and all(re.match(r"^[01]\.\d{3}$", p) for p in probs)
    assert any(note.startswith("—") for note in t.notes)
    # numbers: the empty row is reported, its giddy probabilities kept in results.json
    assert dy.numbers["spatial_markov_empty_rows"] == len(empty)


def test_frame_table_na_rep():
    df = pd.DataFrame({"n": [0, 3], "p": [np.nan, 0.5]}, index=["a", "b"])
    t = frame_table(df, name="x", title="x", na_rep=MISSING)
    assert t.grid()[1:] == [["a", "0", "—"], ["b", "3", "0.500"]]
    assert frame_table(df, name="x", title="x").grid()[1][2] == ""


def test_steady_state_is_the_left_eigenvector(en):
    """Steady state sums to 1 and equals the left eigenvector of P for the eigenvalue 1 (numpy)."""
    out, _ = en
    dy = out["dynamics"]
    P = dy.numbers["markov_P"].to_numpy(dtype=float)
    vals, vecs = np.linalg.eig(P.T)
    v = np.real(vecs[:, np.argmin(np.abs(vals - 1))])
    v = v / v.sum()
    ss = dy.numbers["markov_steady_state"]
    assert ss.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(ss.to_numpy(), v, atol=1e-10)
    np.testing.assert_allclose(v @ P, v, atol=1e-12)
    t = table(dy, "markov_steady_state")
    cells = _column(t, "Steady state")
    np.testing.assert_allclose([c.value for c in cells], v, atol=1e-10)
    assert sum(c.value for c in cells) == pytest.approx(1.0)
    # first/last-year class shares: counts of the quantile classes / 31
    shares = dy.numbers["markov_class_shares"]
    for y, s in shares.items():
        assert s.sum() == pytest.approx(1.0) and (np.round(s.to_numpy() * 31, 9) % 1 == 0).all()
        assert [c.value for c in _column(t, f"Share {y}")] == pytest.approx(list(s))
    # the spatial chain with an empty row has no steady state shown; the others do, summing to 1
    lag1 = [c.text for c in _column(t, "Steady state (lag Q1)")]
    assert lag1 == [MISSING] * 4
    lag4 = [c.value for c in _column(t, "Steady state (lag Q4)")]
    assert sum(lag4) == pytest.approx(1.0)
    P4 = dy.numbers["spatial_markov_P"]["lag Q4"].to_numpy(dtype=float)
    np.testing.assert_allclose(np.array(lag4) @ P4, lag4, atol=1e-10)


# ------------------------------------------------------------------ kernel density
def test_reflected_kde_hand_worked():
    """One point x = 0.1, h = 0.1 on [0, 1]: f(0) = (phi(1) + phi(1) + phi(19)) / h."""
    phi = lambda z: np.exp(-z * z / 2) / np.sqrt(2 * np.pi)  # noqa: E731
    g, f, h = dynamics.kernel_density([0.1, 0.1], grid=[-0.1, 0.0, 0.1, 1.0, 1.1], bandwidth=0.1,
                                      support=(0, 1))
    assert h == 0.1
    assert f[1] == pytest.approx((2 * phi(1.0) + phi(19.0)) / 0.1, rel=1e-12)
    assert f[2] == pytest.approx((phi(0) + phi(2.0) + phi(18.0)) / 0.1, rel=1e-12)
    assert f[0] == 0.0 and f[4] == 0.0
    # without a support the same grid point carries one kernel only
    _, f0, _ = dynamics.kernel_density([0.1, 0.1], grid=[0.0], bandwidth=0.1)
    assert f0[0] == pytest.approx(phi(1.0) / 0.1, rel=1e-12)


def test_bounded_kde_integrates_to_one_on_its_support():
    rng = np.random.default_rng(7)
    x = rng.beta(1.1, 5.0, 60)  # mass piled up near 0
    grid = np.linspace(-0.3, 1.3, 16001)
    _, f, _ = dynamics.kernel_density(x, grid=grid, support=(0, 1))
    inside = (grid >= 0) & (grid <= 1)
    assert np.trapezoid(f[inside], grid[inside]) == pytest.approx(1.0, abs=2e-3)
    assert (f[~inside] == 0).all()
    _, fu, _ = dynamics.kernel_density(x, grid=grid)
    assert np.trapezoid(fu[grid < 0], grid[grid < 0]) > 0.02  # the uncorrected density leaks
    g2, f2, _ = dynamics.kernel_density(x, support=(0, 1))
    assert g2[0] == 0.0 and g2[-1] <= 1.0
    assert np.trapezoid(f2, g2) == pytest.approx(1.0, abs=5e-3)
    with pytest.raises(DataError, match="outside the declared support"):
        dynamics.kernel_density(np.append(x, 1.5), support=(0, 1))
    with pytest.raises(ValueError, match="low < high"):
        dynamics.kernel_density(x, support=(1, 0))


def test_report_kde_respects_the_index_support(en, zh):
    out, _ = en
    dy = out["dynamics"]
    assert dy.numbers["kernel_density_support"] == [0.0, 1.0]
    mass = dy.numbers["kernel_density_mass"]
    assert set(mass) == {"nation", "East", "Central", "West", "Northeast"}
    for g, m in mass.items():
        assert np.allclose(m, 1.0, atol=0.01), (g, m)
    assert any("support [0, 1]" in r and "reflection" in r for r in dy.readings)
    assert any("取值范围 [0, 1]" in r for r in zh[0]["dynamics"].readings)


# ------------------------------------------------------------------ β, Hausman, appendix, Dagum
def test_half_lives_carry_the_short_panel_caveat(en, zh):
    out, _ = en
    dy = out["dynamics"]
    assert dy.numbers["beta_convergence_panel"] == {"units": 31, "years": 11, "short_panel_caveat": True}
    assert any("short panel (31 provinces × 11 years)" in r and "Nickell" in r for r in dy.readings)
    assert any("short panel (11 years)" in n for n in table(dy, "beta_convergence").notes)
    assert any("31 个省份 × 11 年的短面板" in r for r in zh[0]["dynamics"].readings)
    # the β p-values of the readings follow the p format of the tables (no "p = 0.000")
    p_abs = float(dy.numbers["beta_convergence"]["Absolute β"]["pvalues"].iloc[0])
    assert p_abs < 0.001
    assert any(r.startswith("Absolute β: β = -0.355 (p < 0.001)") for r in dy.readings)
    assert not any("p = 0.000" in r for r in dy.readings)


def test_hausman_row_names_its_model(en):
    from spatialnqpf.models.specification import HAUSMAN_MODEL
    from spatialnqpf.report.stages.models import _name_hausman

    out, _ = en
    spec = table(out["models"], "specification_tests")
    tests = [c.text for c in _column(spec, "Test")]
    assert "Hausman (SAR, FE vs RE)" in tests and "Hausman_FE_vs_RE" not in tests
    assert HAUSMAN_MODEL == "sar"
    assert out["models"].numbers["specification_search"]["hausman_model"] == "sar"
    zh_state = SimpleNamespace(text=lambda tab, key, **fmt: tab[key]["zh"].format(**fmt))
    df = pd.DataFrame({"test": ["LM_lag", "Hausman_FE_vs_RE"]})
    assert list(_name_hausman(zh_state, df)["test"]) == ["LM_lag", "Hausman 检验（SAR，固定效应对随机效应）"]


def test_appendix_table_is_the_full_province_year_panel(en):
    out, state = en
    ix = out["index"]
    t = table(ix, "index_scores_appendix")
    piv = ix.numbers["scores"]
    assert t.columns == ("Province", *[str(y) for y in range(2012, 2023)])
    assert len(t.rows) == 31 and [r.label for r in t.rows] == [str(c) for c in piv.index]
    vals = np.array([[c.value for c in r.cells[1:]] for r in t.rows])
    np.testing.assert_allclose(vals, piv.to_numpy(), rtol=0, atol=0)
    assert t.rows[0].cells[0].text == "Beijing"
    # the first/last/mean ranking table is still there
    assert table(ix, "index_ranking").columns[0] == "Province"


def test_dagum_figure_by_region_and_pair(en):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spatialnqpf import inequality
    from spatialnqpf.report.plot_inequality import plot_dagum_regions

    _, state = en
    res = inequality.dagum_gini_by_year(data=state.frame, column="index_score", group="region4",
                                        id="code", time="year")
    df = res.to_frame()
    fig = plot_dagum_regions(res, lang="en")
    a1, a2 = fig.axes[:2]
    assert [ln.get_label() for ln in a1.get_lines()] == ["East", "Central", "West", "Northeast"]
    assert len(a2.get_lines()) == 6 and a2.get_lines()[0].get_label() == "East–Central"
    np.testing.assert_array_equal(a1.get_lines()[0].get_ydata(), df["G_jj[East]"].to_numpy())
    np.testing.assert_array_equal(a2.get_lines()[5].get_ydata(), df["G_jh[West-Northeast]"].to_numpy())
    plt.close(fig)
