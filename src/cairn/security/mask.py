"""Masked examples: enough of a value to recognise its shape, never the value itself."""

from __future__ import annotations

import re


def _stars(text: str) -> str:
    return re.sub(r"[A-Za-z0-9]", "*", text)


def _keep_last(text: str, keep: int) -> str:
    """Digits and letters starred except the last ``keep`` of them."""
    alnum = [i for i, ch in enumerate(text) if ch.isalnum()]
    shown = set(alnum[-keep:]) if keep and len(alnum) > 2 * keep else set()
    return "".join(ch if (i in shown or not ch.isalnum()) else "*" for i, ch in enumerate(text))


def _email(text: str) -> str:
    local, _, domain = text.partition("@")
    labels = domain.split(".")
    host = ".".join(f"{label[:1]}***" for label in labels[:-1])
    return f"{local[:1]}***@{host}.{labels[-1]}"


def _word(text: str) -> str:
    """First letter of each word, the rest starred: ``Female`` -> ``F*****``."""
    if len(text) <= 3:
        return "*" * max(len(text), 1)
    return re.sub(r"\b(\w)(\w*)", lambda m: m.group(1) + "*" * len(m.group(2)), text)


def mask(kind: str, text: str) -> str:
    """A masked form of ``text`` (a value of ``kind``) that keeps its shape."""
    text = str(text)
    if kind == "email" and "@" in text:
        masked = _email(text)
    elif kind in ("credit_card", "iban", "phone", "national_id", "passport"):
        masked = _keep_last(text, 4 if kind == "credit_card" else 2)
        if kind == "credit_card" and masked.count(" ") + masked.count("-") == 0:
            digits = re.sub(r"\D", "", text)
            masked = "**** **** **** " + digits[-4:] if len(digits) >= 13 else _stars(text)
    elif kind in ("ip_address", "mac_address"):
        parts = re.split(r"([.:-])", text)
        masked = "".join(p if p in ".:-" or i == 0 else _stars(p) for i, p in enumerate(parts))
    elif kind in ("gender", "religion", "ethnicity", "sexual_orientation", "health", "person_name"):
        masked = _word(text)
    elif kind == "secret":
        from cairn.security.content import secret_prefix

        masked = secret_prefix(text) + "*" * 12
    else:
        masked = _stars(text)
    if masked == text or (len(text) >= 4 and text in masked):
        masked = "*" * len(text)
    return masked
