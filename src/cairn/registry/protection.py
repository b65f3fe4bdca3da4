"""Protected aliases: a registered model's quality gates guard the aliases it protects.

A model keeps its gates (the text of a ``gates.yaml``) in the registered-model tag
``cairn.gates`` and the aliases they guard in ``cairn.protected_aliases`` (a comma list), so
both travel with the model through every backend, are versioned by the audit trail like any
tag, and need no schema change. Moving a protected alias (:func:`set_alias`) first judges
the gates on the target version's source run, with any champion rule reading the alias's
current version (the move has not happened yet); a failing rule refuses the move with
:class:`cairn.errors.GateFailed`, unless ``force=True`` with a ``reason``, which the audit
event of the move records with the rules it overrode.

The store cannot import :mod:`cairn.gates` (it sits below), so the judgement happens here
and the store only records its outcome. A cairn server runs this on its own store for every
client (native and MLflow APIs); a client of a server forwards ``force``/``reason`` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from cairn.errors import CairnError, GateFailed, InvalidInput, NotFound
from cairn.store import registry_validation as rv

if TYPE_CHECKING:
    from cairn.entities import ModelVersion, RegisteredModel
    from cairn.gates import GateSpec
    from cairn.store.base import Store

__all__ = [
    "GATES_TAG",
    "PROTECTED_TAG",
    "alias_gate_failures",
    "clear_gates",
    "get_gates",
    "guarded_set_alias",
    "protect_alias",
    "protected_aliases",
    "set_gates",
    "unprotect_alias",
]

GATES_TAG = "cairn.gates"
PROTECTED_TAG = "cairn.protected_aliases"


def protected_aliases(model: RegisteredModel) -> list[str]:
    """The aliases of ``model`` its gates guard, in order."""
    raw = model.tags.get(PROTECTED_TAG, "")
    return [a for a in (part.strip() for part in raw.split(",")) if a]


def _spec(text: str, name: str) -> GateSpec:
    from cairn.gates import gates_from_text

    return gates_from_text(text, source=f"gates of {name}")


def get_gates(store: Store, name: str) -> str | None:
    """The gates YAML text of registered model ``name``, or None when it has none."""
    return store.registry.get_registered_model(name).tags.get(GATES_TAG)


def set_gates(store: Store, name: str, text: str) -> GateSpec:
    """Give ``name`` the gates of the YAML ``text`` (checked first; InvalidInput otherwise)."""
    store.registry.get_registered_model(name)
    spec = _spec(text, name)
    if len(text) > rv.MAX_TAG_VALUE_LENGTH:
        raise InvalidInput(
            f"the gates file has {len(text)} characters; a model's gates hold at most "
            f"{rv.MAX_TAG_VALUE_LENGTH} (drop comments or merge rules)"
        )
    store.registry.set_registered_model_tag(name, GATES_TAG, text)
    return spec


def clear_gates(store: Store, name: str) -> None:
    """Remove the gates of ``name``; NotFound when it has none."""
    if get_gates(store, name) is None:
        raise NotFound(
            f"registered model {name!r} has no gates (set them with `cairn models gates set`)"
        )
    store.registry.delete_registered_model_tag(name, GATES_TAG)


def protect_alias(store: Store, name: str, alias: str) -> list[str]:
    """Make the gates of ``name`` guard ``alias``; returns the protected aliases."""
    alias = rv.alias_name(alias)
    found = protected_aliases(store.registry.get_registered_model(name))
    if alias not in found:
        found.append(alias)
        store.registry.set_registered_model_tag(name, PROTECTED_TAG, ",".join(found))
    return found


def unprotect_alias(store: Store, name: str, alias: str) -> list[str]:
    """Stop guarding ``alias`` of ``name``; NotFound when it is not protected."""
    alias = rv.alias_name(alias)
    found = protected_aliases(store.registry.get_registered_model(name))
    if alias not in found:
        raise NotFound(f"alias {alias!r} of {name!r} is not protected (protected: {_names(found)})")
    found.remove(alias)
    if found:
        store.registry.set_registered_model_tag(name, PROTECTED_TAG, ",".join(found))
    else:
        store.registry.delete_registered_model_tag(name, PROTECTED_TAG)
    return found


def _names(items: Iterable[str]) -> str:
    return ", ".join(items) or "none"


def alias_gate_failures(store: Store, name: str, alias: str, version: int | str) -> list[str]:
    """Why moving ``alias`` of ``name`` to ``version`` breaks the model's gates: one line per
    failing rule with its numbers; empty when the alias is not protected or every rule holds."""
    from cairn.gates import evaluate

    model = store.registry.get_registered_model(name)
    target = store.registry.get_model_version(name, version)
    text = model.tags.get(GATES_TAG)
    if rv.alias_name(alias) not in protected_aliases(model) or text is None:
        return []
    try:
        spec = _spec(text, name)
    except InvalidInput as err:
        return [
            f"the model's gates do not parse ({err.message}); fix them with `cairn models gates set`"
        ]
    if not target.run_id:
        return [
            f"version {target.version} of {name!r} has no source run, so its gates cannot be "
            "checked; register it from a run (runs:/RUN/path) or force the move with a reason"
        ]
    try:
        report = evaluate(target.run_id, spec, store)
    except CairnError as err:
        return [f"the gates could not be judged on run {target.run_id}: {err.message}"]
    return [
        f"rule {r.rule} {r.text!r}" + (f" [{r.slice}]" if r.slice else "") + f": {r.message}"
        for r in report.results
        if not r.passed
    ]


def guarded_set_alias(
    store: Store,
    name: str,
    alias: str,
    version: int | str,
    *,
    force: bool = False,
    reason: str | None = None,
) -> ModelVersion:
    """Point ``alias`` at ``version`` unless it is protected and the version's run fails the
    model's gates: then GateFailed naming each failing rule, and nothing changes. With
    ``force=True`` and a ``reason`` the alias moves anyway and the audit event records it."""
    alias = rv.alias_name(alias)  # bad input first, whatever the alias guards
    if store.registry.guards_aliases:  # the server judges, for every client alike
        return store.registry.set_alias(name, alias, version, force=force, reason=reason)
    if force and (not isinstance(reason, str) or not reason.strip()):
        raise InvalidInput(
            "forcing an alias past its gates needs a reason (--reason TEXT): the audit trail "
            "records why"
        )
    failures = alias_gate_failures(store, name, alias, version)
    if failures and not force:
        lines = "\n  ".join(failures)
        raise GateFailed(
            f"refused to move protected alias {alias!r} of {name!r} to version {version}: "
            f"{len(failures)} gate check{'s' if len(failures) != 1 else ''} failed\n  {lines}\n"
            "Fix the model, or override with --force --reason TEXT (recorded in the audit trail)"
        )
    if failures:
        return store.registry.set_alias(
            name, alias, version, force=True, reason=reason, failed_rules=failures
        )
    return store.registry.set_alias(name, alias, version)
