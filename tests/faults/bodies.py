"""Per kind: its config line, a good body from real fixtures, and that body spoiled in each way.

A content fault is served with HTTP 200: the server is healthy, the body is not. Only the
faults that mean something for a kind's format are listed for it (deep JSON for JSON kinds,
an entity bomb for XML ones, a cut copy for kinds whose answer is the whole list).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.conftest import FIXTURES
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


@dataclass(frozen=True)
class KindCase:
    kind: str
    file: str  # the path's last part
    conf: Callable[[str], str]  # URL -> the source's YAML flow mapping (name added by the suite)
    good: bytes
    spoiled: dict[str, bytes] = field(default_factory=dict)  # content fault -> body


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
         "zero_entries": json.dumps({"latest_stable": {"version": "5.10.13"}, "releases": []}).encode()}),
    "endoflife": KindCase(
        "endoflife", "linux.json", lambda url: f'kind: endoflife, endoflife: linux, url: "{url}"', EOL_LINUX,
        {"empty_body": b"", "invalid_utf8": _spoil_utf8(EOL_LINUX, b'"cycle":"7'), "deep_json": DEEP_JSON,
         "zero_entries": b"[]", "newest_half_cut": _eol_cut()}),
}
