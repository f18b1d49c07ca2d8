"""Which channel an alert goes to.

`slack.channels` maps a severity (``critical``), a product (``docker``) or both
(``docker/critical``) to a channel; the most specific entry wins, then `slack.channel`.
Info never pages: an info alert is not posted at all (it waits for the digest), except a
baseline summary, which is the one message a new source sends.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.alert import AlertKind

NEVER_PAGE = "info"


def route(
    severity: str,
    product: str,
    *,
    channels: Mapping[str, str],
    default: str,
    kind: AlertKind | None = None,
) -> str | None:
    """The channel for an alert, or None when it must not be posted."""
    if severity == NEVER_PAGE and kind != AlertKind.BASELINE:
        return None
    for key in (f"{product}/{severity}", product, severity):
        if key and key in channels and channels[key]:
            return channels[key]
    return default or None


def all_channels(channels: Mapping[str, str], default: str) -> list[str]:
    """Every channel alerts can reach, for `trackbot check`."""
    seen = [default] if default else []
    for key, channel in channels.items():
        if channel and channel not in seen and not key.endswith("/" + NEVER_PAGE) and key != NEVER_PAGE:
            seen.append(channel)
    return seen
