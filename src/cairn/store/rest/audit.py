"""The server's audit trail over HTTP: events and head (any reader of the trail), and the full
re-reads that need the database (verify, export, signatures), which the server runs on its
own store and answers (admins only)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from cairn.entities import AuditEvent
from cairn.store.audit_repository import AuditRepository, HeadSignature
from cairn.store.rest import transport, wire
from cairn.store.sql.audit_replay import AuditFinding
from cairn.store.sql.audit_verify import ChainReport, FullEvent

if TYPE_CHECKING:
    from cairn.store.rest.store import _Api

#: Verifying or exporting a large trail takes a while; wait for it.
LONG = httpx.Timeout(3600.0, connect=5.0)


class RestAuditRepository(AuditRepository):
    """The server's audit trail, read over HTTP."""

    def __init__(self, api: _Api) -> None:
        self._api = api

    def list_events(
        self, after_seq: int = 0, limit: int = 1000, entity: str | None = None
    ) -> list[AuditEvent]:
        found = self._api.get("/audit/events", after_seq=after_seq, limit=limit, entity=entity)
        return [wire.audit_event_in(e) for e in found["items"]]

    def head(self) -> tuple[int, str]:
        found = self._api.get("/audit/head")
        return int(found["seq"]), str(found["hash"])

    def _record(self, entity: str, action: str, payload: dict[str, Any]) -> AuditEvent:
        """Append on the server: a registered model's events need EDIT on the model, others
        an admin."""
        kind, _, name = entity.partition(":")
        if kind == "registered_model":
            path = f"/audit/registered-models/{quote(name, safe='')}/events"
            found = self._api.send("POST", path, {"action": action, "payload": payload})
        else:
            body = {"entity": entity, "action": action, "payload": payload}
            found = self._api.send("POST", "/audit/events", body)
        return wire.audit_event_in(found)

    def verify_chain(self) -> ChainReport:
        """The server's check of its chain and rows."""
        response = transport.request(self._api.client, "GET", "/api/v1/audit/verify", timeout=LONG)
        found = response.json()
        findings = [AuditFinding(**f) for f in found.pop("findings")]
        return ChainReport(**found, findings=findings)

    def export_events(self) -> Iterator[FullEvent]:
        """Every event in order with its full payload text, streamed as JSON lines."""
        client = self._api.client
        try:
            with client.stream("GET", "/api/v1/audit/export", timeout=LONG) as response:
                if not response.is_success:
                    response.read()
                    transport.raise_for_error(response)
                for line in response.iter_lines():
                    if line.strip():
                        yield FullEvent(**json.loads(line))
        except httpx.TransportError as exc:
            from cairn.errors import StoreError

            raise StoreError(
                f"the audit export from {client.base_url} broke off: {exc}; run it again"
            ) from exc

    def add_signature(
        self, seq: int, hash: str, public_key: str, signature: str, actor: str
    ) -> None:
        """Store a head signature on the server (which checks it first; the actor is the
        signed-in user)."""
        body = {"seq": seq, "hash": hash, "public_key": public_key, "signature": signature}
        self._api.send("POST", "/audit/signatures", body)

    def signatures(self) -> list[HeadSignature]:
        """The server's head signatures, newest first."""
        return [HeadSignature(**s) for s in self._api.get("/audit/signatures")["items"]]
