"""Check one apt repository (URL + suite) the way apt-get update would, and say what is wrong.

Shared by the apt_repo kind (a configured repository) and apt_sources (every
repository in the host's own apt configuration). The result is findings (the
core turns them into incidents) and records: a repo_state per suite that the
next run compares with, and releases of watched packages.

Trust rule: nothing unverified becomes "last good". When the signature fails,
the Release is another suite's (Suite/Codename), or the Date goes backwards,
the previous repo_state is re-emitted, and
package versions come only from indexes whose size and SHA256 match the
verified Release; for the others the previous records are carried over.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot.sources.api import Context, Finding, Record, Snapshot, SourceError, asyncio, looks_like_html
from bot.sources.apt import openpgp
from bot.sources.apt import release as apt_release
from bot.sources.apt.keyrings import prepare_keyrings
from bot.sources.apt.release import ReleaseInfo
from bot.sources.apt.release_indexes import check_index, package_records
from bot.sources.apt.settings import Policy
from bot.sources.apt.spec import RepoResult, RepoSpec, finding_key, is_missing, previous_state, unjudged


async def check_repo(spec: RepoSpec, policy: Policy, ctx: Context) -> RepoResult:
    """Fetch, verify and judge one suite; raises SourceError only when it cannot be read at all."""
    result = RepoResult()
    previous = previous_state(ctx.previous, spec.repo_id)
    signed, detached, url = await _fetch_release(spec, ctx)
    with tempfile.TemporaryDirectory(prefix="trackbot-keys-") as tmp:
        keyrings = prepare_keyrings(spec.keyrings, spec.inline_keys, Path(tmp))
        verdict, keys = await asyncio.gather(  # two processes at once: latency, not CPU
            openpgp.verify(signed, keyrings, detached=detached), openpgp.list_keys(keyrings)
        )
    trusted = _trusted(verdict, spec.fingerprints)
    index_ids = [f"{spec.repo_id}/{c}/binary-{a}" for c in spec.components for a in spec.architectures]
    if not trusted:
        result.findings.append(_signature_finding(spec, policy, url, verdict, detached is not None))
        _keep_previous(result, previous, index_ids)
        result.unchecked.update(unjudged(policy, spec.repo_id))  # an open hash incident is not over
        return result
    info = apt_release.parse_release(verdict.content, url)
    if not apt_release.suite_matches(info, spec.suite):
        # Validly signed, but another suite's file: hosts that have this suite's lists refuse it, and
        # taking it as "last good" would make the right file look like a key change and a rollback.
        result.findings.append(_suite_finding(spec, policy, info, url))
        _keep_previous(result, previous, index_ids)
        result.unchecked.update(unjudged(policy, spec.repo_id))
        return result
    fingerprints = tuple(sorted({fpr for fpr, _ in trusted}))
    result.findings += release_findings(spec, policy, info, fingerprints, previous, ctx, url)
    result.findings += expiry_findings(policy, keys, trusted, ctx)
    if any(f.kind == "apt_rollback" for f in result.findings):
        _keep_previous(result, previous, index_ids)
    else:
        state = {**info.state(fingerprints), "url": spec.url, "repo": spec.repo_id}
        result.records.append(Record("repo_state", f"repo:{spec.repo_id}", policy.product, "", state))
    for component in spec.components:
        for arch in spec.architectures:
            await check_index(spec, policy, ctx, info, component, arch, result)
    return result


_RELEASE_FIELD = re.compile(rb"(?m)^(Suite|Codename|Origin|SHA256|MD5Sum|Date): ")


async def _fetch_release(spec: RepoSpec, ctx: Context) -> tuple[bytes, bytes | None, str]:
    """InRelease, or Release + Release.gpg (None signature bytes: clearsigned; b"": unsigned)."""
    url = f"{spec.dists}/InRelease"
    try:
        body = (await ctx.get(url, conditional=False)).body
        _not_html(body, url)
        if b"-----BEGIN PGP SIGNED MESSAGE-----" not in body and not _RELEASE_FIELD.search(body):
            # Neither signed nor a Release text (JSON, XML, zeros): a broken answer, not a bad signature.
            # A Release text without its signature stays a signature matter (a stripped signature).
            raise SourceError("not a clearsigned InRelease nor a Release text (a broken answer)", url)
        return body, None, url
    except SourceError as exc:
        if not is_missing(exc):
            raise
    url = f"{spec.dists}/Release"
    try:
        body = (await ctx.get(url, conditional=False)).body
    except SourceError as exc:
        if is_missing(exc):
            raise SourceError("neither InRelease nor Release exists (404): wrong URL or suite?", url) from None
        raise
    _not_html(body, url)
    try:
        signature = (await ctx.get(f"{url}.gpg", conditional=False)).body
    except SourceError as exc:
        if not is_missing(exc):
            raise
        signature = b""
    return body, signature, url


def _not_html(body: bytes, url: str) -> None:
    """A page or an empty answer is a broken response, not a signature that fails to verify."""
    if looks_like_html(body):
        raise SourceError("got an HTML page instead of a Release file", url)
    if not body.strip():
        raise SourceError("empty answer instead of a Release file", url)


def _trusted(verdict: openpgp.Verdict, allowed: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Good signers, restricted to Signed-By fingerprints when the config names some."""
    if not verdict.ok:
        return ()
    if not allowed:
        return verdict.valid
    wanted = {f.rstrip("!").upper() for f in allowed}
    return tuple(pair for pair in verdict.valid if pair[0] in wanted or pair[1] in wanted)

