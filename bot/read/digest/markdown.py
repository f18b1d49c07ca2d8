"""The digest as Markdown (`--out digest.md`, and the terminal): tables a chat or a wiki renders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.text import printable

PIN_COLUMNS = ("pin", "newest in branch", "newest", "behind", "branch end", "incidents", "waiting", "smallest upgrade")


def pin_cells(row: dict[str, Any]) -> list[str]:
    """One pin's cells, shared by Markdown, HTML and Slack so all say the same."""
    waiting = ", ".join(f"{n} {sev}" for sev, n in sorted(row["waiting"].items())) or "none"
    newest_in_branch = row["newest_in_branch"] or "(is newest)"
    return [f"{row['product']} {row['pinned']}", newest_in_branch, row["newest_overall"] or "?", behind_text(row),
            row["branch_end"] or "?", str(row["open_incidents"]), waiting, row["smallest_upgrade"] or "-"]


def pin_sentence(row: dict[str, Any]) -> str:
    """A pin's row as one labelled line, for Slack (no table there): the cells that say something."""
    parts = [] if row["is_branch"] else [f"behind: {behind_text(row)}"]
    if row["newest_in_branch"] not in ("", "?"):
        parts.append(f"newest in branch {row['newest_in_branch']}")
    if row["newest_overall"]:
        parts.append(f"newest {row['newest_overall']}")
    if row["branch_end"]:
        end = row["branch_end"]
        parts.append(f"branch {end}" if end in ("abandoned", "ended") else f"branch end {end}")
    if row["open_incidents"]:
        parts.append(f"{row['open_incidents']} open incident{'s' if row['open_incidents'] > 1 else ''}")
    waiting = ", ".join(f"{n} {sev}" for sev, n in sorted(row["waiting"].items()))
    if waiting:
        parts.append(f"waiting: {waiting}")
    if row["smallest_upgrade"]:
        parts.append(f"smallest upgrade with every critical fix: {row['smallest_upgrade']}")
    return f"{row['product']} {row['pinned']}: " + ("; ".join(parts) or "nothing known yet")


def behind_text(row: dict[str, Any]) -> str:
    """'3 releases, 1200 days'; '0 in branch, 64 newer, 900 days' (an abandoned branch, a Debian upload);
    '-' for a branch pin, which runs whatever the branch has."""
    if row["releases_behind"] is None:
        return "- (branch pin)" if row["is_branch"] else "? (no release known)"
    count = row["releases_behind"]
    parts = [f"{count} release{'' if count == 1 else 's'}"]
    if row["newer_overall"] > count:
        parts = [f"{count} in branch", f"{row['newer_overall']} newer"]
    if row["days_behind"] is not None and (count or row["newer_overall"]):
        parts.append(f"{row['days_behind']} days")
    return ", ".join(parts)


def markdown(digest: dict[str, Any], chart_note: str = "") -> str:
    out = [f"# {digest['title']}", "", f"Since {digest['since'][:16]}Z, generated {digest['generated_at'][:16]}Z.", ""]
    out += ["## Pins that need action", ""] + ([f"- {line}" for line in digest["needs_action"]] or ["Nothing."]) + [""]
    out += ["## Pins", ""] + _table(PIN_COLUMNS, [pin_cells(r) for r in digest["pins"]]) + [""]
    out += ["## Open incidents", ""]
    out += [f"- **{i['kind']}** ({i['severity']}) {i['source']}: open for {i['age']} — {i['summary']}"
            for i in digest["incidents"]] or ["None."]
    out += ["", f"## Events ({digest['event_count']})", ""]
    for group in digest["events"]:
        out += [f"### {group['product']} ({group['count']})", ""]
        out += [f"- [{e['severity']}] {e['kind']}: {e['summary']}" for e in group["events"]]
        if group["count"] > len(group["events"]):
            out.append(f"- ... and {group['count'] - len(group['events'])} more")
        out.append("")
    if not digest["events"]:
        out += ["Nothing new.", ""]
    out += ["## Silenced", ""]
    out += [f"- [{e['severity']}] {e['summary']} — silenced: {e['reason']}" for e in digest["silenced"]] or ["None."]
    out += ["", "## Source health", ""]
    out += [f"- {h['source']}: failed {h['failing']}x in a row since {h['since'][:16]}, last success "
            f"{h['last_success'][:16]}: {h['last_error']}" for h in digest["sources"]] or ["Every source answered."]
    if chart_note:
        out += ["", chart_note]
    return printable("\n".join(out)) + "\n"


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    if not rows:
        return ["No pins in sources.yaml."]
    clean = [[c.replace("|", "\\|") for c in row] for row in rows]
    return ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)] + ["| " + " | ".join(r) + " |" for r in clean]
