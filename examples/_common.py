"""Shared helpers of the example scripts: the demo index panel and an output folder.

Examples never write into the current directory: outputs go to
``$SPATIALNQPF_EXAMPLE_OUT`` or a fresh temporary folder.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd


def output_dir(name: str) -> Path:
    base = os.environ.get("SPATIALNQPF_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="spatialnqpf-")
    out = Path(base) / name
    out.mkdir(parents=True, exist_ok=True)
    return out


def demo_index_panel() -> pd.DataFrame:
    """The demo panel with the technology-pillar entropy-TOPSIS index as column ``index``.

    The 31 unpublished ``hitech_revenue`` cells of 2017 are interpolated within
    each province (the index result lists them in ``missing_report``).
    """
    import warnings

    from spatialnqpf import datasets, index
    raw = datasets.load_demo_panel()
    ind = index.demo_indicators(raw)
    system = index.demo_system().select(pillars=["technology"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", index.IndexWarning)  # reported on the next line instead
        res = index.entropy_topsis(ind, system=system, id="code", time="year", missing="interpolate")
    print(f"index: {len(res.missing_report)} missing cell(s) interpolated (hitech_revenue, 2017)")
    scores = res.scores.rename("index").reset_index()
    return raw.merge(scores, on=["code", "year"])
