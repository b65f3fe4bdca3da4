"""Real services for tests and benchmarks: PostgreSQL, MariaDB/MySQL and moto's S3 server.

Each class is a context manager that starts its service on entry and, on exit (also after an
error or ``KeyboardInterrupt``, and at interpreter exit as a last resort), stops it and deletes
everything it created. Nothing here imports pytest, so benchmarks can use it too::

    with PostgresCluster() as pg:
        url = pg.create_database("bench")   # postgresql+psycopg://postgres@127.0.0.1:PORT/bench

``CAIRN_TEST_POSTGRES_URL`` / ``CAIRN_TEST_MYSQL_URL`` point the database classes at an
existing server instead: they then create databases there and drop them on exit.
``CAIRN_PG_BIN`` / ``CAIRN_MYSQL_BIN`` name the folder holding the server binaries.
"""

from __future__ import annotations

from cairn.testing._base import free_port
from cairn.testing._mariadb import MariaDBServer
from cairn.testing._moto import MotoS3Server
from cairn.testing._postgres import PostgresCluster

__all__ = ["MariaDBServer", "MotoS3Server", "PostgresCluster", "free_port"]
