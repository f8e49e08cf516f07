"""Report configuration (TOML) and data loading for ``spatialnqpf report``.

A configuration declares the data file (CSV, Excel or Stata), its id and time
columns (province labels in any form are normalised with
:func:`spatialnqpf.regions.normalize`), derived variables, the indicator system,
the weight matrices, the models, the seed and the missing-value policy.  With
no configuration the bundled demo panel and the demo indicator system are used.

:func:`template` returns a fully commented configuration; ``spatialnqpf init``
writes it.  :func:`load_data` reads and checks the data and returns a
:class:`PreparedData` that records every cell it changed or dropped.
"""
from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from .. import _expr
from .._validation import DataError, PanelError, SpatialNQPFError, did_you_mean, format_values
from ..weights.registry import CONFIG_KINDS

__all__ = ["ReportConfig", "PreparedData", "ConfigError", "DEFAULTS", "template", "load_config",
           "load_data", "read_table", "MISSING_POLICIES", "validate_settings", "CHOICES"]

MISSING_POLICIES = ("auto", "error", "interpolate", "drop_rows", "drop_units")


class ConfigError(SpatialNQPFError):
    """The configuration file is malformed or names unknown options."""


#: Default configuration (what ``spatialnqpf report`` with no arguments runs).
DEFAULTS: dict = {
    "data": {"file": "", "sheet": 0, "id": "code", "time": "year", "years": [],
             "missing": "auto", "encoding": "", "layout": "long", "sheets": [],
             "level": "province"},
    "variables": {},
    "index": {"method": "entropy_topsis", "system": "demo", "pillars": ["technology"], "shift": 1e-4,
              "indicators": []},
    "weights": {"matrices": ["contiguity", "distance"], "islands": "guangdong", "k": 4,
                "economic_variable": "gdp", "phi": 0.5},
    "autocorrelation": {"variable": "index", "permutations": 9999, "lisa_years": []},
    "inequality": {"variable": "index", "groups": "region4", "bootstrap": 0},
    "dynamics": {"variable": "index", "markov_classes": 4},
    "patterns": {"variable": "index", "centre": True, "ellipse_years": [], "ellipse_method": "arcgis",
                 "population": "", "gdp": "gdp", "blocks": 4, "qap_permutations": 0, "clubs": True, "club_filter": "",
                 "club_merge": "PS", "lisa_paths": True, "factors": [], "discretize": "opgd",
                 "geodetector_years": []},
    "models": {"y": "index", "x": ["ln_gdp", "industry_share", "edu_budget_share"],
               "model": "sdm", "fe": "twoways", "lee_yu": True, "weights": [],
               "effects_nsim": 1000, "specification_search": True, "dynamic": "none",
               "endog": [], "instruments": []},
    # off unless the configuration has an [impact] table (load_config sets enabled = true)
    "impact": {"enabled": False, "y": "index", "x": [], "controls": [], "fe": "twoways",
               "cluster": "code", "mediators": [], "moderators": [], "mediation_boot": 500,
               "threshold": "", "threshold_x": [], "n_thresholds": 2, "trim": 0.05,
               "n_boot": 300, "grid": 0, "backend": "serial", "heterogeneity": "",
               "n_perm": 500},
    "seeds": {"seed": 20240501},
    "output": {"lang": "zh", "formats": ["tex", "docx", "xlsx", "csv", "html", "md"],
               "figures": ["png", "svg"], "dpi": 150},
    "fonts": {"path": ""},
    "labels": {"zh": {}, "en": {}},
}

#: Derived variables of the demo (evaluated by the whitelisting :mod:`spatialnqpf._expr`).
DEMO_VARIABLES = {"ln_gdp": "log(gdp)", "industry_share": "share_secondary / 100",
                  "edu_budget_share": "budget_exp_education / budget_exp_total"}


