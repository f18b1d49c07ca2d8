"""Check one yum/dnf repository the way `dnf makecache` would, and say what is wrong.

Order as dnf's: repomd.xml, its detached signature repomd.xml.asc (gpgv, the apt kinds'
verifier, against the configured keys), then every `<data>` file streamed and checked
against the checksum and size repomd.xml lists. Severities follow verdicts.py (measured dnf).

Trust rule (as apt's): nothing unverified becomes "last good". A signature that fails, or
a revision that goes backwards, keeps the previous repo_state; package versions and errata
come only from files whose checksum matches the verified repomd.xml, and where one does not,
the previous poll's records of that file are carried over, so nothing looks withdrawn.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.sources.api import Context, Finding, Record, SourceError
from bot.sources.apt import openpgp
from bot.sources.apt.keyrings import prepare_keyrings
from bot.sources.rpm import verdicts
from bot.sources.rpm.metadata import DataCheck
from bot.sources.rpm.records import data_records
from bot.sources.rpm.repomd import DataEntry, Repomd, parse_repomd
from bot.sources.rpm.spec import Policy, RpmResult, RpmSpec, finding_key, previous_state


def _missing(exc: SourceError) -> bool:
    return exc.status in (404, 410) or " 404" in exc.reason or " 410" in exc.reason


async def check_repo(spec: RpmSpec, policy: Policy, ctx: Context) -> RpmResult:
    """Fetch, verify and judge one repository; raises SourceError only when it cannot be read at all."""
    result = RpmResult()
    previous = previous_state(ctx.previous, spec.repo_id)
    url = spec.file("repodata/repomd.xml")
    finding = _finding_maker(spec, policy, url, result)
    try:
        body = (await ctx.get(url, conditional=False)).body
        repomd = parse_repomd(body, url)
    except SourceError as exc:
        if exc.status is not None and not _missing(exc):
            raise  # a 5xx, a 429: the server, not the repository (source_failing after retries)
        if exc.status is None and "repomd" not in exc.reason:
            raise  # a timeout or a refused connection
        finding("rpm_repomd_broken", "repomd", f"repomd.xml unusable: {exc.reason} (dnf fails: "
                "\"Cannot download repomd.xml\")", verdicts.BROKEN_REPOMD, polls=policy.hash_polls)
        return _keep(result, ctx, policy, spec)
    verdict, reason = await _verify(spec, body, ctx)
    fingerprints = verdict.fingerprints if verdict is not None else ()
    if not fingerprints:
        finding("rpm_signature_invalid", "signature", f"repomd.xml signature does not verify: {reason}",
                verdicts.signature_severity(spec.gpgcheck), polls=policy.signature_polls,
                reason=reason, gpgcheck=spec.gpgcheck)
        if spec.gpgcheck:  # dnf stops here, and so does trust
            return _keep(result, ctx, policy, spec)
    before = dict(previous.data) if previous else {}
    rolled = _judge_history(repomd, before, fingerprints, finding, ctx, policy) if fingerprints else False
    trusted = bool(fingerprints) and not rolled
    if rolled:  # hosts download the older files (so they are checked), but they are not the news
        result.carried.update({"primary", "updateinfo"})
    if trusted:
        result.records.append(Record("repo_state", f"repo:{spec.repo_id}", policy.product, "",
                                     {**repomd.state(fingerprints), "url": spec.url, "repo": spec.repo_id}))
    elif previous is not None:
        result.records.append(previous)
    watch = policy.watched(ctx.fleet)
    checks = [await _check_file(spec, entry, ctx, finding, watch, policy.hash_polls) for entry in repomd.entries]
    result.records += data_records(spec, policy, checks, ctx.previous, result.carried)
    return result


def _finding_maker(spec: RpmSpec, policy: Policy, url: str, result: RpmResult) -> Callable[..., None]:
    def add(kind: str, what: str, summary: str, severity: str, *, polls: int = 1, incident: bool = True,
            **data: object) -> None:
        result.findings.append(Finding(kind, finding_key(policy, spec, what), f"{spec.url}: {summary}", severity,
                                       policy.product, "", {"url": data.pop("where", url), **data}, polls,
                                       incident))
    return add


def _keep(result: RpmResult, ctx: Context, policy: Policy, spec: RpmSpec) -> RpmResult:
    """Nothing of this poll is trusted: the last good state and records stand, open incidents stay open."""
    previous = previous_state(ctx.previous, spec.repo_id)
    if previous is not None:
        result.records.append(previous)
    result.carried.update({"primary", "updateinfo"})
    result.records += data_records(spec, policy, (), ctx.previous, result.carried)
    result.unchecked.add(finding_key(policy, spec, ""))
    return result


async def _verify(spec: RpmSpec, body: bytes, ctx: Context) -> tuple[openpgp.Verdict | None, str]:
    """gpgv's verdict on repomd.xml + repomd.xml.asc, or None and why there is nothing to verify."""
    asc_url = spec.file("repodata/repomd.xml.asc")
    try:
        signature = (await ctx.get(asc_url, conditional=False)).body
    except SourceError as exc:
        if not _missing(exc):
            raise
        return None, "repomd.xml.asc is missing (404): dnf with repo_gpgcheck fails (\"GPG signature is not available\")"
    if not signature.strip():
        return None, "repomd.xml.asc is empty"
    if not spec.keyrings and not spec.inline_keys:
        return None, "no key configured to verify it with (no gpgkey, no keyring)"
    with tempfile.TemporaryDirectory(prefix="trackbot-keys-") as tmp:
        keyrings = prepare_keyrings(spec.keyrings, spec.inline_keys, Path(tmp))
        verdict = await openpgp.verify(body, keyrings, detached=signature)
    if verdict.ok:
        return verdict, ""
    return None, verdict.reason() + " (dnf: \"repomd.xml GPG signature verification error\")"


