"""Yearbook intake: statistical-yearbook sheets (regions as rows, years as columns) → long panel.

China's statistical yearbooks (and the spreadsheets users copy out of them) publish one
indicator per table: a title row, a unit row (``单位：万元``), a header row of years, one
row per province (or city) with the name in its yearbook spelling (``北　京``, ``内蒙古``,
``黑龙江省``), a 全国 row, and footnotes (``注：…``, ``资料来源：…``) below; cells are
numbers, numbers stored as text (``"1,234.5"``, full-width ``"１２３"``) or missing marks
(``—``, ``…``, ``-``, ``/``, blank).  :func:`read_yearbook` reads a workbook of such sheets
(one sheet per indicator) into the package's long panel keyed by ``code`` and ``year`` and
returns with it a :class:`YearbookReport` that says what was read from where, which rows
were dropped and why, and every cell that was not a plain number, with its sheet and cell
address.

Our own parser: pandas ``read_excel`` reads rectangular tables with one header row; it
has no notion of title/unit/footnote rows, missing marks, yearbook region labels or merged
header cells, which is what this module adds (cells are read with openpyxl).
"""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import re
import unicodedata
import warnings
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ._results import Results
from ._validation import DataError, PanelError, did_you_mean, format_values

__all__ = ["read_yearbook", "YearbookReport", "YearbookWarning", "MISSING_MARKS",
           "TOTAL_LABELS", "unit_factor"]

#: Cell texts read as "missing" (after Unicode NFKC normalisation and stripping).
MISSING_MARKS = frozenset({
    "-", "--", "---", "—", "——", "–", "––", "─", "...", "......", "…", "……", "·", "··", "···",
    "/", "//", "\\", "NA", "N/A", "n.a.", "N.A.", "na", "nan", "NaN", "null", "NULL", "None",
    "#N/A", "空", "无",
})

#: Labels of total rows (dropped with a note); compared without spaces, case-insensitive.
TOTAL_LABELS = frozenset({
    "全国", "全国合计", "全国总计", "全国平均", "全国总体", "中国", "合计", "总计", "总和", "总体",
    "平均", "均值", "全省", "全省合计", "全市", "全市合计", "全区", "全区合计",
    "national", "nationaltotal", "nationwide", "total", "china", "all", "sum", "average", "mean",
    "不分地区", "未分地区", "中央", "中央单位", "中央级", "其他", "其它",
})
#: Labels of regional aggregate rows (dropped with a note).
AGGREGATE_LABELS = frozenset({
    "东部", "中部", "西部", "东北", "东部地区", "中部地区", "西部地区", "东北地区",
    "东部合计", "中部合计", "西部合计", "东北合计", "东部省份", "中部省份", "西部省份",
    "east", "central", "west", "northeast", "eastern", "western", "northeastern",
    "easternregion", "centralregion", "westernregion", "northeasternregion",
})
_FOOTNOTE = re.compile(r"^\s*(\*?\s*注|资料来源|数据来源|来源|说明|备注|附注|notes?\b|sources?\b)",
                       re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})\s*(年|年度|年末|年底)?$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_FOOTMARK = re.compile(r"[\u2460-\u2473\u2776-\u277f*#†‡]+$")   # ①..⑳ ❶..❿ * # † ‡
_UNIT_ROW = re.compile(r"(?:单位|計量單位|计量单位|unit)\s*:\s*([^\s,;)]+)", re.IGNORECASE)
_TITLE_UNIT = re.compile(r"\(([^()]{1,16})\)\s*$")
_TABLE_NO = re.compile(r"^(?:表\s*[A-Za-z]?\d+(?:[-—–.]\d+){0,2}\s*|[A-Za-z]?\d{1,2}(?:[-—–.]\d{1,2}){1,2}\s+)")

# unit prefixes (longest first) for :func:`unit_factor`
_PREFIXES = [("万亿", 10 ** 12), ("千亿", 10 ** 11), ("百亿", 10 ** 10), ("十亿", 10 ** 9),
             ("亿", 10 ** 8), ("千万", 10 ** 7), ("百万", 10 ** 6), ("十万", 10 ** 5),
             ("万", 10 ** 4), ("千", 10 ** 3), ("百", 10 ** 2)]
_UNIT_BASES = ("元", "人", "吨", "个", "件", "项", "户", "家", "篇", "册", "种", "台", "辆",
               "美元", "千瓦", "千瓦时", "瓦", "平方米", "立方米", "米", "公里", "千米", "平方公里",
               "公顷", "亩", "小时", "人次", "人年", "标准煤", "吨标准煤", "床", "张", "所", "次")


