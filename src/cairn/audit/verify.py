"""``verify``: the whole audit trail checked, as a report with a JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cairn.store.base import Store
from cairn.store.sql.audit_verify import AuditFinding


@dataclass
class VerifyReport:
    """The outcome of :func:`verify`: events checked, the head, and every problem found."""

    events: int
    head_seq: int
    head_hash: str
    findings: list[AuditFinding] = field(default_factory=list)
    signed: bool = False

    @property
    def ok(self) -> bool:
        """True when the chain, the rows and (if asked) the signature all hold."""
        return not self.findings

    @property
    def first(self) -> AuditFinding | None:
        """The first broken link (chain problems come before row and signature problems)."""
        return self.findings[0] if self.findings else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "ok": self.ok,
            "events": self.events,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "signature_checked": self.signed,
            "findings": [
                {"seq": f.seq, "kind": f.kind, "message": f.message} for f in self.findings
            ],
        }


def verify(store: Store, public_key: str | Path | None = None) -> VerifyReport:
    """Recompute the chain and compare run rows; with ``public_key``, check the head signature."""
    from cairn.audit.signing import check_signature, load_public_key

    if public_key is not None:
        load_public_key(public_key)  # bad input fails before the long walk
    chain = store.audit.verify_chain()
    report = VerifyReport(chain.events, chain.head_seq, chain.head_hash, list(chain.findings))
    if public_key is not None:
        report.findings.extend(check_signature(store, public_key))
        report.signed = True
    return report