def template() -> str:
    """A commented TOML configuration with every option and its default."""
    return '''# spatialnqpf report configuration.  Run:  spatialnqpf report --config analysis.toml
# Every key is optional; the values shown are the defaults (the bundled demo).

[data]
# CSV (.csv), Excel (.xlsx/.xls) or Stata (.dta) file in long format: one row per province-year.
# Leave empty to use the bundled 31-province demo panel 2012-2022.
file = ""
sheet = 0                 # Excel sheet (index or name)
id = "code"               # column with province codes or names (北京, 北京市, Beijing, 11, "110000" ...)
time = "year"             # column with the year
years = []                # e.g. [2013, 2022] keeps 2013..2022; empty = all years
# What to do with missing values in the columns the analysis uses:
#   "auto"         "error" for your data; "interpolate" for the bundled demo (default)
#   "error"        stop and list every missing cell
#   "interpolate"  linear interpolation within each province (interior gaps only)
#   "drop_rows"    drop the affected province-years (spatial stages need a balanced panel)
#   "drop_units"   drop every province with a missing cell
# Whatever is changed or dropped is listed in the report.
missing = "auto"
encoding = ""             # CSV encoding; empty tries utf-8, utf-8-sig, gb18030
# "long": one row per province-year (above).  "wide": yearbook layout, read with
# spatialnqpf.datasets.read_yearbook: one sheet per indicator, provinces as rows, years as
# columns; title/unit rows, footnotes, 全国 rows and missing marks (—, …, -, /) are handled
# and listed in the parse report.  The sheet name is the variable name (id/time/sheet unused).
layout = "long"
sheets = []               # wide: sheets to read (empty = all), or a table {sheet = "variable"}
# "province" (31 mainland provinces) or "city" (prefecture-level cities: six-digit codes or
# city names; contiguity and maps on the bundled city shapes; [inequality] groups may also be
# "province").  A renamed or recoded city (襄樊 -> 襄阳, 毕节地区 522400 -> 520500) is mapped to its
# current code and listed; a merged or abolished one (莱芜 2019, 巢湖 2011) is an error unless
# missing = "drop_units", which drops it (listed).  With file = "" and level = "city" the
# GENERATED example city panel (spatialnqpf.datasets.load_demo_city_panel) is used.
level = "province"

[variables]
# Derived columns.  A safe expression language (no code runs): column names, numbers,
# + - * / **, comparisons, log log1p exp sqrt abs, and the panel functions lag(x), lag(x, k),
# diff(x), growth(x) (within each province, by year).  Later variables may use earlier ones.
# ln_gdp = "log(gdp)"
# gdp_growth = "growth(gdp)"
# ln_gdp = "log(gdp)"    (the demo defines ln_gdp, industry_share = share_secondary / 100 and
#                          edu_budget_share; regressors should not be inputs of the index)

[index]
method = "entropy_topsis" # weights of the TOPSIS index: entropy_topsis (= entropy) | critic | combined | equal
system = "demo"           # "demo" (bundled demo indicator system) or "inline" (the list below)
pillars = ["technology"]  # demo pillars to use: technology (2012-2022), green (30 provinces, to 2019)
shift = 1e-4              # entropy shift epsilon
# Inline indicator system: one [[index.indicators]] block per indicator.
# [[index.indicators]]
# column = "rd_intensity"  # data column
# direction = 1            # +1 more is better, -1 less is better
# pillar = "科技创新"        # optional pillar name
# label = "R&D intensity"  # optional display label

[weights]
# Spatial weight matrices (all row-standardised):
# contiguity (queen, Hainan linked by the islands rule), distance (inverse great-circle distance
# between capitals), knn (k nearest capitals), economic (1/|Y_i - Y_j| of the period means of
# economic_variable), nested (phi * distance + (1 - phi) * economic), economic_geographic
# (distance x diag(Ybar_j / Ybar)); the kinds are those of spatialnqpf.weights.BUILDERS
matrices = ["contiguity", "distance"]
islands = "guangdong"     # Hainan rule: guangdong | guangdong+guangxi | nearest | keep
k = 4                     # neighbours for knn
economic_variable = "gdp" # for economic / nested (per-capita GDP if your data have it)
phi = 0.5                 # weight of the distance matrix in nested

[autocorrelation]
variable = "index"        # "index" (the composite index) or a data column
permutations = 9999        # Moran and LISA permutations (LISA: p <= 0.05 by conditional permutation)
lisa_years = []           # years for LISA maps; empty = first and last year

[inequality]
variable = "index"
groups = "region4"        # region4 (NBS East/Central/West/Northeast) | belt3 | zone8
                          # (| province: at [data] level = "city", the cities' provinces)
bootstrap = 0             # bootstrap replications for Dagum confidence intervals (0 = none)

[dynamics]
variable = "index"
markov_classes = 4        # quantile classes of the pooled panel

[patterns]
# Spatial patterns (stage "patterns", command `spatialnqpf patterns`): gravity centre and standard
# deviational ellipse, spatial association network, club convergence, LISA time paths,
# geographical detector.
variable = "index"
centre = true             # gravity centre and standard deviational ellipse by year (capitals in
                          # the Albers equal-area plane of spatialnqpf.patterns.CHINA_CRS)
ellipse_years = []        # years drawn on the ellipse map; empty = first, middle and last
ellipse_method = "arcgis" # arcgis (sqrt(2), one SD) | crimestat (sqrt(2n/(n-2))) | plain (no sqrt(2))
# Association network (modified gravity model; masses from the variable, population and GDP).
# It needs a population column: the bundled demo has none, so the network is skipped (with the
# reason stated) until you name one, e.g. population = "pop".
population = ""           # population column; empty = no network
gdp = "gdp"               # GDP column
blocks = 4                # CONCOR blocks of the last year's network: 2, 4 or 8
qap_permutations = 0      # > 0: MRQAP of the last year's network on geographic adjacency and the
                          # |differences| of the factors (Dekker semi-partialling); 0 = not run
clubs = true              # Phillips-Sul log t test and convergence clubs
club_filter = ""          # "" (values as given) | "hp" (Hodrick-Prescott trend, lambda = 400)
club_merge = "PS"         # PS (Phillips-Sul 2009) | vLT (von Lyncker-Thoennessen 2017) | none
lisa_paths = true         # LISA time paths (Rey, Murray and Anselin 2011) and space-time transitions
                          # (Rey 2001) of the variable under the first [weights] matrix: path
                          # length, tortuosity, direction, Type 0/I/II/III, Rose test (999 perms)
# Geographical detector of the variable (q, p, interaction types); empty = not run.
factors = []              # e.g. ["ln_gdp", "industry_share", "edu_budget_share"]
discretize = "opgd"       # opgd (optimal method and k) | equal | natural | quantile | geometric | sd
                          # | categorical (the values are the strata)
geodetector_years = []    # years analysed (one detector each); empty = the last year

[models]
y = "index"
x = ["ln_gdp", "industry_share", "edu_budget_share"]
model = "sdm"             # sar | sem | sdm | sdem | sac
fe = "twoways"            # none | individual | time | twoways
lee_yu = true             # true (Lee-Yu transformation) | "elhorst" | false
weights = []              # which matrices to fit under; empty = all of [weights] matrices
effects_nsim = 1000       # simulation draws for the effects' standard errors
specification_search = true
# Robustness columns, fitted under the first matrix of `weights` (off by default):
dynamic = "none"          # none | time (y_t-1) | spacetime (W y_t-1) | both: adds the dynamic model
                          # (model sar or sdm: lee_yu true = Yu-de Jong-Lee corrected, false = uncorrected;
                          #  sem or sdem: lee_yu = false only, uncorrected QML)
                          # beside the static one, with short- and long-run effects tables
endog = []                # endogenous regressors (not in x), e.g. ["fdi"]: adds a spatial 2SLS column
instruments = []          # their excluded instruments, e.g. ["z1"] (fe must be individual or twoways)

# The impact-paper workflow (off unless an [impact] table is given; examples/impact_report.toml):
# two-way FE baseline, mechanism (mediation, moderation), Hansen panel threshold, regional
# heterogeneity, in journal-layout tables.  Uncomment the [impact] line and the keys to run it.
# [impact]
# y = "index"               # dependent variable ("index" = the composite index)
# x = ["scitech_share"]     # core explanatory variable(s)
# controls = ["ln_gdp", "industry_share", "edu_budget_share"]
# fe = "twoways"            # none | individual | time | twoways
# cluster = "code"          # cluster SEs by province ("code"), "hetero" (HC1) or "none"
# mediators = []            # mediation by each (three-equation, Sobel, cluster bootstrap)
# moderators = []           # moderation by each (centred interaction with the first x)
# mediation_boot = 500      # cluster bootstrap draws of the indirect effect (0 = Sobel only)
# threshold = ""            # threshold variable q of Hansen's (1999) model; empty = none
# threshold_x = []          # regime-dependent regressors; empty = x
# n_thresholds = 2          # 1, 2 or 3 thresholds tested in sequence
# trim = 0.05               # each regime keeps at least ceil(trim * NT) observations
# n_boot = 300              # fixed-regressor bootstrap draws per threshold test
# grid = 0                  # 0 = every distinct value of q; e.g. 400 = Hansen's quantile grid
# backend = "serial"        # where the bootstrap runs: serial | processes
# heterogeneity = ""        # groups: region4 | belt3 | zone8 | a column; empty = none
# n_perm = 500              # permutations of the test that group coefficients differ

[seeds]
seed = 20240501           # one seed for every random step (permutations, bootstrap, simulations)

[output]
lang = "zh"               # zh | en  (figures fall back to English without a CJK font)
formats = ["tex", "docx", "xlsx", "csv", "html", "md"]
figures = ["png", "svg"]   # PNG is always written (and embedded in report.html); svg or pdf as vector
                           # copies: text, axes and legends stay vector, map polygons are embedded as
                           # images at `dpi` (a map SVG is ~0.2 MB instead of ~5 MB)
dpi = 150

[fonts]
path = ""                 # optional .ttf/.otf/.ttc with Chinese glyphs

# Display labels of the variables in every table, axis, caption and reading, one table per
# language (variable = "label").  Unset variables use the indicator system's label_zh/label_en,
# then the data dictionary of the demo (spatialnqpf.datasets.data_dictionary()), then the name.
[labels.zh]
# gdp_pc = "人均GDP"
[labels.en]
# gdp_pc = "GDP per capita"
'''


def _merge(base: dict, over: Mapping, where: str = "") -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        key = f"{where}{k}"
        if k not in base and where != "labels.":  # [labels] keys: checked by _check_labels
            if where == "":
                raise ConfigError(f"unknown section [{k}] in the configuration; known: "
                                  f"{format_values(sorted(base))}")
            raise ConfigError(f"unknown option {key!r} in the configuration; known in "
                                  f"[{where.rstrip('.')}]: {format_values(sorted(base))}"
                              + _did_you_mean(k, sorted(base)))
        if isinstance(base.get(k), dict) and k != "variables" and where != "labels.":
            if not isinstance(v, Mapping):
                raise ConfigError(f"[{key}] must be a table, got {v!r}")
            out[k] = _merge(base[k], v, key + ".")
        else:
            out[k] = copy.deepcopy(v)
    return out


