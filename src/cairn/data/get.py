"""``get``: download one dataset of another git repository from that repository's remote.

The repository is cloned (shallowly when the revision allows) into a temporary folder; the
dataset's pointer and the repository's ``.cairn/config.toml`` are read at the revision; the
objects are fetched into a temporary cache, verified, and the data is assembled beside the
output and renamed into place, so a failure leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cairn.data import git
from cairn.data.fetch import fetch_objects
from cairn.data.materialize import Materializer
from cairn.data.pointer import SUFFIX, Pointer, parse
from cairn.data.progress import QUIET, Reporter
from cairn.data.remote_index import RemoteIndex
from cairn.data.remote_layout import RemoteStorage, scheme_of
from cairn.data.remotes import choose_remote
from cairn.data.sync import raise_for_failures
from cairn.data.transfer import default_jobs
from cairn.errors import AlreadyExists, ConfigError, InvalidInput, NotFound
from cairn.objects.db import ObjectDB
from cairn.objects.manifest import Manifest


@dataclass(frozen=True, slots=True)
class GetResult:
    """What ``get`` wrote."""

    out: Path
    commit: str
    remote_url: str
    is_dir: bool
    size: int
    files: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "out": str(self.out),
            "commit": self.commit,
            "remote_url": self.remote_url,
            "kind": "dir" if self.is_dir else "file",
            "size": self.size,
            "files": self.files,
        }


def get_dataset(
    url: str,
    path: str,
    *,
    rev: str | None = None,
    out: Path | None = None,
    remote: str | None = None,
    jobs: int | None = None,
    reporter: Reporter = QUIET,
    cwd: Path | None = None,
) -> GetResult:
    """Write dataset ``path`` of the git repository ``url`` at ``rev`` to ``out``."""
    here = cwd or Path.cwd()
    rel = _dataset_path(path)
    target = (here / (out or Path(rel).name)).absolute()
    if target.exists() or target.is_symlink():
        raise AlreadyExists(f"{target} exists already; pass -o with a new path or remove it")
    if not target.parent.is_dir():
        raise NotFound(f"the folder {target.parent} does not exist; create it first")
    if jobs is not None and jobs < 1:
        raise InvalidInput(f"--jobs must be at least 1, got {jobs}")
    local_repo = _local_repository(url, here)
    with tempfile.TemporaryDirectory(prefix="cairn-get-") as clone_dir:
        clone = Path(clone_dir) / "repo"
        _clone(str(local_repo) if local_repo else url, clone, rev)
        commit = _resolve(clone, rev, url)
        pointer = _pointer_at(clone, commit, rel, url, rev)
        config = _config_at(clone, commit, url)
        chosen = choose_remote(config, remote, f".cairn/config.toml of {url}")
        storage = RemoteStorage.open(
            chosen.name, _remote_url(chosen.url, local_repo, url), Path("/")
        )
        with _staging(target) as stage:
            _download(pointer, storage, stage, jobs or default_jobs(storage.local), reporter)
            stage_data = stage / "data"
            stage_data.rename(target)
    return GetResult(target, commit, storage.url, pointer.is_dir, pointer.size, pointer.files or 1)


def _dataset_path(path: str) -> str:
    rel = path.strip().strip("/").removesuffix(SUFFIX)
    parts = rel.split("/")
    if not rel or any(part in ("", ".", "..") for part in parts) or path.startswith("/"):
        raise InvalidInput(
            f"dataset path {path!r} must be relative to the repository root, like data/train.csv"
        )
    return rel


def _local_repository(url: str, here: Path) -> Path | None:
    """The folder of a repository given as a local path (or file:// URL), else None."""
    if url.startswith("file://"):
        return Path(url[len("file://") :])
    if "://" in url or (":" in url.split("/", 1)[0] and not Path(url).exists()):
        return None  # https://..., ssh://..., git@host:path
    folder = (here / url).resolve()
    if not folder.is_dir():
        raise NotFound(f"no git repository at {url} ({folder} does not exist)")
    return folder


def _run_git(*args: str) -> subprocess.CompletedProcess[bytes]:
    executable = shutil.which("git")
    if executable is None:
        raise ConfigError("git is not installed; `cairn data get` needs it to read the repository")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}  # fail instead of asking for a password
    return subprocess.run(  # noqa: S603 - fixed program, arguments are not shell-parsed
        [executable, *args], capture_output=True, check=False, env=env
    )


