"""What every read command checks before it answers: the database, the product, the kind.

A read command must never create an empty database (a mistyped `--db` used to answer
"nothing new" with exit 0), must understand a product under any of its names (`moby` is
`docker`), and must refuse a product or kind it has never heard of instead of printing an
empty list: an empty answer has to mean "nothing happened", not "you mistyped".
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

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


DEFAULT_LIMIT = 50  # rows a listing shows on the terminal unless --limit or --all says otherwise (issue 23)


def limit_option(f: F) -> F:
    """`--limit N`: a listing's length; without it a terminal listing shows DEFAULT_LIMIT and says how many more."""
    option = click.option("--limit", "-n", type=click.IntRange(min=1), default=None,
                          help=f"Show at most this many rows (default {DEFAULT_LIMIT}; with --json, all).")
    return option(f)


@dataclass(frozen=True)
class Listing:
    """A listing's `--limit`, `--all` and `--json`, as one value (listing_options gives it to the command)."""

    limit: int | None = None
    show_all: bool = False
    as_json: bool = False

    @property
    def rows(self) -> int | None:
        """How many rows to show: --all none cut, --limit N, else DEFAULT_LIMIT on the terminal and all in
        JSON (a script reading --json must not lose rows silently; it can pass --limit)."""
        if self.show_all:
            return None
        if self.limit is not None:
            return self.limit
        return None if self.as_json else DEFAULT_LIMIT

    def cut(self, rows: list[Any]) -> list[Any]:
        """The first `rows` of an ordered listing (best or first first)."""
        return rows if self.rows is None else rows[:self.rows]


def listing_options(all_help: str = "") -> Callable[[F], F]:
    """`--limit`, `--all` and `--json` on a listing command, handed to it as one `listing: Listing` argument.
    `all_help`: what --all means where it also widens the listing (`incidents --all` adds resolved ones)."""
    def decorate(command: F) -> F:
        @functools.wraps(command)
        def with_listing(*args: Any, limit: int | None, show_all: bool, as_json: bool, **kwargs: Any) -> Any:
            return command(*args, listing=Listing(limit, show_all, as_json), **kwargs)

        wrapped_command: Any = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(
            with_listing)
        wrapped_command = click.option("--all", "show_all", is_flag=True, help=all_help or
                                       f"Show every row, not only the first {DEFAULT_LIMIT}.")(wrapped_command)
        return cast(F, limit_option(wrapped_command))
    return decorate


def limited(rows: list[Any], limit: int | None) -> list[Any]:
    return rows if limit is None else rows[:limit]


def more_line(shown: int, total: int) -> str | None:
    """The line under a cut listing: "2,808 more: --limit 2858 or --all"; None when nothing was left out."""
    if total <= shown:
        return None
    return f"{total - shown:,} more: --limit {total} or --all"


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


VERSION = re.compile(r"v?(\d+:)?\d+(\.\d+)*([-~+][0-9A-Za-z.+~:_-]*)?")  # 1.10, 1.10.3, 2:4.19.0-18, 17.06.0-ce


def checked_version(text: str) -> str:
    """A version or branch as `why` takes it, or a usage error with a hint: `why abc` must not answer
    "nothing recorded about it yet" as if it were a version nobody released."""
    if VERSION.fullmatch(text):
        return text
    fixed = text.replace("O", "0").replace("o", "0")
    guess = f"; did you mean {fixed}?" if fixed != text and VERSION.fullmatch(fixed) else ""
    raise click.UsageError(f"{text!r} is not a version or branch (like 1.10 or 1.10.3){guess} "
                           f"To look for words, use `trackbot search {text}`.")


def checked_pattern(store: Store, pattern: str) -> str:
    """A silence's event key pattern, if some event key can match it: keys are `kind:...`, so the part before
    the first ':' must be (or match) an event kind; a usage error with a "did you mean" otherwise."""
    if not pattern or (":" not in pattern and pattern.startswith("*")):
        return pattern
    names = sorted(set(KIND_NAMES) | store_reads.known_kinds(store))
    head = pattern.split(":", 1)[0]
    if ":" not in pattern and head in names:
        raise click.UsageError(f"event key pattern {pattern!r} matches no event: keys are kind:..., "
                               f"did you mean {pattern}:*?")
    if any(fnmatch.fnmatchcase(name, head) for name in names):
        return pattern
    guess = difflib.get_close_matches(head, names, n=1)
    hint = f"; did you mean {guess[0]}{pattern[len(head):]}?" if guess else " (see `trackbot help events`)"
    raise click.UsageError(f"event key pattern {pattern!r} matches no event kind{hint}")


def shorten_url(text: str, width: int) -> str:
    """A URL cut in its middle to `width`, keeping the scheme and host whole (where it points) and as much of
    its end as fits (what it names); other text as `shorten`."""
    text = " ".join(text.split())
    if len(text) <= width or "://" not in text:
        return shorten(text, width)
    scheme, rest = text.split("://", 1)
    start = f"{scheme}://{rest.split('/', 1)[0]}"
    if width - len(start) - 1 < 8:
        return shorten(text, width)
    head = max(len(start), (width - 1) // 2)  # the host always, and as much of the path as half the room
    return f"{text[:head]}…{text[len(text) - (width - 1 - head):]}"


URL = re.compile(r"\w+://\S+")


def fit_error(text: str, width: int, most: int = 3) -> list[str]:
    """An error on at most `most` lines of `width`: each URL in it cut in the middle (its host kept) only as
    much as the lines need, then the whole wrapped; an error's reason and its URL's host both stay readable."""
    text = " ".join(text.split())
    for url in sorted(set(URL.findall(text)), key=len, reverse=True):
        one_line = width - (len(text) - len(url))  # the room that puts the whole error on one line
        if len(text) > width and one_line >= len(url.split("/", 3)[2]) + 20:
            text = text.replace(url, shorten_url(url, one_line))
        elif len(url) > width:
            text = text.replace(url, shorten_url(url, width))
    return wrapped(text, width, most)
