"""The store over HTTP: a client of ``cairn server``'s native API."""

from cairn.store.rest.store import RestStore

__all__ = ["RestStore"]
