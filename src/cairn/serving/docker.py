"""``cairn models build-docker``: a Dockerfile and its context that serve one model.

The context holds::

    Dockerfile          python:<model's python>-slim, pip install, serve on 0.0.0.0:8080
    requirements.txt    cairn itself, then the model's pinned requirements
    model/              the model folder (MLmodel, files, environment)
    .dockerignore

No engine is run here; ``docker build DIR`` builds the image.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cairn.errors import InvalidInput

__all__ = ["PORT", "build_docker_context", "dockerfile"]

PORT = 8080


def _python_version(folder: Path) -> str:
    """``major.minor`` of the Python the model was saved with."""
    from cairn.models.model import Model

    version = Model.load(folder).python_version
    parts = version.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        raise InvalidInput(f"the model's python_version {version!r} is not like 3.12.1")
    return ".".join(parts[:2])


def _requirements(folder: Path, cairn_requirement: str) -> list[str]:
    lines = [cairn_requirement]
    path = folder / "requirements.txt"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and not line.startswith("-"):
                name = line.split("==")[0].split("[")[0].strip().lower()
                if name not in ("cairn", "mlflow") and line not in lines:
                    lines.append(line)
    return lines


def dockerfile(python: str) -> str:
    """The Dockerfile text for a model saved with Python ``python`` (``3.12``)."""
    return (
        f"FROM python:{python}-slim\n"
        "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1\n"
        "WORKDIR /opt\n"
        "COPY requirements.txt /opt/requirements.txt\n"
        "RUN pip install -r /opt/requirements.txt\n"
        "COPY model /opt/model\n"
        "RUN useradd --create-home --uid 10001 cairn\n"
        "USER cairn\n"
        f"EXPOSE {PORT}\n"
        'ENTRYPOINT ["cairn", "models", "serve", "/opt/model", '
        f'"--host", "0.0.0.0", "--port", "{PORT}"]\n'
    )


def build_docker_context(
    uri: str, output: str | Path, cairn_requirement: str | None = None
) -> Path:
    """Write the build context for the model at ``uri`` into ``output`` (new or empty)."""
    from cairn import __version__
    from cairn.models.uris import download_model

    target = Path(output)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidInput(f"output {target} exists and is not an empty folder")
    folder = Path(download_model(uri))
    if not (folder / "MLmodel").is_file():
        raise InvalidInput(f"{uri} is not a model folder (no MLmodel file)")
    python = _python_version(folder)
    requirement = cairn_requirement or f"cairn[serving]=={__version__}"
    target.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copytree(folder, target / "model")
        (target / "requirements.txt").write_text(
            "\n".join(_requirements(folder, requirement)) + "\n", encoding="utf-8"
        )
        (target / "Dockerfile").write_text(dockerfile(python), encoding="utf-8")
        (target / ".dockerignore").write_text("**/__pycache__\n**/*.pyc\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target
