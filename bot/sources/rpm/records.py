"""The records an rpm repository check makes of its primary and updateinfo files (pure).

A watched package's build is a `release` of product ``rhel:<name>`` (version
``epoch:version-release``), so a pin's upgrade target is a version the repository has;
a security erratum of updateinfo.xml is an `advisory` per watched package, in the shape
the rhel_csaf kind writes, so the same matching raises `advisory` and `fix_available`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.sources.api import Record
from bot.sources.rpm.metadata import DataCheck, Erratum, Package
from bot.sources.rpm.spec import Policy, RpmSpec

RATING = {"critical": "critical", "important": "critical", "moderate": "warning", "low": "info"}
READ = ("primary", "updateinfo")


def data_records(spec: RpmSpec, policy: Policy, checks: Sequence[DataCheck], previous: Sequence[Record],
                 carried: set[str]) -> list[Record]:
    """Records from the files that verified; the previous poll's for those that did not (or are absent)."""
    records: list[Record] = []
    for kind in READ:
        check = next((c for c in checks if c.entry.type == kind), None)
        reader = check.reader if check is not None else None
        if check is None and kind not in carried:
            continue  # the repository has no such file (no updateinfo): nothing to read or carry
        if check is None or kind in carried or reader is None or check.error or not check.matches:
            carried.add(kind)
            records += [r for r in previous if r.kind == _KIND[kind] and spec.repo_id in r.data.get("repos", ())]
        elif kind == "primary":
            records += [release(spec, policy, p) for p in reader.packages.values()]
        else:
            records += [r for e in reader.errata if e.type == "security" for r in advisories(spec, policy, e)]
    return records


_KIND = {"primary": "release", "updateinfo": "advisory"}


def release(spec: RpmSpec, policy: Policy, package: Package) -> Record:
    built = datetime.fromtimestamp(package.built, UTC) if package.built else None
    return Record("release", f"release:{package.name}:{package.evr}", policy.package_product(package.name),
                  package.evr, {
                      "date": built.date().isoformat() if built else "",
                      "published_at": built.isoformat() if built else "",
                      "title": f"{package.name} {package.evr}", "url": spec.url, "prerelease": False,
                      "package": package.name, "arches": sorted(package.arches), "repos": [spec.repo_id],
                      "from_index": True, **({"distro": policy.distro} if policy.distro else {}),
                  })


def advisories(spec: RpmSpec, policy: Policy, erratum: Erratum) -> list[Record]:
    """One advisory record per watched package the erratum fixes."""
    rating = erratum.severity
    severity = RATING.get(rating.lower(), "warning")
    out = []
    for name, evr in sorted(erratum.packages.items()):
        nevra = f"{name}-{evr}"
        out.append(Record("advisory", f"advisory:{erratum.id}:{name}:{policy.distro}", policy.package_product(name),
                          evr, {
                              "id": erratum.id, "cves": list(erratum.cves), "rating": rating, "severity": severity,
                              "status": "fixed", "published": erratum.issued, "title": erratum.title,
                              "url": spec.url, "distro": policy.distro, "fixed_version": evr, "nevra": nevra,
                              "repos": [spec.repo_id],
                              "summary": f"{erratum.id} {name} fixed in {nevra} ({rating or 'no rating'}): "
                                         f"{erratum.title}"[:500],
                          }))
    return out


def merge(records: Sequence[Record]) -> list[Record]:
    """One record per key across the source's repositories, `repos` joined (a package in two repos)."""
    merged: dict[str, Record] = {}
    for record in records:
        old = merged.get(record.key)
        if old is not None and record.kind in ("release", "advisory"):
            repos = sorted({*old.data.get("repos", ()), *record.data.get("repos", ())})
            record = Record(old.kind, old.key, old.product, old.version, {**old.data, "repos": repos})
        merged[record.key] = record
    return list(merged.values())
