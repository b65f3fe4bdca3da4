"""What ``cairn lineage REF`` accepts, parsed (no store access here)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cairn.errors import InvalidInput

FORMS = (
    "models:/NAME@ALIAS, models:/NAME/VERSION, a run id (32 hex characters, or runs:/RUN_ID), "
    "a dataset digest (8 or more hex characters of it) or dataset:NAME[@DIGEST]"
)
STORED_DIGEST_LENGTH = 32  # a run input keeps this many hex digits of a content oid
MAX_DIGEST_LENGTH = 36  # the longest digest a run input may record
_HEX = re.compile(r"[0-9a-f]+")
_RUN_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class Ref:
    """A parsed reference: ``kind`` is ``model``, ``run``, ``digest`` or ``dataset``.

    ``model``: ``name`` with ``alias`` or ``version``; ``run``: ``value`` is a run id (a
    32-hex value may also be a dataset digest: the builder tries the run first);
    ``digest``: ``value`` is a digest prefix; ``dataset``: ``name``, ``value`` an optional
    digest prefix.
    """

    text: str
    kind: str
    value: str = ""
    name: str = ""
    alias: str = ""
    version: int = 0


def unknown(text: str, why: str) -> InvalidInput:
    """The error for a reference that is not one of :data:`FORMS`."""
    return InvalidInput(f"lineage reference {text!r} {why}; use {FORMS}")


def parse_ref(text: object) -> Ref:
    """Parse a lineage reference; InvalidInput naming the accepted forms otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise unknown(str(text), "is empty")
    ref = text.strip()
    if ref.startswith("models:/"):
        return _model(ref)
    if ref.startswith("runs:/"):
        run_id = ref[len("runs:/") :].strip("/").lower()
        if not _RUN_ID.fullmatch(run_id):
            raise unknown(ref, "does not name a 32-hex run id")
        return Ref(ref, "run", run_id)
    if ref.startswith("dataset:"):
        body = ref[len("dataset:") :]
        name, at, digest = body.rpartition("@")
        if not at or not _HEX.fullmatch(digest.lower()):
            name, digest = body, ""  # a name may hold "@": only a hex tail is a digest
        if not name:
            raise unknown(ref, "has no dataset name")
        return Ref(ref, "dataset", _digest(ref, digest) if digest else "", name=name)
    lowered = ref.lower()
    if _RUN_ID.fullmatch(lowered):
        return Ref(ref, "run", lowered)
    if _HEX.fullmatch(lowered):
        return Ref(ref, "digest", _digest(ref, lowered))
    raise unknown(ref, "is not a model URI, run id or dataset digest")


def _digest(ref: str, digest: str) -> str:
    digest = digest.lower()
    if not _HEX.fullmatch(digest) or len(digest) < 8:
        raise unknown(ref, "has a digest that is not 8 or more hex characters")
    # A full content oid (64 hex) is longer than what a run input records: use its prefix.
    return digest if len(digest) <= MAX_DIGEST_LENGTH else digest[:STORED_DIGEST_LENGTH]


def _model(ref: str) -> Ref:
    body = ref[len("models:/") :].strip("/")
    if "@" in body:
        name, _, alias = body.partition("@")
        if name and alias and "/" not in name:
            return Ref(ref, "model", name=name, alias=alias)
    else:
        name, _, version = body.rpartition("/")
        if name and version.isdigit() and int(version) > 0:
            return Ref(ref, "model", name=name, version=int(version))
    raise unknown(ref, "is not models:/NAME@ALIAS or models:/NAME/VERSION")
