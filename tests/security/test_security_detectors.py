"""The value validators and name hints, one family at a time."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from cairn.security import content, names
from cairn.security.columns import from_series
from cairn.security.detect import Decision
from cairn.security.detect import decide as decide_column


def decide(series: pd.Series, hint: names.NameHint | None) -> Decision | None:
    """The decision on a pandas Series, through the plain-Python column the scanner uses."""
    return decide_column(from_series("c", series), hint)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4242424242424242", True),
        ("4242424242424241", False),
        ("79927398713", True),
        ("79927398710", False),
        ("378282246310005", True),
        ("9999999999999995", True),
        ("0", True),
    ],
)
def test_luhn(number, valid):
    assert content.luhn_valid(number) is valid


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("4242 4242 4242 4242", True),
        ("5555-5555-5555-4444", True),
        ("378282246310005", True),  # Amex, 15 digits
        ("6011111111111117", True),  # Discover
        ("4242424242424241", False),  # Luhn fails
        ("9999999999999995", False),  # passes Luhn, no issuer starts with 9
        ("424242424242", False),  # 12 digits
        ("4242424242424242424242", False),  # 22 digits
    ],
)
def test_credit_cards_need_luhn_an_issuer_and_13_to_19_digits(text, card):
    assert content.is_credit_card(text) is card


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("DE89370400440532013000", True),
        ("DE89 3704 0044 0532 0130 00", True),
        ("GB82WEST12345698765432", True),
        ("GB82WEST12345698765433", False),
        ("DE88370400440532013000", False),
        ("XX00", False),
    ],
)
def test_iban_mod_97(text, valid):
    assert content.is_iban(text) is valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("123-45-6789", True),
        ("000-45-6789", False),  # area 000
        ("666-45-6789", False),  # area 666
        ("900-45-6789", False),  # areas 900-999
        ("123-00-6789", False),  # group 00
        ("123-45-0000", False),  # serial 0000
        ("123456789", False),  # bare digits only with a name hint
    ],
)
def test_ssn_ranges(text, valid):
    assert content.is_ssn(text) is valid


def test_bare_ssn_counts_only_when_asked():
    assert content.is_ssn("123456789", bare=True)
    assert not content.is_ssn("666456789", bare=True)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("AB 12 34 56 C", True),
        ("AB123456C", True),
        ("ab123456d", True),
        ("BG123456A", False),  # never issued
        ("GB123456A", False),
        ("DA123456A", False),  # D is not a valid first letter
        ("AO123456A", False),  # O is not a valid second letter
        ("AB123456E", False),  # suffix A-D only
    ],
)
def test_nino(text, valid):
    assert content.is_nino(text) is valid


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (content.is_email, "ana.garcía@correo.es", "not an email@"),
        (content.is_phone, "+44 20 7946 0958", "2.10.3"),
        (content.is_phone, "(415) 555-2671", "12345"),
        (content.is_phone, "030 12345678", "PRD-00123"),
        (content.is_ip_address, "10.0.0.1", "1.2.3"),
        (content.is_ip_address, "2001:db8::1", "abc:def"),
        (content.is_mac_address, "00:1A:2B:3C:4D:5E", "001A2B3C4D5E1234"),
        (content.is_street_address, "221B Baker Street", "Baker Street fans"),
        (content.is_street_address, "Hauptstraße 5", "Straße"),
        (content.is_street_address, "12 rue de la Paix", "rue"),
        (content.is_icd10, "J45.909", "A1"),
        (content.is_diagnosis, "Type 2 diabetes", "Great product"),
        (content.is_coordinate_pair, "48.8566, 2.3522", "48, 2"),
        (content.is_known_secret, "AKIAIOSFODNN7EXAMPLE", "AKIA"),
        (content.is_person_name, "Smith, John", "Oak Table"),
    ],
)
def test_value_validators(check, good, bad):
    assert check(good)
    assert not check(bad)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("custEmailAddr", "email"),
        ("E-Mail", "email"),
        ("Geschlecht", "gender"),
        ("birthDate", "date_of_birth"),
        ("fecha_de_nacimiento", "date_of_birth"),
        ("cc_number", "credit_card"),
        ("ICD10", "health"),
        ("hiv_status", "health"),
        ("ip_addr", "ip_address"),
        ("telefon", "phone"),
        ("national_insurance_number", "national_id"),
        ("Postleitzahl", "postcode"),
        ("order_date", None),
        ("shipping_cost", None),
        ("email_verified", None),
        ("card_type", None),
        ("c17", None),
    ],
)
def test_name_hints(name, kind):
    found = names.hint(name)
    assert (found.kind if found else None) == kind


def _dates(start: date, days: list[int]) -> pd.Series:
    return pd.Series([(start - timedelta(days=d)).isoformat() for d in days])


def test_birth_dates_are_told_from_event_dates_by_their_spread():
    today = date.today()
    births = _dates(today, [365 * age + age * 7 for age in range(18, 90)])
    orders = _dates(today, list(range(0, 720, 10)))
    assert decide(births, None).kind == "date_of_birth"
    assert decide(orders, None) is None
    # Under a birth-date name, any plausible dates count.
    assert decide(orders, names.hint("dob")).evidence == "both"
    # Timestamps of events are never birth dates without the name.
    stamps = pd.Series([f"{d} 13:45:00" for d in births])
    assert decide(stamps, None) is None


def test_birth_dates_in_a_datetime_column():
    births = pd.to_datetime(_dates(date.today(), [365 * a for a in range(20, 80)]))
    assert decide(births, None).kind == "date_of_birth"


def test_postcodes_need_an_address_like_name():
    codes = pd.Series([f"{n:05d}" for n in range(10000, 10500)])
    assert decide(codes, None) is None
    assert decide(codes, names.hint("zip_code")).kind == "postcode"


def test_a_strong_name_alone_flags_a_column_but_not_hashed_values():
    coded = pd.Series([0, 1, 1, 0, 1])
    found = decide(coded, names.hint("gender"))
    assert (found.kind, found.evidence) == ("gender", "name")
    hashed = pd.Series(["0123456789abcdef0123456789abcdef"] * 5)
    assert decide(hashed, names.hint("email")) is None


def test_empty_and_all_null_columns_are_not_flagged():
    assert decide(pd.Series([], dtype=object), names.hint("email")) is None
    assert decide(pd.Series([None, None]), names.hint("email")) is None


def test_icd_codes_need_several_chapters_unless_named():
    ids = pd.Series([f"r{i}" for i in range(10, 60)])
    assert decide(ids, None) is None
    codes = pd.Series(["E11.9", "J45.909", "I10", "F32.A", "C50.911"] * 10)
    assert decide(codes, None).kind == "health"
    assert decide(pd.Series(["R51", "R10.9"] * 5), names.hint("icd10")).kind == "health"
