"""``cairn pipeline dag`` and ``cairn pipeline show``: the pipeline as a drawing and as a
list of stages, read from cairn.yaml or a module of ``@cairn.stage`` functions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cairn.cli import output
from cairn.cli.experiments import json_option
from cairn.cli.pipeline import module_option, project_root, stages_argument

if TYPE_CHECKING:
    from cairn.pipelines.graph import Graph


def load_graph(module: str | None) -> Graph:
    """The validated graph of the current project's pipeline."""
    from cairn.pipelines.graph import Graph
    from cairn.pipelines.loading import load_pipeline

    return Graph.build(load_pipeline(project_root(), module))


@click.command("dag")
@stages_argument
@module_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "mermaid", "dot"]), default="text",
    show_default=True, help="text for the terminal, mermaid for Markdown, dot for Graphviz.",
)  # fmt: skip
@json_option
def dag(stages: tuple[str, ...], module: str | None, fmt: str, as_json: bool) -> None:
    """Draw the stages (all, or STAGEs and what they depend on) and how they feed each other."""
    from cairn.pipelines.render import render

    graph = load_graph(module)
    chosen = graph.order(stages) if stages else None
    if as_json:
        names = set(chosen or graph.stages)
        output.print_json(
            {
                "stages": [name for name in graph.order() if name in names],
                "edges": [list(edge) for edge in graph.edges() if set(edge) <= names],
                "layers": [
                    kept for layer in graph.layers() if (kept := [n for n in layer if n in names])
                ],
            }
        )
        return
    output.say(render(graph, fmt, chosen))


@click.command("show")
@stages_argument
@module_option
@json_option
def show(stages: tuple[str, ...], module: str | None, as_json: bool) -> None:
    """List the stages (all, or STAGEs) with their command, deps, params, outs and metrics."""
    graph = load_graph(module)
    names = graph.resolve(stages) if stages else list(graph.stages)
    described = [describe(graph, name) for name in names]
    if as_json:
        output.print_json({"source": graph.pipeline.source, "stages": described})
        return
    for index, stage in enumerate(described):
        if index:
            output.say("")
        output.say(f"{stage['name']}  ({stage['origin']})")
        for field in ("cmd", "wdir", "deps", "params", "outs", "metrics", "env", "upstream"):
            value = stage[field]
            if isinstance(value, dict):
                value = [f"{key}={item}" for key, item in value.items()]
            if value and value != ".":
                shown = value if isinstance(value, str) else ", ".join(value)
                output.say(f"  {field:<9}{shown}")
        extras = _options(stage)
        if extras:
            output.say(f"  {'options':<9}{extras}")


def describe(graph: Graph, name: str) -> dict[str, Any]:
    """One stage as plain data: its definition, options, origin and upstream stages."""
    stage = graph.pipeline.stage(name)
    return {
        "name": name,
        **stage.definition(),
        "retries": stage.retries,
        "timeout": stage.timeout,
        "origin": stage.origin,
        "upstream": list(graph.upstream(name)),
    }


def _options(stage: dict[str, Any]) -> str:
    parts = []
    if stage["retries"]:
        parts.append(f"retries={stage['retries']}")
    if stage["timeout"]:
        parts.append(f"timeout={stage['timeout']:g}s")
    if stage["workers"] > 1:
        parts.append(f"workers={stage['workers']}")
    return "  ".join(parts)
