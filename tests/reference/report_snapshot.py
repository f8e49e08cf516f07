"""Snapshot of every deterministic number of the default ``spatialnqpf report``.

Recorded from the tree *before* the report was split into stage modules (issue 11,
"behaviour unchanged"), with::

    PYTHONPATH=. python tests/reference/report_snapshot.py

which runs :func:`spatialnqpf.report.builder.build_report` on the default
configuration (bundled demo panel, ``lang = "zh"``, seed 20240501) and writes
``tests/reference/report_snapshot.json``: a flat mapping ``"stage/key/row/column" ->
float``.  ``tests/test_report_snapshot.py`` re-runs the stages and compares every
number to 1e-9 relative.

Recorded: index weights and scores (and regional means), Moran's I with its analytic
z and p (randomisation), Dagum Gini and its components, Theil and CV, the Markov and
the spatial Markov test statistics, β-convergence (absolute, conditional, spatial),
the spatial panel coefficients, standard errors, log-likelihood and σ², and the
specification-search statistics.  Not recorded: permutation p-values, simulated
effects and bootstrap draws (seeded, but their streams are not part of the numbers
a refactor must keep) and timings.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SNAPSHOT = HERE / "report_snapshot.json"

#: (stage, key path inside StageOutcome.numbers, columns to keep or None for all numeric)
PICK = (
    ("index", ("weights",), None),
    ("index", ("scores",), None),
    ("index", ("mean_by_region",), None),
    ("autocorrelation", ("moran_by_year",), ("I", "E_I", "z_rand", "p_rand", "z_norm", "p_norm")),
    ("inequality", ("dagum",), None),
    ("inequality", ("theil",), None),
    ("inequality", ("cv",), None),
    ("dynamics", ("markov_P",), None),
    ("dynamics", ("markov_steady_state",), None),
    ("dynamics", ("spatial_markov_tests",), None),
    ("dynamics", ("beta_convergence",), None),
    ("dynamics", ("spatial_beta_convergence",), None),
    ("models", ("contiguity", "params"), None),
    ("models", ("contiguity", "bse"), None),
    ("models", ("contiguity", "llf"), None),
    ("models", ("contiguity", "sigma2"), None),
    ("models", ("distance", "params"), None),
    ("models", ("distance", "bse"), None),
    ("models", ("distance", "llf"), None),
    ("models", ("distance", "sigma2"), None),
    ("models", ("specification_search", "table"), ("statistic", "df", "p")),
)


def _key(x) -> str:
    if isinstance(x, tuple):
        return "|".join(map(str, x))
    if isinstance(x, (np.integer, float, np.floating)) and float(x).is_integer():
        return str(int(x))
    return str(x)


def _flatten(obj, prefix: str, columns, out: dict) -> None:
    if isinstance(obj, pd.DataFrame):
        cols = [c for c in obj.columns if columns is None or c in columns]
        for c in cols:
            if not pd.api.types.is_numeric_dtype(obj[c]):
                continue
            for i, v in obj[c].items():
                _flatten(v, f"{prefix}/{_key(i)}/{_key(c)}", None, out)
    elif isinstance(obj, pd.Series):
        for i, v in obj.items():
            _flatten(v, f"{prefix}/{_key(i)}", None, out)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if columns is not None and k not in columns and not isinstance(v, (dict, pd.Series,
                                                                                pd.DataFrame)):
                continue
            _flatten(v, f"{prefix}/{_key(k)}", columns, out)
    elif isinstance(obj, (bool, np.bool_)) or obj is None or isinstance(obj, str):
        return
    elif isinstance(obj, (int, float, np.integer, np.floating)):
        f = float(obj)
        out[prefix] = f if math.isfinite(f) else None


def extract(numbers_by_stage) -> dict:
    """Flat ``{"stage/key/.../column": float}`` of the picked numbers.

    ``numbers_by_stage`` maps a stage name to its ``numbers`` mapping.
    """
    out: dict = {}
    for stage, path, columns in PICK:
        obj = numbers_by_stage.get(stage, {})
        for k in path:
            obj = obj.get(k) if isinstance(obj, dict) else None
        if obj is None:
            raise KeyError(f"stage {stage!r} has no numbers {'/'.join(path)}")
        _flatten(obj, "/".join((stage, *path)), columns, out)
    return out


def compare(recorded: dict, now: dict, rtol: float = 1e-9, atol: float = 1e-12) -> list:
    """Keys whose values differ (or are missing) beyond ``rtol`` relative / ``atol`` absolute."""
    bad = []
    for k, ref in recorded.items():
        if k not in now:
            bad.append(f"{k}: missing (recorded {ref})")
            continue
        v = now[k]
        if ref is None or v is None:
            if ref is not v:
                bad.append(f"{k}: {v} != recorded {ref}")
            continue
        if abs(v - ref) > max(atol, rtol * abs(ref)):
            bad.append(f"{k}: {v!r} != recorded {ref!r}")
    return bad


def main() -> int:
    import tempfile

    from spatialnqpf.report.builder import build_report
    with tempfile.TemporaryDirectory() as tmp:
        res = build_report(None, out=Path(tmp) / "r", progress=False)
    numbers = {s.name: s.numbers for s in res.stages}
    snap = extract(numbers)
    SNAPSHOT.write_text(json.dumps({"_about": "see report_snapshot.py; default report, lang zh, "
                                              f"seed {res.footer['seed']}",
                                    "numbers": snap}, ensure_ascii=False, indent=0,
                                   sort_keys=True), encoding="utf-8")
    print(f"wrote {SNAPSHOT} ({len(snap)} numbers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
