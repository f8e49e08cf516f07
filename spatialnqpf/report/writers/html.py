"""``report.html``: self-contained (figures embedded as base64 PNG; opens offline); every
string escaped with :func:`html.escape`."""
from __future__ import annotations

import base64
import html as _html
import json
from pathlib import Path

from .common import WORDS, source_text

__all__ = ["html_report"]

_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",Helvetica,Arial,sans-serif;
max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{border-bottom:2px solid #333}h2{border-bottom:1px solid #aaa;margin-top:2em}
.status{font-size:80%;padding:1px 6px;border-radius:3px;color:#fff}
.ok{background:#3a7d44}.skipped{background:#888}.failed{background:#b3261e}.warning{background:#c77c02}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:90%;color:#555}.reading{background:#f6f8fa;border-left:3px solid #4C72B0;
padding:.4em .8em}pre{background:#f6f8fa;padding:.6em;overflow-x:auto;font-size:80%}
table.three-line td,table.three-line th{font-size:90%}footer{margin-top:3em;font-size:85%;color:#444}
"""


def html_report(lang: str, stages, footer) -> str:
    """The report page: contents, one section per stage, the reproducibility footer."""
    e = _html.escape
    T = WORDS[lang]
    parts = [f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
             f"<title>{e(T['report'])}</title><style>{_CSS}</style></head><body>",
             f"<h1>{e(T['report'])}</h1>",
             f"<p>{e(source_text(footer['data']['source'], lang))} · {e(footer['generated'])}</p>",
             f"<h2>{e(T['contents'])}</h2><ol>"]
    for s in stages:
        parts.append(f'<li><a href="#{s.name}">{e(s.title)}</a> '
                     f'<span class="status {s.status}">{e(T[s.status])}</span></li>')
    parts.append("</ol>")
    for s in stages:
        parts.append(f'<section id="{s.name}"><h2>{e(s.title)} '
                     f'<span class="status {s.status}">{e(T[s.status])}</span></h2>')
        if s.reason:
            parts.append(f"<p><strong>{e(T[s.status])}:</strong> {e(s.shown_reason)}</p>")
        if s.traceback:
            parts.append(f"<details><summary>{e(T['traceback'])}</summary><pre>{e(s.traceback)}</pre></details>")
        for r in s.readings:
            parts.append(f'<p class="reading">{e(r)}</p>')
        for t in s.tables:
            parts.append(t.to_html())
        for f in s.figures:
            b64 = base64.b64encode(Path(f.files["png"]).read_bytes()).decode("ascii")
            parts.append(f'<figure><img alt="{e(f.title)}" src="data:image/png;base64,{b64}">'
                         f"<figcaption>{e(f.title)}</figcaption></figure>")
        if s.notes:
            parts.append("<ul class=\"notes\">" + "".join(f"<li>{e(n)}</li>" for n in s.notes) + "</ul>")
        parts.append("</section>")
    parts.append(f"<footer><h2>{e(T['reproduce'])}</h2>")
    parts.append(f"<p>{e(T['seed'])} = {footer['seed']} · {e(T['data'])} SHA-256 = "
                 f"<code>{e(footer['data']['sha256'])}</code>"
                 f" · {footer['seconds']:.1f} s</p>")
    parts.append("<p>" + " · ".join(f"{e(k)} {e(str(v))}" for k, v in footer["versions"].items()) + "</p>")
    parts.append(f"<details><summary>{e(T['config'])}</summary><pre>{e(json.dumps(footer['config'], ensure_ascii=False, indent=2))}"
                 "</pre></details></footer></body></html>")
    return "\n".join(parts)
