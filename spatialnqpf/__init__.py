"""spatialnqpf: spatial econometrics of China's regional development.

Stages of the pipeline live in their own modules: :mod:`spatialnqpf.regions`
(province and city registry), :mod:`spatialnqpf.datasets` (bundled shapes and
demo panel), :mod:`spatialnqpf.index`, :mod:`spatialnqpf.weights`,
:mod:`spatialnqpf.autocorrelation`, :mod:`spatialnqpf.inequality`,
:mod:`spatialnqpf.dynamics`, :mod:`spatialnqpf.models`, :mod:`spatialnqpf.report` and
:mod:`spatialnqpf.batch` (robustness grids, bootstraps and Monte Carlo on processes or
Dask).  Submodules are imported lazily so that ``import spatialnqpf`` stays fast.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = {
    "regions", "datasets", "index", "weights", "autocorrelation", "inequality",
    "dynamics", "models", "report", "cli", "patterns", "network", "batch",
}


def __getattr__(name):  # PEP 562 lazy submodules
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'spatialnqpf' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
