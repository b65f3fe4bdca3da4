"""Artifact storage on any fsspec filesystem."""

from cairn.artifacts.base import Artifacts
from cairn.artifacts.paths import clean_artifact_path
from cairn.artifacts.store import ArtifactStore, open_artifact_store

__all__ = ["ArtifactStore", "Artifacts", "clean_artifact_path", "open_artifact_store"]
