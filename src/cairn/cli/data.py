"""``cairn data``: version data in git (add, status, commit, checkout, diff, ls, gc), and move
it to and from remotes (the commands of :mod:`cairn.cli.data_remote`).

Each command is a thin layer over :mod:`cairn.data`: it finds the workspace, takes the
repository's data lock (shared for the read-only commands, so a second command waits with a
message instead of failing), calls the library and renders the result.
"""

from __future__ import annotations

import os
import posixpath
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cairn.cli import LazyGroup, output
from cairn.cli.experiments import json_option

if TYPE_CHECKING:
    from cairn.data.progress import Reporter
    from cairn.data.status import DatasetStatus
    from cairn.data.workspace import Workspace

quiet_option = click.option("-q", "--quiet", is_flag=True, help="Show no progress bar.")
link_option = click.option(
    "--link", metavar="TYPES",
    help="How files reach the workspace, in order of preference: reflink, copy, hardlink, "
    "symlink (e.g. 'hardlink,copy'). Default: [data] link in .cairn/config.toml, else "
    "'reflink,copy'.",
)  # fmt: skip


# Commands of the group that live in other modules (remotes, DVC import, lineage), imported
# only when used so that `cairn data status` starts fast.
ELSEWHERE = {
    "remote": "cairn.cli.data_remote:remote",
    "push": "cairn.cli.data_remote:push",
    "fetch": "cairn.cli.data_remote:fetch",
    "pull": "cairn.cli.data_remote:pull",
    "get": "cairn.cli.data_remote:get",
    "import-dvc": "cairn.cli.data_import:import_dvc_command",
    "scan": "cairn.cli.data_scan:scan_command",
    "lineage": "cairn.cli.data_lineage:lineage",
}


class DataGroup(LazyGroup):
    """The ``data`` group: its own commands plus those of :data:`ELSEWHERE`, loaded lazily."""

    lazy = ELSEWHERE


@click.group("data", cls=DataGroup)
def data() -> None:
    """Version data in git: content-addressed files and folders, remotes, diffs."""


@contextmanager
def locked(command: str, *, shared: bool = False) -> Iterator[Workspace]:
    """The project's workspace, holding its data lock for the block (``shared``: a command
    that only reads, which does not start a project where there is none)."""
    from cairn.data.workspace import Workspace

    workspace = Workspace.find(start=not shared)
    try:
        with workspace.lock(f"cairn data {command}", shared=shared, on_wait=output.note):
            yield workspace
    finally:
        workspace.close()


def reporter(quiet: bool) -> Reporter:
    from cairn.data.progress import Reporter

    return Reporter.for_terminal(quiet=quiet)


def _files(count: int) -> str:
    return f"{count:,} file{'s' * (count != 1)}"


# -- add / commit ------------------------------------------------------------------------------


@data.command("add")
@click.argument("paths", nargs=-1, required=True)
@link_option
@quiet_option
@json_option
def add(paths: tuple[str, ...], link: str | None, quiet: bool, as_json: bool) -> None:
    """Track files and folders: store their content in the cache and write PATH.cairn beside
    each (commit it to git; the data itself is added to .gitignore)."""
    from cairn.data.add import add as add_data

    started = time.perf_counter()
    with locked("add") as workspace:
        results = add_data(workspace, list(paths), link=link, reporter=reporter(quiet or as_json))
    _render_added(results, "Added", time.perf_counter() - started, as_json, workspace.root)


@data.command("commit")
@click.argument("paths", nargs=-1)
@link_option
@quiet_option
@json_option
def commit(paths: tuple[str, ...], link: str | None, quiet: bool, as_json: bool) -> None:
    """Record the workspace's current content of tracked data (all, or PATHS) in the pointers."""
    from cairn.data.add import commit as commit_data

    started = time.perf_counter()
    with locked("commit") as workspace:
        results = commit_data(workspace, list(paths) or None, link=link,
                              reporter=reporter(quiet or as_json))  # fmt: skip
    _render_added(results, "Committed", time.perf_counter() - started, as_json, workspace.root)


def _render_added(results: list, verb: str, seconds: float, as_json: bool, root: Path) -> None:
    if as_json:
        output.print_json([r.to_dict() for r in results])
        return
    pointers = []
    for result in results:
        pointer = result.pointer
        what = f"{_files(pointer.files)}, " if pointer.is_dir else ""
        change = "" if result.changed else " (unchanged)"
        output.say(
            f"{verb} {result.path}{change}: {what}{output.format_size(pointer.size)}, "
            f"{pointer.to_dict()['hash']}"
        )
        if result.stored_objects:
            output.note(
                f"  stored {result.stored_objects:,} new object(s), "
                f"{output.format_size(result.stored_bytes)}; hashed {_files(result.hashed_files)}"
            )
        if result.changed:
            pointers.append(result.pointer_path)
    if pointers:
        ignores = dict.fromkeys(
            posixpath.join(posixpath.dirname(p), ".gitignore") for p in pointers
        )
        here = [os.path.relpath(root / p) for p in [*pointers, *ignores]]  # as git add wants them
        output.note(f"To record this version in git: git add {' '.join(here)}")
    output.note(f"done in {seconds:.2f}s")


