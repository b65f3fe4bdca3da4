"""How ``cairn pipeline run`` shows a run: a live table (stage, status, duration, reason) on
a terminal, one plain line per event otherwise; the tail of a failed stage's stderr."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from cairn.cli import output
from cairn.pipelines.outcome import PipelineOutcome, RunReporter, StageOutcome

STATUS_STYLES = {
    "pending": "dim", "running": "bold blue", "retrying": "yellow", "ran": "green",
    "cached": "cyan", "skipped": "dim", "failed": "bold red", "blocked": "yellow",
    "would-run": "bold",
}  # fmt: skip
TAIL_LINES = 15


class LineReporter(RunReporter):
    """One line per stage event, for logs and pipes."""

    def started(self, name: str, reason: str, attempt: int) -> None:
        """``running NAME (reason)``."""
        again = f" (attempt {attempt})" if attempt > 1 else f" ({reason})"
        output.say(f"running {name}{again}")

    def retrying(self, name: str, attempt: int, delay: float) -> None:
        """``retrying NAME in N s``."""
        output.say(f"retrying {name} in {delay:g} s (attempt {attempt})")

    def finished(self, outcome: StageOutcome) -> None:
        """``STATUS NAME  duration  reason`` and, for a failure, the tail of its stderr."""
        took = f"  {outcome.duration:.2f} s" if outcome.status in ("ran", "failed") else ""
        reason = "" if outcome.status == "ran" else f"  {outcome.reason}"
        output.say(f"{outcome.status:<8} {outcome.name}{took}{reason}")
        if outcome.status == "failed":
            show_tail(outcome)


class LiveReporter(RunReporter):
    """A table redrawn in place while the run goes, on a terminal."""

    def __init__(self) -> None:
        from rich.live import Live

        self.rows: dict[str, dict[str, Any]] = {}
        self.live = Live(get_renderable=self._render, console=output.console(),
                         refresh_per_second=8, transient=False)  # fmt: skip
        self.failed: list[StageOutcome] = []

    def planned(self, stages: list[str]) -> None:
        """Every stage starts pending."""
        for name in stages:
            self.rows[name] = {"status": "pending", "reason": "", "start": None, "took": None}
        self.live.start()

    def started(self, name: str, reason: str, attempt: int) -> None:
        """Mark ``name`` running."""
        row = self.rows[name]
        row.update(status="running", reason=reason if attempt == 1 else f"attempt {attempt}")
        row["start"] = row["start"] or time.monotonic()

    def retrying(self, name: str, attempt: int, delay: float) -> None:
        """Mark ``name`` waiting to retry."""
        self.rows[name].update(status="retrying", reason=f"attempt {attempt} in {delay:g} s")

    def finished(self, outcome: StageOutcome) -> None:
        """Show the final status of a stage."""
        row = self.rows.setdefault(outcome.name, {"start": None})
        row.update(status=outcome.status, reason=outcome.reason, took=outcome.duration)
        if outcome.status == "failed":
            self.failed.append(outcome)

    def close(self) -> None:
        """Stop redrawing; show the failures' stderr."""
        if self.live.is_started:
            self.live.stop()
        for outcome in self.failed:
            show_tail(outcome)

    def _render(self) -> Any:
        table = output.table("stage", "status", "time", "reason")
        now = time.monotonic()
        for name, row in self.rows.items():
            took = row.get("took")
            if took is None and row.get("start") is not None:
                took = now - row["start"]
            style = STATUS_STYLES.get(row["status"], "")
            table.add_row(
                output.esc(name), f"[{style}]{row['status']}[/]" if style else row["status"],
                f"{took:.1f} s" if took else "", output.esc(row.get("reason") or ""),
            )  # fmt: skip
        return table


def show_tail(outcome: StageOutcome) -> None:
    """The last lines of a failed stage's stderr (else stdout), on stderr."""
    if outcome.log_dir is None:
        return
    for stream in ("stderr.txt", "stdout.txt"):
        path = Path(outcome.log_dir) / stream
        try:
            lines = path.read_text("utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            continue
        if lines:
            click.echo(f"--- {outcome.name}: last lines of {path} ---", err=True)
            click.echo("\n".join(lines[-TAIL_LINES:]), err=True)
            return


def summary(outcome: PipelineOutcome) -> str:
    """``3 stages: 1 ran, 2 skipped`` (and the pipeline run id)."""
    counts: dict[str, int] = {}
    for stage in outcome.stages:
        counts[stage.status] = counts.get(stage.status, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in counts.items())
    total = len(outcome.stages)
    text = f"{total} stage{'s' * (total != 1)}: {parts or 'none'}"
    return text + (f" (run {outcome.run_id})" if outcome.run_id else "")
