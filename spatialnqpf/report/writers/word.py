"""``report.docx``: headings, readings, three-line tables and figures (python-docx)."""
from __future__ import annotations

from pathlib import Path

from .common import WORDS, source_text

__all__ = ["docx_report"]


def docx_report(lang: str, stages, footer, path: Path) -> Path:
    """The whole report as a Word document."""
    import docx
    from docx.shared import Cm, Pt

    T = WORDS[lang]
    doc = docx.Document()
    doc.add_heading(T["report"], level=0)
    doc.add_paragraph(f"{source_text(footer['data']['source'], lang)} · {footer['generated']}")
    for s in stages:
        doc.add_heading(s.title, level=1)  # no status word: it is in report.html and results.json
        if s.reason:
            doc.add_paragraph(f"{T[s.status]}: {s.reason}")
        for r in s.readings:
            doc.add_paragraph(r)
        for t in s.tables:
            t.to_docx(document=doc)
            doc.add_paragraph()
        for f in s.figures:
            doc.add_picture(str(f.files["png"]), width=Cm(15))
            cap = doc.add_paragraph()
            run = cap.add_run(f.title)
            run.italic = True
            run.font.size = Pt(9)
    doc.add_heading(T["reproduce"], level=1)
    doc.add_paragraph(f"{T['seed']} = {footer['seed']}; {T['data']} SHA-256 = {footer['data']['sha256']}")
    doc.add_paragraph("; ".join(f"{k} {v}" for k, v in footer["versions"].items()))
    doc.save(str(path))
    return path