# -- status ------------------------------------------------------------------------------------


@data.command("status")
@click.argument("paths", nargs=-1)
@click.option(
    "--remote", "remote_name", is_flag=False, flag_value="", default=None, metavar="[NAME]",
    help="Also compare the cache with a remote (NAME, or the default remote).",
)  # fmt: skip
@click.option(
    "--exit-code", is_flag=True, help="Exit with 1 when anything differs (like git diff)."
)
@quiet_option
@json_option
def status(
    paths: tuple[str, ...], remote_name: str | None, exit_code: bool, quiet: bool, as_json: bool
) -> None:
    """Show how the workspace differs from the pointers (all, or PATHS): modified, added or
    deleted files, missing data, objects not in the cache."""
    from cairn.data.status import status as data_status

    started = time.perf_counter()
    remote = None
    with locked("status", shared=True) as workspace:
        report = data_status(workspace, list(paths) or None, reporter=reporter(quiet or as_json))
        if remote_name is not None:
            from cairn.data.sync import status_against_remote

            found = [(workspace.root / d.pointer_path, d.pointer) for d in report.datasets]
            remote = status_against_remote(workspace, remote_name or None, found)
    seconds = time.perf_counter() - started
    clean = report.clean and (remote is None or remote.in_sync)
    if as_json:
        found_json = report.to_dict()
        if remote is not None:
            found_json["remote"] = remote.to_dict()
            found_json["clean"] = clean
        output.print_json(found_json)
    else:
        _render_status(report.datasets, seconds)
        if remote is not None:
            _render_remote(remote)
    if exit_code and not clean:
        click.get_current_context().exit(1)


def _render_status(datasets: list[DatasetStatus], seconds: float) -> None:
    if not datasets:
        output.say("No data is tracked yet: track some with `cairn data add PATH`.")
        return
    dirty = [d for d in datasets if not d.clean]
    for entry in dirty:
        what = {
            "modified": "modified",
            "missing": "missing from the workspace (`cairn data checkout` brings it back)",
            "unknown": "cannot compare: its folder manifest is not in the cache",
        }.get(entry.state, entry.state)
        if entry.state == "clean":
            what = "unchanged"
        output.say(f"{entry.path}: {what}")
        for label, names in (("modified", entry.modified), ("new", entry.added),
                             ("deleted", entry.deleted)):  # fmt: skip
            for name in names[:20]:
                output.say(f"    {label}: {entry.path}/{name}")
            if len(names) > 20:
                output.say(f"    ... and {len(names) - 20:,} more {label}")
        if entry.not_in_cache:
            output.say(f"    not in cache: {entry.not_in_cache:,} object(s) "
                       "(`cairn data fetch` gets them)")  # fmt: skip
    if not dirty:
        output.say(
            f"Data and pointers are in sync ({len(datasets)} tracked path"
            f"{'s' * (len(datasets) != 1)})."
        )
    output.note(f"checked in {seconds:.2f}s")


def _render_remote(remote: object) -> None:
    found = remote.to_dict()  # type: ignore[attr-defined]
    name = found["remote"]
    if found["in_sync"]:
        output.say(f"Remote {name!r}: in sync.")
        return
    for label, key in (("not on the remote (push)", "not_on_remote"),
                       ("not in the cache (fetch)", "not_in_cache"),
                       ("in neither the cache nor the remote", "in_neither")):  # fmt: skip
        for path in found[key]:
            output.say(f"Remote {name!r}: {path}: {label}")


# -- checkout ----------------------------------------------------------------------------------


