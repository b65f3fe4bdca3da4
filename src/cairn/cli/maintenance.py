"""``cairn init``, ``cairn gc``, ``cairn sync`` and ``cairn db upgrade``: keeping the store."""

from __future__ import annotations

from pathlib import Path

import click

from cairn.cli import CliState, SuggestingGroup, get_client, output
from cairn.cli.experiments import json_option

CONFIG_TEMPLATE = """\
# cairn settings for this project. Every line is optional; the values shown are the defaults.
# Order of precedence: --tracking-uri > CAIRN_TRACKING_URI > [tool.cairn] in pyproject.toml
# > this file > .cairn/ at the project root.

# Where runs, experiments and the audit trail are stored (a relative path is under the
# project root): sqlite:///.cairn/cairn.db, postgresql://user@host/db, http://host:5000
# tracking_uri = "sqlite:///.cairn/cairn.db"

# Where new experiments keep artifacts: a folder, or s3://bucket/prefix, gs://..., az://...
# artifact_root = ".cairn/artifacts"

# Where metrics wait, durably, until they are stored (`cairn sync` ships what is left).
# spool_dir = ".cairn/spool"

# Data versioning (`cairn data ...`). How workspace files are made from the cache, in order of
# preference (reflink, copy, hardlink, symlink); threads for file work (default: 4 per core, at
# most 16); seconds a command waits for another one on this repository (default: no limit).
# Remotes are added with `cairn data remote add NAME URL` and kept in [data.remotes.NAME].
# [data]
# link = "reflink,copy"
# jobs = 8
# lock_timeout = 600
"""


@click.command(short_help="Create .cairn/ in the current folder.")
def init() -> None:
    """Create .cairn/ here: the store, a commented config.toml and a .gitignore."""
    from cairn.config import CAIRN_DIR, ensure_cairn_dir

    folder = Path.cwd() / CAIRN_DIR
    existed = folder.is_dir()
    created = [] if (folder / ".gitignore").exists() else [".gitignore"]
    ensure_cairn_dir(Path.cwd())
    config_file = folder / "config.toml"
    if not config_file.exists():
        config_file.write_text(CONFIG_TEMPLATE, encoding="utf-8")
        created.insert(0, "config.toml")
    client = get_client()
    verb = "Reinitialised" if existed else "Initialised"
    output.say(f"{verb} cairn in {folder}")
    output.say(f"  store: {client.tracking_uri}")
    for name in created:
        output.say(f"  wrote {CAIRN_DIR}/{name}")


@click.command(short_help="Purge deleted runs and experiments for good.")
@click.option(
    "--older-than", metavar="AGE",
    help="Only what was deleted more than AGE ago, e.g. 30d, 12h, 2w (default: everything deleted).",
)  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Report what would be purged; change nothing.")
@json_option
def gc(older_than: str | None, dry_run: bool, as_json: bool) -> None:
    """Purge deleted runs and experiments (and their artifacts) for good."""
    from cairn.tracking.gc import collect_garbage, parse_age

    age = parse_age(older_than) if older_than is not None else None
    report = collect_garbage(get_client(), older_than_ms=age, dry_run=dry_run)
    if as_json:
        output.print_json(report.to_dict())
        return
    verb = "Would purge" if dry_run else "Purged"
    runs, exps = len(report.run_ids), len(report.experiment_ids)
    output.say(
        f"{verb} {runs} run{'s' * (runs != 1)} and {exps} experiment{'s' * (exps != 1)}, "
        f"{'freeing' if dry_run else 'freed'} {output.format_size(report.bytes_freed)}."
    )
    for run_id in report.run_ids:
        output.say(f"  run {run_id}")
    for experiment_id in report.experiment_ids:
        output.say(f"  experiment {experiment_id}")


@click.command(short_help="Ship metrics that killed processes left.")
@json_option
def sync(as_json: bool) -> None:
    """Ship the metrics that killed processes left in the local spool."""
    from cairn.tracking.sync import sync as ship

    shipped = ship(get_client())
    if as_json:
        output.print_json({"shipped": shipped, "runs": len(shipped),
                           "records": sum(shipped.values())})  # fmt: skip
        return
    if not shipped:
        output.say("Nothing to sync: every spool is shipped or owned by a live process.")
        return
    output.say(f"Shipped {sum(shipped.values())} records of {len(shipped)} run(s):")
    for run_id, count in sorted(shipped.items()):
        output.say(f"  {run_id}  {count}")


@click.group(cls=SuggestingGroup)
def db() -> None:
    """The metadata database."""


@db.command("upgrade")
@click.pass_obj
def upgrade(state: CliState) -> None:
    """Bring the configured SQL store to the current schema (a no-op when current)."""
    from cairn import config
    from cairn.errors import ConfigError
    from cairn.store.sql.engine import create_engine
    from cairn.store.sql.migrate import HEAD_REVISION, current_revision
    from cairn.store.sql.migrate import upgrade as run_upgrade

    uri = config.resolve(state.tracking_uri).tracking_uri
    if uri.split("://", 1)[0].split("+", 1)[0] in ("http", "https"):
        raise ConfigError(f"db upgrade works on a SQL database, not on a server ({uri}); "
                          "run it where the server's database is reachable")  # fmt: skip
    engine = create_engine(uri)
    try:
        before = current_revision(engine)
        run_upgrade(engine)
    finally:
        engine.dispose()
    if before == HEAD_REVISION:
        output.say(f"The store is at the current schema ({HEAD_REVISION}): nothing to do.")
    else:
        output.say(f"Upgraded the store from {before or 'empty'} to {HEAD_REVISION}.")
