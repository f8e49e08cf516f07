"""The ```python blocks of the "coming from" pages and the getting-started pages run as written.

Each page's blocks run in order in one fresh namespace (our own documentation, not user input).
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(str(p.relative_to(DOCS)) for p in [*(DOCS / "coming-from").glob("*.md"),
                                                  *(DOCS / "getting-started").glob("*.md")])
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def test_pages_exist():
    assert {"coming-from/stata.md", "coming-from/r.md", "coming-from/matlab.md",
            "coming-from/pysal.md", "getting-started/en.md", "getting-started/zh.md"} <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_python_blocks_run(page, tmp_path, monkeypatch):
    blocks = BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))
    assert blocks, f"{page} has no python block"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    ns: dict = {"__name__": "__docs__"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, code in enumerate(blocks):
            exec(compile(code, f"docs/{page} block {i + 1}", "exec"), ns)  # noqa: S102
    assert list(tmp_path.iterdir()) == []  # the examples write nothing
