"""``cairn models gates set|show|clear`` and ``cairn models protect|unprotect``: the quality
gates a registered model keeps and the aliases they guard. Thin over
:mod:`cairn.registry.protection`."""

from __future__ import annotations

from pathlib import Path

import click

from cairn.cli import get_client, output
from cairn.cli.experiments import json_option
from cairn.errors import InvalidInput


@click.group("gates")
def gates() -> None:
    """The quality gates of a registered model (a gates.yaml kept with the model)."""


@gates.command("set")
@click.argument("name")
@click.argument("gates_file", metavar="GATES_YAML", type=click.Path(dir_okay=False))
@json_option
def gates_set(name: str, gates_file: str, as_json: bool) -> None:
    """Give NAME the rules of GATES_YAML (checked first); its protected aliases then only move
    to versions whose run passes them."""
    from cairn.registry.protection import protected_aliases, set_gates

    try:
        text = Path(gates_file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{gates_file}: no such gates file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidInput(f"{gates_file}: cannot read the gates file: {err}") from None
    store = get_client().store
    spec = set_gates(store, name, text)
    protected = protected_aliases(store.registry.get_registered_model(name))
    if as_json:
        output.print_json(
            {"name": name, "rules": [r.text for r in spec.rules], "protected": protected}
        )
        return
    output.say(f"{name}: {len(spec.rules)} gate rule(s) set from {gates_file}.")
    if not protected:
        output.say(f"No alias is protected yet: `cairn models protect {name} ALIAS`.")


@gates.command("show")
@click.argument("name")
@json_option
def gates_show(name: str, as_json: bool) -> None:
    """Print the gates of NAME and the aliases they protect."""
    from cairn.registry.protection import get_gates, protected_aliases

    store = get_client().store
    text = get_gates(store, name)
    protected = protected_aliases(store.registry.get_registered_model(name))
    if as_json:
        output.print_json({"name": name, "gates": text, "protected": protected})
        return
    output.say(f"protected aliases: {', '.join(protected) or 'none'}")
    if text is None:
        output.say(f"{name} has no gates (`cairn models gates set {name} gates.yaml`).")
    else:
        click.echo(text.rstrip("\n"))


@gates.command("clear")
@click.argument("name")
@json_option
def gates_clear(name: str, as_json: bool) -> None:
    """Remove the gates of NAME (its protected aliases then move freely)."""
    from cairn.registry.protection import clear_gates

    clear_gates(get_client().store, name)
    if as_json:
        output.print_json({"name": name, "gates": None})
    else:
        output.say(f"Removed the gates of {name}.")


@click.command("protect")
@click.argument("name")
@click.argument("alias")
@json_option
def protect(name: str, alias: str, as_json: bool) -> None:
    """Let ALIAS of NAME move only to versions whose run passes the model's gates."""
    from cairn.registry.protection import get_gates, protect_alias

    store = get_client().store
    found = protect_alias(store, name, alias)
    if as_json:
        output.print_json({"name": name, "protected": found})
        return
    output.say(f"{name}@{alias} is protected (protected: {', '.join(found)}).")
    if get_gates(store, name) is None:
        output.say(f"{name} has no gates yet: `cairn models gates set {name} gates.yaml`.")


@click.command("unprotect")
@click.argument("name")
@click.argument("alias")
@json_option
def unprotect(name: str, alias: str, as_json: bool) -> None:
    """Let ALIAS of NAME move freely again."""
    from cairn.registry.protection import unprotect_alias

    found = unprotect_alias(get_client().store, name, alias)
    if as_json:
        output.print_json({"name": name, "protected": found})
    else:
        output.say(f"{name}@{alias} is no longer protected.")
