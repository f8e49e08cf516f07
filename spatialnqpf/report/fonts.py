"""Find a font that renders Chinese glyphs in matplotlib, or fall back to English.

Matplotlib's default DejaVu Sans has no CJK glyphs: Chinese labels then come out
as empty boxes and matplotlib emits "Glyph ... missing from font" warnings.
:func:`find_cjk_font` looks through the fonts matplotlib knows for a family with
CJK coverage (Noto/Source Han, WenQuanYi, SimHei, Microsoft YaHei, PingFang,
Droid Sans Fallback, ...); :func:`setup_language` installs it and returns the
language the figures can actually use ("zh" only when such a font exists).
"""
from __future__ import annotations

import warnings
from pathlib import Path

__all__ = ["CJK_FAMILIES", "find_cjk_font", "setup_language", "language_rc", "CJKFontWarning"]

#: Preferred CJK families, best first (Simplified Chinese coverage).
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "Noto Serif CJK SC", "Source Han Serif SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
    "Microsoft YaHei", "SimHei", "SimSun", "PingFang SC", "Hiragino Sans GB", "Heiti SC",
    "STHeiti", "Sarasa Gothic SC", "AR PL UMing CN", "AR PL UKai CN", "Droid Sans Fallback",
    "Noto Sans CJK JP", "Noto Sans CJK TC",
)

_PROBE = "中国省份新质生产力"


class CJKFontWarning(UserWarning):
    """No font with Chinese glyphs was found; figures use English labels."""


def _covers(path: str, text: str = _PROBE) -> bool:
    """True when the font file at ``path`` has a glyph for every character of ``text``."""
    try:
        from matplotlib.ft2font import FT2Font
        font = FT2Font(str(path))
        cmap = font.get_charmap()
        return all(ord(ch) in cmap for ch in text)
    except Exception:  # unreadable font files are simply not candidates
        return False


_CACHE_REFRESHED = False


def _refresh_font_cache() -> bool:
    """Rebuild matplotlib's font list once per process (a font installed after the cache
    was written, e.g. ``apt-get install fonts-noto-cjk``, is invisible until then).

    The instance ``font_manager.fontManager`` is updated in place, as matplotlib itself does
    when a cached font file has gone, so references held elsewhere see the new fonts; the
    rebuilt list is written back to matplotlib's cache file.  Returns True when a rebuild
    was done now, False when it had already been done.
    """
    global _CACHE_REFRESHED
    if _CACHE_REFRESHED:
        return False
    _CACHE_REFRESHED = True
    from matplotlib import font_manager as fm

    try:
        new_fm = fm._load_fontmanager(try_read_cache=False)
    except Exception as exc:  # an unwritable cache folder must not break the report
        warnings.warn(f"could not rebuild matplotlib's font cache: {exc}", CJKFontWarning,
                      stacklevel=3)
        return False
    vars(fm.fontManager).update(vars(new_fm))
    clear = getattr(getattr(fm.fontManager, "_findfont_cached", None), "cache_clear", None)
    if callable(clear):
        clear()
    return True


def find_cjk_font(extra_paths=(), refresh: bool = True) -> str | None:
    """Return the family name of an installed font with Chinese glyphs, or ``None``.

    Parameters
    ----------
    extra_paths : iterable of path-like
        Font files (.ttf/.otf/.ttc) to register with matplotlib first, e.g. a
        font the user downloaded (``[fonts] path`` in the report config).

    Notes
    -----
    Families in :data:`CJK_FAMILIES` are tried first; then any other font whose
    character map covers a probe string of common Chinese characters.  When none is
    found and ``refresh`` is true, matplotlib's font cache is rebuilt once per process
    and the search repeated (fonts installed after the cache was written are otherwise
    invisible until the cache file is deleted by hand).
    """
    from matplotlib import font_manager as fm

    for p in extra_paths or ():
        p = Path(p)
        if p.exists():
            fm.fontManager.addfont(str(p))
    fam = _search_cjk(fm)
    if fam is None and refresh and _refresh_font_cache():
        for p in extra_paths or ():  # the rebuilt manager does not know the added files
            p = Path(p)
            if p.exists():
                fm.fontManager.addfont(str(p))
        fam = _search_cjk(fm)
    return fam


def _search_cjk(fm) -> str | None:
    by_name = {}
    for f in fm.fontManager.ttflist:
        by_name.setdefault(f.name, f.fname)
    for fam in CJK_FAMILIES:
        if fam in by_name and _covers(by_name[fam]):
            return fam
    for name, path in sorted(by_name.items()):
        if any(k in name for k in ("CJK", "Han", "Hei", "Song", "Kai", "Ming", "Gothic", "Fallback")):
            if _covers(path):
                return name
    return None


def language_rc(lang: str) -> tuple[str, dict]:
    """``(effective_lang, rc)`` for one figure labelled in ``lang`` (``"en"`` or ``"zh"``).

    Unlike :func:`setup_language` nothing global changes: ``rc`` is meant for
    ``matplotlib.rc_context``.  Chinese puts the CJK font (:func:`find_cjk_font`) *after*
    DejaVu Sans, so Latin glyphs and digits come from DejaVu and Chinese glyphs fall back to
    the CJK font (Droid Sans Fallback, for one, has no Latin digits).  Without a CJK font: a
    :class:`CJKFontWarning` and English labels.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    if lang == "en":
        return "en", {}
    fam = find_cjk_font()
    if fam is None:
        warnings.warn("no font with Chinese glyphs found; the figure falls back to English labels",
                      CJKFontWarning, stacklevel=3)
        return "en", {}
    return "zh", {"font.family": ["DejaVu Sans", fam], "axes.unicode_minus": False}


def setup_language(lang: str = "zh", extra_paths=(), warn: bool = True) -> tuple[str, str | None]:
    """Configure matplotlib for ``lang`` and return ``(effective_lang, font_family)``.

    With ``lang="zh"`` a CJK font is searched (:func:`find_cjk_font`) and put first
    in ``rcParams["font.sans-serif"]`` (``axes.unicode_minus`` is switched off so the
    minus sign renders).  Without one, a :class:`CJKFontWarning` is issued and
    ``"en"`` is returned so callers label figures in English.  ``lang="en"``
    leaves the fonts alone.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    if lang == "en":
        return "en", None
    import matplotlib

    fam = find_cjk_font(extra_paths)
    if fam is None:
        if warn:
            warnings.warn("no font with Chinese glyphs found (tried: " + ", ".join(CJK_FAMILIES[:6])
                          + ", ...); figures fall back to English labels. Install e.g. "
                          "fonts-noto-cjk or set [fonts] path in the config.", CJKFontWarning,
                          stacklevel=2)
        return "en", None
    # Latin text and digits from DejaVu Sans, Chinese glyphs from the CJK font: matplotlib
    # (>= 3.6) falls back glyph by glyph along the family list.  Some CJK fonts (Droid Sans
    # Fallback) have no Latin digits, so the CJK font must not come first.
    sans = [f for f in matplotlib.rcParams.get("font.sans-serif", []) if f not in (fam, "DejaVu Sans")]
    matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans", fam] + sans
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", fam]  # glyph fallback needs explicit families
    matplotlib.rcParams["axes.unicode_minus"] = False
    return "zh", fam
