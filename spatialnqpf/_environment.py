"""Versions of Python, the platform, spatialnqpf and its dependencies (for report footers)."""
from __future__ import annotations

import platform
from importlib import metadata

__all__ = ["versions"]

#: label -> distribution name
_DISTRIBUTIONS = {"numpy": "numpy", "scipy": "scipy", "pandas": "pandas", "matplotlib": "matplotlib",
                  "geopandas": "geopandas", "shapely": "shapely", "libpysal": "libpysal",
                  "esda": "esda", "giddy": "giddy", "spreg": "spreg", "statsmodels": "statsmodels",
                  "openpyxl": "openpyxl", "python-docx": "python-docx"}


def versions() -> dict:
    """Python, platform and installed versions (from the installed distributions' metadata)."""
    from . import __version__
    out = {"python": platform.python_version(), "platform": platform.platform(),
           "spatialnqpf": __version__}
    for label, dist in _DISTRIBUTIONS.items():
        try:
            out[label] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[label] = "not installed"
    return out
