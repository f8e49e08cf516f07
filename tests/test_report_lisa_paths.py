"""The LISA time paths part of the "patterns" report stage ([patterns] lisa_paths).

Reference: :func:`spatialnqpf.patterns.lisa_paths` called directly on the same analysis frame
with the weights stage's first matrix and the stage's keyed seed (that function is checked by
hand and against giddy/esda in ``tests/test_patterns_estda.py``).  Every numeric cell of the
part's tables must equal the result's frames (to 1e-12: a table keeps the unrounded value),
and the derived numbers (group means, sector counts, cohesion, by-period counts) are
recomputed here from the result with plain pandas.
"""
from __future__ import annotations

import copy
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from spatialnqpf import patterns, regions  # noqa: E402
from spatialnqpf import plot_patterns as pp  # noqa: E402
from spatialnqpf._validation import DataError, as_generator  # noqa: E402
from spatialnqpf.report import builder  # noqa: E402
from spatialnqpf.report.config import DEFAULTS, ConfigError, load_config  # noqa: E402
from _report_helpers import table, values  # noqa: E402

LISA = ["lisa_paths_summary", "lisa_paths_top", "lisa_transition_types",
        "lisa_transitions_by_period", "lisa_rose"]
CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")


def _prepared(tmp, lang, stages=("data", "index", "weights")):
    cfg = load_config(None)     # the default report's configuration
    _, state, _, _ = builder._prepare(cfg, tmp, None, lang, ["index", "weights", "patterns"],
                                      figures=False)
    for name in stages:
        assert builder.run_stage(state, name).status == "ok"
    return state


def _variant(state, **over):
    st = copy.copy(state)
    st.config = state.config.replace(patterns=over)
    st.notes = list(state.notes)
    return st


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return {lang: _prepared(tmp_path_factory.mktemp(lang), lang) for lang in ("zh", "en")}


@pytest.fixture(scope="module")
def outcome(demo):
    # the part alone (centre and clubs are tested in test_report_patterns.py)
    return {lang: builder.run_stage(_variant(st, centre=False, clubs=False), "patterns")
            for lang, st in demo.items()}


@pytest.fixture(scope="module")
def ref(demo):
    st = demo["en"]
    return patterns.lisa_paths(st.frame, st.index_column, st.weights["contiguity"], id="code",
                               time="year", k=8, permutations=999,
                               seed=as_generator(st.seed, "patterns-lisa-paths"))




def _texts(t, j):
    return [r.cells[j].text for r in t.rows]


def test_on_by_default_with_five_tables(outcome):
    assert DEFAULTS["patterns"]["lisa_paths"] is True
    for out in outcome.values():
        assert out.status == "ok", (out.reason, out.notes)
        assert [t.name for t in out.tables] == LISA
        assert {"lisa_paths", "lisa_transition_types", "lisa_rose", "lisa_cohesion"} <= set(out.numbers)
    assert outcome["en"].numbers["lisa_settings"]["weights"] == "Contiguity"


def test_path_summary_is_the_result(outcome, ref, demo):
    t = table(outcome["en"], "lisa_paths_summary")
    got = values(t)
    p = ref.paths
    assert [r.label for r in t.rows] == ["East", "Central", "West", "Northeast", "All"]
    grp = regions.groups(p.index, scheme="region4")
    for i, g in enumerate(["East", "Central", "West", "Northeast", None]):
        sub = p if g is None else p[grp.loc[p.index].to_numpy() == g]
        want = [len(sub), sub.path_length.mean(), sub.relative_length.mean(), sub.tortuosity.mean()]
        want += [int((sub.sector == s).sum()) for s in patterns.PATH_SECTORS]
        np.testing.assert_allclose(got[i], want, rtol=1e-12)
    assert got[-1, 0] == 31 and got[-1, 2] == pytest.approx(1.0, abs=1e-12)   # mean relative length 1
    assert got[-1, 4:].sum() == 31 and (got[:-1, 4:].sum(axis=0) == got[-1, 4:]).all()
    assert t.columns[4] == "Both up (0°–90°)"
    assert "row-standardised weights (Contiguity)" in t.notes[0]
    zh = table(outcome["zh"], "lisa_paths_summary")
    assert [r.label for r in zh.rows] == ["东部", "中部", "西部", "东北", "全部"]
    np.testing.assert_array_equal(values(zh), got)


