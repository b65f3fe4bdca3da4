"""Model signatures: the columns or tensors a model takes and returns, stored in ``MLmodel``.

The JSON layout is MLflow's (``inputs``/``outputs`` are JSON strings holding a list of column
or tensor specs; ``params`` a list of parameter specs), so signatures round-trip between the two.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cairn.errors import InvalidInput

__all__ = [
    "COLUMN_TYPES",
    "ColSpec",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "Signature",
    "TensorSpec",
    "enforce",
    "infer_signature",
]

#: MLflow's column types and the numpy dtype each stands for.
COLUMN_TYPES: dict[str, str] = {
    "boolean": "bool",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "string": "object",
    "binary": "object",
    "datetime": "datetime64[ns]",
}


@dataclass(frozen=True)
class ColSpec:
    """One input or output column: a type from :data:`COLUMN_TYPES` and an optional name."""

    type: str
    name: str | None = None
    required: bool = True

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise InvalidInput(f"column type {self.type!r} is not one of {', '.join(COLUMN_TYPES)}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.name is not None:
            out["name"] = self.name
        out["required"] = self.required
        return out


@dataclass(frozen=True)
class TensorSpec:
    """A tensor: a numpy dtype and a shape where ``-1`` stands for any size."""

    dtype: str
    shape: tuple[int, ...]
    name: str | None = None

    def __post_init__(self) -> None:
        import numpy as np

        try:
            object.__setattr__(self, "dtype", str(np.dtype(self.dtype)))
        except TypeError as exc:
            raise InvalidInput(f"tensor dtype {self.dtype!r} is not a numpy dtype") from exc
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "tensor",
            "tensor-spec": {"dtype": self.dtype, "shape": list(self.shape)},
        }
        if self.name is not None:
            out["name"] = self.name
        return out


@dataclass(frozen=True)
class Schema:
    """A list of column specs or of tensor specs (never mixed)."""

    inputs: list[ColSpec | TensorSpec]

    def __post_init__(self) -> None:
        kinds = {type(spec) for spec in self.inputs}
        if len(kinds) > 1:
            raise InvalidInput("a schema mixes column and tensor specs")

    @property
    def is_tensor(self) -> bool:
        return bool(self.inputs) and isinstance(self.inputs[0], TensorSpec)

    @property
    def names(self) -> list[str | None]:
        return [spec.name for spec in self.inputs]

    def to_json(self) -> str:
        return json.dumps([spec.to_dict() for spec in self.inputs])

    @classmethod
    def from_json(cls, text: str | list[dict[str, Any]]) -> Schema:
        items = json.loads(text) if isinstance(text, str) else text
        if not isinstance(items, list):
            raise InvalidInput("a signature schema must be a JSON list of specs")
        specs: list[ColSpec | TensorSpec] = []
        for item in items:
            if not isinstance(item, dict) or "type" not in item:
                raise InvalidInput(f"signature spec {item!r} has no 'type'")
            if item["type"] == "tensor":
                tensor = item.get("tensor-spec") or {}
                specs.append(TensorSpec(tensor["dtype"], tuple(tensor["shape"]), item.get("name")))
            else:
                specs.append(ColSpec(item["type"], item.get("name"), item.get("required", True)))
        return cls(specs)


@dataclass(frozen=True)
class ParamSpec:
    """An inference parameter: name, column type, default and shape (None for a scalar)."""

    name: str
    type: str
    default: Any
    shape: tuple[int, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        shape = list(self.shape) if self.shape is not None else None
        return {"name": self.name, "type": self.type, "default": self.default, "shape": shape}


@dataclass(frozen=True)
class ParamSchema:
    """The parameters ``predict`` accepts."""

    params: list[ParamSpec] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps([p.to_dict() for p in self.params])

    @classmethod
    def from_json(cls, text: str | list[dict[str, Any]]) -> ParamSchema:
        items = json.loads(text) if isinstance(text, str) else text
        return cls(
            [
                ParamSpec(
                    p["name"],
                    p["type"],
                    p.get("default"),
                    tuple(p["shape"]) if p.get("shape") is not None else None,
                )
                for p in items
            ]
        )


@dataclass(frozen=True)
class Signature:
    """What a model takes (``inputs``), returns (``outputs``) and accepts as ``params``."""

    inputs: Schema
    outputs: Schema | None = None
    params: ParamSchema | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``signature`` mapping of ``MLmodel`` (schemas as JSON strings, as MLflow)."""
        out: dict[str, Any] = {
            "inputs": self.inputs.to_json(),
            "outputs": self.outputs.to_json() if self.outputs is not None else None,
        }
        if self.params is not None:
            out["params"] = self.params.to_json()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signature:
        if not isinstance(data, dict) or not data.get("inputs"):
            raise InvalidInput("a signature needs an 'inputs' schema")
        outputs = data.get("outputs")
        params = data.get("params")
        return cls(
            Schema.from_json(data["inputs"]),
            Schema.from_json(outputs) if outputs else None,
            ParamSchema.from_json(params) if params else None,
        )


def infer_signature(
    model_input: Any, model_output: Any = None, params: dict[str, Any] | None = None
) -> Signature:
    """Infer a signature from an input example (DataFrame, numpy array, dict of lists or
    list of dicts), an optional output example and optional inference parameters."""
    from cairn.models.infer import infer_param_schema, infer_schema

    return Signature(
        infer_schema(model_input),
        infer_schema(model_output) if model_output is not None else None,
        infer_param_schema(params) if params else None,
    )


def enforce(signature: Signature | None, data: Any) -> Any:
    """Check ``data`` against the signature's inputs and return it converted (a DataFrame for
    column schemas, a numpy array or dict of arrays for tensor schemas).

    Raises :class:`~cairn.errors.InvalidInput` naming the first column that is missing, extra
    or of a type that cannot be converted safely.
    """
    from cairn.models.enforce import enforce_schema

    if signature is None:
        return data
    return enforce_schema(signature.inputs, data)
