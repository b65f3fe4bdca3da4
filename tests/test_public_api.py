"""The public names of ``cairn`` are pinned, resolve, and ``import cairn`` loads little."""

from __future__ import annotations

import subprocess
import sys

import cairn

EXPECTED = {
    "ActiveRun",
    "CairnClient",
    "__version__",
    "active_run",
    "create_experiment",
    "data",
    "delete_run",
    "delete_tag",
    "end_run",
    "entities",
    "errors",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "lightgbm",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "online",
    "projects",
    "models",
    "onnx",
    "pyfunc",
    "registry",
    "pytorch",
    "restore_run",
    "search_experiments",
    "search_runs",
    "security",
    "seed_everything",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "sklearn",
    "stage",
    "start_run",
    "xgboost",
}


def test_all_is_pinned():
    assert set(cairn.__all__) == EXPECTED


def test_every_public_name_resolves_and_is_documented():
    for name in cairn.__all__:
        value = getattr(cairn, name)
        if callable(value):
            assert value.__doc__, f"cairn.{name} has no docstring"


def test_import_cairn_is_light():
    code = "import sys, cairn; print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy','pandas','numpy','fsspec','alembic'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