def _judge_history(repomd: Repomd, before: dict[str, object], fingerprints: tuple[str, ...],
                   finding: Callable[..., None], ctx: Context, policy: Policy) -> bool:
    """Key change, rollback and staleness of a verified repomd.xml; True when it must not become last good."""
    old_key = str(before.get("fingerprint") or "")
    if old_key and not set(fingerprints) & set(old_key.split()):
        # A rotation is a fact to check once: the new key becomes the one compared against.
        finding("rpm_key_changed", f"key:{fingerprints[0]}", f"repomd.xml signing key changed from {old_key} "
                f"to {' '.join(fingerprints)}", verdicts.CRITICAL, incident=False, old=old_key,
                new=" ".join(fingerprints))
    rolled = _older(repomd, before)
    if rolled:
        finding("rpm_rollback", "rollback", f"repomd.xml went backwards: {rolled} (dnf takes it: hosts are "
                "served older metadata)", verdicts.ROLLBACK, polls=policy.hash_polls,
                revision=repomd.revision, last_good=before.get("revision"))
    if policy.stale_after and repomd.newest:
        changed = datetime.fromtimestamp(repomd.newest, UTC)
        if ctx.now() - changed > policy.stale_after:
            finding("rpm_stale", "stale", f"metadata unchanged since {changed.isoformat()} (older than "
                    f"stale_after): a dead mirror?", verdicts.STALE, timestamp=repomd.newest)
    return bool(rolled)


def _older(repomd: Repomd, before: dict[str, object]) -> str:
    """Why this repomd.xml is older than the last good one ("" when it is not)."""
    old_rev, old_stamp = str(before.get("revision") or ""), int(str(before.get("timestamp") or 0))
    if repomd.revision.isdigit() and old_rev.isdigit() and int(repomd.revision) < int(old_rev):
        return f"revision {repomd.revision} is older than the last good {old_rev}"
    if repomd.newest and old_stamp and repomd.newest < old_stamp:
        return f"newest timestamp {repomd.newest} is older than the last good {old_stamp}"
    return ""


async def _check_file(spec: RpmSpec, entry: DataEntry, ctx: Context, finding: Callable[..., None],
                      watch: frozenset[str], polls: int) -> DataCheck:
    """Stream one data file; a wrong checksum or size, or a 404, is a finding (verdicts.data_severity)."""
    url = spec.file(entry.href)
    check = DataCheck(entry, watch.__contains__)
    severity = verdicts.data_severity(entry.type)
    dnf = "dnf fails on hosts without it cached" if severity == verdicts.CRITICAL else "dnf does not download it"
    try:
        async with ctx.stream(url) as chunks:
            async for chunk in chunks:
                check.feed(chunk)
                if check.oversized:
                    break
    except SourceError as exc:
        if not _missing(exc):
            raise
        finding("rpm_data_missing", f"missing:{entry.type}", f"{entry.type} ({entry.href}) is missing: "
                f"{exc.reason} ({dnf})", severity, polls=polls, where=url, type=entry.type)
        check.error = "missing"
        return check
    check.close()
    if not check.matches:
        size = f">{entry.size}" if check.oversized else str(check.size)
        finding("rpm_checksum_mismatch", f"checksum:{entry.type}", f"{entry.type} checksum mismatch: expected "
                f"{entry.size} bytes {entry.algorithm} {entry.checksum[:16]}…, received {size} bytes "
                f"{check.checksum[:16]}… ({dnf})", severity, polls=polls, where=url,
                type=entry.type, expected={"checksum": entry.checksum, "size": entry.size},
                received={"checksum": check.checksum, "size": check.size})
    elif check.error:
        finding("rpm_metadata_unreadable", f"unreadable:{entry.type}", f"{entry.type} matches its checksum but "
                f"{check.error}", severity, where=url, type=entry.type)
    return check
