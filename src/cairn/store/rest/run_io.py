"""What runs read and produced, on a cairn server (the native API's run input/output routes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.entities import DatasetInput, ModelOutput, RunIO
from cairn.store.base import RunIORepository
from cairn.store.rest import wire

if TYPE_CHECKING:
    from cairn.store.rest.store import _Api


class RestRunIORepository(RunIORepository):
    """Run inputs and outputs on a cairn server."""

    def __init__(self, api: _Api) -> None:
        self._api = api

    def _log_inputs(self, run_id: str, datasets: list[DatasetInput], models: list[str]) -> None:
        body = {"datasets": [wire.dataset_input_out(d) for d in datasets], "models": models}
        self._api.send("POST", f"/runs/{run_id}/inputs", body)

    def _log_outputs(self, run_id: str, models: list[ModelOutput]) -> None:
        body = {"models": [wire.model_output_out(m) for m in models]}
        self._api.send("POST", f"/runs/{run_id}/outputs", body)

    def _get_run_io(self, run_id: str) -> RunIO:
        return wire.run_io_in(self._api.get(f"/runs/{run_id}/io"))

    def _get_runs_io(self, run_ids: list[str]) -> dict[str, RunIO]:
        found: dict[str, RunIO] = {}
        for start in range(0, len(run_ids), wire.MAX_RUN_IDS):
            chunk = run_ids[start : start + wire.MAX_RUN_IDS]
            items = self._api.send("POST", "/runs/io", {"run_ids": chunk})["items"]
            found.update({run_id: wire.run_io_in(io) for run_id, io in items.items()})
        return found
