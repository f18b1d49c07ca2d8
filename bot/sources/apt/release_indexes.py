"""The index checks of one verified Release: fetch each configured Packages index as apt would, hash it, judge it.

Versions of watched packages come only from an index whose size and SHA256 match
the verified Release; package_records turns them into release records.
"""

from __future__ import annotations

from collections.abc import Sequence

from debian.debian_support import Version

from bot.sources.api import Context, Finding, Record, SourceError
from bot.sources.apt import release as apt_release
from bot.sources.apt.packages_index import IndexCheck
from bot.sources.apt.release import IndexFile, ReleaseInfo
from bot.sources.apt.settings import Policy
from bot.sources.apt.spec import RepoResult, RepoSpec, finding_key, is_missing

OVERSIZE = 16 << 20  # stop reading an index this far past its promised size
# What one path of an index serves (mismatch_severity's table).
OK, BROKEN, GONE, UNCHECKED = "right", "wrong", "404", "not checked"


async def check_index(
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
    by_hash = info.acquire_by_hash and policy.by_hash
    for entry in candidates:
        named = await fetch_index(ctx, f"{spec.dists}/{entry.path}", entry, policy.watch)
        if named is None:
            continue  # apt too moves on to the next listed form
        named_ok = _matches(entry, named)
        hashed, hash_state = None, UNCHECKED
        if by_hash:  # versions from the by-hash copy only when the named one cannot give them
            hashed = await fetch_index(ctx, f"{spec.dists}/{entry.by_hash_path()}", entry,
                                       frozenset() if named_ok else policy.watch)
            hash_state = GONE if hashed is None else OK if _matches(entry, hashed) else BROKEN
        if named_ok and hash_state == GONE:
            result.findings.append(_missing(
                spec, policy, f"{entry.path}@by-hash", f"{spec.dists}/{entry.by_hash_path()}",
                "by-hash copy answers 404 (Acquire-By-Hash: yes); apt falls back to the name and still works",
                severity="warning"))
        severity = mismatch_severity(OK if named_ok else BROKEN, hash_state)
        if severity:
            copies = ([] if named_ok else [(entry.path, named)]) + \
                ([(entry.by_hash_path(), hashed)] if hashed is not None and hash_state == BROKEN else [])
            result.findings.append(_mismatch(spec, policy, info, entry, copies, severity, hash_state))
        if named_ok:
            _accept(spec, policy, entry, entry.path, named, index_id, result)
        elif hashed is not None and hash_state == OK:
            _accept(spec, policy, entry, entry.by_hash_path(), hashed, index_id, result)
        else:
            result.unverified.add(index_id)
        return
    forms = ", ".join(e.path for e in candidates)
    if by_hash:
        # apt itself fetches by hash when the Release says so: plain names gone is not an outage.
        for entry in candidates:
            hashed = await fetch_index(ctx, f"{spec.dists}/{entry.by_hash_path()}", entry, policy.watch)
            if hashed is None:
                continue
            if _matches(entry, hashed):
                result.findings.append(_missing(  # its own key: if by-hash goes too, that pages afresh
                    spec, policy, f"{base}@by-name", f"{spec.dists}/{candidates[0].path}",
                    f"every listed form answers 404 by name ({forms}); apt fetches by hash and still works, "
                    "clients or mirrors that go by name do not", severity="warning"))
                _accept(spec, policy, entry, entry.by_hash_path(), hashed, index_id, result)
            else:  # nothing right to fall back to: one incident for the index, not one per path
                result.findings.append(_mismatch(spec, policy, info, entry, [(entry.by_hash_path(), hashed)],
                                                 "critical", BROKEN, names_gone=forms))
                result.unverified.add(index_id)
            return
    result.findings.append(_missing(spec, policy, base, f"{spec.dists}/{candidates[0].path}",
                                    f"every listed form answers 404 ({forms})"))
    result.unverified.add(index_id)


def mismatch_severity(by_name: str, by_hash: str) -> str | None:
    """What a wrong copy of one index means, given what its two paths serve (None: nothing wrong).

    As apt-get 2.6 does it (measured on a loopback copy of a real suite): with
    Acquire-By-Hash it fetches the by-hash copy and never looks at the name, so a
    wrong name beside a right by-hash copy leaves apt working (a warning: clients and
    mirrors that go by name break); a wrong by-hash copy fails `apt-get update` even
    when the name is right; a by-hash 404 makes apt fall back to the name.
    """
    if by_name == OK and by_hash != BROKEN:
        return None
    if by_name == BROKEN and by_hash == OK:
        return "warning"
    return "critical"


def _matches(entry: IndexFile, check: IndexCheck) -> bool:
    return check.size == entry.size and check.sha256 == entry.sha256


def _accept(
    spec: RepoSpec, policy: Policy, entry: IndexFile, path: str, check: IndexCheck, index_id: str,
    result: RepoResult,
) -> None:
    """Versions from the copy that matched the Release, unless it does not read cleanly."""
    if check.error and check.error != "oversized":
        # Signed and intact, yet unreadable: apt fails on it just the same.
        result.findings.append(Finding(
            kind="apt_index_unreadable",
            key=finding_key(policy, spec, f"unreadable:{entry.path}"),
            summary=f"{spec.url} {spec.suite}: {path} matches the Release but {check.error}",
            product=policy.product,
            data={"url": f"{spec.dists}/{path}", "suite": spec.suite, "reason": check.error},
            polls_to_open=policy.hash_polls,
        ))
    if check.error:
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


def _mismatch(
    spec: RepoSpec, policy: Policy, info: ReleaseInfo, entry: IndexFile,
    copies: list[tuple[str, IndexCheck]], severity: str, hash_state: str, names_gone: str = "",
) -> Finding:
    """One finding for one index, whichever of its paths (name, by-hash) serves a wrong copy.

    Keyed by the index alone, never by the path or the received hash: a broken name
    and a broken by-hash copy are one outage, and a warning that turns critical (the
    by-hash copy breaks too) is the same incident getting worse.
    """
    path, check = copies[-1]  # the copy apt fetches: by-hash when both are wrong
    url = f"{spec.dists}/{path}"
    by_hash = path != entry.path

    def received(one: IndexCheck) -> str:
        return f">{one.size - 1}" if one.error == "oversized" else str(one.size)

    summary = f"{spec.url} {spec.suite}: Hash Sum mismatch on {entry.path}"
    if len(copies) == 2:
        summary += (f" by name and by hash: expected {entry.size} bytes, received {received(copies[0][1])} "
                    f"(by name) and {received(check)} (by hash)")
    else:
        summary += (" (by-hash)" if by_hash else "") + f": expected {entry.size} bytes, received {received(check)}"
    if names_gone:
        summary += f"; by name every listed form answers 404 ({names_gone})"
    elif severity == "warning":
        summary += ("; the by-hash copy is right and apt (Acquire-By-Hash: yes) fetches that one, so apt "
                    "still works; clients or mirrors that go by name do not")
    elif hash_state == GONE:
        summary += "; the by-hash copy answers 404, so apt falls back to this one"
    return Finding(
        kind="apt_hash_mismatch",
        key=finding_key(policy, spec, f"hash:{entry.path}"),
        summary=summary,
        severity=severity,
        product=policy.product,
        data={"url": url, "suite": spec.suite, "path": entry.path,
              "broken": [f"{spec.dists}/{one}" for one, _ in copies],
              "expected": {"sha256": entry.sha256, "size": entry.size},
              "received": {"sha256": check.sha256, "size": check.size},
              "apt": apt_release.mismatch_text(url, entry, check.size, check.sha256, info.date)},
        polls_to_open=policy.hash_polls,
    )


def _missing(spec: RepoSpec, policy: Policy, what: str, url: str, why: str, severity: str = "critical") -> Finding:
    return Finding(
        kind="apt_index_missing",
        key=finding_key(policy, spec, f"missing:{what}"),
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
