"""Which optional extra of cairn brings a missing import, so errors can say what to install.

The extras and their packages are read from cairn's own metadata (``[project.optional-
dependencies]`` of pyproject.toml), so the advice cannot drift from the packaging.
"""

from __future__ import annotations

import re
import sys
from functools import cache

__all__ = [
    "FILESYSTEM_MODULES", "backend_errors", "extra_for", "install_hint", "missing_optional",
]  # fmt: skip

# Import names that differ from the name of the distribution that provides them.
_DISTRIBUTION_OF = {
    "PIL": "pillow",
    "sklearn": "scikit-learn",
    "markdown_it": "markdown-it-py",
    "pynvml": "nvidia-ml-py",
    "distributed": "dask",
}
# fsspec's URL schemes -> the module that implements them.
FILESYSTEM_MODULES = {
    "s3": "s3fs",
    "s3a": "s3fs",
    "gs": "gcsfs",
    "gcs": "gcsfs",
    "az": "adlfs",
    "abfs": "adlfs",
    "abfss": "adlfs",
    "adl": "adlfs",
    "hdfs": "pyarrow",
}
_REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+).*;\s*extra\s*==\s*['\"]([\w-]+)['\"]")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def _extras_by_distribution() -> dict[str, str]:
    """Distribution name -> the first extra listing it (``dev`` aside)."""
    from importlib.metadata import PackageNotFoundError, requires  # ~40 ms: only on an error

    try:
        lines = requires("cairn") or []
    except PackageNotFoundError:
        return {}
    found: dict[str, str] = {}
    for line in lines:
        match = _REQUIREMENT.match(line)
        if match and match[2] != "dev":
            found.setdefault(_normal(match[1]), match[2])
    return found


def extra_for(module: str) -> str | None:
    """The extra whose install provides ``module`` (a top-level import name), or None."""
    top = module.split(".", 1)[0]
    return _extras_by_distribution().get(_normal(_DISTRIBUTION_OF.get(top, top)))


def install_hint(module: str) -> str:
    """``pip install 'cairn[EXTRA]'`` for an optional module, else ``pip install NAME``."""
    extra = extra_for(module)
    if extra:
        return f"pip install 'cairn[{extra}]'"
    top = module.split(".", 1)[0]
    return f"pip install {_DISTRIBUTION_OF.get(top, top)}"


def missing_optional(exc: ImportError) -> str | None:
    """The top-level module an ImportError failed to find, when an extra of cairn provides it."""
    name = exc.name or ""
    top = name.split(".", 1)[0]
    return top if top and extra_for(top) else None


def backend_errors() -> tuple[type[BaseException], ...]:
    """The exception types a filesystem raises for a failed request: ``OSError``, plus
    botocore's (missing credentials, refused requests) once an S3 backend is loaded."""
    found: list[type[BaseException]] = [OSError]
    if "botocore" in sys.modules:
        from botocore.exceptions import BotoCoreError, ClientError

        found += [BotoCoreError, ClientError]
    return tuple(found)
