"""Check one apt repository (URL + suite) the way apt-get update would, and say what is wrong.

Shared by the apt_repo kind (a configured repository) and apt_sources (every
repository in the host's own apt configuration). The result is findings (the
core turns them into incidents) and records: a repo_state per suite that the
next run compares with, and releases of watched packages.

Trust rule: nothing unverified becomes "last good". When the signature fails
(or the Date goes backwards) the previous repo_state is re-emitted, and
package versions come only from indexes whose size and SHA256 match the
verified Release; for the others the previous records are carried over.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from debian.debian_support import Version

from bot.sources import apt_release, openpgp
from bot.sources.api import Context, Finding, Record, SourceError, looks_like_html
from bot.sources.apt_index import IndexCheck
from bot.sources.apt_release import IndexFile, ReleaseInfo

OVERSIZE = 16 << 20  # stop reading an index this far past its promised size


@dataclass(frozen=True)
class RepoSpec:
    """One repository to check. `repo_id` keys its records and findings within the source."""

    url: str
    suite: str
    components: tuple[str, ...]
    architectures: tuple[str, ...]
    keyrings: tuple[Path, ...]
    repo_id: str
    inline_keys: tuple[bytes, ...] = ()
    fingerprints: tuple[str, ...] = ()  # Signed-By fingerprints: only these keys count

    @property
    def dists(self) -> str:
        return f"{self.url.rstrip('/')}/dists/{self.suite}"


@dataclass(frozen=True)
class Policy:
    """Per-source settings of the checks."""

    source: str
    product: str
    watch: frozenset[str] = frozenset()
    products: Mapping[str, str] = field(default_factory=dict)
    hash_polls: int = 2
    signature_polls: int = 1
    by_hash: bool = True

    def package_product(self, package: str) -> str:
        return self.products.get(package, f"debian:{package}")


@dataclass
class RepoResult:
    records: list[Record] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    versions: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (pkg, version) -> indexes
    unverified: set[str] = field(default_factory=set)  # index ids whose versions are carried over
    unchecked: set[str] = field(default_factory=set)  # finding-key prefixes not judged (Snapshot.unchecked)


def is_missing(exc: SourceError) -> bool:
    """A 404/410 answer (the core puts the status in the reason, or on `.status`)."""
    status = getattr(exc, "status", None)
    return status in (404, 410) or bool(re.search(r"\b(404|410)\b", exc.reason))


async def check_repo(spec: RepoSpec, policy: Policy, ctx: Context) -> RepoResult:
    """Fetch, verify and judge one suite; raises SourceError only when it cannot be read at all."""
    result = RepoResult()
    previous = previous_state(ctx.previous, spec.repo_id)
    signed, detached, url = await _fetch_release(spec, ctx)
    with tempfile.TemporaryDirectory(prefix="trackbot-keys-") as tmp:
        keyrings = openpgp.prepare_keyrings(spec.keyrings, spec.inline_keys, Path(tmp))
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
            await _check_index(spec, policy, ctx, info, component, arch, result)
    return result


async def _fetch_release(spec: RepoSpec, ctx: Context) -> tuple[bytes, bytes | None, str]:
    """InRelease, or Release + Release.gpg (None signature bytes: clearsigned; b"": unsigned)."""
    url = f"{spec.dists}/InRelease"
    try:
        body = (await ctx.get(url, conditional=False)).body
        _not_html(body, url)
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
    if looks_like_html(body):
        raise SourceError("got an HTML page instead of a Release file", url)


def _trusted(verdict: openpgp.Verdict, allowed: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Good signers, restricted to Signed-By fingerprints when the config names some."""
    if not verdict.ok:
        return ()
    if not allowed:
        return verdict.valid
    wanted = {f.rstrip("!").upper() for f in allowed}
    return tuple(pair for pair in verdict.valid if pair[0] in wanted or pair[1] in wanted)


def previous_state(previous: Sequence[Record], repo_id: str) -> Record | None:
    key = f"repo:{repo_id}"
    return next((r for r in previous if r.kind == "repo_state" and r.key == key), None)