#: allowed values of the enumerated options (section, key) → values
CHOICES = {
    ("index", "method"): ("entropy_topsis", "entropy", "critic", "combined", "equal"),
    ("index", "system"): ("demo", "inline"),
    ("weights", "matrices"): CONFIG_KINDS,  # the W-builder registry (weights/registry.py)
    ("weights", "islands"): ("guangdong", "guangdong+guangxi", "nearest", "keep"),
    ("output", "formats"): ("tex", "docx", "xlsx", "csv", "html", "md"),
    ("output", "figures"): ("png", "svg", "pdf", "eps", "ps", "jpg", "jpeg", "tif", "tiff", "webp"),
    ("output", "lang"): ("zh", "en"),
    ("data", "missing"): MISSING_POLICIES,
    ("patterns", "ellipse_method"): ("arcgis", "crimestat", "plain"),
    ("patterns", "club_filter"): ("", "hp"),
    ("patterns", "club_merge"): ("PS", "vLT", "none"),
    # see spatialnqpf.patterns.geodetector; "categorical": the values are the strata
    ("patterns", "discretize"): ("opgd", "equal", "natural", "quantile", "geometric", "sd", "categorical"),
    ("data", "level"): ("province", "city"),
}


def _where(sec: str, key: str) -> str:
    return f"[{sec}] {key}"


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_number(v) -> bool:
    return (_is_int(v) or isinstance(v, (float, np.floating))) and np.isfinite(float(v))


