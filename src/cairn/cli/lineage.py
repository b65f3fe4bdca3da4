"""``cairn lineage REF``: where a model version, run or dataset version came from and what
came of it, as a tree (default), JSON or Mermaid."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cairn.cli import get_client, output

if TYPE_CHECKING:
    from rich.tree import Tree

    from cairn.lineage import LineageGraph, Node

MAX_PARAMS_SHOWN = 6


@click.command("lineage")
@click.argument("ref")
@click.option("--upstream", "direction", flag_value="upstream", help="Only where REF came from.")
@click.option("--downstream", "direction", flag_value="downstream", help="Only what came of REF.")
@click.option(
    "--depth",
    type=click.IntRange(0, 50),
    default=10,
    show_default=True,
    help="How many hops to follow from REF.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the graph as JSON.")
@click.option("--mermaid", is_flag=True, help="Print the graph as a Mermaid flowchart.")
@click.pass_context
def lineage(
    ctx: click.Context,
    ref: str,
    direction: str | None,
    depth: int,
    as_json: bool,
    mermaid: bool,
) -> None:
    """Print the lineage of REF upstream and downstream: data versions, pipeline stages,
    runs (commit, params, seeds, environment), model versions, monitors and their alerts.

    \b
    REF is one of:
      models:/NAME@ALIAS or models:/NAME/VERSION   a registered model version
      RUN_ID (32 hex) or runs:/RUN_ID              a run
      DIGEST (8+ hex characters)                   a dataset version by digest
      dataset:NAME[@DIGEST]                        a dataset's versions

    \b
    Exit status:
      0  the graph was printed
      1  the store failed
      2  bad input: a malformed REF or one that names nothing
    """
    from cairn.lineage import lineage as build
    from cairn.lineage import to_dict, to_mermaid

    if as_json and mermaid:
        output.error("--json and --mermaid are exclusive: choose one output form")
        ctx.exit(output.EXIT_BAD_INPUT)
    with output.check_exits(ctx):
        graph = build(get_client().store, ref, depth=depth, direction=direction or "both")
    if as_json:
        output.print_json(to_dict(graph))
    elif mermaid:
        click.echo(to_mermaid(graph), nl=False)
    else:
        output.show(tree(graph))
        if graph.truncated:
            output.note("The graph was cut at its node limit; use --depth to narrow it.")


def _summary(node: Node) -> str:
    """One line about a node: its kind, label and the facts that matter most."""
    head = f"[dim]{node.kind.replace('_', ' ')}[/dim] [bold]{output.esc(node.label)}[/bold]"
    facts: dict[str, Any] = node.facts
    bits: list[str] = []
    if "status" in facts and node.kind in ("run", "stage", "pipeline_run"):
        bits.append(output.status_markup(facts["status"]))
        if facts.get("commit"):
            dirty = " (dirty)" if facts.get("dirty") else ""
            bits.append(f"commit {facts['commit'][:10]}{dirty}")
        params = list(facts.get("params", {}).items())
        if params:
            shown = ", ".join(f"{k}={v}" for k, v in params[:MAX_PARAMS_SHOWN])
            more = f" +{len(params) - MAX_PARAMS_SHOWN}" if len(params) > MAX_PARAMS_SHOWN else ""
            bits.append(f"params {output.esc(shown)}{more}")
        if facts.get("seeds"):
            bits.append(
                "seeds " + output.esc(", ".join(f"{k}={v}" for k, v in facts["seeds"].items()))
            )
        if facts.get("environment"):
            bits.append(f"env {output.esc(facts['environment'][:12])}")
        bits.append(f"[dim]{facts['run_id']}[/dim]")
    elif node.kind == "dataset_version":
        bits.append(f"[dim]{facts['digest']}[/dim]")
    elif node.kind == "alert":
        bits.append(output.esc(facts.get("message") or ""))
    return "  ".join([head, *bits])


def _branch(graph: LineageGraph, parent: Tree, node_id: str, up: bool, seen: set[str]) -> None:
    edges = graph.upstream_of(node_id) if up else graph.downstream_of(node_id)
    for edge in edges:
        other = edge.source if up else edge.target
        node = graph.nodes[other]
        from cairn.lineage.graph import INVERSE

        relation = f"[italic]{INVERSE[edge.relation] if up else edge.relation}[/italic] "
        if other in seen:
            parent.add(f"{relation}{_summary(node)} [dim](shown above)[/dim]")
            continue
        seen.add(other)
        child = parent.add(relation + _summary(node))
        _branch(graph, child, other, up, seen)


def tree(graph: LineageGraph) -> Tree:
    """The graph as a rich tree: each root with an upstream and a downstream branch."""
    from rich.tree import Tree

    top = Tree(f"lineage of [bold]{output.esc(graph.ref)}[/bold]")
    for root in graph.roots:
        branch = top.add(_summary(graph.nodes[root]))
        for up, title in ((True, "upstream"), (False, "downstream")):
            if graph.direction == ("downstream" if up else "upstream"):
                continue
            side = branch.add(f"[bold]{title}[/bold]")
            _branch(graph, side, root, up, {root})
            if not side.children:
                side.add("[dim](nothing recorded)[/dim]")
    return top
