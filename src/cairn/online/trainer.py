"""``OnlineTrainer``: keep a model learning from a stream of labelled batches.

Each batch is checked, scored by the live model before it learns from it (prequential
evaluation), passed through the guard when there is one (screen, then a canary on the candidate
model), learned from, and logged as metrics at ``step = batch index`` of one tracked run. Every
``checkpoint_every`` accepted batches (and when the trainer closes) the live model becomes a new
registered version and the alias moves to it; :meth:`OnlineTrainer.rollback` returns to any
checkpoint.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.entities import Metric, RunStatus
from cairn.errors import InvalidInput, InvalidState
from cairn.online import checkpoints, learners
from cairn.online.batches import MalformedBatch, make_batch, model_features
from cairn.online.guard_api import Batch, UpdateGuard, Verdict
from cairn.online.quarantine import reject
from cairn.online.scores import score

if TYPE_CHECKING:
    from cairn.online.sources import StreamItem
    from cairn.tracking.client import CairnClient

__all__ = ["OnlineTrainer", "RunSummary", "UpdateResult"]

MODEL_TAG = "cairn.online.model"


@dataclass(frozen=True)
class UpdateResult:
    """What happened to one batch: kept or rejected (with the verdict and quarantine id), the
    metrics logged for it and the version a checkpoint registered after it."""

    index: int
    accepted: bool
    rows: int
    metrics: dict[str, float]
    verdict: Verdict | None = None
    quarantine_id: str | None = None
    checkpoint_version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        verdict = None
        if self.verdict is not None:
            v = self.verdict
            verdict = {"accepted": v.accepted, "stage": v.stage, "reasons": list(v.reasons)}
        return {
            "index": self.index,
            "accepted": self.accepted,
            "rows": self.rows,
            "metrics": self.metrics,
            "verdict": verdict,
            "quarantine_id": self.quarantine_id,
            "checkpoint_version": self.checkpoint_version,
        }


@dataclass
class RunSummary:
    """The totals of one :meth:`OnlineTrainer.run`."""

    run_id: str | None
    batches: int = 0
    accepted: int = 0
    rejected: int = 0
    rows: int = 0
    checkpoints: list[int] = field(default_factory=list)
    live_version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return dict(self.__dict__)


class OnlineTrainer:
    """Update ``model`` (``partial_fit`` or River) batch by batch; see the module docstring.

    ``classes``: every label a classifier may see (needed by ``partial_fit`` on the first
    batch). ``features``: the column names, else the fitted model's, else the first batch's.
    ``holdout``: a trusted ``(X, y)`` scored after every accepted update. ``guard``: an
    :class:`~cairn.online.guard_api.UpdateGuard`; rejected batches go to ``quarantine_dir``
    (default ``.cairn/quarantine`` in the project).
    """

    def __init__(
        self,
        model: Any,
        *,
        model_name: str,
        classes: Sequence[Any] | None = None,
        features: Sequence[str] | None = None,
        guard: UpdateGuard | None = None,
        holdout: tuple[Any, Any] | None = None,
        checkpoint_every: int = 10,
        alias: str = "online",
        experiment: str = "online",
        tracking_uri: str | None = None,
        quarantine_dir: str | Path | None = None,
    ) -> None:
        from cairn.store import registry_validation as rv

        self.model_name = rv.model_name(model_name)
        self.alias = rv.alias_name(alias)
        if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int):
            raise InvalidInput(f"checkpoint_every must be a whole number, got {checkpoint_every!r}")
        if checkpoint_every < 1:
            raise InvalidInput(f"checkpoint_every must be at least 1, got {checkpoint_every}")
        if not isinstance(experiment, str) or not experiment.strip():
            raise InvalidInput(f"experiment must be a non-empty name, got {experiment!r}")
        if guard is not None and not isinstance(guard, UpdateGuard):
            raise InvalidInput(
                f"guard {type(guard).__name__} lacks screen/check_candidate/accepted "
                "(see cairn.online.guard_api.UpdateGuard)"
            )
        self.checkpoint_every = checkpoint_every
        self.experiment = experiment
        self.guard = guard
        self.classes = list(classes) if classes is not None else None
        self._model = learners.as_learner(model)
        self.classifier = self.classes is not None or learners.is_classifier(self._model)
        given = list(features) if features is not None else None
        self.features: list[str] | None = given or model_features(self._model)
        self._holdout = self._check_holdout(holdout) if holdout is not None else None
        self._tracking_uri = tracking_uri
        self._quarantine_dir = quarantine_dir
        self._client: CairnClient | None = None
        self.run_id: str | None = None
        self.live_version: int | None = None
        self.batches = self.accepted_batches = self.rejected_batches = self.rows = 0
        self._since_checkpoint = 0
        self._example: Any = None

    # -- state ----------------------------------------------------------------------------------

    @property
    def model(self) -> Any:
        """The live model (a River model comes back as cairn's adapter around it)."""
        return self._model

    @property
    def client(self) -> CairnClient:
        """The tracking client (the fluent API's store unless ``tracking_uri`` was given)."""
        if self._client is None:
            if self._tracking_uri is None:
                from cairn.tracking.fluent import _client

                self._client = _client()
            else:
                from cairn.tracking.client import CairnClient

                self._client = CairnClient(self._tracking_uri)
        return self._client

    def _check_holdout(self, holdout: Any) -> Batch:
        if not isinstance(holdout, (tuple, list)) or len(holdout) != 2:
            raise InvalidInput("holdout must be a pair (X, y) of trusted labelled rows")
        try:
            batch = make_batch(*holdout, features=self.features, classes=self.classes, index=-1)
        except MalformedBatch as exc:
            raise InvalidInput(f"holdout: {exc.message}") from exc
        if self.features is None:
            self.features = list(batch.X.columns)
        return batch

    def _ensure_run(self) -> str:
        if self.run_id is None:
            client = self.client
            found = client.find_experiment_by_name(self.experiment)
            exp_id = found.experiment_id if found else client.create_experiment(self.experiment)
            tags = {MODEL_TAG: self.model_name, "cairn.online.alias": self.alias}
            run = client.create_run(str(exp_id), tags=tags, run_name=f"online-{self.model_name}")
            self.run_id = run.info.run_id
            params = {
                "online.model_class": type(getattr(self._model, "river_model", self._model)),
                "online.checkpoint_every": self.checkpoint_every,
                "online.guard": type(self.guard).__name__ if self.guard else "none",
            }
            for key, value in params.items():
                name = value.__name__ if isinstance(value, type) else value
                client.log_param(self.run_id, key, name)
        return self.run_id

    def _log(self, index: int, metrics: dict[str, float]) -> None:
        now = int(time.time() * 1000)
        points = [Metric(key, float(value), now, index) for key, value in metrics.items()]
        self.client.log_batch(self._ensure_run(), metrics=points)

    # -- one batch ------------------------------------------------------------------------------

    def update(self, X: Any, y: Any, source: str | None = None) -> UpdateResult:
        """Learn from one batch (unless the guard rejects it); MalformedBatch (InvalidInput)
        when the batch cannot be learned from, with the model and store unchanged."""
        return self._update(X, y, source, strict=True)

    def _update(self, X: Any, y: Any, source: str | None, *, strict: bool) -> UpdateResult:
        index = self.batches
        try:
            batch = make_batch(
                X, y, features=self.features, classes=self.classes, index=index, source=source
            )
        except MalformedBatch as exc:
            if strict:
                raise
            return self._reject_malformed(X, y, source, index, exc)
        fitted = learners.is_fitted(self._model)
        metrics: dict[str, float] = {"rows": float(len(batch.X))}
        if fitted:
            try:
                metrics.update(self._score(self._model, batch.X, batch.y))
            except (ValueError, TypeError) as exc:
                error = MalformedBatch(f"the model cannot score batch {index}: {exc}")
                if strict:
                    raise error from exc
                return self._reject_malformed(X, y, source, index, error)
        verdict = None
        if self.guard is not None:
            verdict = self.guard.screen(batch, self._model)
            if not verdict.accepted:
                return self._rejected(batch, verdict, metrics)
        candidate = copy.deepcopy(self._model) if self.guard is not None or not strict else None
        target = candidate if candidate is not None else self._model
        try:
            learners.learn(target, batch.X, batch.y, self.classes)
        except (ValueError, TypeError) as exc:
            error = MalformedBatch(f"the model cannot learn from batch {index}: {exc}")
            if strict:
                raise error from exc
            return self._reject_malformed(X, y, source, index, error)
        if self.guard is not None and candidate is not None:
            verdict = self.guard.check_candidate(batch, self._model, candidate)
            if not verdict.accepted:
                return self._rejected(batch, verdict, metrics)
        if candidate is not None:
            self._model = candidate
        if self.guard is not None:
            self.guard.accepted(batch)
        return self._accepted(batch, verdict, metrics)

    def _score(self, model: Any, X: Any, y: Any, prefix: str = "") -> dict[str, float]:
        return score(model, X, y, classifier=self.classifier, classes=self.classes, prefix=prefix)

    def _accepted(
        self, batch: Batch, verdict: Verdict | None, metrics: dict[str, float]
    ) -> UpdateResult:
        if self.features is None:
            self.features = list(batch.X.columns)
        self.batches += 1
        self.accepted_batches += 1
        self.rows += len(batch.X)
        self._since_checkpoint += 1
        self._example = batch.X.head(5)
        if self._holdout is not None:
            metrics.update(self._score(self._model, self._holdout.X, self._holdout.y, "holdout_"))
        metrics.update(accepted=self.accepted_batches, rejected=self.rejected_batches)
        self._log(batch.index, metrics)
        version = None
        if self._since_checkpoint >= self.checkpoint_every:
            version = self.checkpoint()
        return UpdateResult(batch.index, True, len(batch.X), metrics, verdict, None, version)

    def _rejected(self, batch: Batch, verdict: Verdict, metrics: dict[str, float]) -> UpdateResult:
        self.batches += 1
        self.rejected_batches += 1
        run_id = self._ensure_run()
        actions = getattr(self.guard, "alert_actions", None)
        quarantine_id = reject(
            self.client.store,
            self._quarantine_root(),
            batch,
            verdict,
            model_name=self.model_name,
            run_id=run_id,
            alert_actions=actions,
        )
        metrics.update(accepted=self.accepted_batches, rejected=self.rejected_batches)
        self._log(batch.index, metrics)
        return UpdateResult(batch.index, False, len(batch.X), metrics, verdict, quarantine_id)

    def _reject_malformed(
        self, X: Any, y: Any, source: str | None, index: int, error: MalformedBatch
    ) -> UpdateResult:
        import numpy as np
        import pandas as pd

        try:
            frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        except (ValueError, TypeError):
            frame = pd.DataFrame()
        labels = np.asarray([] if y is None else y, dtype=object).reshape(-1)
        batch = Batch(frame, labels, source, index, int(time.time() * 1000))
        verdict = Verdict(False, "screen", ["malformed", error.message], {})
        return self._rejected(batch, verdict, {"rows": float(len(frame))})

    def _quarantine_root(self) -> Path:
        if self._quarantine_dir is not None:
            return Path(self._quarantine_dir)
        return self.client.settings.project_root / ".cairn" / "quarantine"

    # -- checkpoints ----------------------------------------------------------------------------

    def checkpoint(self) -> int:
        """Register the live model as a new version now (the alias moves to it); returns the
        version. Without accepted batches since the last checkpoint, the live version."""
        if self._since_checkpoint == 0 and self.live_version is not None:
            return self.live_version
        if self._example is None:
            raise InvalidState(
                "the model has not learned from any batch yet: nothing to checkpoint"
            )
        run_id = self._ensure_run()
        tags = {
            checkpoints.TAG_BATCHES: str(self.accepted_batches),
            checkpoints.TAG_ROWS: str(self.rows),
            checkpoints.TAG_RUN_ID: run_id,
        }
        version = checkpoints.save_checkpoint(
            self.client,
            run_id,
            self._model,
            artifact_path=f"online/batch-{self.batches - 1:06d}",
            example=self._example,
            model_name=self.model_name,
            alias=self.alias,
            tags=tags,
        )
        self.live_version = int(version.version)
        self._since_checkpoint = 0
        self._trust_guard()
        self._log(self.batches - 1, {"checkpoint_version": self.live_version})
        return self.live_version

    def rollback(self, version: int | str) -> Any:
        """Make checkpoint ``version`` of the model name the live model and move the alias back
        to it (audited by the registry); returns the model. Updates continue from it."""
        loaded, found = checkpoints.rollback_to(
            self.client, self.model_name, version, alias=self.alias
        )
        model = learners.as_learner(loaded)
        number = int(found.version)
        self._model = model
        self.features = model_features(model) or self.features
        self.live_version = number
        self._since_checkpoint = 0
        if self.run_id is not None:
            self.client.set_tag(self.run_id, "cairn.online.rolled_back_to", str(number))
        self.accepted_batches = int(found.tags.get(checkpoints.TAG_BATCHES, self.accepted_batches))
        self.rows = int(found.tags.get(checkpoints.TAG_ROWS, self.rows))
        self._trust_guard()
        return model

    def _trust_guard(self) -> None:
        """Tell a guard that can renew its trusted model (``checkpoint(model)``, as
        :class:`~cairn.online.guard.PoisoningGuard` does) about the live model."""
        renew = getattr(self.guard, "checkpoint", None)
        if callable(renew):
            renew(self._model)

    # -- streams --------------------------------------------------------------------------------

    def run(self, source: Any, *, max_batches: int | None = None) -> RunSummary:
        """Consume ``source`` (an iterable of ``(X, y)`` or ``(X, y, source_id)``, or a
        :class:`~cairn.online.sources.FolderSource`) until it ends or ``max_batches`` were
        read; checkpoint what is pending and end the run. Malformed batches from an iterable
        raise; from a folder they are rejected as ``malformed`` and the stream goes on."""
        from cairn.online.sources import stream_items

        if max_batches is not None and max_batches < 1:
            raise InvalidInput(f"max_batches must be at least 1, got {max_batches}")
        summary_start = (self.batches, self.accepted_batches, self.rejected_batches, self.rows)
        checkpoints_made: list[int] = []
        try:
            for count, item in enumerate(stream_items(source), start=1):
                result = self._consume(item)
                if result.checkpoint_version is not None:
                    checkpoints_made.append(result.checkpoint_version)
                if max_batches is not None and count >= max_batches:
                    break
            before = self.live_version
            if self._since_checkpoint and self._example is not None:
                version = self.checkpoint()
                if version != before:
                    checkpoints_made.append(version)
        except BaseException:
            self.close(status=RunStatus.FAILED.value)
            raise
        run_id = self.run_id
        self.close()
        return RunSummary(
            run_id=run_id,
            batches=self.batches - summary_start[0],
            accepted=self.accepted_batches - summary_start[1],
            rejected=self.rejected_batches - summary_start[2],
            rows=self.rows - summary_start[3],
            checkpoints=checkpoints_made,
            live_version=self.live_version,
        )

    def _consume(self, item: StreamItem) -> UpdateResult:
        result = self._update(item.X, item.y, item.source, strict=item.strict)
        item.done(result)
        return result

    def close(self, status: str = RunStatus.FINISHED.value) -> None:
        """Checkpoint pending updates (unless failing) and end the tracked run; the next
        update starts a new run."""
        if (
            status == RunStatus.FINISHED.value
            and self._since_checkpoint
            and self._example is not None
        ):
            self.checkpoint()
        if self.run_id is not None:
            self.client.set_terminated(self.run_id, status)
            self.run_id = None

    def __enter__(self) -> OnlineTrainer:
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self.close(status=RunStatus.FINISHED.value if kind is None else RunStatus.FAILED.value)
