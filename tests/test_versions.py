"""Version order, branches and pins, from tables and from real upstream version lists."""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import pytest
from debian.changelog import Changelog

from bot.core import versions

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("product", "scheme"),
    [
        ("docker", "docker"), ("Docker-CE", "docker"), ("docker-engine", "docker"), ("moby", "docker"),
        ("containerd", "docker"), ("runc", "docker"),
        ("linux", "kernel"), ("kernel", "kernel"),
        ("debian:docker.io", "deb"), ("deb:runc", "deb"),
        ("rhel:docker", "rpm"), ("rpm:podman", "rpm"),
        ("debian", "plain"), ("rhel", "plain"), ("ubuntu", "plain"), ("nginx", "plain"),
        ("weird:thing", "plain"),
    ],
)
def test_scheme_for(product: str, scheme: str) -> None:
    assert versions.scheme_for(product) == scheme


# Each row is ascending: every item is strictly older than the next.
ASCENDING = [
    ("docker", ["1.10.3", "1.11.0", "17.03.0-ce", "17.03.1-ce", "29.0.3"]),
    ("docker", ["17.03.0-ce-rc1", "17.03.0-ce"]),
    ("docker", ["1.13.0-rc4", "v1.13.0", "1.13.1"]),
    ("docker", ["1.9.1", "1.10.0"]),  # not string order
    ("kernel", ["4.9.255", "4.9.256", "4.9.337"]),
    ("kernel", ["4.9.99", "4.9.337", "4.10"]),
    ("kernel", ["5.10-rc3", "5.10", "5.10.1"]),
    ("kernel", ["2.6.32.71", "3.16.85", "5.4"]),
    ("deb", ["2.0", "1:1.0"]),  # the epoch wins
    ("deb", ["1.0~rc1", "1.0", "1.0-1", "1.0-1+deb8u1", "1.0-2"]),
    ("deb", ["1.6.2~dfsg1-1~bpo8+1", "1.6.2~dfsg1-1", "1.6.2~dfsg1-1+deb8u1"]),
    ("deb", ["20.10.24+dfsg1-1", "5:24.0.7-1~debian.12~bookworm"]),
    ("rpm", ["1.13.1-208.el7", "1.13.1-209.git7d71120.el7", "1.13.1-210.el7"]),
    ("rpm", ["1.9.5p2-1.el8", "0:1.9.5p2-1.el8_6", "1.9.5p10-1.el8", "1:0.1-1"]),
    ("rpm", ["1.0~rc1-1", "1.0-1"]),
    ("plain", ["7.2", "7.10", "8", "12"]),
    ("plain", ["9", "24.04", "1!1.0"]),
]


@pytest.mark.parametrize(("scheme", "ascending"), ASCENDING)
def test_order(scheme: str, ascending: list[str]) -> None:
    for older, newer in zip(ascending, ascending[1:], strict=False):
        assert versions.compare(older, newer, scheme) == -1, (older, newer)
        assert versions.compare(newer, older, scheme) == 1, (newer, older)
    shuffled = list(reversed(ascending))
    assert sorted(shuffled, key=lambda v: versions.sort_key(v, scheme)) == ascending


@pytest.mark.parametrize(
    ("scheme", "a", "b"),
    [
        ("docker", "v29.0.3", "29.0.3"),
        ("docker", "docker-v29.0.3", "29.0.3"),
        ("docker", "V29.0.3", "docker-v29.0.3"),
        ("deb", "0:1.0-1", "1.0-1"),
        ("rpm", "0:1.9.5p2-1.el8_6", "1.9.5p2-1.el8_6"),
        ("plain", "8", "v8"),
    ],
)
def test_same_version(scheme: str, a: str, b: str) -> None:
    assert versions.compare(a, b, scheme) == 0


@pytest.mark.parametrize(
    ("scheme", "raw", "normal"),
    [
        ("docker", "v29.0.3", "29.0.3"), ("docker", "docker-v29.0.0", "29.0.0"),
        ("docker", " 17.03.1-ce ", "17.03.1-ce"), ("kernel", "v5.10-rc3", "5.10-rc3"),
        ("deb", "1:1.0-1", "1:1.0-1"), ("rpm", "0:1.0-1.el8", "0:1.0-1.el8"),
        ("plain", "vintage", "vintage"),  # a 'v' only goes when a number follows
    ],
)
def test_normalize(scheme: str, raw: str, normal: str) -> None:
    assert versions.normalize(raw, scheme) == normal


