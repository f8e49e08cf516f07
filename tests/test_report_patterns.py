"""The "patterns" report stage: its tables are the direct API results, skips and failures are
stated, its configuration keys are checked.

Reference: the public API called directly on the same analysis frame
(:func:`spatialnqpf.patterns.std_ellipse`, :func:`spatialnqpf.network.metrics`,
:func:`~spatialnqpf.network.block_model`, :func:`spatialnqpf.dynamics.club_convergence`,
:func:`spatialnqpf.patterns.geodetector`), themselves checked against R ``GD``, ``sna``,
``concorR`` and ``ConvergenceClubs`` in their own test files.  Every numeric cell of the
stage's tables must equal the API value to 1e-12 (the table keeps the unrounded number).

The network needs a population column, which the bundled demo does not have: the network
tests use a *synthetic* ``pop = gdp ** 0.7`` (an arbitrary positive column that makes the
per-capita GDP vary), only to exercise the wiring; it is not data.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import dynamics, network, patterns
from spatialnqpf.report import builder
from spatialnqpf.report.config import ConfigError, load_config
from spatialnqpf.report.stages import commands, get, with_requirements
from _report_helpers import table, values

ROOT = Path(__file__).resolve().parents[1]
FACTORS = ["ln_gdp", "industry_share", "edu_budget_share"]
CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")
#: tables of the LISA time paths part (on by default; tests/test_report_lisa_paths.py)
LISA_TABLES = ["lisa_paths_summary", "lisa_paths_top", "lisa_transition_types",
               "lisa_transitions_by_period", "lisa_rose"]


def _prepared(tmp, lang="zh", **over):
    """State after the data and index stages (run once per configuration)."""
    cfg = load_config(None, **over)
    _, state, _, _ = builder._prepare(cfg, tmp, None, lang, ["index", "patterns"], figures=False)
    for name in ("data", "index"):
        assert builder.run_stage(state, name).status == "ok"
    return state


def _variant(state, pop=None, output=None, **patterns_over):
    """The prepared state with other [patterns] settings (and a ``pop`` column = ``pop(gdp)``)."""
    st = copy.copy(state)
    st.config = state.config.replace(patterns=patterns_over, output=output or {})
    st.notes = list(state.notes)
    if pop is not None:
        st.frame = state.frame.assign(pop=pop(state.frame["gdp"]))
    return st


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("patterns")
    return {lang: _prepared(tmp / lang, lang, patterns={"factors": FACTORS}) for lang in ("zh", "en")}


@pytest.fixture(scope="module")
def outcome(demo):
    return {lang: builder.run_stage(st, "patterns") for lang, st in demo.items()}


@pytest.fixture(scope="module")
def with_network(demo, tmp_path_factory):
    st = _variant(demo["en"], pop=lambda g: g ** 0.7, output={"figures": ["png"]},
                  population="pop", blocks=4, qap_permutations=199, factors=["ln_gdp"],
                  centre=False, clubs=False, lisa_paths=False)
    st.out, st.figures = tmp_path_factory.mktemp("netfig"), True
    return st, builder.run_stage(st, "patterns")




def _texts(t, col):
    j = list(t.columns).index(col)
    return [r.cells[j].text for r in t.rows]


# ------------------------------------------------------------------ registry, CLI
def test_stage_is_registered_with_its_command():
    st = get("patterns")
    assert st.command == "patterns" and st.requires == ("index",)
    assert commands()["patterns"] is st
    assert with_requirements(["patterns"]) == ("data", "index", "patterns")
    assert set(st.title) == {"zh", "en"} and CJK.search(st.title["zh"]) and not CJK.search(st.title["en"])


def test_runs_on_the_demo_with_the_network_skipped(outcome, demo):
    for lang, out in outcome.items():
        assert out.status == "ok", (out.reason, out.notes)
        assert [t.name for t in out.tables] == ["gravity_centre_ellipse", "club_convergence",
                                                *LISA_TABLES, "geodetector_factor",
                                                "geodetector_interaction"]
        assert not out.figures
        assert out.numbers["network_skipped"].startswith("no population column")
    assert any("[patterns] population" in n and "人口" in n for n in outcome["zh"].notes)
    assert any("needs a population column" in n for n in outcome["en"].notes)
    # the index, not a fallback indicator, is analysed
    assert demo["en"].index_column is not None
    assert "composite index" in table(outcome["en"], "gravity_centre_ellipse").title


# ------------------------------------------------------------------ tables = API
def test_centre_and_ellipse_table_is_the_api_result(outcome, demo):
    st = demo["en"]
    ell = patterns.std_ellipse(st.frame, st.index_column, id="code", time="year")
    ref = ell.table.set_index("year")
    t = table(outcome["en"], "gravity_centre_ellipse")
    got = values(t)
    cols = ["lon", "lat", "distance_km", "direction_deg", "sigma_x_km", "sigma_y_km",
            "rotation_deg", "area_km2", "shape_index"]
    want = ref[cols].to_numpy(float).copy()
    want[:, cols.index("area_km2")] /= 1e4      # shown in 10^4 km2
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
    assert [r.label for r in t.rows] == [str(y) for y in ref.index]
    assert np.isnan(got[0, 2]) and np.isnan(got[0, 3])       # no move in the first year
    # the centre reading is computed from these numbers
    path = np.nansum(ref["distance_km"])
    assert any(f"{path:.1f} km" in r for r in outcome["en"].readings)
    assert outcome["en"].numbers["centre_summary"]["path_km"] == pytest.approx(path, rel=1e-12)
    grew = ref["area_km2"].iloc[-1] > ref["area_km2"].iloc[0]
    assert any(("grew" if grew else "shrank") in r for r in outcome["en"].readings)


def test_club_table_is_the_api_result(outcome, demo):
    st = demo["en"]
    res = dynamics.club_convergence(st.frame, st.index_column, id="code", time="year")
    t = table(outcome["en"], "club_convergence")
    got = values(t)
    want = [[31, res.params["panel"], res.bse["panel"], res.tvalues["panel"]]]
    want += [[r.n, r.beta, r.std_error, r.t] for r in res.clubs.itertuples()]
    want += [[r.n, r.beta, r.std_error, r.t] for r in res.merged.itertuples()]
    if res.divergent:
        want.append([len(res.divergent), np.nan, np.nan, np.nan])
    np.testing.assert_allclose(got[:, :4], np.array(want, float), rtol=1e-12, equal_nan=True)
    labels = [r.label for r in t.rows]
    assert labels[0] == "Full panel" and labels[1] == "Initial club 1"
    # members by name, aligned by id
    names = st.province_names(res.clubs.members.iloc[0])
    assert _texts(t, "Provinces")[1] == ", ".join(names)
    assert outcome["en"].numbers["clubs"]["beta"].tolist() == res.clubs["beta"].tolist()
    verdict = "not rejected" if res.converges else "rejected"
    assert any(f"t = {res.tvalues['panel']:.2f}" in r and verdict in r
               for r in outcome["en"].readings)


def test_geodetector_tables_are_the_api_result(outcome, demo):
    st = demo["en"]
    last = int(st.frame["year"].max())
    geo = patterns.geodetector(st.frame[st.frame["year"] == last], y=st.index_column,
                               factors=FACTORS, discretize="opgd", id="code", time="year")
    t = table(outcome["en"], "geodetector_factor")
    got = values(t)
    np.testing.assert_allclose(got[:, :3], geo.factor[["q", "p_value", "n_strata"]].to_numpy(float),
                               rtol=1e-12)
    assert [r.label for r in t.rows] == FACTORS
    methods = [m.split(":")[1] for m in geo.discretization["method"]]
    assert _texts(t, "Discretisation") == [f"OPGD: {'natural breaks' if m == 'natural' else 'standard deviation' if m == 'sd' else m}"
                                          for m in methods]
    ti = table(outcome["en"], "geodetector_interaction")
    np.testing.assert_allclose(values(ti)[:, :3], geo.interaction[["q_a", "q_b", "q_ab"]].to_numpy(float),
                               rtol=1e-12)
    assert _texts(ti, "Interaction") == [s.lower() for s in geo.interaction["type"]]
    zh = {"Weaken, nonlinear": "非线性减弱", "Weaken, uni-": "单因子非线性减弱", "Enhance, bi-": "双因子增强",
          "Independent": "独立", "Enhance, nonlinear": "非线性增强"}
    assert _texts(table(outcome["zh"], "geodetector_interaction"), "交互类型") == \
        [zh[s] for s in geo.interaction["type"]]
    best = geo.factor.loc[geo.factor["q"].idxmax()]
    assert any(best["factor"] in r and f"q = {best['q']:.3f}" in r for r in outcome["en"].readings)


def test_network_tables_are_the_api_result(with_network):
    st, out = with_network
    assert out.status == "ok", (out.reason, out.notes)
    assert "network_skipped" not in out.numbers
    net = network.gravity_network(st.frame, st.index_column, id="code", time="year",
                                  population="pop", gdp="gdp")
    met = network.metrics(net)
    t = table(out, "network_structure")
    keep = ["ties", "density", "connectedness", "hierarchy", "efficiency"]
    np.testing.assert_allclose(values(t), met.graph[keep].to_numpy(float), rtol=1e-12)
    last = net.years[-1]
    nodes = met.nodes[met.nodes["year"] == last]
    ncols = ["in_degree", "out_degree", "degree_centrality", "closeness_in", "closeness_out",
             "betweenness"]
    tc = table(out, "network_centrality")
    np.testing.assert_allclose(values(tc), nodes[ncols].to_numpy(float), rtol=1e-12)
    assert [r.label for r in tc.rows] == st.province_names(nodes.index)
    bm = network.block_model(net, n_blocks=4)
    tb = table(out, "network_blocks")
    vals = values(tb)
    for j, c in enumerate(["n", None, "internal", "sent_out", "received", "expected_internal_ratio",
                           "internal_ratio"]):
        if c is not None:
            np.testing.assert_allclose(vals[:, j], bm.roles[c].to_numpy(float), rtol=1e-12)
    assert _texts(tb, "Role") == bm.roles["role"].tolist()
    assert [r.label for r in tb.rows] == [f"B{k}" for k in bm.roles["block"]]
    assert _texts(tb, "Provinces") == [", ".join(st.province_names(m)) for m in bm.roles["members"]]
    assert any(f"block B1 ({bm.roles['role'].iloc[0]}, {bm.roles['n'].iloc[0]})" in r
               for r in out.readings)
    dens = table(out, "network_block_density").to_frame()
    img = bm.image.to_numpy()
    for i in range(4):
        for j in range(4):
            cell = dens.iat[i, j]
            assert cell.endswith("*") == bool(img[i, j])
            assert float(cell.rstrip("*")) == pytest.approx(bm.density.iat[i, j], abs=5e-4)
    assert any(f"{int(met.graph['ties'].iloc[-1])} in {last}" in r for r in out.readings)
    assert [f.name for f in out.figures] == ["association_network", "block_image",
                                             "geodetector_interaction"][:len(out.figures)]
    assert {"association_network", "block_image"} <= {f.name for f in out.figures}
    assert all((st.out / "figures" / f"{f.name}.png").stat().st_size > 5000 for f in out.figures)


def test_qap_table_is_the_api_result(with_network):
    from spatialnqpf import weights
    from spatialnqpf._validation import as_generator, graph_to_sparse
    st, out = with_network
    net = network.gravity_network(st.frame, st.index_column, id="code", time="year",
                                  population="pop", gdp="gdp")[2022]
    ids = net.a.index
    adj = (graph_to_sparse(weights.contiguity(list(ids), standardize="none"), ids).toarray() > 0)
    x = st.frame[st.frame["year"] == 2022].set_index("code").loc[ids, "ln_gdp"].to_numpy()
    xs = {"adjacency": pd.DataFrame(adj.astype(float), ids, ids),
          "|Δln_gdp|": pd.DataFrame(np.abs(x[:, None] - x[None, :]), ids, ids)}
    res = network.qap(net.a.astype(float), xs, n_perm=199, seed=as_generator(st.seed, "patterns-qap"))
    t = table(out, "network_qap")
    assert [r.label for r in t.rows] == ["Intercept", "adjacency", "|Δln_gdp|"]
    got = values(t)
    td = res.tidy()
    np.testing.assert_allclose(got[:, :3], td[["estimate", "statistic", "p_value"]].to_numpy(float),
                               rtol=1e-12)
    np.testing.assert_allclose(got[1:, 3:], res.correlation[["r", "p_value"]].to_numpy(float),
                               rtol=1e-12)
    assert "199" in t.notes[0] and str(st.seed) in t.notes[0]
    assert any(f"R² = {res.r2:.3f}" in r for r in out.readings)


def test_a_network_without_ties_is_a_stated_warning(demo):
    # pop = gdp: equal per-capita GDP everywhere, every gravity strength is 0
    st = _variant(demo["en"], pop=lambda g: g, population="pop", clubs=False, factors=[],
                  lisa_paths=False)
    out = builder.run_stage(st, "patterns")
    assert out.status == "warning"
    assert [t.name for t in out.tables] == ["gravity_centre_ellipse"]
    assert any(n.startswith("Spatial association network not computed:") and "no tie" in n
               for n in out.notes), out.notes


def test_parts_can_be_switched_off_and_years_are_checked(demo):
    st = _variant(demo["zh"], centre=False, clubs=False, lisa_paths=False, factors=["ln_gdp"],
                  geodetector_years=[2013, 1990], discretize="quantile")
    out = builder.run_stage(st, "patterns")
    assert out.status == "ok"
    assert [t.name for t in out.tables] == ["geodetector_factor"]     # one factor: no interaction
    assert any("1990" in n and "地理探测器年份" in n for n in out.notes)
    geo = patterns.geodetector(st.frame[st.frame["year"] == 2013], y=st.index_column,
                               factors=["ln_gdp"], discretize="quantile", id="code", time="year")
    assert values(out.tables[0])[0, 0] == pytest.approx(geo.factor["q"].iloc[0], rel=1e-12)
    assert _texts(out.tables[0], "离散化方法") == ["分位数"]


# ------------------------------------------------------------------ language
#: Latin words allowed in the Chinese text: variable and proper names, units, config keys
ALLOWED_LATIN = {"ln_gdp", "industry_share", "edu_budget_share", "km", "log", "round", "OPGD",
                 "Albers", "WGS84", "ArcGIS", "CrimeStat", "HAC", "ConvergenceClubs", "concorR",
                 "CONCOR", "Krackhardt", "Phillips", "Sul", "von", "Lyncker", "Thoennessen", "SSW",
                 "SST", "GDP", "lon0", "patterns", "population", "pop", "gdp",
                 "Moran", "LISA", "Rey", "Murray", "Anselin"}
#: and formula symbols: one or two letters with an optional subscript (q, H_t, y_ij, B1 ...)
SYMBOL = re.compile(r"^[A-Za-z]{1,2}(_[a-z0-9]+)?$|^[A-Z][0-9]$")


def _latin(out):
    words = {w for s in _strings(out) for w in re.findall(r"[A-Za-z][A-Za-z0-9_]*", s)}
    return {w for w in words - ALLOWED_LATIN if not SYMBOL.match(w)}


def _strings(out):
    for t in out.tables:
        yield t.title
        yield t.stub
        yield from t.columns
        yield from t.notes
        for r in t.rows:
            yield r.label
            yield from (c.text for c in r.cells)
    yield from out.readings
    yield from (n for n in out.notes if "综合指数未计算" not in n and "composite index was not" not in n)


def test_no_chinese_in_english_and_no_english_in_chinese(outcome, demo):
    assert not [s for s in _strings(outcome["en"]) if CJK.search(s)]
    assert _latin(outcome["zh"]) == set()
    # also with the network shown
    for lang in ("zh", "en"):
        st = _variant(demo[lang], pop=lambda g: g ** 0.7, population="pop")
        out = builder.run_stage(st, "patterns")
        assert [t.name for t in out.tables][1:5] == ["network_structure", "network_centrality",
                                                     "network_blocks", "network_block_density"]
        if lang == "en":
            assert not [s for s in _strings(out) if CJK.search(s)]
        else:
            assert _latin(out) == set()


# ------------------------------------------------------------------ figures, example config
def test_example_config_draws_the_figures(demo, tmp_path):
    cfg = load_config(ROOT / "examples" / "patterns_report.toml")
    assert cfg.get("patterns", "factors") == FACTORS
    # the example changes [patterns] only: run it on the prepared demo state, with figures
    assert {k: v for k, v in cfg.settings.items() if k not in ("patterns", "output")} == \
        {k: v for k, v in demo["en"].config.settings.items() if k not in ("patterns", "output")}
    state = _variant(demo["en"], output={"figures": ["png"]}, **cfg.get("patterns"))
    state.out, state.figures = tmp_path, True
    out = builder.run_stage(state, "patterns")
    assert out.status == "ok", (out.reason, out.notes)
    assert [f.name for f in out.figures] == ["std_ellipse", "club_transition_paths",
                                             "lisa_time_paths", "lisa_rose",
                                             "geodetector_interaction"]
    assert all((tmp_path / "figures" / f"{f.name}.png").stat().st_size > 5000 for f in out.figures)
    fac = table(out, "geodetector_factor")
    assert [r.label for r in fac.rows] == [f"{f} ({y})" for y in (2012, 2022) for f in FACTORS]


# ------------------------------------------------------------------ configuration
@pytest.mark.parametrize("over, match", [
    ({"blocks": 3}, r"\[patterns\] blocks must be 2, 4 or 8"),
    ({"blocks": True}, r"\[patterns\] blocks"),
    ({"club_merge": "merge"}, r"\[patterns\] club_merge = 'merge' is not one of"),
    ({"club_filter": "hp2"}, r"\[patterns\] club_filter = 'hp2'.*did you mean 'hp'"),
    ({"discretize": "quantiles"}, r"\[patterns\] discretize.*did you mean 'quantile'"),
    ({"ellipse_method": "ArcGIS"}, r"\[patterns\] ellipse_method"),
    ({"factors": "ln_gdp"}, r"\[patterns\] factors must be a list.*factors = \[\"ln_gdp\"\]"),
    ({"factors": ["index", "ln_gdp"]}, r"\[patterns\] variable 'index' is also among factors"),
    ({"factors": ["ln_gdp", "ln_gdp"]}, r"\[patterns\] factors lists 'ln_gdp' more than once"),
    ({"centre": "yes"}, r"\[patterns\] centre must be true or false"),
    ({"ellipse_years": [2012.5]}, r"\[patterns\] ellipse_years"),
    ({"geodetector_years": "2022"}, r"\[patterns\] geodetector_years must be a list"),
    ({"population": 1}, r"\[patterns\] population must be a string"),
    ({"gdp": ""}, r"\[patterns\] gdp must be a non-empty string"),
    ({"qap_permutations": -1}, r"\[patterns\] qap_permutations must be a number of permutations"),
    ({"qap_permutations": 99.0}, r"\[patterns\] qap_permutations"),
    ({"factor": ["ln_gdp"]}, r"unknown option 'patterns.factor'.*did you mean 'factors'"),
])
def test_config_errors_are_named(over, match):
    with pytest.raises(ConfigError, match=match):
        load_config(None, patterns=over)


def test_columns_named_in_patterns_are_checked_by_the_data_stage(tmp_path):
    cfg = load_config(None, patterns={"population": "no_such_population"})
    _, state, _, _ = builder._prepare(cfg, tmp_path, None, "en", ["patterns"], figures=False)
    with pytest.raises(Exception, match="no_such_population"):
        builder.run_stage(state, "data")


def test_template_documents_every_patterns_key():
    from spatialnqpf.report.config import DEFAULTS, template
    text = template()
    sec = text.split("[patterns]", 1)[1].split("\n[", 1)[0]
    for key in DEFAULTS["patterns"]:
        assert re.search(rf"^{key} = ", sec, re.M), key


@pytest.mark.parametrize("page", ["en.md", "zh.md"])
def test_getting_started_patterns_block_is_a_valid_configuration(page, tmp_path):
    text = (ROOT / "docs" / "getting-started" / page).read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if "[patterns]" in b)
    p = tmp_path / "p.toml"
    p.write_text(block, encoding="utf-8")
    cfg = load_config(p)
    assert cfg.get("patterns", "population") == "pop" and cfg.get("patterns", "factors") == ["ln_gdp"]
    # every key named in the comments is a [patterns] key
    from spatialnqpf.report.config import DEFAULTS
    named = set(re.findall(r"\b([a-z_]+) =", block))
    assert named <= set(DEFAULTS["patterns"]), named - set(DEFAULTS["patterns"])


def test_a_flagged_club_fit_is_marked_not_read(demo, monkeypatch):
    from _report_helpers import Flagged  # the real result with a flag added
    from spatialnqpf.report.stages import patterns as stage

    real = dynamics.club_convergence
    monkeypatch.setattr(stage.dynamics, "club_convergence", lambda *a, **k: Flagged(real(*a, **k)))
    out = builder.run_stage(_variant(demo["en"], centre=False, factors=[]), "patterns")
    assert out.status == "warning"
    t = table(out, "club_convergence")
    assert any("flagged (degenerate_se)" in n for n in t.notes)
    assert not any("convergence is rejected" in r or "not rejected" in r for r in out.readings)
    assert any("flagged (degenerate_se)" in r for r in out.readings)
