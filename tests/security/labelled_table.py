"""A generated table whose columns are labelled with the sensitive kind they hold (or None).

Sensitive columns appear both under telling names and under neutral ones (``c17``), and the
table carries many non-sensitive look-alikes: order dates, timestamps, product codes, prices,
UUIDs, hex hashes, URLs, country codes, reviews, booleans, ratings, SKUs that fail Luhn,
version strings, colours, sizes... Seeded, so every run builds the same table.
"""

from __future__ import annotations

import random
import string
import uuid
from datetime import date, datetime, timedelta

import pandas as pd

FIRST = ["James", "Mary", "Olivia", "Liam", "Sophia", "Hans", "Fatima", "Wei", "Priya", "Carlos",
         "Chloe", "Lukas", "Giulia", "Ahmed", "Emma", "Noah"]  # fmt: skip
LAST = ["Smith", "Jones", "Müller", "García", "Rossi", "Khan", "Chen", "Dubois", "Patel"]
STREETS = ["Baker Street", "Oak Avenue", "Maple Road", "Sunset Blvd", "High St", "Elm Drive",
           "Park Lane", "Mill Court"]  # fmt: skip


def _luhn_digit(body: str) -> str:
    total = 0
    for index, ch in enumerate(reversed(body)):
        value = int(ch)
        if index % 2 == 0:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str((10 - total % 10) % 10)


def card(rng: random.Random, spaced: bool = False) -> str:
    """A Luhn-valid card number of a real issuer prefix."""
    prefix, length = rng.choice([("4", 16), ("51", 16), ("37", 15), ("6011", 16), ("353", 16)])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    number = body + _luhn_digit(body)
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4)) if spaced else number


def sku(rng: random.Random) -> str:
    """A 16-digit SKU whose last digit breaks Luhn."""
    body = "4" + "".join(rng.choice(string.digits) for _ in range(14))
    return body + str((int(_luhn_digit(body)) + 1 + rng.randrange(9)) % 10)


def iban(rng: random.Random) -> str:
    """A German IBAN with a correct mod-97 check."""
    bban = "".join(rng.choice(string.digits) for _ in range(18))
    check = 98 - int("".join(str(int(c, 36)) for c in bban + "DE00")) % 97
    return f"DE{check:02d}{bban}"


