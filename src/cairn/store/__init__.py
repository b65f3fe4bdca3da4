"""The metadata store: one interface, backends found by URI scheme.

Backends register under the ``cairn.stores`` entry-point group, keyed by URI scheme
(``sqlite``, ``postgresql``, ...), so a third party adds one without touching cairn.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points

from cairn.errors import ConfigError, did_you_mean
from cairn.extras import FILESYSTEM_MODULES, install_hint, missing_optional
from cairn.store.base import Store

__all__ = ["Store", "open_store", "store_schemes"]

_BUILTIN = {
    "sqlite": "cairn.store.sql:SqlStore",
    "postgresql": "cairn.store.sql:SqlStore",
    "postgres": "cairn.store.sql:SqlStore",
    "mysql": "cairn.store.sql:SqlStore",
    "mariadb": "cairn.store.sql:SqlStore",
    "http": "cairn.store.rest:RestStore",
    "https": "cairn.store.rest:RestStore",
}

# Schemes people reach for that name something other than a metadata store.
_NOT_A_STORE = {
    "file": "for a local store use sqlite:///PATH/cairn.db or the bare folder path",
    **dict.fromkeys(
        FILESYSTEM_MODULES,
        "object stores hold artifacts, not metadata: set CAIRN_ARTIFACT_ROOT to this URL "
        "and keep a sqlite, postgresql or http(s) tracking URI",
    ),
}


def _scheme(uri: str) -> str:
    scheme, sep, _ = uri.partition("://")
    if not sep:
        raise ConfigError(
            f"tracking URI {uri!r} has no scheme; expected sqlite:///PATH, postgresql://..., "
            "or http(s)://HOST:PORT"
        )
    return scheme.split("+", 1)[0].lower()


def store_schemes() -> dict[str, str]:
    """Every known scheme and the ``module:Class`` that serves it (plugins included)."""
    found = dict(_BUILTIN)
    for ep in entry_points(group="cairn.stores"):
        found.setdefault(ep.name, ep.value)
    return found


def _load(target: str, scheme: str) -> type[Store]:
    module, _, attr = target.partition(":")
    try:
        return getattr(import_module(module), attr)  # type: ignore[no-any-return]
    except ImportError as exc:
        missing = missing_optional(exc)
        if missing is None:
            raise
        raise ConfigError(
            f"{scheme}:// tracking URIs need the {missing} package: {install_hint(missing)}"
        ) from exc


def open_store(uri: str, artifact_root: str | None = None) -> Store:
    """The store for a URI (``sqlite:///...``, ``postgresql://...``, a plugin's scheme)."""
    scheme = _scheme(uri)
    if scheme in _BUILTIN:
        return _load(_BUILTIN[scheme], scheme)(uri, artifact_root=artifact_root)  # type: ignore[call-arg]
    for ep in entry_points(group="cairn.stores"):
        if ep.name == scheme:
            return ep.load()(uri, artifact_root=artifact_root)  # type: ignore[no-any-return]
    known = store_schemes()
    advice = _NOT_A_STORE.get(scheme)
    raise ConfigError(
        f"no store handles URI scheme {scheme!r} (from {uri!r}); "
        + (f"{advice}." if advice else f"known schemes: {', '.join(sorted(known))}.")
        + did_you_mean(scheme, known)
    )
