"""The comparison of a run with its reproduction: metrics, datasets read, seeds and commit.

A metric is within tolerance when ``|original - reproduced| <= atol + rtol * |original|``
(NaN equals NaN). A dataset read is matched by name and path (what a pipeline stage wrote
is left out); different digests mean the data differ. Seeds recorded on both runs must be
equal; one recorded on one side only is a note.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from cairn.entities import DatasetInput, Run

__all__ = ["DatasetCheck", "MetricCheck", "ReproductionReport", "compare_runs"]

SEED_PREFIX = "cairn.seed."
COMMIT_TAG = "cairn.source.git.commit"
CONTEXT_TAG = "mlflow.data.context"


@dataclass(frozen=True)
class MetricCheck:
    """One metric's latest value on both runs (None: not logged there)."""

    key: str
    original: float | None
    reproduced: float | None
    within_tolerance: bool

    @property
    def difference(self) -> float | None:
        """``reproduced - original``, or None when either is missing."""
        if self.original is None or self.reproduced is None:
            return None
        return self.reproduced - self.original

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "key": self.key,
            "original": self.original,
            "reproduced": self.reproduced,
            "difference": self.difference,
            "within_tolerance": self.within_tolerance,
        }


@dataclass(frozen=True)
class DatasetCheck:
    """A dataset read by either run: its digest on each side (None: not read there)."""

    name: str
    path: str
    original: str | None
    reproduced: str | None

    @property
    def same(self) -> bool:
        """Whether both runs read the same version."""
        return self.original is not None and self.original == self.reproduced

    @property
    def message(self) -> str:
        """'same data', 'data differ: original abc… now def…', or which side lacks it."""
        if self.same:
            return "same data"
        if self.original is None:
            return "read only by the reproduction"
        if self.reproduced is None:
            return "not read by the reproduction"
        return f"data differ: original {self.original[:12]}… now {self.reproduced[:12]}…"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "name": self.name,
            "path": self.path,
            "original_digest": self.original,
            "reproduced_digest": self.reproduced,
            "same": self.same,
            "message": self.message,
        }


@dataclass
class ReproductionReport:
    """Everything ``cairn reproduce`` found; ``passed`` decides the exit status."""

    run_id: str
    reproduction_run_id: str | None
    kind: str  # "project" | "script" | "stage"
    commit: str
    dirty: bool
    command: str
    exit_code: int
    atol: float
    rtol: float
    metrics: list[MetricCheck] = field(default_factory=list)
    datasets: list[DatasetCheck] = field(default_factory=list)
    seeds: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    reproduced_commit: str | None = None
    data_restored: dict[str, str] = field(default_factory=dict)
    worktree: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def seeds_differ(self) -> list[str]:
        """Seed names recorded on both runs with different values."""
        return [k for k, (a, b) in self.seeds.items() if a is not None and b is not None and a != b]

    @property
    def problems(self) -> list[str]:
        """One line per difference beyond tolerance (empty: reproduced)."""
        found = []
        if self.exit_code != 0:
            found.append(f"the reproduction's command failed with exit code {self.exit_code}")
        for m in self.metrics:
            if not m.within_tolerance:
                what = "differs" if m.difference is not None else "is missing on one side"
                found.append(f"metric {m.key} {what}")
        found += [f"dataset {d.name} ({d.path}): {d.message}" for d in self.datasets if not d.same]
        found += [f"seed {k} differs" for k in self.seeds_differ]
        if self.reproduced_commit and self.reproduced_commit != self.commit:
            found.append(f"the reproduction ran at commit {self.reproduced_commit}")
        return found

    @property
    def passed(self) -> bool:
        """Whether everything matched within tolerance."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "run_id": self.run_id,
            "reproduction_run_id": self.reproduction_run_id,
            "kind": self.kind,
            "commit": self.commit,
            "reproduced_commit": self.reproduced_commit,
            "dirty": self.dirty,
            "command": self.command,
            "exit_code": self.exit_code,
            "tolerance": {"atol": self.atol, "rtol": self.rtol},
            "passed": self.passed,
            "metrics": [m.to_dict() for m in self.metrics],
            "datasets": [d.to_dict() for d in self.datasets],
            "seeds": [
                {"name": k, "original": a, "reproduced": b, "same": a == b}
                for k, (a, b) in self.seeds.items()
            ],
            "data_restored": dict(self.data_restored),
            "worktree": self.worktree,
            "problems": self.problems,
            "notes": list(self.notes),
        }

    def _repr_html_(self) -> str:
        from cairn.reprs import reproduction_html

        return reproduction_html(self)


def within(original: float | None, reproduced: float | None, atol: float, rtol: float) -> bool:
    """Whether two metric values agree: ``|a - b| <= atol + rtol * |a|`` (NaN equals NaN)."""
    if original is None or reproduced is None:
        return False
    if math.isnan(original) or math.isnan(reproduced):
        return math.isnan(original) and math.isnan(reproduced)
    if math.isinf(original) or math.isinf(reproduced):
        return original == reproduced
    return abs(original - reproduced) <= atol + rtol * abs(original)


def compare_runs(
    report: ReproductionReport,
    original: Run,
    reproduced: Run,
    original_inputs: list[DatasetInput],
    reproduced_inputs: list[DatasetInput],
) -> None:
    """Fill ``report``'s metrics, datasets, seeds and commit from the two runs."""
    a, b = original.data.metrics, reproduced.data.metrics
    report.metrics = [
        MetricCheck(key, a.get(key), b.get(key), within(a.get(key), b.get(key), report.atol,
                                                         report.rtol))
        for key in sorted({*a, *b})
        if not key.startswith("system/")
    ]  # fmt: skip
    mine = _by_name(original_inputs)
    theirs = _by_name(reproduced_inputs)
    report.datasets = [
        DatasetCheck(key[0], key[1], mine.get(key), theirs.get(key))
        for key in sorted({*mine, *theirs})
    ]
    ta, tb = original.data.tags, reproduced.data.tags
    names = sorted(k for k in {*ta, *tb} if k.startswith(SEED_PREFIX))
    report.seeds = {k.removeprefix(SEED_PREFIX): (ta.get(k), tb.get(k)) for k in names}
    for name, (x, y) in report.seeds.items():
        if (x is None) != (y is None):
            side = "the reproduction" if y is None else "the original run"
            report.notes.append(f"seed {name} was not recorded on {side}")
    report.reproduced_commit = tb.get(COMMIT_TAG)


def _by_name(inputs: list[DatasetInput]) -> dict[tuple[str, str], str]:
    """(name, path) -> digest; the path read from a cairn source, else the source itself."""
    found = {}
    for item in inputs:
        if item.tags.get(CONTEXT_TAG) == "output":
            continue  # what a pipeline stage wrote, not data it read
        path = item.source
        try:
            parsed = json.loads(item.source)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("path"), str):
            path = parsed["path"]
        found[(item.name, path)] = item.digest
    return found
