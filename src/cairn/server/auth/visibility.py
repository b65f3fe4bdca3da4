"""What a caller may see: list and search endpoints narrow their answers with this."""

from __future__ import annotations

from fastapi import Request


def visible_experiment_ids(request: Request) -> set[str] | None:
    """The experiment ids the caller may read, or None when it may read every experiment.

    None when authentication is off or the caller is an admin; otherwise the auth
    middleware leaves an ``access`` object on the request that knows the caller's grants.
    """
    access = getattr(request.state, "access", None)
    return None if access is None else access.visible_experiment_ids()  # type: ignore[no-any-return]
