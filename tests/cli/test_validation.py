"""What the user types is checked (issue 23 item 6): a silence pattern must be able to match an event kind,
`why` with something that is not a version is a usage error with a hint."""

from click.testing import CliRunner

from bot.cli.main import main


def run(history, *args):
    cfg, db = history
    return CliRunner().invoke(main, ["--config", str(cfg), "--db", str(db), *args])


def test_a_silence_pattern_matching_no_event_kind_is_refused_with_a_guess(history):
    wrong = run(history, "silence", "apt_idx_missing:*", "--for", "1d", "--reason", "maintenance")
    assert wrong.exit_code == 2 and "did you mean apt_index_missing:*?" in wrong.output
    bare = run(history, "silence", "new_release", "--for", "1d", "--reason", "maintenance")
    assert bare.exit_code == 2 and "did you mean new_release:*?" in bare.output
    for good in ("apt_index_missing:*", "source_failing:*", "apt_*", "*docker*"):
        assert run(history, "silence", good, "--for", "1d", "--reason", "maintenance").exit_code == 0, good


def test_why_with_something_that_is_not_a_version_is_a_usage_error_with_a_hint(history):
    for text, hint in (("abc", "trackbot search abc"), ("1.1O", "did you mean 1.10?")):
        out = run(history, "why", text)
        assert out.exit_code == 2 and hint in out.output, out.output
    assert run(history, "why", "1.10", "--product", "docker").exit_code == 0
    assert run(history, "why", "9.9.9").exit_code == 0  # a version nobody released yet: "nothing recorded"


def test_listings_show_50_and_say_how_many_more(history):
    for index in range(60):
        assert run(history, "silence", f"new_release:docker:9.{index}", "--for", "1d", "--reason", "x").exit_code == 0
    text = run(history, "silences").output
    assert "10 more: --limit 60 or --all" in text
    assert len(__import__("json").loads(run(history, "silences", "--json").output)) == 60
