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
