"""MkDocs hook: the REST API reference, rendered from the server's own OpenAPI document.

At build time the FastAPI app of ``cairn server`` is created (with ``--auth``, so the account
routes are included; no store is opened), its ``openapi()`` document is written into the
site as ``reference/openapi.json`` and rendered into the body of ``reference/rest-api.md``:
one section per API family and tag, each endpoint with its method, path, summary,
parameters, request body and response schema, then every schema's fields. The page can
therefore never drift from the routes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from mkdocs.structure.files import File, Files

PAGE = "reference/rest-api.md"
JSON_FILE = "reference/openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")
FAMILIES = (
    ("/api/v1/", "Native API: /api/v1"),
    ("/api/2.0/mlflow/", "MLflow-compatible API: /api/2.0/mlflow"),
    ("/api/2.0/mlflow-artifacts/", "MLflow artifact proxy: /api/2.0/mlflow-artifacts"),
    ("/api/3.0/mlflow/", "MLflow 3 API: /api/3.0/mlflow"),
    ("/", "Service"),
)
_document: dict[str, Any] = {}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of a ``cairn server --auth`` app (built once per process)."""
    if not _document:
        from cairn.server.app import ServerSettings, create_app

        # The store is only opened by the app's lifespan, which openapi() does not run.
        settings = ServerSettings("sqlite:///cairn-docs-unused.db", auth=True)
        _document.update(create_app(settings).openapi())
    return _document


def on_files(files: Files, config: Any) -> Files:
    """Add ``reference/openapi.json`` to the site."""
    text = json.dumps(openapi_document(), indent=2, sort_keys=True)
    files.append(File.generated(config, JSON_FILE, content=text))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Append the rendered reference to the REST API page."""
    if page.file.src_uri != PAGE:
        return markdown
    return markdown.rstrip() + "\n\n" + render(openapi_document())


def render(document: dict[str, Any]) -> str:
    """The OpenAPI ``document`` as Markdown: endpoints by family and group, then schemas."""
    names = _schema_names(document.get("components", {}).get("schemas", {}))
    groups: dict[str, dict[str, list[tuple[str, str, dict[str, Any]]]]] = {}
    for path, method, operation in _operations(document):
        prefix, _ = _family(path)
        group = _group(prefix, path, operation)
        groups.setdefault(prefix, {}).setdefault(group, []).append((path, method, operation))
    lines: list[str] = []
    for prefix, title in FAMILIES:
        if prefix not in groups:
            continue
        lines += [f"## {title}", ""]
        for group in sorted(groups[prefix]):
            lines += [f"### {group}", ""]
            for path, method, operation in groups[prefix][group]:
                lines += _endpoint(path, method, operation, names)
    lines += ["## Schemas", ""]
    for key, schema in sorted(
        document.get("components", {}).get("schemas", {}).items(), key=lambda i: names[i[0]]
    ):
        lines += _schema(key, schema, names)
    return "\n".join(lines) + "\n"


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in sorted(document["paths"]):
        for method in METHODS:
            operation = document["paths"][path].get(method)
            if operation is not None:
                yield path, method, operation


def _family(path: str) -> tuple[str, str]:
    return next((p, t) for p, t in FAMILIES if path.startswith(p))


def _group(prefix: str, path: str, operation: dict[str, Any]) -> str:
    if prefix == "/api/v1/" and operation.get("tags"):
        return str(operation["tags"][0])
    rest = path[len(prefix) :].split("/")[0]
    return rest or "service"


def _schema_names(schemas: dict[str, Any]) -> dict[str, str]:
    """Readable names: ``CreateRun``, or ``CreateRun (mlflow.schemas)`` when two share it."""
    short = {key: key.rsplit("__", 1)[-1] for key in schemas}
    counts: dict[str, int] = {}
    for name in short.values():
        counts[name] = counts.get(name, 0) + 1
    names = {}
    for key, name in short.items():
        module = ".".join(key.split("__")[2:-1])
        names[key] = f"{name} ({module})" if counts[name] > 1 and module else name
    return names


def _anchor(key: str) -> str:
    return "schema-" + key.lower().replace("__", "-").replace("_", "-")


def _ref(ref: str, names: dict[str, str]) -> str:
    key = ref.rsplit("/", 1)[-1]
    return f"[{names.get(key, key)}](#{_anchor(key)})"


def _type(schema: dict[str, Any], names: dict[str, str]) -> str:
    """A short type: ``string``, ``list[Metric]``, ``integer or null``, ``one of a, b``."""
    if "$ref" in schema:
        return _ref(schema["$ref"], names)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            return " or ".join(_type(s, names) for s in schema[combinator])
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list[{_type(schema.get('items', {}), names)}]"
    extra = schema.get("additionalProperties")
    if kind == "object" and isinstance(extra, dict):
        return f"map[string, {_type(extra, names)}]"
    return str(kind)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _endpoint(
    path: str, method: str, operation: dict[str, Any], names: dict[str, str]
) -> list[str]:
    lines = [f"#### `{method.upper()} {path}`", ""]
    summary = operation.get("summary", "")
    description = operation.get("description", "").strip()
    lines += [f"**{summary}**" + (f": {description}" if description else ""), ""]
    params = operation.get("parameters", [])
    if params:
        lines += ["| parameter | in | type | required | description |", "|---|---|---|---|---|"]
        for p in params:
            kind = _type(p.get("schema", {}), names)
            required = "yes" if p.get("required") else "no"
            doc = _cell(p.get("description", ""))
            lines.append(f"| `{p['name']}` | {p['in']} | {kind} | {required} | {doc} |")
        lines.append("")
    body = operation.get("requestBody", {}).get("content", {})
    for media, content in body.items():
        lines += [f"Request body ({media}): {_type(content.get('schema', {}), names)}", ""]
    for status, response in sorted(operation.get("responses", {}).items()):
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        shown = _type(schema, names) if schema else "no JSON body"
        shown = "JSON" if shown == "any" else shown
        lines.append(f"- {status} {response.get('description', '')}: {shown}")
    lines.append("")
    return lines


def _schema(key: str, schema: dict[str, Any], names: dict[str, str]) -> list[str]:
    lines = [f"### {names[key]} {{#{_anchor(key)}}}", ""]
    if schema.get("description"):
        lines += [_cell(schema["description"]), ""]
    properties = schema.get("properties", {})
    if not properties:
        lines += [f"Type: {_type(schema, names)}", ""]
        return lines
    required = set(schema.get("required", []))
    lines += ["| field | type | required | default |", "|---|---|---|---|"]
    for name, field in properties.items():
        default = f"`{json.dumps(field['default'])}`" if "default" in field else ""
        need = "yes" if name in required else "no"
        lines.append(f"| `{name}` | {_type(field, names)} | {need} | {_cell(default)} |")
    lines.append("")
    return lines
