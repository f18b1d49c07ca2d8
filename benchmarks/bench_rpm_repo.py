"""A 100 MB primary.xml.gz checked by rpm_repo in bounded memory: peak RSS beside the file's size.

Run: python benchmarks/bench_rpm_repo.py [MB]

Builds a repository whose primary.xml.gz is about MB megabytes compressed (default 100; the
packages' descriptions are random hex so gzip cannot shrink them away, as real primaries of a
large distribution hold tens of thousands of packages), signs its repomd.xml with a throwaway
key, serves it from a separate `python -m http.server` process on 127.0.0.1, and runs
rpm_repo.collect through the core's real SourceContext (httpx, ctx.stream): repomd.xml, gpgv,
the file streamed, hashed, inflated and parsed for two watched packages. It prints the file
sizes, the time, throughput, and the process's peak RSS (getrusage) before and after the check:
"never held whole" as a number.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.poll.fetch import Fetcher, FetchPolicy, SourceContext, make_client  # noqa: E402
from bot.sources.rpm import repo as rpm_repo  # noqa: E402

PACKAGE = ('<package type="rpm"><name>{name}</name><arch>x86_64</arch><version epoch="0" ver="1.{n}" '
           'rel="1.el9"/><checksum type="sha256" pkgid="YES">{sum}</checksum><summary>package {n}</summary>'
           '<description>{text}</description><time file="1733600000" build="1733600000"/>'
           '<location href="Packages/{name}-1.{n}-1.el9.x86_64.rpm"/></package>\n')


def build_primary(target: Path, megabytes: int) -> tuple[int, int]:
    """Write primary.xml.gz of about `megabytes` MB; returns (compressed, decompressed) sizes."""
    opened = 0
    with gzip.open(target, "wb", compresslevel=1) as out:
        out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" '
                  b'xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="0">\n')
        n = 0
        while target.stat().st_size < megabytes * 1_000_000:
            block = "".join(PACKAGE.format(name=("docker-ce" if n % 5000 == 0 else f"pkg{n}"), n=n,
                                           sum=secrets.token_hex(32), text=secrets.token_hex(600))
                            for n in range(n, n + 2000)).encode()
            n += 2000
            out.write(block)
            opened += len(block)
        out.write(b"</metadata>\n")
    return target.stat().st_size, opened


def repomd(primary: Path, href: str) -> bytes:
    digest = _sha(primary)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo">\n'
            f'<revision>1733600000</revision>\n<data type="primary"><checksum type="sha256">{digest}</checksum>'
            f'<location href="{href}"/><timestamp>1733600000</timestamp><size>{primary.stat().st_size}</size>'
            f'</data>\n</repomd>\n').encode()


def _sha(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def gpg(home: Path, *args: str) -> None:
    subprocess.run(["gpg", "--batch", "--no-tty", "--homedir", str(home), "--passphrase", "", "--pinentry-mode",
                    "loopback", *args], check=True, capture_output=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def check(baseurl: str, keyring: Path) -> tuple[float, int]:
    conf = rpm_repo.Conf(name="bench", kind="rpm_repo", url=baseurl, keyring=str(keyring),
                         watch_packages=("docker-ce",))
    policy = FetchPolicy(retries=0, timeout=120, max_bytes=1 << 31)
    async with make_client(policy) as client:
        ctx = SourceContext(Fetcher(client, policy), (), (), keyring.parent, ())
        started = time.perf_counter()
        snapshot = await rpm_repo.collect(conf, ctx)
    assert not snapshot.findings, [f.summary for f in snapshot.findings]
    return time.perf_counter() - started, sum(r.kind == "release" for r in snapshot.records)


def main() -> None:
    if sys.argv[1:2] == ["--build"]:
        print(*build_primary(Path(sys.argv[2]), int(sys.argv[3])))
        return
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory(prefix="bench-rpm-") as tmp:
        root = Path(tmp)
        data = root / "repo/repodata"
        data.mkdir(parents=True)
        primary = data / "primary.xml.gz"
        print(f"building a {megabytes} MB primary.xml.gz (in a child process: its memory is not counted) ...",
              flush=True)
        built = subprocess.run([sys.executable, __file__, "--build", str(primary), str(megabytes)], check=True,
                               capture_output=True, text=True).stdout.split()
        size, opened = int(built[0]), int(built[1])
        (data / "repomd.xml").write_bytes(repomd(primary, "repodata/primary.xml.gz"))
        home = root / "gnupg"
        home.mkdir(mode=0o700)
        gpg(home, "--quick-gen-key", "bench <bench@example.invalid>", "ed25519", "sign", "1y")
        gpg(home, "--armor", "--detach-sign", "-o", str(data / "repomd.xml.asc"), str(data / "repomd.xml"))
        keyring = root / "key.asc"
        subprocess.run(["gpg", "--homedir", str(home), "--armor", "--export", "-o", str(keyring)], check=True)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                   "--directory", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)
            before = peak_rss_mb()
            seconds, releases = asyncio.run(check(f"http://127.0.0.1:{port}/repo", keyring))
            after = peak_rss_mb()
        finally:
            server.terminate()
            server.wait()
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True)
    print(f"primary.xml.gz            {size / 1e6:8.1f} MB compressed, {opened / 1e6:8.1f} MB of XML")
    print(f"checked (sha256+inflate+expat, over httpx from 127.0.0.1) in {seconds:6.1f} s, "
          f"{size / 1e6 / seconds:6.1f} MB/s compressed, {releases} watched builds found")
    print(f"peak RSS before the check {before:8.1f} MB")
    print(f"peak RSS after the check  {after:8.1f} MB  (grew {after - before:.1f} MB for a {size / 1e6:.0f} MB "
          f"file: {100 * (after - before) / (size / 1e6):.1f}% of it)")


if __name__ == "__main__":
    main()