def _want_int(s, sec, key, lo=None, hi=None, what="an integer"):
    v = s[sec][key]
    if not _is_int(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = (f" >= {lo}" if hi is None else f" in [{lo}, {hi}]") if lo is not None else ""
        raise ConfigError(f"{_where(sec, key)} must be {what}{rng}, got {v!r}"
                          + (" (a boolean is not a number)" if isinstance(v, bool) else ""))


def _want_str(s, sec, key, choices=None, allow_empty=True):
    v = s[sec][key]
    if not isinstance(v, str) or (not allow_empty and not v.strip()):
        raise ConfigError(f"{_where(sec, key)} must be a{' non-empty' if not allow_empty else ''} "
                          f"string, got {v!r}")
    if choices is not None and v not in choices:
        raise ConfigError(f"{_where(sec, key)} = {v!r} is not one of {format_values(choices)}"
                          + _did_you_mean(v, choices))


def _did_you_mean(v, choices) -> str:
    return did_you_mean(v, choices)


def _want_list(s, sec, key, item="str", choices=None):
    v = s[sec][key]
    if not isinstance(v, (list, tuple)):
        example = f'[{json.dumps(v, ensure_ascii=False)}]' if isinstance(v, (str, int)) else "[...]"
        raise ConfigError(f"{_where(sec, key)} must be a list, got {v!r}; write "
                          f"{key} = {example}")
    for x in v:
        ok = isinstance(x, str) if item == "str" else _is_int(x)
        if not ok:
            raise ConfigError(f"{_where(sec, key)}: every item must be "
                              f"{'a string' if item == 'str' else 'an integer'}, got {x!r}")
        if choices is not None and x not in choices:
            raise ConfigError(f"{_where(sec, key)}: {x!r} is not one of {format_values(choices)}"
                              + _did_you_mean(x, choices))
    if item == "str" and len(set(v)) != len(v):
        dup = sorted({x for x in v if list(v).count(x) > 1})
        raise ConfigError(f"{_where(sec, key)} lists {format_values(dup)} more than once")


def validate_settings(s: Mapping) -> None:
    """Check the type and range of every option before any stage runs.

    Raises :class:`ConfigError` naming the section, the key and the offending value (and
    what to write instead).  ``[variables]`` expressions are parsed by the whitelisting
    :mod:`spatialnqpf._expr` here, so a configuration that tries to run code is refused
    before anything is read or written.
    """
    for sec, body in s.items():
        if sec in DEFAULTS and sec != "variables" and not isinstance(body, Mapping):
            raise ConfigError(f"[{sec}] must be a table, got {body!r}")
    # [data]
    _want_str(s, "data", "file")
    sheet = s["data"]["sheet"]
    if not (isinstance(sheet, str) or (_is_int(sheet) and sheet >= 0)):
        raise ConfigError(f"[data] sheet must be a sheet name or a non-negative index, got {sheet!r}")
    _want_str(s, "data", "id", allow_empty=False)
    _want_str(s, "data", "time", allow_empty=False)
    _want_str(s, "data", "missing", CHOICES[("data", "missing")])
    _want_str(s, "data", "level", CHOICES[("data", "level")])
    _want_str(s, "data", "encoding")
    enc = s["data"]["encoding"]
    if enc:
        import codecs
        try:
            codecs.lookup(enc)
        except LookupError:
            raise ConfigError(f"[data] encoding {enc!r} is not a known text encoding "
                              "(e.g. 'utf-8', 'gb18030'); leave it empty to try both") from None
    _want_list(s, "data", "years", item="int")
    yrs = list(s["data"]["years"])
    if yrs and (len(yrs) != 2 or yrs[0] > yrs[1]):
        raise ConfigError(f"[data] years must be [first, last] with first <= last, got {yrs!r}"
                          + (f"; write years = [{yrs[1]}, {yrs[0]}]" if len(yrs) == 2 else ""))
    # [variables]
    if not isinstance(s["variables"], Mapping):
        raise ConfigError(f"[variables] must be a table of name = \"expression\", got "
                          f"{s['variables']!r}")
    for name, expr in s["variables"].items():
        if not str(name).isidentifier() or str(name).startswith("_"):
            raise ConfigError(f"[variables] name {name!r} must be an identifier (letters, digits, "
                              "underscores; not beginning with a digit or '_')")
        try:
            _expr.parse(expr)
        except _expr.ExpressionError as exc:
            raise ConfigError(f"[variables] {name}: {exc}") from None
    # [index]
    _want_str(s, "index", "method", CHOICES[("index", "method")])
    _want_str(s, "index", "system", CHOICES[("index", "system")])
    _want_list(s, "index", "pillars")
    shift = s["index"]["shift"]
    if not _is_number(shift) or not 0 <= float(shift) <= 1:
        raise ConfigError(f"[index] shift must be a number in [0, 1] (the entropy shift applied "
                          f"to min-max normalised values; default 1e-4), got {shift!r}")
    if not isinstance(s["index"]["indicators"], (list, tuple)):
        raise ConfigError("[index] indicators must be a list of [[index.indicators]] tables, got "
                          f"{s['index']['indicators']!r}")
    for ind in s["index"]["indicators"]:
        if isinstance(ind, Mapping):
            unknown = [k for k in ind if k not in ("column", "direction", "pillar", "label")]
            if unknown:
                raise ConfigError(f"[[index.indicators]] {ind.get('column', '?')!r}: unknown "
                                  f"key(s) {format_values(unknown)}; known: column, direction, "
                                  "pillar, label")
            for k in ("column", "pillar", "label"):
                if k in ind and not isinstance(ind[k], str):
                    raise ConfigError(f"[[index.indicators]] {k} must be a string, got {ind[k]!r}")
    # [weights]
    _want_list(s, "weights", "matrices", choices=CHOICES[("weights", "matrices")])
    if not s["weights"]["matrices"]:
        raise ConfigError("[weights] matrices is empty; list at least one, e.g. "
                          'matrices = ["contiguity"]')
    _want_str(s, "weights", "islands", CHOICES[("weights", "islands")])
    _want_int(s, "weights", "k", lo=1, hi=30, what="an integer")
    _want_str(s, "weights", "economic_variable", allow_empty=False)
    phi = s["weights"]["phi"]
    if not _is_number(phi) or not 0 <= float(phi) <= 1:
        raise ConfigError(f"[weights] phi must be a number in [0, 1], got {phi!r}")
    # [autocorrelation]
    _want_str(s, "autocorrelation", "variable", allow_empty=False)
    _want_int(s, "autocorrelation", "permutations", lo=0, hi=1_000_000)
    _want_list(s, "autocorrelation", "lisa_years", item="int")
    # [inequality]
    _want_str(s, "inequality", "variable", allow_empty=False)
    # a regions scheme (region4, belt3, zone8) or a column of the data (checked on loading)
    _want_str(s, "inequality", "groups", allow_empty=False)
    if s["inequality"]["groups"] == "province" and s["data"].get("level", "province") != "city":
        raise ConfigError('[inequality] groups = "province" groups cities by their province: it needs '
                          '[data] level = "city" (provinces are grouped by region4, belt3 or zone8)')
    _want_int(s, "inequality", "bootstrap", lo=0, hi=100_000,
              what="a number of bootstrap replications (an integer)")
    # [dynamics]
    _want_str(s, "dynamics", "variable", allow_empty=False)
    _want_int(s, "dynamics", "markov_classes", lo=2, hi=20)
    # [patterns]
    _validate_patterns(s)
    # [models]
    m = s["models"]
    _want_str(s, "models", "y", allow_empty=False)
    _want_list(s, "models", "x")
    if not m["x"]:
        raise ConfigError("[models] x is empty; list the regressors, e.g. x = [\"ln_gdp\"]")
    if m["y"] in m["x"]:
        raise ConfigError(f"[models] y = {m['y']!r} is also among x")
    from ..models._taxonomy import normalise_fe
    _want_str(s, "models", "model", ("sar", "sem", "sdm", "sdem", "sac"))
    try:
        normalise_fe(m["fe"])
    except ValueError as exc:
        raise ConfigError(f"[models] fe: {exc}") from None
    if not (isinstance(m["lee_yu"], bool) or m["lee_yu"] == "elhorst"):
        raise ConfigError(f"[models] lee_yu must be true, false or \"elhorst\", got {m['lee_yu']!r}")
    _want_list(s, "models", "weights", choices=CHOICES[("weights", "matrices")])
    not_built = [w for w in m["weights"] if w not in s["weights"]["matrices"]]
    if not_built:
        raise ConfigError(f"[models] weights {format_values(not_built)} are not among [weights] "
                          f"matrices {format_values(s['weights']['matrices'])}; add them there")
    _want_int(s, "models", "effects_nsim", lo=1, hi=1_000_000,
              what="a number of simulation draws (an integer)")
    if not isinstance(m["specification_search"], bool):
        raise ConfigError("[models] specification_search must be true or false, got "
                          f"{m['specification_search']!r}")
    _validate_robustness(s)
    # [impact]
    _validate_impact(s)
    # [seeds]
    _want_int(s, "seeds", "seed", lo=0, what="a non-negative integer")
    # [output]
    _want_str(s, "output", "lang", CHOICES[("output", "lang")])
    _want_list(s, "output", "formats", choices=CHOICES[("output", "formats")])
    _want_list(s, "output", "figures", choices=CHOICES[("output", "figures")])
    dpi = s["output"]["dpi"]
    if not _is_number(dpi) or not 20 <= float(dpi) <= 2400:
        raise ConfigError(f"[output] dpi must be a number of dots per inch in [20, 2400] "
                          f"(e.g. dpi = 300), got {dpi!r}")
    _check_labels(s.get("labels", {}))
    # [fonts]
    _want_str(s, "fonts", "path")
    fp = s["fonts"]["path"]
    if fp and not Path(fp).expanduser().is_file():
        raise ConfigError(f"[fonts] path {fp!r} is not a file (relative paths are relative to "
                          "the current folder); give a .ttf/.otf/.ttc file or leave it empty")


def _validate_patterns(s) -> None:
    """``[patterns]``: types, choices and ranges (columns are checked when the stage runs)."""
    p = s["patterns"]
    _want_str(s, "patterns", "variable", allow_empty=False)
    for key in ("centre", "clubs", "lisa_paths"):
        if not isinstance(p[key], bool):
            raise ConfigError(f"[patterns] {key} must be true or false, got {p[key]!r}")
    _want_list(s, "patterns", "ellipse_years", item="int")
    _want_str(s, "patterns", "ellipse_method", CHOICES[("patterns", "ellipse_method")])
    _want_str(s, "patterns", "population")
    _want_str(s, "patterns", "gdp", allow_empty=False)
    b = p["blocks"]
    if not _is_int(b) or b not in (2, 4, 8):
        raise ConfigError(f"[patterns] blocks must be 2, 4 or 8 (CONCOR splits in two), got {b!r}")
    _want_int(s, "patterns", "qap_permutations", lo=0, hi=100_000,
              what="a number of permutations (an integer; 0 = no QAP)")
    _want_str(s, "patterns", "club_filter", CHOICES[("patterns", "club_filter")])
    _want_str(s, "patterns", "club_merge", CHOICES[("patterns", "club_merge")])
    _want_list(s, "patterns", "factors")
    if p["variable"] in p["factors"]:
        raise ConfigError(f"[patterns] variable {p['variable']!r} is also among factors")
    _want_str(s, "patterns", "discretize", CHOICES[("patterns", "discretize")])
    _want_list(s, "patterns", "geodetector_years", item="int")


def _check_labels(lab) -> None:
    """``[labels]``: one table per language (``[labels.zh]``, ``[labels.en]``) of variable = label."""
    langs = CHOICES[("output", "lang")]
    if not isinstance(lab, Mapping):
        raise ConfigError(f"[labels] must be a table, got {lab!r}")
    for lang, body in lab.items():
        if lang not in langs:
            hint = (f"; write the label under [labels.zh] / [labels.en] ({lang} = \"...\" in each)"
                    if not isinstance(body, Mapping) or set(body) <= set(langs) else "")
            raise ConfigError(f"[labels] {lang!r} is not a language; [labels] has the tables "
                              f"{format_values(langs)}" + (_did_you_mean(lang, langs) or hint))
        if not isinstance(body, Mapping):
            raise ConfigError(f"[labels.{lang}] must be a table of variable = \"label\", got {body!r}")
        for var, text in body.items():
            if not isinstance(text, str) or not text.strip():
                raise ConfigError(f"[labels.{lang}] {var}: the label must be a non-empty string, "
                                  f"got {text!r}")


#: values of ``[models] dynamic`` ("none": static models only)
DYNAMIC_CHOICES = ("none", "time", "spacetime", "both")


def _validate_robustness(s) -> None:
    """``[models] dynamic``, ``endog`` and ``instruments`` (the dynamic and spatial 2SLS columns)."""
    from ..models._taxonomy import normalise_fe
    m = s["models"]
    _want_str(s, "models", "dynamic", DYNAMIC_CHOICES)
    if m["dynamic"] != "none":
        if m["model"] not in ("sar", "sdm", "sem", "sdem"):
            raise ConfigError(f"[models] dynamic = {m['dynamic']!r} needs model = \"sar\", \"sdm\", "
                              f"\"sem\" or \"sdem\" (dynamic panels are not implemented for "
                              f"{m['model']!r})")
        if m["model"] in ("sem", "sdem") and m["lee_yu"] is not False:
            raise ConfigError(f"[models] dynamic with model = {m['model']!r} needs lee_yu = false "
                              f"(a dynamic SEM-type panel is estimated by uncorrected QML; the bias "
                              f"correction is implemented for sar and sdm), got lee_yu = {m['lee_yu']!r}")
        if not isinstance(m["lee_yu"], bool):
            raise ConfigError(f"[models] dynamic = {m['dynamic']!r} needs lee_yu = true (Yu-de Jong-Lee "
                              f"bias correction) or false (uncorrected QML), got lee_yu = "
                              f"{m['lee_yu']!r} (the Elhorst correction is for static models)")
    _want_list(s, "models", "endog")
    _want_list(s, "models", "instruments")
    endog, inst = list(m["endog"]), list(m["instruments"])
    if endog and not inst:
        raise ConfigError(f"[models] endog = {format_values(endog)} needs instruments = [...] "
                          "(excluded instruments for the endogenous regressors)")
    roles = [("y", [m["y"]]), ("x", list(m["x"])), ("endog", endog), ("instruments", inst)]
    for i, (a, va) in enumerate(roles):
        for b, vb in roles[i + 1:]:
            both = [v for v in va if v in vb]
            if both and (a, b) != ("y", "x") and (endog or inst):
                raise ConfigError(f"[models] {format_values(both)} is listed in both {a} and {b}")
    if (endog or inst) and normalise_fe(m["fe"]) not in ("individual", "twoways"):
        raise ConfigError(f"[models] endog/instruments (panel spatial 2SLS) need fe = \"individual\" "
                          f"or \"twoways\" (the within transformation), got fe = {m['fe']!r}")


def _validate_impact(s: Mapping) -> None:
    """Types, ranges and consistency of the ``[impact]`` options (columns are checked on loading)."""
    if "impact" not in s:
        return
    m = s["impact"]
    if not isinstance(m["enabled"], bool):
        raise ConfigError(f"[impact] enabled must be true or false, got {m['enabled']!r}")
    _want_str(s, "impact", "y", allow_empty=False)
    for key in ("x", "controls", "mediators", "moderators", "threshold_x"):
        _want_list(s, "impact", key)
    roles = {"x": m["x"], "controls": m["controls"], "mediators": m["mediators"],
             "moderators": m["moderators"]}
    for key, cols in roles.items():
        if m["y"] in cols:
            raise ConfigError(f"[impact] y = {m['y']!r} is also in {key}")
    for a, b in (("x", "controls"), ("x", "mediators"), ("x", "moderators"),
                 ("mediators", "controls")):
        both = [c for c in roles[a] if c in roles[b]]
        if both:
            if {a, b} == {"x", "mediators"}:
                raise ConfigError(f"[impact] mediators {format_values(both)} equal the treatment "
                                  "(x); a mediator must be another variable")
            raise ConfigError(f"[impact] {format_values(both)} are both in {a} and in {b}; a "
                              "variable has one role")
    from ..models._taxonomy import normalise_fe
    try:
        normalise_fe(m["fe"])
    except ValueError as exc:
        raise ConfigError(f"[impact] fe: {exc}") from None
    _want_str(s, "impact", "cluster", allow_empty=False)
    _want_int(s, "impact", "mediation_boot", lo=0, hi=100_000,
              what="a number of bootstrap draws (an integer)")
    _want_str(s, "impact", "threshold")
    th = m["threshold"]
    not_x = [v for v in m["threshold_x"] if v not in m["x"] + m["controls"]]
    if not_x:
        raise ConfigError(f"[impact] threshold_x {format_values(not_x)} are not in x or controls "
                          f"({format_values(m['x'] + m['controls'])}); regime regressors must be "
                          "regressors")
    if th and th == m["y"]:
        raise ConfigError(f"[impact] threshold = {th!r} is the dependent variable y")
    if m["threshold_x"] and not th:
        raise ConfigError("[impact] threshold_x is given but threshold (the threshold variable) "
                          "is empty")
    _want_int(s, "impact", "n_thresholds", lo=1, hi=3)
    trim = m["trim"]
    if not _is_number(trim) or not 0 < float(trim) < 0.5:
        raise ConfigError(f"[impact] trim must be a number in (0, 0.5) (share of the observations "
                          f"each regime keeps; e.g. 0.05), got {trim!r}")
    _want_int(s, "impact", "n_boot", lo=0, hi=100_000,
              what="a number of bootstrap draws (an integer)")
    _want_int(s, "impact", "grid", lo=0, hi=100_000,
              what="0 (every distinct value) or the size of Hansen's quantile grid")
    if 0 < m["grid"] < 10:
        raise ConfigError(f"[impact] grid = {m['grid']} is too coarse; use 0 (every distinct "
                          "value) or a grid of at least 10 quantiles (Hansen uses 400)")
    _want_str(s, "impact", "backend", ("serial", "processes"))
    _want_str(s, "impact", "heterogeneity")
    _want_int(s, "impact", "n_perm", lo=0, hi=1_000_000,
              what="a number of permutations (an integer)")


def _enable_impact(over: Mapping) -> Mapping:
    """A configuration that gives an ``[impact]`` table turns the stage on (unless it says
    ``enabled = false``)."""
    imp = over.get("impact") if isinstance(over, Mapping) else None
    if isinstance(imp, Mapping) and "enabled" not in imp:
        over = dict(over, impact=dict(imp, enabled=True))
    return over


@dataclass(frozen=True)
class ReportConfig:
    """Validated report configuration (defaults merged with the user's TOML).

    Use :meth:`get` for values (``cfg.get("models", "fe")``) and :meth:`to_dict`
    for the full mapping written into the report footer.
    """

    settings: Mapping = field(default_factory=lambda: copy.deepcopy(DEFAULTS))
    source: str = "<defaults>"
    base_dir: str = "."

    def __post_init__(self):
        s = self.settings
        validate_settings(s)
        miss = s["data"]["missing"]
        if miss not in MISSING_POLICIES:
            raise ConfigError(f"[data] missing = {miss!r} is not one of {format_values(MISSING_POLICIES)}")
        if s["output"]["lang"] not in ("zh", "en"):
            raise ConfigError(f"[output] lang must be 'zh' or 'en', got {s['output']['lang']!r}")
        for ind in s["index"]["indicators"]:
            if not isinstance(ind, Mapping) or "column" not in ind:
                raise ConfigError(f"each [[index.indicators]] needs a 'column'; got {ind!r}")
            if ind.get("direction", 1) not in (1, -1, "+", "-", "positive", "negative"):
                raise ConfigError(f"indicator {ind['column']!r}: direction must be 1 or -1, "
                                  f"got {ind.get('direction')!r}")
        if s["index"]["system"] not in ("demo", "inline"):
            raise ConfigError(f"[index] system must be 'demo' or 'inline', got {s['index']['system']!r}")
        if s["index"]["system"] == "inline" and not s["index"]["indicators"]:
            raise ConfigError("[index] system = 'inline' needs at least one [[index.indicators]] block")
        if not isinstance(s["seeds"]["seed"], int):
            raise ConfigError(f"[seeds] seed must be an integer, got {s['seeds']['seed']!r}")

    def get(self, section: str, key: str | None = None):
        sec = self.settings[section]
        return sec if key is None else sec[key]

    @property
    def seed(self) -> int:
        return int(self.settings["seeds"]["seed"])

    @property
    def lang(self) -> str:
        return self.settings["output"]["lang"]

    @property
    def missing(self) -> str:
        """Effective missing-value policy ("auto": interpolate for the demo, error otherwise)."""
        m = self.settings["data"]["missing"]
        if m == "auto":
            return "interpolate" if self.is_demo else "error"
        return m

    @property
    def is_demo(self) -> bool:
        return not self.settings["data"]["file"]

    @property
    def level(self) -> str:
        """Spatial level of the units: ``"province"`` or ``"city"`` (``[data] level``)."""
        return self.settings["data"].get("level", "province")

    def data_path(self) -> Path | None:
        f = self.settings["data"]["file"]
        if not f:
            return None
        p = Path(f).expanduser()
        return p if p.is_absolute() else Path(self.base_dir) / p

    def variables(self) -> dict:
        """Derived-variable expressions declared in ``[variables]``.

        The demo's own derived variables (:data:`DEMO_VARIABLES`) are added by
        :func:`load_data` whenever their source columns are in the data and the
        user has not defined a variable of the same name.
        """
        return dict(self.settings["variables"])

    def replace(self, **sections) -> "ReportConfig":
        """New config with some sections (dicts) merged in, e.g. ``replace(output={"lang": "en"})``."""
        return ReportConfig(_merge(self.settings, _enable_impact(sections)), self.source,
                            self.base_dir)

    def to_dict(self) -> dict:
        return json.loads(json.dumps(self.settings, default=str))

    def summary(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_toml(self) -> str:
        """The full configuration as TOML (``load_config`` of it gives the same settings).

        The report writes it as ``config_used.toml`` so that
        ``spatialnqpf report --config <out>/config_used.toml`` reruns the analysis.
        A relative data path is written resolved (absolute).
        """
        settings = self.to_dict()
        p = self.data_path()
        if p is not None:
            settings["data"]["file"] = str(p.resolve())
        lines = [f"# spatialnqpf report configuration as used ({self.source})"]
        for sec, body in settings.items():
            scalars = {k: v for k, v in body.items()
                       if not (isinstance(v, list) and v and all(isinstance(x, Mapping) for x in v))}
            tables = {k: v for k, v in body.items() if k not in scalars}
            lines.append(f"\n[{sec}]")
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in scalars.items()]
            for k, items in tables.items():
                for item in items:
                    lines.append(f"[[{sec}.{_toml_key(k)}]]")
                    lines += [f"{_toml_key(a)} = {_toml_value(b)}" for a, b in item.items()]
        return "\n".join(lines) + "\n"


def _toml_key(k) -> str:
    k = str(k)
    return k if k.replace("_", "").replace("-", "").isascii() and k.replace("_", "").replace("-", "").isalnum() \
        else json.dumps(k, ensure_ascii=False)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON string escapes are valid TOML basic strings
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{_toml_key(a)} = {_toml_value(b)}" for a, b in v.items()) + "}"
    if v is None:
        return '""'
    raise ConfigError(f"cannot write {v!r} ({type(v).__name__}) to TOML")


