"""A throwaway MariaDB (or MySQL) server in a temp datadir, or databases on an existing one."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
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

_DRIVER = "mysql+pymysql"
_SBIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/libexec", "/usr/local/bin", "/usr/bin")
# Durability off and an 8 MB redo log: a 26 MB datadir (not 114 MB), installed ~0.5 s faster.
_FAST = [
    "--innodb-flush-log-at-trx-commit=0", "--skip-innodb-doublewrite",
    "--innodb-flush-method=nosync", "--innodb-log-file-size=8M", "--innodb-buffer-pool-size=64M",
]  # fmt: skip


def _which(names: Sequence[str]) -> Path | None:
    """Find the first of ``names`` in ``$CAIRN_MYSQL_BIN``, on PATH or in the sbin folders."""
    dirs = [os.environ.get("CAIRN_MYSQL_BIN", ""), os.environ.get("PATH", ""), *_SBIN_DIRS]
    search = os.pathsep.join(d for d in dirs if d)
    for name in names:
        if found := shutil.which(name, path=search):
            return Path(found)
    return None


def find_mysql_server() -> Path | None:
    """Find the ``mariadbd`` (or ``mysqld``) binary."""
    return _which(["mariadbd", "mysqld"])


class MariaDBServer(DatabaseServer):
    """A throwaway MariaDB/MySQL server on 127.0.0.1 whose ``root`` has no password."""

    env_url = "CAIRN_TEST_MYSQL_URL"

    def __init__(self, *, url: str | None = None) -> None:
        self.external_url = url if url is not None else (os.environ.get(self.env_url) or None)
        self.server_bin = find_mysql_server()
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.root: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._admin: Any = None
        self._created: list[str] = []
        self._lock = threading.Lock()

    @classmethod
    def why_unavailable(cls) -> str | None:
        """Return why no server can be had here, or ``None`` when one can."""
        if not has_module("pymysql"):
            return "pymysql is not installed (pip install 'cairn[mysql]')"
        if os.environ.get(cls.env_url) or find_mysql_server() is not None:
            return None
        return (
            "no MariaDB/MySQL server binary (mariadbd, mysqld) found and CAIRN_TEST_MYSQL_URL "
            "is not set (on Debian: apt-get install mariadb-server)"
        )

    @classmethod
    def available(cls) -> bool:
        """Tell whether a server can be started (or an external server is configured)."""
        return cls.why_unavailable() is None

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the server, without a database."""
        if self.external_url:
            return with_database(self.external_url, "", _DRIVER)
        if self.port is None:
            raise RuntimeError("the MariaDB server is not started")
        return f"{_DRIVER}://root@{self.host}:{self.port}"

    def start(self) -> MariaDBServer:
        """Initialize a datadir and start the server on a free port, unless a URL is set."""
        if self.external_url or self.port is not None:
            return self
        if self.server_bin is None:
            raise RuntimeError(self.why_unavailable() or "no MariaDB/MySQL server binary")
        self.root = private_tempdir("cairn-my-")
        self._started()
        mysql = self._is_oracle_mysql()
        self._initialize(mysql)
        for attempt in range(3):
            port = free_port()
            if self._launch(port, mysql):
                self.port = port
                return self
            if attempt == 2 or "in use" not in tail(self.root / "error.log"):
                break
        raise RuntimeError(f"the MariaDB server did not start:\n{tail(self.root / 'error.log')}")

    def _user_args(self) -> list[str]:
        """Return ``--user=root`` when we are root (the server refuses root otherwise)."""
        return ["--user=root"] if os.geteuid() == 0 else []

    def _is_oracle_mysql(self) -> bool:
        """Tell whether the server binary is Oracle MySQL rather than MariaDB."""
        assert self.server_bin is not None
        out = subprocess.run(
            [self.server_bin, "--version"], capture_output=True, text=True, check=False
        )
        return "mariadb" not in (out.stdout + out.stderr).lower()

    def _initialize(self, mysql: bool) -> None:
        """Create the system tables in a fresh datadir."""
        assert self.server_bin is not None and self.root is not None
        data = f"--datadir={self.root / 'data'}"
        install = _which(["mariadb-install-db", "mysql_install_db"])
        if mysql or install is None:
            cmd = [str(self.server_bin), "--no-defaults", "--initialize-insecure", data]
        else:
            cmd = [str(install), "--no-defaults", data, "--skip-test-db", "--skip-name-resolve",
                   "--auth-root-authentication-method=normal", *_FAST]  # fmt: skip
        cmd += self._user_args()
        proc = subprocess.run(
            cmd, cwd=self.root, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}{proc.stderr}")

    def _launch(self, port: int, mysql: bool) -> bool:
        """Start the server on ``port`` and wait until root can connect over TCP."""
        assert self.server_bin is not None and self.root is not None
        root = self.root
        cmd = [
            str(self.server_bin), "--no-defaults", f"--datadir={root / 'data'}",
            f"--port={port}", f"--bind-address={self.host}", f"--socket={root / 'mysql.sock'}",
            f"--pid-file={root / 'server.pid'}", f"--log-error={root / 'error.log'}",
            f"--tmpdir={root}", "--skip-log-bin", "--performance-schema=OFF",
            "--character-set-server=utf8mb4", "--max-connections=300", *self._user_args(),
        ]  # fmt: skip
        if not mysql:  # MySQL's --initialize-insecure only knows root@localhost
            cmd += ["--skip-name-resolve", *_FAST]
        self._proc = subprocess.Popen(
            cmd, cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        import pymysql

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self._proc.poll() is None:
            try:
                pymysql.connect(host=self.host, port=port, user="root", connect_timeout=2).close()
            except pymysql.err.OperationalError:
                time.sleep(0.1)
            else:
                return True
        self._terminate()
        return False

    def _connection(self) -> Any:
        """Return the shared autocommit maintenance connection."""
        if self._admin is None:
            import pymysql

            parts = urlsplit(self.url)
            self._admin = pymysql.connect(
                host=parts.hostname or self.host, port=parts.port or 3306,
                user=parts.username or "root", password=parts.password or "",
                autocommit=True, connect_timeout=10,
            )  # fmt: skip
            with self._admin.cursor() as cur:  # a DROP blocked by a leaked transaction fails
                cur.execute("SET SESSION lock_wait_timeout = 30")
        return self._admin

    def create_database(self, name: str) -> str:
        """Create database ``name`` (utf8mb4) and return its SQLAlchemy URL."""
        self.start()
        with self._lock, self._connection().cursor() as cur:
            cur.execute(f"CREATE DATABASE `{check_name(name)}` CHARACTER SET utf8mb4")
            self._created.append(name)
        return with_database(self.url, name, _DRIVER)

    def drop_database(self, name: str) -> None:
        """Drop database ``name``."""
        with self._lock, self._connection().cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{check_name(name)}`")
            if name in self._created:
                self._created.remove(name)

    def _shutdown(self) -> None:
        """Stop our server process and delete its folder."""
        self._terminate()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
        self.root = None
        self.port = None

    def _terminate(self) -> None:
        """Shut the server process down: SIGTERM, then SIGKILL after 30 s."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
