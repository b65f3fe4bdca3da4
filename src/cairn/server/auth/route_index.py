"""Every route of an app, flattened in the router's order, to tell which one a request hits.

The middleware runs before the router, so it finds the route itself: the first route whose
path pattern and methods both match, as the router picks it. Routers included into others
are flattened with FastAPI's own helper where it has one (routes then carry their full path).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from starlette.routing import BaseRoute
from starlette.types import Scope


@dataclass(frozen=True)
class IndexedRoute:
    """One route: its path template as declared, its methods (None: any) and its pattern."""

    path: str
    methods: frozenset[str] | None
    regex: re.Pattern[str]
    convertors: dict[str, Any]

    def keys(self) -> list[tuple[str, str]]:
        """The ``(method, path)`` pairs a rule table names this route by."""
        return [(method, self.path) for method in sorted(self.methods or {"*"})]


def _flat(routes: Iterable[BaseRoute]) -> Iterator[Any]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before included routers were kept lazily: already flat
        yield from routes
        return
    yield from iter_route_contexts(list(routes))


def index_routes(routes: Iterable[BaseRoute]) -> list[IndexedRoute]:
    """The app's routes in the order the router tries them."""
    found = []
    for route in _flat(routes):
        regex = getattr(route, "path_regex", None)
        if regex is None:
            continue
        methods = getattr(route, "methods", None)
        found.append(
            IndexedRoute(
                route.path,
                frozenset(methods) if methods else None,
                regex,
                dict(getattr(route, "param_convertors", {}) or {}),
            )
        )
    return found


def match(index: list[IndexedRoute], scope: Scope) -> tuple[IndexedRoute | None, dict[str, Any]]:
    """The route a request hits and its path parameters; None when the router answers 404/405."""
    path = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    method = scope["method"]
    for route in index:
        found = route.regex.match(path)
        if found is None or (route.methods is not None and method not in route.methods):
            continue
        params = {
            name: route.convertors[name].convert(value) if name in route.convertors else value
            for name, value in found.groupdict().items()
        }
        return route, params
    return None, {}
