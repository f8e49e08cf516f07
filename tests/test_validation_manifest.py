"""Every file in tests/reference/ has metadata in MANIFEST.toml, and docs/validation.md is current."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("_validation_table",
                                                  ROOT / "tools" / "validation_table.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_reference_file_has_metadata():
    bad = _tool().problems()
    assert not bad, "\n".join(bad)


def test_a_file_without_metadata_is_named(tmp_path):
    tool = _tool()
    m = tool.load()
    m.pop("cigar_sac_results.csv")
    bad = tool.problems(m)
    assert any(b.startswith("tests/reference/cigar_sac_results.csv has no entry") for b in bad), bad
    m2 = tool.load()
    del m2["cigar_leeyu_results.csv"]["tolerance"]
    assert tool.problems(m2) == ["MANIFEST.toml ['cigar_leeyu_results.csv']: result entry lacks "
                                 "'tolerance'"]


def test_validation_page_is_generated_and_current():
    tool = _tool()
    page = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    assert page == tool.render(), "docs/validation.md is stale: run python tools/validation_table.py"
    results = [f for f, e in tool.load().items() if e["kind"] == "result"]
    assert len(results) >= 30
    for f in results:
        assert f"| `{f}` |" in page
        assert (ROOT / "tests" / "reference" / tool.load()[f]["script"]).is_file(), f
        assert (ROOT / tool.load()[f]["test"]).is_file() or tool.load()[f]["test"].startswith("none")


def test_observed_recorder_measures_and_attributes(tmp_path):
    """tests/_observed.py: a comparison against a reference file's numbers is measured and
    attributed to that file; one against values not in the file is not."""
    import json
    import os
    import subprocess
    import sys

    (tmp_path / "test_probe.py").write_text(
        "import numpy as np, pandas as pd, pytest\n"
        f"REF = {str(ROOT / 'tests' / 'reference' / 'cigar_sac_results.csv')!r}\n"
        "def test_probe():\n"
        "    v = pd.read_csv(REF, comment='#').select_dtypes('number').to_numpy().ravel()\n"
        "    v = v[np.isfinite(v) & (v != np.round(v))][:5]\n"
        "    np.testing.assert_allclose(v * (1 + 1e-9), v, rtol=1e-8)\n"
        "    assert v[0] * (1 + 2e-9) == pytest.approx(v[0], rel=1e-8)\n"
        "    np.testing.assert_allclose([0.123456789 + 1e-3], [0.123456789], atol=1e-2)\n",
        encoding="utf-8")
    out = tmp_path / "obs.json"
    env = dict(os.environ, SPATIALNQPF_RECORD_OBSERVED=str(out),
               PYTHONPATH=str(ROOT / "tests") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "-p", "_observed", str(tmp_path / "test_probe.py")],
                       cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    rec = json.loads(out.read_text(encoding="utf-8"))
    assert list(rec) == ["cigar_sac_results.csv"]
    f = rec["cigar_sac_results.csv"]
    assert f["comparisons"] == 2 and f["numbers"] == 6
    assert 1.5e-9 < f["max_rel"] < 2.5e-9            # the 1e-3 comparison is not attributed