def load_config(path=None, **overrides) -> ReportConfig:
    """Read a TOML configuration (or the defaults with ``path=None``) and validate it.

    Unknown sections and options are errors that name them (a typo must not be
    silently ignored).  Relative data paths are resolved against the config
    file's folder.
    """
    settings: dict = copy.deepcopy(DEFAULTS)
    source, base = "<defaults>", "."
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ConfigError(f"configuration file not found: {str(p)!r}")
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        try:
            user = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: invalid TOML: {exc}") from None
        settings = _merge(settings, _enable_impact(user))
        source, base = str(p), str(p.resolve().parent)
    if overrides:
        settings = _merge(settings, _enable_impact(overrides))
    return ReportConfig(settings, source, base)


# ------------------------------------------------------------------- data
def read_table(path, sheet=0, encoding: str = "") -> pd.DataFrame:
    """Read a CSV, Excel or Stata file into a DataFrame (CSV encodings tried in turn)."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"data file not found: {str(p)!r}")
    if p.is_file() and p.stat().st_size == 0:
        raise DataError(f"data file {str(p)!r} is empty (0 bytes)")
    try:
        return _read_table(p, sheet, encoding)
    except SpatialNQPFError:
        raise
    except Exception as exc:  # malformed file: name it, whatever the reader raised
        raise DataError(f"cannot read the data file {str(p)!r}: {type(exc).__name__}: "
                        f"{exc}") from None


def _read_table(p: Path, sheet, encoding) -> pd.DataFrame:
    ext = p.suffix.lower()
    if ext in (".xlsx", ".xlsm", ".xls"):
        if isinstance(sheet, str):
            import openpyxl  # noqa: F401  (the reader pandas uses)
            names = pd.ExcelFile(p).sheet_names
            if sheet not in names:
                raise DataError(f"{p.name} has no sheet {sheet!r}; its sheets are "
                                f"{format_values(names)} (set [data] sheet)")
        return pd.read_excel(p, sheet_name=sheet)
    if ext == ".dta":
        return pd.read_stata(p)
    if ext in (".csv", ".txt", ".tsv"):
        sep = "\t" if ext == ".tsv" else ","
        encs = [encoding] if encoding else ["utf-8", "utf-8-sig", "gb18030"]
        last = None
        for enc in encs:
            try:
                df = pd.read_csv(p, sep=sep, encoding=enc)
                df.columns = [str(c).lstrip("\ufeff") for c in df.columns]
                return df
            except UnicodeDecodeError as exc:
                last = exc
        raise DataError(f"cannot decode {p.name} with encodings {encs}: {last}")
    raise DataError(f"unsupported data file type {ext!r} ({p.name}); use .csv, .xlsx or .dta")


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_frame(df: pd.DataFrame) -> str:
    """Checksum of a frame's CSV serialisation (used for the bundled demo panel)."""
    return hashlib.sha256(df.to_csv(index=False).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PreparedData:
    """The analysis panel and the log of what loading did to it.

    Attributes
    ----------
    frame : DataFrame
        Columns ``code`` (int province code), ``year`` and the data columns,
        sorted by (year, code).
    source : str
        File path or ``"bundled demo panel"``.
    checksum : str
        SHA-256 of the file (or of the demo frame's CSV).
    changes : tuple of dict
        One record per cell interpolated or row dropped (``action``, ``code``,
        ``year``, ``column``, ``old``, ``new``).
    unused_columns : tuple of str
        Columns in the file that no part of the analysis uses.
    labels : dict
        Original label → code for the id column (how names were read).
    """

    frame: pd.DataFrame
    source: str
    checksum: str
    id_column: str
    time_column: str
    missing_policy: str
    changes: tuple = ()
    unused_columns: tuple = ()
    labels: Mapping = field(default_factory=dict)
    derived: Mapping = field(default_factory=dict)
    #: :class:`spatialnqpf.intake.YearbookReport` of a ``layout = "wide"`` file, else None.
    intake: object = None
    #: ``[data] level`` of the panel: "province" or "city".
    level: str = "province"

    def to_frame(self) -> pd.DataFrame:
        """The analysis panel (a copy)."""
        return self.frame.copy()

    def summary(self) -> str:
        f = self.frame
        unit = {"province": "provinces", "city": "cities"}.get(self.level, "units")
        return (f"{self.source}: {f['code'].nunique()} {unit} x {f['year'].nunique()} years "
                f"({len(f)} rows); missing policy {self.missing_policy!r}: "
                f"{len(self.changes)} change(s)")


def _complete_panel(df: pd.DataFrame, used: list[str]):
    """Add the (code, year) rows absent from the data (codes x years present) as missing cells.

    A province-year that is absent (not just a NaN cell) is then covered by the ``missing``
    policy and reported like any missing cell; without this, ``drop_units`` left it absent
    and the spatial stages failed on the unbalanced panel.  Returns (frame, absent pairs).
    """
    if not used or df.empty:
        return df, []
    full = pd.MultiIndex.from_product([sorted(df["code"].unique()), sorted(df["year"].unique())],
                                      names=["code", "year"])
    absent = full.difference(pd.MultiIndex.from_frame(df[["code", "year"]]))
    if not len(absent):
        return df, []
    pairs = [(int(c), int(y)) for c, y in absent]
    add = pd.DataFrame(pairs, columns=["code", "year"])
    return pd.concat([df, add], ignore_index=True), pairs


def _apply_missing(df: pd.DataFrame, used: list[str], policy: str, absent=()):
    changes = [{"action": "absent row", "code": c, "year": y, "column": ", ".join(used),
                "old": None, "new": None} for c, y in absent]
    na = df[used].isna()
    if not na.to_numpy().any():
        return df, changes
    cells = [(int(df.at[i, "code"]), int(df.at[i, "year"]), c)
             for c in used for i in df.index[na[c].to_numpy()]]
    if policy == "error":
        rows = (f"{len(absent)} (code, year) row(s) absent from the data: "
                f"{format_values(list(absent), 30)}; ") if absent else ""
        raise DataError(f"{rows}{len(cells)} missing value(s) in the columns the analysis uses "
                        f"(code, year, column): {format_values(cells, 30)}. Set [data] missing = "
                        f"'interpolate', 'drop_rows' or 'drop_units' to handle them.")
    if policy == "interpolate":
        df = df.sort_values(["code", "year"]).copy()
        leftover = []
        for c in used:
            if not df[c].isna().any():
                continue
            # linear in the year (method="index" on the years), not in the row position:
            # a province whose file lacks some years must not be interpolated as if equally spaced
            years = df["year"].astype(float)
            new = df.groupby("code")[c].transform(
                lambda s: pd.Series(s.to_numpy(dtype=float), index=years.loc[s.index].to_numpy())
                .interpolate(method="index", limit_area="inside").set_axis(s.index))
            filled = df[c].isna() & new.notna()
            for i in df.index[filled.to_numpy()]:
                changes.append({"action": "interpolated", "code": int(df.at[i, "code"]),
                                "year": int(df.at[i, "year"]), "column": c, "old": None,
                                "new": float(new[i])})
            df[c] = new
            still = df[c].isna()
            leftover += [(int(df.at[i, "code"]), int(df.at[i, "year"]), c) for i in df.index[still.to_numpy()]]
        if leftover:
            raise DataError("missing value(s) at the start or end of a province's series cannot be "
                            f"interpolated (code, year, column): {format_values(leftover, 30)}; "
                            "use missing = 'drop_rows' or 'drop_units'")
        return df, changes
    if policy == "drop_rows":
        bad = na.any(axis=1)
        for i in df.index[bad.to_numpy()]:
            cols = [c for c in used if pd.isna(df.at[i, c])]
            changes.append({"action": "dropped row", "code": int(df.at[i, "code"]),
                            "year": int(df.at[i, "year"]), "column": ", ".join(cols), "old": None,
                            "new": None})
        return df.loc[~bad].copy(), changes
    if policy == "drop_units":
        bad_codes = sorted(set(df.loc[na.any(axis=1), "code"].astype(int)))
        for code in bad_codes:
            cols = sorted({c for (cd, _, c) in cells if cd == code})
            changes.append({"action": "dropped province", "code": code, "year": None,
                            "column": ", ".join(cols), "old": None, "new": None})
        return df.loc[~df["code"].isin(bad_codes)].copy(), changes
    raise ConfigError(f"unknown missing policy {policy!r}")


def _city_codes(df: pd.DataFrame, id_col: str, policy: str):
    """City codes of the id column after the status changes of
    :data:`spatialnqpf.regions.CITY_CHANGES`: renamed/recoded cities get their current code;
    merged/abolished ones are an error naming them (and the policy), or are dropped under
    ``missing = "drop_units"``.  Unknown labels raise with "did you mean" suggestions."""
    from .. import regions
    codes, changes = regions.update_city_labels(df[id_col])
    gone = [c for c in changes if c["code"] is None]
    if gone:
        if policy != "drop_units":
            raise DataError(
                "city unit(s) in the data that no longer exist: "
                + "; ".join(c["message"] for c in gone)
                + ". Their territory now belongs to other cities, so their series cannot be "
                  "continued: set [data] missing = 'drop_units' to drop them (listed in the "
                  "report), or merge their data into the successor city before the analysis.")
        keep = np.array([c is not None for c in codes])
        df = df.loc[keep].copy()
        codes = [c for c in codes if c is not None]
    return df, pd.Series(codes, index=df.index, dtype="int64"), changes


def _city_change_records(city_changes) -> list:
    """Change-log records (data stage table) of the cities mapped or dropped on loading."""
    act = {"recoded": "recoded city", "renamed": "renamed city", "merged": "dropped city (merged)",
           "abolished": "dropped city (abolished)"}
    return [{"action": act[c["kind"]], "code": c["code"] if c["code"] is not None else str(c["label"]),
             "year": c["year"], "column": c["message"], "old": None, "new": None}
            for c in city_changes]


def load_data(config: ReportConfig, used_columns=None) -> PreparedData:
    """Load the configured data (or the demo), normalise ids, derive variables, handle gaps.

    Parameters
    ----------
    config : ReportConfig
    used_columns : iterable of str, optional
        Columns the analysis needs (indicators, model variables).  Missing values
        are handled (per ``[data] missing``) only in these; other columns are
        left as they are.  Columns absent from the data are an error naming them.

    Raises
    ------
    spatialnqpf.regions.UnknownRegionError
        A province label that cannot be recognised (all of them are named).
    PanelError
        Duplicated (province, year) rows, missing years or ids.
    DataError
        Missing values under ``missing = "error"``, unknown columns, bad years.
    """
    from .. import regions

    d = config.get("data")
    labels = {}
    intake = None
    level = config.level
    city_changes: list = []
    if config.is_demo and level != "city":
        from .. import datasets
        raw = datasets.load_demo_panel()
        source = "bundled demo panel (spatialnqpf.datasets.load_demo_panel)"
        checksum = sha256_frame(raw)
        df = raw.copy()
        id_col, time_col = "code", "year"
        if config.get("index", "system") == "demo":
            try:
                from .. import index as _index
                ind = _index.demo_indicators(raw)
            except (ImportError, AttributeError):
                ind = None  # the index stage reports that the index module is absent
            if ind is not None:
                new = [c for c in ind.columns if c not in df.columns]
                df = df.merge(ind[["code", "year", *new]], on=["code", "year"], how="left")
    else:
        if config.is_demo:  # city level without a file: the GENERATED example city panel
            from .. import datasets
            raw = datasets.load_demo_city_panel()
            source = ("GENERATED example city panel (spatialnqpf.datasets.load_demo_city_panel, "
                      "seed 0): not real statistics")
            checksum = sha256_frame(raw)
            id_col, time_col, fname = "code", "year", "the generated city panel"
        else:
            path = config.data_path()
            layout = d.get("layout", "long")
            if layout not in ("long", "wide"):
                raise ConfigError(f"[data] layout must be 'long' or 'wide', got {layout!r}")
            if layout == "wide":
                from ..intake import read_yearbook
                sheets = d.get("sheets") or None
                if not path.exists():
                    raise DataError(f"data file not found: {str(path)!r}")
                kw = {"variables": dict(sheets)} if isinstance(sheets, Mapping) else {"sheets": sheets}
                raw, intake = read_yearbook(path, encoding=d["encoding"], level=level, **kw)
                id_col, time_col = "code", "year"
            else:
                raw = read_table(path, d["sheet"], d["encoding"])
                id_col, time_col = d["id"], d["time"]
            source = str(path)
            checksum = sha256_file(path)
            fname = path.name
        missing_cols = [c for c in (id_col, time_col) if c not in raw.columns]
        if missing_cols:
            raise DataError(f"id/time column(s) {format_values(missing_cols)} not in {fname}; "
                            f"columns are {format_values(list(raw.columns), 40)}; set [data] id/time")
        df = raw.copy()
        if df[id_col].isna().any():
            rows = [int(i) + 2 for i in df.index[df[id_col].isna()]]
            raise PanelError(f"column {id_col!r} is empty in file row(s) {format_values(rows)}")
        if level == "city":
            df, codes, city_changes = _city_codes(df, id_col, config.missing)
        else:
            codes = regions.normalize(df[id_col])  # raises naming every unknown label
        labels = dict(zip(df[id_col].astype(str), (int(c) for c in codes)))
        if intake is not None:
            labels = dict(intake.labels)  # the labels as written in the yearbook sheets
        years = pd.to_numeric(df[time_col], errors="coerce")
        if years.isna().any() or (years % 1 != 0).any():
            bad = df.loc[years.isna() | (years % 1 != 0), time_col].tolist()
            raise DataError(f"column {time_col!r} has values that are not years: {format_values(bad)}")
        df = df.drop(columns=[c for c in ("code", "year") if c in df.columns and c not in (id_col, time_col)])
        df = df.rename(columns={id_col: "_label", time_col: "year"})
        df.insert(0, "code", pd.Series(np.asarray(codes, dtype=int), index=df.index))
        df["year"] = years.astype(int)
        df = df.drop(columns=["_label"])
        for c in df.columns:  # numbers stored as text in Excel ("12.3", " 45 ") become numbers
            if c not in ("code", "year") and not pd.api.types.is_numeric_dtype(df[c]):
                conv = pd.to_numeric(df[c].astype("string").str.strip(), errors="coerce")
                if conv.notna().sum() == df[c].notna().sum() and conv.notna().any():
                    df[c] = conv.astype(float)
    dup = df.duplicated(["code", "year"], keep=False)
    if dup.any():
        pairs = df.loc[dup, ["code", "year"]].drop_duplicates().itertuples(index=False, name=None)
        raise PanelError(f"duplicated ({level} code, year) rows: {format_values(list(pairs))}"
                         + (" (a renamed or recoded city and its current name both in the data?)"
                            if level == "city" and city_changes else ""))
    yrs = d["years"]
    if yrs:
        if len(yrs) != 2:
            raise ConfigError(f"[data] years must be [first, last], got {yrs!r}")
        have = set(df["year"])
        outside = [y for y in yrs if y not in have]
        if outside:
            raise DataError(f"[data] years {format_values(outside)} not in the data "
                            f"({min(have)}-{max(have)})")
        df = df.loc[df["year"].between(yrs[0], yrs[1])]
    if (not config.is_demo or level == "city") and config.get("index", "system") == "demo":
        # a user file laid out like the bundled panel: derive the demo indicators from it
        try:
            from .. import index as _index
            ind = _index.demo_indicators(df)
        except (ImportError, AttributeError, SpatialNQPFError):
            ind = None  # columns missing: the check below names what the config needs
        if ind is not None:
            new = [c for c in ind.columns if c not in df.columns]
            df = df.merge(ind[["code", "year", *new]], on=["code", "year"], how="left")
    derived = {}
    # whitelisting evaluator (spatialnqpf._expr): a configuration never runs code
    df = df.reset_index(drop=True)
    for name, expr in config.variables().items():
        try:
            df[name] = _expr.evaluate(expr, df, id="code", time="year")
        except _expr.ExpressionError as exc:
            raise ConfigError(f"[variables] {name}: {exc}") from None
        derived[name] = expr
    for name, expr in DEMO_VARIABLES.items():
        if name not in derived and name not in df.columns:
            if _expr.names(expr) <= set(df.columns):  # source columns present: a demo-like file
                try:
                    df[name] = _expr.evaluate(expr, df, id="code", time="year")
                except _expr.ExpressionError as exc:
                    raise ConfigError(f"derived demo variable {name} = {expr!r}: {exc}; define "
                                      f"[variables] {name} yourself") from None
                derived[name] = expr
    used = [c for c in dict.fromkeys(used_columns or []) if c not in ("code", "year")]
    absent = [c for c in used if c not in df.columns]
    if absent:
        raise DataError(f"column(s) {format_values(absent)} needed by the configuration are not in the "
                        f"data; available: {format_values([c for c in df.columns], 80)}. Declare your "
                        "indicators, regressors and derived [variables] in a configuration file "
                        "(`spatialnqpf init` writes a template).")
    for c in used:
        if not pd.api.types.is_numeric_dtype(df[c]):
            bad = df.loc[pd.to_numeric(df[c], errors="coerce").isna() & df[c].notna(), ["code", "year", c]]
            raise DataError(f"column {c!r} is not numeric, e.g. {bad.head(5).to_dict('records')}")
    df, absent = _complete_panel(df.reset_index(drop=True), used)
    missing_before = {c: int(df[c].isna().sum()) for c in used}
    df, changes = _apply_missing(df.reset_index(drop=True), used, config.missing, absent)
    if level == "city":
        for ch in changes:
            if ch["action"] == "dropped province":
                ch["action"] = "dropped city"
    changes = _city_change_records(city_changes) + changes
    df = df.sort_values(["year", "code"], kind="mergesort").reset_index(drop=True)
    unused = ()
    if not config.is_demo:
        keep = set(used) | set(derived) | {"code", "year"}
        for e in derived.values():
            keep |= _expr.names(e)
        unused = tuple(c for c in raw.columns if c not in keep and c not in (id_col, time_col))
    return PreparedData(frame=df, source=source, checksum=checksum, id_column=id_col,
                        time_column=time_col, missing_policy=config.missing, changes=tuple(changes),
                        unused_columns=unused, labels=labels,
                        derived={"expressions": derived, "missing_before": missing_before},
                        intake=intake, level=level)
