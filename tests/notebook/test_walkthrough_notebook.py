"""examples/notebook/walkthrough.ipynb runs top to bottom in a real Jupyter kernel (nbclient),
and the runs it makes record the notebook: path, snapshot and hash."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from cairn.tracking.context_git import content_hash

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "notebook"


def test_the_committed_notebook_has_no_outputs():
    notebook = nbformat.read(EXAMPLE / "walkthrough.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_walkthrough_executes_and_its_runs_record_the_notebook(project, client, monkeypatch):
    folder = project / "notebook"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    path = folder / "walkthrough.ipynb"
    # Jupyter server names the notebook to its kernel this way; nbclient does not.
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    notebook = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(folder)}}
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources=resources).execute()

    loaded = notebook.cells[1].outputs[0]["text"]
    assert (
        f"autoreload 2 on (edited modules reload before each cell); runs record the notebook {path}"
        in loaded
    )
    shown = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    html = [o["data"]["text/html"] for o in shown if "text/html" in o.get("data", {})]
    assert any(h.startswith('<div class="cairn"') and "Run logreg-C1.0" in h for h in html)
    assert any('<div class="cairn"' in h and "4 runs" in h for h in html)

    experiment = client.get_experiment_by_name("iris-notebook")
    runs = client.search_runs(experiment.experiment_id).items
    assert sorted(r.info.run_name for r in runs) == [
        "logreg-C0.01",
        "logreg-C0.1",
        "logreg-C1.0",
        "logreg-C1.0",
    ]
    saved = path.read_bytes()
    for run in runs:
        tags = run.data.tags
        assert tags["cairn.source.type"] == "NOTEBOOK"
        assert tags["cairn.source.notebook.path"] == str(path)
        assert tags["cairn.source.notebook.hash"] == content_hash(saved)
        assert tags["cairn.seed.python"] == "7"
        snapshot = client.download_artifacts(
            run.info.run_id, "source/notebook.ipynb", str(project / run.info.run_id)
        )
        assert Path(snapshot).read_bytes() == saved
    assert (folder / "features.py").read_text() == (EXAMPLE / "features.py").read_text()
