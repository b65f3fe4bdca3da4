"""Loading a project's pipeline from either form: ``cairn.yaml`` or a module of
``@cairn.stage`` functions."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cairn.pipelines.model import PARAMS_FILE, PIPELINE_FILE, Pipeline
from cairn.pipelines.params import read_params, with_overrides

__all__ = ["load_pipeline"]


def load_pipeline(
    root: Path, module: str | None = None, *, overrides: Mapping[str, object] | None = None
) -> Pipeline:
    """The pipeline of the project at ``root``: ``root/cairn.yaml``, or the stages of the
    Python ``module`` (a dotted name importable from ``root``).

    ``overrides`` (dotted param key -> value) apply on top of ``params.yaml`` where a stage
    interpolates ``${params.KEY}``. The result is not yet validated as a whole:
    :meth:`cairn.pipelines.graph.Graph.build` does that.
    """
    root = Path(root).resolve()
    params = read_params(root, PARAMS_FILE)
    if overrides:
        params = with_overrides(params, overrides)
    if module is not None:
        from cairn.pipelines.python_form import read_module

        stages, source = read_module(root, module, params)
        return Pipeline(root=root, stages=stages, source=source, params_file=PARAMS_FILE)
    from cairn.pipelines.yaml_form import read_pipeline_file

    stages = read_pipeline_file(root, params, PIPELINE_FILE)
    return Pipeline(root=root, stages=stages, source=PIPELINE_FILE, params_file=PARAMS_FILE)
