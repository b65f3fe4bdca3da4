"""``cairn artifacts``: list and download a run's files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from cairn.cli import SuggestingGroup, get_client, output
from cairn.cli.experiments import json_option
from cairn.cli.runs import resolve_run_id

if TYPE_CHECKING:
    from cairn.artifacts import ArtifactStore
    from cairn.entities import FileInfo

PROGRESS_MIN_FILES = 2


def _require(store: ArtifactStore, rel: str, run_id: str) -> None:
    """NotFound unless ``rel`` (cleaned, non-empty) is a file or folder under the store."""
    from cairn.errors import NotFound

    parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
    if not any(info.path == rel for info in store.list(parent)):
        raise NotFound(f"run {run_id} has no artifact {rel!r}")


@click.group(cls=SuggestingGroup)
def artifacts() -> None:
    """Artifacts: the files logged to runs."""


@artifacts.command("list")
@click.argument("run_id")
@click.argument("path", required=False, default="")
@json_option
def list_command(run_id: str, path: str, as_json: bool) -> None:
    """List the files and folders directly under PATH (default: the run's root)."""
    from cairn.artifacts import clean_artifact_path

    client = get_client()
    full_id = resolve_run_id(client, run_id)
    store = client.artifact_store(full_id)
    rel = clean_artifact_path(path)
    if rel:
        _require(store, rel, full_id)
    infos = store.list(rel)
    if as_json:
        output.print_json(
            [{"path": i.path, "is_dir": i.is_dir, "file_size": i.file_size} for i in infos]
        )
        return
    grid = output.table("path", "type", "size")
    for info in infos:
        kind = "dir" if info.is_dir else "file"
        grid.add_row(output.esc(info.path + ("/" if info.is_dir else "")), kind,
                     output.format_size(info.file_size))  # fmt: skip
    output.show(grid)
    if not infos:
        output.note(f"run {full_id} has no artifacts under {rel or 'its root'!r}")


@artifacts.command("download")
@click.argument("run_id")
@click.argument("path", required=False, default="")
@click.option(
    "-o", "--dst", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Local folder to download into (default: a new temporary folder).",
)  # fmt: skip
def download_command(run_id: str, path: str, dst: Path | None) -> None:
    """Download an artifact file or folder (default: all of them) and print the local path."""
    import tempfile

    from cairn.artifacts import clean_artifact_path

    client = get_client()
    full_id = resolve_run_id(client, run_id)
    store = client.artifact_store(full_id)
    rel = clean_artifact_path(path)
    if rel:
        _require(store, rel, full_id)
    files = store.walk(rel) if _is_dir(store, rel) else []
    if len(files) < PROGRESS_MIN_FILES:
        local = store.download(rel, dst)
    else:
        target = dst if dst is not None else Path(tempfile.mkdtemp(prefix="cairn-artifacts-"))
        local = _download_with_progress(store, rel, files, target)
    output.say(str(local))


def _is_dir(store: ArtifactStore, rel: str) -> bool:
    if not rel:
        return True
    parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
    return any(info.path == rel and info.is_dir for info in store.list(parent))


def _download_with_progress(
    store: ArtifactStore, rel: str, files: list[FileInfo], dst: Path
) -> Path:
    """Download a folder file by file with a progress bar on stderr; return the local folder."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    prefix = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
    console = output.console(stderr=True)
    columns = (TextColumn("downloading"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True,
                  disable=not console.is_terminal) as progress:  # fmt: skip
        task = progress.add_task("download", total=len(files))
        for info in files:
            inner = info.path[len(prefix) :]
            folder = dst / inner.rsplit("/", 1)[0] if "/" in inner else dst
            store.download(info.path, folder)
            progress.advance(task)
    return dst / rel[len(prefix) :] if rel else dst
