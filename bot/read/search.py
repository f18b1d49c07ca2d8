"""`trackbot search`: incidents, changelog lines, advisories and CVE texts, best match first.

The store finds whole words with FTS5 and ranks them (bm25); this keeps that order, shows
open problems (incidents) first, and lists hits that match about equally well (the same
rank to one decimal) by product and then by the product's own version scheme (`0.7.0`
before `0.10.0`, dpkg order for Debian packages), so a run of similar lines reads in order.
"""

from __future__ import annotations

from bot.core import versions
from bot.store.history import Store
from bot.store.reads import SearchHit, search_hits


def ordered_hits(store: Store, words: list[str], product: str | None = None) -> list[SearchHit]:
    hits = search_hits(store, words, product)
    keys: dict[tuple[str, str], tuple[object, ...]] = {}  # hits share versions: parse each once

    def version_key(hit: SearchHit) -> tuple[object, ...]:
        if (hit.product, hit.version) not in keys:
            keys[hit.product, hit.version] = versions.sort_key(hit.version, versions.scheme_for(hit.product))
        return keys[hit.product, hit.version]
    return sorted(hits, key=lambda h: (not h.kind.startswith("incident:"), round(h.rank, 1), h.product,
                                       version_key(h), h.date, h.text))
