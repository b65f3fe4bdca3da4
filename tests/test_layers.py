"""Imports point downward only (DESIGN.md): core < foundation < capabilities < interfaces."""

from __future__ import annotations

import ast
from pathlib import Path

import cairn

SRC = Path(cairn.__file__).parent

CORE = {"entities", "errors", "config", "uris", "extras", "reprs"}
FOUNDATION = {"store", "artifacts", "objects"}
INTERFACES = {"cli", "server", "ui"}
# ``testing`` (the pytest plugin) uses capabilities such as tracking, so it sits with them:
# the server's own fixtures live in cairn.server.pytest_plugin.


def _layer(top: str) -> int:
    if top in CORE:
        return 0
    if top in FOUNDATION:
        return 1
    if top in INTERFACES:
        return 3
    return 2  # capabilities


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [name for name in found if name.startswith("cairn.")]


def test_no_module_imports_a_higher_layer():
    problems = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if len(rel.parts) == 1 and rel.stem == "__init__":
            continue  # the package root re-exports lazily
        own = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        for module in _imports(path):
            target = module.split(".")[1]
            if _layer(target) > _layer(own):
                problems.append(f"{rel} imports {module}")
    assert problems == []


def test_core_modules_do_no_io_imports():
    for name in ("entities", "errors"):
        modules = _imports(SRC / f"{name}.py")
        assert all(m.split(".")[1] in CORE for m in modules), modules