@pytest.mark.parametrize(
    ("scheme", "text", "branch"),
    [
        ("docker", "1.10.3", "1.10"), ("docker", "17.03.1-ce", "17.03"), ("docker", "v29.0.3", "29.0"),
        ("docker", "17.03.0-ce-rc1", "17.03"), ("docker", "docker-v29.0.0", "29.0"),
        ("kernel", "3.16.85", "3.16"), ("kernel", "5.10-rc3", "5.10"), ("kernel", "4.9.337", "4.9"),
        ("kernel", "2.6.32.71", "2.6.32"),
        ("deb", "6.1.170-3", "6.1"), ("deb", "1.6.2~dfsg1-1~bpo8+1", "1.6"),
        ("deb", "5:24.0.7-1~debian.12~bookworm", "24.0"),
        ("rpm", "0:1.9.5p2-1.el8_6", "1.9"), ("rpm", "1.13.1-209.git7d71120.el7", "1.13"),
        ("plain", "7.2", "7"), ("plain", "12", "12"),
    ],
)
def test_branch_of(scheme: str, text: str, branch: str) -> None:
    assert versions.branch_of(text, scheme) == branch
    assert versions.in_branch(text, branch, scheme)


@pytest.mark.parametrize(
    ("scheme", "text", "branch", "inside"),
    [
        ("docker", "1.10.3", "1.10", True), ("docker", "1.100.0", "1.10", False),
        ("docker", "17.03.2-ce", "17.3", True), ("docker", "29.7.2", "29", True),
        ("docker", "1.11.0", "1.10", False),
        ("kernel", "3.16.85", "3.16", True), ("kernel", "3.1.6", "3.16", False),
        ("kernel", "next-20201211", "3.16", False), ("kernel", "3.16.85", "x.y", False),
        ("plain", "7.2", "7", True), ("plain", "8", "7", False),
        ("deb", "1.6.2~dfsg1-1~bpo8+1", "1.6", True), ("rpm", "1.13.1-209.el7", "1.12", False),
    ],
)
def test_in_branch(scheme: str, text: str, branch: str, inside: bool) -> None:
    assert versions.in_branch(text, branch, scheme) is inside


@pytest.mark.parametrize(
    ("scheme", "text", "pre"),
    [
        ("docker", "17.03.0-ce-rc1", True), ("docker", "v1.13.0-rc4", True), ("docker", "17.03.0-ce", False),
        ("docker", "18.09.1-beta2", True), ("docker", "29.0.3", False),
        ("kernel", "5.10-rc3", True), ("kernel", "5.10", False), ("kernel", "4.9.337", False),
        ("deb", "1.0~rc1-1", True), ("deb", "1.6.2~dfsg1-1~bpo8+1", False),
        ("deb", "5:24.0.7-1~debian.12~bookworm", False),
        ("rpm", "1.0~rc1-1.el8", True), ("rpm", "1.0-0.1.rc1.el8", True), ("rpm", "1.0-1.el8", False),
        ("plain", "12", False), ("plain", "2.0rc1", True),
    ],
)
def test_is_prerelease(scheme: str, text: str, pre: bool) -> None:
    assert versions.is_prerelease(text, scheme) is pre


@pytest.mark.parametrize(
    ("scheme", "garbage"),
    [
        ("kernel", "next-20201211"), ("kernel", "5.10.post1"), ("kernel", "5.10b1"),
        ("docker", "latest"), ("docker", ""), ("docker", "x.y"), ("docker", "nightly-2020"),
        ("deb", "latest"), ("deb", "bookworm"), ("deb", ""), ("rpm", "x:1.0-1"),
        ("rpm", "docker-1.13.1-209.el7"), ("rpm", "1.0 beta-1"), ("plain", "x.y"), ("plain", "   "),
    ],
)
def test_garbage_raises(scheme: str, garbage: str) -> None:
    with pytest.raises(ValueError):
        versions.compare(garbage, "1.0", scheme)
    with pytest.raises(ValueError):
        versions.branch_of(garbage, scheme)


def test_unknown_scheme_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="docker, kernel, deb, rpm, plain"):
        versions.normalize("1.0", "semver")


