"""What a poll and a delivery report back: plain values the console, the logs and the metrics show.

At the bottom so that the read side and ops can show a run without importing the poll or delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SourceResult:
    name: str
    kind: str
    status: str  # changed, unchanged, failed, skipped
    new_records: int = 0
    events: int = 0
    seconds: float = 0.0
    reason: str = ""


@dataclass
class RunReport:
    results: list[SourceResult]

    @property
    def failed(self) -> list[SourceResult]:
        return [r for r in self.results if r.status == "failed"]


@dataclass
class DeliveryReport:
    sent: int = 0
    queued: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
