"""Write the example notebooks (``*.ipynb``, without outputs) from the cell lists below.

The notebooks are generated so that they stay reviewable as plain Python: edit this file, then
run ``python examples/notebooks/_make.py`` and commit both.  ``tests/test_notebooks.py`` checks
that the committed notebooks equal what this script writes and executes each one in a fresh
kernel (nbclient).  Every notebook writes only under a temporary folder
(``$SPATIALNQPF_EXAMPLE_OUT`` if set).
"""
from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

SETUP = '''\
import os, tempfile, warnings
from pathlib import Path
import numpy as np
import pandas as pd
import spatialnqpf as sn

OUT = Path(os.environ.get("SPATIALNQPF_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="spatialnqpf-"))
OUT.mkdir(parents=True, exist_ok=True)
print("output folder:", OUT)'''

INDEX_PANEL = '''\
raw = sn.datasets.load_demo_panel()
ind = sn.index.demo_indicators(raw)
system = sn.index.demo_system().select(pillars=["technology"])
with warnings.catch_warnings():
    warnings.simplefilter("ignore", sn.index.IndexWarning)   # listed in missing_report instead
    idx = sn.index.entropy_topsis(ind, system=system, id="code", time="year", missing="interpolate")
print(len(idx.missing_report), "cells interpolated")
panel = raw.merge(idx.scores.rename("index").reset_index(), on=["code", "year"])
panel["ln_gdp"] = np.log(panel["gdp"])
panel["industry_share"] = panel["share_secondary"] / 100
panel["edu_budget_share"] = panel["budget_exp_education"] / panel["budget_exp_total"]
X = ["ln_gdp", "industry_share", "edu_budget_share"]'''

