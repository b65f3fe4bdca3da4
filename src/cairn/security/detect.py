"""Decide what one column holds, from its name and a sample of its values.

Content decisions use the share of non-null sampled values that match a kind's validator,
with a threshold per kind (lower for free formats than for vocabularies) that a name hint
for the same kind lowers further. Some validators are ambiguous on their own (postcodes,
passports, person names, generic tokens) and only count with a name hint. Plain Python
throughout, so the logging hooks need no pandas.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cairn.security import content, vocab
from cairn.security.columns import BOOL, DATETIME, FLOAT, Column
from cairn.security.names import STRONG, NameHint

PROBE = 200  # distinct values tried on every validator before the whole sample is checked


@dataclass(frozen=True)
class Rule:
    """A content detector: the validator, its thresholds and whether it needs a name hint."""

    kind: str
    check: Callable[[str], bool]
    threshold: float
    hinted: float
    needs_hint: tuple[str, ...] = ()
    min_terms: int = 0  # distinct vocabulary terms needed without a hint
    # Without a hint, a test of the matching values as a whole (e.g. ICD codes must come
    # from several chapters, so ids such as "r17", "r18" are not taken for codes).
    spread: Callable[[list[str]], bool] | None = None


def _term(terms: frozenset[str]) -> Callable[[str], bool]:
    return lambda text: content.vocabulary_term(text, terms) or content.is_neutral(text)


def _chapters(hits: list[str]) -> bool:
    return len({h[0].upper() for h in hits}) >= 3


RULES: tuple[Rule, ...] = (
    Rule("email", content.is_email, 0.6, 0.3),
    Rule("credit_card", content.is_credit_card, 0.6, 0.3),
    Rule("iban", content.is_iban, 0.6, 0.3),
    Rule("national_id", content.is_national_id, 0.6, 0.3),
    Rule("mac_address", content.is_mac_address, 0.6, 0.3),
    Rule("ip_address", content.is_ip_address, 0.6, 0.3),
    Rule("phone", content.is_phone, 0.6, 0.3),
    Rule("street_address", content.is_street_address, 0.6, 0.3),
    Rule("secret", content.is_known_secret, 0.6, 0.3),
    Rule("secret", content.is_secret, 0.6, 0.6, needs_hint=("secret",)),
    Rule("geo_coordinates", content.is_coordinate_pair, 0.8, 0.5),
    Rule("health", content.is_diagnosis, 0.6, 0.3),
    Rule("health", content.is_icd10, 0.6, 0.3, spread=_chapters),
    Rule("gender", _term(vocab.GENDER), 0.8, 0.5, min_terms=2),
    Rule("religion", _term(vocab.RELIGION), 0.8, 0.5, min_terms=2),
    Rule("ethnicity", _term(vocab.ETHNICITY), 0.8, 0.5, min_terms=3),
    Rule("sexual_orientation", _term(vocab.SEXUAL_ORIENTATION), 0.8, 0.5, min_terms=2),
    Rule("person_name", content.is_person_name, 0.5, 0.4, needs_hint=("person_name",)),
    Rule("postcode", content.is_postcode, 0.6, 0.6, needs_hint=("postcode", "street_address")),
    Rule("passport", content.is_passport, 0.6, 0.6, needs_hint=("passport",)),
    Rule("national_id", lambda t: content.is_ssn(t, bare=True), 0.6, 0.6, needs_hint=("national_id",)),
)  # fmt: skip

_TERMS = {
    "gender": vocab.GENDER,
    "religion": vocab.RELIGION,
    "ethnicity": vocab.ETHNICITY,
    "sexual_orientation": vocab.SEXUAL_ORIENTATION,
}
_DATEISH = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?")
_DECIMAL = re.compile(r"^-?\d*\.\d+([eE][-+]?\d+)?$")
_DIGESTS = re.compile(r"^([0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y")
_PROTECTED_NAME_ONLY = {"gender", "religion", "ethnicity", "sexual_orientation", "health"}


@dataclass(frozen=True)
class Decision:
    """What a column holds: the kind, the evidence and the matching values of the sample."""

    kind: str
    evidence: str  # "name", "content" or "both"
    share: float
    matches: tuple[str, ...]


def _counts(column: Column) -> Counter[str] | None:
    """The sample's values as stripped text with their counts, or ``None`` for a
    float, bool or datetime column."""
    if column.kind in (FLOAT, BOOL, DATETIME):
        return None
    texts = (v.strip() if isinstance(v, str) else str(v) for v in column.values)
    counts = Counter(t for t in texts if t)
    probe = [value for value, _ in counts.most_common(PROBE)]
    if probe and all(_DECIMAL.match(v) for v in probe):
        return None  # decimal numbers written as text (a CSV's floats): no kind to find
    return counts


def _share(
    counts: Counter[str], check: Callable[[str], bool], total: int
) -> tuple[float, list[str]]:
    hits = [value for value in counts if check(value)]
    return sum(counts[h] for h in hits) / total, hits


def _probe(uniques: list[str], check: Callable[[str], bool]) -> float:
    sample = uniques[:PROBE]
    return sum(1 for v in sample if check(v)) / len(sample)


def content_decision(counts: Counter[str], hint: NameHint | None) -> Decision | None:
    """The best content match of a column's non-null sample, if one clears its threshold."""
    total = sum(counts.values())
    if not total:
        return None
    uniques = [value for value, _ in counts.most_common(PROBE)]
    best: Decision | None = None
    for rule in RULES:
        hinted = hint is not None and hint.kind == rule.kind
        if rule.needs_hint and not (hint is not None and hint.kind in rule.needs_hint):
            continue
        threshold = rule.hinted if hinted else rule.threshold
        if _probe(uniques, rule.check) < threshold / 2:
            continue
        share, hits = _share(counts, rule.check, total)
        if share < threshold or (best is not None and share <= best.share):
            continue
        if rule.spread is not None and not hinted and not rule.spread(hits):
            continue
        if rule.min_terms and not hinted:
            terms = {content._fold(h) for h in hits} & _TERMS[rule.kind]
            core = sum(counts[h] for h in hits if not content.is_neutral(h))
            if len(terms) < rule.min_terms or core < total / 2:
                continue
        best = Decision(rule.kind, "content", share, tuple(hits[:3]))
    return best


