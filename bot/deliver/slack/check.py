"""`trackbot check`'s Slack line: will delivery work, and to which channels."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.settings import SlackConf
from bot.deliver.slack.client import CheckResult, SlackWebApi, from_env
from bot.deliver.slack.routing import all_channels


def check_line(conf: SlackConf, environ: Mapping[str, str]) -> tuple[bool, str]:
    """(works, one line). A token is tried with auth.test; a webhook cannot be tried without posting."""
    client = from_env(conf, environ)
    if client is None:
        return True, (f"alerts: Slack not configured (${conf.token_env} and ${conf.webhook_env} unset): "
                      "alerts go to the console")  # fmt: skip
    result: CheckResult = client.check()
    if not isinstance(client, SlackWebApi):
        return True, f"slack: {result.line}; alerts go to the webhook's channel"
    if not result.works:
        return False, f"slack: will NOT deliver: {result.line}; alerts stay queued until it does"
    where = ", ".join(all_channels(conf.channels, conf.channel)) or "no channel configured"
    return True, f"slack: will deliver: {result.line}; alerts to {where}"
