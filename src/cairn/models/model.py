"""The ``MLmodel`` file: what a model folder holds and how to load it.

A model is a folder with an ``MLmodel`` YAML file (the same keys MLflow writes, so folders
made by MLflow load here and the other way round), the flavor's files and environment files.
"""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from cairn.models.signature import Signature

__all__ = ["MLMODEL_FILE", "Model"]

MLMODEL_FILE = "MLmodel"

_KNOWN = {
    "artifact_path",
    "flavors",
    "model_uuid",
    "run_id",
    "utc_time_created",
    "signature",
    "saved_input_example_info",
    "cairn_version",
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass
class Model:
    """The contents of an ``MLmodel`` file.

    Unknown keys read from a file (``mlflow_version``, ``model_size_bytes``, ``model_id`` ...)
    are kept in :attr:`extra` and written back unchanged.
    """

    artifact_path: str | None = None
    run_id: str | None = None
    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    model_uuid: str = field(default_factory=lambda: uuid.uuid4().hex)
    utc_time_created: str = field(default_factory=_now)
    signature: Signature | None = None
    saved_input_example_info: dict[str, Any] | None = None
    cairn_version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def add_flavor(self, name: str, **conf: Any) -> Model:
        """Add (or replace) a flavor's configuration; returns ``self``."""
        if not name or not isinstance(name, str):
            raise InvalidInput(f"flavor name must be a non-empty string, got {name!r}")
        self.flavors[name] = dict(conf)
        return self

    def to_dict(self) -> dict[str, Any]:
        """The YAML mapping written to ``MLmodel``."""
        from cairn import __version__

        out: dict[str, Any] = {}
        if self.artifact_path is not None:
            out["artifact_path"] = self.artifact_path
        out["flavors"] = self.flavors
        out["model_uuid"] = self.model_uuid
        if self.run_id is not None:
            out["run_id"] = self.run_id
        if self.saved_input_example_info is not None:
            out["saved_input_example_info"] = self.saved_input_example_info
        if self.signature is not None:
            out["signature"] = self.signature.to_dict()
        out["utc_time_created"] = self.utc_time_created
        out["cairn_version"] = self.cairn_version or __version__
        out.update(self.extra)
        return out

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``MLmodel`` into ``folder`` (created if missing); returns the file's path."""
        import yaml

        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        target = path / MLMODEL_FILE
        with target.open("w", encoding="utf-8") as handle:
            yaml.safe_dump(self.to_dict(), handle, default_flow_style=False, sort_keys=False)
        return target

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        """Build from a parsed ``MLmodel`` mapping."""
        from cairn.models.signature import Signature

        if not isinstance(data, dict):
            raise InvalidInput("MLmodel must be a YAML mapping")
        flavors = data.get("flavors") or {}
        if not isinstance(flavors, dict):
            raise InvalidInput("MLmodel key 'flavors' must be a mapping")
        sig = data.get("signature")
        return cls(
            artifact_path=data.get("artifact_path"),
            run_id=data.get("run_id"),
            flavors={str(k): dict(v or {}) for k, v in flavors.items()},
            model_uuid=str(data.get("model_uuid") or uuid.uuid4().hex),
            utc_time_created=str(data.get("utc_time_created") or _now()),
            signature=Signature.from_dict(sig) if sig else None,
            saved_input_example_info=data.get("saved_input_example_info"),
            cairn_version=data.get("cairn_version"),
            extra={k: v for k, v in data.items() if k not in _KNOWN},
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Read a model folder's ``MLmodel`` (``path`` is the folder or the file itself)."""
        import yaml

        target = Path(path)
        if target.is_dir():
            target = target / MLMODEL_FILE
        if not target.is_file():
            raise NotFound(f"no MLmodel file at {target}: not a model folder")
        try:
            data = yaml.safe_load(target.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InvalidInput(f"MLmodel at {target} is not valid YAML: {exc}") from exc
        return cls.from_dict(data)

    @property
    def python_version(self) -> str:
        """The Python version the model was saved with (this one if the file does not say)."""
        conf = self.flavors.get("python_function", {})
        return str(conf.get("python_version") or "{}.{}.{}".format(*sys.version_info[:3]))

    def load_input_example(self, folder: str | os.PathLike[str]) -> Any:
        """The saved input example (a DataFrame, array or dict), or None if none was saved."""
        from cairn.models.input_example import read_input_example

        return read_input_example(Path(folder), self.saved_input_example_info)
