"""What a pipeline run reports: one :class:`StageOutcome` per stage, and the hooks through
which the runner tells a display (the CLI's live view) how it goes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# ran: executed now; cached: restored from the run cache; skipped: up to date;
# failed: its command failed (or was interrupted); blocked: not started because of a failure;
# would-run: what --dry-run says of a stale stage.
STATUSES = ("ran", "cached", "skipped", "failed", "blocked", "would-run")


@dataclass
class StageOutcome:
    """How one stage ended, and why it ran (or did not)."""

    name: str
    status: str
    reason: str
    run_id: str | None = None
    duration: float = 0.0
    attempts: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    log_dir: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "name": self.name, "status": self.status, "reason": self.reason,
            "run_id": self.run_id, "duration": round(self.duration, 3),
            "attempts": self.attempts, "metrics": self.metrics,
            "log_dir": str(self.log_dir) if self.log_dir else None,
        }  # fmt: skip


@dataclass
class PipelineOutcome:
    """Every stage's outcome in running order, and the pipeline run (None when untracked or
    when nothing needed to run)."""

    run_id: str | None
    stages: list[StageOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no stage failed or was blocked."""
        return all(stage.status not in ("failed", "blocked") for stage in self.stages)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"run_id": self.run_id, "ok": self.ok, "stages": [s.to_dict() for s in self.stages]}


class RunReporter:
    """Receives the progress of a run; this base class shows nothing."""

    def planned(self, stages: list[str]) -> None:
        """The stages the run considers, in order."""

    def started(self, name: str, reason: str, attempt: int) -> None:
        """A stage's attempt started."""

    def retrying(self, name: str, attempt: int, delay: float) -> None:
        """A stage's attempt failed; attempt number ``attempt`` starts in ``delay`` seconds."""

    def finished(self, outcome: StageOutcome) -> None:
        """A stage reached its final status."""

    def close(self) -> None:
        """The run is over."""
