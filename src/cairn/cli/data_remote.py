"""``cairn data remote|push|fetch|pull|get``: move versioned data to and from remotes.

The commands are added to the ``cairn data`` group (:mod:`cairn.cli.data`); each is a thin
layer over :mod:`cairn.data.remotes`, :mod:`cairn.data.sync` and :mod:`cairn.data.get`.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from cairn.cli import SuggestingGroup, output
from cairn.cli.data import locked, reporter
from cairn.cli.experiments import json_option

remote_option = click.option(
    "-r", "--remote", "remote_name", metavar="NAME", default=None,
    help="The data remote to use (default: the one set with `cairn data remote default`).",
)  # fmt: skip
jobs_option = click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=None,
    help="Parallel transfers (default: 4 per core for network remotes, fewer for a folder).",
)  # fmt: skip
quiet_option = click.option("-q", "--quiet", is_flag=True, help="Show no progress bar.")


def _root() -> Path:
    from cairn.config import find_project_root

    return find_project_root()


# -- remote ---------------------------------------------------------------------------------------


@click.group("remote", cls=SuggestingGroup)
def remote() -> None:
    """Data remotes: where pushed data is kept (a folder, s3://, gs://, az://, hdfs://)."""


@remote.command("add")
@click.argument("name")
@click.argument("url")
@click.option("-d", "--default", "make_default", is_flag=True, help="Also make it the default.")
@click.option("-f", "--force", is_flag=True, help="Replace the URL of an existing remote.")
def remote_add(name: str, url: str, make_default: bool, force: bool) -> None:
    """Add remote NAME at URL (a folder relative to the project root, or any fsspec URL).

    Only the name and URL are stored, in .cairn/config.toml (commit it); credentials come
    from the backend's usual environment variables or profiles.
    """
    from cairn.data.remotes import add_remote

    with locked("remote add") as ws:  # one edit of config.toml at a time
        added, advice = add_remote(ws.root, name, url, default=make_default, force=force)
    suffix = " (default)" if added.default else ""
    output.say(f"added data remote {added.name!r} at {added.url}{suffix}")
    if advice:
        output.note(f"this machine cannot reach it yet: {advice}")


@remote.command("list")
@json_option
def remote_list(as_json: bool) -> None:
    """List the data remotes."""
    from cairn.data.remotes import list_remotes

    found = list_remotes(_root())
    if as_json:
        output.print_json([r.to_dict() for r in found])
        return
    grid = output.table("name", "url", "default")
    for item in found:
        grid.add_row(output.esc(item.name), output.esc(item.url), "yes" if item.default else "")
    output.show(grid)
    if not found:
        output.note("no data remotes yet: add one with `cairn data remote add NAME URL --default`")


@remote.command("remove")
@click.argument("name")
def remote_remove(name: str) -> None:
    """Remove remote NAME from the configuration (the data on it is not touched)."""
    from cairn.data.remotes import remove_remote

    with locked("remote remove") as ws:
        remove_remote(ws.root, name)
    output.say(f"removed data remote {name!r}")


@remote.command("default")
@click.argument("name", required=False)
def remote_default(name: str | None) -> None:
    """Make NAME the default remote; without NAME, print the default."""
    from cairn.data.remotes import default_remote, set_default

    root = _root()
    if name is None:
        current = default_remote(root)
        if current is None:
            output.note("no default data remote; set one with `cairn data remote default NAME`")
        else:
            output.say(current)
        return
    with locked("remote default") as ws:
        set_default(ws.root, name)
    output.say(f"data remote {name!r} is now the default")


# -- push / fetch / pull ---------------------------------------------------------------------------


def _rate(nbytes: int, seconds: float) -> str:
    speed = f", {output.format_size(int(nbytes / seconds))}/s" if seconds > 0.05 and nbytes else ""
    return f"{output.format_size(nbytes)} in {seconds:.1f}s{speed}"


@click.command("push")
@click.argument("paths", nargs=-1)
@remote_option
@jobs_option
@click.option(
    "-f", "--force", is_flag=True,
    help="Send every object again, even those the remote lists (repairs objects a fetch "
    "reported corrupt on the remote).",
)  # fmt: skip
@quiet_option
@json_option
def push(
    paths: tuple[str, ...],
    remote_name: str | None,
    jobs: int | None,
    force: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Send the data of PATHS (default: all tracked data) that the remote lacks.

    Small files travel in pack files, large ones alone; an interrupted push resumes where it
    stopped when run again.
    """
    from cairn.data.sync import push as push_data

    started = time.monotonic()
    with locked("push", shared=True) as ws:
        result = push_data(ws, list(paths) or None, remote=remote_name, jobs=jobs, force=force,
                           reporter=reporter(quiet or as_json))  # fmt: skip
    if as_json:
        output.print_json(result.to_dict())
    elif result.pushed:
        output.say(
            f"pushed {result.pushed} objects ({_rate(result.pushed_bytes, time.monotonic() - started)}) "
            f"to {result.remote!r}; {result.present} were there already"
        )
    else:
        output.say(f"everything is on {result.remote!r} already")


@click.command("fetch")
@click.argument("paths", nargs=-1)
@remote_option
@jobs_option
@click.option(
    "--rev", "revs", multiple=True, metavar="REV",
    help="Fetch the data of this git revision instead of the work tree's (repeatable).",
)  # fmt: skip
@quiet_option
@json_option
def fetch(
    paths: tuple[str, ...],
    remote_name: str | None,
    jobs: int | None,
    revs: tuple[str, ...],
    quiet: bool,
    as_json: bool,
) -> None:
    """Bring into the cache the data of PATHS (default: all) that it lacks; every object is
    verified against its hash before it is stored."""
    from cairn.data.sync import fetch as fetch_data

    started = time.monotonic()
    with locked("fetch") as ws:
        result = fetch_data(ws, list(paths) or None, remote=remote_name, jobs=jobs, revs=revs,
                            reporter=reporter(quiet or as_json))  # fmt: skip
    if as_json:
        output.print_json(result.to_dict())
    else:
        output.say(_fetched_line(result, time.monotonic() - started))


def _fetched_line(result: object, seconds: float) -> str:
    from cairn.data.fetch import FetchResult

    assert isinstance(result, FetchResult)
    if not result.fetched:
        return f"the cache holds everything already ({result.present} objects)"
    return (
        f"fetched {result.fetched} objects ({_rate(result.fetched_bytes, seconds)}) from "
        f"{result.remote!r}"
    )


@click.command("pull")
@click.argument("paths", nargs=-1)
@remote_option
@jobs_option
@click.option("-f", "--force", is_flag=True, help="Overwrite workspace files that changed.")
@quiet_option
@json_option
def pull(
    paths: tuple[str, ...],
    remote_name: str | None,
    jobs: int | None,
    force: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Fetch the data of PATHS (default: all) and check it out into the workspace.

    When an object cannot be fetched (missing or corrupt on the remote), nothing is checked
    out.
    """
    from cairn.data.sync import pull as pull_data

    started = time.monotonic()
    with locked("pull") as ws:
        fetched, report = pull_data(ws, list(paths) or None, remote=remote_name, jobs=jobs,
                                    force=force, reporter=reporter(quiet or as_json))  # fmt: skip
    if as_json:
        output.print_json({"fetch": fetched.to_dict(), "checkout": report.to_dict()})
        return
    output.say(_fetched_line(fetched, time.monotonic() - started))
    output.say(
        f"checked out {len(report.written)} files ({output.format_size(report.written_bytes)})"
        f", deleted {len(report.deleted)}, {report.unchanged} unchanged"
    )


# -- get --------------------------------------------------------------------------------------------


@click.command("get")
@click.argument("url")
@click.argument("path")
@click.option("--rev", metavar="REV", default=None, help="Git revision to read (default: HEAD).")
@click.option(
    "-o", "--out", type=click.Path(path_type=Path), default=None,
    help="Where to write the data (default: PATH's name in the current folder).",
)  # fmt: skip
@remote_option
@jobs_option
@quiet_option
@json_option
def get(
    url: str,
    path: str,
    rev: str | None,
    out: Path | None,
    remote_name: str | None,
    jobs: int | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Download dataset PATH of the git repository at URL from that repository's data remote.

    Needs no cairn project here: the repository is cloned into a temporary folder, the
    pointer of PATH read at REV, and the data fetched, verified and written to OUT.
    """
    from cairn.data.get import get_dataset

    result = get_dataset(url, path, rev=rev, out=out, remote=remote_name, jobs=jobs,
                         reporter=reporter(quiet or as_json))  # fmt: skip
    if as_json:
        output.print_json(result.to_dict())
        return
    what = f"{result.files} files" if result.is_dir else output.format_size(result.size)
    output.say(f"wrote {result.out} ({what}) from {result.remote_url} at {result.commit[:12]}")


COMMANDS = (remote, push, fetch, pull, get)
