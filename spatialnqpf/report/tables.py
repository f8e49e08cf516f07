r"""Journal-layout tables: regression tables and generic frames, in six formats.

A :class:`Table` is a frozen grid of formatted cells plus the raw numbers behind
them.  It is written as a LaTeX booktabs three-line table, a Word ``.docx``
(python-docx), an Excel ``.xlsx`` (openpyxl), CSV, HTML and Markdown.  Every cell
keeps the float it was formatted from, so the exported files can be checked
against ``results.json``.

Two builders:

* :func:`regression_table` — one column per model (or per weight matrix), the
  layout of applied spatial econometrics papers (docs/methods/models.md §5.6): coefficient with
  its standard error (or t) in parentheses underneath, significance stars
  ``*** p<0.01, ** p<0.05, * p<0.1``, spatial parameters, σ², fixed-effect flags,
  N, R², log-likelihood, and direct / indirect / total effects under the
  coefficients.
* :func:`frame_table` — any :class:`pandas.DataFrame` (Moran by year, Dagum
  decomposition, index weights, ...).

Stars use two-sided p-values: the model's ``pvalues`` when present, otherwise
:math:`p = 2\,(1 - \Phi(|b / se|))`.

No estimation happens here.  Coefficients of a spatialnqpf result are read only
through its ``tidy()`` (:mod:`spatialnqpf._results`); a result of another library
(statsmodels) or a mapping is adapted once by :func:`tidy_of` from ``params``/``bse``.
A result with ``flags`` is marked in every cell (:data:`FLAG_MARK`, a note naming
the flag; ``Table.meta["flags"]``, ``to_dict()["flags"]``) and its effects are not
printed.
"""
from __future__ import annotations

import csv
import html as _html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "Cell", "Row", "Table", "stars", "format_number", "extract_model", "regression_table",
    "frame_table", "write_table", "write_workbook", "write_document", "LABELS", "term_label",
    "tidy_of", "md_escape", "FLAG_MARK", "format_p", "MISSING",
    "translate_decision", "translate_specification", "lee_yu_label", "SPEC_TESTS_ZH",
    "SPEC_DECISIONS_ZH", "FE_ZH",
    "DOCX_STYLE", "journal_styles", "apply_journal_fonts", "append_blocks",
]

#: Fixed labels of the regression layout, Chinese and English.
LABELS = {
    "zh": {
        "rho": "ρ (W×y)", "lambda": "λ (W×u)", "sigma2": "σ²", "nobs": "样本量 N",
        "r2": "R²", "llf": "对数似然值", "aic": "AIC", "fe_individual": "地区固定效应",
        "fe_time": "时间固定效应", "yes": "是", "no": "否", "direct": "直接效应",
        "indirect": "间接效应", "total": "总效应", "coefficients": "系数",
        "effects": "效应分解", "const": "常数项", "stars_note": "*** p<0.01, ** p<0.05, * p<0.1",
        "se_note": "括号内为标准误", "t_note": "括号内为 t 值", "variable": "变量",
        "statistics": "统计量",
        "flag_note": "{mark} {col}：该估计被标记（{codes}），不能按常规解释，效应分解未列出：{why}",
    },
    "en": {
        "rho": "ρ (W×y)", "lambda": "λ (W×u)", "sigma2": "σ²", "nobs": "Observations",
        "r2": "R²", "llf": "Log-likelihood", "aic": "AIC", "fe_individual": "Province FE",
        "fe_time": "Year FE", "yes": "YES", "no": "NO", "direct": "Direct effect",
        "indirect": "Indirect effect", "total": "Total effect", "coefficients": "Coefficients",
        "effects": "Effects", "const": "Constant", "stars_note": "*** p<0.01, ** p<0.05, * p<0.1",
        "se_note": "Standard errors in parentheses", "t_note": "t statistics in parentheses",
        "variable": "Variable", "statistics": "Statistics",
        "flag_note": "{mark} {col}: flagged fit ({codes}), not interpretable as it stands; effects "
                     "not shown: {why}",
    },
}


#: Appended to every cell of a flagged fit (the table notes name the flag).
FLAG_MARK = "†"

#: Column words of the raw-numbers sheet of a regression table (:meth:`Table.raw_frame`).
_RAW_WORDS = {
    "zh": {"term": "变量", "section": "部分", "estimate": "估计值", "se": "标准误", "t": "t 值",
           "p": "p 值", "stars": "显著性", "coefficients": "系数"},
    "en": {"term": "Variable", "section": "Part", "estimate": "estimate", "se": "std. error",
           "t": "t", "p": "p-value", "stars": "stars", "coefficients": "Coefficients"},
}


def _lang(lang: str) -> str:
    if lang not in LABELS:
        raise ValueError(f"lang must be one of {sorted(LABELS)}, got {lang!r}")
    return lang


def stars(p: float, levels: Sequence[float] = (0.01, 0.05, 0.1)) -> str:
    """Significance stars: ``***`` if p < levels[0], ``**`` if < levels[1], ``*`` if < levels[2].

    A missing p-value gives no stars.  Levels must be increasing.
    """
    if p is None or not np.isfinite(p):
        return ""
    lv = sorted(levels)
    for k, cut in enumerate(lv):
        if p < cut:
            return "*" * (len(lv) - k)
    return ""


def format_number(x, digits: int = 3) -> str:
    """Fixed-point text of ``x`` with ``digits`` decimals; ints stay ints; NaN → ``""``.

    Negative zero after rounding prints as ``0.000``.  Very large or very small
    magnitudes (``|x| >= 1e7`` or ``0 < |x| < 10**-digits``) use scientific notation
    so no value is shown as a misleading 0.000.
    """
    if x is None:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return "YES" if x else "NO"
    if isinstance(x, (int, np.integer)):
        return f"{int(x)}"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not np.isfinite(v):
        return "" if np.isnan(v) else ("inf" if v > 0 else "-inf")
    if v != 0 and (abs(v) >= 1e7 or abs(v) < 0.5 * 10.0 ** (-digits)):
        return f"{v:.{max(digits - 1, 1)}e}"
    s = f"{v:.{digits}f}"
    if float(s) == 0:
        s = s.lstrip("-")
    return s


#: Text of a cell that has no value by construction (e.g. a Markov row with no observations).
MISSING = "—"


def format_p(p, digits: int = 3) -> str:
    """A p-value in the one format of a p column: ``digits`` decimals, ``<0.001`` below 10**-digits.

    ``format_p(0.0234) == "0.023"``, ``format_p(7e-06) == "<0.001"``, ``format_p(1.0) ==
    "1.000"``; NaN or None gives ``""``.  A column formatted by this function never mixes
    fixed and scientific notation (as :func:`format_number` does for tiny values).
    """
    if p is None:
        return ""
    v = float(p)
    if not np.isfinite(v):
        return ""
    cut = 10.0 ** (-digits)
    if v < cut:
        return f"<{cut:.{digits}f}"
    return f"{v:.{digits}f}"


@dataclass(frozen=True)
class Cell:
    """One formatted cell and the number behind it (``value`` is ``None`` for text).

    ``p`` is the two-sided p-value behind the stars of a coefficient cell (written to
    the raw-numbers sheet of the Excel files), ``None`` elsewhere.
    """

    text: str
    value: float | None = None
    p: float | None = None


