"""``cairn models``: the model registry (register, list, show, versions, alias, tag, stage,
delete) and, from :mod:`cairn.serving`, serving and batch prediction.

Thin over :mod:`cairn.registry`; commands of other modules are added to
:attr:`ModelsGroup.lazy`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any, ClassVar

import click

from cairn.cli import LazyGroup, get_client, output
from cairn.cli.experiments import json_option, parse_tags

if TYPE_CHECKING:
    from cairn.entities import ModelVersion, RegisteredModel
    from cairn.store.registry_repository import RegistryRepository


class ModelsGroup(LazyGroup):
    """The ``models`` group (commands of other modules may be added to :attr:`lazy`)."""

    lazy: ClassVar[dict[str, str]] = {
        "build-docker": "cairn.cli.models_serving:build_docker",
        "gates": "cairn.cli.models_gates:gates",
        "protect": "cairn.cli.models_gates:protect",
        "unprotect": "cairn.cli.models_gates:unprotect",
        "predict": "cairn.cli.models_serving:predict",
        "serve": "cairn.cli.models_serving:serve",
    }


@click.group("models", cls=ModelsGroup)
def models() -> None:
    """Registered models: versions, aliases, stages, tags; serving and batch prediction."""


def version_dict(version: ModelVersion) -> dict[str, Any]:
    """The JSON form of a model version (epoch ms and ISO times)."""
    found = asdict(version)
    found["creation_iso"] = output.iso_utc(version.creation_time)
    found["last_updated_iso"] = output.iso_utc(version.last_updated_time)
    return found


def model_dict(model: RegisteredModel) -> dict[str, Any]:
    """The JSON form of a registered model."""
    found = asdict(model)
    found["latest_versions"] = [version_dict(v) for v in model.latest_versions]
    found["creation_iso"] = output.iso_utc(model.creation_time)
    found["last_updated_iso"] = output.iso_utc(model.last_updated_time)
    return found


def split_target(target: str) -> tuple[str, str | None]:
    """``NAME`` or ``NAME/VERSION`` (model names hold no '/')."""
    name, slash, version = target.rpartition("/")
    return (name, version) if slash else (target, None)


def _registry() -> RegistryRepository:
    return get_client().store.registry


def _versions_table(versions: list[ModelVersion], title: str | None = None) -> None:
    grid = output.table("version", "stage", "aliases", "created", "run", "source", title=title)
    for item in versions:
        grid.add_row(
            str(item.version), item.current_stage, output.esc(", ".join(item.aliases) or "-"),
            output.iso_utc(item.creation_time) or "", item.run_id or "-", output.esc(item.source),
        )  # fmt: skip
    output.show(grid)


@models.command("register")
@click.argument("uri")
@click.argument("name")
@click.option(
    "--tag", "tags", multiple=True, metavar="KEY=VALUE", help="A version tag; repeatable."
)
@click.option("--description", metavar="TEXT", help="The version's description.")
@json_option
def register(
    uri: str, name: str, tags: tuple[str, ...], description: str | None, as_json: bool
) -> None:
    """Register the model at URI (runs:/RUN/PATH, models:/..., a folder) as the next version
    of NAME, creating NAME if needed."""
    from cairn.registry import register_model

    made = register_model(
        uri, name, parse_tags(tags), description, tracking_uri=get_client().tracking_uri
    )
    if as_json:
        output.print_json(version_dict(made))
        return
    output.say(f"Registered {name!r} version {made.version} from {made.source}.")


@models.command("list")
@click.option("--filter", "filter_string", metavar="FILTER", help="e.g. \"name LIKE 'churn%'\".")
@click.option(
    "--max-results", type=click.IntRange(min=1), default=1000, show_default=True, metavar="N",
    help="List at most N models.",
)  # fmt: skip
@json_option
def list_models(filter_string: str | None, max_results: int, as_json: bool) -> None:
    """List the registered models with their aliases and latest versions."""
    found = _registry().search_registered_models(filter_string, max_results).items
    if as_json:
        output.print_json([model_dict(m) for m in found])
        return
    grid = output.table("name", "latest", "aliases", "updated", "description")
    for item in found:
        latest = max((v.version for v in item.latest_versions), default=None)
        aliases = ", ".join(f"{a}->{v}" for a, v in item.aliases.items()) or "-"
        grid.add_row(
            output.esc(item.name), str(latest or "-"), output.esc(aliases),
            output.iso_utc(item.last_updated_time) or "", output.esc(item.description or ""),
        )  # fmt: skip
    output.show(grid)
    if not found:
        output.note("No registered models yet: cairn models register runs:/RUN_ID/model NAME")


@models.command("show")
@click.argument("target", metavar="NAME[/VERSION]")
@json_option
def show(target: str, as_json: bool) -> None:
    """A registered model with its versions, or one version."""
    name, version = split_target(target)
    registry = _registry()
    if version is not None:
        found = registry.get_model_version(name, version)
        if as_json:
            output.print_json(version_dict(found))
            return
        for key, value in version_dict(found).items():
            if value not in (None, [], {}, "") and not key.endswith("_time"):
                output.say(f"{key:>17}: {value}")
        return
    model = registry.get_registered_model(name)
    versions = registry.search_model_versions(f"name = '{_quoted(name)}'", 50_000).items
    if as_json:
        output.print_json({**model_dict(model), "versions": [version_dict(v) for v in versions]})
        return
    output.say(f"{'name':>12}: {model.name}")
    if model.description:
        output.say(f"{'description':>12}: {model.description}")
    for key, value in model.tags.items():
        output.say(f"{'tag':>12}: {key}={value}")
    for alias, number in model.aliases.items():
        output.say(f"{'alias':>12}: {alias} -> version {number}")
    _versions_table(versions, title="Versions")


@models.command("versions")
@click.argument("name")
@json_option
def versions(name: str, as_json: bool) -> None:
    """List the versions of NAME, newest first."""
    registry = _registry()
    registry.get_registered_model(name)
    found = registry.search_model_versions(f"name = '{_quoted(name)}'", 50_000).items
    if as_json:
        output.print_json([version_dict(v) for v in found])
        return
    _versions_table(found)


@models.command("alias")
@click.argument("name")
@click.argument("alias")
@click.argument("version", required=False)
@click.option("--delete", is_flag=True, help="Remove ALIAS instead of setting it.")
@click.option("--force", is_flag=True, help="Move a protected alias past failing gates.")
@click.option("--reason", help="Why --force is needed (required with it; audited).")
@json_option
def alias(
    name: str,
    alias: str,
    version: str | None,
    delete: bool,
    force: bool,
    reason: str | None,
    as_json: bool,
) -> None:
    """Point ALIAS of NAME at VERSION (moving it if set), or remove it with --delete.

    A protected alias (`cairn models protect`) only moves to a version whose run passes the
    model's gates; --force --reason TEXT overrides and the audit trail records it."""
    registry = _registry()
    if delete:
        if version is not None:
            raise click.UsageError("give no VERSION with --delete")
        registry.delete_alias(name, alias)
        if as_json:
            output.print_json({"name": name, "alias": alias, "deleted": True})
        else:
            output.say(f"Removed alias {alias!r} of {name!r}.")
        return
    if version is None:
        raise click.UsageError("give the VERSION the alias points at (or --delete)")
    if reason is not None and not force:
        raise click.UsageError("--reason goes with --force")
    from cairn.registry.protection import guarded_set_alias

    found = guarded_set_alias(get_client().store, name, alias, version, force=force, reason=reason)
    if as_json:
        output.print_json(version_dict(found))
        return
    output.say(f"{name}@{alias} -> version {found.version}.")