def _keep_previous(result: RepoResult, previous: Record | None, index_ids: list[str]) -> None:
    """Unverified content never becomes the last good state: carry the old one over."""
    if previous is not None:
        result.records.append(previous)
    result.unverified.update(index_ids)

def _signature_finding(
    spec: RepoSpec, policy: Policy, url: str, verdict: openpgp.Verdict, detached: bool
) -> Finding:
    if verdict.ok:  # good signature, but not by a Signed-By fingerprint
        reason = "signed by " + ", ".join(verdict.fingerprints) + ", not by a Signed-By key"
    elif detached and not verdict.problems and not verdict.valid:
        reason = "Release.gpg is missing (unsigned repository)"
    else:
        reason = verdict.reason()
    return Finding(
        kind="apt_signature_invalid",
        key=finding_key(policy, spec, "signature"),
        summary=f"{spec.url} {spec.suite}: signature does not verify: {reason}",
        product=policy.product,
        data={"url": url, "suite": spec.suite, "reason": reason, "problems": list(verdict.problems)},
        polls_to_open=policy.signature_polls,
    )


def _suite_finding(spec: RepoSpec, policy: Policy, info: ReleaseInfo, url: str) -> Finding:
    got = " / ".join(f"{name} {value!r}" for name, value in (("Suite", info.suite), ("Codename", info.codename))
                     if value)
    return Finding(
        kind="apt_suite_mismatch",
        key=finding_key(policy, spec, "suite"),
        summary=f"{spec.url} {spec.suite}: the Release served for {spec.suite} is another suite's ({got}): "
                f"apt on hosts that have {spec.suite}'s lists fails (changed its 'Codename' value)",
        product=policy.product,
        data={"url": url, "suite": spec.suite, "release_suite": info.suite, "release_codename": info.codename},
        polls_to_open=policy.signature_polls,
    )


def release_findings(
    spec: RepoSpec,
    policy: Policy,
    info: ReleaseInfo,
    fingerprints: tuple[str, ...],
    previous: Record | None,
    ctx: Context,
    url: str,
) -> list[Finding]:
    """Key change, expiry and rollback of a verified Release (pure given ctx.now())."""
    before = dict(previous.data) if previous else None
    findings: list[Finding] = []
    where = f"{spec.url} {spec.suite}"

    def add(kind: str, what: str, summary: str, incident: bool = True, polls: int = 0, **data: object) -> None:
        findings.append(Finding(kind, finding_key(policy, spec, what), f"{where}: {summary}", "critical",
                                policy.product, "", {"url": url, "suite": spec.suite, **data},
                                polls or policy.signature_polls, incident))

    new = apt_release.key_changed(fingerprints, before)
    if new:
        # A rotation is a fact to check once, not a state that later "resolves": the new key
        # becomes the one compared against, so it is alerted once and never resolved.
        old = str(before["fingerprint"]) if before else ""
        add("apt_key_changed", f"key:{new[0]}", f"signing key changed from {old} to {' '.join(new)}",
            incident=False, old=old, new=" ".join(fingerprints))
    now = ctx.now()
    if policy.valid_until and apt_release.is_expired(info, now) and info.valid_until is not None:
        add("apt_release_expired", "expired", f"Release expired at {info.valid_until.isoformat()} "
            "(Valid-Until passed: apt refuses it)", valid_until=info.valid_until.isoformat())
    if apt_release.is_rollback(info, before) and info.date is not None and before:
        # A stale cache can answer an old InRelease once; a replayed one stays: page on the second poll.
        add("apt_rollback", "rollback", f"Release Date went backwards: {info.date.isoformat()} is older "
            f"than the last good {before['date']}", polls=policy.hash_polls,
            date=info.date.isoformat(), last_good=before["date"])
    return findings


def expiry_findings(
    policy: Policy, keys: Sequence[openpgp.KeyInfo] | None, trusted: Sequence[tuple[str, str]], ctx: Context
) -> list[Finding]:
    """Signing keys, and keys of the configured keyring, that expire within 30 days.

    Without gpg the expiry cannot be read: that is said (a warning incident), never skipped silently.
    """
    if keys is None:
        return [Finding(
            kind="apt_check_incomplete",
            key=f"apt:{policy.source}:no_gpg",
            summary="gpg is not installed: signing-key expiry is not checked (install the gpg package)",
            severity="warning",
            product=policy.product,
        )]
    signing = {fpr for pair in trusted for fpr in pair}
    findings = []
    for key in keys:
        if not (key.can_sign or key.fingerprint in signing):
            continue
        if apt_release.expiring_soon(key.expires, ctx.now()) and key.expires is not None:
            role = "signing key" if key.fingerprint in signing else "keyring key"
            findings.append(Finding(
                kind="apt_key_expiring",
                key=f"apt:{policy.source}:key_expiring:{key.fingerprint}",
                summary=f"{role} {key.fingerprint} ({key.uid}) expires {key.expires.date().isoformat()}",
                severity="warning",
                product=policy.product,
                data={"fingerprint": key.fingerprint, "expires": key.expires.isoformat(), "uid": key.uid},
            ))
    return findings


def assemble(results: list[RepoResult], policy: Policy, ctx: Context, url: str) -> Snapshot:
    """One snapshot from the repositories' results: findings deduplicated by key."""
    records = [r for result in results for r in result.records]
    if policy.watch:
        records += package_records(results, ctx.previous, policy, url)
    findings = {f.key: f for result in results for f in result.findings}
    unverified = any(result.unverified for result in results)
    unchecked = tuple(sorted({prefix for result in results for prefix in result.unchecked}))
    return Snapshot(tuple(records), tuple(findings.values()), complete=not unverified, unchecked=unchecked)