@pytest.mark.parametrize("scheme", versions.SCHEMES)
def test_sort_key_is_total_and_deterministic(scheme: str) -> None:
    mixed = ["1.10.3", "junk", "", "17.03.1-ce", "next-20201211", "3.16.85", "1:1.0-1", "x.y",
             "1.0~rc1", "0:1.9.5p2-1.el8_6", "v29.0.3", "12", "latest", "1.0", "1.00"]
    expected = sorted(mixed, key=lambda v: versions.sort_key(v, scheme))
    rng = random.Random(7)
    for _ in range(20):
        rng.shuffle(mixed)
        assert sorted(mixed, key=lambda v: versions.sort_key(v, scheme)) == expected
    parsed = [v for v in expected if versions.sort_key(v, scheme)[0] == 1]
    assert expected[-len(parsed):] == parsed  # unparseable strings all come first


@pytest.mark.parametrize(
    ("product", "version", "normal", "scheme", "is_branch"),
    [
        ("docker", "1.10", "1.10", "docker", True),
        ("docker", "17.03", "17.03", "docker", True),
        ("docker", "1.10.3", "1.10.3", "docker", False),
        ("docker", "v29.0.3", "29.0.3", "docker", False),
        ("moby", "17.03.0-ce-rc1", "17.03.0-ce-rc1", "docker", False),
        ("linux", "3.16", "3.16", "kernel", True),
        ("linux", "3.16.85", "3.16.85", "kernel", False),
        ("linux", "5.10-rc3", "5.10-rc3", "kernel", False),
        ("linux", "2.6.32", "2.6.32", "kernel", True),
        ("debian", "8", "8", "plain", False),
        ("rhel", "7.2", "7.2", "plain", False),
        ("debian:docker.io", "1.6.2~dfsg1-1~bpo8+1", "1.6.2~dfsg1-1~bpo8+1", "deb", False),
        ("debian:docker.io", "1.6", "1.6", "deb", False),
        ("rhel:docker", "2:1.13.1-209.git7d71120.el7", "2:1.13.1-209.git7d71120.el7", "rpm", False),
    ],
)
def test_parse_pin(product: str, version: str, normal: str, scheme: str, is_branch: bool) -> None:
    spec = versions.parse_pin(product, version)
    assert spec == versions.PinSpec(product, normal, scheme, is_branch)


@pytest.mark.parametrize("version", ["latest", "", "x.y", "next-20201211", "stable"])
@pytest.mark.parametrize("product", ["docker", "linux", "debian", "debian:docker.io", "rhel:docker"])
def test_parse_pin_rejects_garbage(product: str, version: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        versions.parse_pin(product, version)


def test_parse_pin_is_frozen() -> None:
    spec = versions.parse_pin("docker", "1.10.3")
    with pytest.raises(AttributeError):
        spec.version = "1.11.0"  # type: ignore[misc]


# --- real upstream version lists --------------------------------------------------------


def test_moby_changelog_headings_sort_like_docker_released_them() -> None:
    text = (FIXTURES / "docker" / "moby-CHANGELOG.md").read_text()
    headings = re.findall(r"^## (\S+) \(", text, flags=re.MULTILINE)
    assert len(headings) == 98
    ordered = sorted(headings, key=lambda v: versions.sort_key(v, "docker"))
    # The file is newest first, except 17.03.2-ce (a patch of an older branch) at the top.
    expected = list(reversed(headings[1:]))
    expected.insert(expected.index("17.03.1-ce") + 1, "17.03.2-ce")
    assert ordered == expected


def test_debian_changelog_versions_ascend_in_dpkg_order() -> None:
    raw = gzip.decompress((FIXTURES / "debian" / "docker.io.changelog.Debian.gz").read_bytes())
    found = [str(block.version) for block in Changelog(raw.decode())]
    assert len(found) == 64
    assert sorted(found, key=lambda v: versions.sort_key(v, "deb")) == list(reversed(found))
    assert versions.branch_of(found[0], "deb") == "20.10"


@pytest.mark.parametrize(("name", "scheme"), [("linux", "kernel"), ("docker-engine", "docker")])
def test_endoflife_cycles_hold_their_latest(name: str, scheme: str) -> None:
    cycles = json.loads((FIXTURES / "endoflife" / f"derived-api-v0-{name}.json").read_text())
    for cycle in cycles:
        assert versions.in_branch(cycle["latest"], cycle["cycle"], scheme), cycle
    latest = [c["latest"] for c in cycles]
    ordered = sorted(latest, key=lambda v: versions.sort_key(v, scheme), reverse=True)
    # endoflife lists cycles by release date: 17.12 (Dec 2017) comes after 18.01 there.
    if name == "docker-engine":
        latest.remove("17.12.1")
        latest.insert(latest.index("18.01.0") + 1, "17.12.1")
    assert ordered == latest