@dataclass(frozen=True)
class Row:
    """A table row: stub label, cells, and a kind.

    ``kind`` is ``"body"`` (ordinary values), ``"se"`` (the parenthesised line
    under a coefficient), ``"section"`` (a heading spanning the table; a rule is
    drawn above it) or ``"stat"`` (model statistics below the coefficients).
    """

    label: str
    cells: tuple[Cell, ...]
    kind: str = "body"


@dataclass(frozen=True)
class Table:
    """A frozen journal-layout table.

    Attributes
    ----------
    name : str
        File stem (``tables/<name>.tex`` ...).
    title : str
        Caption.
    stub : str
        Header of the label column.
    columns : tuple of str
        Headers of the value columns.
    rows : tuple of Row
    notes : tuple of str
        Lines printed under the bottom rule.
    """

    name: str
    title: str
    stub: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = ()
    meta: Mapping = field(default_factory=dict, compare=False)

    def __post_init__(self):
        k = len(self.columns)
        for r in self.rows:
            if r.kind != "section" and len(r.cells) != k:
                raise ValueError(f"row {r.label!r} of table {self.name!r} has {len(r.cells)} cells, "
                                 f"expected {k}")

    # ------------------------------------------------------------------ views
    def grid(self) -> list[list[str]]:
        """Header row then one list of strings per row (sections fill the first column)."""
        out = [[self.stub, *self.columns]]
        for r in self.rows:
            if r.kind == "section":
                out.append([r.label] + [""] * len(self.columns))
            else:
                out.append([r.label, *(c.text for c in r.cells)])
        return out

    def to_frame(self) -> pd.DataFrame:
        """Formatted cells as a DataFrame of strings (stub as index)."""
        g = self.grid()
        df = pd.DataFrame(g[1:], columns=g[0])
        return df.set_index(g[0][0] if g[0][0] else df.columns[0])

    def values(self) -> list[dict]:
        """Every numeric cell as ``{"row", "column", "value", "text"}`` (for results.json)."""
        out = []
        for i, r in enumerate(self.rows):
            for c, cell in zip(self.columns, r.cells):
                if cell.value is not None:
                    out.append({"row": i, "label": r.label, "kind": r.kind, "column": c,
                                "value": cell.value, "text": cell.text})
        return out

    def to_dict(self) -> dict:
        """JSON-ready description: title, header, formatted grid, notes and raw values."""
        return {"name": self.name, "title": self.title, "grid": self.grid(),
                "notes": list(self.notes), "values": self.values(),
                "flags": {str(k): [list(f) for f in v] for k, v in self.meta.get("flags", {}).items()}}

    def summary(self) -> str:
        """Plain-text rendering with aligned columns."""
        g = self.grid()
        width = [max(_textwidth(row[j]) for row in g) for j in range(len(g[0]))]

        def line(row):
            return "  ".join(_pad(v, width[j], left=j == 0) for j, v in enumerate(row))
        total = sum(width) + 2 * (len(width) - 1)
        parts = [self.title, "=" * total, line(g[0]), "-" * total]
        for r, row in zip(self.rows, g[1:]):
            if r.kind == "section":
                parts.append("-" * total)
            parts.append(line(row))
        parts.append("=" * total)
        parts.extend(self.notes)
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return self.to_html()

    # --------------------------------------------------------------- formats
    def to_latex(self, label: str | None = None, float_env: bool = True) -> str:
        """LaTeX booktabs three-line table (``\\toprule``, ``\\midrule``, ``\\bottomrule``).

        Needs ``\\usepackage{booktabs}``; Chinese text needs ``ctex`` or ``xeCJK``
        (compile with XeLaTeX).  Notes go in a ``tablenotes``-free footnote-size
        paragraph so the table compiles with booktabs alone.
        """
        ncol = len(self.columns)
        lines = ["% booktabs three-line table written by spatialnqpf; needs \\usepackage{booktabs}"]
        if any(ord(ch) > 0x2E80 for ch in "".join(sum(self.grid(), [])) + self.title + "".join(self.notes)):
            lines.append("% contains Chinese: compile with XeLaTeX and \\usepackage{ctex} (or xeCJK)")
        if float_env:
            lines += ["\\begin{table}[htbp]", "\\centering",
                      f"\\caption{{{latex_escape(self.title)}}}",
                      f"\\label{{{label or 'tab:' + self.name}}}"]
        lines.append("\\begin{tabular}{l" + "c" * ncol + "}")
        lines.append("\\toprule")
        lines.append(" & ".join(latex_escape(h) for h in [self.stub, *self.columns]) + " \\\\")
        lines.append("\\midrule")
        for r in self.rows:
            if r.kind == "section":
                lines.append("\\midrule")
                lines.append(f"\\multicolumn{{{ncol + 1}}}{{l}}{{\\textit{{{latex_escape(r.label)}}}}} \\\\")
                continue
            lines.append(" & ".join([latex_escape(r.label)] + [latex_escape(c.text) for c in r.cells])
                         + " \\\\")
        lines.append("\\bottomrule")
        lines.append("\\end{tabular}")
        if self.notes:
            lines.append("\\par\\vspace{2pt}{\\footnotesize " +
                         " \\\\ ".join(latex_escape(n) for n in self.notes) + "}")
        if float_env:
            lines.append("\\end{table}")
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        """GitHub-flavoured Markdown table with the title in bold and notes below.

        Every string is escaped with :func:`md_escape` (HTML special characters, link
        brackets, pipes), so a label such as ``<script>`` is shown, never run.
        """
        g = self.grid()
        esc = md_escape
        out = [f"**{esc(self.title)}**", "",
               "| " + " | ".join(esc(h) for h in g[0]) + " |",
               "|" + "|".join([":---"] + [":---:"] * len(self.columns)) + "|"]
        for r, row in zip(self.rows, g[1:]):
            cells = [esc(v) for v in row]
            if r.kind == "section":
                cells[0] = f"*{cells[0]}*"
            out.append("| " + " | ".join(cells) + " |")
        if self.notes:
            out.append("")
            out.extend(f"{esc(n)}  " for n in self.notes)
        return "\n".join(out) + "\n"

    def to_html(self) -> str:
        """HTML ``<table class="three-line">`` with caption and notes (no external CSS needed)."""
        e = _html.escape
        out = ['<table class="three-line" style="border-collapse:collapse;border-top:2px solid #000;'
               'border-bottom:2px solid #000;margin:0.5em 0">',
               f"<caption style=\"caption-side:top;font-weight:bold;text-align:left\">{e(self.title)}</caption>",
               "<thead><tr>" + "".join(
                   f'<th style="border-bottom:1px solid #000;padding:2px 10px;'
                   f'text-align:{"left" if j == 0 else "center"}">{e(h)}</th>'
                   for j, h in enumerate([self.stub, *self.columns])) + "</tr></thead>", "<tbody>"]
        for r in self.rows:
            if r.kind == "section":
                out.append(f'<tr><td colspan="{len(self.columns) + 1}" style="border-top:1px solid #000;'
                           f'font-style:italic;padding:2px 10px">{e(r.label)}</td></tr>')
                continue
            color = "color:#444;" if r.kind == "se" else ""
            out.append("<tr>" + f'<td style="padding:1px 10px;text-align:left">{e(r.label)}</td>' + "".join(
                f'<td style="padding:1px 10px;text-align:center;{color}">{e(c.text)}</td>'
                for c in r.cells) + "</tr>")
        out.append("</tbody></table>")
        if self.notes:
            out.append('<p class="table-notes" style="font-size:85%;margin-top:0">' +
                       "<br>".join(e(n) for n in self.notes) + "</p>")
        return "\n".join(out) + "\n"

    def to_csv(self, path=None) -> str:
        """CSV of the formatted grid (UTF-8 with BOM when written, so Excel shows Chinese)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for row in self.grid():
            w.writerow(row)
        for n in self.notes:
            w.writerow([n])
        text = buf.getvalue()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8-sig")
        return text

    def docx_blocks(self) -> list:
        """The Word XML of the table, built once: caption paragraph, table, note paragraphs.

        Chinese journal layout (see :data:`DOCX_STYLE`): every run carries explicit
        fonts (宋体 SimSun for East Asian text, Times New Roman for Latin text and
        numbers: ``w:rFonts`` ascii/hAnsi/eastAsia/cs), cells in 五号 (10.5 pt), notes
        in 9 pt; a three-line table: top and bottom rules 1.5 pt, a 0.75 pt rule
        under the header (and above a section heading), no vertical lines.  The
        elements are ``lxml`` elements of python-docx; :meth:`to_docx` and the
        report writers append deep copies of them, so one table is built once and
        reused for its own file, ``all_tables.docx`` and ``report.docx``.  Built
        as XML text in one pass: python-docx's ``Table.cell(i, j)`` re-walks the
        whole table on each call (quadratic in the number of cells).
        """
        from docx.oxml import parse_xml
        g = self.grid()
        widths = _docx_widths(g)
        st = DOCX_STYLE
        rows_xml = []
        last = len(g) - 1
        for i, row in enumerate(g):
            kind = "header" if i == 0 else self.rows[i - 1].kind
            prev_section = i > 0 and kind == "section"
            tcs = []
            for j, v in enumerate(row):
                top = st["rule_outer"] if i == 0 else (st["rule_inner"] if prev_section else None)
                bottom = (st["rule_inner"] if i == 0 else None)
                if i == last:
                    bottom = st["rule_outer"]
                tcs.append(_docx_tc(v, widths[j], "left" if j == 0 else "center", top, bottom,
                                    italic=kind == "section", size=st["cell_size"]))
            trpr = "<w:trPr><w:tblHeader/></w:trPr>" if i == 0 else "<w:trPr><w:cantSplit/></w:trPr>"
            rows_xml.append(f"<w:tr>{trpr}{''.join(tcs)}</w:tr>")
        nil = "".join(f'<w:{e} w:val="nil"/>' for e in ("top", "left", "bottom", "right",
                                                         "insideH", "insideV"))
        tbl = (f"<w:tbl {_W_NS}><w:tblPr><w:tblW w:w=\"0\" w:type=\"auto\"/><w:jc w:val=\"center\"/>"
               f"<w:tblBorders>{nil}</w:tblBorders><w:tblLayout w:type=\"autofit\"/>"
               "<w:tblCellMar><w:left w:w=\"80\" w:type=\"dxa\"/><w:right w:w=\"80\" w:type=\"dxa\"/>"
               "</w:tblCellMar><w:tblLook w:val=\"0000\" w:firstRow=\"0\" w:lastRow=\"0\" "
               "w:firstColumn=\"0\" w:lastColumn=\"0\" w:noHBand=\"1\" w:noVBand=\"1\"/></w:tblPr>"
               "<w:tblGrid>" + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths) + "</w:tblGrid>"
               + "".join(rows_xml) + "</w:tbl>")
        out = [parse_xml(_docx_p(self.title, "center", size=st["caption_size"], bold=True,
                                 keep_next=True, before=120)),
               parse_xml(tbl)]
        out += [parse_xml(_docx_p(n, "left", size=st["note_size"])) for n in self.notes]
        return out

    def to_docx(self, path=None, document=None, blocks=None):
        """Word three-line table via python-docx; returns the ``Document``.

        With ``document`` given, the caption, table and notes are appended to it
        (several tables in one file); with ``path`` the document is saved.
        ``blocks`` (the list of :meth:`docx_blocks`) reuses a table already built:
        deep copies of its elements are appended.
        """
        import docx
        doc = document if document is not None else docx.Document()
        if document is None:
            journal_styles(doc)
        append_blocks(doc, blocks if blocks is not None else self.docx_blocks())
        if path is not None:
            doc.save(str(path))
        return doc

    def to_xlsx(self, path=None, workbook=None, sheet: str | None = None, raw: bool = True):
        """Excel sheets via openpyxl; returns the ``Workbook``.

        The journal sheet (three-line borders): cells whose text is exactly the
        formatted number are written as numbers (with a matching number format);
        cells with stars or parentheses are text.  Beside it (``raw=True``) the
        ``<name>_raw`` sheet of :meth:`raw_frame`: every number as a float at full
        precision, estimates, standard errors, p-values and stars in their own
        columns, so the workbook stays computable.
        """
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Border, Font, Side

        wb = workbook
        if wb is None:
            wb = Workbook()
            ws = wb.active
            ws.title = _sheet_name(sheet or self.name)
        else:
            ws = wb.create_sheet(_sheet_name(sheet or self.name, existing=wb.sheetnames))
        ws.cell(row=1, column=1, value=self.title).font = Font(bold=True)
        thick, thin = Side(style="medium"), Side(style="thin")
        ncol = len(self.columns) + 1
        header = [self.stub, *self.columns]
        r0 = 2
        for j, h in enumerate(header, start=1):
            c = ws.cell(row=r0, column=j, value=h)
            c.border = Border(top=thick, bottom=thin)
            c.alignment = Alignment(horizontal="left" if j == 1 else "center")
        for i, r in enumerate(self.rows, start=r0 + 1):
            ws.cell(row=i, column=1, value=r.label)
            if r.kind == "section":
                ws.cell(row=i, column=1).font = Font(italic=True)
                for j in range(1, ncol + 1):
                    ws.cell(row=i, column=j).border = Border(top=thin)
                continue
            for j, cell in enumerate(r.cells, start=2):
                c = ws.cell(row=i, column=j)
                num = _plain_number(cell)
                if num is not None:
                    c.value = num[0]
                    c.number_format = num[1]
                else:
                    c.value = cell.text
                c.alignment = Alignment(horizontal="center")
        last = r0 + len(self.rows)
        for j in range(1, ncol + 1):
            c = ws.cell(row=last, column=j)
            c.border = Border(top=c.border.top, bottom=thick)
        for k, n in enumerate(self.notes, start=last + 1):
            ws.cell(row=k, column=1, value=n).font = Font(size=8)
        ws.column_dimensions["A"].width = max(12, min(40, max(_textwidth(x[0]) for x in self.grid()) + 2))
        if raw:
            self._xlsx_raw(wb.create_sheet(_sheet_name(f"{(sheet or self.name)[:27]}_raw",
                                                       existing=wb.sheetnames)))
        if path is not None:
            wb.save(str(path))
        return wb

    def raw_frame(self) -> pd.DataFrame:
        """The numbers behind the table, one float per cell: the raw-numbers sheet.

        A regression layout (rows of standard errors under the coefficients) gives,
        per model column, the estimate, its standard error (or t), p-value and stars
        in their own columns, one row per term (``section``: coefficients, direct /
        indirect / total effects, statistics).  Any other table gives its grid with
        each numeric cell's float (full precision) and text cells as text.  A column
        of a flagged fit carries :data:`FLAG_MARK` in its header.
        """
        flagged = set(self.meta.get("flags", {}))
        mark = {c: (c + FLAG_MARK if c in flagged else c) for c in self.columns}
        if not any(r.kind == "se" for r in self.rows):
            recs = []
            for r in self.rows:
                if r.kind == "section":
                    continue
                recs.append([r.label] + [c.value if c.value is not None else (c.text or None)
                                         for c in r.cells])
            return pd.DataFrame(recs, columns=[self.stub or "", *(mark[c] for c in self.columns)])
        W = _RAW_WORDS[self.meta.get("lang", "en") if self.meta.get("lang") in _RAW_WORDS else "en"]
        below = W["t"] if self.meta.get("paren") == "t" else W["se"]
        cols = [self.stub or W["term"], W["section"]]
        for c in self.columns:
            cols += [f"{mark[c]} {W['estimate']}", f"{mark[c]} {below}", f"{mark[c]} {W['p']}",
                     f"{mark[c]} {W['stars']}"]
        recs, section = [], W["coefficients"]
        rows = list(self.rows)
        for i, r in enumerate(rows):
            if r.kind == "section":
                section = r.label
                continue
            if r.kind == "se":
                continue
            nxt = rows[i + 1] if i + 1 < len(rows) and rows[i + 1].kind == "se" else None
            rec = [r.label, section]
            for j, cell in enumerate(r.cells):
                se = nxt.cells[j].value if nxt is not None else None
                star = re.search(r"(\*+)", cell.text) if cell.p is not None else None
                value = cell.value if cell.value is not None else (cell.text or None)
                rec += [value, None if se is None or not np.isfinite(se) else se, cell.p,
                        star.group(1) if star else None]
            recs.append(rec)
        return pd.DataFrame(recs, columns=cols)

    def _xlsx_raw(self, ws) -> None:
        """Write :meth:`raw_frame` (title, header, floats as numbers, notes) on ``ws``."""
        from openpyxl.styles import Font
        df = self.raw_frame()
        ws.cell(row=1, column=1, value=self.title).font = Font(bold=True)
        for j, h in enumerate(df.columns, start=1):
            ws.cell(row=2, column=j, value=str(h)).font = Font(bold=True)
        for i, rec in enumerate(df.itertuples(index=False, name=None), start=3):
            for j, v in enumerate(rec, start=1):
                if v is None or (isinstance(v, float) and not np.isfinite(v)):
                    continue
                ws.cell(row=i, column=j, value=float(v) if isinstance(v, (float, np.floating)) else v)
        for k, n in enumerate(self.notes, start=len(df) + 3):
            ws.cell(row=k, column=1, value=n).font = Font(size=8)
        ws.column_dimensions["A"].width = max(12, min(40, max([_textwidth(str(x)) for x in df.iloc[:, 0]]
                                                                 + [8]) + 2))


# ---------------------------------------------------------------- helpers
def _textwidth(s: str) -> int:
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(s))


def _pad(s: str, width: int, left: bool) -> str:
    fill = " " * (width - _textwidth(s))
    return s + fill if left else fill + s


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}", "σ": r"$\sigma$", "ρ": r"$\rho$", "λ": r"$\lambda$",
                  "²": r"$^2$", "×": r"$\times$", "θ": r"$\theta$", "β": r"$\beta$", "≤": r"$\le$",
                  "≥": r"$\ge$", "−": "-", "<": r"$<$", ">": r"$>$",
                  "→": r"$\rightarrow$", "μ": r"$\mu$", "·": r"$\cdot$", "±": r"$\pm$",
                  "Δ": r"$\Delta$", "φ": r"$\phi$", "ε": r"$\varepsilon$", "≈": r"$\approx$",
                  "†": r"$^\dagger$", "π": r"$\pi$", "Σ": r"$\Sigma$"}


def md_escape(s) -> str:
    """Markdown text that shows ``s`` literally wherever the Markdown is rendered.

    HTML special characters become entities (as in the HTML writer: no raw tag or
    event handler survives), backslashes, brackets (no link or image can be formed),
    backticks and pipes (table cells) are backslash-escaped, and line breaks become
    spaces.
    """
    out = _html.escape(str(s), quote=False)
    for ch in ("\\", "`", "[", "]", "|"):
        out = out.replace(ch, "\\" + ch)
    return out.replace("\r", " ").replace("\n", " ")


def latex_escape(s) -> str:
    """Escape LaTeX special characters and map the Greek letters we use to math mode."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(s))


