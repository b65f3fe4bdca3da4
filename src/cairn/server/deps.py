"""What route handlers get from the application: the store and the settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cairn.store import Store


def get_store(request: Request) -> Store:
    """The process's store, opened at start-up."""
    return request.app.state.store  # type: ignore[no-any-return]


StoreDep = Annotated[Store, Depends(get_store)]
