"""Judge a run against its gates: one :class:`GateResult` per rule and slice, with the numbers."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from cairn.comparisons import COMPARISONS
from cairn.entities import PARENT_TAG
from cairn.errors import NotFound

if TYPE_CHECKING:
    from cairn.entities import Run
    from cairn.gates.spec import GateSpec, Rule
    from cairn.store.base import Store

__all__ = ["GROUP_TAG", "PARENT_TAG", "SEED_TAG", "GateReport", "GateResult", "evaluate"]

GROUP_TAG = "cairn.gate.group"
SEED_TAG = "cairn.seed.python"


@dataclass(frozen=True, slots=True)
class GateResult:
    """The verdict of one rule on one slice and the numbers behind it."""

    rule: int
    text: str
    kind: str
    slice: str | None
    metric: str
    verdict: str  # "pass" or "fail"
    message: str
    value: float | None = None
    op: str | None = None
    threshold: float | None = None
    champion_value: float | None = None
    std: float | None = None
    n: int | None = None

    @property
    def passed(self) -> bool:
        """Whether the rule held on this slice."""
        return self.verdict == "pass"


@dataclass(frozen=True, slots=True)
class GateReport:
    """Every result of gating ``run_id`` with the rules of ``source``."""

    run_id: str
    source: str
    results: list[GateResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every rule held on every slice."""
        return all(r.passed for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: run, file, overall verdict, and each result's numbers."""
        return {
            "run_id": self.run_id,
            "gates": self.source,
            "verdict": "pass" if self.passed else "fail",
            "failed": sum(not r.passed for r in self.results),
            "results": [asdict(r) for r in self.results],
        }

    def _repr_html_(self) -> str:
        from cairn.reprs import gate_report_html

        return gate_report_html(self)


def evaluate(run_id: str, gates: GateSpec, store: Store) -> GateReport:
    """Check every rule of ``gates`` on run ``run_id``; NotFound when the run is unknown."""
    run = store.runs.get_run(run_id)
    results: list[GateResult] = []
    for index, rule in enumerate(gates.rules):
        judge = {"threshold": _threshold, "champion": _champion, "seeds": _seeds}[rule.kind]
        results.extend(judge(index, rule, run, store))
    return GateReport(run.info.run_id, gates.source, results)


def _base(index: int, rule: Rule, slice_name: str | None, key: str) -> dict[str, Any]:
    return {"rule": index, "text": rule.text, "kind": rule.kind, "slice": slice_name, "metric": key}


def _missing(run: Run, key: str) -> str:
    have = ", ".join(sorted(run.data.metrics)) or "no metrics"
    return f"run {run.info.run_id} has no metric {key} (it has: {have})"


def _threshold(index: int, rule: Rule, run: Run, store: Store) -> list[GateResult]:
    found = []
    for slice_name, key in rule.targets():
        base = _base(index, rule, slice_name, key) | {"op": rule.op, "threshold": rule.value}
        value = run.data.metrics.get(key)
        if value is None:
            found.append(GateResult(**base, verdict="fail", message=_missing(run, key)))
            continue
        ok = COMPARISONS[rule.op](value, rule.value)
        word = "meets" if ok else "fails"
        message = f"{key} = {value:g} {word} {rule.op} {rule.value:g}"
        found.append(GateResult(**base, verdict=_verdict(ok), message=message, value=value))
    return found


def _champion(index: int, rule: Rule, run: Run, store: Store) -> list[GateResult]:
    name, alias, version = rule.champion_ref()
    store.registry.get_registered_model(name)  # an unknown model is a mistake in the file
    try:
        if alias is not None:
            model = store.registry.get_model_version_by_alias(name, alias)
        else:
            model = store.registry.get_model_version(name, version or 0)
    except NotFound:
        model = None
    champ_run = store.runs.get_run(model.run_id) if model and model.run_id else None
    op = "<=" if rule.lower_is_better else ">="
    found = []
    for slice_name, key in rule.targets():
        base = _base(index, rule, slice_name, key) | {"op": op}
        if champ_run is None:
            why = "is not set" if model is None else "has no source run"
            message = f"{rule.champion} {why}; nothing to compare against, so the rule holds"
            found.append(GateResult(**base, verdict="pass", message=message))
            continue
        value = run.data.metrics.get(key)
        champ = champ_run.data.metrics.get(key)
        if value is None or champ is None:
            message = _missing(run if value is None else champ_run, key)
            if value is not None:
                message = f"champion {rule.champion}: {message}"
            found.append(
                GateResult(
                    **base, verdict="fail", message=message, value=value, champion_value=champ
                )
            )
            continue
        slack = abs(champ) * rule.tolerance if rule.relative else rule.tolerance
        bound = champ + slack if rule.lower_is_better else champ - slack
        ok = value <= bound if rule.lower_is_better else value >= bound
        message = (
            f"{key} = {value:g} vs champion {rule.champion} (run {champ_run.info.run_id[:8]}) "
            f"= {champ:g}; must be {op} {bound:g}"
        )
        found.append(
            GateResult(
                **base,
                verdict=_verdict(ok),
                message=message,
                value=value,
                threshold=bound,
                champion_value=champ,
            )
        )
    return found


def _seeds(index: int, rule: Rule, run: Run, store: Store) -> list[GateResult]:
    peers, where = _seed_runs(run, store)
    found = []
    for slice_name, key in rule.targets():
        base = _base(index, rule, slice_name, key) | {"op": rule.op, "threshold": rule.value}
        by_seed: dict[str, tuple[int, float]] = {}
        unseeded = lacking = 0
        for peer in peers:
            seed = peer.data.tags.get(SEED_TAG)
            value = peer.data.metrics.get(key)
            if seed is None:
                unseeded += 1
            elif value is None:
                lacking += 1
            elif seed not in by_seed or peer.info.start_time > by_seed[seed][0]:
                by_seed[seed] = (peer.info.start_time, value)
        values = [v for _, v in by_seed.values()]
        n = len(values)
        if n < rule.seeds:
            skipped = f"; skipped {unseeded} without a seed tag" if unseeded else ""
            skipped += f", {lacking} without {key}" if lacking else ""
            message = (
                f"{where} give {key} for {n} distinct seed{'s' if n != 1 else ''}, "
                f"the rule needs {rule.seeds}{skipped} (log runs with cairn.seed_everything)"
            )
            found.append(GateResult(**base, verdict="fail", message=message, n=n))
            continue
        std = statistics.stdev(values)
        ok = COMPARISONS[rule.op](std, rule.value)
        message = f"std of {key} over {n} seeds = {std:.4g} (mean {statistics.fmean(values):.4g})"
        message += f" {'meets' if ok else 'fails'} {rule.op} {rule.value:g}"
        found.append(
            GateResult(
                **base,
                verdict=_verdict(ok),
                message=message,
                std=std,
                n=n,
                value=statistics.fmean(values),
            )
        )
    return found


def _seed_runs(run: Run, store: Store) -> tuple[list[Run], str]:
    """The runs whose seeds the stability rule compares, and how to name them."""
    group = run.data.tags.get(GROUP_TAG)
    if group is not None:
        key, value, where = GROUP_TAG, group, f"runs tagged {GROUP_TAG}={group!r}"
    else:
        key, value, where = PARENT_TAG, run.info.run_id, f"child runs of {run.info.run_id}"
    quoted = value.replace("'", "\\'")
    runs: list[Run] = []
    token = None
    while True:
        page = store.runs.search_runs(
            [run.info.experiment_id], f"tags.`{key}` = '{quoted}'", page_token=token
        )
        runs.extend(page.items)
        token = page.next_page_token
        if not token:
            return runs, where


def _verdict(ok: bool) -> str:
    return "pass" if ok else "fail"
