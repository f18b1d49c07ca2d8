"""The index checks of one verified Release: fetch each configured Packages index as apt would, hash it, judge it.

Versions of watched packages come only from an index whose size and SHA256 match
the verified Release; package_records turns them into release records.
"""

from __future__ import annotations

from collections.abc import Sequence

from debian.debian_support import Version

from bot.sources.api import Context, Finding, Record, SourceError
from bot.sources.apt import release as apt_release
from bot.sources.apt.index import IndexCheck
from bot.sources.apt.release import IndexFile, ReleaseInfo
from bot.sources.apt.repository import RepoResult, RepoSpec, finding_key, is_missing
from bot.sources.apt.settings import Policy

OVERSIZE = 16 << 20  # stop reading an index this far past its promised size


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
    for entry in candidates:
        check = await fetch_index(ctx, f"{spec.dists}/{entry.path}", entry, policy.watch)
        if check is None:
            continue  # apt too moves on to the next listed form
        matched = _compare(spec, policy, info, entry, entry.path, check, result)
        if matched and check.error and check.error != "oversized":
            # Signed and intact, yet unreadable: apt fails on it just the same.
            result.findings.append(Finding(
                kind="apt_index_unreadable",
                key=finding_key(policy, spec, f"unreadable:{entry.path}"),
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
        key=finding_key(policy, spec, f"hash:{what}"),
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
