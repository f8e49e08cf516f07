"""Tests of spatialnqpf.report.fonts: CJK font discovery and the English fallback."""
from __future__ import annotations

import warnings

import matplotlib
import pytest

matplotlib.use("Agg")

from spatialnqpf.report import fonts  # noqa: E402


@pytest.fixture(autouse=True)
def _restore_rc():
    with matplotlib.rc_context():
        yield


def test_found_font_really_has_chinese_glyphs():
    """Reference: the font file's own character map (FreeType), not the family name."""
    fam = fonts.find_cjk_font()
    if fam is None:
        pytest.skip("no CJK font installed on this machine")
    from matplotlib import font_manager as fm
    path = fm.findfont(fm.FontProperties(family=fam), fallback_to_default=False)
    from matplotlib.ft2font import FT2Font
    cmap = FT2Font(path).get_charmap()
    assert all(ord(ch) in cmap for ch in "东部西部中部东北新质生产力")


def test_zh_renders_without_missing_glyph_warnings(tmp_path):
    lang, fam = fonts.setup_language("zh", warn=False)
    if fam is None:
        pytest.skip("no CJK font installed on this machine")
    import matplotlib.pyplot as plt
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would raise here
        fig, ax = plt.subplots()
        ax.set_title("东部 2012−2022 年 Moran's I = −0.31")
        fig.savefig(tmp_path / "zh.png")
        plt.close(fig)
    assert lang == "zh" and matplotlib.rcParams["font.family"][:2] == ["DejaVu Sans", fam]


def test_fallback_to_english_with_warning(monkeypatch):
    monkeypatch.setattr(fonts, "find_cjk_font", lambda extra_paths=(): None)
    with pytest.warns(fonts.CJKFontWarning, match="fall back to English"):
        assert fonts.setup_language("zh") == ("en", None)


def test_english_and_bad_language():
    assert fonts.setup_language("en") == ("en", None)
    with pytest.raises(ValueError, match="'fr'"):
        fonts.setup_language("fr")


def test_extra_font_path_that_does_not_exist_is_ignored(tmp_path):
    fonts.find_cjk_font([tmp_path / "nope.ttf"])  # no error