def _sheet_name(name: str, existing=()) -> str:
    base = re.sub(r"[\[\]\*\?/\\:]", "_", str(name))[:31] or "table"
    out, k = base, 1
    while out in existing:
        k += 1
        out = f"{base[:28]}_{k}"
    return out


def _plain_number(cell: Cell):
    """(number, format) when the cell's text is just its formatted value, else None."""
    if cell.value is None or not np.isfinite(cell.value):
        return None
    t = cell.text
    if re.fullmatch(r"-?\d+", t):
        return int(t), "0"
    m = re.fullmatch(r"-?\d+\.(\d+)", t)
    if m:
        return float(t), "0." + "0" * len(m.group(1))
    return None


#: Word layout of Chinese journals: fonts (East Asian / Latin), sizes in half-points
#: (21 = 10.5 pt 五号, 18 = 9 pt 小五), rules in eighths of a point (12 = 1.5 pt, 6 = 0.75 pt).
DOCX_STYLE = {"east_asia": "SimSun", "latin": "Times New Roman", "cell_size": 21,
              "caption_size": 21, "note_size": 18, "body_size": 21,
              "rule_outer": 12, "rule_inner": 6}

_W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(s) -> str:
    from xml.sax.saxutils import escape
    return escape(_XML_BAD.sub("", str(s)))


