"""``report.md``: Markdown with links to ``figures/`` and the tables inline.

Every user string (titles, readings, notes, labels inside the tables, the data source)
goes through :func:`spatialnqpf.report.tables.md_escape`, so HTML in a label is shown
as text wherever the Markdown is rendered; the configuration is valid JSON in a code fence
longer than any backtick run it contains, with ``<`` and ``>`` written as JSON unicode escapes.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from ..tables import md_escape
from .common import WORDS, source_text

__all__ = ["md_report"]


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def md_report(lang: str, stages, footer) -> str:
    T = WORDS[lang]
    esc = md_escape
    out = [f"# {esc(T['report'])}", "",
           f"{esc(source_text(footer['data']['source'], lang))} · {esc(footer['generated'])}", ""]
    for s in stages:
        out += [f"## {esc(s.title)}", ""]  # the status is in report.html's contents and results.json
        if s.reason:
            out += [f"**{esc(T[s.status])}:** {esc(s.shown_reason)}", ""]
        for r in s.readings:
            out += [f"> {esc(r)}", ""]
        for t in s.tables:
            out += [t.to_markdown(), ""]
        for f in s.figures:
            out += [f"![{esc(f.title)}](figures/{Path(f.files['png']).name})", ""]
        for n in s.notes:
            out += [f"- {esc(n)}"]
        out.append("")
    # inside the fence nothing is rendered; "<" and ">" (only ever inside JSON strings) are
    # written as \u003c / \u003e anyway, so that no tag appears in the file at all
    cfg = json.dumps(footer["config"], ensure_ascii=False, indent=2).replace("<", "\\u003c").replace(
        ">", "\\u003e")
    fence = _fence(cfg)
    out += [f"## {esc(T['reproduce'])}", "", f"- {esc(T['seed'])}: {footer['seed']}",
            f"- {esc(T['data'])}: {esc(source_text(footer['data']['source'], lang))} "
            f"(SHA-256 `{footer['data']['sha256']}`)",
            f"- {esc(T['versions'])}: " + ", ".join(f"{esc(k)} {esc(v)}" for k, v in footer["versions"].items()), "",
            f"{fence}json", cfg, fence, ""]
    return "\n".join(out)
