"""Classify changelog and advisory lines: what a reader on call would look for.

Shared by every changelog kind (Docker, kernel, Debian), so that "fix" means the
same everywhere. Pure functions of the text and the team's watch words.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from bot.judge.watchwords import WatchWord, compile_all

CVE_RE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)

_PATTERNS: dict[str, re.Pattern[str]] = {
    "revert": re.compile(r"\brevert(s|ed|ing)?\b", re.IGNORECASE),
    "regression": re.compile(r"\bregress(ion|ions|ed)?\b", re.IGNORECASE),
    "fix": re.compile(r"\b(fix(es|ed|ing)?|resolve[sd]?|correct(s|ed)?|prevent(s|ed)?)\b", re.IGNORECASE),
    "security": re.compile(
        r"\b(CVE-\d{4}-\d+|security|vulnerab\w*|DSA-\d+|DLA-\d+|RHSA-\d+|privilege escalation)\b",
        re.IGNORECASE,
    ),
    "deprecation": re.compile(r"\b(deprecat\w*|removed support|no longer supported)\b", re.IGNORECASE),
}


def cves(text: str) -> list[str]:
    """The CVE ids a line names, upper-cased, in order, without repeats."""
    return list(dict.fromkeys(m.upper() for m in CVE_RE.findall(text)))


def classify(text: str, watch_words: Iterable[str | WatchWord] = ()) -> list[str]:
    """The classes of a line: fix, revert, regression, security, deprecation, watch:<word>.

    Watch words match as bot.judge.watchwords says (whole words, aliases, the defaults' senses):

    >>> classify("Fix a regression in overlay mounts", ["overlay"])
    ['regression', 'fix', 'watch:overlay']
    >>> classify("of: overlay: fix a leak", ["overlay"])
    ['fix']
    """
    classes = [name for name, pattern in _PATTERNS.items() if pattern.search(text)]
    classes += [f"watch:{word.name}" for word in _compiled(tuple(watch_words)) if word.matches(text)]
    return classes


@functools.lru_cache(maxsize=64)
def _compiled(words: tuple[str | WatchWord, ...]) -> tuple[WatchWord, ...]:
    """Every line of a changelog is classified with the same few words: compile them once."""
    return compile_all(words)
