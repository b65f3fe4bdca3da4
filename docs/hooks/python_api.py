"""MkDocs hook: the Python API reference, listed from each public module's ``__all__``.

Several of cairn's packages load their names lazily (``cairn``, ``cairn.data``,
``cairn.monitoring`` ...), so a static ``::: cairn.monitoring`` would document nothing. At
build time this hook imports each public module, follows every name in ``__all__`` to where
it is defined and writes one mkdocstrings directive per function or class (constants go in a
table), so a name added to ``__all__`` appears on the page without editing it.
"""

from __future__ import annotations

import inspect
from importlib import import_module
from typing import Any

PAGE = "reference/python-api.md"
SECTIONS = (
    ("Tracking", "cairn"),
    ("Data", "cairn.data"),
    ("Models", "cairn.models"),
    ("Python-function models", "cairn.pyfunc"),
    ("Model registry", "cairn.registry"),
    ("Monitoring", "cairn.monitoring"),
    ("Quality gates", "cairn.gates"),
    ("Lineage", "cairn.lineage"),
    ("Project runs", "cairn.projects"),
    ("Online learning", "cairn.online"),
    ("Sensitive data", "cairn.security"),
    ("Errors", "cairn.errors"),
    ("Entities", "cairn.entities"),
)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Append the generated sections to the Python API page."""
    if page.file.src_uri != PAGE:
        return markdown
    return markdown.rstrip() + "\n\n" + render()


def render() -> str:
    """One section per public module: its docstring, its functions and classes, constants."""
    lines: list[str] = []
    seen: set[str] = set()
    for title, name in SECTIONS:
        module = import_module(name)
        lines += [f"## {title}: `{name}`", "", f"::: {name}", "    options:"]
        lines += ["      members: false", "      show_root_heading: false", ""]
        constants = []
        for member, value in public_members(module):
            path = defined_at(value)
            if path is None:
                constants.append((member, value))
            elif path not in seen:  # documented once, under the first module exporting it
                seen.add(path)
                lines += [f"::: {path}", "    options:", f"      heading: {name}.{member}", ""]
        if constants:
            lines += ["| constant | value |", "|---|---|"]
            lines += [f"| `{name}.{k}` | `{v!r}` |" for k, v in constants]
            lines.append("")
    return "\n".join(lines)


def public_members(module: Any) -> list[tuple[str, Any]]:
    """``(name, value)`` for each name of ``module.__all__`` that is not a submodule."""
    found = []
    for member in module.__all__:
        if member.startswith("__") or f"{module.__name__}.{member}" in _submodules(module):
            continue
        value = getattr(module, member)
        if not inspect.ismodule(value):
            found.append((member, value))
    return found


def _submodules(module: Any) -> set[str]:
    lazy = getattr(module, "_LAZY", {})
    return {f"{module.__name__}.{k}" for k, v in lazy.items() if v.endswith("." + k)}


def defined_at(value: Any) -> str | None:
    """``package.module.Name`` where a function or class is defined; None for a constant."""
    if not (inspect.isclass(value) or inspect.isfunction(value)):
        return None
    return f"{value.__module__}.{value.__qualname__}"
