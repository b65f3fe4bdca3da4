"""``lineage(store, ref)``: walk from a model version, run or dataset version up and down.

Each hop of the walk is one batch of store reads for the whole frontier: the runs found are
read together (``search_runs`` over their ids), their inputs and outputs together
(``get_runs_io``), the model versions registered from them together (``search_model_versions``
with ``run_id IN (...)``); a dataset version costs one ``get_dataset_versions`` call, a monitor
one ``list_alerts`` plus its windows. ``max_nodes`` bounds the graph.
"""

from __future__ import annotations

from collections.abc import Iterable

from cairn.entities import DatasetInput, ModelVersion
from cairn.errors import InvalidInput, NotFound
from cairn.lineage import graph as g
from cairn.lineage.refs import FORMS, Ref, parse_ref
from cairn.lineage.sources import Sources
from cairn.lineage.visibility import EVERYTHING, Visibility
from cairn.store import Store

DIRECTIONS = ("both", "upstream", "downstream")
DEFAULT_DEPTH = 10
MAX_DEPTH = 50
MAX_NODES = 500
UP, DOWN = "up", "down"
RUN_KINDS = (g.RUN, g.STAGE, g.PIPELINE_RUN)


def lineage(
    store: Store,
    ref: str,
    *,
    depth: int = DEFAULT_DEPTH,
    direction: str = "both",
    visibility: Visibility = EVERYTHING,
    max_nodes: int = MAX_NODES,
) -> g.LineageGraph:
    """The lineage graph of ``ref`` (see :data:`cairn.lineage.refs.FORMS`) within ``depth``
    hops, upstream, downstream or both; InvalidInput for a malformed ref, NotFound for one
    that names nothing the caller may read."""
    if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= MAX_DEPTH:
        raise InvalidInput(f"lineage depth must be an integer from 0 to {MAX_DEPTH}, got {depth!r}")
    if direction not in DIRECTIONS:
        raise InvalidInput(f"lineage direction {direction!r} is not one of {', '.join(DIRECTIONS)}")
    parsed = parse_ref(ref)
    graph = g.LineageGraph(ref=parsed.text, roots=[], direction=direction, depth=depth)
    walk = _Walk(Sources(store, visibility), graph, max_nodes)
    try:
        graph.roots = walk.resolve(parsed)
    except NotFound as err:
        forms = "" if FORMS in err.message else f" (a reference is one of: {FORMS})"
        raise NotFound(f"lineage reference {parsed.text!r}: {err.message}{forms}") from err
    ways = {"both": (UP, DOWN), "upstream": (UP,), "downstream": (DOWN,)}[direction]
    frontier = [(root, way) for root in graph.roots for way in ways]
    for hop in range(1, depth + 1):
        if not frontier:
            break
        frontier = walk.expand(frontier, hop)
    walk.settle_runs()
    return graph


