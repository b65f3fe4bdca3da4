"""MLflow's REST API (``/api/2.0/mlflow``, ``/api/2.0/mlflow-artifacts``) over cairn's store.

The unmodified MLflow client works against ``cairn server``: experiments, runs and their
logging, metric histories, artifacts through the proxy, MLflow 3's logged models and the model registry. Field
names, error codes and statuses are MLflow's (see :mod:`.route`); MLflow's system tags map
onto cairn's (see :mod:`.tags`); artifact URIs are the proxy's (see :mod:`.locations`).
"""

from fastapi import APIRouter

from cairn.server.mlflow import (
    artifacts,
    experiments,
    history,
    logged_models,
    registry,
    run_logging,
    runs,
    server_info,
)

tracking = APIRouter(prefix="/api/2.0/mlflow")
for part in (experiments, runs, run_logging, history, logged_models):
    tracking.include_router(part.router)
tracking.include_router(artifacts.listing)
tracking.include_router(registry.models)
tracking.include_router(registry.versions)

router = APIRouter()
router.include_router(tracking)
router.include_router(artifacts.proxy)
router.include_router(server_info.router)

__all__ = ["router"]
