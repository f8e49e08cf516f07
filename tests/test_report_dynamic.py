"""Report wiring of the dynamic spatial panel and the panel spatial 2SLS (issue 14, item 6).

``[models] dynamic`` adds the dynamic model beside the static one in the models stage, with
short- and long-run effects tables; ``[models] endog``/``instruments`` add the spatial 2SLS
column.  Every number of the new columns and tables must equal the direct API call
(:func:`spatialnqpf.models.spatial_panel` with ``dynamic=...``, ``res.effects(...)``,
:func:`spatialnqpf.models.spatial_gmm`) on the same analysis frame and weights.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from spatialnqpf import models
from spatialnqpf._results import FitWarning
from spatialnqpf.report.builder import _prepare, run_stage
from spatialnqpf.report.config import ConfigError, ReportConfig

NSIM = 200
X3 = ["ln_gdp", "industry_share", "edu_budget_share"]


def _run(lang="zh", **models_cfg):
    """Run data/index/weights/models on the demo; return (models outcome, state)."""
    m = {"specification_search": False, "effects_nsim": NSIM, **models_cfg}
    cfg = ReportConfig().replace(models=m, weights={"matrices": ["contiguity"]}, output={"lang": lang})
    _, state, want, _ = _prepare(cfg, "unused-out", None, None, ["index", "weights", "models"],
                                 figures=False)
    outs = [run_stage(state, n) for n in want]
    assert [o.status for o in outs[:3]] == ["ok"] * 3
    return outs[-1], state


def _direct_dynamic(state, x, dynamic="both", model="sdm", fe="twoways", lee_yu=True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        return models.spatial_panel(state.frame, y=state.index_column, x=x,
                                    w=state.weights["contiguity"], id="code", time="year",
                                    model=model, fe=fe, lee_yu=lee_yu, dynamic=dynamic)


def _column(table, col):
    """{row label: value} of the body rows of one column of a regression table."""
    j = table.columns.index(col)
    return {r.label: r.cells[j].value for r in table.rows if r.kind == "body"
            and r.cells[j].value is not None}


@pytest.fixture(scope="module")
def stationary():
    return _run("zh", x=X3, dynamic="both")


@pytest.fixture(scope="module")
def flagged():
    return _run("en", x=X3[:2], dynamic="both", endog=["edu_budget_share"],
                instruments=["scitech_budget_share"], specification_search=True)


def test_dynamic_column_and_effects_equal_direct_api(stationary):
    out, state = stationary
    assert out.status == "ok", out.notes
    res = _direct_dynamic(state, X3)
    assert not res.flags and res.extra["stability"]["stationary"]
    main = out.tables[0]
    col = "动态 SDM（邻接矩阵）"
    assert main.name == "spatial_models" and col in main.columns
    assert main.columns[0].startswith("SDM")              # the static model stays first
    vals = _column(main, col)
    # rows: the labelled lags first, then x, W x, rho (values = params of the direct call)
    labels = {"y_lag": "时间滞后 y(t−1)", "W_y_lag": "时空滞后 W×y(t−1)", "rho": "ρ (W×y)"}
    for term, b in res.params.items():
        lab = labels.get(term, term.replace("W_", "W×"))
        np.testing.assert_allclose(vals[lab], b, rtol=1e-12)
    assert [r.label for r in main.rows if r.kind == "body"][:2] == [labels["y_lag"],
                                                                   labels["W_y_lag"]]
    stat = {r.label: r.cells[main.columns.index(col)].value for r in main.rows if r.kind == "stat"}
    assert stat["样本量 N"] == res.nobs == 31 * 10
    np.testing.assert_allclose(stat["对数似然值"], res.llf, rtol=1e-12)
    # short- and long-run effects tables = res.effects(horizon, simulation, nsim, seed)
    names = [t.name for t in out.tables]
    assert names[:3] == ["spatial_models", "dynamic_effects_short", "dynamic_effects_long"]
    for h, tab in zip(("short", "long"), out.tables[1:3]):
        eff = res.effects(horizon=h, method="simulation", nsim=NSIM, seed=state.seed)
        assert [r.label for r in tab.rows] == list(eff.index)
        got = np.array([[c.value for c in r.cells] for r in tab.rows])
        want = eff[[f"{k}{s}" for k in ("direct", "indirect", "total")
                    for s in ("", "_se", "_p")]].to_numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12)
        assert tab.columns[0] == "直接效应 估计值" and tab.columns[-1] == "总效应 p 值"
        np.testing.assert_allclose(out.numbers["dynamic"][f"effects_{h}"]["total"], eff["total"],
                                   rtol=1e-12)
    # long-run point effects: ((1 - tau) I - (rho + eta) W)^-1 (beta I + theta W), dense
    p = res.params
    W = state.weights["contiguity"].sparse.toarray()
    ids = list(state.weights["contiguity"].unique_ids)
    assert ids == list(res.extra["design"].ids)
    n = W.shape[0]
    A = np.linalg.inv((1 - p["y_lag"]) * np.eye(n) - (p["rho"] + p["W_y_lag"]) * W)
    for v, r in zip(X3, out.tables[2].rows):
        M = A @ (p[v] * np.eye(n) + p["W_" + v] * W)
        np.testing.assert_allclose(r.cells[0].value, np.trace(M) / n, rtol=1e-8)
        np.testing.assert_allclose(r.cells[6].value, M.sum() / n, rtol=1e-8)
    # readings and notes in Chinese, with the numbers of the fit
    text = " ".join(out.readings)
    assert f"τ = {p['y_lag']:.3f}，η = {p['W_y_lag']:.3f}，ρ = {p['rho']:.3f}" in text
    assert "模型平稳" in text and "长期间接" in text
    assert any("dynamic='both'" in n_ and "首年仅用作滞后项" in n_ for n_ in main.notes)
    assert not re.search(r"\b(the|effects|stationary|draws)\b", text + " ".join(main.notes[2:]))


def test_nonstationary_fit_is_flagged_without_effects(flagged):
    out, state = flagged
    res = _direct_dynamic(state, X3[:2])
    st = res.extra["stability"]
    assert not st["stationary"] and st["tau_rho_eta"] > 1
    assert [f.code for f in res.flags] == ["nonstationary"]
    assert out.status == "warning"
    main = out.tables[0]
    col = "Dynamic SDM (Contiguity)"
    assert col in main.meta["flags"] and main.meta["flags"][col][0][0] == "nonstationary"
    j = main.columns.index(col)
    assert all(r.cells[j].text.endswith("†") for r in main.rows
               if r.kind == "body" and r.cells[j].value is not None)
    # no effects table at all for the flagged fit; the reading gives the stability condition
    assert not [t for t in out.tables if t.name.startswith("dynamic_effects")]
    assert out.numbers["dynamic"]["effects_long"] is None
    r = [x for x in out.readings if x.startswith(col)]
    assert r == [f"{col}: the model is not stationary (the largest eigenvalue modulus of "
                 f"(I − ρW)⁻¹(τI + ηW) is {st['max_modulus']:.4f} ≥ 1; tau + rho + eta = "
                 f"{st['tau_rho_eta']:.4f}): no long-run effects exist, and no effects are shown."]
    # the FitWarnings of the fits do not leak into the stage notes (the flags are reported)
    assert not [n for n in out.notes if "FitWarning" in n]


def test_specification_search_dynamic_step(flagged):
    """[models] dynamic also adds step 6 (the dynamic SDM tests) to the Elhorst sequence."""
    out, state = flagged
    res = _direct_dynamic(state, X3[:2])          # step 6 fits the dynamic SDM, same fe
    spec = next(t for t in out.tables if t.name == "specification_tests")
    rows = [r for r in spec.rows if r.label == "6"]
    assert [r.cells[0].text for r in rows] == list(res.tests.index) + ["stability"]
    for r, (name, t) in zip(rows, res.tests.iterrows()):
        np.testing.assert_allclose([r.cells[2].value, r.cells[4].value], [t.statistic, t.p],
                                   rtol=1e-10)
    st = res.extra["stability"]
    assert rows[-1].cells[-1].text == (f"not stationary: largest eigenvalue modulus "
                                       f"{st['max_modulus']:.4f} >= 1 (tau + rho + eta = "
                                       f"{st['tau_rho_eta']:.4f})")
    cmp = next(t for t in out.tables if t.name == "sdm_sar_sem")
    assert cmp.columns == ("SDM", "SAR", "SEM")     # the dynamic fit is not a comparison column


def test_gmm_column_and_first_stage_equal_direct_api(flagged):
    out, state = flagged
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        g = models.spatial_gmm(state.frame, y=state.index_column, x=X3[:2],
                               w=state.weights["contiguity"], id="code", time="year", model="sar",
                               endog=["edu_budget_share"], instruments=["scitech_budget_share"],
                               fe="twoways")
    main = out.tables[0]
    col = "Spatial 2SLS (Contiguity)"
    vals = _column(main, col)
    for term, b in g.params.items():
        np.testing.assert_allclose(vals["ρ (W×y)" if term == "rho" else term], b, rtol=1e-12)
    j = main.columns.index(col)
    se = {a.label: b.cells[j].value for a, b in zip(main.rows, main.rows[1:])
          if a.kind == "body" and b.kind == "se" and b.cells[j].value is not None}
    for term, s_ in g.bse.items():
        np.testing.assert_allclose(se["ρ (W×y)" if term == "rho" else term], s_, rtol=1e-12)
    assert g.nobs == 31 * 11
    # weak instruments: flagged in the table, warned in the reading with the first-stage F
    assert [f.code for f in g.flags] == ["weak_instruments"]
    assert main.meta["flags"][col][0][0] == "weak_instruments"
    F = g.first_stage.loc["edu_budget_share", "F"]
    assert F < 10
    assert f"{col}: weak instruments (first-stage F < 10: edu_budget_share: F = {F:.2f})" in \
        " ".join(out.readings)
    fs = next(t for t in out.tables if t.name == "gmm_first_stage")
    rows = {r.label: [c.value for c in r.cells] for r in fs.rows}
    for v in ("edu_budget_share", "W_y"):
        np.testing.assert_allclose(rows[v], g.first_stage.loc[v, ["F", "df1", "df2", "p",
                                                                   "partial_r2"]].to_numpy(float),
                                   rtol=1e-12)
    np.testing.assert_allclose(rows["Sargan test"][0], g.tests.loc["Sargan", "statistic"], rtol=1e-12)
    np.testing.assert_allclose(rows["Hansen J test"][3], g.tests.loc["Hansen J", "p"], rtol=1e-12)
    assert out.numbers["gmm"]["params"].equals(g.params)


def test_default_report_has_no_robustness_columns():
    cfg = ReportConfig()
    assert cfg.get("models", "dynamic") == "none"
    assert cfg.get("models", "endog") == [] and cfg.get("models", "instruments") == []
    from spatialnqpf.report.config import template
    import tomllib
    assert tomllib.loads(template())["models"]["dynamic"] == "none"


@pytest.mark.parametrize("models_cfg, match", [
    ({"dynamic": "lagged"}, r"\[models\] dynamic = 'lagged' is not one of"),
    ({"dynamic": "tiem"}, r"did you mean 'time'"),
    ({"dynamic": "both", "model": "sac"}, r"dynamic = 'both' needs model = \"sar\", \"sdm\".*'sac'"),
    ({"dynamic": "both", "model": "sem"}, r"model = 'sem' needs lee_yu = false.*got lee_yu = True"),
    ({"dynamic": "time", "lee_yu": "elhorst"}, r"lee_yu = true .* got lee_yu = 'elhorst'"),
    ({"endog": ["edu_budget_share"], "x": ["ln_gdp"]}, r"endog = 'edu_budget_share' needs instruments"),
    ({"endog": ["ln_gdp"], "instruments": ["pop"]}, r"'ln_gdp' is listed in both x and endog"),
    ({"endog": ["e"], "instruments": ["e"]}, r"'e' is listed in both endog and instruments"),
    ({"endog": ["e"], "instruments": ["z"], "fe": "time"}, r"need fe = \"individual\" or \"twoways\".*'time'"),
    ({"endog": "e"}, r"\[models\] endog must be a list"),
    ({"dynamc": "both"}, r"unknown option 'models.dynamc'.*did you mean 'dynamic'"),
])
def test_config_refusals(models_cfg, match):
    with pytest.raises(ConfigError, match=match):
        ReportConfig().replace(models=models_cfg)


def test_step6_names_translated():
    import pandas as pd
    from spatialnqpf.report.tables import translate_specification
    names = ["LR dynamic vs static", "Wald eta = 0 (W_y_lag)", "Wald SDM -> SAR (theta = 0)",
             "Wald SDM -> SEM (theta + rho beta = 0)",
             "Wald dynamic SDM -> dynamic SEM (theta + rho beta = 0, eta + rho tau = 0)", "stability"]
    df = pd.DataFrame({"test": names, "decision": ["significant", "not significant"] * 3})
    zh = translate_specification(df, "zh")
    for a, b in zip(list(df["test"]) + list(df["decision"]), list(zh["test"]) + list(zh["decision"])):
        assert b != a and re.search(r"[\u4e00-\u9fff]", b), (a, b)
        assert not re.search(r"\b(dynamic|static|theta|rho|eta|tau|beta|significant)\b", b)
    assert list(zh["decision"][:2]) == ["显著", "不显著"]
    assert translate_specification(df, "en").equals(df)


def test_dynamic_with_two_years_is_reported_not_fatal():
    """T < 3 for the dynamic model: the static models run, the note names the problem."""
    cfg = ReportConfig().replace(models={"specification_search": False, "effects_nsim": 20,
                                         "dynamic": "time"},
                                 weights={"matrices": ["contiguity"]}, output={"lang": "en"},
                                 data={"years": [2021, 2022]})
    _, state, want, _ = _prepare(cfg, "unused-out", None, None, ["index", "weights", "models"],
                                 figures=False)
    out = [run_stage(state, n) for n in want][-1]
    assert out.status in ("ok", "warning") and out.tables[0].columns == ("SDM (Contiguity)",)
    assert any(n.startswith("the dynamic spatial panel could not be estimated: DataError: a "
                            "dynamic panel needs at least 3 periods") for n in out.notes), out.notes
    assert "dynamic" not in out.numbers


def test_numbers_are_json_ready(stationary, flagged):
    import json
    from spatialnqpf.report.writers.common import jsonable
    for out, _ in (stationary, flagged):
        txt = json.dumps(jsonable(out.numbers), allow_nan=True)
        assert '"dynamic"' in txt
    assert '"gmm"' in json.dumps(jsonable(flagged[0].numbers))


def test_dynamic_sem_column():
    """A dynamic SEM (uncorrected QML, lee_yu = false): the column and its reading use lambda."""
    out, state = _run("en", x=X3, model="sem", lee_yu=False, dynamic="time", effects_nsim=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = models.spatial_panel(state.frame, y=state.index_column, x=X3,
                                   w=state.weights["contiguity"], id="code", time="year",
                                   model="sem", fe="twoways", lee_yu=False, dynamic="time")
    col = "Dynamic SEM (Contiguity)"
    vals = _column(out.tables[0], col)
    np.testing.assert_allclose(vals["λ (W×u)"], res.params["lambda"], rtol=1e-12)
    np.testing.assert_allclose(vals["Time lag y(t−1)"], res.params["y_lag"], rtol=1e-12)
    assert not res.flags and out.status == "ok"
    assert f"{col}: tau = {res.params['y_lag']:.3f}, eta = 0.000, lambda = " \
           f"{res.params['lambda']:.3f}" in " ".join(out.readings)
    long = next(t for t in out.tables if t.name == "dynamic_effects_long")
    eff = res.effects(horizon="long", nsim=50, seed=state.seed)
    np.testing.assert_allclose([r.cells[0].value for r in long.rows], eff["direct"], rtol=1e-12)
    # SEM: the long-run direct effect is b / (1 - tau) (eta = 0, no rho in the mean)
    np.testing.assert_allclose(eff["direct"], res.params[X3] / (1 - res.params["y_lag"]), rtol=1e-10)


def test_endog_and_instruments_are_used_columns(flagged):
    """The data stage checks (and reports) missing values in the 2SLS columns too."""
    _, state = flagged
    used = set(state.data.derived["missing_before"])      # the columns checked for gaps
    assert {"edu_budget_share", "scitech_budget_share"} <= used
    cfg = ReportConfig().replace(models={"x": X3[:2]})
    _, plain, _, _ = _prepare(cfg, "unused-out", None, None, ["models"], figures=False)
    assert run_stage(plain, "data").status == "ok"
    assert "edu_budget_share" not in plain.data.derived["missing_before"]   # endog only
