"""``cairn.lock``: what each stage last ran with and produced, meant to be committed to git.

::

    version: 1
    stages:
      train:
        cmd: python train.py
        fingerprint: 6f0c...          # of definition, dep hashes and param values
        deps: {data/prepared.csv: {hash: blake3:..., size: 120}}
        params: {train.lr: 0.1}
        outs: {model.pkl: {hash: blake3:..., size: 912, kind: file}}
        metrics: {metrics.json: {hash: blake3:..., size: 40}}

The file is written atomically (temporary file, then rename) with stages in pipeline order
and keys in a fixed order, so the same state always gives the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from cairn.errors import InvalidInput
from cairn.objects.digest import HASH_NAME, Digest
from cairn.pipelines.fingerprint import PathHash
from cairn.pipelines.model import LOCK_FILE
from cairn.pipelines.parsed import read_document, remember

VERSION = 1
_FIX = "fix it, restore it from git, or delete it (every stage then runs again)"


@dataclass
class LockEntry:
    """One stage's record: its command and fingerprint, and the hashes it ran with."""

    cmd: str
    fingerprint: str
    deps: dict[str, PathHash] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    outs: dict[str, PathHash] = field(default_factory=dict)
    metrics: dict[str, PathHash] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The entry as ``cairn.lock`` writes it (empty sections left out)."""
        sections = {
            "deps": {path: found.to_lock() for path, found in sorted(self.deps.items())},
            "params": dict(sorted(self.params.items())),
            "outs": {
                path: found.to_lock(with_kind=True) for path, found in sorted(self.outs.items())
            },
            "metrics": {path: found.to_lock() for path, found in sorted(self.metrics.items())},
        }
        entry = {"cmd": self.cmd, "fingerprint": self.fingerprint}
        return entry | {key: value for key, value in sections.items() if value}


def read_lock(root: Path) -> dict[str, LockEntry]:
    """The entries of ``ROOT/cairn.lock`` (empty when there is none)."""
    try:
        document = read_document(root / LOCK_FILE, lambda text: _parse(text, LOCK_FILE))
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise InvalidInput(f"{LOCK_FILE} is not UTF-8 text; {_FIX}") from None
    return _entries(document, LOCK_FILE)


def parse_lock(text: bytes | str, source: str) -> dict[str, LockEntry]:
    """The entries of a lock file's ``text``; :class:`InvalidInput` naming ``source``."""
    return _entries(_parse(text, source), source)


def _parse(text: bytes | str, source: str) -> Any:
    import yaml  # here: a no-op run reads the lock from .cairn/parsed/

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        raise InvalidInput(f"{source} is not valid YAML; {_FIX}") from None


def _entries(document: Any, source: str) -> dict[str, LockEntry]:
    if document is None:
        return {}
    if not isinstance(document, dict) or document.get("version") != VERSION:
        raise InvalidInput(f"{source} is not a version {VERSION} cairn.lock; {_FIX}")
    stages = document.get("stages") or {}
    if not isinstance(stages, dict):
        raise InvalidInput(f"{source}: 'stages' must be a mapping; {_FIX}")
    return {str(name): _entry(name, raw, source) for name, raw in stages.items()}


def _entry(name: str, raw: Any, source: str) -> LockEntry:
    where = f"{source}: stage {name!r}"
    if not isinstance(raw, dict) or not isinstance(raw.get("cmd"), str):
        raise InvalidInput(f"{where} needs a 'cmd'; {_FIX}")
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise InvalidInput(f"{where}: 'params' must be a mapping; {_FIX}")
    return LockEntry(
        cmd=raw["cmd"],
        fingerprint=str(raw.get("fingerprint") or ""),
        deps=_hashes(raw.get("deps"), f"{where} deps", source),
        params={str(k): v for k, v in params.items()},
        outs=_hashes(raw.get("outs"), f"{where} outs", source),
        metrics=_hashes(raw.get("metrics"), f"{where} metrics", source),
    )


def _hashes(raw: Any, where: str, source: str) -> dict[str, PathHash]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where} must be a mapping of path -> hash; {_FIX}")
    found = {}
    for path, item in raw.items():
        hashed = _hash(item)
        if hashed is None:
            raise InvalidInput(
                f"{where}: {path!r} needs 'hash: {HASH_NAME}:...' and 'size'; {_FIX}"
            )
        found[str(path)] = hashed
    return found


def _hash(item: Any) -> PathHash | None:
    if not isinstance(item, dict):
        return None
    try:
        oid = Digest.parse(item.get("hash")).value
    except InvalidInput:
        return None
    size, kind, files = item.get("size"), item.get("kind", "file"), item.get("files")
    if type(size) is not int or kind not in ("file", "dir"):
        return None
    return PathHash(oid, size, kind, files if type(files) is int else None)


HEADER = "# cairn.lock: written by `cairn pipeline run`; commit it with cairn.yaml.\n"


class Fragment(NamedTuple):
    """One entry as the lock file holds it: the entry, its YAML text and its plain data."""

    entry: LockEntry
    text: str
    data: dict[str, Any]


def lock_text(
    entries: Mapping[str, LockEntry],
    order: Iterable[str],
    fragments: dict[str, Fragment] | None = None,
) -> str:
    """The text of a lock file holding ``entries``, stages in ``order`` (others dropped).

    ``fragments`` remembers each entry's text between calls, so that rewriting the file
    after every stage costs one entry's YAML, not the whole file's."""
    parts = [HEADER, f"version: {VERSION}\n"]
    parts += [f.text for f in _fragments(entries, order, fragments).values()]
    if len(parts) == 2:
        return HEADER + f"version: {VERSION}\nstages: {{}}\n"
    parts.insert(2, "stages:\n")
    return "".join(parts)


def _fragments(
    entries: Mapping[str, LockEntry],
    order: Iterable[str],
    known: dict[str, Fragment] | None,
) -> dict[str, Fragment]:
    """The fragment of each entry in ``order`` (reusing those in ``known``, and adding to it)."""
    known = {} if known is None else known
    found = {}
    for name in order:
        entry = entries.get(name)
        if entry is None:
            continue
        fragment = known.get(name)
        if fragment is None or fragment.entry is not entry:
            data = entry.to_dict()
            fragment = known[name] = Fragment(entry, _entry_text(name, data), data)
        found[name] = fragment
    return found


def _entry_text(name: str, data: dict[str, Any]) -> str:
    """``name: {entry}`` as block YAML, indented to sit under ``stages:``."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    dumped = yaml.dump(
        {name: data}, Dumper=dumper, sort_keys=False, default_flow_style=False,
        allow_unicode=True, width=1 << 16,
    )  # fmt: skip
    lines = dumped.splitlines(keepends=True)
    return "".join("  " + line if line.strip() else line for line in lines)


def write_lock(
    root: Path,
    entries: Mapping[str, LockEntry],
    order: Iterable[str],
    fragments: dict[str, Fragment] | None = None,
) -> None:
    """Write ``ROOT/cairn.lock`` atomically (see :func:`lock_text` for ``fragments``), and
    remember its parsed form so that the next run need not parse it."""
    path = root / LOCK_FILE
    fragments = {} if fragments is None else fragments
    order = list(order)
    text = lock_text(entries, order, fragments)
    tmp = path.with_name(f".{LOCK_FILE}.{os.urandom(4).hex()}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    stages = {name: f.data for name, f in _fragments(entries, order, fragments).items()}
    remember(path, {"version": VERSION, "stages": stages})
