"""City-level report (issue 13, item 11): ``[data] level = "city"`` end to end.

One module-scoped run of ``examples/city_report.toml`` on the GENERATED example city panel
(:func:`spatialnqpf.datasets.load_demo_city_panel`; four years, 99 permutations, 100 effect
draws to keep it small), then the pieces: city names on maps, groups by region and province,
unknown cities, cities that changed status, and the W subset to the data's cities.
"""
from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import datasets, regions
from spatialnqpf import weights as W
from spatialnqpf._validation import DataError
from spatialnqpf.regions import UnknownRegionError
from spatialnqpf.report import build_report
from spatialnqpf.report.config import DEFAULTS, ConfigError, ReportConfig, load_config, load_data

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "city_report.toml"
USED = ["rd_intensity", "gdp"]


@pytest.fixture(scope="module")
def city_panel():
    return datasets.load_demo_city_panel(seed=0, years=[2021, 2022])


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("city_report")
    cfg = load_config(EXAMPLE, data={"years": [2019, 2022]}, autocorrelation={"permutations": 99},
                      models={"effects_nsim": 100}, output={"formats": ["html", "md", "csv"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = build_report(cfg, out=out, progress=False)
    return res, json.loads((out / "results.json").read_text(encoding="utf-8"))


def _cfg(tmp_path, frame, **data):
    path = tmp_path / "cities.csv"
    frame.to_csv(path, index=False)
    s = copy.deepcopy(DEFAULTS)
    s["data"].update({"file": str(path), "level": "city", "id": "city"}, **data)
    s["index"].update({"system": "inline", "indicators": [{"column": "rd_intensity"}]})
    s["models"].update({"y": "rd_intensity", "x": ["gdp"]})
    return ReportConfig(s)


# ---------------------------------------------------------------------------- generated panel

def test_generated_panel_is_reproducible_and_spatial(city_panel):
    p = city_panel
    assert p["code"].nunique() == 336 and set(p["year"]) == {2021, 2022}
    assert 460300 not in set(p["code"]) and not set(p["code"]) & set(
        regions.cities().query("kind == 'county-level'").index)
    assert p.attrs["generated"] is True and "GENERATED" in p.attrs["description"]
    again = datasets.load_demo_city_panel(seed=0, years=[2021, 2022])
    pd.testing.assert_frame_equal(p, again)
    other = datasets.load_demo_city_panel(seed=1, years=[2021, 2022])
    assert not np.allclose(p["gdp"], other["gdp"])
    # spatial structure: Moran's I of log GDP on the row-standardised city contiguity
    # (plain numpy: I = z'Wz / z'z) is clearly positive
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = W.contiguity(ids=sorted(p["code"].unique()), level="city")
    x = np.log(p[p["year"] == 2022].set_index("code")["gdp"]).loc[list(w.unique_ids)].to_numpy()
    z = x - x.mean()
    assert float(z @ (w.sparse @ z) / (z @ z)) > 0.3


# ---------------------------------------------------------------------------- end to end

def test_city_report_runs_end_to_end(report):
    res, js = report
    status = {s.name: s.status for s in res.stages}
    assert {"data", "index", "weights", "autocorrelation", "inequality", "dynamics",
            "models"} <= set(status)
    assert all(v in ("ok", "warning") for v in status.values()), res.to_frame()
    data = js["stages"]["data"]["numbers"]
    assert data["n_provinces"] == 336 and data["n_years"] == 4
    assert js["footer"]["config"]["data"]["level"] == "city"
    assert js["footer"]["data"]["source"].startswith("GENERATED")
    figs = {f.name for s in res.stages for f in s.figures}
    assert {"index_map_2019", "index_map_2022", "lisa_map_2022", "index_maps_by_year"} <= figs
    assert (res.out_dir / "figures" / "lisa_map_2022.png").stat().st_size > 10_000
    # the weights are those of the data's 336 cities
    ws = js["stages"]["weights"]["tables"]["weights_summary"]
    assert "336" in json.dumps(ws)


def test_city_report_says_generated_and_speaks_of_cities(report):
    res, _ = report
    html = (res.out_dir / "report.html").read_text(encoding="utf-8")
    assert "程序生成的示例数据" in html and "并非真实统计数据" in html
    data = res.stage("data").readings
    assert data[0].startswith("面板覆盖 336 个城市") and "城市-年份" in data[0]
    for st in ("data", "weights", "autocorrelation", "index"):
        for r in res.stage(st).readings:
            assert "省份" not in r, r
    lisa = " ".join(res.stage("autocorrelation").readings)
    assert "高-高聚类城市" in lisa and "杭州" in lisa  # names, not six-digit codes
    assert not any(ch.isdigit() and len(ch) == 6 for ch in lisa.replace("：", " ").split())


def test_city_report_groups_resolve(report):
    res, js = report
    by_region = js["stages"]["index"]["tables"]["index_by_region"]
    text = json.dumps(by_region, ensure_ascii=False)
    for g in ("东部", "中部", "西部", "东北"):
        assert g in text
    dagum = res.stage("inequality").numbers["dagum"]
    assert {"G_jj[East]", "G_jj[Northeast]"} <= set(dagum.columns)
    # Dagum's identity G = G_w + G_nb + G_t holds on the city panel
    np.testing.assert_allclose(dagum["G"], dagum["G_w"] + dagum["G_nb"] + dagum["G_t"], rtol=1e-10)
    rank = res.stage("index").tables[[t.name for t in res.stage("index").tables].index("index_ranking")]
    names = rank.to_frame().iloc[:, 0].tolist()
    assert "杭州" in names and all(isinstance(n, str) and not n.isdigit() for n in names)


def test_city_groups_by_province_and_region():
    g = regions.city_groups([440100, 210200, 110100, 652900], "region4")
    assert g.tolist() == ["East", "Northeast", "East", "West"]
    assert regions.city_groups([440100, 460100], "province").tolist() == [44, 46]
    with pytest.raises(UnknownRegionError, match="999999"):
        regions.city_groups([999999])


def test_dagum_by_province_at_city_level():
    from spatialnqpf.report.builder import run_stages
    s = copy.deepcopy(DEFAULTS)
    s["data"].update({"level": "city", "years": [2021, 2022]})
    s["inequality"]["groups"] = "province"
    s["weights"]["matrices"] = ["contiguity"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = {o.name: o for o in run_stages(ReportConfig(s), stages=["inequality"])}
    assert out["inequality"].status == "ok", out["inequality"].reason
    d = out["inequality"].numbers["dagum"]
    within = [c for c in d.columns if c.startswith("G_jj[")]
    assert len(within) == 31 and "G_jj[广东]" in within
    np.testing.assert_allclose(d["G"], d["G_w"] + d["G_nb"] + d["G_t"], rtol=1e-10)
    wb = [t for t in out["inequality"].tables if t.name == "dagum_within_between"][0]
    assert wb.to_frame().shape[1] == 31  # within-province Gini only: 465 pairs are not tabulated


# ---------------------------------------------------------------------------- maps

def test_city_maps_label_cities_by_name():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spatialnqpf.report.maps import plot_cities
    vals = pd.Series({440100: 1.0, 440300: 2.0, 330100: 3.0, 110100: 0.5})
    ax = plot_cities(vals, labels=[440300, 330100], inset=False, legend=False)
    texts = {t.get_text() for t in ax.texts}
    plt.close(ax.figure)
    assert {"深圳", "杭州"} <= texts and not any(t.isdigit() for t in texts)
    assert "广州" not in texts  # only the requested cities are named


def test_city_lisa_map_names_significant_cities(city_panel):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spatialnqpf._shapes import load_cities
    from spatialnqpf.autocorrelation import lisa
    from spatialnqpf.report.plot_autocorrelation import plot_lisa_map
    p = city_panel[city_panel["year"] == 2022]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = W.contiguity(ids=sorted(p["code"]), level="city")
        res = lisa(p, "gdp", w, id="code", time="year", permutations=99, seed=0)
    fig = plot_lisa_map(res, shapes=load_cities(), lang="zh")
    texts = [t.get_text() for t in fig.axes[0].texts]
    plt.close(fig)
    frame = res.to_frame()
    sig = frame[~frame["cluster"].isin(["ns", "isolate"])]
    assert 0 < len(texts) == len(sig) < len(frame)  # the significant cities only
    assert set(texts) == set(regions.cities().loc[sig["code"], "short_zh"])


# ---------------------------------------------------------------------------- unknown and changed cities

def test_unknown_city_is_named_with_suggestions(tmp_path, city_panel):
    f = city_panel.rename(columns={"code": "city"})
    f["city"] = f["city"].map(regions.cities()["name_zh"])
    f.loc[f["city"] == "广州市", "city"] = "广洲市"
    with pytest.raises(UnknownRegionError) as exc:
        load_data(_cfg(tmp_path, f), used_columns=USED)
    msg = str(exc.value)
    assert "'广洲市'" in msg and "did you mean" in msg and "广州市" in msg and "440100" in msg


def test_merged_city_refused_then_dropped_by_policy(tmp_path, city_panel):
    laiwu = city_panel[city_panel["code"] == 370100].assign(code=371200, name_zh="莱芜市")
    f = pd.concat([city_panel, laiwu], ignore_index=True).rename(columns={"code": "city"})
    with pytest.raises(DataError) as exc:
        load_data(_cfg(tmp_path, f), used_columns=USED)
    msg = str(exc.value)
    assert "371200" in msg and "济南市 (370100)" in msg and "2019" in msg and "drop_units" in msg
    d = load_data(_cfg(tmp_path, f, missing="drop_units"), used_columns=USED)
    assert 371200 not in set(d.frame["code"]) and d.frame["code"].nunique() == 336
    rec = [c for c in d.changes if c["action"].startswith("dropped city")]
    assert len(rec) == 1 and rec[0]["code"] == "371200" and "济南" in rec[0]["column"]


def test_recoded_and_renamed_cities_get_current_codes(tmp_path, city_panel):
    f = city_panel.rename(columns={"code": "city"}).astype({"city": object})
    f.loc[f["city"] == 520500, "city"] = 522400      # 毕节地区 before 2011
    f.loc[f["city"] == 420600, "city"] = "襄樊市"     # 襄阳 before 2010
    d = load_data(_cfg(tmp_path, f), used_columns=USED)
    codes = set(d.frame["code"])
    assert {520500, 420600} <= codes and 522400 not in codes and len(codes) == 336
    assert " 336 cities x 2 years (672 rows)" in d.summary()
    acts = {c["action"]: c for c in d.changes}
    assert acts["recoded city"]["code"] == 520500 and "毕节市" in acts["recoded city"]["column"]
    assert acts["renamed city"]["code"] == 420600 and "2010" in acts["renamed city"]["column"]
    # the old and the current label of one city in the same file: duplicated rows, said so
    both = pd.concat([f, f[f["city"] == "襄樊市"].assign(city="襄阳")], ignore_index=True)
    with pytest.raises(Exception, match="renamed or recoded"):
        load_data(_cfg(tmp_path, both), used_columns=USED)


def test_w_is_subset_to_the_data_cities_with_islands_reported(city_panel):
    ids = sorted(city_panel["code"].unique())
    with pytest.warns(UserWarning, match="460200"):
        w = W.contiguity(ids=ids, level="city")
    rec = w.recipe
    assert len(w.unique_ids) == 336 and set(rec.islands_found) == {460100, 460200, 460400}
    # Haikou is bridged to Zhanjiang by the strait rule and not linked a second time
    assert [l for l in rec.links if l[0] == 460100] == [(460100, 440800)]
    assert W.describe(w).islands == () and W.describe(w).n_components == 1


def test_config_level_is_validated():
    s = copy.deepcopy(DEFAULTS)
    s["data"]["level"] = "cty"
    with pytest.raises(ConfigError, match="did you mean 'city'"):
        ReportConfig(s)
    assert load_config(EXAMPLE).level == "city"
    s = copy.deepcopy(DEFAULTS)
    s["inequality"]["groups"] = "province"
    with pytest.raises(ConfigError, match='level = "city"'):
        ReportConfig(s)


def test_unit_words_at_city_level():
    from spatialnqpf.report.stages._base import _city_words
    assert _city_words("{n} provinces over 2012-2022 ({m} province-years)") == \
        "{n} cities over 2012-2022 ({m} city-years)"
    assert _city_words("共 {v3} 个省份-年份观测") == "共 {v3} 个城市-年份观测"
    assert _city_words("Province") == "City" and _city_words("provincial") == "provincial"
