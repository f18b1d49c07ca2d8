import logging
import socket
import time

import pytest

from bot.core.model import Event
from bot.core.settings import SlackConf
from bot.deliver.slack import blocks
from bot.deliver.slack.client import (
    CheckResult,
    Delivered,
    Fatal,
    Retry,
    SlackWebApi,
    SlackWebhook,
    classify,
    from_env,
)
from tests.slack.fakeslack import Answer

MSG = blocks.render("docker 1.10.4 fixes aufs", "warning", [Event("fix_available", "warning", "", "", "", "x")])


def _token(fake, **kw):
    return SlackWebApi(fake.token, base_url=fake.api_url, env_name="SLACK_BOT_TOKEN", **kw)


def test_post_returns_ts_and_sends_blocks_and_fallback(fake_slack):
    outcome = _token(fake_slack).post("#alerts", MSG)
    assert isinstance(outcome, Delivered) and outcome.ts
    (call,) = fake_slack.calls_to("chat.postMessage")
    assert call.body["channel"] == "#alerts"
    assert call.body["text"] == MSG.text and call.body["blocks"] == list(MSG.blocks)
    assert call.body["unfurl_links"] is False and call.body["link_names"] is False


def test_thread_reply_and_edit(fake_slack):
    d = _token(fake_slack)
    parent = d.post("#alerts", MSG)
    reply = d.post("#alerts", MSG, thread_ts=parent.ts)
    assert fake_slack.posts()[1]["thread_ts"] == parent.ts
    assert isinstance(reply, Delivered)
    edited = d.update("#alerts", parent.ts, blocks.render("t", "critical", look=blocks.Look("resolved")))
    assert isinstance(edited, Delivered)
    assert fake_slack.posts()[0]["edited"] is True


@pytest.mark.parametrize(
    ("answer", "expected", "after"),
    [
        (Answer.server_error(), Retry, None),
        (Answer(503, {"ok": False, "error": "service_unavailable"}), Retry, None),
        (Answer.rate_limited(7), Retry, 7),
        (Answer.invalid_auth(), Retry, None),
        (Answer.error("channel_not_found"), Retry, None),
        (Answer.error("some_new_error"), Retry, None),
        (Answer.error("invalid_blocks"), Fatal, None),
        (Answer.error("msg_too_long"), Fatal, None),
        (Answer(200, "<html>proxy login</html>"), Retry, None),
    ],
)
def test_slack_answers_map_to_outcomes(fake_slack, answer, expected, after):
    fake_slack.queue(answer)
    outcome = _token(fake_slack).post("#alerts", MSG)
    assert isinstance(outcome, expected), outcome
    if after is not None:
        assert outcome.after == after
    assert "\n" not in outcome.reason and len(outcome.reason) <= 300


def test_unreachable_slack_is_retry_not_an_exception():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    d = SlackWebApi("xoxb-1-2-secret", base_url=f"http://127.0.0.1:{port}/api/")
    outcome = d.post("#a", MSG)
    assert isinstance(outcome, Retry) and "unreachable" in outcome.reason


def test_every_call_has_a_timeout(fake_slack):
    fake_slack.queue(Answer.ok(delay=3))
    start = time.monotonic()
    outcome = _token(fake_slack, timeout=1).post("#alerts", MSG)
    assert time.monotonic() - start < 2.5
    assert isinstance(outcome, Retry) and "timed out" in outcome.reason.lower()


def test_retry_after_is_read_whatever_the_case():
    assert classify("chat.postMessage", 429, "ratelimited", "30").after == 30
    assert classify("chat.postMessage", 429, "", None).after == 1
    assert classify("chat.postMessage", 429, "", "soon").after == 1


def test_webhook_post_and_errors(fake_slack):
    d = SlackWebhook(fake_slack.webhook_url, env_name="SLACK_WEBHOOK_URL")
    assert isinstance(d.post("#ignored", MSG), Delivered)
    assert fake_slack.posts()[0]["text"] == MSG.text
    fake_slack.queue(Answer.rate_limited(3), Answer(400, "invalid_blocks"), Answer(404, "channel_not_found"))
    assert d.post("#x", MSG) == Retry("webhook: rate limited by Slack (Retry-After 3s)", 3)
    assert isinstance(d.post("#x", MSG), Fatal)
    assert isinstance(d.post("#x", MSG), Retry)
    assert isinstance(d.update("#x", "1", MSG), Fatal)


@pytest.mark.parametrize(
    "answer", [Answer.server_error(), Answer.invalid_auth(), Answer.rate_limited(1), None]
)
def test_secrets_appear_in_no_log_or_reason(fake_slack, caplog, capsys, answer):
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    hook = SlackWebhook(fake_slack.webhook_url, env_name="SLACK_WEBHOOK_URL")
    bot = _token(fake_slack)
    reasons = []
    for d in (hook, bot):
        if answer is None:
            fake_slack.close()  # Slack unreachable
        else:
            fake_slack.queue(answer)
        outcome = d.post("#alerts", MSG)
        reasons.append(repr(outcome))
        if answer is None:
            break
    out = capsys.readouterr()
    seen = "\n".join(reasons) + caplog.text + out.out + out.err
    assert fake_slack.hook_secret not in seen
    assert fake_slack.token not in seen
    if answer is None:
        fake_slack.server = _Closed()


class _Closed:
    def shutdown(self):
        pass

    def server_close(self):
        pass


def test_redactor_scrubs_token_shapes_and_webhook_paths():
    d = SlackWebhook("https://hooks.slack.com/services/T1/B2/abcdefghijkl")
    text = "failed https://hooks.slack.com/services/T1/B2/abcdefghijkl and /services/T1/B2/abcdefghijkl xoxb-12-34-zz"
    assert d.redact(text) == "failed [redacted] and [redacted] [redacted]"


def test_from_env_prefers_token_and_falls_back_to_console():
    conf = SlackConf(base_url="http://127.0.0.1:9/api/")
    assert isinstance(
        from_env(conf, {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_WEBHOOK_URL": "http://h"}), SlackWebApi
    )
    assert isinstance(from_env(conf, {"SLACK_WEBHOOK_URL": "http://h"}), SlackWebhook)
    assert from_env(conf, {"SLACK_BOT_TOKEN": "  "}) is None


def test_check_says_whether_the_token_works(fake_slack):
    assert _token(fake_slack).check() == CheckResult(True, "token in $SLACK_BOT_TOKEN works: bot @trackbot in Fleet Ops")
    bad = SlackWebApi("xoxb-wrong", base_url=fake_slack.api_url, env_name="SLACK_BOT_TOKEN")
    result = bad.check()
    assert not result.works and "invalid_auth" in result.line and "xoxb-wrong" not in result.line
