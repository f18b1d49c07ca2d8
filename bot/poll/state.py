"""What a poll reads about one source, read only when something asks for it.

A warm poll is mostly 304s: the source's stored records are not needed to learn that
nothing changed, and reading them for every source before its turn made memory grow
with the number of sources and their history. `StoredHistory` reads them the first time
the kind (during `collect`) or the evaluation (after a changed body) looks; `ctx.previous`
and `ctx.missing` are views over it, so kinds iterate them as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import overload

from bot.core.model import Record
from bot.poll.schedule import confirmed_missing
from bot.store.history import Store, StoredRecord


class StoredHistory:
    """One source's stored records (gone ones too), read from the store on first use."""

    def __init__(self, store: Store, source: str, now: datetime, confirm_after: timedelta) -> None:
        self._store, self._source, self._now, self._confirm_after = store, source, now, confirm_after

    @cached_property
    def rows(self) -> list[StoredRecord]:
        return self._store.records(self._source, include_gone=True)

    @cached_property
    def current(self) -> tuple[Record, ...]:
        """The records of the last good run (not gone)."""
        return tuple(s.record for s in self.rows if s.gone_at is None)

    @cached_property
    def missing(self) -> frozenset[str]:
        """Missing since at least `confirm_after`: a second poll a minute later proves nothing."""
        return confirmed_missing(self.rows, self._now, self._confirm_after)

    @cached_property
    def gone(self) -> frozenset[str]:
        """Keys already recorded as gone."""
        return frozenset(s.record.key for s in self.rows if s.gone_at)


class PreviousRecords(Sequence[Record]):
    """`ctx.previous`: the last good run's records, read when first iterated."""

    def __init__(self, history: StoredHistory) -> None:
        self._history = history

    @overload
    def __getitem__(self, index: int) -> Record: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Record]: ...

    def __getitem__(self, index: int | slice) -> Record | Sequence[Record]:
        return self._history.current[index]

    def __len__(self) -> int:
        return len(self._history.current)

    def __iter__(self) -> Iterator[Record]:
        return iter(self._history.current)

    def __eq__(self, other: object) -> bool:
        return tuple(self) == (tuple(other) if isinstance(other, Sequence) else other)

    __hash__ = None  # type: ignore[assignment]  # compares like a tuple's contents, so not hashable

    def __repr__(self) -> str:
        return f"PreviousRecords({self._history.current!r})"


class MissingKeys(Set[str]):
    """`ctx.missing`: keys the last poll already missed, read when first asked."""

    def __init__(self, history: StoredHistory) -> None:
        self._history = history

    def __contains__(self, key: object) -> bool:
        return key in self._history.missing

    def __iter__(self) -> Iterator[str]:
        return iter(self._history.missing)

    def __len__(self) -> int:
        return len(self._history.missing)


@dataclass(frozen=True)
class Quiet:
    """A source that answered 304: only its `sources` row changes, written with the others' in one go."""

    name: str
    kind: str
    now: datetime
    began: datetime
    seconds: float
