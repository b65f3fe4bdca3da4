"""What a caller may see: list and search endpoints narrow their answers with this."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request


def visible_experiment_ids(request: Request) -> set[str] | None:
    """The experiment ids the caller may read, or None when it may read every experiment.

    None when authentication is off or the caller is an admin; otherwise the auth
    middleware leaves an ``access`` object on the request that knows the caller's grants.
    """
    access = getattr(request.state, "access", None)
    return None if access is None else access.visible_experiment_ids()  # type: ignore[no-any-return]


def model_reader(request: Request) -> Callable[[str], bool]:
    """Whether the caller may read the registered model of a given name (always, without
    authentication); registry searches drop the models it refuses."""
    access = getattr(request.state, "access", None)
    if access is None:
        return lambda _name: True
    from cairn.store.sql.auth import Permission

    return lambda name: bool(access.allows(("registered_model", name), Permission.READ))


def grant_renamed_model(request: Request, new_name: str) -> None:
    """Give the caller who renamed a registered model MANAGE on its new name (grants are
    kept by name)."""
    access = getattr(request.state, "access", None)
    if access is not None and not access.is_admin:
        access.grant_creator(("registered_model", new_name))