def test_top_units_are_named_and_are_the_result(outcome, ref, demo):
    t = table(outcome["en"], "lisa_paths_top")
    p = ref.paths
    got = values(t)
    assert got[0, 1] == p.relative_length.max() and got[0, 3] == p.tortuosity.max()
    lo = p.relative_length.sort_values(ascending=False).index[:5]
    to = p.tortuosity.sort_values(ascending=False).index[:5]
    np.testing.assert_allclose(got[:, 1], p.relative_length.loc[lo], rtol=1e-12)
    np.testing.assert_allclose(got[:, 3], p.tortuosity.loc[to], rtol=1e-12)
    assert _texts(t, 0) == demo["en"].province_names(lo)         # names, not codes
    assert _texts(t, 2) == demo["en"].province_names(to)
    assert _texts(table(outcome["zh"], "lisa_paths_top"), 0) == demo["zh"].province_names(lo)
    assert not any(c.isdigit() for c in "".join(_texts(t, 0)))
    top = demo["en"].province_names(lo[:1])[0]
    assert any(f"{top} has the longest (relative length {p.relative_length.max():.3f})" in r
               for r in outcome["en"].readings)


def test_transition_types_and_cohesion(outcome, ref):
    t = table(outcome["en"], "lisa_transition_types")
    got = values(t)
    ts = ref.type_shares
    assert [r.label.split(":")[0] for r in t.rows] == ["Type 0", "Type I", "Type II", "Type III",
                                                       "Total"]
    np.testing.assert_array_equal(got[:4, 0], ts["count"].to_numpy())
    np.testing.assert_allclose(got[:4, 1], ts["share"].to_numpy(), rtol=1e-12)
    assert got[4, 0] == 310 == len(ref.transitions)               # 31 provinces x 10 periods
    assert got[:4, 1].sum() == pytest.approx(1.0, abs=1e-12) and got[4, 1] == pytest.approx(1.0)
    np.testing.assert_allclose(got[:4, 1], got[:4, 0] / 310, rtol=1e-12)
    # the counts are those of the result's transitions frame
    vc = ref.transitions["type"].value_counts()
    assert [int(vc.get(k, 0)) for k in patterns.TRANSITION_TYPES] == got[:4, 0].astype(int).tolist()
    c = float(ts.loc["Type 0", "share"])
    assert f"cohesion = share of Type 0 = {c:.4f}" in t.notes[0]
    assert f"flux = 1 − cohesion = {1 - c:.4f}" in t.notes[0]
    num = outcome["en"].numbers["lisa_cohesion"]
    assert num["cohesion"] == c and num["flux"] == pytest.approx(1 - c) and num["transitions"] == 310
    assert any(f"cohesion {c:.3f}" in r for r in outcome["en"].readings)
    # by period: counts per year of origin, cohesion = Type 0 / 31
    tp = table(outcome["en"], "lisa_transitions_by_period")
    gp = values(tp)
    assert [r.label for r in tp.rows] == [f"{y}–{y + 1}" for y in range(2012, 2022)]
    by = pd.crosstab(ref.transitions["year"], ref.transitions["type"]).reindex(
        columns=list(patterns.TRANSITION_TYPES), fill_value=0)
    np.testing.assert_array_equal(gp[:, :4], by.to_numpy())
    np.testing.assert_allclose(gp[:, 4], by["Type 0"].to_numpy() / 31, rtol=1e-12)
    np.testing.assert_array_equal(gp[:, :4].sum(axis=0), got[:4, 0])


def test_rose_table_is_the_result(outcome, ref, demo):
    t = table(outcome["en"], "lisa_rose")
    np.testing.assert_allclose(values(t), ref.rose[["count", "expected", "p_value"]].to_numpy(),
                               rtol=1e-12)
    assert [r.label for r in t.rows][0] == "0°–45°" and len(t.rows) == 8
    assert values(t)[:, 0].sum() == 31
    assert "999 random relabellings" in t.notes[0] and str(demo["en"].seed) in t.notes[0]
    sig = [r.label for r, pv in zip(t.rows, ref.rose.p_value) if pv < 0.05]
    assert any(("at 5%: " + (", ".join(sig) if sig else "none")) in r
               for r in outcome["en"].readings)


def test_without_the_weights_stage_contiguity_is_built(tmp_path, outcome):
    # `spatialnqpf patterns` runs data and index only: the part builds the same contiguity
    st = _prepared(tmp_path, "en", stages=("data", "index"))
    assert not st.weights
    out = builder.run_stage(_variant(st, centre=False, clubs=False), "patterns")
    assert out.status == "ok"
    for name in LISA:
        np.testing.assert_array_equal(values(table(out, name)),
                                      values(table(outcome["en"], name)))


