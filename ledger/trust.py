"""What makes the hash chain provable: anchors kept outside the file, and signed checkpoints.

The chain alone shows that no row was changed *without re-hashing what follows*; whoever holds
the file can rewrite its tail and hash it again, or cut it short, and the chain still holds.
A head kept elsewhere (an ``Anchor``: position and hash) closes that gap for one moment, and a
``Checkpoint`` (the head signed with an Ed25519 key kept outside the ledger, stored in the
ledger's own append-only ``checkpoints`` table) closes it for every moment one was signed, with
no outside help but the public key, as Certificate Transparency's signed tree heads do.

    >>> anchor = Anchor.parse("142:" + "ab" * 32)
    >>> anchor.position, str(anchor) == "142:" + "ab" * 32
    (142, True)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import attrs

from matchledger.ledger.errors import LedgerError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

CHECKPOINTS_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS checkpoints (
    id         INTEGER PRIMARY KEY,
    position   INTEGER NOT NULL,  -- the head signed: its position
    hash       TEXT    NOT NULL,  -- and its hash, hex
    signed_at  TEXT    NOT NULL,  -- ISO 8601, UTC
    key_id     TEXT    NOT NULL,  -- which key signed it (key_id of its public key)
    signature  BLOB    NOT NULL   -- Ed25519 over signed_message(position, hash, signed_at)
    )""",
    """CREATE TRIGGER IF NOT EXISTS checkpoints_no_update BEFORE UPDATE ON checkpoints
    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS checkpoints_no_delete BEFORE DELETE ON checkpoints
    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: DELETE refused'); END""",
)
CHECKPOINT_TRIGGERS = frozenset({"checkpoints_no_update", "checkpoints_no_delete"})
_HEX = frozenset("0123456789abcdef")


class TrustError(LedgerError):
    """An anchor, key or checkpoint that cannot be read or used"""


@attrs.frozen
class Anchor:
    """A head of the log kept outside it: the position of an event and its hash (hex);
    position None when only the hash was kept."""

    position: int | None
    hash: str

    def __str__(self) -> str:
        return self.hash if self.position is None else f"{self.position}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """``POSITION:HASH`` or ``HASH`` (64 hex digits), as ``export`` and ``stats`` print it."""
        position_text, _, digest = text.strip().rpartition(":")
        digest = digest.lower()
        if len(digest) != 64 or not set(digest) <= _HEX:
            raise TrustError(f"head {text[:80]!r}: expected POSITION:HASH or HASH, the hash "
                             "64 hex digits")
        if not position_text:
            return cls(None, digest)
        if not position_text.isdigit() or len(position_text) > 18 or int(position_text) < 1:
            raise TrustError(f"head {text[:80]!r}: the position must be a whole number from 1")
        return cls(int(position_text), digest)

    def save(self, path: Path, ledger: str) -> None:
        """Write this anchor to ``path`` as JSON, whole or not at all."""
        text = json.dumps({"matchledger_anchor": 1, "ledger": ledger, "position": self.position,
                           "hash": self.hash,
                           "saved_at": dt.datetime.now(dt.UTC).isoformat()}, indent=2)
        write_whole(path, text + "\n")

    @classmethod
    def load(cls, path: Path) -> Anchor:
        """The anchor saved in ``path`` (by ``save``; a file holding ``POSITION:HASH`` too)."""
        try:
            text = _small_file(path, "an anchor").decode("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise TrustError(f"anchor {path}: cannot read it ({e})") from e
        try:
            saved = json.loads(text)
        except ValueError:
            return cls.parse(text)
        if not isinstance(saved, dict) or not isinstance(saved.get("hash"), str):
            raise TrustError(f"anchor {path}: not an anchor file (no hash)")
        position = saved.get("position")
        return cls.parse(saved["hash"] if position is None else f"{position}:{saved['hash']}")


@attrs.frozen
class Checkpoint:
    """A head signed by a key, as stored in the ``checkpoints`` table."""

    id: int
    position: int
    hash: str
    signed_at: str
    key_id: str
    signature: bytes


def signed_message(position: int, digest: str, signed_at: str) -> bytes:
    """The bytes a checkpoint's signature covers."""
    return f"matchledger checkpoint\n{position}\n{digest}\n{signed_at}\n".encode()


