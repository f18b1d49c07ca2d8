"""Turn the lines of one version's notes into `changelog_line` records.

Shared by the kinds that read release notes (a CHANGELOG.md, a GitHub release), through
the facade (bot.sources.api, which re-exports `line_records`), so
that a line's key, classes and CVEs are computed the same way wherever it is read.
The key hashes the text, so a line keeps its key while lines around it come and go;
the same text twice in one version gets ``:2``, ``:3`` so keys stay unique.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from bot.sources.api import Record, classify, cve_ids


def line_key(version: str, text: str) -> str:
    """The stable key of a line: ``line:{version}:{sha1(text)[:12]}``."""
    return f"line:{version}:{hashlib.sha1(text.encode()).hexdigest()[:12]}"


def line_records(
    product: str,
    version: str,
    lines: Iterable[Mapping[str, Any]],
    watch_words: Iterable[str] = (),
) -> list[Record]:
    """One record per line; each line is a mapping with at least ``text``.

    The mapping's other fields (section, sigil, date...) are kept in the record's data.
    """
    words = tuple(watch_words)
    seen: Counter[str] = Counter()
    records = []
    for line in lines:
        text = line["text"]
        key = line_key(version, text)
        seen[key] += 1
        if seen[key] > 1:
            key = f"{key}:{seen[key]}"
        data = {**line, "classes": classify(text, words), "cves": cve_ids(text)}
        records.append(Record("changelog_line", key, product, version, data))
    return records
