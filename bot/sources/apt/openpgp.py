"""OpenPGP verification through gpgv, the verifier apt itself runs.

Why gpgv: apt hands every InRelease to gpgv, so trackbot's verdict is apt's
verdict (same parser, same algorithms, same expiry rules), and gpgv is on every
Debian/Ubuntu host because apt depends on it. We never trust its exit code
alone: gpgv exits non-zero when one of two signatures has an unknown key (Debian
signs with two keys) and the verdict comes from the ``--status-fd`` lines, the
way apt's own gpgv method reads them. The signed text is taken from gpgv's
``--output``, so bytes outside the signed block are never parsed.

Keyrings may be binary or ASCII-armored; gpgv wants binary (keyrings.py prepares them). Key expiry is read with
``gpg --with-colons --show-keys`` when gpg is installed (gpgv alone cannot list keys).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.sources.api import SourceError, asyncio

TIMEOUT = 30.0


@dataclass(frozen=True)
class Verdict:
    """What gpgv said about a signed file.

    `valid` holds the fingerprints (signing key, primary key) of every good
    signature; `problems` the status words that made a signature worthless
    (``BADSIG``, ``NO_PUBKEY``, ``EXPKEYSIG``...), as apt lists them.
    """

    valid: tuple[tuple[str, str], ...]
    problems: tuple[str, ...]
    content: bytes = b""
    bad: bool = False  # a BADSIG: somebody changed signed bytes

    @property
    def ok(self) -> bool:
        """apt's rule: at least one good signer and no bad signature."""
        return bool(self.valid) and not self.bad

    @property
    def fingerprints(self) -> tuple[str, ...]:
        """Signing-key fingerprints, sorted, so two runs compare equal."""
        return tuple(sorted({fpr for fpr, _ in self.valid}))

    def reason(self) -> str:
        if not self.problems and not self.valid:
            return "no OpenPGP signature found (unsigned)"
        return ", ".join(self.problems) or "no trusted signature"


@dataclass(frozen=True)
class KeyInfo:
    """One key or subkey of a keyring, from gpg's colon listing."""

    fingerprint: str
    primary: str
    uid: str
    expires: datetime | None
    can_sign: bool
    keyring: str = ""


def gpgv_problem() -> str:
    """The local problem of a host without gpgv ("" when it is installed)."""
    if shutil.which("gpgv") is None:
        return "gpgv is not installed: apt signatures cannot be verified (Debian package gpgv)"
    return ""


def parse_status(text: str) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...], bool]:
    """Read gpgv's status lines: (good signers, problems, any BADSIG).

    A signature counts as good only with both GOODSIG and VALIDSIG, never from
    the exit code; EXPKEYSIG/REVKEYSIG/EXPSIG make it worthless as apt says.
    """
    valid: list[tuple[str, str]] = []
    problems: list[str] = []
    bad = False
    good_in_sig = False
    for line in text.splitlines():
        if not line.startswith("[GNUPG:] "):
            continue
        word, *args = line[9:].split()
        if word == "NEWSIG":
            good_in_sig = False
        elif word == "GOODSIG":
            good_in_sig = True
        elif word == "VALIDSIG" and good_in_sig and args:
            valid.append((args[0], args[-1] if len(args) >= 10 else args[0]))
        elif word == "BADSIG":
            bad = True
            problems.append(f"BADSIG {args[0] if args else ''}".strip())
        elif word in ("NO_PUBKEY", "EXPKEYSIG", "REVKEYSIG", "EXPSIG"):
            problems.append(f"{word} {args[0] if args else ''}".strip())
        elif word == "ERRSIG" and len(args) >= 6 and args[5] != "9":  # rc 9 is NO_PUBKEY, listed apart
            problems.append(f"ERRSIG {args[0]}")
        elif word == "KEYEXPIRED" and args:
            problems.append(f"KEYEXPIRED {_stamp(args[0]).date().isoformat()}")
    return tuple(valid), tuple(dict.fromkeys(problems)), bad


_BEGIN, _SIG, _END = "-----BEGIN PGP SIGNED MESSAGE-----", "-----BEGIN PGP SIGNATURE-----", "-----END PGP SIGNATURE-----"


