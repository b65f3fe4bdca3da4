"""``HttpArtifactStore`` against a live server: the same answers as the local store, big files
in resumable parts, and transfers that survive dropped connections."""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import blake3
import httpx
import pytest

from cairn.artifacts import ArtifactStore
from cairn.artifacts.http import HttpArtifactStore
from cairn.artifacts.paths import file_facts
from cairn.errors import InvalidPath, InvalidState, NotFound
from cairn.server import ServerSettings
from cairn.server.live import LiveServer
from cairn.store import open_store
from cairn.store.rest.transport import make_client

MiB = 1 << 20


def digest_of(path: Path) -> str:
    return str(file_facts(path)["blake3"])


class Remote:
    """A live server, a run on it, and the run's files seen both ways."""

    def __init__(self, settings: ServerSettings) -> None:
        self.server = LiveServer(settings).start()
        self.store = open_store(
            settings.backend_store_uri, artifact_root=settings.artifacts_destination
        )
        run = self.store.runs.create_run(self.store.experiments.create_experiment("e"), "t")
        self.run_id, self.root_uri = run.info.run_id, run.info.artifact_uri
        self.sent: list[httpx.Request] = []
        self.clients: list[httpx.Client] = []
        self.files = self.store_at(self.server.url)
        self.local = ArtifactStore(self.root_uri)

    def store_at(self, url: str) -> HttpArtifactStore:
        """A new client (as a new process would have) talking to ``url``, recording requests."""
        client = make_client(url)
        client.event_hooks["request"].append(self.sent.append)
        self.clients.append(client)
        return HttpArtifactStore(client, self.run_id, self.root_uri)

    def requests(self, word: str) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.sent if word in r.url.path]

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.store.close()
        self.server.stop()


@pytest.fixture
def remote(tmp_path) -> Iterator[Remote]:
    remote = Remote(ServerSettings(f"sqlite:///{tmp_path / 's.db'}", str(tmp_path / "art")))
    yield remote
    remote.close()


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "weights.bin"
    path.write_bytes(os.urandom(70 * MiB))
    return path


