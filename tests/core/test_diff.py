"""The diff is a pure function: tables of last good snapshot -> new snapshot -> events."""

import pytest

from bot.core.errors import SourceError
from bot.core.model import Record, Snapshot
from bot.judge.diff import diff


def release(version: str, **data) -> Record:
    return Record("release", f"release:{version}", "docker", version, {"date": "2016-03-10", **data})


def line(version: str, text: str) -> Record:
    return Record("changelog_line", f"line:{version}:{abs(hash(text))}", "docker", version, {"text": text})


def run(before, after, complete=True, gone_before=(), missing_before=()):
    return diff(before, Snapshot(tuple(after), complete=complete), source="s", detected="T",
                gone_before=gone_before, missing_before=missing_before)


def kinds(result) -> list[tuple[str, str]]:
    return sorted((e.kind, e.version) for e in result.events)


RELEASES = [release(f"1.{i}.0") for i in range(10)]


@pytest.mark.parametrize(
    "before, after, complete, expected",
    [
        ([], RELEASES[:2], True, [("new_release", "1.0.0"), ("new_release", "1.1.0")]),
        (RELEASES, RELEASES, True, []),
        (RELEASES, RELEASES + [release("1.10.0")], True, [("new_release", "1.10.0")]),
        (RELEASES, RELEASES[:9], True, []),  # missing once: maybe a stale copy, wait for the next poll
        # a partial view (latest N) never withdraws what it no longer shows
        (RELEASES, RELEASES[5:], False, []),
    ],
)
def test_release_events(before, after, complete, expected):
    assert kinds(run(before, after, complete)) == expected


def test_far_fewer_records_is_a_source_error_not_withdrawals():
    with pytest.raises(SourceError, match="returned 3 releases where the last good run had 10"):
        run(RELEASES, RELEASES[:3])


def test_the_shrink_error_says_how_to_accept_a_real_removal():
    """Upstream really moved most versions away (or the url now names another file): the source
    fails every run, so the message must say what the operator can do about it."""
    before = [Record("release", f"release:1.{i}", "docker", f"1.{i}") for i in range(10)]
    with pytest.raises(SourceError, match="rename the source in sources.yaml to record a new baseline"):
        diff(before, Snapshot(tuple(before[:3])), source="s", detected="t")


def test_a_changed_record_is_rewritten_but_is_not_a_new_release():
    edited = [release("1.0.0", title="new title"), *RELEASES[1:]]
    result = run(RELEASES, edited)
    assert result.events == ()
    assert [r.version for r in result.new_or_changed] == ["1.0.0"]


def test_lines_added_to_a_known_version_are_release_notes_edited():
    before = [release("1.0.0"), line("1.0.0", "Fix a crash")]
    after = [*before, line("1.0.0", "Known issue: overlay breaks on 3.16")]
    [event] = run(before, after).events
    assert event.kind == "release_notes_edited"
    assert event.data["added"] == ["Known issue: overlay breaks on 3.16"]


def test_lines_of_a_new_version_are_not_an_edit():
    before = [release("1.0.0")]
    after = [*before, release("1.1.0"), line("1.1.0", "Fix a crash")]
    assert kinds(run(before, after)) == [("new_release", "1.1.0")]


def test_a_version_coming_back_is_news():
    result = run(RELEASES[:9], RELEASES, gone_before={"release:1.9.0"})
    [event] = result.events
    assert event.kind == "new_release" and "listed again" in event.summary
    assert event.severity == "warning"


def test_keys_are_stable_facts():
    a = run([], RELEASES[:1]).events[0].key
    b = run([], RELEASES[:1]).events[0].key
    assert a == b == "new_release:docker:1.0.0"


def test_a_partial_view_that_lists_branches_proves_a_branch_is_gone():
    branch = Record("branch", "branch:4.4", "linux", "4.4", {"eol": False})
    kept = Record("branch", "branch:5.8", "linux", "5.8", {"eol": False})
    result = run([branch, kept, *RELEASES], [kept], complete=False, missing_before={"branch:4.4"})
    assert [r.key for r in result.gone] == ["branch:4.4"]
    assert result.events == ()  # what a vanished branch means is the kind's to say (branch_dropped)


def test_a_release_is_withdrawn_only_when_two_polls_in_a_row_miss_it():
    first = run(RELEASES, RELEASES[:9])
    assert first.events == () and [r.key for r in first.missing] == ["release:1.9.0"] and first.gone == ()
    second = run(RELEASES, RELEASES[:9], missing_before={"release:1.9.0"})
    assert kinds(second) == [("release_withdrawn", "1.9.0")] and [r.key for r in second.gone] == ["release:1.9.0"]
    back = run(RELEASES, RELEASES, missing_before={"release:1.9.0"})
    assert back.events == () and back.gone == () and back.missing == ()