def _last_line(done: subprocess.CompletedProcess[bytes]) -> str:
    lines = done.stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"git exited with {done.returncode}"


def _clone(source: str, dest: Path, rev: str | None) -> None:
    """Clone without a work tree: shallow at ``rev`` when it is a branch or tag, else full."""
    base = ["clone", "--quiet", "--no-checkout"]
    shallow = [*base, "--depth", "1"] + (["--branch", rev] if rev else [])
    if not Path(source).is_dir():  # git ignores --depth for local paths anyway
        done = _run_git(*shallow, "--", source, str(dest))
        if done.returncode == 0:
            return
        shutil.rmtree(dest, ignore_errors=True)
    done = _run_git(*base, "--", source, str(dest))
    if done.returncode != 0:
        raise NotFound(f"cannot clone the git repository {source}: {_last_line(done)}")


def _resolve(clone: Path, rev: str | None, url: str) -> str:
    """The commit of ``rev`` (a branch only the clone's origin has counts too)."""
    for candidate in [rev or "HEAD"] + ([f"origin/{rev}"] if rev else []):
        with contextlib.suppress(NotFound):
            return git.resolve_revision(clone, candidate)
    if rev is None:
        raise NotFound(f"the git repository {url} has no commits")
    raise NotFound(
        f"git revision {rev!r} does not exist in {url}; give a branch, tag or commit it has"
    )


def _pointer_at(clone: Path, commit: str, rel: str, url: str, rev: str | None) -> Pointer:
    blobs = git.pointer_blobs(clone, commit)
    name = rel + SUFFIX
    at = f"at {rev}" if rev else "at HEAD"
    if name not in blobs:
        known = sorted(p.removesuffix(SUFFIX) for p in blobs)
        listing = f"datasets there: {', '.join(known[:10])}" if known else "it tracks no data"
        raise NotFound(f"{url} has no dataset {rel!r} {at} (no {name}); {listing}")
    data = git.read_blobs(clone, [blobs[name]])[blobs[name]]
    return parse(data, f"{name} of {url} {at}")


def _config_at(clone: Path, commit: str, url: str) -> dict[str, Any]:
    done = _run_git("-C", str(clone), "cat-file", "blob", f"{commit}:.cairn/config.toml")
    if done.returncode != 0:
        raise ConfigError(
            f"{url} has no .cairn/config.toml at {commit[:12]}, so it names no data remote; "
            "ask its owners to add one (`cairn data remote add NAME URL --default`)"
        )
    try:
        return tomllib.loads(done.stdout.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f".cairn/config.toml of {url} is not valid TOML: {exc}") from exc


def _remote_url(remote_url: str, local_repo: Path | None, url: str) -> str:
    """The remote's URL, a relative folder resolved against the repository it came from."""
    if scheme_of(remote_url) != "file" or Path(remote_url).is_absolute():
        return remote_url
    if remote_url.startswith("file://"):
        return remote_url
    if local_repo is None:
        raise ConfigError(
            f"the data remote of {url} is the relative folder {remote_url!r}, which only "
            "resolves inside that repository; clone it and run `cairn data pull` there"
        )
    return str((local_repo / remote_url).resolve())


@contextlib.contextmanager
def _staging(target: Path) -> Any:
    """A hidden folder beside ``target`` (same filesystem, for the final rename), removed
    whatever happens."""
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.cairn-get-", dir=target.parent))
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _download(
    pointer: Pointer, storage: RemoteStorage, stage: Path, jobs: int, reporter: Reporter
) -> None:
    cache = ObjectDB(stage / "cache")
    index = RemoteIndex(storage, None).load()
    result = fetch_objects(cache, index, [pointer.oid], jobs=jobs, reporter=reporter)
    raise_for_failures(result, storage)
    place = Materializer(cache, ("copy",), {}).place
    out = stage / "data"
    if not pointer.is_dir:
        place(pointer.oid, out)
        return
    manifest = Manifest.from_bytes(cache.read_bytes(pointer.oid), f"manifest of {pointer.path}")
    result = fetch_objects(cache, index, sorted(manifest.oids()), jobs=jobs, reporter=reporter,
                           label="fetch files")  # fmt: skip
    raise_for_failures(result, storage)
    out.mkdir()
    for entry in manifest.entries:
        dest = out / entry.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        place(entry.oid, dest, entry.executable)
