"""Tests of the ``spatialnqpf`` command line (spatialnqpf.cli).

The no-argument ``spatialnqpf report`` run is tested end to end in
tests/test_report_builder.py; here: --version, info, init, single-stage
subcommands, the installed console script, and user errors (exit code 2 with
a one-line message naming the bad value).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from spatialnqpf import __version__, cli
from spatialnqpf.report.config import load_config


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"spatialnqpf {__version__}"


def test_info(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"spatialnqpf {__version__}" in out
    assert "demo panel: 31 provinces x 11 years (2012-2022)" in out
    assert "spatialnqpf.regions: ok" in out and "numpy:" in out


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 0
    assert "report" in capsys.readouterr().out


def test_init_writes_a_valid_template_and_refuses_to_overwrite(tmp_path, capsys):
    p = tmp_path / "analysis.toml"
    assert cli.main(["init", str(p)]) == 0
    cfg = load_config(p)
    assert cfg.is_demo
    p.write_text("# mine\n", encoding="utf-8")
    assert cli.main(["init", str(p)]) == 2
    assert "exists" in capsys.readouterr().err
    assert p.read_text(encoding="utf-8") == "# mine\n"
    assert cli.main(["init", str(p), "--force"]) == 0


def test_single_stage_writes_its_tables_only(tmp_path, capsys):
    out = tmp_path / "w"
    assert cli.main(["weights", "--out", str(out), "--quiet", "--lang", "en"]) == 0
    tables = sorted(p.stem for p in (out / "tables").glob("*.tex"))
    assert tables == ["descriptive_statistics", "missing_values_handled", "missingness", "weights_summary"]
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert list(res["stages"]) == ["data", "weights"]
    grid = res["stages"]["weights"]["tables"]["weights_summary"]["grid"]
    assert grid[0][:3] == ["Matrix", "n", "Non-zero links"]
    assert grid[1][1] == "31"
    assert "report.html" in capsys.readouterr().out


def test_misspelled_province_exits_2_naming_it(tmp_path, capsys):
    from test_report_config import user_frame, write_config
    df = user_frame()
    df.loc[df["省份"].isin(["湖南", "湖南省", "湖 南"]), "省份"] = "湖男省"
    df.loc[5, "专利密度"] = np.nan
    df.to_excel(tmp_path / "u.xlsx", index=False)
    cfg = write_config(tmp_path / "c.toml", "u.xlsx")
    rc = cli.main(["report", "--config", str(cfg), "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error: ") and "湖男省" in err and "Traceback" not in err


def test_data_option_overrides_config(tmp_path, capsys):
    """--data replaces [data] file; a missing file is a clear error."""
    rc = cli.main(["index", "--data", str(tmp_path / "none.csv"), "--out", str(tmp_path / "o"), "-q"])
    assert rc == 2
    assert "none.csv" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("spatialnqpf") is None, reason="console script not installed here")
def test_console_script_version():
    out = subprocess.run(["spatialnqpf", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"spatialnqpf {__version__}"


def test_module_entry_point(tmp_path):
    """``python -m spatialnqpf.cli --version`` from another directory (repo on PYTHONPATH)."""
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-m", "spatialnqpf.cli", "--version"], capture_output=True,
                         text=True, cwd=tmp_path, env=env, check=True)
    assert out.stdout.strip() == f"spatialnqpf {__version__}"


def test_seed_option_is_recorded(tmp_path):
    out = tmp_path / "s"
    assert cli.main(["weights", "--out", str(out), "--quiet", "--seed", "7"]) == 0
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert res["footer"]["seed"] == 7 and res["footer"]["config"]["seeds"]["seed"] == 7


def test_out_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert cli.main(["weights", "--out", str(f), "--quiet"]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_single_stage_ignores_columns_of_stages_it_does_not_run(tmp_path, capsys):
    # issue 12: `spatialnqpf weights` refused because of a [models] column it never uses
    from test_report_config import user_frame, write_config
    user_frame().to_excel(tmp_path / "u.xlsx", index=False)
    cfg = write_config(tmp_path / "c.toml", "u.xlsx")
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('x = ["二产比重"]', 'x = ["不存在的列"]'),
                   encoding="utf-8")
    assert cli.main(["weights", "--config", str(cfg), "--out", str(tmp_path / "w"), "-q"]) == 0
    rc = cli.main(["model", "--config", str(cfg), "--out", str(tmp_path / "m"), "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and "不存在的列" in err
