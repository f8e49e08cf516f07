"""Measure the differences the reference tests actually assert (for ``docs/validation.md``).

Off unless ``SPATIALNQPF_RECORD_OBSERVED=<path.json>`` is set (CI never sets it).  Then every
``numpy.testing.assert_allclose`` and ``pytest.approx`` comparison made by a test is measured
(largest absolute difference, and largest relative difference over reference values with
``|b| > 1e-8``) and attributed to the files of ``tests/reference/`` that the test read (opened
during the test itself, during the set-up of any fixture it uses, or when its module was
imported) whose numbers contain at least half of the comparison's reference values (those
with more than three significant digits, matched at ten).  At the end of the session the
maxima per reference file are written to the JSON file;
``tools/measure_observed.py`` runs this over the test modules named in
``tests/reference/MANIFEST.toml`` and stores ``tests/reference/OBSERVED.json``.

A comparison whose reference values merely share a few numbers with a file it read is still
attributed to that file, so the recorded figure is an upper bound on the difference from it.
"""
from __future__ import annotations

import json
import math
import os
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

REF_DIR = (Path(__file__).parent / "reference").resolve()
ENV = "SPATIALNQPF_RECORD_OBSERVED"

_state = {"test": None, "collect": None}
_fixture_files: dict = {}           # id(fixturedef) -> set of reference files
_module_files: dict = defaultdict(set)   # module path -> files opened at import
_test_files: dict = defaultdict(set)
_diffs: dict = defaultdict(list)    # test nodeid -> [(abs, rel, n)]
_stack: list = []


def _audit(event, args):
    if event != "open" or not args:
        return
    p = args[0]
    if not isinstance(p, (str, os.PathLike)):
        return
    try:
        rp = Path(os.fsdecode(p)).resolve()
    except (OSError, ValueError, TypeError):
        return
    name = rp.name
    if rp.parent.name == "__pycache__" and rp.parent.parent == REF_DIR:
        name = rp.name.split(".")[0] + ".py"        # an imported reference module
    elif rp.parent != REF_DIR:
        return
    if _stack:
        _stack[-1].add(name)
    elif _state["test"] is not None:
        _test_files[_state["test"]].add(name)
    elif _state["collect"] is not None:
        _module_files[_state["collect"]].add(name)


def _measure(actual, desired):
    try:
        a = np.asarray(actual, dtype=float)
        b = np.asarray(desired, dtype=float)
        a, b = np.broadcast_arrays(a, b)
    except (TypeError, ValueError):
        return
    ok = np.isfinite(a) & np.isfinite(b)
    if not ok.any():
        return
    d = np.abs(a[ok] - b[ok])
    big = np.abs(b[ok]) > 1e-8
    rel = float(np.max(d[big] / np.abs(b[ok][big]))) if big.any() else math.nan
    if _state["test"] is not None:
        vals = b[ok].ravel()
        vals = vals[(vals != np.round(vals))][:5000]
        _diffs[_state["test"]].append((float(d.max()), rel, int(ok.sum()), _keys(vals)))


def _keys(values) -> set:
    """Values with more than three significant digits (not hand-picked round numbers such as
    0.5 or 0.25), rounded to ten, for matching against a file's numbers."""
    return {float(f"{v:.9e}") for v in np.asarray(values, dtype=float).ravel()
            if np.isfinite(v) and float(f"{v:.3g}") != v}


_NUM = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_file_numbers: dict = {}


