"""Fuzz regions.normalize: codes, names, junk, containers, missing values."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spatialnqpf import regions
from spatialnqpf.regions import UnknownRegionError

from _fuzz import FUZZ

_PROV = regions.provinces()
_GOOD = (list(_PROV.index) + [str(c) for c in _PROV.index] + [f"{c}0000" for c in _PROV.index]
         + list(_PROV["name_zh"]) + list(_PROV["short_zh"]) + list(_PROV["name_en"]))
label = st.one_of(st.sampled_from(_GOOD), st.text(max_size=6), st.integers(-10, 10 ** 7),
                  st.floats(allow_nan=True, allow_infinity=True), st.none(), st.just(pd.NA),
                  st.sampled_from(["፩፩", "١١", "１１", "全国", "合计", "内蒙", "海南省", "吉林省"]),
                  st.lists(st.integers(), max_size=2), st.booleans())


def _valid(c, level):
    if level == "province":
        return c in set(regions.provinces(include_sar=True).index)
    return isinstance(c, int) and 100000 <= c <= 999999


@FUZZ
@given(st.lists(label, min_size=1, max_size=6), st.sampled_from(["province", "city"]),
       st.sampled_from(["list", "series", "index", "array"]))
def test_normalize_gives_codes_or_names_the_labels(values, level, kind):
    box = {"list": list, "series": pd.Series, "index": lambda v: pd.Index(v, dtype=object),
           "array": lambda v: np.array(v, dtype=object)}[kind]
    try:
        out = regions.normalize(box(values), level=level)
    except UnknownRegionError as exc:
        msg = str(exc)
        assert exc.unknown or exc.ambiguous, msg
        for u in exc.unknown[:3]:
            assert repr(u) in msg or str(u) in msg, (u, msg)
    else:
        codes = list(out)
        assert len(codes) == len(values)
        assert all(_valid(int(c), level) for c in codes), codes
    co = regions.normalize(box(values), level=level, errors="coerce")
    assert len(co) == len(values)
    got = [None if (c is None or pd.isna(c)) else c for c in co]
    assert all(c is None or (isinstance(c, (int, np.integer)) and _valid(int(c), level))
               for c in got), got
    if kind in ("series", "index"):
        assert str(co.dtype) in ("int64", "Int64"), co.dtype


@FUZZ
@given(st.sampled_from(list(_PROV.index)))
def test_every_spelling_of_a_province_round_trips(code):
    row = _PROV.loc[code]
    spellings = [code, str(code), f"{code}0000", row["name_zh"], row["short_zh"], row["name_en"],
                 " " + row["short_zh"] + " ", row["name_en"].upper()]
    assert regions.normalize(spellings) == [code] * len(spellings)
