"""The documentation site builds with ``mkdocs build --strict``, and its generated pages
(CLI, Python API, REST API, benchmarks) carry the current commands, docstrings, routes and
figures."""

from __future__ import annotations

import html
import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
MKDOCS = Path(sys.executable).with_name("mkdocs")


def _hook(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"docs_hook_{name}", DOCS / "hooks" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _text(page: Path) -> str:
    """A built page's visible text, tags stripped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stderr[-6000:]}"
    return out


def _nav_files(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [f for value in node.values() for f in _nav_files(value)]
    if isinstance(node, list):
        return [f for item in node for f in _nav_files(item)]
    return []


def test_every_page_is_in_the_nav() -> None:
    """So that --strict checks every page's links and anchors."""
    nav = _nav_files(yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"])
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "hooks" not in p.parts}
    assert sorted(pages - set(nav)) == [], "add these pages to the nav in mkdocs.yml"
    assert len(nav) == len(set(nav)), "a page is listed twice in the nav"


@pytest.mark.slow
def test_site_builds_offline(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in text, f"{page} loads Google Fonts"


@pytest.mark.slow
def test_cli_reference_page(site: Path) -> None:
    text = _text(site / "cli" / "index.html")
    for command in ("cairn data add", "cairn server", "cairn models serve", "cairn sweep"):
        assert command in text


@pytest.mark.slow
def test_rest_api_page_lists_every_route(site: Path) -> None:
    from cairn.server.app import ServerSettings, create_app

    live = create_app(ServerSettings("sqlite:///unused.db", auth=True)).openapi()
    written = json.loads((site / "reference" / "openapi.json").read_text())
    assert written == live, "openapi.json in the site is not the server's document"
    text = _text(site / "reference" / "rest-api" / "index.html")
    assert "POST /api/2.0/mlflow/runs/create" in text
    for path, operations in live["paths"].items():
        for method in operations:
            assert f"{method.upper()} {path}" in text, f"{method} {path} missing from the page"
    assert "Request body (application/json): CreateRun" in text


@pytest.mark.slow
def test_python_api_page_has_the_docstrings(site: Path) -> None:
    import cairn

    page = (site / "reference" / "python-api" / "index.html").read_text(encoding="utf-8")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())
    summary = inspect.getdoc(cairn.start_run).split("\n\n")[0].replace("`", "")
    assert " ".join(summary.split()) in text  # ``run_id`` renders as code: no backticks
    hook = _hook("python_api")
    for _, name in hook.SECTIONS:
        for member, value in hook.public_members(importlib.import_module(name)):
            path = hook.defined_at(value)
            where = f'id="{path}"' if path else f"{name}.{member}"
            assert where in page, f"{name}.{member} is not on the Python API page"
    for name in ("start_run", "log_metric", "CairnClient", "stage"):
        assert f'id="{hook.defined_at(getattr(cairn, name))}"' in page


@pytest.mark.slow
def test_benchmarks_page_shows_the_latest_figures(site: Path) -> None:
    fmt = _hook("benchmarks").fmt
    text = _text(site / "benchmarks" / "index.html")
    data = json.loads((ROOT / "benchmarks" / "data-latest.json").read_text())
    assert f"{fmt(data['ratios']['dvc_over_cairn']['status_clean'])}×" in text
    assert fmt(data["cairn"]["add_big"]) in text
    tracking = json.loads((ROOT / "benchmarks" / "tracking-latest.json").read_text())
    assert f"{fmt(tracking['workloads']['single_log_metric']['ratio'])}×" in text
    assert ".venv/bin/python benchmarks/bench_data.py" in text


def test_benchmark_hook_names_a_missing_result(tmp_path: Path) -> None:
    from mkdocs.exceptions import PluginError

    with pytest.raises(PluginError, match=r"tracking-latest\.json.*bench_tracking\.py"):
        _hook("benchmarks").render(tmp_path)


def test_benchmark_hook_names_a_reshaped_result(tmp_path: Path) -> None:
    from mkdocs.exceptions import PluginError

    bench = ROOT / "benchmarks"
    for source in bench.glob("*-latest.json"):
        (tmp_path / source.name).write_text(source.read_text())
    (tmp_path / "pipeline-latest.json").write_text(json.dumps({"when": "2026-01-01"}))
    with pytest.raises(PluginError, match=r"pipeline-latest\.json lacks 'summary'"):
        _hook("benchmarks").render(tmp_path)


def test_rest_hook_renders_families_groups_and_schemas() -> None:
    document = {
        "paths": {
            "/api/2.0/mlflow/runs/create": {
                "post": {
                    "summary": "Create Run",
                    "requestBody": {"content": {"application/json": {"schema": {
                        "$ref": "#/components/schemas/cairn__server__mlflow__schemas__CreateRun"}}}},
                    "responses": {"200": {"description": "OK", "content": {}}},
                }
            },
            "/api/v1/runs/{run_id}": {
                "get": {
                    "tags": ["runs"], "summary": "Get Run",
                    "parameters": [{"name": "run_id", "in": "path", "required": True,
                                    "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "OK", "content": {"application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Run"}}}}}},
                }
            },
        },
        "components": {"schemas": {
            "cairn__server__mlflow__schemas__CreateRun": {
                "properties": {"tags": {"type": "array", "items": {"type": "string"}, "default": []}}},
            "Run": {"properties": {"run_id": {"type": "string"}}, "required": ["run_id"]},
        }},
    }  # fmt: skip
    text = _hook("rest_api").render(document)
    native, mlflow = text.index("## Native API"), text.index("## MLflow-compatible API")
    assert native < text.index("### runs") < mlflow < text.index("### runs", mlflow)
    assert "| `run_id` | path | string | yes |  |" in text
    assert (
        "Request body (application/json): [CreateRun](#schema-cairn-server-mlflow-schemas-createrun)"
        in text
    )
    assert "- 200 OK: list[[Run](#schema-run)]" in text
    assert "### CreateRun {#schema-cairn-server-mlflow-schemas-createrun}" in text
    assert "| `tags` | list[string] | no | `[]` |" in text


def test_python_api_hook_follows_lazy_names_to_their_home() -> None:
    import cairn
    import cairn.monitoring

    hook = _hook("python_api")
    top = dict(hook.public_members(cairn))
    assert "start_run" in top and "CairnClient" in top
    assert not {"data", "sklearn", "__version__"} & set(top), "submodules are not members"
    monitoring = dict(hook.public_members(cairn.monitoring))
    assert (
        hook.defined_at(monitoring["create_monitor"]) == "cairn.monitoring.monitors.create_monitor"
    )
    assert hook.defined_at(cairn.entities.PARENT_TAG) is None
    text = hook.render()
    assert "::: cairn.tracking.client.CairnClient" in text
    assert f"| `cairn.entities.PARENT_TAG` | `{cairn.entities.PARENT_TAG!r}` |" in text
