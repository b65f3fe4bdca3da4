"""The artifact proxy of the native API, spoken to directly over HTTP on a live server."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import blake3
import httpx
import pytest

from cairn.server import ServerSettings
from cairn.store import open_store

MiB = 1 << 20
PART = 16 * MiB


def b3(data: bytes) -> str:
    return blake3.blake3(data).hexdigest()


class Proxy:
    """A live server, an httpx client on it, and one run."""

    def __init__(self, url: str, tmp: Path, settings: ServerSettings) -> None:
        self.url, self.tmp = url, tmp
        self.http = httpx.Client(base_url=url, timeout=30)
        self.store = open_store(
            settings.backend_store_uri, artifact_root=settings.artifacts_destination
        )
        self.experiment = self.store.experiments.create_experiment("proxy")
        self.run_id = self.new_run()
        self.staging = Path(settings.artifacts_destination or "") / ".cairn-uploads"

    def new_run(self) -> str:
        return self.store.runs.create_run(self.experiment, user_id="t").info.run_id

    def root(self, run_id: str | None = None) -> Path:
        return Path(self.store.runs.get_run(run_id or self.run_id).info.artifact_uri)

    def files(self, suffix: str = "", run_id: str | None = None) -> str:
        return f"/api/v1/runs/{run_id or self.run_id}/artifacts{suffix}"

    def stored(self) -> list[str]:
        """Every file under the run's root, temporary ones included."""
        root = self.root()
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    def raw(self, head: bytes, body_chunks: list[bytes] = ()) -> bytes:
        """Send bytes on a fresh socket and return what the server answers."""
        parts = urlsplit(self.url)
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
            sock.sendall(head)
            for chunk in body_chunks:
                sock.sendall(chunk)
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                block = sock.recv(65536)
                if not block:
                    break
                answer += block
            return answer


@pytest.fixture
def proxy(live_server, tmp_path):
    settings = ServerSettings(f"sqlite:///{tmp_path / 'server.db'}", str(tmp_path / "art"))
    proxy = Proxy(live_server(settings), tmp_path, settings)
    yield proxy
    proxy.http.close()
    proxy.store.close()


def test_put_then_read_list_and_range(proxy):
    data = os.urandom(3 * MiB + 17)
    put = proxy.http.put(
        proxy.files("/files/model/weights.bin"), content=data, headers={"X-Cairn-Blake3": b3(data)}
    )
    assert put.status_code == 200
    assert put.json() == {"path": "model/weights.bin", "size": len(data), "blake3": b3(data)}
    assert (proxy.root() / "model" / "weights.bin").read_bytes() == data

    got = proxy.http.get(proxy.files("/files/model/weights.bin"))
    assert got.status_code == 200 and got.headers["accept-ranges"] == "bytes"
    assert got.headers["content-length"] == str(len(data)) and b3(got.content) == b3(data)

    listing = proxy.http.get(proxy.files(), params={"path": ""}).json()
    assert listing == {
        "root_uri": str(proxy.root()),
        "files": [{"path": "model", "is_dir": True, "file_size": None}],
    }
    one = proxy.http.get(proxy.files(), params={"path": "model/weights.bin"}).json()["files"]
    assert one == [{"path": "model/weights.bin", "is_dir": False, "file_size": len(data)}]

    for header, span in [("bytes=10-19", (10, 19)), ("bytes=3145000-", (3145000, len(data) - 1))]:
        part = proxy.http.get(proxy.files("/files/model/weights.bin"), headers={"Range": header})
        assert part.status_code == 206
        assert part.content == data[span[0] : span[1] + 1]
        assert part.headers["content-range"] == f"bytes {span[0]}-{span[1]}/{len(data)}"
    tail = proxy.http.get(proxy.files("/files/model/weights.bin"), headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == data[-5:]
    past = proxy.http.get(
        proxy.files("/files/model/weights.bin"), headers={"Range": f"bytes={len(data)}-"}
    )
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(data)}"


