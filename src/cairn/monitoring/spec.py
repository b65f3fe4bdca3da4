"""What a monitor watches and checks: :class:`MonitorSpec` and its parts.

A spec is plain data. ``parse_spec`` (in :mod:`cairn.monitoring.spec_parse`) builds one from
a mapping (Python or ``monitor.yaml``) and refuses bad input with the field's name;
``MonitorSpec.to_dict`` gives the JSON the store keeps.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "DRIFT_METHODS",
    "DRIFT_THRESHOLDS",
    "ActionSpec",
    "ColumnSpec",
    "DriftSpec",
    "MonitorSpec",
    "ReferenceSpec",
    "RuleSpec",
    "WindowSpec",
]

#: The drift methods and their default thresholds: a p-value for the tests (ks, chisquare,
#: z: drift when p < threshold), a distance for the others (drift when distance > threshold).
DRIFT_THRESHOLDS = {
    "ks": 0.05,
    "chisquare": 0.05,
    "z": 0.05,
    "wasserstein": 0.1,
    "jensenshannon": 0.1,
    "psi": 0.1,
}
DRIFT_METHODS = ("auto", *DRIFT_THRESHOLDS)

Kind = Literal["numeric", "categorical"]
Task = Literal["classification", "regression"]


@dataclass(frozen=True)
class ColumnSpec:
    """A monitored input column: numeric (signature types double, float, long, integer) or
    categorical (string, boolean, or declared so)."""

    name: str
    kind: Kind


@dataclass(frozen=True)
class WindowSpec:
    """Windows of ``size`` records (``kind="count"``), or of ``size`` milliseconds aligned to
    the epoch (``kind="time"``; written ``1h``, ``1d``, ``15m`` in YAML)."""

    kind: Literal["count", "time"] = "count"
    size: int = 1000


@dataclass(frozen=True)
class DriftSpec:
    """Drift method and threshold: ``method="auto"`` picks per column as Evidently's defaults
    do (see :mod:`cairn.monitoring.drift`); ``columns`` overrides them per column
    (``{"age": {"method": "psi", "threshold": 0.2}}``)."""

    method: str = "auto"
    threshold: float | None = None
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class ReferenceSpec:
    """Where the reference data comes from: a file (CSV/Parquet path or artifact URI), a
    dataset version logged in tracking (``dataset`` name with an optional ``digest``), or,
    when all are None, the dataset the monitored model version was trained on (the inputs of
    its source run)."""

    path: str | None = None
    dataset: str | None = None
    digest: str | None = None


@dataclass(frozen=True)
class ActionSpec:
    """What a fired rule does: POST a JSON body to a ``webhook`` URL, run a shell
    ``command`` (with ``CAIRN_MONITOR``, ``CAIRN_RULE``, ``CAIRN_WINDOW``, ``CAIRN_VALUE`` in
    its environment), or start a ``pipeline`` (target: a project folder or a schedule name)
    through the scheduler's path; ``options`` e.g. ``{"stages": ["train"], "timeout": 60}``."""

    kind: Literal["webhook", "command", "pipeline"]
    target: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleSpec:
    """A decay/alert rule, e.g. ``f1 < 0.8 for 2 windows``, ``f1 drops 5% below reference``,
    ``drift_share > 0.5``, ``missing_share(age) > 0.1`` (grammar in
    :mod:`cairn.monitoring.rules`), and the actions to run when it fires."""

    name: str
    expr: str
    actions: tuple[ActionSpec, ...] = ()


@dataclass(frozen=True)
class MonitorSpec:
    """A monitor of registered model ``model`` (``model_ref``: an alias such as "champion",
    a version number as text, or None for whatever version logged the predictions)."""

    name: str
    model: str
    task: Task
    features: tuple[ColumnSpec, ...]
    model_ref: str | None = None
    prediction: str = "prediction"
    target: str = "target"
    #: class label -> column holding that class's probability (for ROC AUC and log loss)
    probabilities: dict[str, str] = field(default_factory=dict)
    reference: ReferenceSpec = field(default_factory=ReferenceSpec)
    window: WindowSpec = field(default_factory=WindowSpec)
    segments: tuple[str, ...] = ()
    drift: DriftSpec = field(default_factory=DriftSpec)
    rules: tuple[RuleSpec, ...] = ()
    description: str | None = None

    @property
    def feature_names(self) -> list[str]:
        return [column.name for column in self.features]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the store keeps it; ``parse_spec`` reads it back)."""
        return asdict(self)
