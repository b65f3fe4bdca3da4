"""A throwaway PostgreSQL cluster (initdb + pg_ctl), or databases on an existing server."""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cairn.testing._base import (
    DatabaseServer,
    check_name,
    free_port,
    has_module,
    private_tempdir,
    tail,
    with_database,
)

_DRIVER = "postgresql+psycopg"


def find_postgres_bin() -> Path | None:
    """Find server binaries: ``$CAIRN_PG_BIN``, newest ``/usr/lib/postgresql/*/bin``, PATH."""
    candidates: list[Path] = []
    if env := os.environ.get("CAIRN_PG_BIN"):
        candidates.append(Path(env))
    candidates.extend(
        sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)] or [0],
            reverse=True,
        )
    )
    if pg_ctl := shutil.which("pg_ctl"):
        candidates.append(Path(pg_ctl).resolve().parent)
    for cand in candidates:
        if (cand / "initdb").is_file() and (cand / "pg_ctl").is_file():
            return cand
    return None


class PostgresCluster(DatabaseServer):
    """A throwaway PostgreSQL cluster on 127.0.0.1: trust auth, durability off, own temp dir."""

    env_url = "CAIRN_TEST_POSTGRES_URL"
    os_user = "postgres"

    def __init__(
        self, bin_dir: str | os.PathLike[str] | None = None, *, url: str | None = None
    ) -> None:
        self.external_url = url if url is not None else (os.environ.get(self.env_url) or None)
        self.bin_dir = Path(bin_dir) if bin_dir is not None else find_postgres_bin()
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.root: Path | None = None
        self._admin: Any = None
        self._created: list[str] = []
        self._lock = threading.Lock()

    @classmethod
    def why_unavailable(cls) -> str | None:
        """Return why no cluster can be had here, or ``None`` when one can."""
        if not has_module("psycopg"):
            return "psycopg is not installed (pip install 'cairn[postgres]')"
        if os.environ.get(cls.env_url):
            return None
        if find_postgres_bin() is None:
            return (
                "no PostgreSQL server binaries (initdb, pg_ctl) in $CAIRN_PG_BIN, "
                "/usr/lib/postgresql/*/bin or on PATH, and CAIRN_TEST_POSTGRES_URL is not set "
                "(on Debian: apt-get install postgresql)"
            )
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(cls.os_user)
            except KeyError:
                return f"running as root, but there is no {cls.os_user!r} OS user to run PostgreSQL"
        return None

    @classmethod
    def available(cls) -> bool:
        """Tell whether a cluster can be started (or an external server is configured)."""
        return cls.why_unavailable() is None

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the maintenance database."""
        if self.external_url:
            name = urlsplit(self.external_url).path.strip("/") or "postgres"
            return with_database(self.external_url, name, _DRIVER)
        if self.port is None:
            raise RuntimeError("the PostgreSQL cluster is not started")
        return f"{_DRIVER}://postgres@{self.host}:{self.port}/postgres"

    def start(self) -> PostgresCluster:
        """Run initdb and start the cluster on a free port, unless an external URL is set."""
        if self.external_url or self.port is not None:
            return self
        if self.bin_dir is None:
            raise RuntimeError(self.why_unavailable() or "no PostgreSQL server binaries")
        self.root = private_tempdir("cairn-pg-", self.os_user if os.geteuid() == 0 else None)
        self._started()
        data, log = self.root / "data", self.root / "postgres.log"
        self._run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")  # fmt: skip
        for attempt in range(3):
            port = free_port()
            opts = (
                f"-p {port} -k {self.root} -c listen_addresses={self.host} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
            )
            try:
                self._run("pg_ctl", "-D", data, "-l", log, "-o", opts, "-w", "-t", "60", "start")
            except RuntimeError:
                if attempt == 2 or "already in use" not in tail(log):
                    raise
            else:
                self.port = port
                break
        return self

    def _run(self, program: str, *args: str | os.PathLike[str], timeout: float = 120) -> None:
        """Run a server binary, as the ``postgres`` OS user when we are root."""
        assert self.bin_dir is not None and self.root is not None
        cmd = [str(self.bin_dir / program), *map(str, args)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        as_user: dict[str, Any] = {}
        if os.geteuid() == 0:
            as_user = {"user": self.os_user, "group": self.os_user, "extra_groups": []}
        proc = subprocess.run(
            cmd, cwd=self.root, env=env, stdin=subprocess.DEVNULL, capture_output=True,
            text=True, timeout=timeout, check=False, **as_user,
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} failed with exit code {proc.returncode}:\n"
                f"{proc.stdout}{proc.stderr}\n{tail(self.root / 'postgres.log')}"
            )

    def _connection(self) -> Any:
        """Return the shared autocommit connection to the maintenance database."""
        if self._admin is None:
            import psycopg

            conninfo = re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", self.url)
            self._admin = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
        return self._admin

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its SQLAlchemy URL."""
        from psycopg import sql

        self.start()
        with self._lock:
            query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(check_name(name)))
            self._connection().execute(query)
            self._created.append(name)
        return with_database(self.url, name, _DRIVER)

    def drop_database(self, name: str) -> None:
        """Drop database ``name``, closing its open connections first."""
        from psycopg import sql

        with self._lock:
            query = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            self._connection().execute(query.format(sql.Identifier(check_name(name))))
            if name in self._created:
                self._created.remove(name)

    def _shutdown(self) -> None:
        """Stop the postmaster (fast mode, else SIGKILL) and delete the folder."""
        if self.root is None:
            return
        data = self.root / "data"
        try:
            if (data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", data, "-m", "fast", "-w", "-t", "30", "stop")
        except (RuntimeError, subprocess.TimeoutExpired):
            with contextlib.suppress(OSError, ValueError, IndexError):
                os.kill(int((data / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
            self.port = None
