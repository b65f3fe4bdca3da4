"""Turn a model URI into the :class:`~cairn.serving.follow.Served` model of a server, and,
for ``models:/name@alias``, into the registry poll that tells the follower where the alias
points now.

A ``models:/`` URI (alias, version, stage or ``latest``) is resolved to one registered
version first and that exact version (``models:/name/N``) is loaded, so ``/metadata`` can say
which version answers, and its lineage: the run that made it, the run's code commit and the
datasets it read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Hashable
from typing import Any

from cairn.errors import CairnError
from cairn.serving.follow import Served

log = logging.getLogger("cairn.serving")

__all__ = ["alias_of", "alias_target", "load_served"]


def alias_of(uri: str) -> tuple[str, str] | None:
    """``(name, alias)`` of a ``models:/name@alias`` URI, else None."""
    if not uri.startswith("models:/"):
        return None
    from cairn.models.uris import parse_models_uri

    ref = parse_models_uri(uri)
    return (ref.name, ref.alias) if ref.alias is not None else None


def alias_target(store: Any, name: str, alias: str) -> Callable[[], Hashable]:
    """A poll returning the version number ``alias`` of ``name`` points at now."""

    def current() -> Hashable:
        return int(store.registry.get_model_version_by_alias(name, alias).version)

    return current


def _info(model: Any) -> dict[str, Any]:
    """What ``/metadata`` tells about a loaded :class:`cairn.models.pyfunc.PyFuncModel`."""
    meta = model.metadata
    signature: dict[str, Any] | None = None
    columns: list[str] = []
    if meta.signature is not None:
        signature = {}
        for key, value in meta.signature.to_dict().items():
            signature[key] = json.loads(value) if isinstance(value, str) else value
        inputs = signature.get("inputs") or []
        named = all(isinstance(s, dict) and s.get("name") for s in inputs)
        if inputs and named and all(s.get("type") != "tensor" for s in inputs):
            columns = [str(s["name"]) for s in inputs]
    return {
        "model_uuid": meta.model_uuid,
        "run_id": meta.run_id,
        "artifact_path": meta.artifact_path,
        "flavors": sorted(meta.flavors),
        "utc_time_created": meta.utc_time_created,
        "signature": signature,
        "input_columns": columns,
    }


def _run_lineage(store: Any, run_id: str | None) -> dict[str, Any]:
    """The run behind a version: experiment, code commit, datasets read (empty if unknown)."""
    if not run_id:
        return {}
    try:
        run = store.runs.get_run(run_id)
        inputs = store.run_io.get_run_io(run_id)
    except CairnError:
        log.warning("run %s of the served model is not in the store", run_id)
        return {}
    return {
        "run": {
            "run_id": run_id,
            "experiment_id": run.info.experiment_id,
            "git_commit": run.data.tags.get("cairn.source.git.commit"),
            "datasets": [
                {"name": d.name, "digest": d.digest, "source": d.source} for d in inputs.datasets
            ],
        }
    }


def load_served(
    uri: str,
    *,
    trusted: bool = False,
    store: Any = None,
    version: int | None = None,
    compiler: str = "none",
) -> Served:
    """Load ``uri`` (any model URI). A ``models:/`` URI is resolved through ``store``'s
    registry to one version (``version`` when given: the follower's new target).
    ``compiler="onnx"`` scores through the checked ONNX conversion (see cairn.models.compiled)."""
    from cairn.models.compiled import compile_model
    from cairn.models.pyfunc import load_model

    lineage: dict[str, Any] = {}
    load_uri = uri
    target: Hashable = None
    if uri.startswith("models:/") and store is not None:
        from cairn.models.uris import parse_models_uri, resolve_model_version

        ref = parse_models_uri(uri)
        if ref.model_id is None:
            found = (
                store.registry.get_model_version(ref.name, version)
                if version is not None
                else resolve_model_version(store, ref)
            )
            load_uri = f"models:/{ref.name}/{found.version}"
            target = int(found.version)
            lineage = {
                "registered_model": ref.name,
                "alias": ref.alias,
                "version": int(found.version),
                "stage": found.current_stage,
                "source": found.source,
                **_run_lineage(store, found.run_id),
            }
    model = compile_model(load_model(load_uri, trusted=trusted), compiler)
    info = {**_info(model), **lineage, "loaded_uri": load_uri, "compiled": compiler}
    return Served(model, uri, target, info)
