"""Matching events to pins sets severity as PRODUCT.md's table says."""

import pytest

from bot.core.model import Event, Pin
from bot.judge.match import apply_pins

PINS = (
    Pin("docker", "1.10.3"),
    Pin("linux", "3.16"),
    Pin("debian:docker.io", "1.6.2~dfsg1-1~bpo8+1", "jessie"),
)


def event(kind, product, version, severity="info"):
    return Event(kind, severity, product, version, f"{kind}:{product}:{version}", "s")


@pytest.mark.parametrize(
    "given, severity, pins",
    [
        (event("new_release", "docker", "1.10.4"), "info", ["docker 1.10.3"]),  # brings nothing (policy rule 7)
        (event("new_release", "moby", "1.10.4"), "info", ["docker 1.10.3"]),
        (event("new_release", "docker", "1.10.2"), "info", ["docker 1.10.3"]),
        (event("new_release", "docker", "1.11.0"), "info", None),
        (event("new_release", "linux", "3.16.86"), "info", ["linux 3.16.x"]),
        (event("new_release", "linux", "4.9.337"), "info", None),
        (event("release_withdrawn", "docker", "1.10.3", "warning"), "critical", ["docker 1.10.3"]),
        (event("release_withdrawn", "docker", "1.10.1", "warning"), "warning", ["docker 1.10.3"]),
        (event("release_notes_edited", "docker", "1.10.3"), "warning", ["docker 1.10.3"]),
        (event("branch_eol", "linux", "3.16", "warning"), "critical", ["linux 3.16.x"]),
        (event("new_release", "debian:docker.io", "1.6.2~dfsg1-1~bpo8+2"), "info",
         ["debian:docker.io 1.6.2~dfsg1-1~bpo8+1 (jessie)"]),
    ],
)
def test_severity_and_pins(given, severity, pins):
    [matched] = apply_pins([given], PINS)
    assert matched.severity == severity
    assert matched.data.get("pins") == pins


def test_an_index_dropping_an_old_build_is_routine_but_the_pinned_build_going_is_critical():
    from bot.core.model import Record, Snapshot
    from bot.judge.diff import diff

    def build(version):
        return Record("release", f"release:docker.io:{version}", "debian:docker.io", version,
                      {"from_index": True})

    old, pinned, new = build("1.6.2~dfsg1-1~bpo8+0"), build("1.6.2~dfsg1-1~bpo8+1"), build("1.6.2~dfsg1-1~bpo8+2")
    result = diff([old, pinned, new], Snapshot((new,)), source="apt", detected="T",
                  missing_before={old.key, pinned.key})
    by_version = {e.version: e for e in apply_pins(result.events, PINS)}
    assert by_version["1.6.2~dfsg1-1~bpo8+0"].severity == "info"
    assert by_version["1.6.2~dfsg1-1~bpo8+1"].severity == "critical"
    assert "no longer in the repository index" in by_version["1.6.2~dfsg1-1~bpo8+1"].summary
