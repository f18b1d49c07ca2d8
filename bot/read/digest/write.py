"""Turns the digest into the format a file name asks for: .html, .json, anything else Markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.read.digest import chart
from bot.read.digest.html import html_page
from bot.read.digest.markdown import markdown
from bot.store.history import StoredEvent


def render(digest: dict[str, Any], fmt: str, events: Sequence[StoredEvent]) -> str:
    """`fmt` is html, json or md. The chart (HTML only) needs the `charts` extra; else one line says how."""
    note = "" if chart.available() else chart.CHART_HINT
    if fmt == "html":
        return html_page(digest, chart.weekly_png(events), note)
    if fmt == "json":
        return json.dumps(digest, indent=2, default=str) + "\n"
    return markdown(digest, note)


def format_of(path: str) -> str:
    suffix = Path(path).suffix.lower()
    return {".html": "html", ".htm": "html", ".json": "json"}.get(suffix, "md")
