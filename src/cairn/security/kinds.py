"""The kinds of sensitive column the scanner knows, each with its category.

Categories follow the usual privacy vocabulary:

- ``identifier``: points at one person on its own (email, phone, national id, card, ...);
- ``quasi_identifier``: identifies people in combination (date of birth, postcode, location);
- ``protected``: a special category of personal data (gender, religion, ethnicity, sexual
  orientation, health) whose use in decisions is regulated;
- ``secret``: a credential (API key, token, password) that must never be logged.
"""

from __future__ import annotations

IDENTIFIER = "identifier"
QUASI_IDENTIFIER = "quasi_identifier"
PROTECTED = "protected"
SECRET = "secret"

CATEGORY: dict[str, str] = {
    "email": IDENTIFIER,
    "phone": IDENTIFIER,
    "national_id": IDENTIFIER,
    "iban": IDENTIFIER,
    "credit_card": IDENTIFIER,
    "passport": IDENTIFIER,
    "person_name": IDENTIFIER,
    "ip_address": IDENTIFIER,
    "mac_address": IDENTIFIER,
    "street_address": IDENTIFIER,
    "date_of_birth": QUASI_IDENTIFIER,
    "postcode": QUASI_IDENTIFIER,
    "geo_coordinates": QUASI_IDENTIFIER,
    "gender": PROTECTED,
    "religion": PROTECTED,
    "ethnicity": PROTECTED,
    "sexual_orientation": PROTECTED,
    "health": PROTECTED,
    "secret": SECRET,
}

KINDS: tuple[str, ...] = tuple(CATEGORY)