def _docx_rfonts() -> str:
    st = DOCX_STYLE
    return (f'<w:rFonts w:ascii="{st["latin"]}" w:hAnsi="{st["latin"]}" '
            f'w:eastAsia="{st["east_asia"]}" w:cs="{st["latin"]}"/>')


def _docx_run(text: str, size: int, bold: bool = False, italic: bool = False) -> str:
    """One ``w:r`` with explicit East Asian and Latin fonts (empty text: no run)."""
    if text == "":
        return ""
    rpr = (_docx_rfonts() + ("<w:b/><w:bCs/>" if bold else "") + ("<w:i/><w:iCs/>" if italic else "")
           + f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/><w:lang w:eastAsia="zh-CN"/>')
    return f'<w:r><w:rPr>{rpr}</w:rPr><w:t xml:space="preserve">{_xml_text(text)}</w:t></w:r>'


def _docx_p(text: str, align: str, size: int, bold: bool = False, italic: bool = False,
            keep_next: bool = False, before: int = 0, ns: bool = True) -> str:
    ppr = ("<w:keepNext/>" if keep_next else "") + \
        f'<w:spacing w:before="{before}" w:after="0" w:line="240" w:lineRule="auto"/><w:jc w:val="{align}"/>'
    return (f"<w:p{' ' + _W_NS if ns else ''}><w:pPr>{ppr}</w:pPr>"
            f"{_docx_run(text, size, bold, italic)}</w:p>")


def _docx_tc(text: str, width: int, align: str, top, bottom, italic: bool, size: int) -> str:
    """A table cell with only horizontal rules (``w:nil`` left/right: no vertical lines)."""
    edges = []
    for edge, sz in (("top", top), ("left", None), ("bottom", bottom), ("right", None)):
        if sz is None:
            edges.append(f'<w:{edge} w:val="nil"/>')
        else:
            edges.append(f'<w:{edge} w:val="single" w:sz="{sz}" w:space="0" w:color="000000"/>')
    return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/><w:tcBorders>{"".join(edges)}'
            f'</w:tcBorders><w:vAlign w:val="center"/></w:tcPr>'
            f"{_docx_p(text, align, size, italic=italic, ns=False)}</w:tc>")


