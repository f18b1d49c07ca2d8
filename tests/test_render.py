"""How an alert's items read: the fixes one release brings to one pin are one line."""

from __future__ import annotations

from bot.core.alert import Alert, AlertKind
from bot.core.model import Event
from bot.deliver.console import alert_lines, display_items


def fix(n: int, fixed_in: str = "1.10.4", pin: str = "docker 1.10.3", **data: object) -> Event:
    return Event("fix_available", "warning", "docker", "1.10.3", f"fix:{n}", f"Fix {n} available",
                 data={"pins": [pin], "fixed_in": fixed_in, "text": f"fix number {n}", **data})


def test_many_fixes_for_one_pin_in_one_release_are_one_line_cve_fixes_named_first():
    items = (fix(1), fix(2), fix(3, cves=["CVE-2016-1"]), fix(4), fix(5))
    [line] = display_items(items)
    assert line.summary == ("5 fixes for docker 1.10.3 in 1.10.4: fix number 3; fix number 1; fix number 2 "
                            "(and 2 more)")


def test_other_releases_pins_and_kinds_keep_their_own_lines():
    release = Event("new_release", "warning", "docker", "1.10.4", "new:1", "docker 1.10.4 released")
    items = (fix(1), release, fix(2, fixed_in="1.10.5"), fix(3, pin="docker 1.9.1"), fix(4), fix(5, fixed_in=""))
    shown = [e.summary for e in display_items(items)]
    assert shown == ["2 fixes for docker 1.10.3 in 1.10.4: fix number 1; fix number 4", "docker 1.10.4 released",
                     "Fix 2 available", "Fix 3 available", "Fix 5 available"]


def test_the_console_lines_show_the_grouped_line_once():
    alert = Alert(AlertKind.EVENTS, "warning", "moby: 30 warnings", "moby", tuple(fix(n) for n in range(30)))
    assert alert_lines(alert) == [
        "[warning] 30 fixes for docker 1.10.3 in 1.10.4: fix number 0; fix number 1; fix number 2 (and 27 more)"
    ]
