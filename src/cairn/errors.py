"""The one exception tree of cairn.

Every error a user can meet derives from :class:`CairnError`. Each class carries a stable
``code`` (also MLflow's ``error_code`` on the compatible REST API), the ``http_status`` the
server answers with, and the ``exit_code`` the CLI exits with::

    CairnError                      INTERNAL_ERROR         500  exit 1
    ├── InvalidInput (ValueError)   INVALID_PARAMETER_VALUE 400 exit 1
    │   ├── InvalidKey                                     (a param/metric/tag key)
    │   ├── InvalidFilter           (a search filter string, with the offending position)
    │   ├── InvalidPath             (an artifact path that is absolute, has ``..`` or escapes)
    │   ├── ParamOverwrite          (a param logged again with another value)
    │   └── SensitiveData           (sensitive columns met under the ``block`` data policy)
    ├── NotFound (LookupError)      RESOURCE_DOES_NOT_EXIST 404 exit 1
    ├── AlreadyExists               RESOURCE_ALREADY_EXISTS 409 exit 1
    ├── InvalidState                INVALID_STATE          400 exit 1
    │   └── GateFailed              INVALID_STATE          409 exit 1 (a protected alias's gates fail)
    ├── Unauthenticated             UNAUTHENTICATED        401 exit 1 (no or bad credentials)
    ├── PermissionDenied            PERMISSION_DENIED      403 exit 1
    ├── StoreError                  (the database or a backend failed)
    │   └── StoreBusy               TEMPORARILY_UNAVAILABLE 503 exit 1
    ├── ArtifactError               (the artifact backend failed)
    ├── ConfigError                 INVALID_PARAMETER_VALUE 400 exit 1 (a URI or setting)
    └── DataError                   (data versioning: the cache, pointers, remotes)
        ├── CorruptObject           CORRUPT_OBJECT         500 exit 1 (bytes do not match the oid)
        ├── ObjectMissing (NotFound) RESOURCE_DOES_NOT_EXIST 404 exit 1
        ├── RemoteError             (a data remote failed to read or write)
        └── DataLocked              TEMPORARILY_UNAVAILABLE 503 exit 1 (another command holds the lock)

Foreign errors (SQLAlchemy, fsspec, OS) are mapped once, where they are met, with
``raise ... from``; nothing outside this module defines a new exception base.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import ClassVar

__all__ = [
    "AlreadyExists",
    "ArtifactError",
    "CairnError",
    "ConfigError",
    "CorruptObject",
    "DataError",
    "DataLocked",
    "GateFailed",
    "InvalidFilter",
    "InvalidInput",
    "InvalidKey",
    "InvalidPath",
    "InvalidState",
    "NotFound",
    "ObjectMissing",
    "ParamOverwrite",
    "PermissionDenied",
    "RemoteError",
    "SensitiveData",
    "StoreBusy",
    "StoreError",
    "Unauthenticated",
    "did_you_mean",
    "error_from_code",
]


class CairnError(Exception):
    """Base of every cairn error: a message plus a stable code, HTTP status and exit code."""

    code: ClassVar[str] = "INTERNAL_ERROR"
    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        """The JSON form used by the server and ``--json`` output.

        ``error_type`` names the class when it is more precise than the code (for example
        ``ParamOverwrite`` under ``INVALID_PARAMETER_VALUE``), so a client rebuilds it.
        """
        found: dict[str, str] = {"error_code": self.code, "message": self.message}
        if type(self).__bases__[0] is not CairnError and type(self) is not CairnError:
            found["error_type"] = type(self).__name__
        return found


class InvalidInput(CairnError, ValueError):
    """A value given by the user is not acceptable."""

    code = "INVALID_PARAMETER_VALUE"
    http_status = 400


class InvalidKey(InvalidInput):
    """A param, metric or tag key that breaks the naming rules."""


class InvalidFilter(InvalidInput):
    """A search filter or order-by string that does not parse; ``position`` points at the token."""

    def __init__(self, message: str, text: str = "", position: int | None = None) -> None:
        if position is not None and text:
            pointer = " " * position + "^"
            message = f"{message}\n  {text}\n  {pointer}"
        super().__init__(message)
        self.text = text
        self.position = position


class InvalidPath(InvalidInput):
    """An artifact or data path that is absolute, climbs with ``..`` or escapes through a link."""


class ParamOverwrite(InvalidInput):
    """A param was logged again with a different value (params are immutable)."""

    @classmethod
    def of(cls, run_id: str, key: str, before: str, after: str) -> ParamOverwrite:
        """The error for ``key`` of ``run_id`` changing from ``before`` to ``after``."""
        return cls(
            f"param {key!r} of run {run_id} is {before!r} already and cannot change to "
            f"{after!r}: params are immutable. Start a new run, or log the new value under "
            "another key"
        )


class SensitiveData(InvalidInput):
    """Data about to be logged holds sensitive columns and the project's policy is ``block``."""


