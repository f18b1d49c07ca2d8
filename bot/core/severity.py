"""How loud something is: the one order of severities, used by every room.

critical = a human should act today (it pages); warning = worth reading this week; info = the digest
only. A StrEnum, so a stored "critical" and `Severity.CRITICAL` compare equal and old rows read as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info, 2 for critical: the one order (`ORDER`)."""
        return ORDER.index(self)


ORDER: tuple[Severity, ...] = (Severity.INFO, Severity.WARNING, Severity.CRITICAL)
SEVERITIES: tuple[str, ...] = tuple(s.value for s in ORDER)


def severity_rank(severity: str) -> int:
    """Order severities so the loudest one of a group can be picked ('' ranks below info)."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def loudest(severities: Iterable[str], default: Severity = Severity.INFO) -> Severity:
    """The loudest of some severities (the default when there are none)."""
    return max((Severity(s) for s in severities), key=lambda s: s.rank, default=default)
