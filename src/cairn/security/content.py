"""Validators of single values: does this text look like an email, a card number, ...?

Each ``is_<kind>`` takes the value's text (stripped) and answers with a bool. Formats with a
check digit are checked (Luhn for cards, mod-97 for IBANs, the invalid ranges of US SSNs and
the prefixes never issued for UK NINOs), so random digit strings rarely pass.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter

from cairn.security import vocab

_EMAIL = re.compile(r"^[\w.%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_PHONE_SHAPE = re.compile(r"^\+?[\d\s().-]{7,22}(\s*(x|ext\.?)\s*\d{1,5})?$", re.I)
_US_PHONE = re.compile(r"^(\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}$")
_GROUPED = re.compile(r"^\+?\d{1,4}([\s.-]\(?\d{1,5}\)?){2,5}$")
_SSN = re.compile(r"^(\d{3})-(\d{2})-(\d{4})$")
_SSN_BARE = re.compile(r"^(\d{3})(\d{2})(\d{4})$")
_NINO = re.compile(r"^([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]$")
_NINO_NEVER = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
_CARD_SHAPE = re.compile(r"^\d{4}([\s-]?\d{2,7}){2,4}$|^\d{13,19}$")
_MAC = re.compile(
    r"^([0-9A-Fa-f]{2}([:-])){5}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}$"
)
_ICD10 = re.compile(r"^[A-Z]\d{2}(\.[0-9A-Z]{1,4})?$")
_PASSPORT = re.compile(r"^[A-Z0-9]{1,2}\d{6,8}[A-Z0-9]?$")
_STREET_WORDS = (
    r"street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|"
    r"terrace|ter|close|crescent|cres|square|sq|highway|hwy|parkway|pkwy|circle|cir|trail|"
    r"row|mews|grove|gardens|hill|walk|alley|plaza"
)
_ADDRESS = [
    re.compile(rf"^\d{{1,6}}[A-Za-z]?,?\s+([\w.'-]+\s+){{1,5}}({_STREET_WORDS})\b\.?", re.I),
    re.compile(
        r"^[\w.'-]+(strasse|straße|str\.|weg|platz|gasse|allee|ring|damm)\s+\d{1,4}\w?\b", re.I
    ),
    re.compile(
        r"^\d{1,5}(\s?(bis|ter))?,?\s+(rue|avenue|av\.|boulevard|bd|chemin|place|impasse|allee|allée|quai)\b",
        re.I,
    ),
    re.compile(
        r"^(calle|avenida|av\.|paseo|plaza|via|viale|piazza|corso)\s+[\w\s.'-]+,?\s+\d{1,5}", re.I
    ),
]
_POSTCODES = [
    re.compile(r"^\d{5}(-\d{4})?$"),  # US, DE, FR, ES, IT
    re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}$", re.I),  # UK
    re.compile(r"^[A-Z]\d[A-Z]\s?\d[A-Z]\d$", re.I),  # Canada
    re.compile(r"^\d{4}\s?[A-Z]{2}$", re.I),  # Netherlands
    re.compile(r"^\d{4}$"),  # AT, CH, BE, DK, AU
    re.compile(r"^\d{3}-\d{4}$"),  # Japan
]
_COORD_PAIR = re.compile(r"^\(?\s*(-?\d{1,2}\.\d{3,})\s*[,;\s]\s*(-?\d{1,3}\.\d{3,})\s*\)?$")
_SECRET_PREFIX = re.compile(
    r"^((?:sk_(live|test)_|pk_(live|test)_|rk_live_|AKIA|ASIA|ghp_|gho_|ghs_|github_pat_|glpat-|"
    r"xox[abposr]-|AIza|ya29\.|hf_|sk-|SG\.|eyJ))[A-Za-z0-9_\-./+=]{12,}$"
)
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-./+=:]{16,}$")


def is_email(text: str) -> bool:
    """An address like ``name@example.org``."""
    return len(text) <= 254 and bool(_EMAIL.match(text))


def is_phone(text: str) -> bool:
    """An E.164 number (``+4930123456``) or a common national form with separators."""
    if not _PHONE_SHAPE.match(text):
        return False
    digits = re.sub(r"\D", "", re.split(r"(?i)x|ext", text)[0])
    if not 7 <= len(digits) <= 15:
        return False
    compact = re.sub(r"[\s().-]", "", text)
    if _E164.match(compact):
        return True
    if _US_PHONE.match(text) or (_GROUPED.match(text) and len(digits) >= 9):
        return True
    return compact.isdigit() and compact.startswith("0") and len(compact) in (10, 11)


def ssn_valid(area: int, group: int, serial: int) -> bool:
    """US SSN rules: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    return 0 < area < 900 and area != 666 and group != 0 and serial != 0


def is_ssn(text: str, *, bare: bool = False) -> bool:
    """A US social security number ``123-45-6789`` (nine bare digits only if ``bare``)."""
    found = _SSN.match(text) or (_SSN_BARE.match(text) if bare else None)
    return found is not None and ssn_valid(*(int(g) for g in found.groups()))


def is_nino(text: str) -> bool:
    """A UK national insurance number ``AB 12 34 56 C``."""
    found = _NINO.match(text.upper())
    return found is not None and found.group(1) not in _NINO_NEVER