def test_missing_files_folders_and_run_ids(proxy):
    proxy.http.put(proxy.files("/files/dir/a.txt"), content=b"a")
    missing = proxy.http.get(proxy.files("/files/dir/nope.txt"))
    assert (missing.status_code, missing.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    folder = proxy.http.get(proxy.files("/files/dir"))
    assert (folder.status_code, folder.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    onto_folder = proxy.http.put(proxy.files("/files/dir"), content=b"x")
    assert onto_folder.status_code == 400 and (proxy.root() / "dir" / "a.txt").exists()
    assert proxy.http.get(proxy.files(), params={"path": "nothing"}).json()["files"] == []

    unknown, malformed = "0" * 32, "not-a-run"
    for run_id, status in [(unknown, 404), (malformed, 400)]:
        for method, suffix, kwargs in [
            ("GET", "", {}),
            ("GET", "/files/dir/a.txt", {}),
            ("PUT", "/files/b.txt", {"content": b"b"}),
            ("DELETE", "", {}),
            ("POST", "/uploads", {"json": {"path": "c", "size": 1, "blake3": "0" * 64}}),
        ]:
            answer = proxy.http.request(method, proxy.files(suffix, run_id), **kwargs)
            assert answer.status_code == status, (method, suffix, answer.text)


def test_a_wrong_digest_stores_nothing(proxy):
    answer = proxy.http.put(
        proxy.files("/files/a.bin"), content=b"payload", headers={"X-Cairn-Blake3": b3(b"other")}
    )
    assert answer.status_code == 400 and "BLAKE3" in answer.json()["message"]
    bad_header = proxy.http.put(
        proxy.files("/files/a.bin"), content=b"payload", headers={"X-Cairn-Blake3": "abc"}
    )
    assert bad_header.status_code == 400
    assert proxy.stored() == []


def test_a_broken_put_leaves_no_file_visible(proxy):
    proxy.http.put(proxy.files("/files/keep.bin"), content=b"old")
    head = (
        f"PUT {proxy.files('/files/keep.bin')} HTTP/1.1\r\nHost: x\r\n"
        f"Content-Length: {4 * MiB}\r\n\r\n"
    ).encode()
    parts = urlsplit(proxy.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head + os.urandom(2 * MiB))
        assert _eventually(lambda: len(proxy.stored()) == 2)  # the server is writing a temp file
        assert (proxy.root() / "keep.bin").read_bytes() == b"old"
    # the client went away half way: the temporary file goes, the old file stays
    assert _eventually(lambda: proxy.stored() == ["keep.bin"]), proxy.stored()
    assert (proxy.root() / "keep.bin").read_bytes() == b"old"


def _eventually(check, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.02)
    return check()


def test_oversize_bodies_get_413_and_store_nothing(proxy):
    target = proxy.files("/files/huge.bin")
    declared = proxy.raw(
        f"PUT {target} HTTP/1.1\r\nHost: x\r\nContent-Length: {64 * MiB + 1}\r\n\r\n".encode()
    )
    assert declared.startswith(b"HTTP/1.1 413")
    assert b'"REQUEST_TOO_LARGE"' in declared and b"resumable" in declared

    chunks = [b"%x\r\n%s\r\n" % (MiB, os.urandom(MiB))] * 64 + [b"1\r\nx\r\n"]
    streamed = proxy.raw(
        f"PUT {target} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode(), chunks
    )
    assert streamed.startswith(b"HTTP/1.1 413")
    assert proxy.stored() == []  # the partial file was dropped before the answer


def _open_upload(proxy, data: bytes, path: str = "big/data.bin") -> dict:
    answer = proxy.http.post(
        proxy.files("/uploads"), json={"path": path, "size": len(data), "blake3": b3(data)}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _put_part(proxy, upload_id: str, index: int, data: bytes, digest: str | None = None):
    return proxy.http.put(
        f"/api/v1/artifact-uploads/{upload_id}/parts/{index}",
        content=data,
        headers={"X-Cairn-Blake3": digest or b3(data)},
    )


def test_resumable_upload_checks_every_part_and_the_whole(proxy):
    data = os.urandom(2 * PART + 1000)
    parts = [data[i : i + PART] for i in range(0, len(data), PART)]
    state = _open_upload(proxy, data)
    upload_id = state["upload_id"]
    assert (state["part_size"], state["part_count"], state["received"]) == (PART, 3, [])
    assert _open_upload(proxy, data)["upload_id"] == upload_id  # the same content, the same id

    assert _put_part(proxy, upload_id, 2, parts[2]).status_code == 200
    corrupt = _put_part(proxy, upload_id, 0, b"\0" + parts[0][1:], b3(parts[0]))
    assert corrupt.status_code == 400 and "BLAKE3" in corrupt.json()["message"]
    short = _put_part(proxy, upload_id, 1, parts[1][:-1])
    assert short.status_code == 400 and "bytes long" in short.json()["message"]
    assert _put_part(proxy, upload_id, 3, b"x").status_code == 400  # no part 3
    no_digest = proxy.http.put(f"/api/v1/artifact-uploads/{upload_id}/parts/0", content=parts[0])
    assert no_digest.status_code == 400
    state = proxy.http.get(f"/api/v1/artifact-uploads/{upload_id}").json()
    assert state["received"] == [2] and state["path"] == "big/data.bin"

    early = proxy.http.post(f"/api/v1/artifact-uploads/{upload_id}/complete")
    assert early.status_code == 400 and early.json()["error_code"] == "INVALID_STATE"
    assert "0, 1" in early.json()["message"] and proxy.stored() == []

    assert _open_upload(proxy, data)["received"] == [2]  # a restarted client sees what is there
    for index in (0, 1):
        assert _put_part(proxy, upload_id, index, parts[index]).status_code == 200
    done = proxy.http.post(f"/api/v1/artifact-uploads/{upload_id}/complete")
    assert done.json() == {"path": "big/data.bin", "size": len(data), "blake3": b3(data)}
    assert b3((proxy.root() / "big" / "data.bin").read_bytes()) == b3(data)
    assert not (proxy.staging / upload_id).exists()
    gone = proxy.http.get(f"/api/v1/artifact-uploads/{upload_id}")
    assert gone.status_code == 404


def test_parts_that_do_not_make_the_announced_file_are_dropped(proxy):
    data = os.urandom(PART + 10)
    announced = data[:-1] + bytes([data[-1] ^ 1])  # same size, another digest
    upload_id = _open_upload(proxy, announced)["upload_id"]
    for index, start in enumerate((0, PART)):
        assert _put_part(proxy, upload_id, index, data[start : start + PART]).status_code == 200
    answer = proxy.http.post(f"/api/v1/artifact-uploads/{upload_id}/complete")
    assert answer.status_code == 400 and "start it again" in answer.json()["message"]
    assert proxy.stored() == [] and not (proxy.staging / upload_id).exists()


def test_oversize_part_abort_and_malformed_requests(proxy):
    data = os.urandom(PART + 10)
    upload_id = _open_upload(proxy, data)["upload_id"]
    too_big = _put_part(proxy, upload_id, 0, data[:PART] + b"x")
    assert too_big.status_code == 413 and too_big.json()["error_code"] == "REQUEST_TOO_LARGE"
    assert _put_part(proxy, upload_id, 1, data[PART:]).status_code == 200
    assert (proxy.staging / upload_id / "part-00001").exists()
    assert proxy.http.delete(f"/api/v1/artifact-uploads/{upload_id}").status_code == 200
    assert not (proxy.staging / upload_id).exists()
    assert proxy.http.get(f"/api/v1/artifact-uploads/{upload_id}").status_code == 404

    for bad_id in ("%2e%2e", "ABC", "0" * 31):
        assert proxy.http.get(f"/api/v1/artifact-uploads/{bad_id}").status_code == 400
    for body in (
        {"path": "a", "size": -1, "blake3": "0" * 64},
        {"path": "a", "size": 1, "blake3": "xyz"},
        {"path": "a", "size": 1},
        {"path": "a", "size": 1, "blake3": "0" * 64, "extra": 1},
    ):
        assert proxy.http.post(proxy.files("/uploads"), json=body).status_code == 400, body
    huge_json = proxy.http.post(proxy.files("/uploads"), content=b"{" + b" " * (70 << 10) + b"}")
    assert huge_json.status_code == 413


def test_deleted_runs_take_no_writes_and_lose_their_files_on_request(proxy):
    proxy.http.put(proxy.files("/files/a.txt"), content=b"a")
    alive = proxy.http.delete(proxy.files())
    assert alive.status_code == 400 and alive.json()["error_code"] == "INVALID_STATE"
    proxy.store.runs.delete_run(proxy.run_id)
    refused = proxy.http.put(proxy.files("/files/b.txt"), content=b"b")
    assert refused.status_code == 400 and refused.json()["error_code"] == "INVALID_STATE"
    assert proxy.http.get(proxy.files("/files/a.txt")).content == b"a"  # reads still work
    assert proxy.http.delete(proxy.files()).status_code == 200
    assert not proxy.root().exists()