NOTEBOOKS = {
    "01_quick_tour.ipynb": [
        ("md", "# Quick tour (10 minutes)\n\nThe bundled demo panel (31 provinces, 2012–2022), "
               "a composite index, a weight matrix, Moran's I, a Dagum decomposition and a spatial "
               "Durbin model. Every result object renders as a table (`_repr_html_`) and has "
               "`summary()`, `to_frame()` and `flags`."),
        ("code", SETUP),
        ("md", "## Data and regions\nLong format, keyed by `code` (GB/T 2260) and `year`."),
        ("code", 'raw = sn.datasets.load_demo_panel()\nprint(raw.shape)\n'
                 'sn.regions.normalize(["北　京", "内蒙古自治区", "Shaanxi", "廣東"])'),
        ("code", "sn.datasets.data_dictionary().head()"),
        ("md", "## Composite index (panel entropy weights + TOPSIS)"),
        ("code", INDEX_PANEL),
        ("code", "idx"),
        ("code", "idx.rank_table(2022).head()"),
        ("md", "## Spatial weights\nQueen contiguity, Hainan linked to Guangdong, row-standardised."),
        ("code", "w = sn.weights.contiguity()\nsn.weights.describe(w)"),
        ("md", "## Global Moran's I by year (seeded permutations)"),
        ("code", 'moran = sn.autocorrelation.moran_by_year(panel, "index", w, id="code", time="year",\n'
                 '                                         permutations=99, seed=0)\nmoran'),
        ("md", "## Dagum Gini decomposition by the four NBS regions"),
        ("code", 'dagum = sn.inequality.dagum_gini_by_year(panel, "index", "region4", id="code", time="year")\n'
                 'dagum.contributions().round(1)'),
        ("md", "## Spatial Durbin model, two-way fixed effects (Lee–Yu), effects"),
        ("code", 'sdm = sn.models.spatial_panel(panel, y="index", x=X, w=w, id="code", time="year",\n'
                 '                              model="sdm", fe="twoways")\nsdm'),
        ("code", "sdm.effects(nsim=200, seed=0).round(4)"),
        ("code", 'sar = sdm.spec.replace(model="sar").fit()   # every result keeps its call\n'
                 'sn.models.compare({"SDM": sdm, "SAR": sar})'),
        ("code", 'assert abs(idx.weights.sum() - 1) < 1e-12\nassert not sdm.flags, sdm.flags   # no boundary or convergence flag\n'
                 'print("quick tour done")'),
    ],

    "02_measurement_paper.ipynb": [
        ("md", "# The measurement paper, end to end\n\nIndex → weights → Moran/LISA → Dagum → "
               "kernel density and Markov chains → convergence (β, σ, clubs) → patterns (gravity "
               "centre, standard deviational ellipse, geodetector, spatial association network) → a "
               "report folder. Permutation and bootstrap counts are kept small so that the notebook "
               "runs in seconds; use 999 or more in a paper."),
        ("code", SETUP),
        ("md", "## 1. Composite index"),
        ("code", INDEX_PANEL),
        ("code", "idx.weights.round(4)"),
        ("md", "## 2. Spatial weights: contiguity, inverse distance, economic–geographic nested"),
        ("code", 'W = {"contiguity": sn.weights.contiguity(), "distance": sn.weights.distance(),\n'
                 '     "economic": sn.weights.economic(panel, "gdp", id="code", time="year")}\n'
                 'W["nested"] = sn.weights.nested(W["distance"], W["economic"], phi=0.5)\n'
                 'sn.weights.describe(W["distance"])'),
        ("md", "## 3. Global Moran's I under each W, and LISA clusters"),
        ("code", 'moran = sn.autocorrelation.moran_by_year(panel, "index", W, id="code", time="year",\n'
                 '                                         permutations=99, seed=0)\n'
                 'moran.side_by_side(["I", "z_rand", "p_perm"]).round(3)'),
        ("code", 'lisa = sn.autocorrelation.lisa(panel, "index", W["contiguity"], id="code", time="year",\n'
                 '                               permutations=99, seed=0)\nlisa.counts()'),
        ("md", "## 4. Dagum Gini decomposition"),
        ("code", 'dagum = sn.inequality.dagum_gini_by_year(panel, "index", "region4", id="code", time="year")\ndagum'),
        ("md", "## 5. Distribution dynamics: kernel density, Markov and spatial Markov chains"),
        ("code", 'kd = sn.dynamics.kernel_density_by_year(panel, "index", "region4", id="code", time="year")\n'
                 'kd.peaks().round(3).head()'),
        ("code", 'mk = sn.dynamics.markov(panel, "index", 4, id="code", time="year")\nmk'),
        ("code", 'smk = sn.dynamics.spatial_markov(panel, "index", W["contiguity"], 4, id="code", time="year")\nsmk'),
        ("md", "## 6. Convergence: σ, absolute β, clubs (Phillips–Sul)"),
        ("code", 'sigma = sn.dynamics.sigma_convergence(panel, "index", id="code", time="year")\n'
                 'beta = sn.dynamics.beta_convergence(panel, "index", id="code", time="year")\nbeta'),
        ("code", 'clubs = sn.dynamics.club_convergence(panel, "gdp", id="code", time="year", log=True)\nclubs'),
        ("md", "## 7. Patterns: gravity centre, ellipse, geodetector, association network"),
        ("code", 'centre = sn.patterns.gravity_centre(panel, "index", id="code", time="year")\ncentre'),
        ("code", 'ellipse = sn.patterns.std_ellipse(panel, "index", id="code", time="year")\nellipse'),
        ("code", 'cross = panel[panel["year"] == 2022]\n'
                 'gd = sn.patterns.geodetector(cross, "index", X, discretize="opgd", id="code", time=None,\n'
                 '                             methods=("quantile", "natural"), k=range(3, 6))\ngd'),
        ("md", "The demo panel has no population column; the gravity network below uses R&D "
               "personnel as the mass in its place (an illustration of the call, not a finding)."),
        ("code", 'net = sn.network.gravity_network(panel, "index", id="code", time="year",\n'
                 '                                 population="rd_fte_total", gdp="gdp")\n'
                 'sn.network.metrics(net)'),
        ("md", "## 8. The report folder\n`build_report` runs the configured stages and writes "
               "`report.html`, `report.md`, `report.docx`, `results.json`, `tables/` and `figures/`."),
        ("code", 'from spatialnqpf.report import build_report\nfrom spatialnqpf.report.config import load_config\n\n'
                 'cfg = load_config(autocorrelation={"permutations": 99},\n'
                 '                  output={"formats": ["csv", "md"], "figures": ["png"], "dpi": 60})\n'
                 'with warnings.catch_warnings():\n    warnings.simplefilter("ignore")\n'
                 '    rep = build_report(cfg, out=OUT / "measurement", progress=False, lang="en",\n'
                 '                       stages=["index", "weights", "autocorrelation"])\n'
                 'print(rep.summary())\nsorted(p.name for p in (OUT / "measurement").iterdir())'),
        ("code", 'assert (OUT / "measurement" / "report.html").exists()\n'
                 'assert abs(dagum[2022].G_w + dagum[2022].G_nb + dagum[2022].G_t - dagum[2022].G) < 1e-10\n'
                 'print("measurement paper done")'),
    ],

    "03_impact_paper.ipynb": [
        ("md", "# The impact paper, end to end\n\nBaseline two-way fixed effects → spatial Durbin "
               "model with the specification search (LM, LR/Wald, Hausman) → effects → mechanism "
               "(mediation, moderation), threshold and heterogeneity → robustness under several W "
               "→ one comparison table and journal tables. Simulation and bootstrap counts are "
               "small so that it runs in seconds; use ≥ 1000 in a paper."),
        ("code", SETUP),
        ("code", INDEX_PANEL),
        ("md", "## 1. Baseline: two-way FE, standard errors clustered by province"),
        ("code", 'fe = sn.models.panel_fe(panel, "index", X, id="code", time="year", fe="twoways")\nfe'),
        ("md", "## 2. Specification search (Elhorst's sequence) and the SDM"),
        ("code", 'w = sn.weights.contiguity()\n'
                 'spec = sn.models.specification_search(panel, "index", X, w, id="code", time="year", nsim=100)\nspec'),
        ("code", 'sdm = sn.models.spatial_panel(panel, y="index", x=X, w=w, id="code", time="year",\n'
                 '                              model="sdm", fe="twoways", lee_yu=True)\nsdm'),
        ("code", 'sar = sdm.spec.replace(model="sar").fit()\nsem = sdm.spec.replace(model="sem").fit()\n'
                 'sn.models.sdm_tests(sdm, sar, sem)'),
        ("md", "## 3. Direct, indirect and total effects (LeSage–Pace, simulated standard errors)"),
        ("code", 'eff = sdm.effects(nsim=200, seed=0)\neff.round(4)'),
        ("md", "## 4. Mechanism, threshold and heterogeneity"),
        ("code", 'med = sn.models.mediation(panel, "index", "edu_budget_share", ["industry_share"],\n'
                 '                          controls=["ln_gdp"], id="code", time="year", n_boot=49, seed=0)\nmed'),
        ("code", 'mod = sn.models.moderation(panel, "index", "edu_budget_share", "ln_gdp",\n'
                 '                          controls=["industry_share"], id="code", time="year")\nmod'),
        ("code", 'thr = sn.models.panel_threshold(panel, "index", X, regime_x="edu_budget_share",\n'
                 '                                q="ln_gdp", id="code", time="year",\n'
                 '                                n_boot=19, grid=40, seed=0)\nthr'),
        ("code", 'het = sn.models.heterogeneity(panel, "index", X, by="region4", id="code", time="year",\n'
                 '                              n_perm=49, seed=0)\nhet'),
        ("md", "## 5. Robustness under several W"),
        ("code", 'W = {"contiguity": w, "distance": sn.weights.distance(), "knn4": sn.weights.knn(k=4)}\n'
                 'rob = sn.models.robustness(panel, "index", X, W, id="code", time="year", nsim=100)\nrob'),
        ("md", "## 6. One comparison table, and journal tables in six formats"),
        ("code", 'cmp = sn.models.compare({"FE": fe, "SAR": sar, "SEM": sem, "SDM": sdm})\ncmp'),
        ("code", 'from spatialnqpf.report import regression_table, write_table\n\n'
                 'table = regression_table({"SDM": sdm}, effects={"SDM": eff}, lang="en", name="sdm")\n'
                 'paths = write_table(table, OUT / "impact")\nsorted(p.name for p in paths.values())'),
        ("code", 'assert set(sdm.tidy().columns) == {"term", "estimate", "std_error", "statistic",\n'
                 '                                    "p_value", "conf_low", "conf_high"}\n'
                 'print("impact paper done")'),
    ],
}

