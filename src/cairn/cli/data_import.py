"""``cairn data import-dvc``: convert a DVC repository's ``.dvc`` files into cairn pointers."""

from __future__ import annotations

from pathlib import Path

import click

from cairn.cli import output


@click.command("import-dvc")
@click.argument("dvc_files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace pointers that record other content.")
@click.option("--remove-dvc", is_flag=True, help="Delete the .dvc files once imported.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
def import_dvc_command(
    dvc_files: tuple[Path, ...], force: bool, remove_dvc: bool, as_json: bool
) -> None:
    """Turn the .dvc files of this DVC repository (all, or DVC_FILES) into .cairn pointers.

    Objects are read from DVC's cache and their md5 checked before anything is written;
    then each output gets a pointer beside its data and its bytes go into cairn's cache.
    """
    from cairn.cli.data import locked
    from cairn.data.import_dvc import import_dvc

    with locked("import-dvc") as workspace:
        chosen = [workspace.absolute(f) for f in dvc_files] or None
        for path in chosen or []:
            if path.suffix != ".dvc" or not path.is_file():
                raise click.BadParameter(f"{path} is not a .dvc file", param_hint="DVC_FILES")
        results = import_dvc(workspace.root, workspace.cache, dvc_files=chosen, force=force)
        if remove_dvc:
            for dvc_file in sorted({r.output.dvc_file for r in results}):
                dvc_file.unlink()
        rows = [r.to_dict(workspace.root) for r in results]
    if as_json:
        output.print_json(rows)
        return
    grid = output.table(
        "path", "kind", "files", "size", "md5", "hash", "status", title="Imported from DVC"
    )
    for row in rows:
        grid.add_row(
            output.esc(row["path"]), row["kind"], str(row.get("files") or 1),
            output.format_size(row["size"]), row["md5"][:10], row["hash"][7:19], row["status"],
        )  # fmt: skip
    output.show(grid)
    output.note(
        "Commit the .cairn pointer files to git"
        + (
            ""
            if remove_dvc
            else "; the .dvc files are kept until you delete them (or use --remove-dvc)"
        )
        + "."
    )
