"""Data remotes in the project's ``.cairn/config.toml`` (the one file of ``.cairn/`` in git)::

    [data]
    default_remote = "origin"

    [data.remotes.origin]
    url = "s3://bucket/project"      # or a folder, relative to the project root

Only names and URLs live there, never secrets: each backend finds its credentials through
its usual chain (environment, profile, instance role). Edits keep the rest of the file,
comments included, and are written atomically.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cairn.config import CAIRN_DIR
from cairn.data.remote_layout import RemoteStorage, check_url
from cairn.errors import AlreadyExists, ConfigError, InvalidInput, NotFound, did_you_mean
from cairn.objects.hashing import hash_bytes

CONFIG_NAME = "config.toml"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True, slots=True)
class RemoteConfig:
    """A named remote: its URL as written in the config, and whether it is the default."""

    name: str
    url: str
    default: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"name": self.name, "url": self.url, "default": self.default}


def config_path(root: Path) -> Path:
    """The project's ``.cairn/config.toml``."""
    return root / CAIRN_DIR / CONFIG_NAME


def _load(root: Path) -> dict[str, Any]:
    path = config_path(root)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix it by hand first") from exc


def list_remotes(root: Path) -> list[RemoteConfig]:
    """The configured remotes, sorted by name."""
    return parse_remotes(_load(root), str(config_path(root)))


def parse_remotes(config: dict[str, Any], source: str) -> list[RemoteConfig]:
    """The remotes of a parsed ``config.toml`` (``source`` names it in errors)."""
    data = config.get("data") or {}
    tables = data.get("remotes") or {} if isinstance(data, dict) else None
    if not isinstance(tables, dict):
        raise ConfigError(f"[data.remotes] in {source} must be a table of remotes")
    default = data.get("default_remote")
    found = []
    for name, table in sorted(tables.items()):
        url = table.get("url") if isinstance(table, dict) else None
        if not isinstance(url, str) or not url:
            raise ConfigError(
                f"remote {name!r} in {source} has no url; set "
                f'[data.remotes.{name}] url = "..." or remove it'
            )
        found.append(RemoteConfig(name, url, name == default))
    return found


def default_remote(root: Path) -> str | None:
    """The name of the default remote, if one is set."""
    return _default_of(_load(root))


def _default_of(config: dict[str, Any]) -> str | None:
    data = config.get("data") or {}
    value = data.get("default_remote") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def get_remote(root: Path, name: str | None = None) -> RemoteConfig:
    """Remote ``name``, or the default one when ``name`` is None."""
    config = _load(root)
    return choose_remote(config, name, str(config_path(root)))


def choose_remote(config: dict[str, Any], name: str | None, source: str) -> RemoteConfig:
    """Remote ``name`` (or the default) of a parsed config; one-line errors saying what to do."""
    remotes = {remote.name: remote for remote in parse_remotes(config, source)}
    if name is None:
        name = _default_of(config)
        if name is None:
            if not remotes:
                raise ConfigError(
                    f"no data remote is configured in {source}: add one with "
                    "`cairn data remote add NAME URL --default`"
                )
            raise ConfigError(
                f"no default data remote in {source}: pass -r NAME (one of "
                f"{', '.join(sorted(remotes))}) or set one with `cairn data remote default NAME`"
            )
        if name not in remotes:
            raise ConfigError(
                f"the default data remote {name!r} is not configured in {source}; set another "
                "with `cairn data remote default NAME` or add it with `cairn data remote add`"
            )
    if name not in remotes:
        known = ", ".join(sorted(remotes)) or "none yet"
        raise NotFound(
            f"no data remote named {name!r} (configured: {known}).{did_you_mean(name, remotes)}"
            " Add it with `cairn data remote add NAME URL`"
        )
    return remotes[name]


def open_remote(root: Path, name: str | None = None) -> RemoteStorage:
    """The storage of remote ``name`` (or the default)."""
    remote = get_remote(root, name)
    return RemoteStorage.open(remote.name, remote.url, root)


def index_copy_dir(root: Path, storage: RemoteStorage) -> Path:
    """Where the local copy of a remote's index lives (keyed by the remote's full URL)."""
    return root / CAIRN_DIR / "remotes" / hash_bytes(storage.url.encode())[:16]


# -- edits --------------------------------------------------------------------------------------


def check_name(name: str) -> str:
    """``name`` when it can name a remote; :class:`InvalidInput` otherwise."""
    if not _NAME.fullmatch(name or ""):
        raise InvalidInput(
            f"remote name {name!r} is not allowed: use letters, digits, '.', '_' or '-' "
            "(at most 64, starting with a letter or digit)"
        )
    return name


def add_remote(
    root: Path, name: str, url: str, *, default: bool = False, force: bool = False
) -> tuple[RemoteConfig, str]:
    """Add remote ``name`` at ``url``; returns it and a note (e.g. an extra to install)."""
    check_name(name)
    note = check_url(url)
    existing = {remote.name for remote in list_remotes(root)}
    if name in existing and not force:
        raise AlreadyExists(
            f"data remote {name!r} exists already; pass --force to change its URL, or "
            "choose another name"
        )

    def edit(doc: Any) -> None:
        import tomlkit

        data = _table(doc, "data")
        remotes = _table(data, "remotes", super_table=True)
        table = tomlkit.table()
        table["url"] = url
        remotes[name] = table
        if default:
            data["default_remote"] = name

    _edit(root, edit)
    return RemoteConfig(name, url, default or default_remote(root) == name), note


def remove_remote(root: Path, name: str) -> None:
    """Remove remote ``name`` (and unset it as the default)."""
    get_remote(root, name)

    def edit(doc: Any) -> None:
        data = doc["data"]
        del data["remotes"][name]
        if data.get("default_remote") == name:
            del data["default_remote"]

    _edit(root, edit)


def set_default(root: Path, name: str) -> None:
    """Make remote ``name`` the default."""
    get_remote(root, name)
    _edit(root, lambda doc: doc["data"].__setitem__("default_remote", name))


def _table(parent: Any, key: str, super_table: bool = False) -> Any:
    import tomlkit

    if key not in parent:
        parent[key] = tomlkit.table(is_super_table=super_table)
    elif not isinstance(parent[key], dict):
        raise ConfigError(f"'{key}' in .cairn/config.toml must be a table; fix it by hand first")
    return parent[key]


def _edit(root: Path, change: Any) -> None:
    """Apply ``change`` to the parsed config (comments kept) and write it atomically."""
    import tomlkit

    path = config_path(root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix it by hand first") from exc
    change(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
