"""Per kind: its config line, a good body from real fixtures, and that body spoiled in each way.

A content fault is served with HTTP 200: the server is healthy, the body is not. Only the
faults that mean something for a kind's format are listed for it (deep JSON for JSON kinds,
an entity bomb for XML ones, a cut copy for kinds whose answer is the whole list). The apt
kinds meet every transport fault on their InRelease, and an empty one; a changed byte in a
signed InRelease is not a transport fault but a signature that does not verify, which apt
refuses too: that is the apt tests' `apt_signature_invalid` incident, after two polls.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.conftest import FIXTURES
from tests.sources.apt_support import DEBIAN_KEYRING, INRELEASE_PATH, MIRROR, PACKAGES, SUITE
from tests.sources.kernel_support import entry, releases_json

_MOBY_HEAD, *_MOBY_SECTIONS = __import__("re").split(rb"(?m)^(?=## )", (FIXTURES / "docker" / "moby-CHANGELOG.md").read_bytes())
MOBY = _MOBY_HEAD + b"".join(_MOBY_SECTIONS[:12])  # twelve releases: a real changelog, parsed fast
ATOM = (FIXTURES / "github" / "releases.atom.sample.xml").read_bytes()
EOL_LINUX = (FIXTURES / "endoflife" / "derived-api-v0-linux.json").read_bytes()
KERNEL = releases_json(*(entry(f"5.{minor}.{minor + 3}", "stable" if minor == 10 else "longterm")
                         for minor in range(10, 0, -1)))
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
ENTITY_BOMB = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
               + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                          for i in range(1, 10))
               + b']>\n<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&lol9;</title></entry></feed>\n')


RUNC = (FIXTURES / "debian" / "runc.changelog.Debian.gz").read_bytes()
KDIST = (FIXTURES / "kernel" / "kdist-2020-05-08.xml").read_bytes()
INRELEASE = (MIRROR / INRELEASE_PATH).read_bytes()
MIRROR_FILES = {PACKAGES: (MIRROR / PACKAGES).read_bytes()}  # served beside the faulty InRelease
APT_SOURCES_FILE = "faulty.sources"  # apt_sources reads it from beside sources.yaml


def _spoil_utf8(body: bytes, marker: bytes) -> bytes:
    at = body.index(marker) + len(marker)
    return body[:at] + b"\xff\xfe" + body[at:]


def _moby_cut() -> bytes:
    head, *sections = re.split(rb"(?m)^(?=## )", MOBY)
    return head + b"".join(sections[len(sections) // 2:])


def _atom_without_entries() -> bytes:
    return re.sub(rb"(?s)<entry>.*</entry>", b"", ATOM)


def _eol_cut() -> bytes:
    cycles = json.loads(EOL_LINUX)
    return json.dumps(cycles[len(cycles) // 2:]).encode()


def _runc_cut() -> bytes:
    """The newest half of the uploads cut off (a Debian changelog lists the newest first)."""
    text = gzip.decompress(RUNC)
    starts = [m.start() for m in re.finditer(rb"(?m)^runc ", text)]
    return gzip.compress(text[starts[len(starts) // 2]:])


def _runc_utf8() -> bytes:
    text = gzip.decompress(RUNC)
    return gzip.compress(_spoil_utf8(text, text.split(b"\n")[2]))


def _kdist_cut() -> bytes:
    """kdist.xml lists the newest branches first: its first half cut off (the 4 newest kept out)."""
    items = list(re.finditer(rb"(?s)<item>.*?</item>", KDIST))
    return KDIST[: items[0].start()] + KDIST[items[len(items) // 2].start():]


def _kernel_cut() -> bytes:
    body = json.loads(KERNEL)
    body["releases"] = body["releases"][len(body["releases"]) // 2:]
    return json.dumps(body).encode()


def _kdist_without_items() -> bytes:
    return re.sub(rb"(?s)<item>.*</item>", b"", KDIST)


def _apt_sources(url: str) -> dict[str, str]:
    root = url.removesuffix(INRELEASE_PATH)
    return {APT_SOURCES_FILE: f"Types: deb\nURIs: {root}\nSuites: {SUITE}\nComponents: main\n"
                              f"Architectures: amd64\nSigned-By: {DEBIAN_KEYRING}\n"}


@dataclass(frozen=True)
class KindCase:
    kind: str
    file: str  # the path's last part
    conf: Callable[[str], str]  # URL -> the source's YAML flow mapping (name added by the suite)
    good: bytes
    spoiled: dict[str, bytes] = field(default_factory=dict)  # content fault -> body
    beside: dict[str, bytes] = field(default_factory=dict)  # other files under the same root, served ok
    local: Callable[[str], dict[str, str]] = lambda url: {}  # files written beside sources.yaml


KINDS = {
    "docker_changelog": KindCase(
        "docker_changelog", "CHANGELOG.md", lambda url: f'kind: docker_changelog, url: "{url}"', MOBY,
        {"empty_body": b"", "invalid_utf8": _spoil_utf8(MOBY, b"## 17.03.2-ce (2017-05-29)\n"),
         "zero_entries": b"# Changelog\n\nNothing released yet.\n", "newest_half_cut": _moby_cut()}),
    "github_releases": KindCase(
        "github_releases", "releases.atom", lambda url: f'kind: github_releases, repo: hashicorp/consul, url: "{url}"',
        ATOM,
        {"empty_body": b"", "invalid_utf8": _spoil_utf8(ATOM, b"<title>v2.1"), "entity_bomb": ENTITY_BOMB,
         "zero_entries": _atom_without_entries()}),
    "kernel_releases": KindCase(
        "kernel_releases", "releases.json", lambda url: f'kind: kernel_releases, url: "{url}"', KERNEL,
        {"empty_body": b"", "invalid_utf8": _spoil_utf8(KERNEL, b'"version": "5.10'), "deep_json": DEEP_JSON,
         "zero_entries": json.dumps({"latest_stable": {"version": "5.10.13"}, "releases": []}).encode(),
         "newest_half_cut": _kernel_cut()}),
    "endoflife": KindCase(
        "endoflife", "linux.json", lambda url: f'kind: endoflife, endoflife: linux, url: "{url}"', EOL_LINUX,
        {"empty_body": b"", "invalid_utf8": _spoil_utf8(EOL_LINUX, b'"cycle":"7'), "deep_json": DEEP_JSON,
         "zero_entries": b"[]", "newest_half_cut": _eol_cut()}),
    "debian_changelog": KindCase(
        "debian_changelog", "changelog.Debian.gz", lambda url: f'kind: debian_changelog, url: "{url}"', RUNC,
        {"empty_body": b"", "invalid_utf8": _runc_utf8(), "truncated_file": RUNC[: len(RUNC) // 2],
         "zero_entries": gzip.compress(b"\n"), "newest_half_cut": _runc_cut()}),
    "kernel_feed": KindCase(
        "kernel_feed", "kdist.xml", lambda url: f'kind: kernel_feed, url: "{url}"', KDIST,
        {"empty_body": b"", "invalid_utf8": _spoil_utf8(KDIST, b"<title>5."), "entity_bomb": ENTITY_BOMB,
         "zero_entries": _kdist_without_items(), "newest_half_cut": _kdist_cut()}),
    "apt_repo": KindCase(
        "apt_repo", INRELEASE_PATH,
        lambda url: (f'kind: apt_repo, url: "{url.removesuffix(INRELEASE_PATH)}", suites: [{SUITE}], '
                     f'architectures: [amd64], keyring: "{DEBIAN_KEYRING}"'),
        INRELEASE, {"empty_body": b"", "deep_json": DEEP_JSON, "entity_bomb": ENTITY_BOMB}, beside=MIRROR_FILES),
    "apt_sources": KindCase(
        "apt_sources", INRELEASE_PATH, lambda url: f"kind: apt_sources, path: {APT_SOURCES_FILE}", INRELEASE,
        {"empty_body": b"", "deep_json": DEEP_JSON, "entity_bomb": ENTITY_BOMB}, beside=MIRROR_FILES,
        local=_apt_sources),
}
