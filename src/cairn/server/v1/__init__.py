"""cairn's native API under ``/api/v1``: what :class:`cairn.store.rest.RestStore` speaks."""

from fastapi import APIRouter

from cairn.server.v1 import artifacts, lineage, tracking

router = APIRouter(prefix="/api/v1")
router.include_router(tracking.router)
router.include_router(artifacts.router)
router.include_router(lineage.router)

__all__ = ["router"]
