"""Test support shared by cairn's own tests and its users': real services and pytest fixtures.

The fixtures live in :mod:`cairn.testing.plugin`, which pytest loads through the ``pytest11``
entry point once cairn is installed; this package itself never imports pytest.
"""

from __future__ import annotations

from cairn.testing.services import MariaDBServer, MotoS3Server, PostgresCluster, free_port

__all__ = ["MariaDBServer", "MotoS3Server", "PostgresCluster", "free_port"]
