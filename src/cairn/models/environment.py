"""Environment files of a model folder: ``requirements.txt`` and ``python_env.yaml``, with the
exact versions installed when the model was saved."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

__all__ = ["REQUIREMENTS_FILE", "PYTHON_ENV_FILE", "pinned", "write_environment"]

REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"
_BUILD = ("pip", "setuptools", "wheel")


def pinned(package: str) -> str:
    """``package==<installed version>``, or the name alone if it is not installed."""
    name = package.split("[")[0]
    try:
        return f"{package}=={metadata.version(name)}"
    except metadata.PackageNotFoundError:
        return package


def write_environment(
    folder: str | Path,
    packages: list[str],
    extra: list[str] | None = None,
    requirements: list[str] | None = None,
) -> list[str]:
    """Write both files into ``folder``; return the requirement lines.

    ``packages`` are pinned to their installed versions (cairn itself always comes first);
    ``requirements`` replaces that list outright and ``extra`` lines are appended verbatim.
    """
    import yaml

    folder = Path(folder)
    if requirements is not None:
        lines = [str(r) for r in requirements]
    else:
        lines = [pinned("cairn")] + [pinned(p) for p in dict.fromkeys(packages) if p != "cairn"]
    lines += [str(r) for r in extra or []]
    (folder / REQUIREMENTS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {
        "python": "{}.{}.{}".format(*sys.version_info[:3]),
        "build_dependencies": [pinned(b) for b in _BUILD],
        "dependencies": [f"-r {REQUIREMENTS_FILE}"],
    }
    (folder / PYTHON_ENV_FILE).write_text(yaml.safe_dump(env, sort_keys=False), encoding="utf-8")
    return lines
