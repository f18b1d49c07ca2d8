"""How fast trackbot verifies a 20 MB apt index, beside sha256sum on the same file.

Run: python benchmarks/bench_apt_hash.py [RUNS] [MB]

Builds a Packages file of about MB megabytes from the real fixture's stanzas in a
temporary mirror, signs an InRelease for it with a throwaway key, serves the tree
from a separate `python -m http.server` process on 127.0.0.1 (as a mirror is
another machine), and prints medians over RUNS of:

- sha256sum FILE (coreutils, the reference), and curl | sha256sum from the same server;
- apt_index.hash_file (the pure streaming hasher on the local file);
- the index alone through ctx.stream (httpx) into the streaming hasher;
- apt_repo.collect through the core's real SourceContext (httpx, ctx.stream), the
  whole path: InRelease, gpgv, the index streamed and hashed;
- the same with watch_packages set (decompress-free here; stanzas of watched packages parsed);

with throughput, the ratio to sha256sum, and the peak Python memory of one traced run
(tracemalloc), so "never held whole" is a number, not a claim.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.poll.fetch import Fetcher, FetchPolicy, SourceContext, make_client  # noqa: E402
from bot.sources.apt import packages_index as apt_index  # noqa: E402
from bot.sources.apt import repo as apt_repo  # noqa: E402

FIXTURE = ROOT / "tests/fixtures/debian/mirror/dists/bookworm-updates/main/binary-amd64/Packages"
SUITE = "bench"


def build_index(target: Path, megabytes: int) -> None:
    """Repeat the real stanzas, renamed so each package is unique, up to the size asked."""
    stanzas = FIXTURE.read_bytes().strip().split(b"\n\n")
    with target.open("wb") as out:
        size, copy = 0, 0
        while size < megabytes * 1_000_000:
            for stanza in stanzas:
                block = stanza.replace(b"Package: ", b"Package: c%d-" % copy, 1) + b"\n\n"
                out.write(block)
                size += len(block)
            copy += 1


def gpg(home: Path, *args: str, data: bytes = b"") -> bytes:
    cmd = ["gpg", "--batch", "--no-tty", "--homedir", str(home), "--passphrase", "", "--pinentry-mode", "loopback"]
    return subprocess.run([*cmd, *args], input=data, capture_output=True, check=True).stdout


def build_mirror(root: Path, megabytes: int) -> tuple[Path, Path]:
    index = root / f"dists/{SUITE}/main/binary-amd64/Packages"
    index.parent.mkdir(parents=True)
    build_index(index, megabytes)
    size, digest = apt_index.hash_file(index)
    home = root.parent / "gnupg"
    home.mkdir(mode=0o700)
    gpg(home, "--quick-gen-key", "Bench <bench@example.org>", "ed25519", "sign", "1y")
    release = (f"Origin: Bench\nSuite: {SUITE}\nCodename: {SUITE}\nDate: Fri, 27 Nov 2026 00:00:00 UTC\n"
               f"Architectures: amd64\nComponents: main\nSHA256:\n {digest} {size} main/binary-amd64/Packages\n")
    (root / f"dists/{SUITE}/InRelease").write_bytes(gpg(home, "--clearsign", data=release.encode()))
    keyring = root.parent / "bench.gpg"
    keyring.write_bytes(gpg(home, "--export"))
    return index, keyring


def serve(root: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                             "--directory", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port}"


async def stream_index(url: str, index: Path) -> None:
    """Only the index: ctx.stream + the streaming hasher, as check_repo runs it."""
    from bot.sources.apt.release import IndexFile
    from bot.sources.apt.release_indexes import fetch_index

    size, digest = apt_index.hash_file(index)
    policy = FetchPolicy(retries=0)
    async with make_client(policy) as client:
        ctx = SourceContext(Fetcher(client, policy), (), (), index.parent, ())
        check = await fetch_index(ctx, f"{url}/dists/{SUITE}/main/binary-amd64/Packages",
                                   IndexFile("main/binary-amd64/Packages", digest, size), frozenset())
    assert check is not None and check.sha256 == digest


async def collect(url: str, keyring: Path, watch: tuple[str, ...]) -> None:
    conf = apt_repo.Conf(name="bench", kind="apt_repo", url=url, suites=(SUITE,), keyring=str(keyring),
                         watch_packages=watch, check_by_hash=False)
    policy = FetchPolicy(retries=0)
    async with make_client(policy) as client:
        ctx = SourceContext(Fetcher(client, policy), (), (), keyring.parent, ())
        snapshot = await apt_repo.collect(conf, ctx)
    assert not snapshot.findings, snapshot.findings


def curl_sha256sum(url: str) -> None:
    """The shell's way to hash the served index: the reference for the HTTP rows."""
    target = f"{url}/dists/{SUITE}/main/binary-amd64/Packages"
    subprocess.run(f"curl -sf {target} | sha256sum", shell=True, check=True, capture_output=True)


def timed(step: Callable[[], object], runs: int) -> tuple[float, int]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    megabytes = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    if not (shutil.which("sha256sum") and shutil.which("curl")):
        sys.exit("sha256sum and curl are needed as the references")
    with tempfile.TemporaryDirectory(prefix="bench-apt-") as tmp:
        index, keyring = build_mirror(Path(tmp) / "mirror", megabytes)
        size = index.stat().st_size
        proc, url = serve(Path(tmp) / "mirror")
        try:
            rows = [
                ("sha256sum (coreutils)", *timed(lambda: subprocess.run(["sha256sum", str(index)], check=True,
                                                                         capture_output=True), runs)),
                ("curl | sha256sum (same server)", *timed(lambda: curl_sha256sum(url), runs)),
                ("hashlib, one read", *timed(lambda: hashlib.sha256(index.read_bytes()).hexdigest(), runs)),
                ("apt_index.hash_file", *timed(lambda: apt_index.hash_file(index), runs)),
                ("index via http + ctx.stream", *timed(lambda: asyncio.run(stream_index(url, index)), runs)),
                ("collect via http + ctx.stream", *timed(lambda: asyncio.run(collect(url, keyring, ())), runs)),
                ("  same, watch_packages set", *timed(lambda: asyncio.run(collect(url, keyring, ("c3-tzdata",))),
                                                      runs)),
            ]
        finally:
            proc.terminate()
            proc.wait()
            subprocess.run(["gpgconf", "--homedir", str(Path(tmp) / "gnupg"), "--kill", "gpg-agent"], check=False)
    reference = rows[0][1]
    print(f"index: {size / 1e6:.1f} MB, {runs} runs each, medians")
    print(f"{'step':32} {'median s':>9} {'MB/s':>8} {'vs sha256sum':>13} {'peak py MB':>11}")
    for name, seconds, peak in rows:
        peak_text = "-" if "sha256sum" in name else f"{peak / 1e6:.1f}"
        print(f"{name:32} {seconds:9.4f} {size / seconds / 1e6:8.0f} {reference / seconds:13.2f} {peak_text:>11}")


if __name__ == "__main__":
    main()
