"""Watch words that mean what people mean: whole words, aliases, regular expressions.

A team writes ``overlay`` and means Docker's overlay storage driver (the kernel's overlayfs,
whose commits are titled ``ovl:``), not ``overlay network``, a device-tree overlay
(``of: overlay``), ``armada_overlay`` or a vmwgfx video overlay. Substring matching got
both wrong: 4 of 4 hits were false and 15 real ``ovl:`` lines were missed. So:

- a word matches as a whole word, case-insensitively (``overlay`` is not in ``armada_overlay``);
- a word may list aliases, each matched the same way (``{overlay: [overlayfs, "ovl:"]}``);
- an alias written ``/.../`` is a regular expression (case-insensitive);
- the seed's words have documented defaults (`DEFAULT_ALIASES`), used when a word is given
  bare, and `CONTEXT_EXCLUDES`: a line where the bare name only appears in another sense
  (``overlay network``) does not match; an alias (``ovl:``, ``overlayfs``) always does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

DEFAULT_ALIASES: Mapping[str, tuple[str, ...]] = {
    "aufs": (),
    "overlay": ("overlayfs", "overlay2", "ovl:"),
    "overlayfs": ("overlay2", "ovl:"),
    "devicemapper": ("device-mapper", "device mapper", "dm-thin", "dm thin", "thin-pool", "thinpool"),
}

# Other senses of a bare name: the storage-driver word does not match a line using only these.
CONTEXT_EXCLUDES: Mapping[str, tuple[str, ...]] = {
    "overlay": (
        r"\boverlay\s+(?:networks?|driver\s+network|network\s+driver)\b",  # Docker's swarm networking
        r"\bnetwork\s+overlay\b",
        r"\bof:\s+overlay\b",  # device-tree overlays (drivers/of/overlay.c)
        r"\b(?:device[- ]?tree|dt|dtb|dtbo)\s+overlays?\b",
        r"\bdevice[- ]?trees?\b",
        r"\boverlays?\s+(?:dtbs?|dtbo|fdt)\b",
        r"\b(?:vmwgfx|drm|i915|amdgpu|video|plane|cursor|armada)\b",  # display overlays
    ),
}


@dataclass(frozen=True)
class WatchWord:
    """One watch word: its name (used in event keys) and the patterns that find it."""

    name: str
    patterns: tuple[re.Pattern[str], ...]
    bare: re.Pattern[str] | None = None  # the name itself, subject to `excludes`
    excludes: tuple[re.Pattern[str], ...] = field(default=())

    def matches(self, text: str) -> bool:
        if any(p.search(text) for p in self.patterns):
            return True
        if self.bare is None or not self.bare.search(text):
            return False
        return not any(p.search(text) for p in self.excludes)


def literal(word: str) -> re.Pattern[str]:
    """A whole-word, case-insensitive pattern for `word`; `/re/` is a regular expression."""
    if len(word) > 2 and word.startswith("/") and word.endswith("/"):
        return re.compile(word[1:-1], re.IGNORECASE)
    left = r"(?<!\w)" if re.match(r"\w", word) else ""
    right = r"(?!\w)" if re.search(r"\w$", word) else ""
    return re.compile(left + r"\s+".join(map(re.escape, word.split())) + right, re.IGNORECASE)


def make(name: str, aliases: Iterable[str] | None = None) -> WatchWord:
    """A watch word; `aliases` None means the documented defaults for that name, if any."""
    name = name.strip()
    chosen = DEFAULT_ALIASES.get(name.lower(), ()) if aliases is None else tuple(aliases)
    excludes = tuple(re.compile(p, re.IGNORECASE) for p in CONTEXT_EXCLUDES.get(name.lower(), ()))
    patterns = tuple(literal(a) for a in chosen if a.strip())
    if name.startswith("/") and name.endswith("/"):
        return WatchWord(name, (literal(name), *patterns))
    return WatchWord(name, patterns, bare=literal(name), excludes=excludes)


def parse(raw: Iterable[object]) -> tuple[WatchWord, ...]:
    """sources.yaml's `watch_words` list: strings and ``{name: [aliases]}`` mappings.

    Raises ValueError with a short reason for any other shape or a bad regular expression.
    """
    words: list[WatchWord] = []
    for item in raw:
        try:
            if isinstance(item, str):
                words.append(make(item))
            elif isinstance(item, dict) and len(item) == 1:
                [(name, aliases)] = item.items()
                if isinstance(aliases, str):
                    aliases = [aliases]
                if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                    raise ValueError(f"{name}: aliases must be a list of strings")
                words.append(make(str(name), aliases))
            else:
                raise ValueError(f"{item!r}: expected a word or {{word: [aliases]}}")
        except re.error as exc:
            raise ValueError(f"{item!r}: bad regular expression ({exc})") from None
    return tuple(words)


def compile_all(words: Iterable[str | WatchWord]) -> tuple[WatchWord, ...]:
    """Plain names (the kinds' `ctx.watch_words`) get their defaults; WatchWords pass through."""
    return tuple(w if isinstance(w, WatchWord) else make(w) for w in words if w)


def found(text: str, words: Iterable[WatchWord]) -> list[str]:
    """The names of the words in `text`, in the order given."""
    return [w.name for w in words if w.matches(text)]
