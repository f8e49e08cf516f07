"""Writers of the report folder: HTML, Markdown, Word, the tables and ``results.json`` helpers."""
from .common import WORDS, jsonable, versions
from .html import html_report
from .markdown import md_report
from .tables import table_blocks, write_tables
from .word import docx_report

__all__ = ["WORDS", "jsonable", "versions", "html_report", "md_report", "docx_report", "write_tables",
           "table_blocks"]
