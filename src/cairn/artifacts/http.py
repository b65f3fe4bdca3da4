"""``HttpArtifactStore``: a run's files through the artifact proxy of ``cairn server``.

The same methods as :class:`cairn.artifacts.ArtifactStore`, so ``CairnClient`` works
unchanged against a server. Files up to 64 MiB go in one streamed PUT carrying their BLAKE3
digest; larger ones in resumable 16 MiB parts, each checked, sending only the parts the
server lacks (so an upload broken off, even in another process, resumes). Downloads stream
to a temporary file beside the target and resume with ``Range`` after a dropped connection.
"""

from __future__ import annotations

import builtins
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import blake3
import httpx

from cairn.artifacts.base import Artifacts
from cairn.artifacts.paths import clean_artifact_path, ensure_inside, file_facts
from cairn.entities import FileInfo
from cairn.errors import CairnError, InvalidPath, NotFound, StoreError
from cairn.store.rest.transport import is_transient, raise_for_error, request

SINGLE_PUT_LIMIT = 64 << 20
ATTEMPTS = 4
BACKOFF_S = 0.25
BLOCK = 1 << 20
ASSEMBLY_TIMEOUT = httpx.Timeout(None, connect=5.0)  # the server joins the parts meanwhile


class HttpArtifactStore(Artifacts):
    """The files of one run, read and written through the server at ``client.base_url``."""

    def __init__(self, client: httpx.Client, run_id: str, root_uri: str) -> None:
        self.client = client
        self.run_id = run_id
        self.root_uri = root_uri.rstrip("/")
        self._base = f"/api/v1/runs/{run_id}/artifacts"

    # -- writes -------------------------------------------------------------------------------

    def log_bytes(self, data: bytes, artifact_file: str) -> str:
        """Write bytes to ``artifact_file`` (a file path under the root)."""
        rel = clean_artifact_path(artifact_file, "artifact file")
        if not rel:
            raise InvalidPath("artifact file must name a file, e.g. 'config.json'")
        self._upload(_Payload.of_bytes(data), rel)
        return rel

    def _put(self, src: Path, rel: str) -> None:
        self._upload(_Payload.of_file(src), rel)

    def _upload(self, payload: _Payload, rel: str) -> None:
        if payload.size <= SINGLE_PUT_LIMIT:
            self._retrying(partial(self._put_whole, payload, rel))
        else:
            self._put_in_parts(payload, rel)

    def _put_whole(self, payload: _Payload, rel: str) -> None:
        headers = {"X-Cairn-Blake3": payload.blake3, "Content-Length": str(payload.size)}
        with payload.open() as body:
            request(self.client, "PUT", self._file_url(rel), content=body, headers=headers)

    def _put_in_parts(self, payload: _Payload, rel: str) -> None:
        facts = {"path": rel, "size": payload.size, "blake3": payload.blake3}
        started = self._retrying(
            partial(request, self.client, "POST", f"{self._base}/uploads", json=facts)
        )
        state = started.json()
        upload = f"/api/v1/artifact-uploads/{state['upload_id']}"
        part_size, received = int(state["part_size"]), set(state["received"])
        count = int(state["part_count"])

        def send(index: int) -> int:
            offset = index * part_size
            length = min(part_size, payload.size - offset)
            if index not in received:
                data = payload.read(offset, length)
                digest = blake3.blake3(data, max_threads=blake3.blake3.AUTO).hexdigest()
                headers = {"X-Cairn-Blake3": digest}
                url = f"{upload}/parts/{index}"
                self._retrying(
                    partial(request, self.client, "PUT", url, content=data, headers=headers)
                )
            return length

        with _progress(payload.size, f"uploading {rel}") as advance:
            for index in range(count):
                advance(send(index))
        request(self.client, "POST", f"{upload}/complete", timeout=ASSEMBLY_TIMEOUT)

    def _retrying(self, call: Callable[[], Any]) -> Any:
        """``call()``, tried again with growing pauses while the failure is transient."""
        attempt = 0
        while True:
            try:
                return call()
            except CairnError as exc:
                attempt += 1
                if not is_transient(exc) or attempt >= ATTEMPTS:
                    raise
            time.sleep(BACKOFF_S * 2**attempt)

    # -- reads --------------------------------------------------------------------------------

    def list(self, path: str | None = None) -> builtins.list[FileInfo]:
        """Files and folders directly under ``path`` (the root when None), sorted."""
        rel = clean_artifact_path(path)
        response = request(self.client, "GET", self._base, params={"path": rel})
        return [
            FileInfo(f["path"], bool(f["is_dir"]), f["file_size"]) for f in response.json()["files"]
        ]

    def exists(self, path: str | None = None) -> bool:
        """True if a file, or a folder holding files, exists at ``path``."""
        return bool(self.list(path))

    def read_bytes(self, path: str) -> bytes:
        """The content of one artifact file."""
        buffer = io.BytesIO()
        self._fetch(clean_artifact_path(path), buffer)
        return buffer.getvalue()

    def download(self, path: str | None, dst: str | os.PathLike[str] | None = None) -> Path:
        """Copy an artifact file or folder to ``dst`` (a new temp folder when None)."""
        rel = clean_artifact_path(path)
        entries = self.list(rel)
        if not entries:
            raise NotFound(f"no artifact {rel or '(root)'!r} under {self.root_uri}")
        single = len(entries) == 1 and entries[0].path == rel and not entries[0].is_dir
        files = entries if single else self.walk(rel)
        dest = Path(dst) if dst is not None else Path(tempfile.mkdtemp(prefix="cairn-artifacts-"))
        dest.mkdir(parents=True, exist_ok=True)
        prefix = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
        for info in files:
            local = ensure_inside(dest, dest / info.path[len(prefix) :], "download target")
            local.parent.mkdir(parents=True, exist_ok=True)
            temp = local.with_name(f".{local.name}.cairn-download")
            try:
                with temp.open("wb") as sink:
                    self._fetch(info.path, sink, info.file_size)
                os.replace(temp, local)
            finally:
                temp.unlink(missing_ok=True)
        return dest / rel[len(prefix) :] if rel else dest

    def _fetch(self, rel: str, sink: IO[bytes], size: int | None = None) -> None:
        """Stream a file into ``sink``, resuming with ``Range`` after a broken connection."""
        written, failures, url = 0, 0, self._file_url(rel)
        with _progress(size or 0, f"downloading {rel}") as advance:
            while True:
                headers = {"Range": f"bytes={written}-"} if written else {}
                before = written
                try:
                    with self.client.stream("GET", url, headers=headers) as response:
                        if not response.is_success:
                            response.read()
                            raise_for_error(response)
                        if written and response.status_code != 206:
                            sink.seek(0)
                            sink.truncate()
                            written = 0
                        length = response.headers.get("Content-Length")
                        total = written + int(length) if length is not None else None
                        for block in response.iter_bytes(BLOCK):
                            sink.write(block)
                            written += len(block)
                            advance(len(block))
                    if total is None or written == total:
                        return
                    problem: Exception = StoreError(f"got {written} of {total} bytes")
                except httpx.TransportError as exc:
                    problem = exc
                except StoreError as exc:
                    problem = exc
                failures = 0 if written > before else failures + 1
                if failures >= ATTEMPTS:
                    raise StoreError(
                        f"downloading artifact {rel!r} from {self.client.base_url} failed "
                        f"{ATTEMPTS} times in a row: {problem}"
                    ) from problem
                time.sleep(BACKOFF_S * 2**failures)

    def delete_all(self) -> None:
        """Remove every file of the run (the server allows it once the run is deleted)."""
        request(self.client, "DELETE", self._base)

    def _file_url(self, rel: str) -> str:
        return f"{self._base}/files/{quote(rel, safe='/')}"


class _Payload:
    """What is uploaded, a local file or bytes in memory, with its size and digest."""

    def __init__(self, size: int, digest: str, path: Path | None, data: bytes | None) -> None:
        self.size, self.blake3, self._path, self._data = size, digest, path, data

    @classmethod
    def of_file(cls, path: Path) -> _Payload:
        facts = file_facts(path)
        return cls(int(facts["size"]), str(facts["blake3"]), path, None)

    @classmethod
    def of_bytes(cls, data: bytes) -> _Payload:
        return cls(len(data), blake3.blake3(data).hexdigest(), None, data)

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The whole content as a stream (a file is read as it is sent, not beforehand)."""
        if self._path is None:
            yield io.BytesIO(self._data or b"")
            return
        with self._path.open("rb") as handle:
            yield handle

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset``."""
        if self._path is None:
            return (self._data or b"")[offset : offset + length]
        with self._path.open("rb") as handle:
            handle.seek(offset)
            return handle.read(length)


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """An ``advance(n)`` for a transient progress bar on stderr, shown past 64 MiB."""
    if total <= SINGLE_PUT_LIMIT:
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