def test_switch_off_leaves_the_part_out(demo):
    out = builder.run_stage(_variant(demo["en"], centre=False, clubs=False, lisa_paths=False),
                            "patterns")
    assert out.status == "ok" and not out.tables
    assert not [k for k in out.numbers if k.startswith("lisa")]
    assert not any("LISA" in n for n in out.notes)


def test_a_failure_is_a_stated_warning(demo, monkeypatch):
    from spatialnqpf.report.stages import patterns as stage

    def boom(*a, **k):
        raise DataError("'index_score' is constant in period(s) 2015")
    monkeypatch.setattr(stage.patterns, "lisa_paths", boom)
    out = builder.run_stage(_variant(demo["en"], centre=False, clubs=False), "patterns")
    assert out.status == "warning" and not out.tables
    assert any(n.startswith("LISA time paths and space–time transitions not computed:")
               and "constant in period(s) 2015" in n for n in out.notes)


def test_a_flagged_result_is_marked_not_read(demo, monkeypatch):
    from _report_helpers import Flagged  # the real result with a flag added
    from spatialnqpf.report.stages import patterns as stage

    real = patterns.lisa_paths
    monkeypatch.setattr(stage.patterns, "lisa_paths", lambda *a, **k: Flagged(real(*a, **k)))
    out = builder.run_stage(_variant(demo["en"], centre=False, clubs=False), "patterns")
    assert out.status == "warning" and [t.name for t in out.tables] == LISA
    assert out.readings == ("LISA time paths and space–time transitions: the fit is flagged "
                            "(degenerate_se) and cannot be interpreted as it stands.",)


@pytest.mark.parametrize("over, match", [
    ({"lisa_paths": "yes"}, r"\[patterns\] lisa_paths must be true or false, got 'yes'"),
    ({"lisa_paths": 1}, r"\[patterns\] lisa_paths must be true or false"),
    ({"lisa_path": False}, r"unknown option 'patterns.lisa_path'.*did you mean 'lisa_paths'"),
])
def test_config_switch_is_validated(over, match):
    with pytest.raises(ConfigError, match=match):
        load_config(None, patterns=over)


def test_language_of_the_part(outcome):
    en, zh = outcome["en"], outcome["zh"]
    strings = lambda o: [s for t in o.tables for s in (t.title, t.stub, *t.columns, *t.notes,  # noqa: E731
                                                          *(r.label for r in t.rows))] + list(o.readings)
    assert not [s for s in strings(en) if CJK.search(s)]
    allowed = {"LISA", "Moran", "Rey", "Murray", "Anselin", "HH", "LH", "LL", "HL"}
    words = {w for s in strings(zh) for w in re.findall(r"[A-Za-z][A-Za-z_]*", s)}
    assert {w for w in words if len(w) > 1 and not re.fullmatch(r"[a-z]_[a-z]", w)} <= \
        allowed


def test_figures_draw_the_result(demo, ref, tmp_path):
    st = _variant(demo["zh"], centre=False, clubs=False)
    st.config = st.config.replace(output={"figures": ["png"]})
    st.out, st.figures = tmp_path, True
    out = builder.run_stage(st, "patterns")
    assert [f.name for f in out.figures] == ["lisa_time_paths", "lisa_rose"]
    assert all((tmp_path / "figures" / f"{f.name}.png").stat().st_size > 5000 for f in out.figures)
    # plot_lisa_paths: one line per unit through its (z, Wz) points, default the top 5
    ax = pp.plot_lisa_paths(ref)
    lines = [ln for ln in ax.get_lines() if ln.get_label() and not ln.get_label().startswith("_")]
    top = ref.paths.path_length.sort_values(ascending=False).index[:5]
    assert [ln.get_label() for ln in lines] == [str(i) for i in top]
    c = ref.coordinates[ref.coordinates.code == top[0]].sort_values("year")
    np.testing.assert_allclose(lines[0].get_xdata(), c.z)
    np.testing.assert_allclose(lines[0].get_ydata(), c.wz)
    with pytest.raises(DataError, match="999"):
        pp.plot_lisa_paths(ref, ids=[999])
    ax = pp.plot_rose(ref)
    heights = np.array([b.get_height() for b in ax.patches])
    np.testing.assert_allclose(heights / heights.max(), ref.rose["count"] / ref.rose["count"].max())
    assert len(ax.texts) == 31                               # one arrow per province
    plt.close("all")
