"""The digest as one self-contained HTML page (`--out digest.html`): inline CSS, no external asset.

Readable in a browser and in an email client (which drop <link> and remote images), so
the chart, when the `charts` extra is installed, is embedded as a data: URI.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence
from html import escape
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.read.digest.markdown import PIN_COLUMNS, pin_cells

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:1.5em auto;color:#1b1f24;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border:1px solid #d0d7de;padding:.3em .5em;text-align:left}
th{background:#f6f8fa}.critical{color:#b42318;font-weight:600}.warning{color:#9a6700}.info{color:#57606a}
li{margin:.15em 0}.muted{color:#57606a}img{max-width:100%}
"""


def html_page(digest: dict[str, Any], chart_png: bytes | None, chart_note: str = "") -> str:
    parts = [f"<h1>{escape(digest['title'])}</h1>",
             f"<p class=muted>Since {escape(digest['since'][:16])}Z, generated {escape(digest['generated_at'][:16])}Z.</p>",
             "<h2>Pins that need action</h2>", _list([inline(line) for line in digest["needs_action"]], "Nothing."),
             "<h2>Pins</h2>", _pin_table(digest["pins"]),
             "<h2>Open incidents</h2>",
             _list([f"{_sev(i['severity'])} <b>{escape(i['kind'])}</b> {escape(i['source'])}: open for "
                    f"{escape(i['age'])} — {inline(i['summary'])}" for i in digest["incidents"]], "None."),
             f"<h2>Events ({digest['event_count']})</h2>"]
    for group in digest["events"]:
        parts.append(f"<h3>{escape(group['product'])} ({group['count']})</h3>")
        parts.append(_list([f"{_sev(e['severity'])} {escape(e['kind'])}: {inline(e['summary'])}"
                            for e in group["events"]], ""))
    if not digest["events"]:
        parts.append("<p>Nothing new.</p>")
    parts += ["<h2>Silenced</h2>",
              _list([f"{_sev(e['severity'])} {inline(e['summary'])} <span class=muted>— silenced: "
                     f"{escape(e['reason'])}</span>" for e in digest["silenced"]], "None."),
              "<h2>Source health</h2>",
              _list([f"<b>{escape(h['source'])}</b>: failed {h['failing']}x in a row since {escape(h['since'][:16])},"
                     f" last success {escape(h['last_success'][:16])}: {escape(h['last_error'])}"
                     for h in digest["sources"]], "Every source answered.")]
    parts.append("<h2>Releases and alerts per week</h2>")
    if chart_png:
        data = base64.b64encode(chart_png).decode()
        parts.append(f'<img alt="releases and alerts per product per week" src="data:image/png;base64,{data}">')
    else:
        parts.append(f"<p class=muted>{escape(chart_note)}</p>")
    body = "\n".join(parts)
    return (f"<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'><title>{escape(digest['title'])}</title>"
            f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")


def inline(text: str) -> str:
    """A summary as HTML: the Markdown its upstream wrote (Docker changelog lines carry
    `[#1234](https://...)` links and `code`) rendered as CommonMark inline, raw HTML escaped,
    and links markdown-it refuses (javascript:, vbscript:, file:) left as text. Each link is
    followed by its host, so upstream text cannot disguise where a link goes."""
    return str(_markdown().renderInline(text))


@functools.cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})
    md.add_render_rule("link_close", _link_close)
    return md


def _link_close(_renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    opening = next(t for t in reversed(tokens[:idx]) if t.type == "link_open")
    host = urlsplit(str(opening.attrGet("href") or "")).hostname
    return "</a>" + (f" <span class=muted>({escape(host)})</span>" if host else "")


def _sev(severity: str) -> str:
    return f"<span class={escape(severity)}>[{escape(severity)}]</span>"


def _list(items: list[str], empty: str) -> str:
    if not items:
        return f"<p>{empty}</p>" if empty else ""
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _pin_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>No pins in sources.yaml.</p>"
    head = "".join(f"<th>{escape(c)}</th>" for c in PIN_COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in pin_cells(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