def _parse_dates(counts: Counter[str]) -> dict[str, datetime]:
    """Parse the distinct texts with the date format that fits most of them (ISO 8601 with
    a time of day is tried too)."""
    probe = [value for value, _ in counts.most_common(PROBE)]

    def parse(text: str, fmt: str | None) -> datetime | None:
        try:
            return datetime.fromisoformat(text) if fmt is None else datetime.strptime(text, fmt)
        except ValueError:
            return None

    best = max((None, *_DATE_FORMATS), key=lambda f: sum(parse(v, f) is not None for v in probe))
    parsed = {}
    for text in counts:
        found = parse(text, best) or (parse(text, None) if best is not None else None)
        if found is not None:
            parsed[text] = found.replace(tzinfo=None)
    return parsed


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def birth_dates(column: Column, hint: NameHint | None) -> Decision | None:
    """Dates of birth: parseable dates, implied ages 0-120, spread like a population's ages
    (or any such dates under a birth-date name). Event timestamps do not qualify."""
    hinted = hint is not None and hint.kind == "date_of_birth"
    counts: Counter[str] | None
    if column.kind == DATETIME:
        counts = Counter(v.isoformat(sep=" ") for v in column.values)
        parsed = {text: datetime.fromisoformat(text) for text in counts}
    else:
        counts = _counts(column)
        if not counts:
            return None
        probe = [value for value, _ in counts.most_common(PROBE)]
        if sum(1 for v in probe if _DATEISH.match(v)) < len(probe) / 2:
            return None
        parsed = _parse_dates(counts)
    total = sum(counts.values())
    dated = sum(counts[t] for t in parsed)
    if not dated or dated < 0.6 * total:
        return None
    now = datetime.now()
    ages = sorted(
        (now - when).days / 365.25 for text, when in parsed.items() for _ in range(counts[text])
    )
    in_range = sum(1 for a in ages if 0 <= a <= 120) / len(ages)
    share = in_range * dated / total
    if hinted:
        if share < 0.6:
            return None
    else:
        has_time = any(when.time() != datetime.min.time() for when in parsed.values())
        low, mid, high = (_quantile(ages, q) for q in (0.1, 0.5, 0.9))
        if has_time or in_range < 0.95 or share < 0.8 or mid < 15 or high - low < 15:
            return None
    matches = tuple(list(parsed)[:3])
    return Decision("date_of_birth", "both" if hinted else "content", share, matches)


def decide(column: Column, hint: NameHint | None) -> Decision | None:
    """What the column holds: content first, then a strong name hint on its own."""
    if not column.values:
        return None
    counts = _counts(column)
    found = birth_dates(column, hint) if column.kind != BOOL else None
    found = found or (content_decision(counts, hint) if counts else None)
    if found is not None:
        if hint is not None and hint.kind == found.kind:
            return Decision(found.kind, "both", found.share, found.matches)
        return found
    if hint is None or hint.strength != STRONG or hint.kind == "geo_coordinates":
        return None
    if column.kind == BOOL and hint.kind not in _PROTECTED_NAME_ONLY:
        return None
    texts = [str(v) for v in column.values]
    if _DIGESTS.match(texts[0]) and sum(1 for t in texts if _DIGESTS.match(t)) > 0.95 * len(texts):
        return None  # hashed already (e.g. by cairn.security.redact): pseudonymised
    share = 0.0
    if counts:
        total = sum(counts.values())
        for rule in RULES:
            if rule.kind == hint.kind:
                share = max(share, _share(counts, rule.check, total)[0])
    return Decision(hint.kind, "name", share, tuple(dict.fromkeys(texts[:20]))[:3])
