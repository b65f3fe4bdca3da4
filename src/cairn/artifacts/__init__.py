"""Artifact storage on any fsspec filesystem."""

from cairn.artifacts.paths import clean_artifact_path
from cairn.artifacts.store import ArtifactStore, open_artifact_store

__all__ = ["ArtifactStore", "clean_artifact_path", "open_artifact_store"]
