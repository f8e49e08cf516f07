"""Run the example scripts and the report walkthrough notebook so they never rot.

Each script ends with its own assertions (e.g. weights sum to 1, Dagum's
identity, Beijing first in 2022); the notebook asserts that its step-by-step
numbers equal those of ``spatialnqpf report``'s results.json.  A stage's
example is skipped only while the module it needs is absent.
"""
from __future__ import annotations

import importlib.util
import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

NEEDS = {
    "01_index.py": ["spatialnqpf.index"],
    "02_weights.py": ["spatialnqpf.weights"],
    "03_moran.py": ["spatialnqpf.index", "spatialnqpf.weights", "spatialnqpf.autocorrelation"],
    "04_dagum.py": ["spatialnqpf.index", "spatialnqpf.inequality"],
    "05_dynamics.py": ["spatialnqpf.index", "spatialnqpf.dynamics"],
    "06_models.py": ["spatialnqpf.index", "spatialnqpf.weights", "spatialnqpf.models"],
    "07_yearbook.py": ["spatialnqpf.intake"],
}


def _absent(mods):
    return [m for m in mods if importlib.util.find_spec(m) is None]


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("0*.py")) == sorted(NEEDS)


@pytest.mark.parametrize("script", sorted(NEEDS))
def test_example_script(script, tmp_path, monkeypatch, capsys):
    missing = _absent(NEEDS[script])
    if missing:
        pytest.skip(f"module(s) not available yet: {missing}")
    monkeypatch.setenv("SPATIALNQPF_EXAMPLE_OUT", str(tmp_path / "out"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.setattr(sys, "argv", [script])
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    assert capsys.readouterr().out.strip()
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["out"])  # nothing else in the cwd


def test_report_walkthrough_notebook(tmp_path, monkeypatch):
    """Execute the jupytext notebook in a kernel (nbclient)."""
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    missing = _absent(["spatialnqpf.index", "spatialnqpf.weights", "spatialnqpf.autocorrelation",
                       "spatialnqpf.inequality", "spatialnqpf.dynamics", "spatialnqpf.models"])
    if missing:
        pytest.skip(f"module(s) not available yet: {missing}")
    nb = jupytext.read(EXAMPLES / "report_walkthrough.py")
    root = str(EXAMPLES.parent)
    monkeypatch.setenv("SPATIALNQPF_EXAMPLE_OUT", str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", root + ((":" + __import__("os").environ["PYTHONPATH"])
                                             if __import__("os").environ.get("PYTHONPATH") else ""))
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
    assert "the walkthrough reproduces the report's numbers" in outputs
    assert (tmp_path / "walkthrough" / "report.html").exists()