def _docx_widths(grid, total: int = 9000) -> list[int]:
    """Column widths (twips) proportional to the widest text of each column (5.9 in in all)."""
    w = [max(4, min(40, max(_textwidth(r[j]) for r in grid))) for j in range(len(grid[0]))]
    s = sum(w)
    return [max(500, int(total * x / s)) for x in w]


def append_blocks(document, blocks) -> None:
    """Append deep copies of ``blocks`` (:meth:`Table.docx_blocks`) to the body of ``document``."""
    import copy
    body = document.element.body
    sect = body.find(_qn("w:sectPr"))
    for el in blocks:
        el = copy.deepcopy(el)
        if sect is not None:
            sect.addprevious(el)
        else:
            body.append(el)


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn
    return qn(tag)


def _set_fonts(rpr) -> None:
    """Explicit East Asian/Latin fonts on an ``w:rPr`` (theme font attributes removed)."""
    st = DOCX_STYLE
    rf = rpr.get_or_add_rFonts()
    for a in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        rf.attrib.pop(_qn(f"w:{a}"), None)
    for a, v in (("ascii", st["latin"]), ("hAnsi", st["latin"]), ("eastAsia", st["east_asia"]),
                 ("cs", st["latin"])):
        rf.set(_qn(f"w:{a}"), v)


