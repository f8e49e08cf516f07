"""Security: a configuration never runs code; nothing is written outside ``--out``.

* ``[variables]`` expressions go through the whitelisting parser :mod:`spatialnqpf._expr`
  (issue 12, security 1): method calls, attribute access, ``@`` references, subscripts,
  lambdas, comprehensions, dunder names and imports are refused with a ConfigError that
  quotes the expression, before anything is read or written;
* the evaluator's values are checked against plain pandas/numpy computations;
* a CLI run in a temporary HOME and working folder writes only under ``--out`` and the
  user cache (security 3: numba's cache is in ``~/.cache/spatialnqpf/numba``, never in the
  package folder).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import spatialnqpf
from spatialnqpf import _expr, cli
from spatialnqpf._expr import ExpressionError
from spatialnqpf.report.config import ConfigError, load_config

ROOT = Path(spatialnqpf.__file__).resolve().parent.parent

HOSTILE = [
    "gdp.to_csv('/tmp/spatialnqpf_pwned.csv')",           # method call: writes a file
    "@pd.read_pickle('payload.pkl')",                     # @ reference: unpickles = runs code
    "gdp.values",                                         # attribute access
    "gdp.__class__",                                      # dunder attribute
    "gdp[0]",                                             # subscript
    "(lambda: 1)()",                                      # lambda
    "[g for g in gdp]",                                   # comprehension
    "__import__('os').system('touch pwned')",             # import
    "open('pwned', 'w')",                                 # not a whitelisted function
    "__builtins__",                                       # dunder name
    "_private",                                           # underscore name
    "log(gdp, base=2)",                                   # keyword argument
    "'abc'",                                              # string constant
    "gdp if gdp > 0 else 0",                              # conditional expression
    "gdp % 2",                                            # operator outside the whitelist
    "lag(gdp, -1)",                                       # lag order not a positive int
    "lag(gdp, k)",                                        # lag order not a constant
    "x := 1",                                             # not an expression
]


@pytest.mark.parametrize("expr", HOSTILE)
def test_parser_refuses_with_the_expression_quoted(expr):
    with pytest.raises(ExpressionError) as exc:
        _expr.parse(expr)
    assert repr(expr) in str(exc.value) or expr in str(exc.value)


def _frame():
    # two units, years with a gap for unit 2 (no 2014), shuffled rows
    df = pd.DataFrame({"code": [1, 1, 1, 2, 2, 1, 2], "year": [2012, 2013, 2014, 2012, 2013, 2015, 2015],
                       "gdp": [1.0, 2.0, 4.0, 10.0, 15.0, 5.0, 30.0], "pop": [1, 2, 2, 5, 5, 5, 6]})
    return df.sample(frac=1.0, random_state=3).reset_index(drop=True)


def test_evaluate_matches_pandas():
    df = _frame()
    got = _expr.evaluate("log(gdp) * 2 - sqrt(pop) / 4 + abs(-gdp) ** 0.5 + exp(0) + log1p(pop)",
                         df)
    want = (np.log(df.gdp) * 2 - np.sqrt(df["pop"]) / 4 + np.abs(-df.gdp) ** 0.5 + 1
            + np.log1p(df["pop"]))
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-15)
    cmp = _expr.evaluate("(gdp > 3) + (1 < pop <= 5)", df)
    np.testing.assert_array_equal(cmp.to_numpy(),
                                  (df.gdp > 3).astype(float) + ((df["pop"] > 1) & (df["pop"] <= 5)))
    assert _expr.evaluate("-2", df).tolist() == [-2.0] * len(df)


def test_panel_functions_by_unit_and_year():
    """lag/diff/growth look up (unit, year − k), not the previous row: gaps give NaN."""
    df = _frame()
    key = list(zip(df.code, df.year))
    lag = dict(zip(key, _expr.evaluate("lag(gdp)", df)))
    assert np.isnan(lag[(1, 2012)]) and lag[(1, 2013)] == 1.0 and lag[(1, 2015)] == 4.0
    assert lag[(2, 2013)] == 10.0 and np.isnan(lag[(2, 2015)])   # 2014 absent for unit 2
    lag2 = dict(zip(key, _expr.evaluate("lag(gdp, 2)", df)))
    assert lag2[(1, 2014)] == 1.0 and lag2[(2, 2015)] == 15.0 and np.isnan(lag2[(1, 2013)])
    diff = dict(zip(key, _expr.evaluate("diff(gdp)", df)))
    assert diff[(1, 2014)] == 2.0 and diff[(2, 2013)] == 5.0
    growth = dict(zip(key, _expr.evaluate("growth(gdp)", df)))
    assert growth[(1, 2014)] == pytest.approx(1.0) and growth[(2, 2013)] == pytest.approx(0.5)
    gl = dict(zip(key, _expr.evaluate("growth(log(gdp + 1))", df)))
    assert gl[(1, 2013)] == pytest.approx(np.log(3) / np.log(2) - 1)


@pytest.mark.parametrize("expr, what", [
    ("log(gdp - 4)", "log of a non-positive value"),
    ("sqrt(gdp - 5)", "sqrt of a negative value"),
    ("gdp / (pop - 2)", "division by zero"),
    ("nope + 1", "unknown column 'nope'"),
])
def test_domain_errors_name_the_cells(expr, what):
    df = _frame()
    with pytest.raises(ExpressionError) as exc:
        _expr.evaluate(expr, df)
    msg = str(exc.value)
    assert what in msg and repr(expr) in msg
    if "column" not in what:
        assert "(code, year)" in msg


def _write_config(folder: Path, expr: str) -> Path:
    p = folder / "hostile.toml"
    esc = expr.replace("\\", "\\\\").replace('"', '\\"')
    p.write_text(f'[variables]\nz = "{esc}"\n', encoding="utf-8")
    return p


def _snapshot(*roots):
    out = {}
    for r in roots:
        for dirpath, dirnames, filenames in os.walk(r):
            for f in filenames + dirnames:
                p = os.path.join(dirpath, f)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                out[p] = (st.st_mtime_ns, st.st_size)
    return out


@pytest.mark.parametrize("expr", HOSTILE[:9])
def test_hostile_config_is_refused_and_writes_nothing(tmp_path, monkeypatch, capsys, expr):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    cfg = _write_config(tmp_path, expr)
    (cwd / "payload.pkl").write_bytes(b"not a pickle")
    monkeypatch.chdir(cwd)
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    assert "[variables] z" in str(exc.value) and repr(expr) in str(exc.value)
    before = _snapshot(tmp_path)
    out = tmp_path / "out"
    assert cli.main(["weights", "--config", str(cfg), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "[variables] z" in err and "not allowed" in err or "not valid" in err
    assert _snapshot(tmp_path) == before           # nothing created, nothing modified
    assert not out.exists()
    assert not Path("/tmp/spatialnqpf_pwned.csv").exists()


def test_derived_variables_in_a_report_config(tmp_path):
    """[variables] with the panel functions reach the analysis frame (later ones use earlier)."""
    from spatialnqpf.report.config import load_data
    cfg = load_config(None, variables={"lgdp": "log(gdp)", "g": "diff(lgdp)"},
                      data={"missing": "drop_rows"})
    data = load_data(cfg, used_columns=["g"])
    f = data.frame
    assert f["year"].min() == 2013                      # the first year has no lag: dropped, logged
    assert any(c["action"] == "dropped row" and c["year"] == 2012 for c in data.changes)
    raw = spatialnqpf.datasets.load_demo_panel().set_index(["code", "year"])["gdp"]
    row = f.loc[(f.code == 11) & (f.year == 2020)].iloc[0]
    assert row["g"] == pytest.approx(np.log(raw[(11, 2020)]) - np.log(raw[(11, 2019)]), rel=1e-12)


def _run_isolated(tmp_path, code: str):
    home = tmp_path / "home"
    cwd = tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "MPLCONFIGDIR")}
    env.update(HOME=str(home), PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(ROOT),
               MPLBACKEND="Agg")
    import matplotlib
    env["MPLCONFIGDIR"] = matplotlib.get_configdir()   # reuse matplotlib's font list (speed)
    pkg = Path(spatialnqpf.__file__).resolve().parent
    before_pkg = _snapshot(pkg)
    before = _snapshot(tmp_path)
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = _snapshot(tmp_path)
    changed = {p for p in after if before.get(p) != after[p]}
    changed_pkg = {p for p, v in _snapshot(pkg).items() if before_pkg.get(p) != v}
    return home, cwd, changed, changed_pkg


def test_cli_run_writes_only_under_out_and_the_user_cache(tmp_path):
    """Before/after snapshot of HOME, the working folder and the package around a CLI run.

    Allowed outside ``--out``: the user cache ``~/.cache`` (our numba cache, matplotlib's
    font list) and the two empty folders third-party libraries create on import
    (``~/.config/matplotlib``, libpysal's data home ``~/.local/share/pysal``).
    """
    out = tmp_path / "cwd" / "result"
    cfg = tmp_path / "c.toml"   # csv tables only: writing .docx tables takes ~15 s
    cfg.write_text('[variables]\nlg = "log(gdp)"\n[output]\nformats = ["csv", "md"]\n',
                   encoding="utf-8")
    code = ("import sys; from spatialnqpf import cli; "
            f"sys.exit(cli.main(['weights', '--config', {str(cfg)!r}, '--out', {str(out)!r}, "
            "'--quiet', '--lang', 'en']))")
    home, cwd, changed, changed_pkg = _run_isolated(tmp_path, code)
    allowed_dirs = [str(home / ".config"), str(home / ".config" / "matplotlib"),
                    str(home / ".local"), str(home / ".local" / "share"),
                    str(home / ".local" / "share" / "pysal"), str(home), str(cwd)]
    outside = sorted(p for p in changed if not (p.startswith(str(out) + os.sep) or p == str(out)
                                                or p.startswith(str(home / ".cache"))
                                                or p in allowed_dirs))
    assert outside == []
    assert (out / "results.json").is_file() and (out / "tables" / "weights_summary.csv").is_file()
    assert changed_pkg == set()


def test_numba_cache_is_in_the_user_cache_not_the_package(tmp_path):
    pytest.importorskip("numba")
    code = ("import numpy as np, pandas as pd\n"
            "from spatialnqpf import autocorrelation as ac, weights\n"
            "from spatialnqpf import datasets\n"
            "df = datasets.load_demo_panel(); df = df[df.year == 2020]\n"
            "w = weights.contiguity(ids=df.code)\n"
            "r = ac.lisa(df, 'gdp', w, time=None, permutations=99, engine='numba', seed=1)\n"
            "from spatialnqpf._kernels.autocorr import numba_cache_dir\n"
            "print(numba_cache_dir())\n")
    home, cwd, changed, changed_pkg = _run_isolated(tmp_path, code)
    numba_dir = home / ".cache" / "spatialnqpf" / "numba"
    written = [p for p in changed if p.endswith((".nbi", ".nbc"))]
    assert written and all(p.startswith(str(numba_dir)) for p in written)
    assert changed_pkg == set()
