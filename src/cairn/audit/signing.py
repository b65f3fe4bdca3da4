"""Ed25519 signatures of the audit chain's head: keys, signing, checking.

A signature covers ``(seq, hash)`` of the head when it was signed. Because each event's hash
covers every event before it, someone who can write to the database but does not hold the
private key cannot rewrite history up to ``seq`` without the check failing.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cairn.errors import AlreadyExists, InvalidInput
from cairn.store.audit_repository import HeadSignature
from cairn.store.base import Store
from cairn.store.sql.audit_verify import AuditFinding

PRIVATE_NAME = "audit_ed25519.pem"
PUBLIC_NAME = "audit_ed25519.pub.pem"


def head_message(seq: int, hash: str) -> bytes:
    """The bytes a head signature signs."""
    return f"cairn-audit-head\n{seq}\n{hash}".encode()


def keygen(directory: str | Path) -> tuple[Path, Path]:
    """Write a new key pair into ``directory`` (private key mode 0600); return both paths."""
    folder = Path(directory)
    private_path, public_path = folder / PRIVATE_NAME, folder / PUBLIC_NAME
    for path in (private_path, public_path):
        if path.exists():
            raise AlreadyExists(f"{path} exists; choose another folder or remove it")
    folder.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(private_pem)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_path, public_path


def _read(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{what} file {path} does not exist") from None
    except OSError as err:
        raise InvalidInput(f"cannot read {what} file {path}: {err.strerror}") from None


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file."""
    try:
        key = serialization.load_pem_private_key(_read(path, "private key"), password=None)
    except (ValueError, TypeError) as err:
        raise InvalidInput(f"{path} is not an unencrypted PEM private key ({err})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file."""
    try:
        key = serialization.load_pem_public_key(_read(path, "public key"))
    except (ValueError, TypeError) as err:
        raise InvalidInput(f"{path} is not a PEM public key ({err})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput(f"{path} is not an Ed25519 public key")
    return key


def public_hex(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key as hex (how signatures name their key)."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def sign_head(store: Store, private_key_path: str | Path) -> HeadSignature:
    """Sign the chain's current head and store the signature."""
    key = load_private_key(private_key_path)
    seq, hash = store.audit.head()
    signature = key.sign(head_message(seq, hash)).hex()
    public = public_hex(key.public_key())
    store.audit.add_signature(seq, hash, public, signature, store.actor)
    return next(s for s in store.audit.signatures() if s.signature == signature)


def check_signature(store: Store, public_key_path: str | Path) -> list[AuditFinding]:
    """Problems with the newest head signature by this key (none when it holds)."""
    key = load_public_key(public_key_path)
    mine = [s for s in store.audit.signatures() if s.public_key == public_hex(key)]
    if not mine:
        return [
            AuditFinding(None, "signature", f"no head signature by the key in {public_key_path}")
        ]
    newest = mine[0]
    try:
        key.verify(bytes.fromhex(newest.signature), head_message(newest.seq, newest.hash))
    except (InvalidSignature, ValueError):
        message = f"the signature of head {newest.seq} does not verify with this key (edited)"
        return [AuditFinding(newest.seq, "signature", message)]
    found = store.audit.list_events(after_seq=newest.seq - 1, limit=1)
    if not found or found[0].seq != newest.seq or found[0].hash != newest.hash:
        message = (
            f"event {newest.seq} no longer has the hash signed as the head "
            f"({newest.hash[:12]}): history up to it was rewritten"
        )
        return [AuditFinding(newest.seq, "signature", message)]
    return []
