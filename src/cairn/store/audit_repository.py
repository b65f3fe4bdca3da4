"""The audit trail's repository: reads of the hash-chained events, events recorded by
features outside the store, verification, export and signed heads."""

from __future__ import annotations

import abc
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cairn.entities import AuditEvent
from cairn.errors import InvalidInput, InvalidState

if TYPE_CHECKING:
    from cairn.store.sql.audit_verify import ChainReport, FullEvent

__all__ = ["STORE_ACTIONS", "AuditRepository", "HeadSignature"]


class AuditRepository(abc.ABC):
    """Reads of the hash-chained audit trail (writes happen inside each store transaction)."""

    @abc.abstractmethod
    def list_events(
        self, after_seq: int = 0, limit: int = 1000, entity: str | None = None
    ) -> list[AuditEvent]:
        """Events in sequence order after a sequence number."""

    @abc.abstractmethod
    def head(self) -> tuple[int, str]:
        """The last sequence number and hash of the chain."""

    def record(self, entity: str, action: str, payload: Mapping[str, Any]) -> AuditEvent:
        """Append an event about ``entity`` (``kind:name``) written by a feature outside the
        store, such as the online guard's ``online.quarantine``; returns the new event.

        The store's own actions (``run.*``, ``experiment.*``, ``audit.*`` ...) are refused:
        the verifier replays them against the rows, so only the store may write them.
        """
        _check_recorded_event(entity, action, payload)
        return self._record(entity, action, dict(payload))

    @abc.abstractmethod
    def _record(self, entity: str, action: str, payload: dict[str, Any]) -> AuditEvent:
        """Persist one validated event (the backend's part of :meth:`record`)."""

    # The full re-reads below need the database itself (cairn.audit uses them); a store
    # without it (the REST store) says so.

    def verify_chain(self) -> ChainReport:
        """Recompute every hash of the chain and compare the run rows with it."""
        raise InvalidState("audit verification reads the database: run it on the server's store")

    def export_events(self) -> Iterator[FullEvent]:
        """Every event in order with its full payload text (metric batches rebuilt)."""
        raise InvalidState("audit export reads the database: run it on the server's store")

    def add_signature(
        self, seq: int, hash: str, public_key: str, signature: str, actor: str
    ) -> None:
        """Store a signature of the chain head ``(seq, hash)``."""
        raise InvalidState("audit signatures are stored with the database: sign on the server")

    def signatures(self) -> list[HeadSignature]:
        """Stored head signatures, newest first."""
        raise InvalidState("audit signatures are stored with the database: verify on the server")


#: Action namespaces the store writes itself; :meth:`AuditRepository.record` refuses them.
STORE_ACTIONS = (
    "run.", "experiment.", "audit.", "user.", "token.", "grant.", "logged_model.",
    "registered_model.", "model_version.", "monitor.", "schedule.", "dataset.", "permission.",
    "orphan_points",
)  # fmt: skip
_ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_ENTITY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*:\S.{0,499}$", re.DOTALL)


def _check_recorded_event(entity: str, action: str, payload: Any) -> None:
    if not isinstance(entity, str) or not _ENTITY_PATTERN.match(entity):
        raise InvalidInput(
            f"audit entity {entity!r} is not 'kind:name' (for example 'registered_model:churn')"
        )
    if not isinstance(action, str) or not _ACTION_PATTERN.match(action):
        raise InvalidInput(
            f"audit action {action!r} is not dotted lower-case words (for example "
            "'online.quarantine')"
        )
    if action.startswith(STORE_ACTIONS):
        raise InvalidInput(
            f"audit action {action!r} belongs to the store itself; record features under "
            "their own namespace (for example 'online.quarantine')"
        )
    if not isinstance(payload, Mapping):
        raise InvalidInput(f"an audit payload must be a JSON object, got {type(payload).__name__}")
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"the audit payload is not plain JSON: {exc}") from None


@dataclass(frozen=True, slots=True)
class HeadSignature:
    """An Ed25519 signature (hex) of the chain head ``(seq, hash)`` by ``public_key`` (hex)."""

    seq: int
    hash: str
    public_key: str
    signature: str
    time: int
    actor: str