NOTEBOOKS["04_your_own_data.ipynb"] = [
    ("md", "# Your own data: a yearbook workbook through intake, labels and the report\n\n"
           "Statistical yearbooks publish one table per indicator with provinces as rows and "
           "years as columns, a title row, a unit row, a 全国 (national) row, footnotes and "
           "marks such as — for missing values. This notebook writes such a workbook from the "
           "demo panel (so that it runs anywhere), reads it with `datasets.read_yearbook` and "
           "builds a report on it. Replace `path` with your own file."),
    ("code", SETUP + "\nimport openpyxl"),
    ("md", "## 1. A workbook in yearbook layout (one sheet per indicator)"),
    ("code", '''\
demo = sn.datasets.load_demo_panel()
years = sorted(demo["year"].unique())
prov = sn.regions.provinces()
SHEETS = {"rd_exp_total": ("各地区R&D经费内部支出", "万元"),
          "patent_grant_invention": ("各地区发明专利授权量", "件"),
          "gdp": ("各地区生产总值", "亿元")}
wb = openpyxl.Workbook()
wb.remove(wb.active)
for s, (col, (title, unit)) in enumerate(SHEETS.items()):
    wide = demo.pivot(index="code", columns="year", values=col)
    ws = wb.create_sheet(col)
    ws.cell(1, 1, f"表{s + 1}  {title}（{years[0]}—{years[-1]}年）")
    ws.cell(2, 1 + len(years), f"单位：{unit}")
    ws.cell(3, 1, "地  区")
    for j, y in enumerate(years):
        ws.cell(3, 2 + j, f"{y}年")
    ws.cell(4, 1, "全  国")
    for j, y in enumerate(years):
        ws.cell(4, 2 + j, float(np.nansum(wide[y])))
    for i, code in enumerate(wide.index):
        # province names as yearbooks print them: full names and padded short names
        name = prov.loc[code, "name_zh"] if i % 2 else "\\u3000".join(prov.loc[code, "short_zh"])
        ws.cell(5 + i, 1, name)
        for j, y in enumerate(years):
            v = wide.at[code, y]
            ws.cell(5 + i, 2 + j, "—" if np.isnan(v) else float(v))
    ws.cell(5 + len(wide), 1, "注：不含香港、澳门特别行政区和台湾省数据。")
path = OUT / "yearbook.xlsx"
wb.save(path)
path'''),
    ("md", "## 2. Intake: the long panel and the parse report\nEvery dropped row (the 全国 "
           "row, footnotes), cleaned cell and unit conversion is listed."),
    ("code", 'panel, report = sn.datasets.read_yearbook(path, units={"rd_exp_total": "亿元"})\nreport'),
    ("code", "report.dropped"),
    ("md", "## 3. Labels: how each province was written, and the code it became"),
    ("code", 'labels = pd.Series(dict(report.labels), name="code")\nlabels.head(6)'),
    ("code", "panel.head()"),
    ("md", "## 4. The report on this file\nAn inline indicator system (two intensities) and "
           "the configuration as keyword overrides; `spatialnqpf init analysis.toml` writes the "
           "same as a commented TOML file for the command line."),
    ("code", '''\
from spatialnqpf.report import build_report
from spatialnqpf.report.config import load_config

cfg = load_config(
    data={"file": str(path), "layout": "wide"},
    variables={"ln_gdp": "log(gdp)", "rd_gdp": "rd_exp_total / gdp", "patents_gdp": "patent_grant_invention / gdp"},
    index={"system": "inline", "indicators": [
        {"column": "rd_gdp", "direction": 1, "label": "R&D / GDP"},
        {"column": "patents_gdp", "direction": 1, "label": "invention patents / GDP"}]},
    models={"x": ["ln_gdp"]},   # not fitted here (no models stage), but validated
    autocorrelation={"permutations": 99},
    output={"formats": ["csv", "md"], "figures": ["png"], "dpi": 60},
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    rep = build_report(cfg, out=OUT / "own-data", progress=False, lang="en",
                       stages=["index", "weights", "autocorrelation"])
print(rep.summary())'''),
    ("code", 'expected = demo.sort_values(["code", "year"]).reset_index(drop=True)\n'
             'np.testing.assert_allclose(panel["gdp"], expected["gdp"], rtol=1e-15)\n'
             'np.testing.assert_allclose(panel["rd_exp_total"], expected["rd_exp_total"] / 1e4, rtol=1e-15)\n'
             'assert (OUT / "own-data" / "report.md").exists()\nprint("own data done")'),
]

