"""The tracking server (FastAPI): native API, MLflow-compatible API and UI, over one store."""

from cairn.server.app import ServerSettings, create_app

__all__ = ["ServerSettings", "create_app"]
