"""cairn's native API under ``/api/v1``: what :class:`cairn.store.rest.RestStore` speaks."""

from fastapi import APIRouter

from cairn.server.v1 import artifacts, tracking

router = APIRouter(prefix="/api/v1")
router.include_router(tracking.router)
router.include_router(artifacts.router)

__all__ = ["router"]