class _DocxTemplate:
    """A blank ``.docx`` in the journal styles, built once; one file per table is its zip
    with the table's blocks as the body (python-docx would open its template and
    rebuild the package for each of the two dozen table files)."""

    def __init__(self):
        import io
        import zipfile

        import docx
        doc = docx.Document()
        journal_styles(doc)
        buf = io.BytesIO()
        doc.save(buf)
        with zipfile.ZipFile(buf) as z:
            self.entries = [(i.filename, z.read(i)) for i in z.infolist()]
        self.document = dict(self.entries)["word/document.xml"]

    def write(self, path, blocks) -> Path:
        import copy
        import zipfile

        from docx.opc.oxml import serialize_part_xml  # python-docx's own part writer
        from docx.oxml import parse_xml
        root = parse_xml(self.document)
        sect = root.find(_qn("w:body")).find(_qn("w:sectPr"))
        for el in blocks:
            sect.addprevious(copy.deepcopy(el))
        xml = serialize_part_xml(root)
        with zipfile.ZipFile(str(path), "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in self.entries:
                z.writestr(name, xml if name == "word/document.xml" else data)
        return Path(path)


_DOCX_TEMPLATE: list = []


def _docx_template() -> _DocxTemplate:
    if not _DOCX_TEMPLATE:
        _DOCX_TEMPLATE.append(_DocxTemplate())
    return _DOCX_TEMPLATE[0]


def journal_styles(document) -> None:
    """Document defaults and the Normal, Title and heading styles in the journal fonts (black text)."""
    from docx.shared import Pt, RGBColor
    styles = document.styles
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Caption"):
        try:
            style = styles[name]
        except KeyError:
            continue
        _set_fonts(style.element.get_or_add_rPr())
        if name != "Normal":
            style.font.color.rgb = RGBColor(0, 0, 0)
    styles["Normal"].font.size = Pt(DOCX_STYLE["body_size"] / 2)
    defaults = document.styles.element.find(_qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{_qn('w:rPrDefault')}/{_qn('w:rPr')}")
        if rpr is not None:
            _set_fonts(rpr)


def apply_journal_fonts(document) -> int:
    """Set the journal fonts on every run of ``document`` that has none; return how many runs.

    Runs built by :meth:`Table.docx_blocks` already carry them; this covers the
    headings, readings and captions the report writer adds with python-docx.
    """
    n = 0
    for r in document.element.body.iter(_qn("w:r")):
        rpr = r.get_or_add_rPr()
        rf = rpr.find(_qn("w:rFonts"))
        if rf is None or rf.get(_qn("w:eastAsia")) is None or rf.get(_qn("w:ascii")) is None:
            _set_fonts(rpr)
            n += 1
    return n


# ----------------------------------------------------------- model protocol
_FE_PAIRS = {"none": (False, False), "pooled": (False, False), "individual": (True, False),
             "time": (False, True), "twoways": (True, True), "random": (False, False)}


def _stat(result, name: str):
    """A fit statistic: attribute (or mapping key) ``name`` as a float, or None."""
    v = result.get(name) if isinstance(result, Mapping) else getattr(result, name, None)
    if v is None or callable(v):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _fe_of(result):
    fe = result.get("fe") if isinstance(result, Mapping) else getattr(result, "fe", None)
    if fe is None and not isinstance(result, Mapping):
        info = getattr(result, "info", None)
        fe = info.get("fe") if isinstance(info, Mapping) else None
    if fe is None:
        return None, None
    if isinstance(fe, (tuple, list)) and len(fe) == 2:
        return bool(fe[0]), bool(fe[1])
    from ..models._taxonomy import normalise_fe
    try:
        return _FE_PAIRS[normalise_fe(str(fe), allowed=tuple(_FE_PAIRS))]
    except ValueError:
        return None, None


def tidy_of(result) -> pd.DataFrame:
    """The coefficient table of ``result`` with the columns of :data:`spatialnqpf._results.TIDY_COLUMNS`.

    A spatialnqpf estimation result is read through its :meth:`tidy` (the one protocol of
    :mod:`spatialnqpf._results`; ``attrs["flags"]`` carries its flags).  A result of
    another library or a plain mapping is adapted once, here: it must expose labelled
    ``params`` and ``bse`` (statsmodels' names) and may give ``pvalues`` (two-sided
    normal p-values otherwise).
    """
    from .._results import EstimationResults, tidy_from_arrays
    if isinstance(result, EstimationResults):
        return result.tidy()
    get = result.get if isinstance(result, Mapping) else (lambda k: getattr(result, k, None))
    params, bse = get("params"), get("bse")
    if params is None or bse is None:
        raise TypeError(f"cannot tabulate {type(result).__name__}: it needs labelled 'params' and "
                        "'bse' (or a tidy() method)")
    params = pd.Series(params, dtype=float)
    bse = pd.Series(bse, dtype=float).reindex(params.index)
    pv = get("pvalues")
    td = tidy_from_arrays(params.index, params.to_numpy(), bse.to_numpy(),
                          p_value=None if pv is None else
                          pd.Series(pv, dtype=float).reindex(params.index).to_numpy())
    td.attrs["flags"] = []
    return td


def extract_model(result) -> dict:
    """Read a fitted model for a table: coefficients through :func:`tidy_of`, fit statistics.

    Statistics: ``nobs``, ``llf``, ``sigma2``, ``aic`` (attributes or mapping keys), R² as
    ``r2`` (the package's one name; mapping key ``r2``) or statsmodels' ``rsquared``, and
    ``fe`` (``"none"|"individual"|"time"|"twoways"``, an alias, or a pair of booleans).

    Returns
    -------
    dict with keys ``params``, ``bse``, ``pvalues`` (Series indexed by term), ``stats``
    (dict of floats or None), ``fe`` (pair of bools or None) and ``flags`` (tuple of
    ``(code, message)``).
    """
    from .._results import EstimationResults
    td = tidy_of(result)
    t = td.set_index("term")
    stats = {
        "nobs": _stat(result, "nobs"),
        "r2": _stat(result, "r2") if isinstance(result, (Mapping, EstimationResults))
        else _stat(result, "rsquared"),
        "llf": _stat(result, "llf"),
        "sigma2": _stat(result, "sigma2"),
        "aic": _stat(result, "aic"),
    }
    flags = tuple(tuple(f) for f in td.attrs.get("flags", ()))
    return {"params": t["estimate"], "bse": t["std_error"], "pvalues": t["p_value"], "stats": stats,
            "fe": _fe_of(result), "flags": flags}


def _flag_reasons(flags, lang: str) -> str:
    from .labels import flag_reasons  # the zh wording of the flag codes
    return flag_reasons(flags, _lang(lang))


def term_label(term: str, lang: str = "en", labels: Mapping | None = None) -> str:
    """Display label of a coefficient name (``W_x`` → ``W×<label of x>``; ρ, λ, σ², constant)."""
    L = LABELS[_lang(lang)]
    labels = labels or {}
    if term in labels:
        return labels[term]
    if term in ("rho", "lambda", "sigma2"):
        return L[term]
    if term.lower() in ("const", "intercept", "(intercept)", "constant", "cons", "_cons"):
        return L["const"]
    if term.startswith("W_"):
        return "W×" + term_label(term[2:], lang, labels)
    return term


def _effects_parts(eff: pd.DataFrame, kind: str):
    """(estimate, se, p) Series of one effect kind.

    ``eff`` is either ``tidy(kind="effects")`` (columns ``effect, term, estimate,
    std_error, p_value``) or the frame of ``SpatialResults.effects()`` (rows = regressors,
    columns ``direct``, ``direct_se``, ``direct_p``, ...).  A missing p-value is the
    two-sided normal one.
    """
    if "effect" in eff.columns and "term" in eff.columns:
        sub = eff[eff["effect"] == kind].set_index("term")
        if sub.empty:
            return None, None, None
        return (sub["estimate"].astype(float), sub["std_error"].astype(float),
                sub["p_value"].astype(float))
    if kind not in eff.columns:
        return None, None, None
    est = eff[kind].astype(float)
    se = eff[f"{kind}_se"].astype(float) if f"{kind}_se" in eff.columns else None
    p = eff[f"{kind}_p"].astype(float) if f"{kind}_p" in eff.columns else None
    if p is None and se is not None:
        from scipy import stats as _st
        with np.errstate(divide="ignore", invalid="ignore"):
            p = pd.Series(2 * _st.norm.sf(np.abs(est / se)), index=eff.index)
    return est, se, p


def regression_table(models, *, name: str = "regression", title: str | None = None,
                     lang: str = "en", labels: Mapping | None = None,
                     effects: Mapping | None = None, digits: int = 3,
                     paren: str = "se", order: Sequence[str] | None = None,
                     star_levels: Sequence[float] = (0.01, 0.05, 0.1),
                     extra_rows: Mapping | None = None, notes: Sequence[str] = ()) -> Table:
    """Side-by-side regression table in the layout of applied papers.

    Parameters
    ----------
    models : mapping of column title → result, or a sequence of results
        Each result is read with :func:`extract_model`.
    lang : {"en", "zh"}
        Language of the fixed labels (FE flags, N, R², ...).
    labels : mapping, optional
        Display labels of variable names (``W_x`` rows reuse the label of ``x``).
    effects : mapping of column title → DataFrame, optional
        Direct / indirect / total effects by variable for that column, e.g. the
        frame of ``res.effects()``; columns ``direct``, ``direct_se``,
        ``direct_p`` (or a (kind, stat) MultiIndex).  Printed under the
        coefficients in a section of their own with the same star convention.
    paren : {"se", "t"}
        What goes in parentheses under each coefficient.
    order : sequence of str, optional
        Coefficient order; default: regressors, then ``W_`` terms, then ρ/λ.
    extra_rows : mapping of label → mapping column → value, optional
        Additional statistic rows (e.g. a Hausman test).

    Returns
    -------
    Table
        Rows: coefficients with their parenthesised SE (or t), spatial
        parameters, σ²; the effects section; then FE flags, N, R² and the
        log-likelihood.  Stars: ``*** p<0.01, ** p<0.05, * p<0.1`` (two-sided).
    """
    lang = _lang(lang)
    L = LABELS[lang]
    if paren not in ("se", "t"):
        raise ValueError(f"paren must be 'se' or 't', got {paren!r}")
    if isinstance(models, Mapping):
        items = list(models.items())
    else:
        items = [(f"({k + 1})", m) for k, m in enumerate(models)]
    if not items:
        raise ValueError("regression_table needs at least one model")
    cols = tuple(str(k) for k, _ in items)
    ext = [extract_model(m) for _, m in items]
    flagged = {c: e["flags"] for c, e in zip(cols, ext) if e["flags"]}
    terms: list[str] = []
    for e in ext:
        for t in e["params"].index:
            if t not in terms:
                terms.append(str(t))
    if order is None:
        tail = [t for t in ("rho", "lambda") if t in terms]
        sig = [t for t in ("sigma2",) if t in terms]
        wx = [t for t in terms if t.startswith("W_")]
        x = [t for t in terms if t not in tail and t not in sig and t not in wx]
        order = x + wx + tail + sig
    else:
        unknown = [t for t in order if t not in terms]
        if unknown:
            raise KeyError(f"order names terms no model has: {unknown}")
    def coef_cells(b: float, se: float, p: float) -> tuple[Cell, Cell]:
        """Coefficient with stars, and the SE (or t) in parentheses below it."""
        below = se if paren == "se" else (b / se if se else float("nan"))
        text = format_number(below, digits if paren == "se" else 2)
        return (Cell(format_number(b, digits) + stars(p, star_levels), b, p),
                Cell(f"({text})" if np.isfinite(below) else "", below))

    rows: list[Row] = []
    for t in order:
        main, sub = [], []
        for c, e in zip(cols, ext):
            if t in e["params"].index and np.isfinite(e["params"][t]):
                cell, below = coef_cells(float(e["params"][t]), float(e["bse"][t]),
                                         float(e["pvalues"][t]))
                if c in flagged:
                    cell = Cell(cell.text + FLAG_MARK, cell.value, cell.p)
                main.append(cell)
                sub.append(below)
            else:
                main.append(Cell(""))
                sub.append(Cell(""))
        rows.append(Row(term_label(t, lang, labels), tuple(main), "body"))
        rows.append(Row("", tuple(sub), "se"))
    if effects:
        unknown = [k for k in effects if k not in cols]
        if unknown:
            raise KeyError(f"effects given for columns not in the table: {unknown}; columns: {list(cols)}")
        for kind in ("direct", "indirect", "total"):
            parts = {k: _effects_parts(v, kind) for k, v in effects.items()
                     if v is not None and k not in flagged}  # effects of a flagged fit are no result
            evars = []
            for est, _, _ in parts.values():
                if est is not None:
                    evars += [str(v) for v in est.index if str(v) not in evars]
            if not evars:
                continue
            rows.append(Row(L[kind], (), "section"))
            for v in evars:
                main, sub = [], []
                for c in cols:
                    est, se, p = parts.get(c, (None, None, None))
                    if est is not None and v in est.index:
                        cell, below = coef_cells(
                            float(est[v]), float(se[v]) if se is not None else float("nan"),
                            float(p[v]) if p is not None else float("nan"))
                        main.append(cell)
                        sub.append(below)
                    else:
                        main.append(Cell(""))
                        sub.append(Cell(""))
                rows.append(Row(term_label(v, lang, labels), tuple(main), "body"))
                rows.append(Row("", tuple(sub), "se"))
    stat_rows: list[Row] = []
    fe = [e["fe"] for e in ext]
    if any(f != (None, None) for f in fe):
        for k, key in enumerate(("fe_individual", "fe_time")):
            stat_rows.append(Row(L[key], tuple(
                Cell("" if f[k] is None else (L["yes"] if f[k] else L["no"])) for f in fe), "stat"))
    for key, dg in (("nobs", 0), ("r2", digits), ("llf", digits), ("aic", digits)):
        vals = [e["stats"][key] for e in ext]
        if all(v is None for v in vals):
            continue
        cells = []
        for v in vals:
            if v is None:
                cells.append(Cell(""))
            elif key == "nobs":
                cells.append(Cell(str(int(round(v))), float(v)))
            else:
                cells.append(Cell(format_number(v, dg), float(v)))
        stat_rows.append(Row(L[key], tuple(cells), "stat"))
    for lab, vals in (extra_rows or {}).items():
        stat_rows.append(Row(str(lab), tuple(
            Cell(format_number(vals.get(c), digits), _float_or_none(vals.get(c))) for c in cols), "stat"))
    if stat_rows:
        rows.append(Row(L["statistics"], (), "section"))
        rows.extend(stat_rows)
    note = [L["se_note"] if paren == "se" else L["t_note"], L["stars_note"], *notes]
    for c, fl in flagged.items():
        note.append(L["flag_note"].format(mark=FLAG_MARK, col=c, codes=", ".join(f[0] for f in fl),
                                          why=_flag_reasons(fl, lang)))
    return Table(name=name, title=title or L["coefficients"], stub=L["variable"], columns=cols,
                 rows=tuple(rows), notes=tuple(note),
                 meta={"flags": {c: [list(f) for f in fl] for c, fl in flagged.items()},
                       "lang": lang, "paren": paren})


def _float_or_none(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f


def frame_table(df: pd.DataFrame, *, name: str, title: str, digits: int | Mapping = 3,
                index: bool = True, stub: str | None = None, labels: Mapping | None = None,
                notes: Sequence[str] = (), percent: Iterable[str] = (),
                pvalues: Iterable[str] = (), na_rep: str = "") -> Table:
    """Any DataFrame as a three-line :class:`Table`.

    Parameters
    ----------
    df : DataFrame
        Values; numeric cells are formatted with ``digits`` decimals (or a mapping
        column → digits), text cells are kept.  A MultiIndex on columns is joined
        with ``" "``.
    index : bool
        Use the index as the stub column (otherwise the first column).
    labels : mapping, optional
        Relabel columns and index entries for display.
    percent : iterable of str
        Columns shown as percentages (value × 100 with a % sign; the raw share is
        kept as the cell value).
    pvalues : iterable of str
        Columns of p-values, shown by :func:`format_p` (one format per column: ``digits``
        decimals, ``<0.001`` below; the raw p is kept as the cell value); with MultiIndex
        columns the last level is matched.
    na_rep : str
        Text of a missing (NaN/None) cell; ``MISSING`` ("—") where a value does not exist
        by construction (a Markov row without observations), ``""`` by default.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"frame_table needs a DataFrame, got {type(df).__name__}")
    labels = dict(labels or {})
    d = df if index else df.set_index(df.columns[0])
    percent = set(percent)
    pvalues = set(pvalues)

    def lab(x):
        if isinstance(x, tuple):
            return " ".join(str(labels.get(p, p)) for p in x)
        return str(labels.get(x, x))
    cols = tuple(lab(c) for c in d.columns)
    rows = []
    for idx, rec in zip(d.index, d.itertuples(index=False, name=None)):
        cells = []
        for c, v in zip(d.columns, rec):
            dg = digits.get(c, 3) if isinstance(digits, Mapping) else digits
            if isinstance(v, (bool, np.bool_)):
                cells.append(Cell("YES" if v else "NO"))
            elif isinstance(v, (int, np.integer)):
                cells.append(Cell(str(int(v)), float(v)))
            elif isinstance(v, (float, np.floating)):
                fv = float(v)
                if np.isnan(fv):
                    cells.append(Cell(na_rep))
                elif c in percent and np.isfinite(fv):
                    cells.append(Cell(f"{fv * 100:.{max(dg - 2, 1)}f}%", fv))
                elif c in pvalues or (isinstance(c, tuple) and c[-1] in pvalues):
                    cells.append(Cell(format_p(fv, dg), fv))
                else:
                    cells.append(Cell(format_number(fv, dg), fv if np.isfinite(fv) else None))
            elif v is None or (pd.api.types.is_scalar(v) and pd.isna(v)):
                cells.append(Cell(na_rep))
            else:
                cells.append(Cell(str(v)))
        rows.append(Row(lab(idx), tuple(cells), "body"))
    stub_name = stub if stub is not None else (lab(d.index.name) if d.index.name is not None else "")
    return Table(name=name, title=title, stub=stub_name, columns=cols, rows=tuple(rows),
                 notes=tuple(notes))


# ------------------------------------------------- specification-search wording
#: Chinese names of the tests of the Elhorst sequence
#: (:func:`spatialnqpf.models.specification.specification_search`).
SPEC_TESTS_ZH = {
    "LM_lag": "LM 滞后检验", "LM_error": "LM 误差检验",
    "robust_LM_lag": "稳健 LM 滞后检验", "robust_LM_error": "稳健 LM 误差检验",
    "SARMA": "SARMA 检验",
    "LR_individual_effects": "LR 检验：个体效应", "LR_time_effects": "LR 检验：时间效应",
    "choice_of_fe": "固定效应选择", "Hausman_FE_vs_RE": "Hausman 检验：FE 对 RE",
    "Wald_SDM_vs_SAR": "Wald 检验：SDM 对 SAR", "Wald_SDM_vs_SEM": "Wald 检验：SDM 对 SEM",
    "LR_SDM_vs_SAR": "LR 检验：SDM 对 SAR", "LR_SDM_vs_SEM": "LR 检验：SDM 对 SEM",
    "decision": "模型选择",
    # step 6 (dynamic SDM, specification_search(dynamic=...))
    "LR dynamic vs static": "LR 检验：动态对静态",
    "Wald eta = 0 (W_y_lag)": "Wald 检验：η = 0（W×y(t−1)）",
    "Wald SDM -> SAR (theta = 0)": "Wald 检验：动态 SDM 对 SAR（θ = 0）",
    "Wald SDM -> SEM (theta + rho beta = 0)": "Wald 检验：动态 SDM 对 SEM（θ + ρβ = 0）",
    "Wald dynamic SDM -> dynamic SEM (theta + rho beta = 0, eta + rho tau = 0)":
        "Wald 检验：动态 SDM 对动态 SEM（θ + ρβ = 0，η + ρτ = 0）",
    "stability": "平稳性",
}

#: Chinese names of the fixed-effect types (``fe=`` of the spatial panel models).
FE_ZH = {"none": "无", "individual": "个体", "time": "时间", "twoways": "双向", "random": "随机效应"}

#: Chinese wording of the fixed decisions of the Elhorst sequence.
SPEC_DECISIONS_ZH = {
    "reject H0 (no spatial term)": "拒绝 H0（无空间项）",
    "do not reject": "不拒绝 H0",
    "effects jointly significant": "效应联合显著",
    "effects not significant": "效应不显著",
    "reject RE: fixed effects": "拒绝随机效应：采用固定效应",
    "RE not rejected; fixed effects kept (consistent either way)":
        "不拒绝随机效应；保留固定效应（两者均一致）",
    "not applicable (no unit effects)": "不适用（无个体效应）",
    "reject simplification": "拒绝简化",
    "simplification accepted": "接受简化",
    "both simplifications rejected": "两种简化均被拒绝",
    "SAR accepted and the robust LM tests agree": "接受 SAR，稳健 LM 检验与之一致",
    "SAR accepted but the robust LM tests point to an error: keep SDM":
        "接受 SAR，但稳健 LM 检验指向误差项：保留 SDM",
    "SEM accepted and the robust LM tests agree": "接受 SEM，稳健 LM 检验与之一致",
    "SEM accepted but the robust LM tests point to a lag: keep SDM":
        "接受 SEM，但稳健 LM 检验指向滞后项：保留 SDM",
    "both simplifications accepted: the one with the larger LR p-value":
        "两种简化均被接受：取 LR 检验 p 值较大者",
    "significant": "显著",
    "not significant": "不显著",
}

_RE_USE_FE = re.compile(r"^use fe='(\w+)'$")
_RE_CHOSEN = re.compile(r"^(SDM|SAR|SEM|SDEM|SAC|SLX): (.+)$")
_RE_INCONCLUSIVE = re.compile(r"^inconclusive \((.*)\); fixed effects kept$")
_RE_NOT_COMPUTED = re.compile(r"^not computed: (.*)$", re.S)


def translate_decision(text, lang: str = "zh"):
    """The decision text of a specification-search row in the report language.

    ``lang="en"`` returns ``text`` unchanged.  For ``"zh"`` the fixed phrases of
    :func:`spatialnqpf.models.specification.specification_search` are mapped
    (:data:`SPEC_DECISIONS_ZH`), as are the patterns ``"use fe='…'"``,
    ``"<MODEL>: <reason>"``, ``"inconclusive (<note>); fixed effects kept"`` and
    ``"not computed: <error>"`` (the embedded note or error message is kept
    verbatim).  Any other text is returned unchanged, so a new phrase of the
    models module shows up in English rather than disappearing.
    """
    if _lang(lang) == "en" or not isinstance(text, str):
        return text
    if text in SPEC_DECISIONS_ZH:
        return SPEC_DECISIONS_ZH[text]
    m = _RE_USE_FE.match(text)
    if m:
        fe = m.group(1)
        if fe == "none":
            return "不设固定效应（fe='none'）"
        return f"采用{FE_ZH[fe]}固定效应（fe='{fe}'）" if fe in ("individual", "time", "twoways") else text
    m = _RE_CHOSEN.match(text)
    if m:
        return f"{m.group(1)}：{translate_decision(m.group(2), lang)}"
    m = _RE_INCONCLUSIVE.match(text)
    if m:
        return f"无法判定（{m.group(1)}）；保留固定效应"
    m = _RE_NOT_COMPUTED.match(text)
    if m:
        return f"未计算：{m.group(1)}"
    return text


def translate_specification(df: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A copy of a specification-search table with words in the report language.

    Translates the ``test`` (:data:`SPEC_TESTS_ZH`), ``fe`` (:data:`FE_ZH`) and
    ``decision`` (:func:`translate_decision`) columns when present; numbers,
    other columns and unknown entries are left unchanged.  ``lang="en"``
    returns an unchanged copy.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"translate_specification needs a DataFrame, got {type(df).__name__}")
    out = df.copy()
    if _lang(lang) == "en":
        return out
    if "test" in out.columns:
        out["test"] = [SPEC_TESTS_ZH.get(v, v) if isinstance(v, str) else v for v in out["test"]]
    if "fe" in out.columns:
        out["fe"] = [FE_ZH.get(v, v) if isinstance(v, str) else v for v in out["fe"]]
    if "decision" in out.columns:
        out["decision"] = [translate_decision(v, lang) for v in out["decision"]]
    return out


_LEE_YU_WORDS = {
    "zh": {True: "Lee–Yu 变换法", "elhorst": "Elhorst 一步校正", False: "未校正"},
    "en": {True: "Lee–Yu transformation", "elhorst": "Elhorst one-step correction", False: "none"},
}


def lee_yu_label(value, lang: str = "zh") -> str:
    """Words for the ``lee_yu`` option of the spatial panel models.

    ``True`` → Lee–Yu (2010) transformation approach, ``"elhorst"`` → Elhorst's
    one-step bias correction, ``False`` → no correction (direct ML).  Anything
    else raises ``ValueError`` naming the value.
    """
    words = _LEE_YU_WORDS[_lang(lang)]
    if isinstance(value, str) and value.lower() == "elhorst":
        return words["elhorst"]
    if value is True or value is False or isinstance(value, (np.bool_,)):
        return words[bool(value)]
    raise ValueError(f"lee_yu must be True, False or 'elhorst', got {value!r}")


def write_table(table: Table, folder, formats: Sequence[str] = ("tex", "docx", "xlsx", "csv", "html", "md"),
                *, blocks=None) -> dict[str, Path]:
    """Write ``table`` as ``folder/<name>.<ext>`` for each format; returns the paths.

    ``blocks``: the table's :meth:`Table.docx_blocks` when already built (reused).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for fmt in formats:
        p = folder / f"{table.name}.{fmt}"
        if fmt == "tex":
            p.write_text(table.to_latex(), encoding="utf-8")
        elif fmt == "md":
            p.write_text(table.to_markdown(), encoding="utf-8")
        elif fmt == "html":
            p.write_text("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\n"
                         + table.to_html() + "</body></html>\n", encoding="utf-8")
        elif fmt == "csv":
            table.to_csv(p)
        elif fmt == "docx":
            _docx_template().write(p, blocks if blocks is not None else table.docx_blocks())
        elif fmt == "xlsx":
            table.to_xlsx(p)
        else:
            raise ValueError(f"unknown table format {fmt!r}; use tex, docx, xlsx, csv, html or md")
        out[fmt] = p
    return out


def write_workbook(tables: Sequence[Table], path) -> Path:
    """All ``tables`` in one Excel workbook: per table its journal sheet and, beside it,
    its raw-numbers sheet ``<name>_raw`` (:meth:`Table.raw_frame`)."""
    from openpyxl import Workbook
    wb = Workbook()
    wb.remove(wb.active)
    for t in tables:
        t.to_xlsx(workbook=wb)
    if not tables:
        wb.create_sheet("empty")
    wb.save(str(path))
    return Path(path)


def write_document(tables: Sequence[Table], path, heading: str | None = None,
                   blocks: Mapping | None = None) -> Path:
    """All ``tables`` in one Word document, in order, each with its caption and notes.

    ``blocks`` maps a table's ``name`` to its :meth:`Table.docx_blocks` already built
    (copies are inserted); tables not in it are built here.
    """
    import docx
    doc = docx.Document()
    journal_styles(doc)
    if heading:
        doc.add_heading(heading, level=1)
    for t in tables:
        got = None if blocks is None else blocks.get(t.name)
        append_blocks(doc, got if got is not None else t.docx_blocks())
        doc.add_paragraph()
    apply_journal_fonts(doc)
    doc.save(str(path))
    return Path(path)
