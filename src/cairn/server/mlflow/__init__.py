"""MLflow's REST API (``/api/2.0/mlflow``, ``/api/2.0/mlflow-artifacts``) over cairn's store."""

from fastapi import APIRouter

router = APIRouter()

__all__ = ["router"]
