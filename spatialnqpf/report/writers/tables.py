"""``tables/``: every table of every stage in the configured formats, plus
``all_tables.xlsx`` and ``all_tables.docx``."""
from __future__ import annotations

from pathlib import Path

from ..tables import write_document, write_table, write_workbook
from .common import WORDS

__all__ = ["write_tables"]



def _have(fmt: str) -> bool:
    """Whether the optional package a format needs is installed."""
    try:
        if fmt == "docx":
            import docx  # noqa: F401
        elif fmt == "xlsx":
            import openpyxl  # noqa: F401
    except ImportError:
        return False
    return True


def write_tables(out: Path, stages, formats, lang: str, notes: list) -> dict:
    """Write the tables; a format whose package is absent is skipped with a note."""
    folder = Path(out) / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    avail = []
    for fmt in formats:
        if not _have(fmt):
            pip = "python-docx" if fmt == "docx" else "openpyxl"
            notes.append(f"未写出 {fmt} 表格：请安装 {pip}（pip install 'spatialnqpf[report]'）" if lang == "zh"
                         else f"{fmt} tables not written: install {pip} (pip install 'spatialnqpf[report]')")
            continue
        avail.append(fmt)
    files = {}
    alltables = [t for s in stages for t in s.tables]
    for t in alltables:
        files[t.name] = {k: str(v) for k, v in write_table(t, folder, avail).items()}
    if "xlsx" in avail:
        write_workbook(alltables, folder / "all_tables.xlsx")
    if "docx" in avail:
        write_document(alltables, folder / "all_tables.docx", heading=WORDS[lang]["report"])
    return files
