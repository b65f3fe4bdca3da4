"""Column-name hints: which sensitive kind a column's name suggests, and how strongly.

A name is split into lower-case tokens (``custEmailAddr`` and ``cust_email_addr`` both give
``cust email addr``) and matched against word patterns in English plus the obvious forms in
German, French, Spanish and Italian. A *strong* hint flags the column by its name alone; a
*weak* one (``name``, ``token``, ``zip`` ...) only lowers the content threshold or is needed
by detectors that are ambiguous without it (postcodes, passports, person names, secrets).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

STRONG = "strong"
WEAK = "weak"


@dataclass(frozen=True)
class NameHint:
    """What a column name suggests: a kind and whether the name alone is evidence."""

    kind: str
    strength: str


# Checked in order, first match wins: specific forms before general ones ("email address"
# is an email, not a street address; "ip addr" an IP address).
_PATTERNS: list[tuple[str, str, str]] = [
    (
        "secret",
        STRONG,
        r"api ?key|apikey|secret|password|passwd|pwd|passphrase|access ?key|"
        r"private ?key|auth ?token|access ?token|refresh ?token|bearer|credentials?|passwort|"
        r"contrasena|mot de passe",
    ),
    ("secret", WEAK, r"token|key|auth"),
    ("email", STRONG, r"e ?mail|email ?addr(ess)?|mail ?addr(ess)?|correo|courriel"),
    ("email", WEAK, r"mail"),
    (
        "ip_address",
        STRONG,
        r"ip|ip ?addr(ess)?|ipv4|ipv6|client ?ip|remote ?addr|source ?ip|src ?ip",
    ),
    ("mac_address", STRONG, r"mac|mac ?addr(ess)?|macaddr|hw ?addr|hardware ?addr(ess)?"),
    (
        "phone",
        STRONG,
        r"phone|tel|telephone|mobile|cell ?phone|msisdn|fax|telefon|telefono|"
        r"telephono|handy|portable|cellulare|phone ?number",
    ),
    ("phone", WEAK, r"cell|contact ?number"),
    (
        "national_id",
        STRONG,
        r"ssn|social ?security( ?number)?|nino|ni ?number|national ?id|"
        r"national ?insurance( ?number)?|tax ?id|tin|sin|steuer ?id|dni|nif|nie|personnummer|"
        r"aadhaar|bsn|insee|personal ?id|id ?card|personalausweis|cpf|curp",
    ),
    ("iban", STRONG, r"iban|bank ?account|account ?number|acct ?(no|num|number)|kontonummer"),
    (
        "credit_card",
        STRONG,
        r"credit ?card|card ?(no|num|number)|cardnumber|cc|cc ?(no|num|number)|"
        r"ccnum|pan|kreditkarte|tarjeta|carte ?bancaire",
    ),
    (
        "passport",
        STRONG,
        r"passport( ?(no|num|number|id))?|reisepass|pasaporte|passeport|passaporto",
    ),
    (
        "date_of_birth",
        STRONG,
        r"dob|birth|birthday|birthdate|date ?of ?birth|birth ?date|born|"
        r"geburtsdatum|geburtstag|fecha ?de ?nacimiento|nacimiento|date ?de ?naissance|naissance|"
        r"data ?di ?nascita|nascita",
    ),
    (
        "person_name",
        STRONG,
        r"first ?name|last ?name|surname|given ?name|family ?name|full ?name|"
        r"fname|lname|forename|middle ?name|maiden ?name|vorname|nachname|nombre|apellidos?|prenom|"
        r"cognome|customer ?name|patient ?name|employee ?name|person ?name|user ?name|username",
    ),
    ("person_name", WEAK, r"name|nom"),
    (
        "postcode",
        STRONG,
        r"post ?code|postal ?code|zip ?code|zip|plz|postleitzahl|codigo ?postal|"
        r"code ?postal|cap",
    ),
    (
        "street_address",
        STRONG,
        r"address|addr|street|home ?address|address ?line ?\d?|strasse|"
        r"anschrift|adresse|direccion|calle|rue|indirizzo|residence",
    ),
    (
        "geo_coordinates",
        STRONG,
        r"lat|latitude|lon|lng|long|longitude|coordinates?|coords?|gps|"
        r"geo ?location|lat ?lon|lat ?lng|geo ?point",
    ),
    ("gender", STRONG, r"sex|gender|geschlecht|sexe|sexo|genero|genere|gender ?identity"),
    (
        "sexual_orientation",
        STRONG,
        r"(sexual ?)?orientation|sexuality|orientacion|orientierung|"
        r"lgbtq?|sexualitat",
    ),
    (
        "religion",
        STRONG,
        r"religion|religious|faith|belief|religious ?belief|confession|"
        r"konfession|religione|religiao|denomination",
    ),
    (
        "ethnicity",
        STRONG,
        r"ethnicity|ethnic( ?group| ?origin)?|race|racial|ethnie|etnia|"
        r"ethnizitat|ethnicite|etnicidad|raza|race ?ethnicity",
    ),
    (
        "health",
        STRONG,
        r"diagnosis|diagnoses|diagnose|diag|icd|icd ?10|icd ?9|disease|illness|"
        r"medical( ?condition)?|health( ?status| ?condition)?|disability|medication|symptoms?|"
        r"blood ?type|hiv( ?status)?|pregnan(t|cy)|diagnostico|diagnostic|krankheit|maladie|"
        r"enfermedad|treatment|comorbidit(y|ies)|allerg(y|ies)|mental ?health",
    ),
]

_COMPILED = [
    (kind, strength, re.compile(rf"(?:^| )(?:{pattern})(?: |$)"))
    for kind, strength, pattern in _PATTERNS
]

# Tokens that turn an identifier-like name into metadata about it ("email_verified",
# "phone_count", "card_type"): such names are no hint at all.
_META = {
    "is",
    "has",
    "verified",
    "count",
    "cnt",
    "flag",
    "type",
    "valid",
    "enabled",
    "consent",
    "optin",
    "opt",
    "len",
    "length",
    "domain",
    "format",
    "provider",
    "hashed",
    "brand",
    "network",
    "version",
    "expiry",
    "exp",
    "issuer",
    "country",
    "bits",
    "size",
    "description",
    "desc",
}
# Protected attributes and secrets stay flagged ("hiv_status", "gender_type", "api_key_hash").
_META_EXEMPT = {"health", "gender", "religion", "ethnicity", "sexual_orientation", "secret"}


def tokens(name: object) -> str:
    """The column name as space-separated lower-case ASCII tokens."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Za-z])([0-9])", r"\1 \2", text)
    return " ".join(re.split(r"[^A-Za-z0-9]+", text.lower())).strip()


def hint(name: object) -> NameHint | None:
    """The sensitive kind the column name suggests, or ``None``."""
    text = tokens(name)
    if not text:
        return None
    words = set(text.split())
    for kind, strength, pattern in _COMPILED:
        if not pattern.search(text):
            continue
        if kind not in _META_EXEMPT and words & _META:
            return None
        return NameHint(kind, strength)
    return None
