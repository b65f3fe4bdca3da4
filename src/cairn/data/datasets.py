"""``cairn.data.dataset(path)``: a dataset version to record on a run with ``cairn.log_input``.

The version is the content: the BLAKE3 oid of a file, or of a folder's manifest (the same
hash ``cairn data add`` writes into the pointer, and reused from the state index so an
unchanged 20,000-file folder is not rehashed). For tables (CSV, TSV, Parquet, JSON lines) the
row count and column names/types are recorded too, and kept per oid in ``.cairn/tables/`` so a
big table is read once. The run input carries MLflow's fields: ``source_type`` "cairn", a
JSON ``source`` with path, hash, kind and pointer file, an MLflow column-spec ``schema`` and a
``profile`` with rows, size and files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cairn.data import pointer as pointers
from cairn.data.current import file_oid, folder_oids
from cairn.data.tables import TableFacts, read_table_facts, table_format
from cairn.data.walk import folder_manifest, scan_folder
from cairn.data.workspace import Workspace
from cairn.entities import DatasetInput
from cairn.errors import InvalidInput, InvalidPath, NotFound
from cairn.objects.digest import HASH_NAME
from cairn.objects.hashing import hash_bytes, hash_file
from cairn.security.guard import check_path

SOURCE_TYPE = "cairn"
DIGEST_LENGTH = 32  # hex digits of the oid kept as the run input's digest (MLflow allows 36)


@dataclass(frozen=True, slots=True)
class Dataset:
    """A version of a file or folder: where it is, its content hash, and table facts."""

    name: str
    path: str  # relative to the project root when inside it, else absolute
    kind: str  # "file" | "dir"
    oid: str
    size: int
    files: int
    pointer: str | None = None  # the pointer file tracking it, when there is one
    committed: bool | None = None  # whether the content is the one the pointer records
    table: TableFacts | None = None

    @property
    def hash(self) -> str:
        """The content hash, ``blake3:<hex>``."""
        return f"{HASH_NAME}:{self.oid}"

    @property
    def digest(self) -> str:
        """The short digest a run input records (a prefix of the oid)."""
        return self.oid[:DIGEST_LENGTH]

    def to_dataset_input(self) -> DatasetInput:
        """This version as a run input (see the module docstring for the fields)."""
        source = {
            "path": self.path, "hash": self.hash, "kind": self.kind, "pointer": self.pointer,
            "committed": self.committed,
        }  # fmt: skip
        profile: dict[str, Any] = {"size": self.size, "files": self.files}
        schema = None
        if self.table is not None:
            profile["num_rows"] = self.table.rows
            profile["num_elements"] = self.table.rows * len(self.table.columns)
            colspec = [{"name": n, "type": t, "required": True} for n, t in self.table.columns]
            schema = json.dumps({"mlflow_colspec": colspec})
        return DatasetInput(
            name=self.name,
            digest=self.digest,
            source_type=SOURCE_TYPE,
            source=json.dumps(source, sort_keys=True),
            schema=schema,
            profile=json.dumps(profile, sort_keys=True),
        )


def dataset(
    path: str | os.PathLike[str], name: str | None = None, *, cwd: Path | None = None
) -> Dataset:
    """Describe the file or folder at ``path`` as a dataset version named ``name`` (default:
    the file name without its suffix), e.g.
    ``cairn.log_input(cairn.data.dataset("data/train.csv"), context="training")``.

    When the data is not in the workspace but its pointer is (``path.cairn``), the version is
    the pointer's. InvalidInput/NotFound say what is wrong with ``path``.
    """
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise InvalidInput(f"dataset needs a file or folder path, got {path!r}")
    base = cwd or Path.cwd()
    target = Path(os.path.abspath(base / Path(path)))
    label = name if name is not None else _default_name(target)
    if not isinstance(label, str) or not label.strip():
        raise InvalidInput(f"a dataset name must be a non-empty string, got {name!r}")
    workspace = Workspace.find(base)
    try:
        inside = target == workspace.root or workspace.root in target.parents
        return _describe(workspace, target, label, inside)
    finally:
        workspace.close()


def _default_name(target: Path) -> str:
    return target.name.split(".")[0] or target.name


def _describe(workspace: Workspace, target: Path, name: str, inside: bool) -> Dataset:
    pointer_file = pointers.pointer_path_for(target)
    pointer = workspace.read_pointer(pointer_file) if inside and pointer_file.is_file() else None
    shown = workspace.display(target) if inside else str(target)
    if not target.exists():
        if pointer is None:
            raise NotFound(
                f"{shown} does not exist and no pointer {shown}{pointers.SUFFIX} tracks it"
            )
        return _from_pointer(workspace, name, shown, pointer_file, pointer)
    if target.is_dir():
        kind, oid, size, files = "dir", *_folder_version(workspace, target, inside)
    elif target.is_file():
        oid = file_oid(workspace, target) if inside else hash_file(target)[0]
        kind, size, files = "file", target.stat().st_size, 1
    else:
        raise InvalidPath(f"{shown} is neither a file nor a folder")
    table = _table(workspace, target, oid) if kind == "file" else None
    check_path(target, f"dataset {shown}")  # the project's sensitive-data policy
    return Dataset(
        name=name,
        path=shown,
        kind=kind,
        oid=oid,
        size=size,
        files=files,
        pointer=None if pointer is None else workspace.display(pointer_file),
        committed=None if pointer is None else pointer.oid == oid,
        table=table,
    )


def _folder_version(workspace: Workspace, folder: Path, inside: bool) -> tuple[str, int, int]:
    scan = scan_folder(folder)
    if inside:
        oids = folder_oids(workspace, folder, scan)
    else:
        oids = {rel: hash_file(folder / rel)[0] for rel in scan.files}
    manifest = folder_manifest(scan, oids)
    return hash_bytes(manifest.to_bytes()), manifest.total_size, manifest.nfiles


def _from_pointer(
    workspace: Workspace, name: str, shown: str, pointer_file: Path, pointer: pointers.Pointer
) -> Dataset:
    table = None
    if not pointer.is_dir and workspace.cache.has(pointer.oid):
        table = _table(workspace, workspace.cache.path_of(pointer.oid), pointer.oid, shown)
    return Dataset(
        name=name,
        path=shown,
        kind=pointer.kind,
        oid=pointer.oid,
        size=pointer.size,
        files=pointer.files if pointer.is_dir else 1,
        pointer=workspace.display(pointer_file),
        committed=True,
        table=table,
    )


def _table(
    workspace: Workspace, path: Path, oid: str, shown: str | None = None
) -> TableFacts | None:
    kind = table_format(Path(shown) if shown else path)
    if kind is None:
        return None
    cached = workspace.cairn_dir / "tables" / f"{oid}.json"
    try:
        return TableFacts.from_dict(json.loads(cached.read_text(encoding="utf-8")))
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        pass
    try:
        facts = read_table_facts(path, kind)
    except ValueError as exc:
        raise InvalidInput(
            f"{shown or workspace.display(path)} looks like {kind} but cannot be read: {exc}"
        ) from None
    cached.parent.mkdir(exist_ok=True)
    tmp = cached.with_name(f".{oid}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(facts.to_dict()), encoding="utf-8")
    os.replace(tmp, cached)
    return facts
