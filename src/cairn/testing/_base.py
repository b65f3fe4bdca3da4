"""What the service classes share: ports, temp folders, URL surgery and the lifecycle."""

from __future__ import annotations

import abc
import atexit
import contextlib
import importlib.util
import re
import shutil
import socket
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_S = TypeVar("_S", bound="Service")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_name(name: str) -> str:
    """Return ``name`` if it is a plain SQL identifier, else raise ``ValueError``."""
    if not _NAME.fullmatch(name):
        raise ValueError(
            f"database name {name!r} is not allowed: use letters, digits and '_' "
            "(not starting with a digit), at most 63 characters"
        )
    return name


def has_module(name: str) -> bool:
    """Tell whether module ``name`` can be imported."""
    return importlib.util.find_spec(name) is not None


def tail(path: Path, lines: int = 20) -> str:
    """Return the last lines of a log file, or a note that it is missing."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def _traversable(path: Path) -> bool:
    """Tell whether every folder up to ``path`` can be entered by other users."""
    return all(p.stat().st_mode & 0o001 for p in [path, *path.parents])


def private_tempdir(prefix: str, owner: str | None = None) -> Path:
    """Make a temp folder, owned by OS user ``owner`` when given, that the owner can reach."""
    base = Path(tempfile.gettempdir()).resolve()
    if owner is not None and not _traversable(base):
        base = Path("/tmp")
    root = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    if owner is not None:
        shutil.chown(root, owner, owner)
    return root


def with_database(url: str, name: str, scheme: str) -> str:
    """Return ``url`` with its scheme replaced by ``scheme`` and its database by ``name``."""
    parts = urlsplit(url)
    return urlunsplit((scheme, parts.netloc, f"/{name}" if name else "", parts.query, ""))


class Service(abc.ABC):
    """A context manager that starts a service on entry and stops and cleans it up on exit."""

    @abc.abstractmethod
    def start(self: _S) -> _S:
        """Start the service (idempotent) and return it."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop the service and delete what it created (idempotent)."""

    def _started(self) -> None:
        """Register ``stop`` to run at interpreter exit, should nobody else call it."""
        atexit.register(self.stop)

    def _stopped(self) -> None:
        """Drop the atexit safety net."""
        atexit.unregister(self.stop)

    def __enter__(self: _S) -> _S:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class DatabaseServer(Service):
    """A database service: its own server, or databases made on an external one.

    Subclasses set ``external_url``, ``_admin`` (an admin connection or None) and ``_created``
    (databases made on an external server), and implement :meth:`drop_database` and
    :meth:`_shutdown` (stop the server they started and delete its folder).
    """

    external_url: str | None
    _admin: Any
    _created: list[str]

    @abc.abstractmethod
    def drop_database(self, name: str) -> None:
        """Drop database ``name``."""

    @abc.abstractmethod
    def _shutdown(self) -> None:
        """Stop the server this object started, if any, and delete its files."""

    def stop(self) -> None:
        """Drop what we created on an external server, or stop and delete our own server."""
        try:
            if self.external_url:
                for name in list(self._created):
                    self.drop_database(name)
        finally:
            if self._admin is not None:
                with contextlib.suppress(OSError):
                    self._admin.close()
                self._admin = None
            self._shutdown()
            self._stopped()
