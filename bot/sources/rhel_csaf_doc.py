"""One Red Hat CSAF advisory (``rhsa-YYYY_NNNN.json``) -> advisory and CVE records: a pure parser.

What a CSAF/VEX advisory says, and where:

- ``document.tracking.id`` (RHSA-2024:0010), ``document.aggregate_severity.text`` (Red Hat's
  impact: Critical, Important, Moderate, Low), ``document.tracking.initial_release_date``
  (``current_release_date`` moves each time Red Hat regenerates the file: not used, so a
  re-published advisory with the same fixes has the same records and is not news);
- ``vulnerabilities[]``: each CVE, its impact (``threats``), and the fixed products in
  ``product_status.fixed`` and in the ``vendor_fix`` remediations;
- a fixed product id (``AppStream-9.3.0.Z.MAIN:tigervnc-0:1.13.1-3.el9_3.3.x86_64``) is a
  ``relationship``: a package (a ``product_version`` with an rpm purl) in a product stream
  (a ``product_name`` with a CPE). The CPE gives the stream (`stream_of`).

Packages are binary (and source) rpm names, the names ``rpm -qa`` prints; -debuginfo and
-debugsource packages are left out. One record per (package, stream) with the highest fixed
``epoch:version-release`` in rpm order; the NEVRA is kept for the alert.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote

from bot.sources.api import Record, SourceError, compare_versions, cve_record, json_body, looks_like_html

ERRATA = "https://access.redhat.com/errata/{id}"
IMPACT = {"critical": "critical", "important": "critical", "moderate": "warning", "low": "info"}
_ID = re.compile(r"RHSA-\d{4}:\d{4,}")
# CPE product -> how its stream is named. Main streams are the major release ("9"); Extras
# ship in the major's own channels. EUS/AUS/E4S/TUS are minor-release streams a pin opts into
# ("9.2 eus"); ELS is what a major past its maintenance phase still gets ("6 els").
_MAIN = frozenset({"enterprise_linux", "rhel_extras", "rhel_extras_other", "rhel_extras_rt", "rhel_extras_sap",
                   "rhel_extras_sap_hana"})
_MINOR = {"rhel_eus": "eus", "rhel_aus": "aus", "rhel_e4s": "e4s", "rhel_tus": "tus"}
_ELS = frozenset({"rhel_els"})
_NEVRA = re.compile(r"(?P<name>.+)-(?P<epoch>\d+):(?P<version>[^-:]+)-(?P<release>[^-:]+)\.(?P<arch>[^.]+)")


def stream_of(cpe: str) -> str | None:
    """The RHEL stream a product CPE names: '9', '9.2 eus', '6 els'; None when it is not RHEL.

    Raises ValueError for a RHEL stream product whose release is not a release number.
    """
    parts = cpe.split(":")
    if parts[:2] == ["cpe", "2.3"]:  # the formatted-string binding: cpe:2.3:o:redhat:enterprise_linux:9:*:...
        parts = ["cpe", "/" + parts[2], *parts[3:]] if len(parts) > 2 else parts
    if len(parts) < 5 or parts[1] not in ("/o", "/a") or parts[2] != "redhat":
        return None
    product, release = parts[3], parts[4]
    if product in _MAIN and re.fullmatch(r"\d+(\.\d+)?", release):
        return release.split(".")[0]
    if product in _MINOR and re.fullmatch(r"\d+\.\d+", release):
        return f"{release} {_MINOR[product]}"
    if product in _ELS and re.fullmatch(r"\d+", release):
        return f"{release} els"
    if product in _MAIN or product in _MINOR or product in _ELS:
        raise ValueError(f"unknown RHEL product stream {cpe!r}")
    return None  # OpenShift, JBoss, Software Collections...: not a RHEL release stream


def parse_advisory(body: bytes, url: str) -> list[Record]:
    """Advisory records (one per package and RHEL stream) and `cve` records with Red Hat's impact.

    [] when the advisory fixes nothing on a RHEL stream (another Red Hat product). Raises
    SourceError, naming `url`, for anything else that is not a usable advisory.
    """
    if looks_like_html(body):
        raise SourceError("HTML page instead of a CSAF advisory", url)
    doc = json_body(body, "CSAF advisory", url)
    document = doc.get("document") if isinstance(doc, dict) else None
    if not isinstance(document, dict) or not isinstance(doc.get("vulnerabilities"), list):
        raise SourceError("not a CSAF advisory (no 'document' or 'vulnerabilities')", url)
    tracking = document.get("tracking") or {}
    adv_id = str(tracking.get("id", ""))
    if not _ID.fullmatch(adv_id):
        raise SourceError(f"CSAF advisory without an RHSA id: {adv_id[:40]!r}", url)
    rating = str((document.get("aggregate_severity") or {}).get("text", ""))
    if rating.lower() not in IMPACT:
        raise SourceError(f"{adv_id}: unknown aggregate_severity {rating[:30]!r}", url)
    tree = _Tree(doc.get("product_tree") or {}, adv_id, url)
    fixed, on_rhel = _fixed_packages(doc["vulnerabilities"], tree)
    if not on_rhel and tree.has_rhel_stream:
        raise SourceError(f"{adv_id}: no fixed packages on any RHEL stream", url)
    cves = [str(v.get("cve")) for v in doc["vulnerabilities"] if isinstance(v, dict) and v.get("cve")]
    common = {
        "id": adv_id, "cves": cves, "rating": rating, "severity": IMPACT[rating.lower()], "status": "fixed",
        "published": str(tracking.get("initial_release_date", ""))[:10],
        "title": str(document.get("title", "")).removeprefix("Red Hat Security Advisory: "),
        "url": ERRATA.format(id=adv_id),
    }
    records = [
        Record("advisory", f"advisory:{adv_id}:{name}:{stream}", f"rhel:{name}", evr,
               {**common, "distro": stream, "fixed_version": evr, "nevra": f"{name}-{evr}",
                "summary": f"{adv_id} {name} (RHEL {stream}) fixed in {name}-{evr} ({rating}): {common['title']}"})
        for (name, stream), evr in sorted(fixed.items())
    ]
    if records:
        records += [_cve(v, rating) for v in doc["vulnerabilities"] if isinstance(v, dict) and v.get("cve")]
    return records


class _Tree:
    """The product tree: streams (product_name + CPE), packages (product_version + purl), relationships."""

    def __init__(self, tree: Any, adv_id: str, url: str) -> None:
        self.adv_id, self.url = adv_id, url
        self.cpes: dict[str, str] = {}
        self.packages: dict[str, tuple[str, str] | None] = {}  # product id -> (name, epoch:version-release)
        for branch in _branches(tree):
            product = branch.get("product") or {}
            helper = product.get("product_identification_helper") or {}
            if branch.get("category") == "product_name" and product.get("product_id"):
                self.cpes[str(product["product_id"])] = str(helper.get("cpe", ""))
            elif branch.get("category") == "product_version" and product.get("product_id"):
                self.packages[str(product["product_id"])] = _package(str(product["product_id"]),
                                                                     str(helper.get("purl", "")))
        self.relations = {
            str((rel.get("full_product_name") or {}).get("product_id")): (
                str(rel.get("product_reference")), str(rel.get("relates_to_product_reference")))
            for rel in (tree.get("relationships") or []) if isinstance(rel, dict)
        }
        self.has_rhel_stream = any(_is_rhel(cpe) for cpe in self.cpes.values())

    def stream(self, product_id: str) -> str | None:
        if product_id not in self.cpes or not self.cpes[product_id]:
            raise SourceError(f"{self.adv_id}: unknown product stream {product_id!r} (no CPE in the product tree)",
                              self.url)
        try:
            return stream_of(self.cpes[product_id])
        except ValueError as exc:
            raise SourceError(f"{self.adv_id}: {exc}", self.url) from None

    def resolve(self, fixed_id: str) -> tuple[tuple[str, str] | None, str | None]:
        """A fixed product id -> ((package, evr) or None if not an rpm, stream or None if not RHEL)."""
        if fixed_id not in self.relations:
            raise SourceError(f"{self.adv_id}: fixed product {fixed_id[:80]!r} names no product stream", self.url)
        component, stream_id = self.relations[fixed_id]
        seen = 0
        while stream_id in self.relations and seen < 5:  # a package in a module in a stream
            stream_id, seen = self.relations[stream_id][1], seen + 1
        if stream_id not in self.cpes:  # a module referenced without its own relationship
            stream_id = max((p for p in self.cpes if fixed_id.startswith(f"{p}:")), key=len, default=stream_id)
        return self.packages.get(component), self.stream(stream_id)


def _is_rhel(cpe: str) -> bool:
    try:
        return stream_of(cpe) is not None
    except ValueError:
        return True  # a RHEL stream of an unknown shape: still a RHEL advisory


def _branches(node: Any) -> Iterator[dict[str, Any]]:
    for branch in (node.get("branches") or []) if isinstance(node, dict) else []:
        if isinstance(branch, dict):
            yield branch
            yield from _branches(branch)


def _package(product_id: str, purl: str) -> tuple[str, str] | None:
    """(name, epoch:version-release) of an rpm, from its purl or its NEVRA id; None if not an rpm."""
    if purl.startswith("pkg:rpm/"):
        path, _, query = purl.partition("?")
        name, _, vr = path.rsplit("/", 1)[-1].partition("@")
        epoch = parse_qs(query).get("epoch", ["0"])[0]
        if name and vr:
            return _keep(unquote(name), f"{epoch}:{unquote(vr)}")
    if purl:
        return None  # a module, a container image...
    match = _NEVRA.fullmatch(product_id)
    if not match:
        return None
    return _keep(match["name"], f"{match['epoch']}:{match['version']}-{match['release']}")


def _keep(name: str, evr: str) -> tuple[str, str] | None:
    return None if name.endswith(("-debuginfo", "-debugsource")) else (name, evr)


def _fixed_packages(vulnerabilities: list[Any], tree: _Tree) -> tuple[dict[tuple[str, str], str], int]:
    """(package, stream) -> the highest fixed epoch:version-release, over every CVE's fixes; and how
    many fixed products are on a RHEL stream at all (container images and modules count there)."""
    ids: list[str] = []
    for vuln in vulnerabilities:
        if not isinstance(vuln, dict):
            continue
        ids += (vuln.get("product_status") or {}).get("fixed") or []
        for remedy in vuln.get("remediations") or []:
            if isinstance(remedy, dict) and remedy.get("category") == "vendor_fix":
                ids += remedy.get("product_ids") or []
    best: dict[tuple[str, str], str] = {}
    on_rhel = 0
    for fixed_id in dict.fromkeys(str(i) for i in ids):  # each CVE lists the same products: resolve once
        package, stream = tree.resolve(fixed_id)
        on_rhel += stream is not None
        if package is None or stream is None:
            continue
        name, evr = package
        old = best.get((name, stream))
        if old == evr:
            continue  # the same build for another architecture (rpm order is slow to ask)
        try:
            if compare_versions(evr, old or evr, "rpm") > 0 or old is None:  # (evr, evr): is it rpm at all
                best[(name, stream)] = evr
        except ValueError:
            raise SourceError(f"{tree.adv_id}: {fixed_id[:80]!r} is not an rpm version", tree.url) from None
    return best, on_rhel


def _cve(vuln: dict[str, Any], aggregate: str) -> Record:
    impacts = [str(t.get("details", "")) for t in vuln.get("threats") or [] if t.get("category") == "impact"]
    rating = next((i for i in impacts if i.lower() in IMPACT), aggregate)
    notes = {str(n.get("category")): str(n.get("text", "")) for n in vuln.get("notes") or [] if isinstance(n, dict)}
    return cve_record(str(vuln["cve"]), severity=IMPACT[rating.lower()], rating=rating,
                      description=notes.get("summary") or notes.get("description", ""))
