"""The documentation site's generated parts are up to date and cover every public name.

``mkdocs build --strict`` itself runs in CI after pytest (``.ci/run``); these checks need no
MkDocs and fail with the command that fixes them.
"""
from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_api_pages_are_current_and_cover_every_public_name():
    gen = _load(ROOT / "tools" / "api_pages.py", "_api_pages")
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for module, (fname, _) in gen.MODULES.items():
        page = DOCS / "api" / fname
        assert page.is_file(), f"{page} missing: run python tools/api_pages.py"
        text = page.read_text(encoding="utf-8")
        assert text == gen.page(module), f"{page} is stale: run python tools/api_pages.py"
        assert f"api/{fname}" in nav, f"api/{fname} is not in the mkdocs.yml nav"
        for name in gen.public_names(module):
            assert (f"::: {gen.target(module, name)}\n" in text
                    or f"[{gen.target(module, name)}]" in text), (module, name)


def test_extra_names_exist():
    gen = _load(ROOT / "tools" / "api_pages.py", "_api_pages")
    for module, names in gen.EXTRA.items():
        mod = importlib.import_module(f"spatialnqpf.{module}")
        for n in names:
            assert hasattr(mod, n), (module, n)


def test_every_public_module_has_an_api_page():
    gen = _load(ROOT / "tools" / "api_pages.py", "_api_pages")
    import spatialnqpf
    public = {m for m in spatialnqpf._SUBMODULES if m != "cli"}  # cli: the command, not an API
    assert public <= set(gen.MODULES), sorted(public - set(gen.MODULES))


def test_site_methods_overview_matches_methods_readme():
    """docs/methods.md is the site's copy of docs/methods/README.md with links one level up."""
    readme = (DOCS / "methods" / "README.md").read_text(encoding="utf-8")
    site = (DOCS / "methods.md").read_text(encoding="utf-8")
    table = lambda t: [re.sub(r"\]\((?:methods/)?", "](", l) for l in t.splitlines() if l.startswith("|")]  # noqa: E731
    assert table(site) == table(readme)


def test_notebooks_are_linked_into_the_site():
    for nb in (ROOT / "examples" / "notebooks").glob("*.ipynb"):
        link = DOCS / "notebooks" / nb.name
        assert link.is_symlink() and link.resolve() == nb.resolve(), link
