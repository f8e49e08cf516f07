"""Region registry and label normalisation.

Reference: GB/T 2260 codes and official names in spatialnqpf/data/provinces.csv
(copied from shared/data, independent of the registry table in regions.py), and
hand-written label variants as they appear in yearbooks, Stata files and papers.
"""
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import regions
from spatialnqpf.regions import UnknownRegionError, normalize


def _official():
    with resources.files("spatialnqpf.data").joinpath("provinces.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh)


OFFICIAL = _official()

# Hand-written variants: traditional characters, suffixes, English, romanisations, spacing.
HAND = [
    ("北　京", 11), ("北 京", 11), ("黑 龙 江", 23), ("内蒙古自治区", 15), ("新疆维吾尔自治区", 65),
    ("广西壮族自治区", 45), ("宁夏回族自治区", 64), ("西藏自治区", 54), ("内蒙古", 15),
    ("內蒙古", 15), ("內蒙古自治區", 15), ("遼寧", 21), ("黑龍江省", 23), ("江蘇省", 32),
    ("山東", 37), ("廣東省", 44), ("廣西壯族自治區", 45), ("重慶市", 50), ("貴州", 52),
    ("雲南省", 53), ("陝西", 61), ("甘肅", 62), ("寧夏", 64), ("新疆維吾爾自治區", 65),
    ("臺灣", 71), ("台灣", 71), ("澳門", 82), ("澳门特别行政区", 82), ("香港特别行政区", 81),
    ("Inner Mongolia", 15), ("Nei Mongol", 15), ("Neimenggu", 15), ("Nei Menggu", 15),
    ("inner mongolia autonomous region", 15), ("INNER MONGOLIA", 15), ("Shaanxi", 61),
    ("Shanxi", 14), ("Shaanxi Province", 61), ("Shanxi Province", 14), ("shaanxi", 61),
    ("Tibet", 54), ("Xizang", 54), ("Tibet Autonomous Region", 54), ("Guangxi Zhuang Autonomous Region", 45),
    ("Ningxia Hui Autonomous Region", 64), ("Xinjiang Uygur Autonomous Region", 65),
    ("Xinjiang Uyghur", 65), ("Hong Kong", 81), ("Hong Kong SAR", 81), ("Macau", 82), ("Macao", 82),
    ("Peking", 11), ("Kwangtung", 44), ("Szechwan", 51), ("Beijing Municipality", 11),
    ("Chongqing Municipality", 50), ("Guangdong Province", 44), ("  Beijing  ", 11),
    ("Hei-long-jiang", 23), ("Heilongjiang", 23), ("Xi'an", None), ("Ｂｅｉｊｉｎｇ", 11),
    ("１１", 11), (11, 11), ("11", 11), ("110000", 11), (110000, 11), (65.0, 65), ("650000", 65),
    (np.int64(44), 44), ("4400", 44), ("11.0", 11), ("北京市", 11), ("北京", 11), ("天津市", 12),
    ("河北省", 13), ("河北", 13),
]


def _generated():
    """Per province: int code, two- and six-digit strings, full/short names, pinyin,
    spaced short name (yearbook layout, ideographic and ASCII spaces), lower/upper pinyin."""
    rows = []
    for r in OFFICIAL.itertuples(index=False):
        rows += [
            (r.code, r.code), (str(r.code), r.code), (f"{r.code}0000", r.code),
            (r.name_cn, r.code), (r.name_cn_short, r.code), (r.name_pinyin, r.code),
            ("\u3000".join(r.name_cn_short), r.code), (" ".join(r.name_cn), r.code),
            (r.name_pinyin.upper(), r.code), (f" {r.name_cn_short} ", r.code),
        ]
    return rows


CASES = [c for c in HAND if c[1] is not None] + _generated()


def test_enough_variants():
    assert len(CASES) >= 150


@pytest.mark.parametrize("label,code", CASES)
def test_normalize_variants(label, code):
    assert normalize(label) == code


def test_normalize_vectorised_keeps_container():
    labels = [c[0] for c in CASES]
    expected = [c[1] for c in CASES]
    assert normalize(labels) == expected
    s = pd.Series(["北京", "Shaanxi", "广东省"], index=["a", "b", "c"], name="prov")
    out = normalize(s)
    assert isinstance(out, pd.Series) and list(out.index) == ["a", "b", "c"] and out.name == "prov"
    assert out.tolist() == [11, 61, 44]
    arr = normalize(np.array(["北京", "上海"]))
    assert isinstance(arr, np.ndarray) and arr.tolist() == [11, 31]


def test_unknown_labels_listed_in_one_error():
    with pytest.raises(UnknownRegionError) as err:
        normalize(["北京", "Atlantis", "广东", "火星省", 99, "Xi'an"])
    msg = str(err.value)
    for bad in ("Atlantis", "火星省", "99", "Xi'an"):
        assert bad in msg
    assert set(err.value.unknown) == {"Atlantis", "火星省", 99, "Xi'an"}


def test_coerce_and_missing():
    out = normalize(pd.Series(["北京", "nowhere", None]), errors="coerce")
    assert out.tolist()[0] == 11 and pd.isna(out.iloc[1]) and pd.isna(out.iloc[2])
    with pytest.raises(UnknownRegionError):
        normalize([None])


def test_pandas_na_among_unknown_labels():
    """Regression: a string-dtype column (read_excel/read_csv with dtype="string") holds
    pd.NA for empty cells; with another unknown label listed first, ``v not in unknown``
    evaluated ``pd.NA == 'xx'`` and crashed with "boolean value of NA is ambiguous".
    Reference: hand-written labels (北京 = 11); both bad labels must be named."""
    s = pd.Series(["北京", "xx", pd.NA], dtype="string")
    with pytest.raises(UnknownRegionError) as err:
        normalize(s)
    assert "'xx'" in str(err.value) and "<NA>" in str(err.value)
    out = normalize(s, errors="coerce")
    assert out.iloc[0] == 11 and pd.isna(out.iloc[1]) and pd.isna(out.iloc[2])


def test_table_matches_official_names():
    p = regions.provinces()
    assert len(p) == 31 and not p["is_sar"].any()
    assert len(regions.provinces(include_sar=True)) == 34
    off = OFFICIAL.set_index("code")
    assert (p["name_zh"] == off["name_cn"]).all()
    assert (p["short_zh"] == off["name_cn_short"]).all()
    assert p[["lon", "lat"]].notna().all().all()


def test_region_groups_match_nbs_counts():
    # NBS four regions (docs/methods/weights.md §2): East 10, Central 6, West 12, Northeast 3.
    g = regions.groups()
    assert g.value_counts().to_dict() == {"West": 12, "East": 10, "Central": 6, "Northeast": 3}
    assert set(g[g == "East"].index) == {11, 12, 13, 31, 32, 33, 35, 37, 44, 46}
    assert set(g[g == "Northeast"].index) == {21, 22, 23}
    b = regions.groups(scheme="belt3")
    assert b[21] == "East" and b[22] == "Central" and b[15] == "West" and b[45] == "West"
    assert regions.groups(["广东", "Shanxi"], scheme="region4_zh").tolist() == ["东部", "中部"]
    with pytest.raises(UnknownRegionError):
        regions.groups([81])


def test_names():
    assert regions.names(44) == "广东省"
    assert regions.names(["Shaanxi", 14], lang="en") == ["Shaanxi", "Shanxi"]
    assert regions.names("Neimenggu", lang="short") == "内蒙古"


# Prefecture-level cities: six-digit GB/T 2260 codes (reference: the 2020 GB/T 2260 code list).
CITY_CASES = [
    ("广州市", 440100), ("广州", 440100), ("廣州", 440100), ("440100", 440100), ("4401", 440100),
    (440100, 440100), ("苏州市", 320500), ("深圳", 440300), ("延边朝鲜族自治州", 222400),
    ("吉林市", 220200), ("朝阳市", 211300), ("杭州", 330100), ("成都市", 510100),
    ("石家庄", 130100), ("乌鲁木齐市", 650100), ("拉萨", 540100), ("舟山市", 330900),
]


@pytest.mark.parametrize("label,code", CITY_CASES)
def test_normalize_cities(label, code):
    assert normalize(label, level="city") == code


def test_city_table_parents_and_errors():
    c = regions.cities()
    assert len(c) > 330
    assert set(c["province"]) <= set(regions.provinces(include_sar=True).index)
    assert (c.index // 10000 == c["province"]).all()
    assert set(regions.cities("广东").index) >= {440100, 440300, 441900}
    with pytest.raises(UnknownRegionError, match="Gotham"):
        normalize(["广州", "Gotham"], level="city")
