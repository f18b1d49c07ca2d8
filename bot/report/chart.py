"""Releases and alerts per product per week, as a PNG (the optional extra `trackbot[charts]`).

matplotlib is heavy and only the HTML digest needs it, so it is an extra: without it
`CHART_HINT` is the one line the digest shows instead.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from datetime import date

from bot.store import StoredEvent

try:
    import matplotlib  # type: ignore[import-not-found,unused-ignore]

    matplotlib.use("Agg")
    from matplotlib import pyplot  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # the extra is not installed: the digest says how to get the chart
    pyplot = None  # type: ignore[assignment,unused-ignore]

CHART_HINT = "Chart of releases and alerts per week: pip install 'trackbot[charts]'"


def available() -> bool:
    return pyplot is not None


def weekly_png(events: Sequence[StoredEvent]) -> bytes | None:
    """A stacked bar per ISO week: new releases and louder events, per product. None without matplotlib."""
    if pyplot is None:
        return None
    counts: Counter[tuple[str, str]] = Counter()
    for e in events:
        year, week, _ = date.fromisoformat(e.detected_at[:10]).isocalendar()
        series = f"{e.product or 'sources'} {'releases' if e.kind == 'new_release' else 'alerts'}"
        counts[(f"{year}-W{week:02d}", series)] += 1
    weeks = sorted({w for w, _ in counts})
    figure, axes = pyplot.subplots(figsize=(8, 3.2), dpi=100)
    bottom = [0] * len(weeks)
    for name in sorted({s for _, s in counts}):
        heights = [counts[(w, name)] for w in weeks]
        axes.bar(weeks, heights, bottom=bottom, label=name)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_ylabel("events")
    axes.set_title("releases and alerts per product per week")
    if weeks:
        axes.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    return buffer.getvalue()
