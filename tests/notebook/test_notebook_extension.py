"""``%load_ext cairn`` in a real IPython shell: autoreload, ``%cairn_notebook``, and runs that
record the notebook (path, snapshot, hash)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from cairn.notebook.source import notebook_path
from cairn.tracking.context_git import content_hash


@pytest.fixture
def shell(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """A fresh IPython shell (no history file) with the project folder on sys.path."""
    monkeypatch.syspath_prepend(str(project))
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    yield shell
    shell.cleanup()
    InteractiveShell.clear_instance()


def _run(shell: InteractiveShell, code: str) -> object:
    result = shell.run_cell(code)
    result.raise_error()
    return result.result


def _edit(path: Path, text: str) -> None:
    """Rewrite a module with a newer mtime (a same-second edit can look unchanged)."""
    before = path.stat().st_mtime
    path.write_text(text)
    os.utime(path, (before + 5, before + 5))


def test_load_ext_reloads_edited_modules(shell, project, capsys):
    _run(shell, "%load_ext cairn")
    assert "autoreload 2 on" in capsys.readouterr().out
    module = project / "nb_features_a.py"
    module.write_text("def scale(x):\n    return x * 2\n")
    _run(shell, "import nb_features_a")
    assert _run(shell, "nb_features_a.scale(10)") == 20
    _edit(module, "def scale(x):\n    return x * 3 + 1\n")
    assert _run(shell, "nb_features_a.scale(10)") == 31  # no re-import


def test_autoreload_the_user_set_up_is_left_alone(shell, project, capsys):
    _run(shell, "%load_ext autoreload")
    _run(shell, "%autoreload 1")  # only modules named with %aimport
    _run(shell, "%load_ext cairn")
    assert "autoreload left as you set it" in capsys.readouterr().out
    module = project / "nb_features_b.py"
    module.write_text("VALUE = 1\n")
    _run(shell, "import nb_features_b")
    _edit(module, "VALUE = 2\n")
    assert _run(shell, "nb_features_b.VALUE") == 1


def test_runs_record_the_stated_notebook_and_its_snapshot(shell, project, client, capsys):
    notebook = project / "analysis.ipynb"
    notebook.write_bytes(b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    _run(shell, "%load_ext cairn")
    assert (
        "runs record no notebook until you name it: %cairn_notebook PATH" in capsys.readouterr().out
    )
    _run(shell, "%cairn_notebook analysis.ipynb")
    assert f"runs record the notebook {notebook}" in capsys.readouterr().out
    assert notebook_path() == str(notebook)
    run_id = _run(shell, "import cairn\nwith cairn.start_run() as run:\n    pass\nrun.info.run_id")
    notebook.write_text("edited after the run started")
    tags = client.get_run(run_id).data.tags
    assert tags["cairn.source.type"] == "NOTEBOOK"
    assert tags["cairn.source.notebook.path"] == str(notebook)
    snapshot = Path(
        client.download_artifacts(run_id, "source/notebook.ipynb", str(project / "out"))
    )
    assert snapshot.read_bytes().startswith(b'{"cells": []')
    assert tags["cairn.source.notebook.hash"] == content_hash(snapshot.read_bytes())


def test_cairn_notebook_rejects_what_is_not_a_notebook(shell, project):
    _run(shell, "%load_ext cairn")
    (project / "script.py").write_text("")
    for line, message in (
        ("%cairn_notebook missing.ipynb", "no notebook file at"),
        ("%cairn_notebook script.py", "give the path of the .ipynb file"),
        ("%cairn_notebook a.ipynb b.ipynb", "takes one path, got 2"),
    ):
        result = shell.run_cell(line)
        assert isinstance(result.error_in_exec, UsageError)
        assert message in str(result.error_in_exec)
    assert notebook_path() is None


def test_unload_removes_the_magic(shell):
    _run(shell, "%load_ext cairn")
    assert "cairn_notebook" in shell.magics_manager.magics["line"]
    _run(shell, "%unload_ext cairn")
    assert "cairn_notebook" not in shell.magics_manager.magics["line"]


def test_no_shell_no_notebook():
    assert notebook_path() is None
