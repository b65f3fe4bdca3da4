"""The audit trail's checks: verify the hash chain and rows, export it, sign its head.

Events are appended by the store inside each write; this package only reads them.
"""

from __future__ import annotations

from cairn.audit.export import export_lines, verify_lines
from cairn.audit.signing import check_signature, keygen, sign_head
from cairn.audit.verify import VerifyReport, verify

__all__ = [
    "VerifyReport",
    "check_signature",
    "export_lines",
    "keygen",
    "sign_head",
    "verify",
    "verify_lines",
]