def key_id(public: Ed25519PublicKey) -> str:
    """A short name of a public key: the first 16 hex digits of sha256 of its raw bytes."""
    from cryptography.hazmat.primitives import serialization

    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def make_keys(private_path: Path) -> tuple[Path, str]:
    """A new Ed25519 key pair: the private key in ``private_path`` (PEM, mode 0600, never
    overwritten; its folder made 0700 if new) and the public one beside it with ``.pub``
    added; (public path, key id)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    public_path = Path(f"{private_path}.pub")
    for path in (private_path, public_path):
        if path.exists():
            raise TrustError(f"{path} exists: a key is never overwritten; choose another name")
    private = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    try:
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        write_whole(public_path, private.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo).decode())
    except OSError as e:
        raise TrustError(f"cannot write the key: {e}") from e
    return public_path, key_id(private.public_key())


def load_private_key(path: Path) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(_read_key(path), password=None)
    except (ValueError, TypeError) as e:
        raise TrustError(f"{path} is not an unencrypted PEM private key") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise TrustError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(_read_key(path))
    except (ValueError, TypeError) as e:
        raise TrustError(f"{path} is not a PEM public key (the .pub file of matchledger "
                         "keygen)") from e
    if not isinstance(key, Ed25519PublicKey):
        raise TrustError(f"{path} is not an Ed25519 public key")
    return key


def _read_key(path: Path) -> bytes:
    try:
        return _small_file(path, "a key")
    except OSError as e:
        raise TrustError(f"cannot read key {path}: {e.strerror or e}") from e


def _small_file(path: Path, what: str, limit: int = 64 * 1024) -> bytes:
    """The bytes of a file of at most ``limit`` (a device or a FIFO is refused, not read
    for ever)."""
    if not path.is_file():
        raise TrustError(f"{path} is not a file{'' if path.exists() else ' (no such file)'}")
    with path.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise TrustError(f"{path} is too large to be {what}")
    return data


def sign(private: Ed25519PrivateKey, position: int, digest: str
         ) -> tuple[str, str, bytes]:
    """(signed_at, key id, signature) of the head ``position``/``digest``, signed now."""
    signed_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return (signed_at, key_id(private.public_key()),
            private.sign(signed_message(position, digest, signed_at)))


def signature_holds(public: Ed25519PublicKey, checkpoint: Checkpoint) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        public.verify(checkpoint.signature, signed_message(
            checkpoint.position, checkpoint.hash, checkpoint.signed_at))
    except InvalidSignature:
        return False
    return True


def stored_checkpoints(conn: sqlite3.Connection) -> list[Checkpoint] | None:
    """The checkpoints stored, oldest first; None when none was ever signed (no table)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoints'"
                    ).fetchone() is None:
        return None
    rows = conn.execute("SELECT id, position, hash, signed_at, key_id, signature "
                        "FROM checkpoints ORDER BY id").fetchall()
    return [Checkpoint(int(i), int(p), str(h), str(s), str(k), bytes(sig))
            for i, p, h, s, k, sig in rows]


def write_whole(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (``whole_file``)."""
    with whole_file(path) as out:
        out.write(text)


@contextmanager
def whole_file(path: Path) -> Iterator[TextIO]:
    """A file to write ``path`` through: a temporary file in the same folder, renamed into
    place only once the block ends without error, so a full disk or a crash leaves the old
    file or none, never half of one."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "x", encoding="utf-8") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


__all__ = ["Anchor", "Checkpoint", "TrustError", "load_private_key", "load_public_key", "make_keys",
           "whole_file", "write_whole"]
