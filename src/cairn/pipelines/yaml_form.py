"""``cairn.yaml``: the stages of a pipeline written as YAML, like ``dvc.yaml``.

::

    stages:
      prepare:
        cmd: python prepare.py
        deps: [data/raw.csv, prepare.py]
        params: [prepare.split]
        outs: [data/prepared]
      train:
        foreach: [small, large]          # or a mapping; or matrix: {model: [a, b], lr: [1, 2]}
        cmd: python train.py --size ${item}
        deps: [data/prepared]
        outs: [models/${item}.pkl]

Each stage is checked field by field; an error names the file, the stage and the field.
``foreach`` and ``matrix`` stages expand into one stage per item (``train@small``) with
``${item}``, ``${key}`` and ``${item.field}`` replaced in every string; ``${params.train.lr}``
is replaced by the value in the params file and the key is added to the stage's params.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cairn.errors import InvalidInput, NotFound, did_you_mean
from cairn.pipelines import expand
from cairn.pipelines.fields import stage_from_fields
from cairn.pipelines.model import PIPELINE_FILE, Stage
from cairn.pipelines.parsed import read_document

__all__ = ["STAGE_KEYS", "read_pipeline_file"]

STAGE_KEYS = (
    "cmd", "deps", "params", "outs", "metrics", "wdir", "env", "retries", "timeout", "workers",
    "foreach", "matrix",
)  # fmt: skip


def read_pipeline_file(
    root: Path, params: Mapping[str, Any], source: str = PIPELINE_FILE
) -> dict[str, Stage]:
    """The stages of ``root/source``, expanded and checked, in file order.

    ``params`` (the params file's content) feeds ``${params.*}`` interpolation.
    """
    document = _load(Path(root) / source, source)
    stages_node = document.get("stages")
    unknown = [key for key in document if key != "stages"]
    if unknown:
        raise InvalidInput(
            f"{source}: unknown top-level key {unknown[0]!r}; only 'stages' is allowed."
            + did_you_mean(str(unknown[0]), ["stages"])
        )
    if not isinstance(stages_node, dict) or not stages_node:
        raise InvalidInput(
            f"{source} defines no stages; add a 'stages:' mapping of stage names to definitions"
        )
    stages: dict[str, Stage] = {}
    for name, body in stages_node.items():
        where = f"{source}: stage {name!r}"
        if not isinstance(name, str):
            raise InvalidInput(f"{where}: a stage name must be text")
        if not isinstance(body, dict):
            raise InvalidInput(f"{where}: must be a mapping with at least 'cmd', got {_kind(body)}")
        _reject_unknown(body, where)
        for expanded_name, fields in expand.expand_stage(name, body, params, source):
            if expanded_name in stages:
                raise InvalidInput(
                    f"{source}: stage {expanded_name!r} is defined twice (check foreach/matrix "
                    "items that name the same stage)"
                )
            stages[expanded_name] = stage_from_fields(
                expanded_name, fields, f"{source}: stage {expanded_name!r}", origin=source
            )
    return stages


def _load(path: Path, source: str) -> dict[str, Any]:
    try:
        document = read_document(path, lambda text: _parse(text, source))
    except FileNotFoundError:
        raise NotFound(
            f"no {source} in {path.parent}; write one with a 'stages:' mapping, or name a "
            "Python module of @cairn.stage functions with -m"
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{source} is not UTF-8 text: {exc}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise InvalidInput(f"{source} must be a mapping with 'stages:', got {_kind(document)}")
    return document


def _parse(text: str, source: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        at = f":{mark.line + 1}" if mark is not None else ""
        lines = text.splitlines()
        line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
        hint = " (quote values holding ${...} inside [ ] or { })" if "${" in line else ""
        raise InvalidInput(f"{source}{at}: not valid YAML: {problem}{hint}") from None


def _reject_unknown(body: Mapping[str, Any], where: str) -> None:
    for key in body:
        if key not in STAGE_KEYS:
            raise InvalidInput(
                f"{where}: unknown field {key!r} (fields: {', '.join(STAGE_KEYS)})."
                + did_you_mean(str(key), STAGE_KEYS)
            )


def _kind(value: object) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"
