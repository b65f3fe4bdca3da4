"""A scan's findings and report, and the scan of plain-Python columns (no pandas needed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cairn.security import names
from cairn.security.columns import FLOAT, INT, TEXT, Column
from cairn.security.detect import Decision, decide
from cairn.security.kinds import CATEGORY
from cairn.security.mask import mask

_LAT = {"lat", "latitude"}
_LON = {"lon", "lng", "long", "longitude"}


@dataclass(frozen=True)
class Finding:
    """One sensitive column: what it holds, why we think so, and masked examples."""

    column: str
    kind: str
    category: str
    evidence: str  # "name", "content" or "both"
    share: float  # share of the non-null sampled values that match the kind
    examples: tuple[str, ...]  # masked, never the raw values
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        found: dict[str, Any] = {
            "column": self.column, "kind": self.kind, "category": self.category,
            "evidence": self.evidence, "share": round(self.share, 4),
            "examples": list(self.examples),
        }  # fmt: skip
        if self.file is not None:
            found["file"] = self.file
        return found


@dataclass(frozen=True)
class ScanReport:
    """The sensitive columns of one table (or of each table of a folder)."""

    findings: tuple[Finding, ...]
    rows: int  # rows read
    sampled: int  # rows whose values were checked (per table, at most ``sample``)
    scanned_columns: int
    files: tuple[str, ...] = field(default=())

    @property
    def columns(self) -> list[str]:
        """The flagged columns' names, in table order."""
        return [f.column for f in self.findings]

    @property
    def sensitive(self) -> bool:
        """Whether any column was flagged."""
        return bool(self.findings)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "sensitive": self.sensitive, "rows": self.rows, "sampled": self.sampled,
            "scanned_columns": self.scanned_columns, "files": list(self.files),
            "findings": [f.to_dict() for f in self.findings],
        }  # fmt: skip

    def summary(self) -> str:
        """``email (email), dob (date_of_birth)``: the flagged columns and their kinds."""
        return ", ".join(
            f"{f.file + ':' if f.file else ''}{f.column} ({f.kind})" for f in self.findings
        )


def _numbers(column: Column) -> list[float] | None:
    """The values as numbers (numeric columns, or text that is all numbers), else ``None``."""
    if column.kind in (INT, FLOAT):
        return [float(v) for v in column.values]
    if column.kind != TEXT:
        return None
    try:
        return [float(v) for v in column.values]
    except (TypeError, ValueError):
        return None


def _geo_columns(columns: list[Column]) -> set[str]:
    """Latitude and longitude columns, flagged only as a pair with values in range."""
    lats, lons = [], []
    for column in columns:
        words = set(names.tokens(column.name).split())
        if not words & (_LAT | _LON) or not column.values:
            continue
        numbers = _numbers(column)
        if numbers is None:
            continue
        if words & _LAT and all(abs(n) <= 90 for n in numbers):
            lats.append(column.name)
        elif words & _LON and all(abs(n) <= 180 for n in numbers):
            lons.append(column.name)
    return set(lats + lons) if lats and lons else set()


def scan_columns(columns: list[Column], *, rows: int, file: str | None = None) -> ScanReport:
    """Flag the sensitive columns among ``columns`` (each holding its sampled values)."""
    geo = _geo_columns(columns)
    findings = []
    for column in columns:
        found: Decision | None
        if column.name in geo:
            found = Decision("geo_coordinates", "both", 1.0, tuple(map(str, column.values[:3])))
        else:
            found = decide(column, names.hint(column.name))
            if found is None:
                continue
        examples = tuple(dict.fromkeys(mask(found.kind, m) for m in found.matches))
        findings.append(
            Finding(
                column.name,
                found.kind,
                CATEGORY[found.kind],
                found.evidence,
                found.share,
                examples,
                file,
            )  # fmt: skip
        )
    sampled = max((len(c.values) for c in columns), default=0)
    return ScanReport(tuple(findings), rows, min(rows, sampled), len(columns))
