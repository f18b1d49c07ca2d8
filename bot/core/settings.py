"""Run-wide settings as plain values: what sources.yaml's `slack:`, `settings:`, `metrics:`, `notify:` and
`retention:` say, once checked. Here, at the bottom, because the config loader builds them and delivery,
ops and the store read them: none of those may import the loader.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bot.core.clock import parse_interval
from bot.core.severity import SEVERITIES


@dataclass(frozen=True, kw_only=True)
class SlackConf:
    """Where alerts go. Secrets are never here: only the names of the variables holding them."""

    token_env: str = "SLACK_BOT_TOKEN"
    webhook_env: str = "SLACK_WEBHOOK_URL"
    channel: str = "#fleet-alerts"
    digest_channel: str = ""
    base_url: str = ""
    channels: dict[str, str] = dataclasses.field(default_factory=dict)  # severity or product -> channel
    repeat: str = "24h"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Run-wide knobs with safe defaults."""

    concurrency: int = 8
    timeout: float = 30.0
    retries: int = 3
    max_bytes: int = 64 * 1024 * 1024
    failing_after: int = 3  # consecutive failures before a source_failing incident
    source_timeout: float = 600.0  # a whole source's poll, all its requests together
    abandoned_after: int = 180  # days without a release before a pinned branch is branch_abandoned
    confirm_after: str = "1h"  # a record missing from polls at least this far apart is withdrawn
    failing_for: str = "6h"  # or failing this long (whichever first) opens source_failing
    delivery_failing_for: str = "1h"  # Slack refusing every post this long: poll exits 3


@dataclass(frozen=True, kw_only=True)
class MetricsConf:
    """Prometheus figures written after every run (bot/ops/metrics.py), for node_exporter's textfile collector."""

    textfile: str = ""




@dataclass(frozen=True, kw_only=True)
class NotifyConf:
    """One more destination (bot/deliver/notify.py). Its URL holds secrets, so only its variable is named here:
    `url_env` for an Apprise URL, or `webhook_env` (+ `secret_env`, the HMAC key) for a signed JSON webhook."""

    url_env: str = ""
    webhook_env: str = ""
    secret_env: str = ""
    min_severity: str = "critical"

    def __post_init__(self) -> None:
        if bool(self.url_env) == bool(self.webhook_env):
            raise ValueError("name exactly one of 'url_env' (Apprise) or 'webhook_env' (signed JSON webhook)")
        if self.min_severity not in SEVERITIES:
            raise ValueError(f"'min_severity' {self.min_severity!r} is not one of {', '.join(SEVERITIES)}")

    @property
    def name(self) -> str:
        """The destination's stable name in the store and in messages: its variable, never its URL."""
        return self.url_env or self.webhook_env


@dataclass(frozen=True, kw_only=True)
class RetentionConf:
    """How long to keep run rows and the bodies of delivered alerts (intervals such as 90d)."""

    runs: str = "90d"
    delivered_alerts: str = "90d"


RETENTION_FIELDS = ("runs", "delivered_alerts")


def retention_problems(conf: RetentionConf) -> list[str]:
    """One line per value that is not an interval, naming the key and the value."""
    found = []
    for name in RETENTION_FIELDS:
        value = getattr(conf, name)
        try:
            parse_interval(value)
        except ValueError:
            found.append(f"retention: '{name}' {value!r} is not an interval (use e.g. 30d, 90d)")
    return found