class YearbookWarning(UserWarning):
    """Cells that are neither numbers nor missing marks were read as missing."""


# --------------------------------------------------------------------------- units
def _split_unit(unit: str):
    u = unicodedata.normalize("NFKC", str(unit)).strip().replace(" ", "")
    for pre, mult in _PREFIXES:
        if u.startswith(pre) and len(u) > len(pre):
            rest = u[len(pre):]
            if pre == "千" and rest in ("克", "瓦", "瓦时", "米"):  # 千克, 千瓦, 千米 are base units
                break
            return mult, rest
    return 1, u


def unit_factor(source: str, target: str):
    """Factor that converts values in ``source`` units into ``target`` units.

    Chinese magnitude prefixes (百, 千, 万, 十万, 百万, 千万, 亿, 万亿) in front of the same
    base unit: ``unit_factor("万元", "亿元")`` is ``(10**4, 10**8)``, i.e. divide by 10 000.
    Returned as the exact integer pair ``(multiply, divide)`` so that the conversion is one
    floating-point operation (``x * m`` or ``x / d``).

    Raises
    ------
    DataError
        The base units differ (``万元`` → ``万人``) or a unit is empty.
    """
    if not str(source).strip() or not str(target).strip():
        raise DataError(f"cannot convert between units {source!r} and {target!r}")
    ms, bs = _split_unit(source)
    mt, bt = _split_unit(target)
    if bs != bt:
        raise DataError(f"cannot convert {source!r} to {target!r}: different base units "
                        f"({bs!r} vs {bt!r}); conversions change only the magnitude prefix "
                        "(百 千 万 十万 百万 千万 亿 万亿)")
    g = int(np.gcd(ms, mt))
    return ms // g, mt // g


def _convert(values: np.ndarray, factor) -> np.ndarray:
    m, d = factor
    out = values
    if m != 1:
        out = out * float(m)
    if d != 1:
        out = out / float(d)
    return out


# --------------------------------------------------------------------------- grid
def _col_letter(c: int) -> str:
    s = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


@dataclasses.dataclass
class _Grid:
    name: str
    values: np.ndarray          # object array of cell values (merged ranges filled)
    rows: np.ndarray            # original 0-based row of each grid row
    cols: np.ndarray            # original 0-based column of each grid column
    typed: bool                 # cells carry types (Excel) or are all text (CSV)
    merged: int = 0
    transposed: bool = False

    def addr(self, i: int, j: int) -> str:
        if self.transposed:
            return f"{_col_letter(int(self.rows[i]))}{int(self.cols[j]) + 1}"
        return f"{_col_letter(int(self.cols[j]))}{int(self.rows[i]) + 1}"

    def T(self) -> "_Grid":
        return _Grid(self.name, self.values.T.copy(), self.cols, self.rows, self.typed,
                     self.merged, not self.transposed)


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())


def _read_xlsx(path: Path) -> list[_Grid]:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise DataError("reading .xlsx needs openpyxl (pip install openpyxl)") from exc
    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:
        raise DataError(f"cannot read {path.name} as an Excel workbook: {exc}") from None
    grids = []
    for ws in wb.worksheets:
        nr, nc = ws.max_row or 0, ws.max_column or 0
        vals = np.empty((nr, nc), dtype=object)
        for i, row in enumerate(ws.iter_rows(min_row=1, max_row=nr, max_col=nc, values_only=True)):
            vals[i, :len(row)] = row
        merged = list(ws.merged_cells.ranges)
        for rng in merged:   # every cell of a merged range takes the value of its top-left cell
            r0, c0, r1, c1 = rng.min_row - 1, rng.min_col - 1, rng.max_row, rng.max_col
            vals[r0:r1, c0:c1] = vals[r0, c0]
        grids.append(_Grid(ws.title, vals, np.arange(nr), np.arange(nc), True, len(merged)))
    return grids


def _read_xls(path: Path) -> list[_Grid]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
    except ImportError as exc:
        raise DataError(f"reading the old .xls format needs the xlrd package ({exc}); "
                        "install it (pip install xlrd) or save the file as .xlsx") from None
    except Exception as exc:
        raise DataError(f"cannot read {path.name} as an .xls workbook: {exc}") from None
    grids = []
    for name, df in sheets.items():
        vals = df.to_numpy(dtype=object)
        vals = np.where(pd.isna(vals), None, vals)
        grids.append(_Grid(str(name), vals, np.arange(vals.shape[0]), np.arange(vals.shape[1]), True))
    return grids