def ssn(rng: random.Random) -> str:
    """A US SSN from the valid ranges."""
    area = rng.choice([n for n in range(1, 900) if n != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def nino(rng: random.Random) -> str:
    """A UK national insurance number."""
    first = rng.choice("ABCEGHJKLMNOPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    digits = "".join(rng.choice(string.digits) for _ in range(6))
    return f"{first}{second} {digits[:2]} {digits[2:4]} {digits[4:]} {rng.choice('ABCD')}"


def _pick(rng: random.Random, values: list, n: int) -> list:
    return [rng.choice(values) for _ in range(n)]


def generate(rows: int = 2000, seed: int = 7) -> tuple[pd.DataFrame, dict[str, str | None]]:
    """The table and the label of each column (the sensitive kind, or None)."""
    rng = random.Random(seed)
    n = rows
    today = date(2026, 11, 1)
    cols: dict[str, tuple[str | None, list]] = {}

    def add(name: str, label: str | None, values: list) -> None:
        cols[name] = (label, values)

    emails = [f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}{rng.randint(1, 99)}@"
              f"{rng.choice(['example.com', 'mail.de', 'corp.co.uk'])}" for _ in range(n)]  # fmt: skip
    add("email", "email", emails)
    add("c17", "email", rng.sample(emails, n))
    add("phone_number", "phone", [f"+{rng.choice(['44', '49', '33', '1'])}{rng.randint(10**8, 10**10)}" for _ in range(n)])  # fmt: skip
    add("contact", "phone", [f"({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}" for _ in range(n)])  # fmt: skip
    add("ssn", "national_id", [ssn(rng) for _ in range(n)])
    add("col_a", "national_id", [ssn(rng) for _ in range(n)])
    add("nino", "national_id", [nino(rng) for _ in range(n)])
    add("iban", "iban", [iban(rng) for _ in range(n)])
    add("f3", "iban", [iban(rng) for _ in range(n)])
    add("card_number", "credit_card", [card(rng) for _ in range(n)])
    add("x9", "credit_card", [card(rng, spaced=True) for _ in range(n)])
    add("client_ip", "ip_address", [f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(n)])  # fmt: skip
    add("v2", "ip_address", [f"2001:db8:{rng.randint(0, 65535):x}::{rng.randint(1, 65535):x}" for _ in range(n)])  # fmt: skip
    births = [today - timedelta(days=rng.randint(18 * 365, 90 * 365)) for _ in range(n)]
    add("date_of_birth", "date_of_birth", [d.isoformat() for d in births])
    add("field_12", "date_of_birth", [d.strftime("%d/%m/%Y") for d in rng.sample(births, n)])
    add("home_address", "street_address", [f"{rng.randint(1, 999)} {rng.choice(STREETS)}" for _ in range(n)])  # fmt: skip
    add("c5", "street_address", [f"{rng.randint(1, 99)} {rng.choice(STREETS)}, Springfield" for _ in range(n)])  # fmt: skip
    add("zip", "postcode", [f"{rng.randint(1000, 99999):05d}" for _ in range(n)])
    add("gender", "gender", _pick(rng, ["Male", "Female", "Non-binary", "Other"], n))
    add("c22", "gender", _pick(rng, ["M", "F", "M", "F", "X"], n))
    add("geschlecht", "gender", _pick(rng, ["männlich", "weiblich", "divers"], n))
    religions = ["Christian", "Muslim", "Jewish", "Hindu", "Buddhist", "Atheist", "None"]
    add("religion", "religion", _pick(rng, religions, n))
    add("attr_4", "religion", _pick(rng, religions + ["Catholic", "Sikh"], n))
    ethnic = ["White", "Black or African American", "Asian", "Hispanic or Latino", "Mixed", "Arab"]
    add("ethnicity", "ethnicity", _pick(rng, ethnic, n))
    add("group_label", "ethnicity", _pick(rng, ethnic + ["Native American", "Pacific Islander"], n))
    orient = ["Heterosexual", "Gay", "Lesbian", "Bisexual", "Asexual", "Prefer not to say"]
    add("sexual_orientation", "sexual_orientation", _pick(rng, orient, n))
    add("q7", "sexual_orientation", _pick(rng, ["straight", "gay", "bisexual", "queer"], n))
    diag = ["Type 2 diabetes", "Asthma", "Hypertension", "Major depressive disorder",
            "Breast cancer", "COPD", "Migraine without aura", "Healthy"]  # fmt: skip
    add("diagnosis", "health", _pick(rng, diag, n))
    add("code_1", "health", _pick(rng, ["E11.9", "J45.909", "I10", "F32.A", "C50.911", "J44.1", "G43.009"], n))  # fmt: skip
    macs = [":".join(f"{rng.randint(0, 255):02x}" for _ in range(6)) for _ in range(n)]
    add("mac", "mac_address", macs)
    add("device", "mac_address", [m.upper().replace(":", "-") for m in macs])
    add("passport_no", "passport", [f"{rng.choice(string.ascii_uppercase)}{rng.randint(10**7, 10**8 - 1)}" for _ in range(n)])  # fmt: skip
    add("first_name", "person_name", _pick(rng, FIRST, n))
    add("customer_name", "person_name", [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(n)])  # fmt: skip
    add("latitude", "geo_coordinates", [round(rng.uniform(-60, 70), 5) for _ in range(n)])
    add("longitude", "geo_coordinates", [round(rng.uniform(-170, 170), 5) for _ in range(n)])
    add("api_key", "secret", ["".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32)) for _ in range(n)])  # fmt: skip
    add("t1", "secret", ["sk_live_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24)) for _ in range(n)])  # fmt: skip

    # Look-alikes: none of these is sensitive.
    add("order_date", None, [(today - timedelta(days=rng.randint(0, 3 * 365))).isoformat() for _ in range(n)])  # fmt: skip
    add("created_at", None, [(datetime(2026, 1, 1) + timedelta(seconds=rng.randint(0, 3 * 10**7))).isoformat(sep=" ") for _ in range(n)])  # fmt: skip
    add("ship_date", None, [(today - timedelta(days=rng.randint(0, 700))).strftime("%d/%m/%Y") for _ in range(n)])  # fmt: skip
    add("product_code", None, [f"PRD-{rng.randint(0, 99999):05d}" for _ in range(n)])
    add("price", None, [round(rng.uniform(1, 500), 2) for _ in range(n)])
    add("order_id", None, [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(n)])
    add("checksum", None, ["".join(rng.choice("0123456789abcdef") for _ in range(40)) for _ in range(n)])  # fmt: skip
    add("session_id", None, ["".join(rng.choice("0123456789abcdef") for _ in range(32)) for _ in range(n)])  # fmt: skip
    add("url", None, [f"https://shop.example.com/p/{rng.randint(1, 10**6)}" for _ in range(n)])
    add("country_code", None, _pick(rng, ["US", "DE", "FR", "GB", "ES", "IT", "JP", "IN"], n))
    add("review", None, _pick(rng, ["Great product, fast delivery", "Not what I expected",
                                    "Five stars!", "Would buy again", "Broke after a week"], n))  # fmt: skip
    add("is_active", None, [rng.random() < 0.5 for _ in range(n)])
    add("rating", None, [rng.randint(1, 5) for _ in range(n)])
    add("sku", None, [sku(rng) for _ in range(n)])
    add("version", None, [f"{rng.randint(0, 3)}.{rng.randint(0, 20)}.{rng.randint(0, 30)}" for _ in range(n)])  # fmt: skip
    add("quantity", None, [rng.randint(1, 20) for _ in range(n)])
    add("color", None, _pick(rng, ["white", "black", "red", "blue", "green", "silver", "grey"], n))
    add("product_name", None, _pick(rng, ["Oak Table", "Desk Lamp", "Coffee Mug", "Laptop Stand"], n))  # fmt: skip
    add("status", None, _pick(rng, ["shipped", "pending", "delivered", "returned"], n))
    add("currency", None, _pick(rng, ["USD", "EUR", "GBP"], n))
    add("temperature", None, [round(rng.uniform(-10, 35), 1) for _ in range(n)])
    add("cuisine", None, _pick(rng, ["italian", "chinese", "indian", "mexican", "thai", "french"], n))  # fmt: skip
    add("size", None, _pick(rng, ["S", "M", "L", "XL"], n))
    add("store_number", None, [f"{rng.randint(10000, 99999)}" for _ in range(n)])
    add("tracking_number", None, [f"1Z{rng.randint(10**15, 10**16 - 1)}" for _ in range(n)])
    add("language", None, _pick(rng, ["en-US", "de-DE", "fr-FR", "es-ES"], n))
    add("file_path", None, [f"/data/img/{rng.randint(1, 9999)}.png" for _ in range(n)])
    add("event_time", None, [1_760_000_000 + rng.randint(0, 10**7) for _ in range(n)])
    add("winner", None, _pick(rng, ["white", "black", "draw"], n))
    add("email_verified", None, [rng.random() < 0.8 for _ in range(n)])
    add("card_type", None, _pick(rng, ["visa", "mastercard", "amex"], n))
    add("token_count", None, [rng.randint(1, 4000) for _ in range(n)])
    add("condition", None, _pick(rng, ["new", "used", "refurbished"], n))
    add("build_year", None, [rng.randint(1950, 2024) for _ in range(n)])
    add("score", None, [round(rng.random(), 4) for _ in range(n)])
    add("comment", None, _pick(rng, ["see attached", "call back later", "ok", "", "urgent"], n))

    frame = pd.DataFrame({name: values for name, (_, values) in cols.items()})
    return frame, {name: label for name, (label, _) in cols.items()}