def clearsign_layout(data: bytes) -> str:
    """apt's complaint about a clearsigned file's layout, or "" when apt would split it.

    gpgv verifies the signed block and ignores text around it, but apt (SplitClearSignedFile)
    refuses an InRelease with anything before the block, unsigned lines after it or a stray
    dash line: `apt-get update` fails while gpgv says GOODSIG. An unsigned file gives "" (gpgv says so).
    """
    lines = [ln.rstrip(" \t\r") for ln in data.decode("utf-8", "replace").split("\n")]
    if not lines or lines[0] != _BEGIN:
        return "text before the signed block (apt: does not start with a signed message block)" \
            if _BEGIN in lines else ""
    rest = iter(lines[1:])
    for line in rest:  # armor headers, up to an empty line
        if not line:
            break
        if line.startswith("-"):
            return "unexpected line starting with a dash in the armor headers"
    for line in rest:  # the signed text
        if line == _SIG:
            break
        if line.startswith("-") and not line.startswith("- "):
            return "unexpected line starting with a dash in the signed text"
    else:
        return "no signature block after the signed text"
    open_signature = True
    for line in rest:
        if open_signature:
            open_signature = line != _END
        elif line == _SIG:
            open_signature = True
        elif line:
            return "unsigned text after the signature (apt: contains unsigned lines)"
    return "signature block is not closed" if open_signature else ""


async def verify(signed: bytes, keyrings: Sequence[Path], *, detached: bytes | None = None) -> Verdict:
    """Verify a clearsigned file (InRelease) or data + detached signature (Release, Release.gpg)."""
    gpgv = shutil.which("gpgv")
    if gpgv is None:
        raise SourceError("gpgv is not installed (apt's verifier; Debian package gpgv)")
    layout = clearsign_layout(signed) if detached is None else ""
    if layout:
        return Verdict((), (f"InRelease refused by apt: {layout}",))
    with tempfile.TemporaryDirectory(prefix="trackbot-gpgv-") as tmp:
        home = Path(tmp)
        data = home / "data"
        data.write_bytes(signed)
        args = ["--status-fd", "1"]
        for keyring in keyrings:
            args += ["--keyring", str(Path(keyring).resolve())]
        if detached is None:
            out = home / "signed-text"
            args += ["--output", str(out), str(data)]
        else:
            sig = home / "data.sig"
            sig.write_bytes(detached)
            args += [str(sig), str(data)]
        status = await _run([gpgv, *args], home)
        valid, problems, bad = parse_status(status)
        # gpgv writes the text even when no signature is good: keep it only when one is.
        content = signed if detached is not None else _read(home / "signed-text")
        content = content if valid and not bad else b""
        if valid and not bad and not content:
            raise SourceError("gpgv reported a good signature but wrote no signed text")
        return Verdict(valid, problems, content, bad)


async def list_keys(keyrings: Sequence[Path]) -> list[KeyInfo] | None:
    """Every key and subkey of the keyrings with its expiry; None when gpg is not installed."""
    gpg = shutil.which("gpg")
    if gpg is None:
        return None
    keys: list[KeyInfo] = []
    with tempfile.TemporaryDirectory(prefix="trackbot-gpg-") as tmp:
        for keyring in keyrings:
            cmd = [gpg, "--batch", "--no-tty", "--with-colons", "--fixed-list-mode", "--show-keys"]
            listing = await _run([*cmd, str(keyring)], Path(tmp))
            keys += parse_colons(listing, str(keyring))
    return keys


def parse_colons(listing: str, keyring: str = "") -> list[KeyInfo]:
    """Parse ``gpg --with-colons`` pub/sub/fpr/uid lines into KeyInfo (pure)."""
    keys: list[KeyInfo] = []
    pending: dict[str, str] | None = None
    primary = uid = ""
    for line in listing.splitlines():
        fields = line.split(":")
        if fields[0] in ("pub", "sub") and len(fields) > 11:
            pending = {"type": fields[0], "expires": fields[6], "caps": fields[11]}
        elif fields[0] == "fpr" and pending is not None and len(fields) > 9:
            if pending["type"] == "pub":
                primary, uid = fields[9], ""
            expires = _stamp(pending["expires"]) if pending["expires"] else None
            keys.append(KeyInfo(fields[9], primary, uid, expires, "s" in pending["caps"].lower(), keyring))
            pending = None
        elif fields[0] == "uid" and len(fields) > 9 and not uid:
            uid = fields[9]
            keys = [KeyInfo(k.fingerprint, k.primary, uid if k.primary == primary else k.uid,
                            k.expires, k.can_sign, k.keyring) for k in keys]
    return keys


def _stamp(value: str) -> datetime:
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


async def _run(cmd: list[str], home: Path) -> str:
    """Run gpg/gpgv with a throwaway GNUPGHOME and the C locale; return its stdout."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GNUPGHOME": str(home), "LC_ALL": "C"}
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env,
    )
    try:
        stdout, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise SourceError(f"{Path(cmd[0]).name} timed out after {TIMEOUT:.0f}s") from None
    return stdout.decode("utf-8", "replace")