class NotFound(CairnError, LookupError):
    """The experiment, run, artifact or other resource does not exist."""

    code = "RESOURCE_DOES_NOT_EXIST"
    http_status = 404


class AlreadyExists(CairnError):
    """A resource with that name or id exists already."""

    code = "RESOURCE_ALREADY_EXISTS"
    http_status = 409


class InvalidState(CairnError):
    """The resource is in a state that forbids the operation (e.g. logging to a deleted run)."""

    code = "INVALID_STATE"
    http_status = 400


class GateFailed(InvalidState):
    """A protected alias would move to a version whose run fails the model's quality gates."""

    http_status = 409


class Unauthenticated(CairnError):
    """The request carries no credentials, or ones the server does not accept."""

    code = "UNAUTHENTICATED"
    http_status = 401


class PermissionDenied(CairnError):
    """The caller is known but may not do this to this resource."""

    code = "PERMISSION_DENIED"
    http_status = 403


class StoreError(CairnError):
    """The metadata store failed for a reason that is not the caller's input."""


class StoreBusy(StoreError):
    """The store stayed locked or unreachable for longer than the retry budget."""

    code = "TEMPORARILY_UNAVAILABLE"
    http_status = 503


class ArtifactError(CairnError):
    """The artifact backend failed to read or write."""


class ConfigError(CairnError):
    """A tracking URI, setting or plugin is wrong or unknown."""

    code = "INVALID_PARAMETER_VALUE"
    http_status = 400


class DataError(CairnError):
    """Data versioning failed: the object cache, a pointer file or a data remote."""


class CorruptObject(DataError):
    """An object's bytes do not hash to its oid (a flipped byte, a truncated file, nonsense)."""

    code = "CORRUPT_OBJECT"
    http_status = 500


class ObjectMissing(DataError, NotFound):
    """An object is in neither the cache nor the remote asked."""

    code = "RESOURCE_DOES_NOT_EXIST"
    http_status = 404


class RemoteError(DataError):
    """A data remote could not be read or written (unreachable, no credentials, read-only)."""


class DataLocked(DataError):
    """Another cairn data command held the repository's lock for longer than we waited."""

    code = "TEMPORARILY_UNAVAILABLE"
    http_status = 503


def _all_subclasses(cls: type[CairnError]) -> Iterable[type[CairnError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def error_from_code(code: str, message: str, error_type: str | None = None) -> CairnError:
    """Rebuild an error received over the wire: its exact class when ``error_type`` names
    one with that code, else the most general class for the code."""
    candidates: list[type[CairnError]] = [CairnError, *_all_subclasses(CairnError)]
    for cls in candidates:
        if cls.__name__ == error_type and cls.code == code:
            return cls(message)
    for cls in candidates:
        if cls.code == code and cls.__bases__[0] is CairnError:
            return cls(message)
    return CairnError(message)


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """A ' Did you mean ...?' suffix naming the closest choices, or an empty string."""
    close = difflib.get_close_matches(value, list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"
