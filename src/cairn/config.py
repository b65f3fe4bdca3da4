"""Where cairn keeps things: tracking URI and artifact root resolution.

Order, first match wins: an explicit argument > ``CAIRN_TRACKING_URI`` > ``[tool.cairn]`` in
``pyproject.toml`` or ``.cairn/config.toml`` of the project > ``.cairn/`` at the project
root, which is the nearest folder upward holding ``.cairn/`` or ``.git``, else the current
folder.

Commands that only read wrap their work in :func:`existing_project_only`: there, the default
store of a folder without ``.cairn/`` is an error saying to run ``cairn init``, instead of a
new empty store created wherever the command happened to run.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from cairn.errors import ConfigError

ENV_TRACKING_URI = "CAIRN_TRACKING_URI"
ENV_ARTIFACT_ROOT = "CAIRN_ARTIFACT_ROOT"
ENV_SPOOL_DIR = "CAIRN_SPOOL_DIR"
CAIRN_DIR = ".cairn"
# Only config.toml is meant for git: the database, artifacts, cache and spool stay local.
CAIRN_GITIGNORE = "*\n!.gitignore\n!config.toml\n"

_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"0", "false", "no", "off"})

_EXISTING_ONLY: ContextVar[bool] = ContextVar("cairn_existing_project_only", default=False)
# "scheme:" without "//" ("sqlite:/x", "postgresql:host"); one letter is a Windows drive.
_SCHEME_WITHOUT_SLASHES = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):(?!//)")


@dataclass(frozen=True, slots=True)
class Settings:
    """The resolved locations for one process."""

    tracking_uri: str
    artifact_root: str | None
    project_root: Path
    spool_dir: Path
    embedded: bool = False  # the default store in the project's .cairn/


def parse_flag(text: str | None) -> bool | None:
    """A yes/no word (``1 true yes on`` / ``0 false no off``, any case, spaces ignored) as a
    bool; None for anything else, which each caller rejects or reads as no."""
    word = (text or "").strip().lower()
    if word in _TRUE_WORDS:
        return True
    return False if word in _FALSE_WORDS else None


def env_flag(name: str) -> bool:
    """Whether environment variable ``name`` is set to a yes word (see :func:`parse_flag`)."""
    return parse_flag(os.environ.get(name)) is True


def find_project_root(start: Path | None = None) -> Path:
    """The nearest folder upward with ``.cairn/`` or ``.git``, else ``start`` itself."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CAIRN_DIR).is_dir():
            return folder
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def project_config(root: Path) -> dict:
    """Settings from ``.cairn/config.toml`` overlaid by ``[tool.cairn]`` of ``pyproject.toml``."""
    config = dict(_read_toml(root / CAIRN_DIR / "config.toml"))
    tool = _read_toml(root / "pyproject.toml").get("tool", {}).get("cairn", {})
    config.update(tool)
    return config


def _absolute(uri: str, root: Path) -> str:
    """Make a relative SQLite path or bare folder relative to the project root absolute."""
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        rel = uri[len("sqlite:///") :]
        if rel and rel != ":memory:":
            return f"sqlite:///{(root / rel).resolve()}"
    if "://" not in uri:
        path = (root / uri).resolve()
        if path.suffix in (".db", ".sqlite", ".sqlite3"):
            return f"sqlite:///{path}"
        return f"sqlite:///{path / 'cairn.db'}"
    return uri


@contextmanager
def existing_project_only() -> Iterator[None]:
    """Within, resolving to the default store of a folder with no ``.cairn/`` raises
    ConfigError instead of letting the caller create the store there."""
    token = _EXISTING_ONLY.set(True)
    try:
        yield
    finally:
        _EXISTING_ONLY.reset(token)


def _chosen_uri(tracking_uri: str | None, root: Path, config: dict) -> tuple[object, str]:
    """The configured tracking URI (None when unset) and where it came from."""
    if tracking_uri:
        return tracking_uri, "tracking URI"
    if os.environ.get(ENV_TRACKING_URI):
        return os.environ[ENV_TRACKING_URI], ENV_TRACKING_URI
    where = f"{root / CAIRN_DIR / 'config.toml'} or [tool.cairn] of pyproject.toml"
    return config.get("tracking_uri"), f"tracking_uri in {where}"


def _check_form(uri: str, source: str) -> None:
    """Refuse URIs that would otherwise be read as a folder name or fail deep in a driver."""
    bad = _SCHEME_WITHOUT_SLASHES.match(uri)
    sqlite_host = uri.startswith("sqlite://") and not uri.startswith("sqlite:///")
    if bad or (sqlite_host and uri != "sqlite://"):
        scheme = bad[1] if bad else "sqlite"
        example = (
            "sqlite:///PATH/cairn.db (three slashes; four for an absolute path)"
            if scheme.lower().startswith("sqlite")
            else f"{scheme}://HOST/..."
        )
        raise ConfigError(f"{source} {uri!r} is malformed: write it as {example}")


def resolve(tracking_uri: str | None = None, cwd: Path | None = None) -> Settings:
    """The settings in force, given an optional explicit tracking URI."""
    root = find_project_root(cwd)
    config = project_config(root)
    uri, source = _chosen_uri(tracking_uri, root, config)
    default_dir = root / CAIRN_DIR
    default_uri = f"sqlite:///{default_dir / 'cairn.db'}"
    if uri is None:
        if _EXISTING_ONLY.get() and not default_dir.is_dir():
            here = (cwd or Path.cwd()).resolve()
            raise ConfigError(
                f"no cairn project here (no {CAIRN_DIR}/ in {here} or its parents): run "
                f"`cairn init` first, or set {ENV_TRACKING_URI} to a store"
            )
        uri = default_uri
    if not isinstance(uri, str):
        raise ConfigError(f"{source} must be a string, got {uri!r}")
    _check_form(uri, source)
    artifact_root = os.environ.get(ENV_ARTIFACT_ROOT) or config.get("artifact_root")
    if artifact_root and "://" not in artifact_root:
        artifact_root = str((root / artifact_root).resolve())
    spool = os.environ.get(ENV_SPOOL_DIR) or config.get("spool_dir")
    spool_dir = Path(spool) if spool else default_dir / "spool"
    uri = _absolute(uri, root)
    return Settings(uri, artifact_root, root, spool_dir, embedded=uri == default_uri)


def ensure_cairn_dir(root: Path) -> Path:
    """Create ``root/.cairn`` with a ``.gitignore`` keeping all but config.toml out of git, so
    the store never makes a run's commit look dirty; return the folder."""
    folder = root / CAIRN_DIR
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text(CAIRN_GITIGNORE, encoding="utf-8")
    return folder
