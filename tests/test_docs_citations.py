"""Every ``docs/...`` file cited in the package exists, with the cited section or item.

Docstrings (and comments) cite the method notes as ``docs/methods/<stage>.md §N.M`` and the
peers' defects as ``docs/anchors.md item N``; ``METHODS.md`` / ``ANCHORS.md`` (files outside the
repository) must not be cited any more.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "spatialnqpf").rglob("*.py"))
PATH = re.compile(r"docs/[A-Za-z0-9_./-]*[A-Za-z0-9_]")
SECTION = re.compile(r"(docs/methods/[a-z_]+\.md)`{0,2}\s*§\s*(\d+(?:\.\d+)?)")
ITEM = re.compile(r"docs/anchors\.md`{0,2}\s*items?\s+(\d+)(?:\s*(?:and|,)\s*(\d+))?")


def _cites():
    for f in SOURCES:
        text = f.read_text(encoding="utf-8")
        yield f.relative_to(ROOT), re.sub(r"\n\s*#?\s*", " ", text)


def _headings(path: Path) -> set:
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#+\s*(\d+(?:\.\d+)*)\.?\s", line)
        if m:
            out.add(m.group(1))
    return out


def _items(path: Path) -> set:
    return {int(m.group(1)) for m in re.finditer(r"^(\d+)\. ", path.read_text(encoding="utf-8"),
                                                  re.M)}


def test_cited_docs_exist():
    cited = {}
    for f, text in _cites():
        for p in PATH.findall(text):
            cited.setdefault(p, set()).add(str(f))
    assert "docs/methods/models.md" in cited and "docs/anchors.md" in cited  # the scan works
    missing = {p: sorted(fs) for p, fs in cited.items() if not (ROOT / p).is_file()}
    assert missing == {}


def test_cited_sections_and_items_exist():
    n = 0
    for f, text in _cites():
        for doc, sec in SECTION.findall(text):
            heads = _headings(ROOT / doc)
            # "§5" is satisfied by a "5.x" heading of that file; "§1.4" needs "1.4"
            assert sec in heads or any(h.startswith(sec + ".") for h in heads), (f, doc, sec)
            n += 1
        items = _items(ROOT / "docs/anchors.md")
        for a, b in ITEM.findall(text):
            for k in (a, b):
                if k:
                    assert int(k) in items, (f, k)
                    n += 1
    assert n >= 20


def test_no_citation_outside_the_repository():
    bad = [str(f) for f, text in _cites() if re.search(r"\b(METHODS|ANCHORS)\.md", text)]
    assert bad == []


def test_every_stage_module_cites_its_note():
    for mod, note in (("autocorrelation.py", "autocorrelation.md"), ("index.py", "index.md"),
                      ("inequality.py", "inequality.md"), ("dynamics.py", "dynamics.md"),
                      ("weights/__init__.py", "weights.md"), ("models/__init__.py", "models.md")):
        assert f"docs/methods/{note}" in (ROOT / "spatialnqpf" / mod).read_text(encoding="utf-8")