@models.command("tag")
@click.argument("target", metavar="NAME[/VERSION]")
@click.argument("key")
@click.argument("value", required=False)
@click.option("--delete", is_flag=True, help="Remove tag KEY instead of setting it.")
def tag(target: str, key: str, value: str | None, delete: bool) -> None:
    """Set (or --delete) tag KEY on a registered model or one of its versions."""
    name, version = split_target(target)
    registry = _registry()
    if delete == (value is not None):
        raise click.UsageError("give VALUE to set the tag, or --delete without VALUE")
    if version is None and delete:
        registry.delete_registered_model_tag(name, key)
    elif version is None:
        registry.set_registered_model_tag(name, key, str(value))
    elif delete:
        registry.delete_model_version_tag(name, version, key)
    else:
        registry.set_model_version_tag(name, version, key, str(value))
    output.say(f"{'Removed' if delete else 'Set'} tag {key!r} on {target}.")


@models.command("stage")
@click.argument("name")
@click.argument("version")
@click.argument("stage", metavar="None|Staging|Production|Archived")
@click.option(
    "--archive-existing", is_flag=True,
    help="Move the other versions in STAGE (Staging or Production) to Archived.",
)  # fmt: skip
@json_option
def stage(name: str, version: str, stage: str, archive_existing: bool, as_json: bool) -> None:
    """Move VERSION of NAME to a legacy stage (MLflow's; aliases are the modern way)."""
    found = _registry().transition_stage(name, version, stage, archive_existing)
    if as_json:
        output.print_json(version_dict(found))
        return
    output.say(f"{name} version {found.version} is now in stage {found.current_stage}.")


@models.command("rename")
@click.argument("name")
@click.argument("new_name")
def rename(name: str, new_name: str) -> None:
    """Rename a registered model (its versions and aliases follow)."""
    _registry().rename_registered_model(name, new_name)
    output.say(f"Renamed {name!r} to {new_name!r}.")


@models.command("describe")
@click.argument("target", metavar="NAME[/VERSION]")
@click.argument("description")
def describe(target: str, description: str) -> None:
    """Set the description of a registered model or of one version ('' clears it)."""
    name, version = split_target(target)
    if version is None:
        _registry().update_registered_model(name, description or None)
    else:
        _registry().update_model_version(name, version, description or None)
    output.say(f"Described {target}.")


@models.command("delete")
@click.argument("target", metavar="NAME[/VERSION]")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(target: str, yes: bool) -> None:
    """Delete a registered model with all its versions, or one version (the runs and their
    files stay)."""
    name, version = split_target(target)
    registry = _registry()
    if version is None:
        registry.get_registered_model(name)
        if not yes:
            click.confirm(f"Delete registered model {name!r} and all its versions?", abort=True)
        registry.delete_registered_model(name)
    else:
        registry.delete_model_version(name, version)
    output.say(f"Deleted {target}.")


def _quoted(name: str) -> str:
    return name.replace("\\", "\\\\").replace("'", "\\'")