def _numbers(name: str) -> set:
    if name not in _file_numbers:
        try:
            text = (REF_DIR / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        vals = []
        for m in _NUM.finditer(text):
            try:
                vals.append(float(m.group()))
            except ValueError:
                pass
        vals = np.asarray(vals, dtype=float)
        _file_numbers[name] = _keys(vals[vals != np.round(vals)])
    return _file_numbers[name]


def pytest_configure(config):
    """Entry point when loaded as a plugin (``-p _observed``)."""
    if os.environ.get(ENV):
        install(config)


def install(config):
    """Patch the comparison functions and register the hooks (called from conftest)."""
    if config.pluginmanager.has_plugin("spatialnqpf-observed"):
        return
    import numpy.testing as npt

    orig_allclose = npt.assert_allclose

    def assert_allclose(actual, desired, *args, **kwargs):
        orig_allclose(actual, desired, *args, **kwargs)
        _measure(actual, desired)

    npt.assert_allclose = assert_allclose
    np.testing.assert_allclose = assert_allclose

    orig_approx = pytest.approx

    class _Recorded:
        # like pytest's ApproxBase: make ``ndarray == approx(...)`` defer to __eq__
        __array_ufunc__ = None
        __array_priority__ = 100

        def __init__(self, expected, *args, **kwargs):
            self._a = orig_approx(expected, *args, **kwargs)
            self._expected = expected

        def __eq__(self, actual):
            res = self._a == actual
            if res:
                exp = self._expected
                if isinstance(exp, dict):
                    try:
                        keys = list(exp)
                        _measure([actual[k] for k in keys], [exp[k] for k in keys])
                    except (KeyError, TypeError):
                        pass
                else:
                    _measure(actual, exp)
            return res

        def __ne__(self, actual):
            return not self.__eq__(actual)

        def __repr__(self):
            return repr(self._a)

    def approx(expected, *args, **kwargs):
        return _Recorded(expected, *args, **kwargs)

    pytest.approx = approx
    sys.addaudithook(_audit)
    config.pluginmanager.register(_Plugin(config.getoption("rootdir", None)), "spatialnqpf-observed")


class _Plugin:
    def __init__(self, _root):
        pass

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector):
        # a test module is imported (and its module-level reads happen) while it is collected
        prev = _state["collect"]
        if isinstance(collector, pytest.Module):
            _state["collect"] = str(collector.path)
        try:
            yield
        finally:
            _state["collect"] = prev

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        _stack.append(set())
        try:
            yield
        finally:
            files = _stack.pop()
            _fixture_files.setdefault(id(fixturedef), set()).update(files)
            if _stack:
                _stack[-1].update(files)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        _state["test"] = item.nodeid
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        _state["test"] = item.nodeid
        yield
        files = set(_test_files[item.nodeid]) | _module_files.get(str(item.path), set())
        info = getattr(item, "_fixtureinfo", None)
        if info is not None:
            for defs in info.name2fixturedefs.values():
                for fd in defs:
                    files |= _fixture_files.get(id(fd), set())
        item.user_properties.append(("reference_files", sorted(files)))
        _test_files[item.nodeid] = files

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item, nextitem):
        yield
        _state["test"] = None

    def pytest_sessionfinish(self, session, exitstatus):
        out = {}
        for test, files in _test_files.items():
            for d_abs, d_rel, n, keys in _diffs.get(test, []):
                for f in files:
                    # attribute a comparison to a file only when its reference values are (mostly)
                    # the file's numbers, not derived or hand-worked ones
                    if not keys or 2 * len(keys & _numbers(f)) < len(keys):
                        continue
                    r = out.setdefault(f, {"max_abs": 0.0, "max_rel": 0.0, "comparisons": 0,
                                           "numbers": 0, "tests": set()})
                    r["max_abs"] = max(r["max_abs"], d_abs)
                    if not math.isnan(d_rel) and d_rel >= r["max_rel"]:
                        r["max_rel"], r["max_rel_test"] = d_rel, test
                    r["comparisons"] += 1
                    r["numbers"] += n
                    r["tests"].add(test.split("::")[0])
        for r in out.values():
            r["tests"] = sorted(r["tests"])
        Path(os.environ[ENV]).write_text(json.dumps(out, indent=1, sort_keys=True) + "\n",
                                         encoding="utf-8")