def _keep_previous(result: RepoResult, previous: Record | None, index_ids: list[str]) -> None:
    """Unverified content never becomes the last good state: carry the old one over."""
    if previous is not None:
        result.records.append(previous)
    result.unverified.update(index_ids)


def _key(policy: Policy, spec: RepoSpec, what: str) -> str:
    return f"apt:{policy.source}:{spec.repo_id}:{what}"


def unjudged(policy: Policy, repo_id: str) -> tuple[str, ...]:
    """Finding-key prefixes of a repository this poll could not check (its findings and key expiry)."""
    return f"apt:{policy.source}:{repo_id}:", f"apt:{policy.source}:key_expiring:"


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
        key=_key(policy, spec, "signature"),
        summary=f"{spec.url} {spec.suite}: signature does not verify: {reason}",
        product=policy.product,
        data={"url": url, "suite": spec.suite, "reason": reason, "problems": list(verdict.problems)},
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
        findings.append(Finding(kind, _key(policy, spec, what), f"{where}: {summary}", "critical",
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
    if apt_release.is_expired(info, now) and info.valid_until is not None:
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


async def _check_index(
    spec: RepoSpec, policy: Policy, ctx: Context, info: ReleaseInfo, component: str, arch: str,
    result: RepoResult,
) -> None:
    """Fetch the first available listed form of one Packages index and compare it."""
    index_id = f"{spec.repo_id}/{component}/binary-{arch}"
    base = f"{component}/binary-{arch}/Packages"
    candidates = apt_release.index_candidates(info, component, arch)
    if not candidates:
        # apt skips an unlisted component/architecture with a notice: a config slip, not an outage.
        result.findings.append(_missing(spec, policy, base, f"{spec.dists}/{base}",
                                        "not listed in the Release file (apt skips it: check the configured "
                                        "components and architectures)", severity="warning"))
        result.unverified.add(index_id)
        return
    for entry in candidates:
        check = await fetch_index(ctx, f"{spec.dists}/{entry.path}", entry, policy.watch)
        if check is None:
            continue  # apt too moves on to the next listed form
        matched = _compare(spec, policy, info, entry, entry.path, check, result)
        if matched and check.error and check.error != "oversized":
            # Signed and intact, yet unreadable: apt fails on it just the same.
            result.findings.append(Finding(
                kind="apt_index_unreadable",
                key=_key(policy, spec, f"unreadable:{entry.path}"),
                summary=f"{spec.url} {spec.suite}: {entry.path} matches the Release but {check.error}",
                product=policy.product,
                data={"url": f"{spec.dists}/{entry.path}", "suite": spec.suite, "reason": check.error},
                polls_to_open=policy.hash_polls,
            ))
        _accept(check, matched, index_id, result)
        if info.acquire_by_hash and policy.by_hash:
            by_hash = entry.by_hash_path()
            again = await fetch_index(ctx, f"{spec.dists}/{by_hash}", entry, frozenset())
            if again is None:
                result.findings.append(_missing(spec, policy, f"{entry.path}@by-hash", f"{spec.dists}/{by_hash}",
                                                "by-hash copy answers 404 (Acquire-By-Hash: yes)"))
            else:
                _compare(spec, policy, info, entry, f"{entry.path}@by-hash", again, result, by_hash)
        return
    forms = ", ".join(e.path for e in candidates)
    if info.acquire_by_hash and policy.by_hash:
        # apt itself fetches by hash when the Release says so: plain names gone is not an outage.
        for entry in candidates:
            by_hash = entry.by_hash_path()
            check = await fetch_index(ctx, f"{spec.dists}/{by_hash}", entry, policy.watch)
            if check is None:
                continue
            result.findings.append(_missing(  # its own key: if by-hash goes too, that pages afresh
                spec, policy, f"{base}@by-name", f"{spec.dists}/{candidates[0].path}",
                f"every listed form answers 404 by name ({forms}); apt fetches by hash and still works, "
                "clients or mirrors that go by name do not", severity="warning"))
            _accept(check, _compare(spec, policy, info, entry, f"{entry.path}@by-hash", check, result, by_hash),
                    index_id, result)
            return
    result.findings.append(_missing(spec, policy, base, f"{spec.dists}/{candidates[0].path}",
                                    f"every listed form answers 404 ({forms})"))
    result.unverified.add(index_id)


def _accept(check: IndexCheck, matched: bool, index_id: str, result: RepoResult) -> None:
    """Versions only from an index that matched the Release and read cleanly."""
    if not matched or check.error:
        result.unverified.add(index_id)
        return
    for package, versions in check.versions.items():
        for version in versions:
            result.versions.setdefault((package, version), set()).add(index_id)


async def fetch_index(ctx: Context, url: str, entry: IndexFile, watch: frozenset[str]) -> IndexCheck | None:
    """Stream and hash one index; None when it answers 404."""
    check = IndexCheck(entry.path, watch)
    try:
        async with ctx.stream(url) as chunks:
            async for chunk in chunks:
                check.feed(chunk)
                if check.size > entry.size + OVERSIZE:
                    check.error = "oversized"
                    break
    except SourceError as exc:
        if is_missing(exc):
            return None
        raise
    check.close()
    return check


def _compare(
    spec: RepoSpec, policy: Policy, info: ReleaseInfo, entry: IndexFile, what: str, check: IndexCheck,
    result: RepoResult, fetched: str = "",
) -> bool:
    if check.size == entry.size and check.sha256 == entry.sha256:
        return True
    url = f"{spec.dists}/{fetched or entry.path}"
    received = f">{check.size - 1}" if check.error == "oversized" else str(check.size)
    result.findings.append(Finding(
        kind="apt_hash_mismatch",
        key=_key(policy, spec, f"hash:{what}"),
        summary=f"{spec.url} {spec.suite}: Hash Sum mismatch on {entry.path}"
                + (" (by-hash)" if fetched else "") + f": expected {entry.size} bytes, received {received}",
        product=policy.product,
        data={"url": url, "suite": spec.suite, "path": entry.path,
              "expected": {"sha256": entry.sha256, "size": entry.size},
              "received": {"sha256": check.sha256, "size": check.size},
              "apt": apt_release.mismatch_text(url, entry, check.size, check.sha256, info.date)},
        polls_to_open=policy.hash_polls,
    ))
    return False


def _missing(spec: RepoSpec, policy: Policy, what: str, url: str, why: str, severity: str = "critical") -> Finding:
    return Finding(
        kind="apt_index_missing",
        key=_key(policy, spec, f"missing:{what}"),
        summary=f"{spec.url} {spec.suite}: index {what.split('@')[0]} missing: {why}",
        severity=severity,
        product=policy.product,
        data={"url": url, "suite": spec.suite, "path": what, "reason": why},
        polls_to_open=policy.hash_polls,
    )


def package_records(results: Sequence[RepoResult], previous: Sequence[Record], policy: Policy, url: str) -> list[Record]:
    """Release records of watched packages, oldest first in Debian version order.

    Versions come from verified indexes only; versions an unverified index
    carried last time are re-emitted from the previous run so nothing looks withdrawn.
    """
    seen: dict[tuple[str, str], set[str]] = {}
    unverified: set[str] = set()
    for result in results:
        unverified |= result.unverified
        for pair, indexes in result.versions.items():
            seen.setdefault(pair, set()).update(indexes)
    by_product = {policy.package_product(p): p for p in policy.watch}
    for record in previous:
        package = by_product.get(record.product)
        carried = set(record.data.get("indexes", ())) & unverified if record.kind == "release" else set()
        if package and carried:
            seen.setdefault((package, record.version), set()).update(carried)
    records = [
        # Keyed by package too: two watched packages can share a version string.
        Record("release", f"release:{package}:{version}", policy.package_product(package), version, {
            "date": "", "title": f"{package} {version}", "url": url, "prerelease": False,
            "package": package, "indexes": sorted(indexes), "from_index": True,
        })
        for (package, version), indexes in seen.items()
    ]
    return sorted(records, key=lambda r: (r.product, Version(r.version)))
