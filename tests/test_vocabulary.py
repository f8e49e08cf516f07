"""The package's argument vocabulary, checked on every public signature so that it cannot drift.

The vocabulary (issue 11, item 3):

* ``id="code"`` and ``time="year"`` (or ``time=None`` for a cross-section) are keyword-only
  arguments with those defaults, in every public function, models included;
* ``seed`` defaults to 0 (turned into a Generator by :func:`spatialnqpf._validation.as_generator`);
* ``w`` is one spatial weights object (``ws`` a mapping name → weights, ``w_error`` the W of an
  error process, ``w_<role>`` other weights objects); ``w2`` is not a name;
* standardisation is ``standardize=`` (values ``"row"``/``"none"``/...), never ``transform=``;
* the effects method is ``effects_method=``; ``effects`` only ever means a bool switch;
* ``weights`` is not an argument name: observation weights are ``obs_weights``, the index
  weighting scheme is ``scheme``, a vector of indicator weights is ``indicator_weights``.
"""
from __future__ import annotations

import dataclasses
import importlib
import inspect

import pytest

from spatialnqpf._results import Results

MODULES = [
    "spatialnqpf.index", "spatialnqpf.weights", "spatialnqpf.weights.io",
    "spatialnqpf.weights.describe", "spatialnqpf.autocorrelation", "spatialnqpf.inequality",
    "spatialnqpf.dynamics", "spatialnqpf.regions", "spatialnqpf.datasets", "spatialnqpf.models",
    "spatialnqpf.models.cross_section", "spatialnqpf.models.panel",
    "spatialnqpf.models.specification", "spatialnqpf.models.results",
]

FORBIDDEN = {
    "w2": "w_error", "transform": "standardize (or decay for distance weights)",
    "weights": "obs_weights / scheme / indicator_weights / ws", "weights_label": "w_label",
    "random_state": "seed", "rng": "seed", "effect_method": "effects_method",
}


def _public_names(mod):
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n, v in vars(mod).items() if not n.startswith("_")
                 and getattr(v, "__module__", "").startswith("spatialnqpf")]
    return [n for n in names if not n.startswith("_")]


def public_callables():
    """(qualified name, callable) for every public function and public method of the package."""
    seen, out = set(), []
    for mname in MODULES:
        mod = importlib.import_module(mname)
        for name in _public_names(mod):
            obj = getattr(mod, name)
            if inspect.isfunction(obj):
                targets = [(f"{mname}.{name}", obj)]
            elif inspect.isclass(obj) and obj.__module__.startswith("spatialnqpf"):
                targets = []
                for k, v in vars(obj).items():
                    if not inspect.isfunction(v) or (k.startswith("_") and k != "__init__"):
                        continue
                    # the generated __init__ of a result record lists its stored fields
                    if k == "__init__" and (issubclass(obj, Results)
                                            or dataclasses.is_dataclass(obj)):
                        continue
                    targets.append((f"{mname}.{name}.{k}", v))
            else:
                continue
            for q, f in targets:
                if id(f) not in seen:
                    seen.add(id(f))
                    out.append((q, f))
    return out


def violations(qualname, f) -> list:
    """Every departure of ``f``'s signature from the vocabulary."""
    bad = []
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return bad
    for p in sig.parameters.values():
        n, d = p.name, p.default
        if n in ("id", "time"):
            if p.kind is not p.KEYWORD_ONLY:
                bad.append(f"{qualname}: {n!r} must be keyword-only")
            if n == "id" and d != "code":
                bad.append(f"{qualname}: id default must be 'code', got {d!r}")
            if n == "time" and d not in ("year", None):
                bad.append(f"{qualname}: time default must be 'year' or None, got {d!r}")
        if n == "seed" and d is not p.empty and d != 0:
            bad.append(f"{qualname}: seed default must be 0, got {d!r}")
        if n in FORBIDDEN:
            bad.append(f"{qualname}: argument {n!r} is not in the vocabulary; use "
                       f"{FORBIDDEN[n]}")
        if n == "effects" and not isinstance(d, bool):
            bad.append(f"{qualname}: 'effects' is a bool switch; the method is effects_method")
        if n == "standardize" and d not in ("row", "none", p.empty):
            bad.append(f"{qualname}: standardize default must be 'row' or 'none', got {d!r}")
        if n == "effects_method" and d != "auto":
            bad.append(f"{qualname}: effects_method default must be 'auto', got {d!r}")
    return bad


def test_walk_finds_the_public_api():
    names = {q for q, _ in public_callables()}
    # the walk must reach the main entry points (a walk that finds nothing passes nothing)
    for q in ("spatialnqpf.models.spatial_panel", "spatialnqpf.models.spatial_cross_section",
              "spatialnqpf.models.robustness", "spatialnqpf.autocorrelation.moran_residuals",
              "spatialnqpf.index.entropy_topsis", "spatialnqpf.inequality.dagum_gini_by_year",
              "spatialnqpf.dynamics.spatial_markov", "spatialnqpf.weights.distance",
              "spatialnqpf.weights.economic", "spatialnqpf.index.IndexResult.rank_table"):
        assert q in names, q
    assert len(names) > 80


def test_checker_catches_each_rule():
    def old(data, y, x, w, id, time, model="sar", w2=None, effects="auto", seed=None,
            weights=None, transform="r"):
        pass
    got = violations("old", old)
    assert len(got) == 9, got
    for word in ("'id' must be keyword-only", "'time' must be keyword-only", "id default",
                 "time default", "seed default", "'w2'", "'weights'", "'transform'", "effects_method"):
        assert any(word in g for g in got), word

    def new(data, y, x, w, *, id="code", time=None, seed=0, effects_method="auto",
            obs_weights=None, standardize="row", effects=True):
        pass
    assert violations("new", new) == []


@pytest.mark.parametrize("qualname,f", public_callables(), ids=lambda v: v if isinstance(v, str) else "")
def test_signature_follows_vocabulary(qualname, f):
    assert violations(qualname, f) == []


def test_cross_section_accepts_a_single_year_of_a_panel():
    """``time=None`` is a cross-section; a one-year slice of a panel passes straight in."""
    import numpy as np
    import pandas as pd

    from spatialnqpf import weights
    from spatialnqpf._validation import PanelError
    from spatialnqpf.models import spatial_cross_section

    w = weights.knn(k=4)
    ids = sorted(w.unique_ids)
    rng = np.random.default_rng(3)
    x = rng.normal(size=len(ids))
    frame = pd.DataFrame({"code": ids, "year": 2022, "x": x,
                          "y": 1 + 0.5 * x + rng.normal(size=len(ids))})
    a = spatial_cross_section(frame, "y", ["x"], w, model="sar")
    b = spatial_cross_section(frame, "y", ["x"], w, time="year", model="sar")
    pd.testing.assert_series_equal(a.params, b.params)
    two = pd.concat([frame, frame.assign(year=2021)])
    with pytest.raises(PanelError, match="2021, 2022"):
        spatial_cross_section(two, "y", ["x"], w, time="year", model="sar")
