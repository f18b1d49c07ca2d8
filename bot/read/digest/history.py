"""What the digest's pin table needs from the history, read per pin and bounded by it.

`report.pins.pin_rows` decides from records and events; this selects only those it can use:
the pin's product's branch records, its releases that may lie in the pin's branch or be the
newest overall, the events about the pin's own version (baseline findings too: they wait as much) and its
branch's abandonment or end. The
digest costs the same on a long history as on a short one.
"""

from __future__ import annotations

from bot.core import versions
from bot.core.model import Pin
from bot.core.release_numbers import numbers, pad
from bot.read.digest.pins import WAITING
from bot.read.why import candidate_versions
from bot.store.history import Store, StoredEvent, StoredRecord
from bot.store.reads import product_names, product_records, product_versions
from bot.store.rows import select_rows, stored_event

NEWEST_CANDIDATES = 50  # releases with the highest numbers, among which the newest non-prerelease is sought


def pin_history(store: Store, pin: Pin) -> tuple[list[StoredRecord], list[StoredEvent]]:
    """The records and events `pin_rows` reads for this pin, and no others."""
    scheme = versions.scheme_for(pin.product)
    releases = product_versions(store, pin.product, "release")
    wanted = releases if scheme in ("deb", "rpm") else _useful(releases, pin, scheme)
    records = (product_records(store, pin.product, ["release"], wanted, dates_only=True)  # a release: its date
               + product_records(store, pin.product, ["branch"]))
    exact, prefixes = candidate_versions(pin.version)
    names = product_names(pin.product)
    marks = ",".join("?" * len(names))
    branches = [*exact, *prefixes]
    versions_asked = [pin.version, *branches]  # the version index drives; lower(+product) only filters
    rows = select_rows(
        store.db,
        f"select * from events where version in ({','.join('?' * len(versions_asked))}) "
        f"and lower(+product) in ({marks}) and ((version = ? and kind in "
        f"({','.join('?' * len(WAITING))})) or (kind in ('branch_abandoned', 'branch_eol') and version in "
        f"({','.join('?' * len(branches))})))", [*versions_asked, *names, pin.version, *WAITING, *branches])
    return records, [stored_event(row) for row in rows]


def _useful(releases: list[str], pin: Pin, scheme: str) -> list[str]:
    """Releases of the pin's branch (by their numbers) and the highest-numbered ones."""
    try:
        spec = pin.parsed()
        branch = spec.version if spec.is_branch else versions.branch_of(spec.version, scheme)
    except ValueError:
        return releases
    wanted = numbers(branch) or ()
    floor = () if spec.is_branch else numbers(spec.version) or ()  # an exact pin: only newer ones count
    numbered = [(numbers(v), v) for v in releases]
    in_branch = [v for n, v in numbered if n is None or len(n) < len(wanted)
                 or (n[: len(wanted)] == wanted and pad(n, len(floor)) >= floor)]
    highest = sorted((n, v) for n, v in numbered if n is not None)[-NEWEST_CANDIDATES:]
    return list(dict.fromkeys([*in_branch, *(v for _, v in highest)]))
