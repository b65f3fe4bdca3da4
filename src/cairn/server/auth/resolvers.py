"""Finding the resources a request is about, from its path, query string and JSON body.

Ids are read as the store reads them (``"01"`` is experiment 1, run ids in any case), so a
request cannot name one resource to the check and another to the route. A resolver returns
the resources to check, an empty list when the request names a
resource that does not exist (the route then answers 404 itself), or None when the request
does not say which resource it means (the caller is refused unless an admin). A field is
read from every place it may appear, path, query and body, and every value found is
checked; so a request cannot pass with one value in the query and act on another in the body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cairn.errors import InvalidInput, InvalidPath, NotFound
from cairn.server.auth.access import Resource
from cairn.server.paths import checked_artifact_path
from cairn.server.v1.artifact_staging import Staging
from cairn.store.model_validation import validate_model_id
from cairn.store.monitor_validation import registered_model_of
from cairn.store.sql.auth import SqlAuthRepository
from cairn.store.validation import validate_experiment_id, validate_run_id


@dataclass
class RequestFacts:
    """What rules may read of a request: path parameters, query items and the JSON body."""

    path_params: dict[str, Any]
    query: list[tuple[str, str]]
    body: Any = None

    def values(self, names: Iterable[str]) -> list[str]:
        """Every non-empty value given under any of ``names``, lists flattened.

        A dotted name reaches into the body (``metrics.model_id``: the ``model_id`` of every
        item of ``metrics``). Empty values count as absent, as the routes read them.
        """
        found: list[str] = []
        for name in names:
            if name in self.path_params:
                found.append(str(self.path_params[name]))
            found.extend(value for key, value in self.query if key == name)
            found.extend(str(item) for item in _dig(self.body, name.split(".")))
        return [value for value in found if value]


def _dig(node: Any, parts: list[str]) -> list[Any]:
    """The values at a dotted path of a JSON body, stepping through lists."""
    if isinstance(node, list):
        return [found for item in node for found in _dig(item, parts)]
    if not parts:
        return [] if node is None else [node]
    if not isinstance(node, dict) or parts[0] not in node:
        return []
    return _dig(node[parts[0]], parts[1:])


@dataclass
class Lookups:
    """Store reads the resolvers need, with a cache of run -> experiment (runs never move)."""

    auth: SqlAuthRepository
    artifact_root: str
    run_experiments: dict[str, str] = field(default_factory=dict)

    def experiment_of_run(self, raw: str) -> str | None:
        """The experiment holding the run ``raw`` names (as the store reads it), or None."""
        try:
            run_id = validate_run_id(raw)
        except InvalidInput:
            return None  # the route refuses it
        found = self.run_experiments.get(run_id)
        if found is None:
            found = self.auth.run_experiment_id(run_id)
            if found is not None:
                if len(self.run_experiments) > 100_000:
                    self.run_experiments.clear()
                self.run_experiments[run_id] = found
        return found


Resolver = Callable[[RequestFacts, Lookups], list[Resource] | None]


def experiment_key(value: str) -> str:
    """An experiment id as the store reads it (``"01"`` is experiment 1); odd text unchanged."""
    try:
        return str(validate_experiment_id(value))
    except InvalidInput:
        return value  # the route refuses it


def _named(values: list[str], optional: bool) -> bool:
    return bool(values) or optional


def experiment(*names: str, optional: bool = False, default: str | None = None) -> Resolver:
    """The experiments whose ids are given under ``names`` (or ``default`` when none is)."""

    def resolve(facts: RequestFacts, _lookups: Lookups) -> list[Resource] | None:
        values = facts.values(names)
        if not values and default is not None:
            values = [default]
        if not _named(values, optional):
            return None
        return [("experiment", experiment_key(value)) for value in values]

    return resolve


def experiment_named(*names: str, optional: bool = False) -> Resolver:
    """The experiments whose names are given under ``names`` (unknown names resolve to none)."""

    def resolve(facts: RequestFacts, lookups: Lookups) -> list[Resource] | None:
        values = facts.values(names)
        if not _named(values, optional):
            return None
        ids = (lookups.auth.experiment_id_named(value) for value in values)
        return [("experiment", found) for found in ids if found is not None]

    return resolve


def run(*names: str, optional: bool = False) -> Resolver:
    """The experiments holding the runs whose ids are given under ``names``."""

    def resolve(facts: RequestFacts, lookups: Lookups) -> list[Resource] | None:
        values = facts.values(names)
        if not _named(values, optional):
            return None
        ids = (lookups.experiment_of_run(value) for value in values)
        return [("experiment", found) for found in ids if found is not None]

    return resolve


def logged_model(*names: str, optional: bool = False) -> Resolver:
    """The experiments holding the logged models whose ids are given under ``names``."""

    def resolve(facts: RequestFacts, lookups: Lookups) -> list[Resource] | None:
        values = facts.values(names)
        if not _named(values, optional):
            return None
        found: list[Resource] = []
        for value in values:
            try:
                experiment_id = lookups.auth.logged_model_experiment_id(validate_model_id(value))
            except InvalidInput:
                continue  # the route refuses it
            if experiment_id is not None:
                found.append(("experiment", experiment_id))
        return found

    return resolve


def registered_model(*names: str, optional: bool = False) -> Resolver:
    """The registered models named under ``names``."""

    def resolve(facts: RequestFacts, _lookups: Lookups) -> list[Resource] | None:
        values = facts.values(names)
        if not _named(values, optional):
            return None
        return [("registered_model", value) for value in values]

    return resolve


def user(*names: str) -> Resolver:
    """The accounts named under ``names`` (each is its owner's to manage)."""

    def resolve(facts: RequestFacts, _lookups: Lookups) -> list[Resource] | None:
        values = facts.values(names)
        return [("user", value) for value in values] if values else None

    return resolve


def token_owner(name: str) -> Resolver:
    """The account owning the API token whose id is given under ``name``."""

    def resolve(facts: RequestFacts, lookups: Lookups) -> list[Resource] | None:
        values = facts.values([name])
        if not values:
            return None
        owners: list[Resource] = []
        for value in values:
            if not (value.isascii() and value.isdigit()):
                continue  # the route refuses it
            try:
                owners.append(("user", lookups.auth.get_token(int(value)).username))
            except NotFound:
                continue  # the route answers 404
        return owners

    return resolve


def mlflow_artifact_path(*names: str) -> Resolver:
    """The experiment and run named by an MLflow proxied artifact path.

    Those paths read ``<experiment_id>/<run_id>/artifacts/...`` once cleaned as the route
    cleans them; the experiment is checked, and so is the run's own experiment when the
    second part names a known run. A path naming no experiment (the root listing) resolves
    to nothing, which only admins pass.
    """

    def resolve(facts: RequestFacts, lookups: Lookups) -> list[Resource] | None:
        found: list[Resource] = []
        for value in facts.values(names):
            try:
                parts = [part for part in checked_artifact_path(value).split("/") if part]
            except InvalidPath:
                continue  # the route refuses it
            if not parts:
                return None
            found.append(("experiment", experiment_key(parts[0])))
            if len(parts) > 1:
                run_experiment = lookups.experiment_of_run(parts[1])
                if run_experiment is not None:
                    found.append(("experiment", run_experiment))
        return found or None

    return resolve


def upload(name: str) -> Resolver:
    """The experiment of the run a staged artifact upload (named under ``name``) writes to."""

    def resolve(facts: RequestFacts, lookups: Lookups) -> list[Resource] | None:
        values = facts.values([name])
        if not values:
            return None
        found: list[Resource] = []
        for value in values:
            try:
                run_id = Staging(lookups.artifact_root).load(value).run_id
            except (NotFound, InvalidInput):
                continue  # the route answers 404 or 400
            experiment_id = lookups.experiment_of_run(run_id)
            if experiment_id is not None:
                found.append(("experiment", experiment_id))
        return found

    return resolve


def monitor_model(*names: str) -> Resolver:
    """The registered models of the monitor model references (``name``, ``name@alias``,
    ``name/3``) given under ``names``."""

    def resolve(facts: RequestFacts, _lookups: Lookups) -> list[Resource] | None:
        values = facts.values(names)
        if not values:
            return None
        return [("registered_model", registered_model_of(value)) for value in values]

    return resolve


def monitor(*names: str, optional: bool = False) -> Resolver:
    """The registered models watched by the monitors named under ``names`` (unknown
    monitors resolve to none)."""

    def resolve(facts: RequestFacts, lookups: Lookups) -> list[Resource] | None:
        values = facts.values(names)
        if not _named(values, optional):
            return None
        models = (lookups.auth.monitor_model(value) for value in values)
        return [("registered_model", found) for found in models if found is not None]

    return resolve


def monitor_alert(name: str) -> Resolver:
    """The registered model watched by the monitor of the alert whose id is under ``name``."""

    def resolve(facts: RequestFacts, lookups: Lookups) -> list[Resource] | None:
        values = facts.values([name])
        if not values:
            return None
        found: list[Resource] = []
        for value in values:
            if value.isascii() and value.isdigit():
                model = lookups.auth.alert_monitor_model(int(value))
                if model is not None:
                    found.append(("registered_model", model))
        return found

    return resolve
