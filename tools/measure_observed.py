"""Measure the differences the reference tests assert and store ``tests/reference/OBSERVED.json``.

Runs the test modules named in ``tests/reference/MANIFEST.toml`` (field ``test``) with the
recorder of ``tests/_observed.py`` switched on, then rewrites ``docs/validation.md``
(``tools/validation_table.py``).  Run it after adding or changing a reference::

    python tools/measure_observed.py
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import validation_table  # noqa: E402


def main() -> int:
    tests = sorted({e["test"] for e in validation_table.load().values()
                    if e.get("kind") == "result" and e.get("test", "").startswith("tests/")})
    out = ROOT / "tests" / "reference" / "OBSERVED.json"
    env = dict(os.environ, SPATIALNQPF_RECORD_OBSERVED=str(out))
    rc = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
                         cwd=ROOT, env=env)
    if rc != 0:
        print("the reference tests failed: OBSERVED.json not trusted", file=sys.stderr)
        return rc
    return validation_table.main()


if __name__ == "__main__":
    sys.exit(main())
