"""The optional "impact" report stage: its tables hold the numbers of the direct API calls.

Reference: the estimators themselves (``panel_fe``, ``mediation``, ``moderation``,
``panel_threshold``, ``heterogeneity``, each checked against pyfixest / numpy transcriptions
in its own test file) called on the same analysis frame with the same seed; the stage must
show exactly those numbers, and its readings must follow them (an insignificant result is
said to be so).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import models
from spatialnqpf._validation import DataError
from spatialnqpf.report import builder
from spatialnqpf.report.config import ConfigError, load_config
from spatialnqpf.report.stages import State, default_stages
from spatialnqpf.report.stages import data as data_stage
from spatialnqpf.report.stages import impact
from spatialnqpf.report.stages import index as index_stage

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "impact_report.toml"
CJK = re.compile(r"[\u3400-\u9fff]")


def _state(cfg, lang, out, figures=False):
    st = State(cfg, out, lang, lang, progress=False, figures=False)
    data_stage.run(st)
    index_stage.run(st)
    st.figures = figures
    return st


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    cfg = load_config(EXAMPLE)
    out = tmp_path_factory.mktemp("impact")
    st = _state(cfg, "en", out, figures=True)
    t0 = time.process_time()          # CPU time: not inflated by a busy machine
    res = impact.run(st)
    secs = time.process_time() - t0
    st_zh = State(cfg, out / "zh", "zh", "zh", progress=False, figures=False)
    st_zh.data, st_zh.frame, st_zh.index_column = st.data, st.frame, st.index_column
    res_zh = impact.run(st_zh)
    return {"cfg": cfg, "state": st, "out": res, "zh": res_zh, "seconds": secs, "dir": out}


def _cell(table, label, column, kind="body", nth=0):
    """Value of the cell in row ``label`` (the nth such row) and ``column``; for a coefficient,
    ``kind="se"`` gives the parenthesised SE row under it."""
    rows = table.rows
    hits = [i for i, r in enumerate(rows) if r.label == label and r.kind == "body"]
    i = hits[nth]
    if kind == "se":
        i += 1
        assert rows[i].kind == "se"
    return rows[i].cells[list(table.columns).index(column)].value


def _tables(out):
    return {t.name: t for t in out.tables}


def test_impact_stage_is_off_unless_configured_and_has_a_cli_command():
    from spatialnqpf import cli
    assert "impact" not in default_stages(load_config(None))
    cfg = load_config(EXAMPLE)
    assert cfg.get("impact", "enabled") is True
    assert default_stages(cfg)[-1] == "impact"
    assert cli.single_stages()["impact"] == ("index", "impact")
    # the configuration written with a report reruns the same way (off stays off, on stays on)
    for c, on in ((load_config(None), False), (cfg, True)):
        again = load_config(None, **{k: v for k, v in c.to_dict().items() if k in ("impact",)})
        assert again.get("impact", "enabled") is on
    # `spatialnqpf impact` without [impact]: skipped with the reason
    outs = builder.run_stages(None, stages=["impact"])
    imp = [o for o in outs if o.name == "impact"][0]
    assert imp.status == "skipped" and "[impact]" in imp.reason


def test_example_runs_in_seconds_with_tables_and_figures(example):
    out = example["out"]
    assert out.status == "ok"
    # ~4 s of CPU on the demo (pyfixest warm-up included); a gross slowdown (a default of
    # thousands of draws, a dense loop) fails
    assert example["seconds"] < 30, example["seconds"]
    assert set(_tables(out)) == {
        "impact_baseline", "impact_mediation_equations", "impact_mediation_effects",
        "impact_moderation", "impact_moderation_effects", "impact_threshold_tests",
        "impact_threshold_estimates", "impact_threshold_coefficients", "impact_heterogeneity",
        "impact_heterogeneity_differences"}
    names = [f.name for f in out.figures]
    assert names == ["impact_threshold_lr", "impact_heterogeneity_coefficients"]
    for f in out.figures:
        assert Path(f.files["png"]).stat().st_size > 5000
    # results.json material: every number serialises
    import json

    from spatialnqpf.report.writers import jsonable
    blob = json.loads(json.dumps(jsonable({"numbers": out.numbers,
                                           "tables": [t.to_dict() for t in out.tables]})))
    assert blob["numbers"]["threshold"]["n_supported"] == out.numbers["threshold"]["n_supported"]


def test_baseline_and_mechanism_tables_hold_the_direct_api_values(example):
    st, tb = example["state"], _tables(example["out"])
    f, y = st.frame, st.index_column
    ctr = ["ln_gdp", "industry_share", "edu_budget_share"]
    b1 = models.panel_fe(f, y, ["scitech_share"], id="code", time="year", fe="twoways", cluster="code")
    b2 = models.panel_fe(f, y, ["scitech_share"] + ctr, id="code", time="year", fe="twoways",
                         cluster="code")
    t = tb["impact_baseline"]
    assert _cell(t, "scitech_share", "(1)") == b1.params["scitech_share"]
    assert _cell(t, "scitech_share", "(2)") == b2.params["scitech_share"]
    assert _cell(t, "scitech_share", "(2)", kind="se") == b2.bse["scitech_share"]
    assert _cell(t, "edu_budget_share", "(2)", kind="se") == b2.bse["edu_budget_share"]
    assert "***" in t.grid()[1][2]                              # p < 0.01 in column (2)
    med = models.mediation(f, y, "scitech_share", ["tertiary_share"], ctr, id="code", time="year",
                           fe="twoways", n_boot=200, seed=st.seed).to_frame()
    e = tb["impact_mediation_effects"]
    col = "tertiary_share"
    assert _cell(e, "Indirect effect a×b", col) == med.loc["indirect", "estimate"]
    assert _cell(e, "Sobel p", col) == med.loc["indirect", "p_value"]
    assert _cell(e, "Bootstrap lower (percentile)", col) == med.loc["indirect", "boot_low"]
    assert _cell(e, "Bootstrap upper (bias-corrected)", col) == med.loc["indirect", "bc_high"]
    assert _cell(e, "Share mediated", col) == pytest.approx(
        med.loc["indirect", "estimate"] / med.loc["total", "estimate"], rel=1e-12)
    # the three-equation table (panel_fe clustered by unit) shows the mediation's paths
    q = tb["impact_mediation_equations"]
    assert _cell(q, "scitech_share", "(1) composite index") == pytest.approx(med.loc["total", "estimate"], rel=1e-8)
    assert _cell(q, "scitech_share", "(2) tertiary_share") == pytest.approx(med.loc["a", "estimate"], rel=1e-8)
    assert _cell(q, "scitech_share", "(2) tertiary_share", kind="se") == pytest.approx(
        med.loc["a", "std_error"], rel=1e-8)
    assert _cell(q, "tertiary_share", "(3) composite index") == pytest.approx(med.loc["b", "estimate"], rel=1e-8)
    assert _cell(q, "scitech_share", "(3) composite index") == pytest.approx(med.loc["direct", "estimate"], rel=1e-8)
    mo = models.moderation(f, y, "scitech_share", "edu_budget_share", ["ln_gdp", "industry_share"],
                           id="code", time="year", fe="twoways")
    m = tb["impact_moderation"]
    assert _cell(m, "scitech_share × edu_budget_share", "(1) edu_budget_share") == \
        mo.params["scitech_share:edu_budget_share"]
    me = tb["impact_moderation_effects"].values()
    assert [v["value"] for v in me if v["column"] == "Marginal effect"] == \
        list(mo.effects_at["estimate"])


def test_threshold_and_heterogeneity_tables_hold_the_direct_api_values(example):
    st, tb = example["state"], _tables(example["out"])
    f, y = st.frame, st.index_column
    xs = ["scitech_share", "ln_gdp", "industry_share", "edu_budget_share"]
    th = models.panel_threshold(f, y, xs, ["scitech_share"], "ln_gdp", id="code", time="year",
                                n_thresholds=2, trim=0.05, n_boot=200, seed=st.seed, cluster="code")
    t = tb["impact_threshold_tests"]
    assert _cell(t, "Single threshold", "F") == th.tests.loc[1, "F"]
    assert _cell(t, "Double threshold", "Bootstrap p") == th.tests.loc[2, "p_boot"]
    assert _cell(t, "Single threshold", "Critical 5%") == th.tests.loc[1, "crit_5"]
    num = example["out"].numbers["threshold"]
    k = num["n_thresholds_shown"]
    assert num["n_supported"] == sum(np.cumprod(th.tests["p_boot"].to_numpy() < 0.05))
    one = models.panel_threshold(f, y, xs, ["scitech_share"], "ln_gdp", id="code", time="year",
                                 n_thresholds=k, trim=0.05, n_boot=0, cluster="code")
    e = tb["impact_threshold_estimates"]
    assert _cell(e, "γ̂1", "Estimate") == one.thresholds["gamma1"]
    assert _cell(e, "γ̂1", "Upper") == one.ci.loc["gamma1", "upper"]
    c = tb["impact_threshold_coefficients"]
    g = one.thresholds["gamma1"]
    col = c.columns[0]
    assert _cell(c, f"scitech_share (ln_gdp ≤ {g:.3f})", col) == one.params["scitech_share_r1"]
    assert _cell(c, f"scitech_share (ln_gdp > {g:.3f})", col, kind="se") == one.bse["scitech_share_r2"]
    het = models.heterogeneity(f, y, xs, by="region4", fe="twoways", id="code", time="year",
                               n_perm=200, seed=st.seed, terms=["scitech_share"])
    h = tb["impact_heterogeneity"]
    assert list(h.columns) == ["East", "Central", "West", "Northeast"]
    for gname in h.columns:
        assert _cell(h, "scitech_share", gname) == het.results[gname].params["scitech_share"]
        assert _cell(h, "scitech_share", gname, kind="se") == het.results[gname].bse["scitech_share"]
    d = tb["impact_heterogeneity_differences"].values()
    assert [v["value"] for v in d if v["column"] == "p (permutation)"] == list(het.differences["p_perm"])
    assert [v["value"] for v in d if v["column"] == "p (Wald)"] == list(het.differences["p_wald"])


_ALLOWED = {"a", "b", "c", "p", "F", "G", "N", "T", "t", "z", "R", "LR", "CR1", "Sobel", "Hansen",
            "Wald", "Fisher", "reghdfe", "xtreg", "fe", "YES", "NO", "H0", "HC1", "sd", "r"}


def _english_words(text, variables):
    for v in sorted(variables, key=len, reverse=True):
        text = text.replace(v, " ")
    return [w for w in re.findall(r"[A-Za-z][A-Za-z0-9_]*", text) if w not in _ALLOWED]


def test_readings_in_both_languages_follow_the_numbers(example):
    en, zh = example["out"], example["zh"]
    assert len(en.readings) == len(zh.readings) >= 6
    for r in en.readings:
        assert not CJK.search(r), r
    variables = {"scitech_share", "tertiary_share", "edu_budget_share", "ln_gdp", "industry_share",
                 "region4", "index_score", "mediation_boot", "n_boot", "n_perm"}
    for text in [*zh.readings, *(t.title for t in zh.tables), *(n for t in zh.tables for n in t.notes),
                 *(r.label for t in zh.tables for r in t.rows), *(c for t in zh.tables for c in t.columns)]:
        assert not _english_words(text, variables), (text, _english_words(text, variables))
    for t in en.tables:
        for text in [t.title, *t.notes, *t.columns, *(r.label for r in t.rows)]:
            assert not CJK.search(text), text
    nums = en.numbers
    # honest readings on the demo: the mediation and moderation are not significant, and so
    # is the threshold effect (the bootstrap p is the one in the table)
    med = nums["mediation"]["tertiary_share"]
    assert med.loc["indirect", "boot_low"] < 0 < med.loc["indirect", "boot_high"]
    assert any("no evidence that tertiary_share is a channel" in r for r in en.readings)
    assert any("没有证据表明 tertiary_share" in r for r in zh.readings)
    p1 = nums["threshold"]["tests"].loc[1, "p_boot"]
    assert p1 >= 0.05 and nums["threshold"]["n_supported"] == 0
    assert any(f"does not support a threshold effect in ln_gdp (single-threshold p = {p1:.3f})" in r
               for r in en.readings)
    assert any("positive and significant at the 1% level" in r and "column (2)" in r
               for r in en.readings)


def _synthetic(seed=0, N=40, T=10):
    """Strong threshold in q at 0 (slope 2 below, 0 above) and a real mediator m (a = b = 1)."""
    rng = np.random.default_rng(seed)
    code = np.repeat(np.arange(N) + 100, T)
    year = np.tile(np.arange(2000, 2000 + T), N)
    mu = np.repeat(rng.normal(size=N), T)
    x = rng.normal(size=N * T)
    q = rng.normal(size=N * T)
    m = x + rng.normal(scale=0.5, size=N * T)
    y = mu + np.where(q <= 0, 2.0, 0.0) * x + m + rng.normal(scale=0.5, size=N * T)
    grp = np.repeat(np.where(np.arange(N) < N // 2, "A", "B"), T)
    return pd.DataFrame({"code": code, "year": year, "y": y, "x": x, "q": q, "m": m, "grp": grp})


def test_readings_say_what_the_bootstrap_and_the_mediation_support(tmp_path):
    cfg = load_config(None, impact={"y": "y", "x": ["x"], "mediators": ["m"], "threshold": "q",
                                    "n_thresholds": 2, "n_boot": 50, "mediation_boot": 50,
                                    "heterogeneity": "grp", "n_perm": 20, "fe": "individual"})
    st = State(cfg, tmp_path, "en", "en", progress=False, figures=False)
    st.frame = _synthetic()
    out = impact.run(st)
    th = out.numbers["threshold"]
    assert th["tests"].loc[1, "p_boot"] < 0.05 and th["n_supported"] >= 1
    assert abs(th["thresholds"]["gamma1"]) < 0.2
    assert any(f"the bootstrap supports {th['n_supported']} threshold(s)" in r for r in out.readings)
    assert any("m is a channel of the effect of x on y" in r for r in out.readings)
    assert list(_tables(out)["impact_heterogeneity"].columns) == ["A", "B"]


@pytest.mark.parametrize("impact_cfg, match", [
    ({"x": ["x"], "mediators": ["x"]}, r"\[impact\] mediators 'x' equal the treatment"),
    ({"x": ["x"], "threshold": "q", "threshold_x": ["w"]}, r"\[impact\] threshold_x 'w' are not in x"),
    ({"x": ["x"], "threshold_x": ["x"]}, r"threshold_x is given but threshold"),
    ({"x": ["x"], "n_thresholds": 4}, r"\[impact\] n_thresholds must be an integer in \[1, 3\]"),
    ({"x": ["x"], "trim": 0.6}, r"\[impact\] trim must be a number in \(0, 0.5\)"),
    ({"x": ["x"], "grid": 5}, r"\[impact\] grid = 5 is too coarse"),
    ({"x": ["x"], "backend": "dask"}, r"\[impact\] backend = 'dask' is not one of"),
    ({"x": ["x"], "fe": "firm"}, r"\[impact\] fe"),
    ({"x": "x"}, r"\[impact\] x must be a list"),
    ({"x": ["x"], "controls": ["m"], "mediators": ["m"]}, r"both in mediators and in controls"),
    ({"y": "x", "x": ["x"]}, r"\[impact\] y = 'x' is also in x"),
    ({"x": ["x"], "thresold": "q"}, r"unknown option 'impact.thresold'.*did you mean 'threshold'"),
])
def test_config_errors_name_the_key(impact_cfg, match):
    with pytest.raises(ConfigError, match=match):
        load_config(None, impact=impact_cfg)


def test_run_time_errors_name_the_column(tmp_path):
    base = {"y": "y", "x": ["x"], "n_boot": 0}
    for over, exc, match in (({"x": []}, ConfigError, r"\[impact\] x is empty"),
                             ({"heterogeneity": "belt"}, DataError, r"heterogeneity column\(s\) 'belt'"),
                             ({"cluster": "city"}, DataError, r"cluster column\(s\) 'city'"),
                             ({"controls": ["zz"]}, DataError, r"\[impact\] column\(s\) 'zz'")):
        cfg = load_config(None, impact={**base, **over})
        st = State(cfg, tmp_path, "en", "en", progress=False, figures=False)
        st.frame = _synthetic(N=12, T=5)
        with pytest.raises(exc, match=match):
            impact.run(st)


def test_template_documents_every_impact_key_with_its_default(tmp_path):
    from spatialnqpf.report.config import DEFAULTS, template
    lines = template().splitlines()
    start = lines.index("# [impact]")
    block = ["[impact]"]
    for line in lines[start + 1:]:
        if not line.startswith("# ") or "=" not in line:
            break
        block.append(line[2:])
    p = tmp_path / "t.toml"
    p.write_text("\n".join(block) + "\n", encoding="utf-8")
    cfg = load_config(p)
    got = dict(cfg.get("impact"))
    assert got.pop("enabled") is True               # uncommenting the table turns the stage on
    keys = {b.split("=")[0].strip() for b in block[1:]}
    assert keys == set(DEFAULTS["impact"]) - {"enabled"}
    # the documented values are the defaults, except the example regressors
    for k in keys - {"x", "controls"}:
        assert got[k] == DEFAULTS["impact"][k], k


def test_without_resampling_the_readings_say_so(tmp_path):
    cfg = load_config(None, impact={"y": "y", "x": ["x"], "mediators": ["m"], "threshold": "q",
                                    "n_thresholds": 1, "n_boot": 0, "mediation_boot": 0,
                                    "heterogeneity": "grp", "n_perm": 0, "fe": "individual"})
    st = State(cfg, tmp_path, "en", "en", progress=False, figures=False)
    st.frame = _synthetic(N=20, T=6)
    out = impact.run(st)
    text = " ".join(out.readings)
    assert "No bootstrap (n_boot = 0): the number of thresholds is not tested; the " \
           "single-threshold model is shown." in text
    assert "the Sobel test is significant at 5%: m is a channel" in text
    assert "No permutation test (n_perm = 0)" in text
    assert np.isnan(out.numbers["threshold"]["tests"].loc[1, "p_boot"])
    tb = _tables(out)
    assert "Bootstrap lower (percentile)" not in [r.label for r in tb["impact_mediation_effects"].rows]
    with pytest.raises(ConfigError, match=r"\[impact\] threshold = 'y' is the dependent variable"):
        load_config(None, impact={"y": "y", "x": ["x"], "threshold": "y"})