def is_national_id(text: str) -> bool:
    """A US SSN or a UK NINO."""
    return is_ssn(text) or is_nino(text)


def iban_valid(text: str) -> bool:
    """The ISO 13616 check: move the first four characters to the end, letters to numbers,
    and the number modulo 97 must be 1."""
    compact = text.replace(" ", "").upper()
    if not _IBAN.match(compact):
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def is_iban(text: str) -> bool:
    """An IBAN with a valid mod-97 check."""
    return 15 <= len(text) <= 42 and iban_valid(text)


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum of a digit string."""
    total = 0
    for index, ch in enumerate(reversed(digits)):
        value = ord(ch) - 48
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _known_iin(digits: str) -> bool:
    two, four = int(digits[:2]), int(digits[:4])
    return (
        digits[0] == "4"  # Visa
        or 51 <= two <= 55 or 2221 <= four <= 2720  # Mastercard
        or two in (34, 37)  # American Express
        or digits.startswith(("6011", "65")) or 644 <= int(digits[:3]) <= 649  # Discover
        or 3528 <= four <= 3589  # JCB
        or two in (36, 38) or 300 <= int(digits[:3]) <= 305  # Diners Club
        or two == 62  # UnionPay
        or digits.startswith(("5018", "5020", "5038", "6304", "6759", "6761", "6763"))  # Maestro
    )  # fmt: skip


def is_credit_card(text: str) -> bool:
    """13-19 digits (spaces or dashes allowed) from a known issuer, passing Luhn."""
    if not _CARD_SHAPE.match(text):
        return False
    digits = re.sub(r"[\s-]", "", text)
    return 13 <= len(digits) <= 19 and _known_iin(digits) and luhn_valid(digits)


def is_ip_address(text: str) -> bool:
    """An IPv4 or IPv6 address."""
    if not 2 <= len(text) <= 45 or ("." not in text and ":" not in text):
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_mac_address(text: str) -> bool:
    """A MAC address ``00:1A:2B:3C:4D:5E`` (or dashes, or Cisco's dotted form)."""
    return bool(_MAC.match(text))


def is_street_address(text: str) -> bool:
    """A house number with a street word, in English, German, French, Spanish or Italian."""
    return len(text) <= 200 and any(p.match(text) for p in _ADDRESS)


def is_postcode(text: str) -> bool:
    """A postcode of a common national form (only meaningful with an address-like name)."""
    return len(text) <= 10 and any(p.match(text) for p in _POSTCODES)


def is_passport(text: str) -> bool:
    """A passport number's shape (only meaningful with a passport-like name)."""
    return bool(_PASSPORT.match(text.upper().replace(" ", "")))


def is_coordinate_pair(text: str) -> bool:
    """``lat, lon`` with at least three decimals each and both in range."""
    found = _COORD_PAIR.match(text)
    if not found:
        return False
    lat, lon = float(found.group(1)), float(found.group(2))
    return -90 <= lat <= 90 and -180 <= lon <= 180


def entropy(text: str) -> float:
    """Shannon entropy of the characters, in bits per character."""
    counts = Counter(text)
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


def is_known_secret(text: str) -> bool:
    """A token with the prefix of a well-known provider's keys (Stripe, AWS, GitHub, Slack...)."""
    return bool(_SECRET_PREFIX.match(text))


def secret_prefix(text: str) -> str:
    """The provider prefix of a well-known key (``sk_live_``, ``AKIA``...), else ``""``."""
    found = _SECRET_PREFIX.match(text)
    return found.group(1) if found else ""


def is_secret(text: str) -> bool:
    """A provider key, or a high-entropy token (only meaningful with a key-like name)."""
    if is_known_secret(text):
        return True
    return bool(_TOKEN_SHAPE.match(text)) and entropy(text) >= 3.3


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9'+-]+", text.lower())


def _fold(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(folded.lower().replace("_", " ").split())


def vocabulary_term(text: str, terms: frozenset[str]) -> bool:
    """The whole value (accents and case folded) is one of ``terms``."""
    return _fold(text) in terms


def is_neutral(text: str) -> bool:
    """A value such as "other" or "unknown" that any vocabulary column may hold."""
    return _fold(text) in vocab.NEUTRAL


def is_icd10(text: str) -> bool:
    """An ICD-10 code: a letter, two digits, optionally a dot and up to four more."""
    return len(text) <= 8 and bool(_ICD10.match(text.upper()))


def is_diagnosis(text: str) -> bool:
    """A text naming a diagnosis (a word or word pair of the diagnosis vocabulary)."""
    words = _words(_fold(text))
    if not words or len(words) > 12:
        return False
    pairs = {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
    return any(w in vocab.DIAGNOSIS for w in words) or bool(pairs & vocab.DIAGNOSIS)


def is_person_name(text: str) -> bool:
    """A value whose first (or, for "Last, First", second) word is a common given name."""
    words = [w.strip(".,") for w in _fold(text).split()]
    if (
        not words
        or len(words) > 4
        or not all(w.replace("-", "").replace("'", "").isalpha() for w in words)
    ):
        return False
    if "," in text and len(words) > 1:
        return words[1] in vocab.FIRST_NAMES
    return words[0] in vocab.FIRST_NAMES
