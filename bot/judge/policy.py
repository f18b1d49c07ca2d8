"""The severity policy: the one place that decides how loud an event is (README: "Severity policy").

critical pages a human to act today, warning is read this week (grouped), info waits for the
digest. The rules, in the order they are applied:

1. Anything about a product or branch the fleet does not pin is info (`unpinned`), whatever
   it is: a branch's end of life, a new release, a fix.
2. A line only for another architecture or for kernel modules the fleet does not load is
   info (`LineFacts.relevant`, from bot.judge.relevance).
3. A pinned branch that ended, was dropped or was abandoned is critical (`pinned_branch`).
4. A regression the pin carries is critical only with evidence that it matters
   (`regression`): the text names a regression, crash, hang, panic, data loss or corruption,
   or a boot failure; or it closes a user's bug report (Debian's ``Closes: #n``: someone was
   hit); or it touches a watch word or a module the fleet loads. A bare revert
   of a change the pin carries is a warning: Debian's kernel reverts dozens of backports per
   year and almost none of them break anything (19 of 19 pages in 36 months were that).
5. A security fix reaching the pin is critical only when its CVE is rated high or critical
   (`security`): by the advisory sources (`ctx.cves`: Debian urgency, Red Hat impact, CVSS,
   KEV) or, where none rates it, by the upstream's own words ("critical vulnerability",
   "privilege escalation", "container breakout", "remote code execution", "gain
   administrative privileges"). Other or unrated security fixes are warnings.
6. Other fixes and reverts that reach the pin are warnings.
7. A new release of a pinned branch, newer than the pin, is a warning only when it carries
   such fixes (`pinned_release`): at least one fix_available or regression event, warning or
   louder, that its own source read in it for that pin. Otherwise it is info: a release that
   brings the pin nothing, and a release whose source cannot show what it contains (kernel.org's
   releases.json or feed, an apt index, a GitHub release with empty notes). Those cannot be
   judged, so they never page or post; they stay in the digest and in `why`, and their summary
   says why they are info. (A release listed again after being withdrawn keeps its warning: it
   answers the withdrawal.)
8. The baseline summary is info (`BASELINE`): it is posted once, never pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.core.severity import Severity
from bot.judge.cves import CveInfo

BASELINE = Severity.INFO

# Words that say a change matters to whoever runs it (policy rule 4).
EVIDENCE_RE = re.compile(
    r"\b(?:regress\w*|crash\w*|hangs?|hung|hanging|deadlock\w*|lock-?ups?|panic\w*|oops\w*|BUG:|"
    r"data\s+(?:loss|corruption)|(?:silent\s+)?corrupt\w*|los(?:e|es|ing|t)\s+data|"
    r"(?:fails?|failure|failing|unable)\s+to\s+boot|boot\s+(?:failure|fails?|hangs?|loops?)|unbootable|"
    r"does\s+not\s+boot|no\s+longer\s+boots?)(?!\w)",
    re.IGNORECASE,
)
# Upstream words that rate a security fix high (policy rule 5), when no advisory source rates it.
HIGH_RISK_RE = re.compile(
    r"\b(?:critical\s+(?:security\s+)?vulnerabilit\w+|privilege\s+escalation|escalat\w+\s+(?:of\s+)?privileges?|"
    r"container\s+(?:breakout|escape)|break\s+out\s+of\s+(?:the\s+)?containers?|"
    r"remote\s+code\s+execution|gain\s+(?:administrative|root)\s+privileges)",
    re.IGNORECASE,
)
# Kinds that are news about a product or a branch, as opposed to the state of a repository
# or of trackbot itself (apt_*, source_failing): rule 1 makes them info when no pin is touched.
PRODUCT_NEWS = frozenset({
    "new_release", "release_withdrawn", "release_notes_edited", "branch_eol", "branch_eol_scheduled",
    "branch_dropped", "branch_abandoned", "branch_uncovered", "fix_available", "regression",
})
BRANCH_ENDS = frozenset({"branch_eol", "branch_dropped", "branch_abandoned"})
# What a release can carry for a pin (rule 7): the rules' findings in its notes.
RELEASE_CONTENT = frozenset({"fix_available", "regression"})


@dataclass(frozen=True)
class LineFacts:
    """What the rules learnt of one changelog line that bears on its severity."""

    text: str
    relevant: bool = True  # False: another architecture, or a module the fleet does not load
    watch_hit: bool = False  # a watch word appears in it
    runs_module: bool = False  # its subsystem is a module the fleet loads
    reported: bool = False  # it closes a bug report (Debian's "Closes: #n"): someone was hit

    @property
    def matters(self) -> bool:
        """Evidence that the change matters to the fleet (rule 4)."""
        return self.watch_hit or self.runs_module or self.reported or bool(EVIDENCE_RE.search(self.text))


def unpinned(kind: str, severity: str) -> str:
    """Rule 1: product news that touches no pin is info; repository and trackbot incidents keep theirs."""
    return Severity.INFO if kind in PRODUCT_NEWS else severity


def pinned_branch(kind: str) -> Severity:
    """Rule 3: a pinned branch ending (eol, dropped, abandoned) is critical; the rest a warning."""
    return Severity.CRITICAL if kind in BRANCH_ENDS else Severity.WARNING


def revert(carried: bool | None, facts: LineFacts) -> Severity:
    """A revert: `carried` True when the pin ships the reverted change, None when unknown, False when not."""
    if carried is False or not facts.relevant:
        return Severity.INFO
    if carried and facts.matters:
        return Severity.CRITICAL
    return Severity.WARNING


def regression(affects_pin: bool | None, facts: LineFacts) -> Severity:
    """A fix of a regression: critical when the pin carries it (or may: a branch pin) and it matters."""
    if affects_pin is False or not facts.relevant:
        return Severity.INFO
    return Severity.CRITICAL if affects_pin and facts.matters else Severity.WARNING


def security(cves: Iterable[str], table: Mapping[str, CveInfo], facts: LineFacts) -> tuple[Severity, str]:
    """A security fix reaching the pin, and why it is that loud (for the alert)."""
    if not facts.relevant:
        return Severity.INFO, "not for this fleet's architecture or modules"
    rated = [table[c] for c in cves if c in table and table[c].severity]
    if rated:
        top = max(rated, key=lambda info: (info.severity == "critical", info.exploited))
        if top.severity == Severity.CRITICAL:
            why = "known exploited" if top.exploited else f"rated {top.rating or 'high'}"
            return Severity.CRITICAL, f"{top.cve} {why}"
        return Severity.WARNING, f"{top.cve} rated {top.rating or top.severity}"
    words = HIGH_RISK_RE.search(facts.text)
    if words:
        return Severity.CRITICAL, f"upstream says '{words.group(0)}'"
    return Severity.WARNING, "rating unknown"


def fix(facts: LineFacts) -> Severity:
    """Rule 6: a fix (watch word, listed bug) reaching the pin; info when it is not for this fleet."""
    return Severity.WARNING if facts.relevant else Severity.INFO


def pinned_release(newer: bool, brings: int, lines_read: int, pins: str) -> tuple[Severity, str]:
    """Rule 7: how loud a new release of a pinned branch is, and why (its summary says it).

    `newer`: it is newer than a pin it touches (an older build, or the pin's own version, is
    never news); `brings`: fix_available and regression events, warning or louder, that its own
    source found in it for those pins; `lines_read`: lines of its notes the source read; `pins`:
    the pins' labels, for the reason.
    """
    if not newer:
        return Severity.INFO, ""
    if brings:
        return Severity.WARNING, f"{brings} {'fix or revert' if brings == 1 else 'fixes or reverts'} for {pins}"
    if not lines_read:
        return Severity.INFO, f"digest only: this source does not show what it brings to {pins}"
    return Severity.INFO, f"digest only: nothing in its notes reaches {pins}"
