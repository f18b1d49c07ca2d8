"""What every read command checks before it answers: the database, the product, the kind.

A read command must never create an empty database (a mistyped `--db` used to answer
"nothing new" with exit 0), must understand a product under any of its names (`moby` is
`docker`), and must refuse a product or kind it has never heard of instead of printing an
empty list: an empty answer has to mean "nothing happened", not "you mistyped".
"""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot.core.errors import TrackbotError
from bot.core.event_kinds import KIND_NAMES
from bot.core.lazy import lazy_module

if TYPE_CHECKING:
    from bot.core.model import Pin
    from bot.judge import fleet
    from bot.store import connect as dbopen
    from bot.store import reads as store_reads
    from bot.store.history import Store
else:  # the CLI imports this module for `limit_option`: `--help` must not load the store (issue 11)
    dbopen, fleet, store_reads = map(lazy_module, ("bot.store.connect", "bot.judge.fleet", "bot.store.reads"))

F = TypeVar("F", bound=Callable[..., Any])


def existing_store(path: str) -> Store:
    """Open the history for reading; a missing file is an error naming it, never a new database."""
    dbopen.check_location(Path(path))  # a parent that is a file, a directory: said as such
    if not Path(path).is_file():
        raise TrackbotError(f"no database at {path}: run `trackbot poll` first (or pass --db / TRACKBOT_DB)")
    return dbopen.open_store(path, write=False)  # read-only where it cannot be written


def limit_option(f: F) -> F:
    option = click.option("--limit", "-n", type=click.IntRange(min=1), default=None,
                          help="Show at most this many rows.")
    return option(f)


def limited(rows: list[Any], limit: int | None) -> list[Any]:
    return rows if limit is None else rows[:limit]


def product_names(store: Store, pins: Iterable[Pin] = ()) -> set[str]:
    """Every name a product can be given by: the history's products, the pins', and their aliases."""
    names = store_reads.known_products(store) | {p.product for p in pins} | set(fleet.ALIAS_NAMES)
    return names | {fleet.canonical_product(n) for n in names}


def checked_product(store: Store, product: str | None, pins: Iterable[Pin] = ()) -> str | None:
    """The product as given (aliases resolve later through `fleet.same_product`), or a usage error."""
    if product is None:
        return None
    if any(fleet.same_product(product, p.product) for p in pins) or store_reads.has_product(store, product):
        return product  # two index lookups; the full list of names is read only for the hint
    names = product_names(store, pins)
    if any(fleet.same_product(product, name) for name in names):
        return product
    guess = difflib.get_close_matches(product.lower(), sorted(n.lower() for n in names), n=1, cutoff=0.6)
    hint = f"; did you mean {guess[0]}?" if guess else ""
    raise click.UsageError(f"unknown product {product!r}: the history has nothing about it{hint}")


def checked_kind(store: Store, kind: str | None) -> str | None:
    """The event kind, if it is one trackbot knows (or the history holds), else a usage error."""
    if kind is None:
        return None
    names = set(KIND_NAMES) | store_reads.known_kinds(store)
    if kind in names:
        return kind
    guess = difflib.get_close_matches(kind, sorted(names), n=1)
    hint = f"; did you mean {guess[0]}?" if guess else " (see `trackbot help events`)"
    raise click.UsageError(f"unknown event kind {kind!r}{hint}")


def shorten(text: str, width: int) -> str:
    """Cut the middle of a long URL or error so both ends stay readable in one terminal line."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    head = (width - 1) // 2  # an error's reason is at one end and its URL's file name at the other
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def wrapped(text: str, width: int, most: int = 3) -> list[str]:
    """Prose (a summary) wrapped to `width`, at most `most` lines, the last ending in "…" when cut."""
    lines = textwrap.wrap(" ".join(text.split()), max(20, width), break_on_hyphens=False) or [""]
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][:max(20, width) - 1].rstrip() + "…"
    return lines