@data.command("checkout")
@click.argument("paths", nargs=-1)
@click.option(
    "-f", "--force", is_flag=True,
    help="Discard uncommitted changes to tracked data instead of refusing.",
)  # fmt: skip
@link_option
@quiet_option
@json_option
def checkout(
    paths: tuple[str, ...], force: bool, link: str | None, quiet: bool, as_json: bool
) -> None:
    """Make the workspace match the pointers (all, or PATHS), e.g. after `git checkout v1`:
    write missing or different files from the cache, delete files a folder no longer has."""
    from cairn.data.checkout import checkout as data_checkout
    from cairn.data.checkout import raise_failures

    started = time.perf_counter()
    with locked("checkout") as workspace:
        report = data_checkout(workspace, list(paths) or None, force=force, link=link,
                               reporter=reporter(quiet or as_json))  # fmt: skip
    seconds = time.perf_counter() - started
    if as_json:
        output.print_json(report.to_dict())
    else:
        if not report.written and not report.deleted and not report.failures:
            output.say(f"The workspace matches the pointers already ({_files(report.unchanged)}).")
        else:
            output.say(
                f"Checked out {_files(len(report.written))} "
                f"({output.format_size(report.written_bytes)}), deleted {len(report.deleted):,}, "
                f"{report.unchanged:,} unchanged."
            )
        output.note(f"done in {seconds:.2f}s")
    raise_failures(report)


# -- ls / diff / gc ----------------------------------------------------------------------------


@data.command("ls")
@click.argument("paths", nargs=-1)
@click.option("-R", "--recursive", is_flag=True, help="Also list the files inside folders.")
@json_option
def ls(paths: tuple[str, ...], recursive: bool, as_json: bool) -> None:
    """List tracked data (all, or under PATHS) with size, file count and hash."""
    from cairn.data.listing import list_data

    with locked("ls", shared=True) as workspace:
        listed = list_data(workspace, list(paths) or None, recursive=recursive)
    if as_json:
        output.print_json([item.to_dict() for item in listed])
        return
    if not listed:
        output.say("No data is tracked yet: track some with `cairn data add PATH`.")
        return
    grid = output.table("path", "kind", "size", "files", "hash")
    for item in listed:
        pointer = item.pointer
        grid.add_row(
            output.esc(item.path), pointer.kind, output.format_size(pointer.size),
            f"{pointer.files:,}" if pointer.is_dir else "", f"blake3:{pointer.oid[:16]}…",
        )  # fmt: skip
        for entry in item.files:
            grid.add_row(
                output.esc(f"  {item.path}/{entry['path']}"), "", output.format_size(entry["size"]),
                "", entry["hash"][:23] + "…",
            )  # fmt: skip
        if item.manifest_missing:
            grid.add_row("  (manifest not in the cache: `cairn data fetch`)", "", "", "", "")
    output.show(grid)


@data.command("diff")
@click.argument("old", required=False)
@click.argument("new", required=False)
@click.option(
    "-t", "--target", "targets", multiple=True, metavar="PATH",
    help="Only this tracked path (repeatable).",
)  # fmt: skip
@json_option
def diff(old: str | None, new: str | None, targets: tuple[str, ...], as_json: bool) -> None:
    """Files added, modified and deleted inside versioned data from git revision OLD (default
    HEAD) to NEW (default: the workspace)."""
    from cairn.data.diff import diff as data_diff

    with locked("diff", shared=True) as workspace:
        report = data_diff(workspace, old, new, targets=list(targets) or None)
    if as_json:
        output.print_json(report.to_dict())
        return
    if report.empty:
        output.say(f"No data changed between {report.old} and {report.new}.")
        return
    for label, changes in (("added", report.added), ("modified", report.modified),
                           ("deleted", report.deleted)):  # fmt: skip
        for change in changes:
            output.say(f"{label:<9} {change.path}")
    output.note(
        f"{len(report.added):,} added, {len(report.modified):,} modified, "
        f"{len(report.deleted):,} deleted ({report.old} -> {report.new})"
    )


@data.command("gc")
@click.option(
    "--all-commits", is_flag=True,
    help="Also keep what any commit of any branch or tag references (not only the workspace).",
)  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Report what would be deleted; delete nothing.")
@click.option(
    "-f", "--force", is_flag=True,
    help="Collect even when a folder manifest is missing (its files may be deleted).",
)  # fmt: skip
@json_option
def gc(all_commits: bool, dry_run: bool, force: bool, as_json: bool) -> None:
    """Delete cache objects that the workspace's pointers (and with --all-commits, any commit)
    do not reference."""
    from cairn.data.gc import collect

    started = time.perf_counter()
    with locked("gc") as workspace:
        report = collect(workspace, all_commits=all_commits, dry_run=dry_run, force=force)
    if as_json:
        output.print_json(report.to_dict())
        return
    verb = "Would delete" if dry_run else "Deleted"
    output.say(
        f"{verb} {len(report.removed):,} unreferenced object(s), "
        f"{'freeing' if dry_run else 'freed'} {output.format_size(report.freed_bytes)}; "
        f"kept {report.kept:,}."
    )
    output.note(f"done in {time.perf_counter() - started:.2f}s")