def _read_csv(path: Path, encoding: str = "") -> list[_Grid]:
    encs = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    last = None
    for enc in encs:
        try:
            text = path.read_text(encoding=enc)
            break
        except UnicodeDecodeError as exc:
            last = exc
    else:
        raise DataError(f"cannot decode {path.name} with encodings {encs}: {last}")
    rows = list(csv.reader(text.splitlines()))
    nc = max((len(r) for r in rows), default=0)
    vals = np.empty((len(rows), nc), dtype=object)
    for i, r in enumerate(rows):
        vals[i, :len(r)] = [x if x.strip() else None for x in r]
    return [_Grid(path.stem, vals, np.arange(len(rows)), np.arange(nc), False)]


# --------------------------------------------------------------------------- cells
def _year_of(v):
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, np.integer)):
        y = int(v)
    elif isinstance(v, (float, np.floating)):
        if not np.isfinite(v) or v != int(v):
            return None
        y = int(v)
    elif isinstance(v, str):
        m = _YEAR.match(unicodedata.normalize("NFKC", v).strip())
        if not m:
            return None
        y = int(m.group(1))
    else:
        return None
    return y if 1900 <= y <= 2100 else None


def _parse_cell(v, typed: bool):
    """``(value, action)``: action None for a plain number, else what was done to the cell."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return np.nan, "blank"
    if isinstance(v, (bool, np.bool_)):
        return np.nan, "not a number (read as missing)"
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        return (f, None) if np.isfinite(f) else (np.nan, "not a number (read as missing)")
    if not isinstance(v, str):
        return np.nan, "not a number (read as missing)"
    raw = v.strip()
    if not raw:
        return np.nan, "blank"
    how = []
    m = _FOOTMARK.search(raw)
    if m and m.start() > 0:  # trailing footnote mark; removed before NFKC turns ① into 1
        raw = raw[:m.start()].rstrip()
        how.append("footnote mark")
    s = unicodedata.normalize("NFKC", raw).strip()
    if s in MISSING_MARKS:
        return np.nan, "missing mark"
    if s != raw:
        how.append("full-width characters")
    t = re.sub(r"[\s\u2009\u202f]+", "", s).replace("\u2212", "-")
    if t != s:
        how.append("spaces")
    if _THOUSANDS.match(t):
        t = t.replace(",", "")
        how.append("thousands separators")
    if not _NUMBER.match(t):
        return np.nan, "not a number (read as missing)"
    if how:
        return float(t), "number cleaned (" + ", ".join(how) + ")"
    return float(t), ("number stored as text" if typed else None)


def _label_key(v) -> str:
    s = unicodedata.normalize("NFKC", str(v))
    return re.sub(r"[\s\u3000:：]+", "", s).lower()


def _classify_label(v, level: str):
    """``(code, reason)``: a code, or None with a drop reason ('' = unknown label)."""
    from . import regions
    key = _label_key(v)
    if key in TOTAL_LABELS:
        return None, "total row"
    if key in AGGREGATE_LABELS:
        return None, "regional aggregate row"
    if level == "city" and key.endswith(("省", "自治区")):   # 吉林省 is a province, not 吉林市
        prov = regions.normalize([v], level="province", errors="coerce")[0]
        if prov is not None and not (isinstance(prov, float) and np.isnan(prov)):
            return None, f"province subtotal row (province {int(prov)})"
    code = regions.normalize([v], level=level, errors="coerce")[0]
    if (code is None or (isinstance(code, float) and np.isnan(code))) and isinstance(v, str):
        m = _FOOTMARK.search(v.strip())      # "西藏*", "河北①": a footnote mark on the label
        if m and m.start() > 0:
            code = regions.normalize([v.strip()[:m.start()]], level=level, errors="coerce")[0]
    if code is not None and not (isinstance(code, float) and np.isnan(code)):
        return int(code), None
    if level == "city":
        prov = regions.normalize([v], level="province", errors="coerce")[0]
        if prov is not None and not (isinstance(prov, float) and np.isnan(prov)):
            return None, f"province subtotal row (province {int(prov)})"
    return None, ""


# --------------------------------------------------------------------------- report
@dataclasses.dataclass(eq=False, repr=False)
class YearbookReport(Results):
    """What :func:`read_yearbook` read, from where, and what it did to the cells.

    Attributes
    ----------
    source : str
        The file read; ``checksum`` its SHA-256.
    level : {"province", "city"}
    sheets : DataFrame
        One row per sheet read: ``sheet, variable, title, unit, unit_out, factor, layout,
        header, labels, years, n_units, n_values, n_missing, n_cleaned, merged_ranges``
        (``header``/``labels`` are cell ranges; ``factor`` the unit conversion applied;
        ``n_cleaned`` the cells read from text).
    cells : DataFrame
        Every cell that was not a plain number, and every absent unit-year of a sheet:
        ``sheet, cell, <id>, <time>, variable, raw, action, value`` (``action``: ``blank``,
        ``missing mark``, ``number stored as text``, ``number cleaned (...)``, ``not a number
        (read as missing)``, ``absent row``).
    dropped : DataFrame
        Rows that were not read as units: ``sheet, cell, label, reason`` (total row,
        regional aggregate, province subtotal at city level, repeated header row, unknown
        label with ``unknown="drop"``, row without a label).
    labels : mapping
        Label as written → code.
    notes : tuple of str
        Footnotes of each sheet, skipped sheets, unit conversions.
    """

    source: str
    checksum: str
    level: str
    id: str
    time: str
    sheets: pd.DataFrame
    cells: pd.DataFrame
    dropped: pd.DataFrame
    labels: Mapping
    notes: tuple = ()
    _title = "Yearbook intake (read_yearbook)"

    def to_frame(self) -> pd.DataFrame:
        """The sheets table: what was read from where."""
        return self.sheets.set_index("sheet")

    def counts(self) -> pd.Series:
        """Number of cells by action (see :attr:`cells`)."""
        return self.cells["action"].value_counts().rename("cells")

    def _summary_notes(self) -> list:
        lines = [f"source: {self.source}"]
        if len(self.cells):
            lines.append("cells that were not plain numbers: " + ", ".join(
                f"{a}: {n}" for a, n in self.counts().items()))
            bad = self.cells[self.cells["action"].str.startswith("not a number")]
            if len(bad):
                lines.append("read as missing: " + format_values(
                    [f"{s}!{c}={r!r}" for s, c, r in bad[["sheet", "cell", "raw"]].itertuples(
                        index=False, name=None)], 15))
        for r in self.dropped.itertuples(index=False):
            lines.append(f"dropped {r.sheet}!{r.cell} {r.label!r}: {r.reason}")
        lines.extend(self.notes)
        return lines


# --------------------------------------------------------------------------- sheets
def _find_header(g: _Grid):
    """(row, {col: year}) of the row with the most distinct year cells, or (None, {})."""
    best, best_row = {}, None
    for i in range(g.values.shape[0]):
        ys = {}
        for j, v in enumerate(g.values[i]):
            y = _year_of(v)
            if y is not None:
                ys[j] = y
        if len(set(ys.values())) > len(set(best.values())):
            best, best_row = ys, i
    return best_row, best


def _cell_text(v) -> str:
    return "" if _blank(v) else unicodedata.normalize("NFKC", str(v)).strip()


def _parse_sheet(g: _Grid, variable, level, unknown, id, time, name_from):
    hr, ycols = _find_header(g)
    layout = "years as columns"
    if len(set(ycols.values())) < 2:
        gt = g.T()
        hr_t, ycols_t = _find_header(gt)
        if len(set(ycols_t.values())) >= 2:
            g, hr, ycols, layout = gt, hr_t, ycols_t, "years as rows (transposed)"
    if hr is None or not ycols:
        return None, f"sheet {g.name!r}: no header row of years found; skipped"
    counts = pd.Series(list(ycols.values())).value_counts()
    dups = counts[counts > 1]
    if len(dups):
        y = int(dups.index[0])
        where = [g.addr(hr, j) for j, yy in ycols.items() if yy == y]
        raise DataError(f"sheet {g.name!r}: year {y} heads several columns ({', '.join(where)}); "
                        "sheets with sub-columns under each year are not supported: keep one "
                        "column per year (or pass the sheet as a long table)")
    nrow, ncol = g.values.shape
    first_year_col = min(ycols)
    cand = [j for j in range(first_year_col)] or [j for j in range(ncol) if j not in ycols]
    # footnotes: first row below the header whose first non-empty cell starts like 注： / 资料来源：
    end = nrow
    for i in range(hr + 1, nrow):
        texts = [_cell_text(v) for v in g.values[i] if not _blank(v)]
        if texts and isinstance(next(v for v in g.values[i] if not _blank(v)), str) \
                and _FOOTNOTE.match(texts[0]):
            end = i
            break
    body = range(hr + 1, end)
    # label column: the candidate column with the most recognised labels
    best_j, best_n = None, 0
    for j in cand:
        n = 0
        for i in body:
            v = g.values[i, j]
            if not _blank(v):
                code, reason = _classify_label(v, level)
                n += code is not None or bool(reason)
        if n > best_n:
            best_j, best_n = j, n
    if best_j is None:
        firsts = [g.values[i, cand[0]] for i in body if cand and not _blank(g.values[i, cand[0]])][:5]
        raise DataError(f"sheet {g.name!r}: no column of {level} labels found left of the years "
                        f"(header row {int(g.rows[hr]) + 1}); first column holds "
                        f"{format_values(firsts)}")
    # title, unit
    above = [_cell_text(v) for i in range(hr) for v in g.values[i] if not _blank(v)]
    above += [_cell_text(g.values[hr, j]) for j in range(ncol) if j not in ycols and not _blank(g.values[hr, j])]
    above = list(dict.fromkeys(above))
    raw_text = {}  # NFKC text -> the text as written (titles are reported as written)
    for i in range(hr + 1):
        for j in range(ncol):
            v = g.values[i, j]
            if not _blank(v):
                raw_text.setdefault(_cell_text(v), str(v).strip())
    unit = ""
    for t in above:
        m = _UNIT_ROW.search(t)
        if m:
            unit = m.group(1)
            break
    titles = [t for t in above if not _UNIT_ROW.search(t) and t != _cell_text(g.values[hr, best_j])]
    title = raw_text.get(titles[0], titles[0]) if titles else ""
    if not unit:
        for t in titles:
            m = _TITLE_UNIT.search(t)
            if m and any(b in m.group(1) for b in _UNIT_BASES + ("%",)):
                unit = m.group(1).strip()
                break
    if variable is None:
        if name_from == "title":
            if not title:
                raise DataError(f"sheet {g.name!r}: no title cell to name the variable; pass "
                                "variables={sheet: name} or name_from='sheet'")
            t = titles[0]
            variable = _TITLE_UNIT.sub("", _TABLE_NO.sub("", t)).strip() or t
        else:
            variable = g.name
    # rows
    recs, dropped, cells, labels, unknown_cells, seen = [], [], [], {}, [], {}
    for i in body:
        lab = g.values[i, best_j]
        vals = [g.values[i, j] for j in ycols]
        if _blank(lab):
            if any(not _blank(v) for v in vals):
                dropped.append({"sheet": g.name, "cell": g.addr(i, best_j), "label": None,
                                "reason": "row without a label"})
            continue
        code, reason = _classify_label(lab, level)
        if code is None and [_year_of(v) for v in vals] == list(ycols.values()):
            reason = "repeated header row"
        if code is None:
            if reason:
                dropped.append({"sheet": g.name, "cell": g.addr(i, best_j), "label": lab,
                                "reason": reason})
            elif unknown == "drop":
                dropped.append({"sheet": g.name, "cell": g.addr(i, best_j), "label": lab,
                                "reason": "unknown label"})
            else:
                unknown_cells.append((lab, g.addr(i, best_j)))
            continue
        if code in seen:
            raise PanelError(f"sheet {g.name!r}: {level} {code} appears twice, at {seen[code][1]} "
                             f"({seen[code][0]!r}) and {g.addr(i, best_j)} ({lab!r})")
        seen[code] = (lab, g.addr(i, best_j))
        labels[str(lab)] = code
        for j, y in ycols.items():
            v = g.values[i, j]
            val, action = _parse_cell(v, g.typed)
            recs.append((code, y, val))
            if action is not None:
                cells.append({"sheet": g.name, "cell": g.addr(i, j), id: code, time: y,
                              "variable": variable, "raw": v, "action": action, "value": val})
    if unknown_cells:
        from . import regions
        labs = list(dict.fromkeys(lab for lab, _ in unknown_cells))
        try:
            regions.normalize(labs, level=level)
            msg = f"unknown {level} label(s): {format_values(labs)}"
        except regions.UnknownRegionError as exc:
            msg = str(exc)
        raise regions.UnknownRegionError(
            f"sheet {g.name!r}: {msg} (cells {', '.join(a for _, a in unknown_cells[:20])}); "
            "pass unknown='drop' to drop such rows (they are listed in the report)",
            unknown=labs)
    if not recs:
        raise DataError(f"sheet {g.name!r}: no {level} rows found below the header "
                        f"(row {int(g.rows[hr]) + 1})")
    long = pd.DataFrame(recs, columns=[id, time, variable])
    foot = [str(v).strip() for i in range(end, nrow) for v in g.values[i] if not _blank(v)]
    info = {"sheet": g.name, "variable": variable, "title": title, "unit": unit,
            "layout": layout,
            "header": f"{g.addr(hr, min(ycols))}:{g.addr(hr, max(ycols))}",
            "labels": f"{g.addr(body.start, best_j)}:{g.addr(body.stop - 1, best_j)}",
            "years": f"{min(ycols.values())}-{max(ycols.values())}",
            "n_units": len(seen), "n_values": int(long[variable].notna().sum()),
            "n_missing": int(long[variable].isna().sum()),
            "n_cleaned": sum(1 for c in cells if c["action"].startswith(("number", "not a"))),
            "merged_ranges": g.merged}
    return (long, info, dropped, cells, labels, foot), None


def _suggest(name, options) -> str:
    return did_you_mean(name, options, n=3, cutoff=0.4)


def read_yearbook(path, sheets=None, *, variables: Mapping | None = None,
                  level: str = "province", id: str = "code", time: str = "year",
                  name_from: str = "sheet", units=None, source_units: Mapping | None = None,
                  unknown: str = "raise", encoding: str = ""):
    """Read yearbook-layout sheets (regions as rows, years as columns) into a long panel.

    Each sheet holds one indicator: optional title and unit rows (``单位：万元``) above a
    header row of years (``2012``, ``"2012年"``; merged header cells are filled from their
    top-left cell), one row per province or city, and footnote rows (``注：``,
    ``资料来源：``, ``数据来源：``, ``说明：``) below, which end the table.  The header is
    the row with the most distinct year cells; a sheet whose years run down a column
    instead is read transposed.  The label column is the column left of the years with the
    most recognised region labels (:func:`spatialnqpf.regions.normalize`: codes, Chinese
    names with or without 省/市/自治区, spaced yearbook names, traditional characters,
    English and pinyin).

    Cells: numbers are read as they are (``.xlsx`` formulas by their cached values: a file
    written by a program that stores no values shows them blank); text is read as a number after Unicode NFKC
    normalisation (full-width digits), removal of spaces, thousands separators and a
    trailing footnote mark (``*``, ``#``, ``①``); :data:`MISSING_MARKS` (``—``, ``…``,
    ``-``, ``/``, ...) and blank cells are missing; any other text is read as missing with
    a :class:`YearbookWarning`.  Every such cell is listed in the report with its address.

    Rows: total rows (:data:`TOTAL_LABELS`: 全国, 合计, 总计, national, ...) and regional
    aggregates (东部地区 ...) are dropped with a note; at ``level="city"`` so are province
    subtotal rows (河北省).  An unknown label is an error listing every such label with
    its cell and "did you mean" suggestions (``unknown="drop"`` drops and reports them).

    Parameters
    ----------
    path : path-like
        ``.xlsx``/``.xlsm`` (read with openpyxl), ``.xls`` (needs xlrd) or ``.csv`` (one
        sheet named after the file; encodings utf-8 and gb18030 tried unless ``encoding``).
    sheets : list of str or int, optional
        Sheets to read (names or 0-based positions); default every sheet, skipping with a
        note the sheets without a header row of years.  An unknown name is an error that
        lists the workbook's sheets.
    variables : mapping, optional
        ``{sheet: variable}``; when given and ``sheets`` is not, exactly these sheets are
        read, in this order.
    level : {"province", "city"}
    id, time : str
        Names of the id and time columns of the result (``"code"``, ``"year"``).
    name_from : {"sheet", "title"}
        Variable name of a sheet not in ``variables``: the sheet name, or its title cell
        (table number such as ``表3-1`` and a trailing unit in parentheses removed).
    units : str or mapping, optional
        Target unit (one for every variable, or ``{variable: unit}``): values are converted
        from the sheet's unit (``单位：万元`` row, or ``（万元）`` at the end of the title)
        by :func:`unit_factor`, e.g. ``units={"rd_exp": "亿元"}`` divides by 10 000.  The
        conversion is recorded in the report.
    source_units : mapping, optional
        ``{variable: unit}`` overriding the unit found in the sheet.
    unknown : {"raise", "drop"}
        Unknown region labels.

    Returns
    -------
    panel : DataFrame
        Columns ``id``, ``time`` (ints) and one float column per sheet, one row per
        unit-year present in any sheet (absent unit-years of a sheet are NaN and listed in
        the report as ``absent row``), sorted by (id, time).  ``attrs`` holds ``units``
        (variable → unit after conversion), ``source``, ``id`` and ``time``.
    report : YearbookReport

    Raises
    ------
    DataError
        Unreadable file, unknown sheet, no year header or label column, duplicated years
        or variables, impossible unit conversion.
    PanelError
        A unit appearing twice in one sheet.
    spatialnqpf.regions.UnknownRegionError
        Unknown region labels (with their cells and suggestions).

    Examples
    --------
    >>> panel, report = read_yearbook("科技统计年鉴.xlsx", variables={"R&D经费": "rd_exp"},
    ...                               units={"rd_exp": "亿元"})  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
    """
    if level not in ("province", "city"):
        raise ValueError(f"level must be 'province' or 'city', got {level!r}")
    if unknown not in ("raise", "drop"):
        raise ValueError(f"unknown must be 'raise' or 'drop', got {unknown!r}")
    if name_from not in ("sheet", "title"):
        raise ValueError(f"name_from must be 'sheet' or 'title', got {name_from!r}")
    p = Path(path)
    if not p.exists():
        raise DataError(f"yearbook file not found: {str(p)!r}")
    ext = p.suffix.lower()
    if ext in (".xlsx", ".xlsm"):
        grids = _read_xlsx(p)
    elif ext == ".xls":
        grids = _read_xls(p)
    elif ext in (".csv", ".txt"):
        grids = _read_csv(p, encoding)
    else:
        raise DataError(f"unsupported yearbook file type {ext!r} ({p.name}); use .xlsx, .xls or .csv")
    by_name = {g.name: g for g in grids}
    names = [g.name for g in grids]
    variables = dict(variables or {})
    explicit = sheets is not None or bool(variables)
    if sheets is None:
        sheets = list(variables) if variables else names
    elif isinstance(sheets, (str, int)):
        sheets = [sheets]
    chosen = []
    for s in sheets:
        if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
            if not -len(grids) <= s < len(grids):
                raise DataError(f"sheet position {s} out of range: {p.name} has {len(grids)} "
                                f"sheet(s): {format_values(names)}")
            chosen.append(grids[s])
        elif str(s) in by_name:
            chosen.append(by_name[str(s)])
        else:
            raise DataError(f"no sheet {s!r} in {p.name}; its sheets are {format_values(names, 50)}"
                            + _suggest(s, names))
    extra = [k for k in variables if k not in [g.name for g in chosen]]
    if extra:
        raise DataError(f"variables names sheet(s) {format_values(extra)} that are not read; "
                        f"sheets read: {format_values([g.name for g in chosen])}")

    parts, infos, dropped, cells, labels, notes = [], [], [], [], {}, []
    for g in chosen:
        out, why = _parse_sheet(g, variables.get(g.name), level, unknown, id, time, name_from)
        if out is None:
            if explicit:
                raise DataError(why.replace("; skipped", ""))
            notes.append(why)
            continue
        long, info, drp, cl, lab, foot = out
        parts.append(long)
        infos.append(info)
        dropped += drp
        cells += cl
        labels.update(lab)
        notes += [f"{g.name}: {t}" for t in foot]
    if not parts:
        raise DataError(f"no sheet of {p.name} has a header row of years; sheets: {format_values(names)}")
    vnames = [i["variable"] for i in infos]
    dup = sorted({v for v in vnames if vnames.count(v) > 1})
    if dup:
        raise DataError(f"several sheets give the same variable {format_values(dup)}: "
                        + "; ".join(f"{i['sheet']!r} → {i['variable']!r}" for i in infos
                                    if i["variable"] in dup) + "; pass variables={sheet: name}")
    clash = [v for v in vnames if v in (id, time)]
    if clash:
        raise DataError(f"variable name(s) {format_values(clash)} clash with the id/time columns")

    # units
    src_over = dict(source_units or {})
    unit_out = {}
    for info in infos:
        v = info["variable"]
        if v in src_over:
            info["unit"] = str(src_over[v])
        target = units.get(v) if isinstance(units, Mapping) else units
        info["unit_out"], info["factor"] = info["unit"], 1.0
        if target:
            if not info["unit"]:
                raise DataError(f"sheet {info['sheet']!r}: no unit found (no 单位： row or unit in "
                                f"the title) to convert {v!r} to {target!r}; pass source_units="
                                f"{{{v!r}: ...}}")
            fac = unit_factor(info["unit"], target)
            info["unit_out"], info["factor"] = str(target), fac[0] / fac[1]
            if fac != (1, 1):
                part = next(pp for pp in parts if v in pp.columns)
                part[v] = _convert(part[v].to_numpy(dtype=float), fac)
                for c in cells:
                    if c["variable"] == v and np.isfinite(c["value"]):
                        c["value"] = float(_convert(np.array([c["value"]]), fac)[0])
                notes.append(f"{v}: converted from {info['unit']} to {target} "
                             f"(x {fac[0]}" + (f" / {fac[1]})" if fac[1] != 1 else ")"))
        unit_out[v] = info["unit_out"]
    if isinstance(units, Mapping):
        stray = [k for k in units if k not in vnames]
        if stray:
            raise DataError(f"units given for unknown variable(s) {format_values(stray)}; "
                            f"variables: {format_values(vnames)}")

    # assemble: outer join on (id, time); absent unit-years of a sheet are reported
    panel = parts[0]
    for part in parts[1:]:
        panel = panel.merge(part, on=[id, time], how="outer")
    panel = panel.sort_values([id, time], kind="mergesort").reset_index(drop=True)
    keys = pd.MultiIndex.from_frame(panel[[id, time]])
    for info, part in zip(infos, parts):
        have = pd.MultiIndex.from_frame(part[[id, time]])
        absent = keys.difference(have)
        if len(absent):
            for code, year in absent:
                cells.append({"sheet": info["sheet"], "cell": "", id: int(code), time: int(year),
                              "variable": info["variable"], "raw": None, "action": "absent row",
                              "value": np.nan})
            ids_ = sorted({int(c) for c, _ in absent})
            notes.append(f"{info['sheet']}: no row for {len(absent)} {id}-{time} pair(s) present in "
                         f"other sheets ({id} {format_values(ids_)}); read as missing")
    panel[id] = panel[id].astype("int64")
    panel[time] = panel[time].astype("int64")
    for v in vnames:
        panel[v] = panel[v].astype(float)
    panel = panel[[id, time] + vnames]
    panel.attrs = {"units": unit_out, "source": str(p), "id": id, "time": time}

    cell_cols = ["sheet", "cell", id, time, "variable", "raw", "action", "value"]
    cells_df = pd.DataFrame(cells, columns=cell_cols)
    bad = cells_df[cells_df["action"].str.startswith("not a number")]
    if len(bad):
        warnings.warn(f"{len(bad)} cell(s) are neither numbers nor missing marks and were read as "
                      "missing: " + format_values([f"{s}!{c}={r!r}" for s, c, r in
                                                   bad[["sheet", "cell", "raw"]].itertuples(
                                                       index=False, name=None)], 10)
                      + " (see report.cells)", YearbookWarning, stacklevel=2)
    sheet_cols = ["sheet", "variable", "title", "unit", "unit_out", "factor", "layout", "header",
                  "labels", "years", "n_units", "n_values", "n_missing", "n_cleaned", "merged_ranges"]
    ndrop = pd.DataFrame(dropped, columns=["sheet", "cell", "label", "reason"])
    unk = ndrop[ndrop["reason"] == "unknown label"]
    if len(unk):
        warnings.warn(f"{len(unk)} row(s) with unknown {level} labels dropped (unknown='drop'): "
                      + format_values([f"{s}!{c}={lab!r}" for s, c, lab in unk[
                          ["sheet", "cell", "label"]].itertuples(index=False, name=None)], 10),
                      YearbookWarning, stacklevel=2)
    if len(ndrop):
        notes.insert(0, f"dropped {len(ndrop)} row(s) that are not {level} units: " + "; ".join(
            f"{r}: {n}" for r, n in ndrop["reason"].value_counts().items()))
    h = hashlib.sha256(p.read_bytes()).hexdigest()
    report = YearbookReport(source=str(p), checksum=h, level=level, id=id, time=time,
                            sheets=pd.DataFrame(infos, columns=sheet_cols), cells=cells_df,
                            dropped=ndrop, labels=labels, notes=tuple(notes))
    return panel, report
