"""Releases and alerts per product per week, as a PNG (the optional extra `trackbot[charts]`).

matplotlib is heavy and only the HTML digest needs it, so it is an extra: without it
`CHART_HINT` is the one line the digest shows instead.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta

from bot.store.history import StoredEvent

try:
    import matplotlib  # type: ignore[import-not-found,unused-ignore]

    matplotlib.use("Agg")
    from matplotlib import pyplot, ticker  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # the extra is not installed: the digest says how to get the chart
    pyplot = None  # type: ignore[assignment,unused-ignore]

CHART_HINT = "Chart of releases and alerts per week: pip install 'trackbot[charts]'"
WINDOW = timedelta(weeks=8)  # the chart shows at least this far back: one bar is no trend


def available() -> bool:
    return pyplot is not None


def weekly_png(events: Sequence[StoredEvent]) -> bytes | None:
    """A stacked bar per ISO week: new releases and louder events, per product. None without matplotlib."""
    if pyplot is None:
        return None
    counts: Counter[tuple[str, str]] = Counter()
    days = [date.fromisoformat(e.detected_at[:10]) for e in events]
    for day, e in zip(days, events, strict=True):
        series = f"{e.product or 'sources'} {'releases' if e.kind == 'new_release' else 'alerts'}"
        counts[(_week(day), series)] += 1
    mondays = [min(days) - timedelta(days=min(days).weekday())] if days else []
    while mondays and mondays[-1] + timedelta(weeks=1) <= max(days):
        mondays.append(mondays[-1] + timedelta(weeks=1))
    weeks = [_week(monday) for monday in mondays]  # every week from the first to the last, quiet ones too
    figure, axes = pyplot.subplots(figsize=(8, 3.2), dpi=100)
    bottom = [0] * len(weeks)
    for name in sorted({s for _, s in counts}):
        heights = [counts[(w, name)] for w in weeks]
        axes.bar(weeks, heights, bottom=bottom, label=name)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_ylabel("events")
    axes.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))  # counts: no 0.5 tick
    axes.set_title("releases and alerts per product per week")
    if weeks:
        axes.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    return buffer.getvalue()


def _week(day: date) -> str:
    """The ISO week a day falls in: each bar of the chart, a quiet week included."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
