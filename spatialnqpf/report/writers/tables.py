"""``tables/``: every table of every stage in the configured formats, plus
``all_tables.xlsx`` and ``all_tables.docx``."""
from __future__ import annotations

from pathlib import Path

from ..tables import write_document, write_table, write_workbook
from .common import WORDS

__all__ = ["write_tables", "table_blocks"]



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


def table_blocks(stages) -> dict:
    """``{table name: Table.docx_blocks()}`` for every table of ``stages``: each Word table is
    built once and copied into its own file, ``all_tables.docx`` and ``report.docx``."""
    return {t.name: t.docx_blocks() for s in stages for t in s.tables}


def write_tables(out: Path, stages, formats, lang: str, notes: list, *, blocks=None,
                 on_step=None) -> dict:
    """Write the tables; a format whose package is absent is skipped with a note.

    ``blocks``: the Word XML of the tables (:func:`table_blocks`), built here when
    absent and docx is written; ``on_step(text)`` is called before each file (progress).
    """
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
    if "docx" in avail and blocks is None:
        blocks = table_blocks(stages)
    step = on_step or (lambda text: None)
    for t in alltables:
        step(f"tables/{t.name}")
        files[t.name] = {k: str(v) for k, v in write_table(
            t, folder, avail, blocks=(blocks or {}).get(t.name)).items()}
    if "xlsx" in avail:
        step("tables/all_tables.xlsx")
        write_workbook(alltables, folder / "all_tables.xlsx")
    if "docx" in avail:
        step("tables/all_tables.docx")
        write_document(alltables, folder / "all_tables.docx", heading=WORDS[lang]["report"],
                       blocks=blocks)
    return files
