"""Fuzz the weight readers: GAL, GWT, dense CSV and edge lists, well-formed and mutated."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spatialnqpf import weights as wts

from _fuzz import FUZZ, attempt

_IDS = [11, 12, 13, 14, 15, 21, 22, 23]


@st.composite
def matrices(draw):
    n = draw(st.integers(2, 5))
    ids = _IDS[:n]
    vals = st.one_of(st.just(0.0), st.just(1.0), st.floats(0.01, 10),
                     st.sampled_from([-1.0, float("nan"), float("inf"), 1e300]))
    m = np.array([[0.0 if i == j else draw(vals) for j in range(n)] for i in range(n)])
    if draw(st.booleans()):
        m[draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))] = draw(vals)
    return ids, m


def _gal(ids, m):
    lines = [str(len(ids))]
    for i, a in enumerate(ids):
        nb = [str(ids[j]) for j in range(len(ids)) if m[i, j] != 0]
        lines += [f"{a} {len(nb)}", " ".join(nb)]
    return "\n".join(lines) + "\n"


def _gwt(ids, m):
    lines = [f"0 {len(ids)} x id"]
    lines += [f"{ids[i]} {ids[j]} {m[i, j]!r}" for i in range(len(ids)) for j in range(len(ids))
              if m[i, j] != 0]
    return "\n".join(lines) + "\n"


def _dense(ids, m):
    head = "," + ",".join(map(str, ids))
    return "\n".join([head] + [f"{a}," + ",".join(repr(v) for v in row)
                               for a, row in zip(ids, m)]) + "\n"


def _edges(ids, m):
    rows = ["focal,neighbor,weight"]
    rows += [f"{ids[i]},{ids[j]},{m[i, j]!r}" for i in range(len(ids)) for j in range(len(ids))
             if m[i, j] != 0]
    return "\n".join(rows) + "\n"


WRITERS = {"gal": _gal, "gwt": _gwt, "csv": _dense, "edges.csv": _edges}


def _mutate(text, data):
    kind = data.draw(st.sampled_from(["none", "truncate", "drop_line", "junk", "dup_line"]))
    lines = text.splitlines()
    if kind == "truncate":
        return text[: data.draw(st.integers(0, max(0, len(text) - 1)))]
    if kind == "drop_line" and len(lines) > 1:
        k = data.draw(st.integers(0, len(lines) - 1))
        return "\n".join(lines[:k] + lines[k + 1:]) + "\n"
    if kind == "junk":
        k = data.draw(st.integers(0, len(lines) - 1))
        lines[k] = data.draw(st.sampled_from(["abc", "፩ 1", "11 x", ",,,", "nan nan nan"]))
        return "\n".join(lines) + "\n"
    if kind == "dup_line" and len(lines) > 1:
        k = data.draw(st.integers(1, len(lines) - 1))
        return "\n".join(lines[:k + 1] + [lines[k]] + lines[k + 1:]) + "\n"
    return text


@FUZZ
@given(matrices(), st.sampled_from(sorted(WRITERS)), st.data())
def test_read_gives_valid_weights_or_a_named_error(tmp_path_factory, mat, fmt, data):
    ids, m = mat
    text = _mutate(WRITERS[fmt](ids, m), data)
    p = tmp_path_factory.mktemp("w") / f"w.{fmt}"
    p.write_text(text, encoding="utf-8")
    g, err, _ = attempt(lambda: wts.read(p), p.name)
    if err is not None:
        return
    S = g.sparse.toarray()
    n = len(g.unique_ids)
    assert S.shape == (n, n)
    assert np.isfinite(S).all() and (S >= 0).all() and not np.diag(S).any()
    if text == WRITERS[fmt](ids, m):  # unmutated and accepted: the same matrix, by id
        pos = [ids.index(int(i)) for i in g.unique_ids]
        want = m[np.ix_(pos, pos)]
        if fmt == "gal":
            want = (want != 0).astype(float)
        np.testing.assert_allclose(S, want)
