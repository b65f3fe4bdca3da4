"""``cairn models build-docker`` writes a Dockerfile and context (no engine runs here), and
``cairn models serve`` refuses bad options with one line."""

from __future__ import annotations

import sys

import pytest

from cli_support import cairn


def test_build_docker_writes_the_context(tmp_path, scorer_folder):
    target = tmp_path / "image"
    result = cairn("models", "build-docker", str(scorer_folder), "-o", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(target)
    assert sorted(p.name for p in target.iterdir()) == [
        ".dockerignore", "Dockerfile", "model", "requirements.txt",
    ]  # fmt: skip
    assert (target / "model" / "MLmodel").read_text() == (scorer_folder / "MLmodel").read_text()
    assert (target / "model" / "python_model.pkl").is_file()
    dockerfile = (target / "Dockerfile").read_text()
    python = "{}.{}".format(*sys.version_info[:2])
    assert dockerfile.startswith(f"FROM python:{python}-slim\n")
    assert "RUN pip install -r /opt/requirements.txt\n" in dockerfile
    assert "COPY model /opt/model\n" in dockerfile
    assert dockerfile.rstrip().endswith(
        'ENTRYPOINT ["cairn", "models", "serve", "/opt/model", '
        '"--host", "0.0.0.0", "--port", "8080"]'
    )
    requirements = (target / "requirements.txt").read_text().splitlines()
    assert requirements[0] == "cairn[serving]==0.1.0"
    model_requirements = (scorer_folder / "requirements.txt").read_text().splitlines()
    pinned = [r for r in model_requirements if r and not r.startswith(("#", "cairn", "mlflow"))]
    assert pinned and all("==" in r for r in pinned)
    assert requirements[1:] == pinned


def test_build_docker_with_another_cairn_requirement(tmp_path, scorer_folder):
    target = tmp_path / "image"
    result = cairn(
        "models", "build-docker", str(scorer_folder), "-o", str(target),
        "--cairn-requirement", "cairn @ git+https://example.org/cairn.git",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    first = (target / "requirements.txt").read_text().splitlines()[0]
    assert first == "cairn @ git+https://example.org/cairn.git"


def test_build_docker_refuses_a_folder_with_files(tmp_path, scorer_folder):
    target = tmp_path / "image"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    result = cairn("models", "build-docker", str(scorer_folder), "-o", str(target))
    assert result.exit_code == 1
    assert "exists and is not an empty folder" in result.stderr
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


def test_build_docker_of_no_model_writes_nothing(tmp_path):
    result = cairn("models", "build-docker", str(tmp_path / "none"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--log-predictions", "1.5"], "--log-predictions must be a rate within 0 and 1"),
        (["--poll-interval", "0"], "--poll-interval must be positive"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--max-body-bytes", "0"], "--max-body-bytes must be positive"),
    ],
)
def test_serve_refuses_bad_options(scorer_folder, args, message):
    result = cairn("models", "serve", str(scorer_folder), *args)
    assert result.exit_code == 1
    assert message in result.stderr


def test_serve_of_no_model_is_one_line(tmp_path):
    result = cairn("models", "serve", str(tmp_path / "none"))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no model at")


def test_serve_with_workers_checks_the_model_first(tmp_path):
    result = cairn("models", "serve", str(tmp_path / "none"), "--workers", "2")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no model at")
