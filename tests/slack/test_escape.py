import pytest

from bot.deliver.slack import escape

HOSTILE = [
    "<!channel> see <https://evil.example|docs>",
    "<!here> ping",
    "<!everyone>",
    "hi <@U123> and <#C999|general>",
    "<!subteam^S123|@oncall> wake up",
    "<https://evil.example|click here>",
    "<mailto:a@example.org|mail>",
    "&lt;!channel&gt; double-encoded",
    "a > b < c & d",
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_escaped_text_has_no_slack_control_sequence(raw):
    out = escape.text(raw)
    assert "<" not in out and ">" not in out
    # every & is the start of one of the three entities we emit
    assert out.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").count("&") == 0


def test_escape_keeps_the_text_readable():
    assert escape.text("<!channel> see <https://evil.example|docs>") == (
        "&lt;!channel&gt; see &lt;https://evil.example|docs&gt;"
    )
    assert escape.text("a & b") == "a &amp; b"


def test_already_escaped_text_is_escaped_again_so_it_shows_literally():
    assert escape.text("&lt;!channel&gt;") == "&amp;lt;!channel&amp;gt;"


@pytest.mark.parametrize("word", ["@channel", "@here", "@everyone", "@HERE"])
def test_legacy_mention_words_are_broken(word):
    out = escape.text(f"cc {word} now")
    assert word not in out
    assert out.replace(escape.WORD_JOINER, "") == f"cc {word} now"


def test_email_addresses_are_left_alone():
    assert escape.text("mail security@debian.org") == "mail security@debian.org"


def test_clip_never_cuts_an_entity_in_half():
    escaped = escape.text("x" * 8 + "<<<<")
    for limit in range(1, len(escaped) + 2):
        out = escape.clip(escaped, limit)
        assert len(out) <= max(limit, 1)
        body = out.rstrip("…")
        assert body.replace("&lt;", "").count("&") == 0


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "https://ok.example/a|https://evil.example",
        "https://ok.example/<!channel>",
        "https://ok.example/a b",
        "ftp://files.example/x",
        "",
        "https://",
    ],
)
def test_unsafe_urls_are_not_linked(url):
    out = escape.link(url, "details")
    assert out == "details"


def test_safe_url_is_linked_with_escaped_label():
    out = escape.link("https://github.com/moby/moby/releases/tag/v1.10.3?a=1&b=2", "<!here> notes")
    assert out == "<https://github.com/moby/moby/releases/tag/v1.10.3?a=1&amp;b=2|&lt;!here&gt; notes>"


def test_terminal_control_characters_never_reach_slack_text():
    from bot.deliver.slack import escape as slack_escape

    assert slack_escape.text("fix \x1b[31mred\x1b[0m\x07 bell\x9b") == "fix [31mred[0m bell"
    assert slack_escape.text("tab\tand\nnewline") == "tab\tand\nnewline"


def test_markdown_links_in_upstream_text_show_their_label_and_link_nowhere():
    line = ("Fix a concurrency issue [#33273](https://github.com/moby/moby/pull/33273) "
            "(ref [see advisory](https://evil.example/login)) [x](javascript:alert(1))")
    shown = escape.text(escape.labels(line))
    assert shown == "Fix a concurrency issue #33273 (ref see advisory) [x](javascript:alert(1))"
    assert "http" not in shown and "<" not in shown
