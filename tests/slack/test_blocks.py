import json

from bot.core.alert import event_from_dict
from bot.core.model import Event
from bot.deliver.slack import blocks

HOSTILE = "<!channel> see <https://evil.example|docs>"


def _event(i, summary="fixed aufs", **data) -> Event:
    return event_from_dict({
        "kind": "fix_available",
        "severity": "warning",
        "product": "docker",
        "version": f"1.10.{i}",
        "key": f"fix_available:docker:1.10.{i}",
        "summary": summary,
        **data,
    })


def _all_text(message):
    return message.text + json.dumps(message.blocks)


def test_hostile_changelog_line_arrives_without_mention_or_link():
    msg = blocks.render(HOSTILE, "critical", [_event(3, HOSTILE, url="https://evil.example|x")])
    text = _all_text(msg)
    assert "<!channel>" not in text and "<https://evil.example" not in text
    assert "&lt;!channel&gt;" in msg.text
    for block in msg.blocks:
        for obj in [block.get("text")] + block.get("elements", []):
            if obj and obj["type"] == "mrkdwn":
                assert obj["verbatim"] is True  # Slack must not auto-link bare URLs either


def test_fifty_events_become_one_message_with_and_n_more():
    msg = blocks.render("docker: 50 new events", "warning", [_event(i) for i in range(50)], source="moby")
    assert len(msg.blocks) <= blocks.MAX_BLOCKS
    shown = sum(b["text"]["text"].count("• ") for b in msg.blocks if b["type"] == "section")
    assert shown == blocks.MAX_ITEMS
    assert f"and {50 - blocks.MAX_ITEMS} more" in json.dumps(msg.blocks)
    assert "50 events" in json.dumps(msg.blocks)
    assert "and 45 more" in msg.text  # the fallback lists five


def test_huge_lines_stay_within_slack_limits():
    long = "overlay " * 2000
    events = [_event(i, long) for i in range(200)]
    msg = blocks.render("x" * 5000, "critical", events, look=blocks.Look(max_items=200))
    assert len(msg.blocks) <= blocks.MAX_BLOCKS
    for b in msg.blocks:
        texts = [b["text"]["text"]] if "text" in b else [e["text"] for e in b["elements"]]
        assert all(len(t) <= blocks.SECTION_LIMIT for t in texts)
    assert len(msg.text) <= blocks.FALLBACK_LIMIT
    assert "more" in json.dumps(msg.blocks[-2])


def test_resolved_heading_is_struck_through_and_marked():
    msg = blocks.render(
        "docker-apt: bad signature", "critical", look=blocks.Look("resolved", strike=True, note="after 3h 5m")
    )
    head = msg.blocks[0]["text"]["text"]
    assert head.startswith(":white_check_mark:") and "~docker-apt: bad signature~ resolved" in head
    assert "after 3h 5m" in json.dumps(msg.blocks)
    assert msg.text.startswith("[resolved]")


def test_event_url_becomes_a_link():
    msg = blocks.render(
        "t", "warning", [_event(1, url="https://github.com/moby/moby/releases/tag/v1.10.1")]
    )
    assert "<https://github.com/moby/moby/releases/tag/v1.10.1|details>" in msg.blocks[1]["text"]["text"]
