"""Checkpoints: the live model logged to the trainer's run with the scikit-learn flavor (skops,
no pickle), registered as the next version of the model name, the alias moved to it; and the
way back, loading any version as the live model.

The logging is :func:`cairn.models.logging.log_model_to_run` against the trainer's own client
and run, not the fluent API's active run, so a trainer works beside (and independently of)
whatever run the caller has open.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cairn.entities import ModelVersion
    from cairn.tracking.client import CairnClient

__all__ = [
    "TAG_BATCHES",
    "TAG_ROWS",
    "TAG_RUN_ID",
    "load_checkpoint",
    "load_estimator",
    "rollback_to",
    "save_checkpoint",
]

TAG_BATCHES = "cairn.online.batches"
TAG_ROWS = "cairn.online.rows"
TAG_RUN_ID = "cairn.online.run_id"
#: River keeps its state in these standard containers besides its own classes.
_RIVER_HELPERS = {"collections.Counter", "collections.defaultdict", "collections.deque"}


def save_checkpoint(
    client: CairnClient,
    run_id: str,
    model: Any,
    *,
    artifact_path: str,
    example: Any,
    model_name: str,
    alias: str,
    tags: Mapping[str, str],
) -> ModelVersion:
    """Log ``model`` under ``artifact_path`` of the run, register it as the next version of
    ``model_name`` with ``tags`` and point ``alias`` at it."""
    from cairn import registry
    from cairn.models.flavors.sklearn import save_model
    from cairn.models.logging import log_model_to_run
    from cairn.models.signature import infer_signature

    signature = infer_signature(example, model.predict(example))
    log_model_to_run(
        client,
        run_id,
        client.get_run(run_id).info.experiment_id,
        artifact_path,
        lambda folder, mlmodel: save_model(model, folder, signature=signature, mlmodel=mlmodel),
        model_type="sklearn",
    )
    model_uri = f"runs:/{run_id}/{artifact_path}"
    version = registry.register_model(
        model_uri, model_name, tags=dict(tags), tracking_uri=client.tracking_uri
    )
    registry.set_alias(model_name, alias, version.version, tracking_uri=client.tracking_uri)
    return version


def rollback_to(
    client: CairnClient, model_name: str, version: int | str, *, alias: str
) -> tuple[Any, ModelVersion]:
    """Load checkpoint ``version`` (InvalidInput when an online trainer did not write it) and
    move ``alias`` back to it; returns the model and the version."""
    from cairn import registry
    from cairn.errors import InvalidInput
    from cairn.store import registry_validation as rv

    number = rv.version_number(version)
    found = client.store.registry.get_model_version(rv.model_name(model_name), number)
    if TAG_RUN_ID not in found.tags:
        raise InvalidInput(
            f"version {number} of {model_name!r} is not an online checkpoint (no {TAG_RUN_ID} "
            "tag); `cairn online status NAME` lists the checkpoints"
        )
    model = load_checkpoint(client, model_name, number)
    registry.set_alias(model_name, alias, number, tracking_uri=client.tracking_uri)
    return model, found


def load_checkpoint(client: CairnClient, model_name: str, version: int | str) -> Any:
    """The estimator stored as ``version`` of ``model_name`` (River checkpoints included)."""
    return load_estimator(client, f"models:/{model_name}/{version}")


def load_estimator(client: CairnClient, model_uri: str) -> Any:
    """The scikit-learn-flavor estimator at ``model_uri`` (``models:/``, ``runs:/``, a folder)
    read through ``client``'s store; River models that cairn's adapter wrote load too."""
    from cairn.models.flavors.sklearn import load_model
    from cairn.models.uris import download_model

    with tempfile.TemporaryDirectory(prefix="cairn-online-") as tmp:
        folder = download_model(model_uri, tmp, store=client.store)
        return load_model(folder, trusted=_river_types(folder))


def _river_types(folder: Path) -> list[str]:
    """The River types a checkpoint holds (cairn writes River models through its adapter);
    every other type stays refused unless scikit-learn defines it."""
    import skops.io as sio

    files = list(folder.glob("*.skops"))
    if not files:
        return []
    names = sio.get_untrusted_types(file=files[0])
    if "cairn.online.learners.RiverModel" not in names:
        return []
    return [
        name
        for name in names
        if name.split(".")[0] == "river"
        or name in _RIVER_HELPERS
        or name == "cairn.online.learners.RiverModel"
    ]