class _Walk:
    """The state of one walk: the graph so far and what the sources have read."""

    def __init__(self, sources: Sources, graph: g.LineageGraph, max_nodes: int) -> None:
        self.sources = sources
        self.graph = graph
        self.max_nodes = max_nodes
        self.seen: set[tuple[str, str]] = set()
        self.unsettled: set[str] = set()  # run nodes whose run was not read yet

    # -- nodes ----------------------------------------------------------------------------

    def _add(self, node: g.Node) -> bool:
        """Add ``node`` unless present; False when the node cap refuses it."""
        if node.id in self.graph.nodes:
            return True
        if len(self.graph.nodes) >= self.max_nodes:
            self.graph.truncated = True
            return False
        self.graph.nodes[node.id] = node
        return True

    def _run(self, run_id: str, hop: int, experiment_id: str | None = None) -> str | None:
        node_id = f"run:{run_id}"
        if experiment_id is not None:
            self.sources.hint(run_id, experiment_id)
        if node_id not in self.graph.nodes:
            if not self._add(g.Node(node_id, g.RUN, run_id[:8], depth=hop)):
                return None
            self.unsettled.add(run_id)
        return node_id

    def _dataset(self, dataset: DatasetInput, hop: int) -> str | None:
        from cairn.lineage import facts as f

        node_id = f"dataset:{dataset.name}@{dataset.digest}"
        label, facts = f.dataset_label(dataset), f.dataset_facts(dataset)
        node = g.Node(node_id, g.DATASET_VERSION, label, facts, depth=hop)
        return node_id if self._add(node) else None

    def _version(self, version: ModelVersion, hop: int) -> str | None:
        from cairn.lineage import facts as f

        node_id = f"model:{version.name}/{version.version}"
        if not self.sources.visibility.model(version.name):
            node = g.Node(node_id, g.MODEL_VERSION, "hidden model version", hidden=True, depth=hop)
        else:
            label, facts = f.version_label(version), f.version_facts(version)
            node = g.Node(node_id, g.MODEL_VERSION, label, facts, depth=hop)
        self.sources.versions[node_id] = version
        return node_id if self._add(node) else None

    def settle_runs(self) -> None:
        """Read the runs of run nodes not read yet (in one batch) and fill in their nodes."""
        from cairn.lineage import facts as f

        if not self.unsettled:
            return
        runs = self.sources.runs(sorted(self.unsettled))
        for run_id in sorted(self.unsettled):
            node = self.graph.nodes[f"run:{run_id}"]
            run = runs.get(run_id)
            if run is None:
                node.label, node.hidden, node.facts = "hidden run", True, {}
                continue
            node.kind, node.label, node.facts = f.run_kind(run), f.run_label(run), f.run_facts(run)
        self.unsettled.clear()

    # -- the start ------------------------------------------------------------------------

    def resolve(self, ref: Ref) -> list[str]:
        """The root nodes ``ref`` names; NotFound naming the ref otherwise."""
        found: list[str | None] = []
        if ref.kind == "model":
            found = [self._version(self.sources.model_version(ref), 0)]
        elif ref.kind == "run":
            run = self.sources.runs([ref.value]).get(ref.value)
            if run is not None:
                found = [self._run(ref.value, 0)]
            else:
                versions = self.sources.by_digest(ref.value, missing_ok=True)
                if not versions:
                    raise NotFound("no run has that id and no dataset version that digest")
                found = [self._dataset(v.dataset, 0) for v in versions]
        elif ref.kind == "digest":
            found = [self._dataset(v.dataset, 0) for v in self.sources.by_digest(ref.value)]
        else:
            versions = self.sources.by_name(ref.name)
            found = [
                self._dataset(v.dataset, 0)
                for v in versions
                if v.dataset.digest.startswith(ref.value)
            ]
        roots = [r for r in found if r is not None]
        if not roots:
            raise NotFound("it names nothing the store holds")
        self.settle_runs()
        return roots

    # -- one hop --------------------------------------------------------------------------

    def expand(self, frontier: Iterable[tuple[str, str]], hop: int) -> list[tuple[str, str]]:
        """Follow every edge of the frontier's nodes one hop; return the next frontier."""
        todo = [(n, w) for n, w in frontier if (n, w) not in self.seen]
        self.seen.update(todo)
        self.settle_runs()
        nodes = self.graph.nodes
        live = [(n, w) for n, w in todo if n in nodes and not nodes[n].hidden]
        nxt: list[tuple[str, str]] = []
        run_ids = sorted({n[4:] for n, _ in live if nodes[n].kind in RUN_KINDS})
        io = self.sources.runs_io(run_ids)
        registered_from: list[str] = []
        for node_id, way in live:
            kind = nodes[node_id].kind
            if kind in RUN_KINDS:
                run_id = node_id[4:]
                nxt += self._run_hop(run_id, io.get(run_id), way, hop)
                if way == DOWN:
                    registered_from.append(run_id)
            elif kind == g.DATASET_VERSION:
                nxt += self._dataset_hop(node_id, way, hop)
            elif kind == g.MODEL_VERSION:
                nxt += self._version_hop(node_id, way, hop)
            elif kind == g.MONITOR and way == DOWN:
                self._monitor_hop(node_id, hop)
        for version in self.sources.registered_from(registered_from):
            target = self._version(version, hop)
            if target is not None and version.run_id:
                self.graph.add_edge(f"run:{version.run_id}", target, g.REGISTERED)
                nxt.append((target, DOWN))
        return nxt

    def _run_hop(self, run_id: str, io: object, way: str, hop: int) -> list[tuple[str, str]]:
        from cairn.lineage import facts as f

        node_id = f"run:{run_id}"
        nxt: list[tuple[str, str]] = []
        datasets = getattr(io, "datasets", [])
        for dataset in datasets:
            if f.is_output(dataset) != (way == DOWN):
                continue
            other = self._dataset(dataset, hop)
            if other is None:
                continue
            if way == DOWN:
                self.graph.add_edge(node_id, other, g.WROTE)
            else:
                self.graph.add_edge(other, node_id, g.READ)
            nxt.append((other, way))
        run = self.sources.known_run(run_id)
        if run is None:
            return nxt
        if way == UP and f.run_kind(run) == g.STAGE and (parent := f.parent_of(run)):
            other = self._run(parent, hop, run.info.experiment_id)
            if other is not None:
                self.graph.add_edge(other, node_id, g.HAS_STAGE)
        if way == DOWN and f.run_kind(run) == g.PIPELINE_RUN:
            for child in self.sources.stages_of(run):
                other = self._run(child.info.run_id, hop, child.info.experiment_id)
                if other is not None:
                    self.graph.add_edge(node_id, other, g.HAS_STAGE)
                    nxt.append((other, DOWN))
        return nxt

    def _dataset_hop(self, node_id: str, way: str, hop: int) -> list[tuple[str, str]]:
        name, _, digest = node_id[len("dataset:") :].rpartition("@")
        nxt: list[tuple[str, str]] = []
        for version in self.sources.by_digest(digest, missing_ok=True):
            if version.dataset.name != name:
                continue
            for use in version.uses:
                if (use.context == "output") != (way == UP):
                    continue
                other = self._run(use.run_id, hop, use.experiment_id)
                if other is None:
                    continue
                if way == UP:
                    self.graph.add_edge(other, node_id, g.WROTE)
                else:
                    self.graph.add_edge(node_id, other, g.READ)
                nxt.append((other, way))
        return nxt

    def _version_hop(self, node_id: str, way: str, hop: int) -> list[tuple[str, str]]:
        from cairn.lineage import facts as f

        version = self.sources.versions[node_id]
        if way == UP:
            if not version.run_id:
                return []
            other = self._run(version.run_id, hop)
            if other is None:
                return []
            self.graph.add_edge(other, node_id, g.REGISTERED)
            return [(other, UP)]
        nxt: list[tuple[str, str]] = []
        for monitor in self.sources.monitors_of(version):
            other = f"monitor:{monitor.name}"
            if self._add(
                g.Node(other, g.MONITOR, monitor.name, f.monitor_facts(monitor), depth=hop)
            ):
                self.graph.add_edge(node_id, other, g.MONITORED)
                nxt.append((other, DOWN))
        return nxt

    def _monitor_hop(self, node_id: str, hop: int) -> None:
        from cairn.lineage import facts as f

        name = node_id[len("monitor:") :]
        versions = {
            self.sources.versions[e.source].version
            for e in self.graph.upstream_of(node_id)
            if e.source in self.sources.versions
        }
        for alert, window in self.sources.alerts_of(name):
            if window is not None and window.model_version not in (None, *versions):
                continue
            other = f"alert:{alert.alert_id}"
            label = f"{alert.rule} (window {alert.window_id})"
            if self._add(g.Node(other, g.ALERT, label, f.alert_facts(alert, window), depth=hop)):
                self.graph.add_edge(node_id, other, g.FIRED)