NOTEBOOKS["05_city_level.ipynb"] = [
    ("md", "# City level\n\nPrefecture-level cities keyed by their GB/T 2260 codes: the registry, "
           "cities that changed status, city contiguity from the bundled shapes, Moran's I, and "
           "the report with `[data] level = \"city\"`. The city panel here is **generated** "
           "(`sn.datasets.load_demo_city_panel`: a spatial development factor plus trends and "
           "noise over the real city ids), because no city statistics can be redistributed with "
           "the package; bring your own with the same `code`/`year` layout (codes or city names)."),
    ("code", SETUP),
    ("code", 'cities = sn.regions.cities()\nprint(len(cities), "cities")\ncities["kind"].value_counts()'),
    ("md", "## Cities that changed status\n\nRenamed or recoded cities get their current code; "
           "merged or abolished ones have none (the report refuses them unless "
           "`missing = \"drop_units\"`)."),
    ("code", 'codes, changes = sn.regions.update_city_labels(["襄樊", 522400, "莱芜市", "广州"])\n'
             'print(codes)\npd.DataFrame(changes)[["label", "kind", "code", "year", "message"]]'),
    ("md", "## The generated city panel and its contiguity"),
    ("code", 'city_panel = sn.datasets.load_demo_city_panel(seed=0)\n'
             'print(city_panel.attrs["description"])\ncity_panel.head()'),
    ("code", '''\
with warnings.catch_warnings():
    warnings.simplefilter("ignore")   # Sanya and Danzhou are linked to their nearest city (recorded)
    wc = sn.weights.contiguity(ids=sorted(city_panel["code"].unique()), level="city")
print(wc.recipe.islands_found, wc.recipe.links)
sn.weights.describe(wc)'''),
    ("md", "## Moran's I by year on city contiguity"),
    ("code", 'city_panel["ln_gdp"] = np.log(city_panel["gdp"])\n'
             'moran = sn.autocorrelation.moran_by_year(city_panel, "ln_gdp", wc, id="code", time="year",\n'
             '                                         permutations=99, seed=0)\nmoran'),
    ("code", 'assert (moran.to_frame()["I"] > 0.3).all()   # the generated factor is spatially smooth'),
    ("md", "## The report at city level\n\n`examples/city_report.toml` runs every stage; here "
           "three stages, to keep the notebook short."),
    ("code", '''\
from spatialnqpf.report import build_report
from spatialnqpf.report.config import load_config
cfg = load_config(None, data={"level": "city", "years": [2021, 2022]},
                  weights={"matrices": ["contiguity"]}, autocorrelation={"permutations": 99},
                  output={"formats": ["md"], "figures": ["png"], "lang": "en"})
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    rep = build_report(cfg, out=OUT / "city-report", progress=False,
                       stages=["index", "weights", "autocorrelation"])
print(rep.summary())
print("\\n".join(rep.stage("autocorrelation").readings))'''),
    ("code", 'assert rep.ok and (OUT / "city-report" / "figures" / "lisa_map_2022.png").exists()\n'
             'print("city level done")'),
]


def build(name: str, cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    for i, (kind, src) in enumerate(cells):
        cell = (nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell)(src)
        cell["id"] = f"{Path(name).stem.replace('_', '-')}-{i:02d}"
        nb.cells.append(cell)
    return nb


def render(name: str) -> str:
    return nbformat.writes(build(name, NOTEBOOKS[name])) + "\n"


def main() -> None:
    for name in NOTEBOOKS:
        (HERE / name).write_text(render(name), encoding="utf-8")
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
