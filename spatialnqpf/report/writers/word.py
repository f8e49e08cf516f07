"""``report.docx``: headings, readings, three-line tables and figures (python-docx).

Chinese journal conventions (:data:`spatialnqpf.report.tables.DOCX_STYLE`): every run in
宋体 (SimSun) for East Asian text and Times New Roman for Latin text and numbers; the
tables are the three-line tables of :meth:`~spatialnqpf.report.tables.Table.docx_blocks`,
copied from the blocks already built for ``tables/`` when given.
"""
from __future__ import annotations

from pathlib import Path

from ..tables import append_blocks, apply_journal_fonts, journal_styles
from .common import WORDS, source_text

__all__ = ["docx_report"]


def docx_report(lang: str, stages, footer, path: Path, blocks=None) -> Path:
    """The whole report as a Word document.

    ``blocks`` maps a table name to its built Word XML (:func:`.tables.table_blocks`);
    a table not in it is built here.
    """
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    T = WORDS[lang]
    doc = docx.Document()
    journal_styles(doc)
    doc.add_heading(T["report"], level=0)
    doc.add_paragraph(f"{source_text(footer['data']['source'], lang)} · {footer['generated']}")
    for s in stages:
        doc.add_heading(s.title, level=1)  # no status word: it is in report.html and results.json
        if s.reason:
            doc.add_paragraph(f"{T[s.status]}: {s.shown_reason}")
        for r in s.readings:
            doc.add_paragraph(r)
        for t in s.tables:
            got = None if blocks is None else blocks.get(t.name)
            append_blocks(doc, got if got is not None else t.docx_blocks())
            doc.add_paragraph()
        for f in s.figures:
            doc.add_picture(str(f.files["png"]), width=Cm(15))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            cap = doc.add_paragraph()
            cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = cap.add_run(f.title)
            run.font.size = Pt(9)
    doc.add_heading(T["reproduce"], level=1)
    doc.add_paragraph(f"{T['seed']} = {footer['seed']}; {T['data']} SHA-256 = {footer['data']['sha256']}")
    doc.add_paragraph("; ".join(f"{k} {v}" for k, v in footer["versions"].items()))
    apply_journal_fonts(doc)
    doc.save(str(path))
    return path