def test_round_trips_give_what_the_local_store_gives(remote, tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.bin").write_bytes(os.urandom(300_000))
    (src / "sub" / "empty").write_bytes(b"")
    files = remote.files

    assert files.log_bytes(b"{}", "config/params.json") == "config/params.json"
    assert files.log_file(src / "a.txt", "docs") == "docs/a.txt"
    assert files.log_file(src / "a.txt") == "a.txt"
    assert files.log_dir(src, "tree") == ["tree/a.txt", "tree/sub/b.bin", "tree/sub/empty"]

    for path in (None, "", "tree", "tree/sub", "tree/sub/b.bin", "missing"):
        assert files.list(path) == remote.local.list(path), path
        assert files.walk(path) == remote.local.walk(path), path
    for path in ("tree", "tree/sub/empty", "a.txt"):
        assert files.exists(path)
    assert not files.exists("nope") and not files.exists("tree/nope")
    assert files.uri_of("tree/a.txt") == remote.local.uri_of("tree/a.txt")
    assert files.read_bytes("config/params.json") == b"{}"
    assert files.read_bytes("tree/sub/empty") == b""

    one = files.download("tree/sub/b.bin", tmp_path / "one")
    assert one == tmp_path / "one" / "b.bin"
    assert digest_of(one) == digest_of(src / "sub" / "b.bin")
    whole = files.download("tree", tmp_path / "whole")
    assert whole == tmp_path / "whole" / "tree"
    for rel in ("a.txt", "sub/b.bin", "sub/empty"):
        assert digest_of(whole / rel) == digest_of(src / rel)
    everything = files.download(None)
    assert sorted(p.name for p in everything.iterdir()) == ["a.txt", "config", "docs", "tree"]
    assert not list(tmp_path.rglob("*.cairn-download"))


def test_errors_arrive_as_cairn_errors(remote):
    remote.files.log_bytes(b"x", "dir/x.txt")
    with pytest.raises(NotFound):
        remote.files.read_bytes("dir/none.txt")
    with pytest.raises(InvalidPath):
        remote.files.read_bytes("dir")
    with pytest.raises(NotFound):
        remote.files.download("none")
    with pytest.raises(NotFound):
        remote.files.log_file("/no/such/file")
    with pytest.raises(InvalidState):
        remote.files.delete_all()
    remote.store.runs.delete_run(remote.run_id)
    remote.files.delete_all()
    assert remote.local.walk() == []


def test_paths_are_checked_before_anything_is_sent(remote):
    for bad in ("../x", "/etc/passwd", "a/../../x", "..\\x"):
        with pytest.raises(InvalidPath):
            remote.files.log_bytes(b"x", bad)
        with pytest.raises(InvalidPath):
            remote.files.read_bytes(bad)
    assert remote.sent == []


def test_a_big_file_goes_in_parts_and_a_broken_upload_resumes(remote, big_file, tmp_path):
    size, digest = big_file.stat().st_size, digest_of(big_file)
    http, data = remote.clients[0], big_file.read_bytes()
    started = http.post(
        f"/api/v1/runs/{remote.run_id}/artifacts/uploads",
        json={"path": "model/weights.bin", "size": size, "blake3": digest},
    ).json()
    part = started["part_size"]
    assert (part, started["part_count"]) == (16 * MiB, 5)
    for index in (0, 2):  # an earlier client sent two parts, then died
        chunk = data[index * part : (index + 1) * part]
        answer = http.put(
            f"/api/v1/artifact-uploads/{started['upload_id']}/parts/{index}",
            content=chunk,
            headers={"X-Cairn-Blake3": blake3.blake3(chunk).hexdigest()},
        )
        assert answer.status_code == 200
    remote.sent.clear()

    assert remote.store_at(remote.server.url).log_file(big_file, "model") == "model/weights.bin"

    upload = f"/api/v1/artifact-uploads/{started['upload_id']}"
    assert remote.requests("upload") == [
        f"POST /api/v1/runs/{remote.run_id}/artifacts/uploads",
        f"PUT {upload}/parts/1",
        f"PUT {upload}/parts/3",
        f"PUT {upload}/parts/4",
        f"POST {upload}/complete",
    ]
    assert remote.local.list("model")[0].file_size == size
    assert digest_of(remote.files.download("model/weights.bin", tmp_path / "back")) == digest


class CuttingRelay:
    """A TCP relay to the server whose first connection is cut after ``limit`` bytes, counted
    from the client (``upstream``) or from the server; later connections pass untouched."""

    def __init__(self, target_url: str, limit: int, *, upstream: bool) -> None:
        parts = urlsplit(target_url)
        self.target = (parts.hostname, parts.port)
        self.limit, self.upstream = limit, upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.sockets: list[socket.socket] = [self.listener]
        self.threads: list[threading.Thread] = []
        self.cuts = 0
        self._spawn(self._accept)

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        first = True
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            self._spawn(self._pump, client, server, first and self.upstream, (client, server))
            self._spawn(self._pump, server, client, first and not self.upstream, (client, server))
            first = False

    def _pump(self, src, dst, limited: bool, pair) -> None:
        moved = 0
        try:
            while block := src.recv(65536):
                if limited and moved + len(block) > self.limit:
                    dst.sendall(block[: self.limit - moved])
                    self.cuts += 1
                    if not self.upstream:
                        # A download ends early but cleanly: a reset would also discard what
                        # the client has not read yet, so how far it got would hang on timing.
                        dst.shutdown(socket.SHUT_WR)
                        src.close()
                        return
                    for sock in pair:  # a reset, as when a link or a proxy drops
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                        sock.shutdown(socket.SHUT_RDWR)
                        sock.close()
                    return
                dst.sendall(block)
                moved += len(block)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            return

    def close(self) -> None:
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self.threads:
            thread.join(timeout=5)


def test_a_part_cut_off_mid_way_is_sent_again(remote, big_file):
    relay = CuttingRelay(remote.server.url, 20 * MiB, upstream=True)
    try:
        remote.store_at(relay.url).log_file(big_file)
    finally:
        relay.close()
    assert relay.cuts == 1
    parts = [r for r in remote.requests("/parts/")]
    assert len(parts) == 6 and parts.count(parts[1]) == 2  # part 1 was cut and sent again
    assert remote.local.walk() == remote.files.walk()
    stored = Path(remote.local.full_path("weights.bin"))
    assert digest_of(stored) == digest_of(big_file)


def test_a_download_cut_off_mid_way_resumes_with_range(remote, tmp_path):
    data = os.urandom(8 * MiB + 123)
    remote.files.log_bytes(data, "data.bin")
    relay = CuttingRelay(remote.server.url, 3 * MiB, upstream=False)
    try:
        got = remote.store_at(relay.url).download("data.bin", tmp_path / "dl")
    finally:
        relay.close()
    assert relay.cuts == 1
    assert got.read_bytes() == data
    gets = [r for r in remote.sent if r.method == "GET" and "/files/" in r.url.path]
    assert len(gets) == 2 and "range" not in gets[0].headers
    resumed_at = int(gets[1].headers["range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at < len(data)


@pytest.fixture
def s3_remote(s3_server, tmp_path, monkeypatch) -> Iterator[Remote]:
    """A server whose artifact destination is a bucket of moto's S3 server."""
    s3_server.create_bucket("proxy")
    monkeypatch.setenv("CAIRN_S3_ENDPOINT_URL", s3_server.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret)
    monkeypatch.setenv("AWS_DEFAULT_REGION", s3_server.region)
    remote = Remote(ServerSettings(f"sqlite:///{tmp_path / 's.db'}", "s3://proxy/art"))
    yield remote
    remote.close()


def test_an_s3_destination_through_the_proxy(s3_remote, tmp_path):
    remote = s3_remote
    assert remote.root_uri.startswith("s3://proxy/art/")
    src = tmp_path / "notes.txt"
    src.write_text("remote notes")
    remote.files.log_file(src, "docs")
    remote.files.log_bytes(b"\x00\x01", "bin/x.bin")
    assert [f.path for f in remote.files.list()] == ["bin", "docs"]
    assert remote.files.walk() == remote.local.walk()
    assert remote.files.read_bytes("docs/notes.txt") == b"remote notes"
    back = remote.files.download("docs", tmp_path / "back")
    assert (back / "notes.txt").read_text() == "remote notes"


def test_a_resumable_upload_staged_and_joined_on_s3(s3_remote):
    remote = s3_remote
    data = os.urandom(16 * MiB + 5)  # two parts
    http = remote.clients[0]
    upload = http.post(
        f"/api/v1/runs/{remote.run_id}/artifacts/uploads",
        json={"path": "big.bin", "size": len(data), "blake3": blake3.blake3(data).hexdigest()},
    ).json()
    for index, chunk in enumerate((data[: 16 * MiB], data[16 * MiB :])):
        http.put(
            f"/api/v1/artifact-uploads/{upload['upload_id']}/parts/{index}",
            content=chunk,
            headers={"X-Cairn-Blake3": blake3.blake3(chunk).hexdigest()},
        ).raise_for_status()
    assert http.get(f"/api/v1/artifact-uploads/{upload['upload_id']}").json()["received"] == [0, 1]
    done = http.post(f"/api/v1/artifact-uploads/{upload['upload_id']}/complete")
    assert done.json()["blake3"] == blake3.blake3(data).hexdigest()
    assert remote.files.read_bytes("big.bin") == data
    assert not remote.local.fs.exists(f"proxy/art/.cairn-uploads/{upload['upload_id']}")


def test_cairn_client_on_a_server_url_sends_artifacts_through_the_proxy(remote, tmp_path):
    from cairn.tracking.client import CairnClient, close_shared_stores

    (tmp_path / "f.txt").write_text("hello")
    try:
        client = CairnClient(remote.server.url)
        client.log_artifact(remote.run_id, tmp_path / "f.txt", "docs")
        client.log_text(remote.run_id, "notes", "notes/n.txt")
        assert [f.path for f in client.list_artifacts(remote.run_id)] == ["docs", "notes"]
        assert client.read_artifact(remote.run_id, "docs/f.txt") == b"hello"
        local = client.download_artifacts(remote.run_id, "notes", tmp_path / "dl")
        assert Path(local, "n.txt").read_text() == "notes"
    finally:
        close_shared_stores()
    assert remote.local.read_bytes("docs/f.txt") == b"hello"  # stored by the server
