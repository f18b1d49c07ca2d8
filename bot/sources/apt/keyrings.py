"""Keyrings as gpgv needs them: binary, dearmored in Python, and checked to hold a key.

A keyring that is not one (a wrong path, an HTML page, /etc/shadow) is a local mistake:
it is named here, before gpgv could only answer NO_PUBKEY, which would read as the
repository's broken signature. Armored keyrings are dearmored without gpg.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from pathlib import Path

from bot.sources.api import SourceError

_ARMOR = re.compile(
    rb"-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n(.*?)-----END PGP PUBLIC KEY BLOCK-----", re.S
)


def is_armored(data: bytes) -> bool:
    return b"-----BEGIN PGP PUBLIC KEY BLOCK-----" in data[:4096] or bool(_ARMOR.search(data))


def dearmor(data: bytes) -> bytes:
    """Turn one or more ASCII-armored key blocks into binary packets (what gpgv reads)."""
    blocks = _ARMOR.findall(data)
    if not blocks:
        raise SourceError("keyring is neither binary OpenPGP nor an armored key block")
    out = bytearray()
    for block in blocks:
        # Armor headers ("Version: x") hold a colon, base64 never does; "=" starts the CRC line.
        lines = [ln.strip() for ln in block.split(b"\n")]
        body = b"".join(ln for ln in lines if ln and b":" not in ln and not ln.startswith(b"="))
        try:
            out += base64.b64decode(body, validate=True)
        except ValueError as exc:
            raise SourceError(f"armored keyring does not decode: {exc}") from None
    return bytes(out)


def count_public_keys(data: bytes) -> int:
    """How many OpenPGP public-key packets (tag 6) a keyring holds, binary or armored (pure).

    Walks the packet headers (RFC 4880 section 4.2, old and new formats) without
    parsing keys: enough to tell a keyring from a file that holds none (an empty
    file, a web page, /etc/shadow), which gpgv would only report as NO_PUBKEY.
    """
    if is_armored(data):
        try:
            data = dearmor(data)
        except SourceError:
            return 0
    count = pos = 0
    while pos < len(data):
        header = data[pos]
        if not header & 0x80:
            return count  # not a packet: not (or no longer) OpenPGP
        if header & 0x40:  # new format: tag in 6 bits, then a one-, two- or five-byte length
            tag, first = header & 0x3F, data[pos + 1] if pos + 1 < len(data) else 0
            if first < 192:
                length, pos = first, pos + 2
            elif first < 224:
                length, pos = ((first - 192) << 8) + (data[pos + 2] if pos + 2 < len(data) else 0) + 192, pos + 3
            elif first == 255:
                length, pos = int.from_bytes(data[pos + 2 : pos + 6], "big"), pos + 6
            else:
                return count  # partial lengths never occur in keys
        else:  # old format: tag in 4 bits, the length's size in the low 2 bits
            tag, size = (header >> 2) & 0x0F, (1, 2, 4, 0)[header & 0x03]
            length = int.from_bytes(data[pos + 1 : pos + 1 + size], "big") if size else len(data)
            pos += 1 + size
        if pos + length > len(data):
            return count  # truncated packet
        count += tag == 6
        pos += length
    return count


def keyring_problem(path: Path) -> str:
    """Why `path` cannot serve as a keyring, naming it ("" when it holds at least one public key).

    A local mistake (a wrong path, a file that is not a keyring) must never reach gpgv,
    whose answer (NO_PUBKEY) would read as the repository's broken signature.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return f"keyring {path} does not exist"
    except OSError as exc:
        return f"keyring {path} cannot be read: {exc.strerror or exc}"
    if not count_public_keys(data):
        return f"keyring {path} holds no OpenPGP public key (not a keyring: check the path)"
    return ""


def prepare_keyrings(paths: Sequence[Path], inline: Sequence[bytes], workdir: Path) -> list[Path]:
    """Absolute paths of binary keyrings for gpgv, dearmoring into `workdir` where needed.

    A missing or unreadable keyring, or a file holding no key, is a SourceError naming the file:
    a local mistake, never reported as the repository's broken signature, and an unsigned
    check is never a default.
    """
    result: list[Path] = []
    blobs: list[tuple[str, bytes]] = []
    for path in paths:
        try:
            blob = path.read_bytes()
        except OSError as exc:
            raise SourceError(f"keyring {path}: {exc.strerror or exc}") from None
        if not count_public_keys(blob):
            raise SourceError(keyring_problem(path) or f"keyring {path} holds no OpenPGP public key")
        blobs.append((path.name, blob))
    blobs += [(f"inline{i}", blob) for i, blob in enumerate(inline)]
    if not blobs:
        raise SourceError("no keyring configured: an unsigned repository is not checked")
    for index, (name, blob) in enumerate(blobs):
        if is_armored(blob):
            target = workdir / f"{index}-{name}.gpg"
            target.write_bytes(dearmor(blob))
            result.append(target.resolve())
        elif index < len(paths):
            result.append(paths[index].resolve())
        else:
            target = workdir / f"{index}-{name}.gpg"
            target.write_bytes(blob)
            result.append(target.resolve())
    return result
