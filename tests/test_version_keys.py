"""records.version_key sorts like versions.compare: the hard cases by name, then random versions
of every scheme checked pair by pair against the schemes' own libraries (packaging,
python-debian, rpm_vercmp)."""

from __future__ import annotations

import gzip
import random
import re
from itertools import combinations
from pathlib import Path

import pytest
from debian.changelog import Changelog

from bot.core import versions
from bot.core.version_keys import version_key

FIXTURES = Path(__file__).parent / "fixtures"
PRODUCT = {"docker": "docker", "kernel": "linux", "deb": "debian:docker.io", "rpm": "rhel:docker", "plain": "nginx"}


def ascending_keys(product: str, ordered: list[str]) -> bool:
    keys = [version_key(product, v) for v in ordered]
    return all(k is not None for k in keys) and all(a < b for a, b in zip(keys, keys[1:], strict=False))  # type: ignore[operator]


@pytest.mark.parametrize(("product", "ordered"), [
    ("docker", ["1.9.1", "1.10.0-rc1", "1.10.0", "1.10.3", "17.03.0-ce-rc1", "17.03.0-ce", "17.03.1-ee-5", "29.0.3"]),
    ("linux", ["4.9.99", "4.9.337", "5.10-rc3", "5.10", "5.10.1"]),
    ("debian:docker.io", ["1.0~rc1", "1.0", "1.0-1", "1.0-1+deb8u1", "1.0a", "1.0.0", "1.9", "1.10", "1:0.1"]),
    ("debian:docker.io", ["20.10.23+dfsg1-1", "20.10.24+dfsg1-1~bpo11+1", "20.10.24+dfsg1-1", "20.10.24+dfsg1-1+deb12u1"]),
    ("rhel:docker", ["1.13.1-208.el7", "1.13.1-209.el7", "1.13.10-1.el7", "1:1.0-1"]),
    ("rhel:podman", ["4.0~rc1-1", "4.0-1", "4.0a-1", "4.0.1-1"]),
    ("nginx", ["1.9", "1.10", "1.10.1", "2.0.dev1", "2.0a1", "2.0rc1", "2.0", "2.0+local", "2.0.post1", "3!0.1"]),
])
def test_keys_ascend_where_versions_do(product: str, ordered: list[str]) -> None:
    """1.10 after 1.9 (not as text), ~rc before the release, epochs above everything."""
    assert ascending_keys(product, ordered)


@pytest.mark.parametrize(("product", "a", "b"), [
    ("docker", "1.10", "1.10.0"), ("docker", "17.06.2-ce", "17.06.2"), ("docker", "v29.0.3", "29.0.3"),
    ("debian:docker.io", "1.0", "0:1.0"), ("debian:docker.io", "1.0-0", "1.0"), ("debian:docker.io", "1.01", "1.1"),
    ("rhel:docker", "0:1.0-1", "1.0-1"), ("rhel:docker", "1.0_1-1", "1.0.1-1"), ("linux", "5.10", "5.10.0"),
])
def test_equal_versions_have_one_key(product: str, a: str, b: str) -> None:
    """A range (A, B] must neither keep A's other spelling nor lose B's."""
    assert versions.compare(a, b, versions.scheme_for(product)) == 0
    assert version_key(product, a) == version_key(product, b) is not None


def test_what_is_not_a_version_has_no_key() -> None:
    assert [version_key(p, v) for p, v in [("docker", "latest"), ("linux", "next-20201211"),
                                            ("debian:x", "x.y"), ("nginx", "")]] == [None] * 4
    assert version_key("nginx", "1." + "9" * 100) is None  # a number the length prefix cannot hold


def random_version(rng: random.Random, scheme: str) -> str:
    """A version string of the scheme, made of the pieces its hard cases are made of."""
    def number() -> str:
        return rng.choice(["0", "1", "2", "9", "10", "01", "100"])
    if scheme in ("docker", "kernel", "plain") and rng.random() < 0.7:
        text = ".".join(number() for _ in range(rng.randint(1, 4)))
        suffixes = {"kernel": ["", "-rc1", "-rc10"],
                    "docker": ["", "-rc1", "-ce", "-ce-rc2", "-ee-5", "a1", ".post2", ".dev3", "b1.dev1"],
                    "plain": ["", "rc1", "a2", ".post1", ".dev1", "+ubuntu.1", "+1.a", "+a", "-1"]}[scheme]
        prefix = rng.choice(["", "", "v", "1!"]) if scheme == "plain" else rng.choice(["", "v"])
        return prefix + text + rng.choice(suffixes)
    if scheme == "rpm":
        epoch = rng.choice(["", "", "1:", "0:"])
        body = "".join(rng.choice(["1", "2", "10", "01", ".", "~", "^", "a", "B", "rc", "_", "+", "git"])
                       for _ in range(rng.randint(1, 6)))
        return f"{epoch}{number()}{body}-" + "".join(rng.choice(["1", "el", ".", "~", "2", "a"])
                                                      for _ in range(rng.randint(0, 4)))
    epoch = rng.choice(["", "", "", "1:", "0:", "2:"])
    pieces = ["0", "1", "2", "9", "10", "01", ".", "~", "+", "a", "b", "Z", "dfsg", "~rc", "-", ":"]
    body = number() + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
    return epoch + body + rng.choice(["", "-1", "-0", "-1~bpo8+1", "-1+deb8u1", "-a1", "-1.1"])


@pytest.mark.parametrize("scheme", versions.SCHEMES)
def test_keys_order_random_versions_as_the_schemes_libraries_do(scheme: str) -> None:
    rng = random.Random(11)
    product = PRODUCT[scheme]
    found = {v for v in (random_version(rng, scheme) for _ in range(400)) if version_key(product, v) is not None}
    assert len(found) > 150
    for a, b in combinations(sorted(found), 2):
        ka, kb = version_key(product, a), version_key(product, b)
        assert ka is not None and kb is not None
        assert versions.compare(a, b, scheme) == (ka > kb) - (ka < kb), (a, b, ka, kb)


def test_real_version_lists_sort_by_key_as_they_were_released() -> None:
    raw = gzip.decompress((FIXTURES / "debian" / "docker.io.changelog.Debian.gz").read_bytes())
    assert ascending_keys("debian:docker.io", list(reversed([str(b.version) for b in Changelog(raw.decode())])))
    headings = re.findall(r"^## (\S+) \(", (FIXTURES / "docker" / "moby-CHANGELOG.md").read_text(), flags=re.MULTILINE)
    by_key = sorted(headings, key=lambda v: version_key("moby", v) or "")
    assert by_key == sorted(headings, key=lambda v: versions.sort_key(v, "docker"))
