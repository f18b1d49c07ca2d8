"""The ``ChangeLog-X.Y.Z`` of each new release in the pinned kernel branches.

A stable ChangeLog is ``git log`` output: ``commit <sha>``, ``Author:``, ``Date:``,
then the message indented by four spaces. From each commit we keep what tells a
reader whether the release is safe: the title, the upstream commit it backports
(``commit <sha> upstream.`` or ``[ Upstream commit <sha> ]``), ``Fixes:`` tags,
the ``Cc: stable`` line, CVE ids, and what a ``Revert "X"`` takes back (``This
reverts commit <sha>.``), so rules can tell whether the pinned release carries it.

The releases come from releases.json; each ChangeLog is fetched once (they never
change) and its records are carried forward from run to run, so the source always
holds every release read so far of the branches it follows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.sources.api import (
    Context,
    Finding,
    Kind,
    Pin,
    Record,
    Snapshot,
    SourceConf,
    SourceError,
    branch_of,
    classify,
    cve_ids,
    in_branch,
    looks_like_html,
    same_product,
    sort_key,
)
from bot.sources.kernel_org import RELEASES_URL, releases_json_records

NAME = "kernel_changelog"
DEFAULT_TEMPLATE = "https://cdn.kernel.org/pub/linux/kernel/v{major}.x/ChangeLog-{version}"

_COMMIT_RE = re.compile(r"^commit ([0-9a-f]{40})\b.*$", re.MULTILINE)
_UPSTREAM_RES = (
    re.compile(r"^commit ([0-9a-f]{12,40}) upstream\.?$", re.IGNORECASE | re.MULTILINE),
    re.compile(r"^\[\s*(?:upstream commit|commit)\s+([0-9a-f]{12,40})\s*(?:upstream\s*)?\]$",
               re.IGNORECASE | re.MULTILINE),
)
_FIXES_RE = re.compile(r"^Fixes:\s*([0-9a-f]{8,40})\b", re.IGNORECASE | re.MULTILINE)
_STABLE_RE = re.compile(r"^Cc:.*\bstable@(?:vger\.)?kernel\.org.*$", re.IGNORECASE | re.MULTILINE)
_REVERTS_RE = re.compile(r"This reverts commit ([0-9a-f]{12,40})", re.IGNORECASE)
_TRAILER_RE = re.compile(r"^[A-Z][\w-]+(?:-by)?:\s|^Cc:|^Fixes:|^Link:|^\[", re.IGNORECASE)
_REVERT_TITLE_RE = re.compile(r'^Revert\s+"(.+)"$', re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class Conf(SourceConf):
    product: str = "linux"
    releases_url: str = RELEASES_URL
    url_template: str = DEFAULT_TEMPLATE
    branches: tuple[str, ...] = ()  # default: the fleet's pinned branches of `product`
    backfill: int = 1  # releases read on the first run of a branch pin (exact pins: all newer)
    max_fetch: int = 20  # ChangeLogs fetched per branch and run, newest first


def changelog_url(template: str, version: str) -> str:
    major = "2.6" if version.startswith("2.6.") else version.split(".")[0]
    return template.format(major=major, version=version)


def parse(body: bytes, version: str, conf: Conf, watch_words: Sequence[str] = (), url: str = "") -> list[Record]:
    """One changelog_line record per commit of a ChangeLog-X.Y.Z body."""
    if looks_like_html(body):
        raise SourceError(f"HTML page instead of ChangeLog-{version}", url)
    text = body.decode("utf-8", errors="replace")
    starts = list(_COMMIT_RE.finditer(text))
    if not starts:
        raise SourceError(f"no 'commit <sha>' block in ChangeLog-{version}", url)
    records = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        data = _commit(match.group(1), text[match.end():end], watch_words)
        if data is None:
            raise SourceError(f"commit {match.group(1)[:12]} in ChangeLog-{version} has no message "
                              "(truncated file?)", url)
        records.append(Record("changelog_line", f"line:{version}:{match.group(1)[:12]}",
                              conf.product or "linux", version, data))
    if not body.endswith(b"\n"):  # git log output always ends its last line: the rest was lost
        raise SourceError(f"truncated ChangeLog-{version}: the body ends mid-line", url)
    return records


def _commit(sha: str, block: str, watch_words: Sequence[str]) -> dict[str, Any] | None:
    head, _, rest = block.lstrip("\n").partition("\n\n")
    headers = dict(_header(line) for line in head.splitlines() if ":" in line)
    message = [line[4:] if line.startswith("    ") else line.strip() for line in rest.splitlines()]
    lines = [line for line in message if line.strip()]
    if not lines:
        return None
    title = lines[0].strip()
    body = "\n".join(line.rstrip() for line in message)
    upstream = next((m.group(1) for r in _UPSTREAM_RES for m in [r.search(body)] if m), "")
    reverted = _REVERT_TITLE_RE.match(title)
    reverts_sha = _REVERTS_RE.search(body)
    stable = _STABLE_RE.search(body)
    data = {
        "text": title,
        "title": title,
        "section": "",
        "sha": sha,
        "upstream_sha": upstream,
        "author": headers.get("author", ""),
        "date": _date(headers.get("date", "")),
        "fixes": _FIXES_RE.findall(body),
        "stable": stable.group(0).strip() if stable else "",
        "cves": cve_ids(body),
        "classes": classify(title, watch_words),
        "reverts": reverted.group(1) if reverted else "",
        "reverts_sha": reverts_sha.group(1) if reverts_sha else "",
        "notes": _regression_notes(lines[1:]),
    }
    if data["reverts_sha"] and data["upstream_sha"]:
        # "This reverts commit X, which was commit Y upstream.": Y is the reverted change's.
        data["reverts_upstream"], data["upstream_sha"] = data["upstream_sha"], ""
    return data


def _regression_notes(lines: list[str]) -> list[str]:
    """Sentences of the message that speak of a regression (wrapped lines joined)."""
    prose = " ".join(line.strip() for line in lines if not _TRAILER_RE.match(line.strip()))
    return [s.strip() for s in re.split(r"(?<=\.)\s+", prose) if re.search(r"\bregress", s, re.I)][:3]


def _header(line: str) -> tuple[str, str]:
    name, _, value = line.partition(":")
    return name.strip().lower(), value.strip()


def _date(value: str) -> str:
    try:
        return datetime.strptime(value, "%a %b %d %H:%M:%S %Y %z").date().isoformat()
    except ValueError:
        return ""


def followed_branches(conf: Conf, pins: Sequence[Pin]) -> dict[str, str]:
    """branch -> the pinned version in it ('' for a branch pin), from the config or the fleet."""
    product = conf.product or "linux"
    if conf.branches:
        return {b: "" for b in conf.branches}
    found: dict[str, str] = {}
    for pin in pins:
        if not same_product(pin.product, product):
            continue
        spec = pin.spec  # parsed once, when the config was loaded
        if spec is None:
            continue
        try:
            branch = spec.version if spec.is_branch else branch_of(spec.version, "kernel")
        except ValueError:
            continue
        found[branch] = "" if spec.is_branch else min(
            (v for v in (found.get(branch), spec.version) if v), key=lambda v: sort_key(v, "kernel"))
    return found


def wanted_versions(branch: str, latest: str, pinned: str, done: Sequence[str], conf: Conf) -> list[str]:
    """The releases of `branch` whose ChangeLog is still to read, oldest first."""
    try:
        last = int(latest.split(".")[len(branch.split("."))])
    except (IndexError, ValueError):
        return []  # X.Y itself (a mainline release) has no stable ChangeLog
    sublevels = [int(v.rsplit(".", 1)[1]) for v in done if in_branch(v, branch, "kernel")
                 and v.count(".") == branch.count(".") + 1]
    if sublevels:
        first = max(sublevels) + 1
    elif pinned and pinned.count(".") == branch.count(".") + 1:
        first = int(pinned.rsplit(".", 1)[1]) + 1
    else:
        first = last - max(conf.backfill, 1) + 1
    first = max(first, last - conf.max_fetch + 1, 1)
    return [f"{branch}.{n}" for n in range(first, last + 1)]


def _unlisted(product: str, branches: list[str], url: str) -> Finding:
    names = ", ".join(branches)
    return Finding(
        kind="changelog_unavailable",
        key=f"kernel_changelog:{product}:{names}:unlisted",
        summary=f"{product} {names} is not listed on kernel.org (ended?): its ChangeLogs cannot be followed; "
                "watch the distribution's changelog instead",
        severity="warning",
        product=product,
        data={"url": url, "branches": branches},
    )


async def collect(conf: Conf, ctx: Context) -> Snapshot:
    product = conf.product or "linux"
    branches = followed_branches(conf, ctx.fleet)
    if not branches:
        raise SourceError(f"no {product} branch pinned in the fleet and no 'branches' configured")
    response = await ctx.get(conf.releases_url, conditional=False, accept="application/json")
    listed = {r.version: str(r.data.get("latest", "")) for r in
              releases_json_records(response.body, conf.releases_url, product)
              if r.kind == "branch"}
    kept = [r for r in ctx.previous if r.kind == "changelog_line" and r.product == product
            and any(in_branch(r.version, b, "kernel") for b in branches)]
    done = sorted({r.version for r in kept})
    if not kept and not set(branches) & set(listed):
        # Debian 8's 3.16 left kernel.org in 2020: one standing warning, not a failure every poll.
        return Snapshot((), findings=(_unlisted(product, list(branches), conf.releases_url),), complete=False)
    records = list(kept)
    for branch, pinned in branches.items():
        if branch not in listed:
            continue  # ended and gone: the records read so far stay
        for version in wanted_versions(branch, listed[branch], pinned, done, conf):
            url = changelog_url(conf.url_template, version)
            body = (await ctx.get(url, conditional=False)).body
            records += parse(body, version, conf, ctx.watch_words, url)
    if not records:
        raise SourceError(f"no ChangeLog read for {', '.join(branches)}", conf.releases_url)
    return Snapshot(tuple(records), complete=False)


KIND = Kind(name=NAME, conf=Conf, collect=collect)
