"""The real services that cairn's test suite starts: PostgreSQL, MariaDB and moto's S3."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa

from cairn.testing.plugin import unique_database_name
from cairn.testing.services import MariaDBServer, MotoS3Server, PostgresCluster, free_port


def _select_one(url: str) -> int:
    """Connect to ``url`` with SQLAlchemy and return ``select 1``."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("select 1")).scalar_one())
    finally:
        engine.dispose()


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


@pytest.mark.postgres
def test_postgres_cluster_creates_separate_databases() -> None:
    if reason := PostgresCluster.why_unavailable():
        pytest.skip(reason)
    with PostgresCluster(url="") as cluster:
        root = cluster.root
        assert root is not None
        first = cluster.create_database("first")
        second = cluster.create_database("second")
        assert first == f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/first"
        assert second.endswith("/second")
        assert _select_one(first) == 1
        assert _select_one(second) == 1
        engines = [sa.create_engine(first), sa.create_engine(second)]
        try:
            with engines[0].begin() as conn:
                conn.execute(sa.text("create table t (x int)"))
            with engines[1].connect() as conn:
                assert conn.execute(sa.text("select to_regclass('t')")).scalar() is None
        finally:
            for engine in engines:
                engine.dispose()
    assert not root.exists()


@pytest.mark.postgres
def test_postgres_cluster_is_removed_after_an_error() -> None:
    if reason := PostgresCluster.why_unavailable():
        pytest.skip(reason)
    with pytest.raises(ZeroDivisionError), PostgresCluster(url="") as cluster:
        root = cluster.root
        1 / 0  # noqa: B018
    assert root is not None and not root.exists()


def test_database_names_are_checked() -> None:
    with pytest.raises(ValueError, match="not allowed"):
        PostgresCluster(url="postgresql://nobody@127.0.0.1:1/x").create_database('x"; drop')


@pytest.mark.postgres
def test_store_uri_gives_each_test_its_own_postgres_database(
    postgres_cluster: PostgresCluster,
) -> None:
    url = postgres_cluster.create_database(unique_database_name())
    assert _select_one(url) == 1


@pytest.mark.mysql
def test_mariadb_server_creates_databases() -> None:
    if reason := MariaDBServer.why_unavailable():
        pytest.skip(reason)
    with MariaDBServer(url="") as server:
        root = server.root
        url = server.create_database("first")
        assert url == f"mysql+pymysql://root@127.0.0.1:{server.port}/first"
        assert _select_one(url) == 1
        assert _select_one(server.create_database("second")) == 1
    assert root is not None and not root.exists()


def test_store_uri_is_an_empty_database(sql_store_uri: str) -> None:
    engine = sa.create_engine(sql_store_uri)
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


@pytest.mark.s3
def test_moto_s3_server_round_trips_an_object() -> None:
    if reason := MotoS3Server.why_unavailable():
        pytest.skip(reason)
    s3fs = pytest.importorskip("s3fs")
    with MotoS3Server() as server:
        server.create_bucket("cairn-test")
        fs = s3fs.S3FileSystem(**server.storage_options)
        fs.pipe("cairn-test/dir/hello.txt", b"hello")
        assert fs.cat("cairn-test/dir/hello.txt") == b"hello"
        assert fs.ls("cairn-test/dir") == ["cairn-test/dir/hello.txt"]
        names = [b["Name"] for b in server.client().list_buckets()["Buckets"]]
        assert "cairn-test" in names  # moto's state is per process: other tests' buckets too


@pytest.mark.s3
def test_s3_server_fixture(s3_server: MotoS3Server) -> None:
    bucket = s3_server.create_bucket("fixture-bucket")
    s3_server.client().put_object(Bucket=bucket, Key="k", Body=b"v")
    assert s3_server.client().get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


def test_cairn_project_isolates_the_environment(cairn_project: Path) -> None:
    assert Path.cwd() == cairn_project
    assert "CAIRN_TRACKING_URI" not in os.environ
    assert not Path(os.environ["CAIRN_HOME"]).is_relative_to(cairn_project)
    assert list(cairn_project.iterdir()) == []
