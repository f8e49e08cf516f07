"""report.fonts: without a CJK font, matplotlib's font cache is rebuilt once, then searched
again (a font installed after the cache was written is found without deleting the cache)."""
from __future__ import annotations

import types

import pytest
from matplotlib import font_manager as fm

from spatialnqpf.report import fonts


def _entry(name, path):
    return types.SimpleNamespace(name=name, fname=path)


@pytest.fixture
def fake_manager(monkeypatch):
    """A font manager that knows only DejaVu; the rebuilt one also knows a CJK font."""
    old = types.SimpleNamespace(ttflist=[_entry("DejaVu Sans", "/f/DejaVuSans.ttf")])
    calls = []
    state = {"after": [_entry("DejaVu Sans", "/f/DejaVuSans.ttf"),
                       _entry("Noto Sans CJK SC", "/f/NotoSansCJK-Regular.ttc")]}

    def load(*, try_read_cache=True):
        calls.append(try_read_cache)
        return types.SimpleNamespace(ttflist=list(state["after"]))

    monkeypatch.setattr(fm, "fontManager", old)
    monkeypatch.setattr(fm, "_load_fontmanager", load)
    monkeypatch.setattr(fonts, "_covers", lambda path, text=fonts._PROBE: "CJK" in str(path))
    monkeypatch.setattr(fonts, "_CACHE_REFRESHED", False)
    return old, calls, state


def test_refresh_finds_a_newly_installed_font(fake_manager):
    old, calls, _ = fake_manager
    assert fonts.find_cjk_font() == "Noto Sans CJK SC"
    assert calls == [False]                       # rebuilt without reading the stale cache
    assert fm.fontManager is old and len(old.ttflist) == 2   # updated in place
    assert fonts.find_cjk_font() == "Noto Sans CJK SC" and calls == [False]


def test_refresh_happens_once_then_english(fake_manager):
    old, calls, state = fake_manager
    state["after"] = [_entry("DejaVu Sans", "/f/DejaVuSans.ttf")]
    assert fonts.find_cjk_font() is None and calls == [False]
    assert fonts.find_cjk_font() is None and calls == [False]      # not rebuilt a second time
    with pytest.warns(fonts.CJKFontWarning, match="fall back to English"):
        assert fonts.setup_language("zh") == ("en", None)
    assert calls == [False]


def test_no_refresh_when_asked_not_to(fake_manager):
    _, calls, _ = fake_manager
    assert fonts.find_cjk_font(refresh=False) is None and calls == []
