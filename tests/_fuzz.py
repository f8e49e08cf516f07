"""Shared helpers of the property/fuzz suite (tests/test_fuzz_*.py).

Every generated input must give a correct result or one of the package's named errors
(:class:`spatialnqpf._validation.SpatialNQPFError` subclasses) whose message names the
offending value; never an internal exception, never NaN or a silently changed shape.
Hypothesis runs derandomised (the same examples on every run) with no deadline.
"""
from __future__ import annotations

import warnings

from hypothesis import HealthCheck, settings

from spatialnqpf._validation import SpatialNQPFError

FUZZ = settings(derandomize=True, deadline=None, max_examples=40, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


def attempt(fn, *names):
    """Run ``fn``; return (result, None, warned) or (None, error, warned) for a named error.

    Any exception that is not a SpatialNQPFError propagates (the test fails).  With
    ``names`` the named error's message must contain at least one of them.
    """
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            out = fn()
        except SpatialNQPFError as exc:
            msg = str(exc)
            assert msg.strip(), "a named error without a message"
            if names:
                assert any(str(n) in msg for n in names), (names, msg)
            return None, exc, w
    return out, None, w
