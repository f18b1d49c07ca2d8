"""Test support for the apt kinds: a real mirror on 127.0.0.1, the core context, a throwaway signing key.

The mirror is a temporary copy of the real Debian fixture tree (real InRelease,
real Packages, real archive keyring), served by http.server so tests can tamper
with files between polls and see every request. Collects run through the core's
real SourceContext (bot.poll.fetch), so ctx.get and ctx.stream are the production ones.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import subprocess
import threading
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "debian"
MIRROR = FIXTURES / "mirror"
DEBIAN_KEYRING = FIXTURES / "debian-archive-keyring.gpg"
SUITE = "bookworm-updates"
INRELEASE_PATH = f"dists/{SUITE}/InRelease"
PACKAGES = f"dists/{SUITE}/main/binary-amd64/Packages"
PACKAGES_SHA256 = "80a1f6ee524222c49f230fc5700d00f946d0a47eb5258180106dd03df126e16a"
# The two keys that sign the fixture InRelease (bookworm and trixie archive signing subkeys).
DEBIAN_SIGNERS = ("4CB50190207B4758A3F73A796ED0E7B82643E131", "B8E5F13176D2A7A75220028078DBA3BC47EF2265")


class Mirror:
    """A directory served on 127.0.0.1:0; `requests` lists every path asked for."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        mirror = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                mirror.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args: object) -> None:
                pass

        handler = functools.partial(Handler, directory=str(root))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def path(self, relative: str) -> Path:
        return self.root / relative

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def build_mirror(root: Path, *, by_hash: bool = True) -> Path:
    """Copy the real fixture tree; add the by-hash copy a real Acquire-By-Hash mirror has."""
    shutil.copytree(MIRROR, root)
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    if by_hash:
        target = root / f"dists/{SUITE}/main/binary-amd64/by-hash/SHA256/{PACKAGES_SHA256}"
        target.parent.mkdir(parents=True)
        shutil.copyfile(root / PACKAGES, target)
    return root


async def core_collect(module, conf, *, previous=(), clock: datetime | None = None, config_dir: Path = FIXTURES):
    """Run a kind's collect() through the core's real SourceContext (httpx, ctx.stream) with a fixed clock."""
    from bot.poll.fetch import Fetcher, FetchPolicy, SourceContext, make_client

    moment = clock or datetime.now(UTC)
    policy = FetchPolicy(retries=0, timeout=5)
    async with make_client(policy) as client:
        ctx = SourceContext(Fetcher(client, policy), (), (), config_dir, tuple(previous), clock=lambda: moment)
        return await module.collect(conf, ctx)


class TestKey:
    """An ed25519 signing key in a throwaway GNUPGHOME (no passphrase), for re-signing InRelease."""

    __test__ = False  # not a pytest class

    def __init__(self, home: Path, *, expire: str = "1y", name: str = "Test Repository") -> None:
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        home.chmod(0o700)
        atexit.register(self.close)  # signing starts a gpg-agent that would outlive the tests
        self._gpg("--quick-gen-key", f"{name} <repo@example.org>", "ed25519", "sign", expire)
        listing = self._gpg("--with-colons", "--list-keys").decode()
        self.fingerprint = next(ln.split(":")[9] for ln in listing.splitlines() if ln.startswith("fpr:"))

    def _gpg(self, *args: str, stdin: bytes = b"") -> bytes:
        cmd = ["gpg", "--batch", "--no-tty", "--homedir", str(self.home), "--passphrase", "",
               "--pinentry-mode", "loopback", *args]
        return subprocess.run(cmd, input=stdin, capture_output=True, check=True).stdout

    def close(self) -> None:
        """Stop the gpg-agent that signing started for this home (it would outlive the test)."""
        subprocess.run(["gpgconf", "--homedir", str(self.home), "--kill", "gpg-agent"], capture_output=True)

    def keyring(self, target: Path, *, armor: bool = False) -> Path:
        target.write_bytes(self._gpg("--export", *(["--armor"] if armor else []), self.fingerprint))
        return target

    def clearsign(self, text: bytes) -> bytes:
        return self._gpg("--clearsign", "--digest-algo", "SHA256", "-u", self.fingerprint, stdin=text)

    def detach_sign(self, text: bytes) -> bytes:
        return self._gpg("--detach-sign", "--digest-algo", "SHA256", "-u", self.fingerprint, stdin=text)


def release_text() -> bytes:
    """The signed text of the real InRelease (what gpgv --output gives)."""
    lines = (MIRROR / f"dists/{SUITE}/InRelease").read_bytes().split(b"\n")
    start = lines.index(b"") + 1
    end = lines.index(b"-----BEGIN PGP SIGNATURE-----")
    return b"\n".join(lines[start:end]) + b"\n"


def with_fields(text: bytes, **fields: str) -> bytes:
    """Replace or add Release fields (Date="...", Valid_Until="...") before the checksum lists."""
    out = text
    for name, value in fields.items():
        header = name.replace("_", "-").encode()
        lines = out.split(b"\n")
        kept = [ln for ln in lines if not ln.startswith(header + b":")]
        at = next(i for i, ln in enumerate(kept) if ln.startswith(b"SHA256:") or ln.startswith(b"MD5Sum:"))
        kept.insert(at, header + b": " + value.encode())
        out = b"\n".join(kept)
    return out
