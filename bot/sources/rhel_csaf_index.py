"""Red Hat's CSAF indexes (changes.csv, deletions.csv) and how far the last good poll read them.

Both files are CSV rows ``"2024/rhsa-2024_0010.json","2025-02-18T14:28:08+00:00"``: an advisory
file under the base URL and when it last changed (or was deleted). The position a poll reached
is kept in one ``csaf_index`` record of the source's own snapshot (`IndexState`), so it moves
only when the whole poll succeeds.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.sources.api import Record, SourceError, looks_like_html

INDEX_KEY = "csaf_index"
_PATH = re.compile(r"(?P<year>\d{4})/(?P<kind>rh[sbe]a)-(?P<y2>\d{4})_(?P<num>\d{4,})\.json")


@dataclass(frozen=True, order=True)
class Row:
    """One index row: when a file changed, and its path under the base URL."""

    changed: datetime
    path: str

    @property
    def advisory_id(self) -> str:
        match = _PATH.fullmatch(self.path)
        assert match is not None  # parse_index only builds rows of this shape
        return f"{match['kind'].upper()}-{match['y2']}:{match['num']}"

    @property
    def is_security(self) -> bool:
        return self.path.split("/")[-1].startswith("rhsa-")

    def mark(self) -> list[str]:
        return [self.changed.isoformat(), self.path]


def parse_index(body: bytes, url: str, *, allow_empty: bool = False) -> list[Row]:
    """changes.csv / deletions.csv -> rows; a malformed row fails with its number and URL."""
    if looks_like_html(body):
        raise SourceError("HTML page instead of the CSAF index CSV", url)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError("CSAF index is not UTF-8 text", url) from None
    rows: list[Row] = []
    for number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not fields:
            continue
        path = fields[0].strip()
        if len(fields) != 2 or not _PATH.fullmatch(path):
            raise SourceError(f"row {number}: expected \"YYYY/rhsa-YYYY_NNNN.json\",\"date\", "
                              f"got {','.join(fields)[:80]!r}", url)
        try:
            changed = datetime.fromisoformat(fields[1].strip())
        except ValueError:
            raise SourceError(f"row {number} ({path}): bad date {fields[1][:40]!r}", url) from None
        if changed.tzinfo is None:
            raise SourceError(f"row {number} ({path}): date without a time zone {fields[1][:40]!r}", url)
        rows.append(Row(changed, path))
    if not rows and not allow_empty:
        raise SourceError("CSAF index lists no advisories (an empty index is a broken one)", url)
    return rows


@dataclass(frozen=True)
class IndexState:
    """How far the last good poll read: the last row taken from each index, and the advisories
    listed but not served yet (HTTP 404), to ask for again."""

    changes: Row | None = None
    deletions: Row | None = None
    retry: tuple[str, ...] = field(default=())

    @property
    def first_poll(self) -> bool:
        return self.changes is None

    @staticmethod
    def of(previous: Sequence[Record]) -> IndexState:
        for record in previous:
            if record.kind == INDEX_KEY:
                data = record.data
                return IndexState(_row(data.get("changes")), _row(data.get("deletions")),
                                  tuple(str(p) for p in data.get("retry") or ()))
        return IndexState()

    def record(self, extra: Mapping[str, Any]) -> Record:
        return Record(INDEX_KEY, INDEX_KEY, "", "", {
            "changes": self.changes.mark() if self.changes else None,
            "deletions": self.deletions.mark() if self.deletions else None,
            "retry": list(self.retry), **extra})


def _row(value: Any) -> Row | None:
    if isinstance(value, list | tuple) and len(value) == 2:
        return Row(datetime.fromisoformat(str(value[0])), str(value[1]))
    return None


def after(rows: Sequence[Row], mark: Row | None) -> list[Row]:
    """Rows changed after `mark` (all of them without one), oldest first."""
    return sorted(r for r in rows if mark is None or r > mark)
