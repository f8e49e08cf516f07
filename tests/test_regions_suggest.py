"""'Did you mean' suggestions of regions.normalize's error (difflib over names and aliases)."""
from __future__ import annotations

import pytest

from spatialnqpf.regions import UnknownRegionError, normalize


@pytest.mark.parametrize("label, level, expected", [
    ("安微省", "province", [34]),              # one wrong character: 安徽省
    ("Guangdon", "province", [44]),            # truncated English name
    ("Inner Mongolai", "province", [15]),
    ("Shanxii", "province", [14, 61]),         # 山西 and 陕西 both offered, closest first
    ("深圳巿", "city", [440300]),               # 巿 (U+5DFF) for 市
])
def test_unknown_label_gets_suggestions(label, level, expected):
    with pytest.raises(UnknownRegionError) as err:
        normalize(["北京", label], level=level)
    assert err.value.unknown == [label]
    assert err.value.suggestions == {label: expected}
    assert f"did you mean: {label!r} -> " in str(err.value)


def test_no_suggestion_for_a_label_like_nothing():
    with pytest.raises(UnknownRegionError) as err:
        normalize(["火星省", 99])
    assert err.value.suggestions == {} and "did you mean" not in str(err.value)
