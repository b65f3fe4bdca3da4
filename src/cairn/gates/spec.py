"""The ``gates.yaml`` format: rules a run's metrics must meet before anyone relies on it.

A file holds a ``rules`` list; each rule is a one-line expression or a mapping::

    rules:
      - "metrics.accuracy >= 0.9"                                   # absolute threshold
      - metric: f1
        op: ">="
        value: 0.80
        on: [valid, test, "segment=new_customers"]                  # one result per slice
      - "metrics.f1 not worse than models:/churn@champion by more than 1%"
      - metric: loss
        champion: models:/churn@champion                             # relative to the champion
        tolerance: 0.02                                              # absolute; "2%" = relative
        lower_is_better: true
      - "std(metrics.f1) over 5 seeds <= 0.01"                     # stability across seeds
      - metric: f1
        seeds: 5
        op: "<="
        value: 0.01

**Slices.** ``on: [valid, test]`` checks the metric key ``METRIC/SLICE`` (``f1/valid``,
``f1/test``); metric keys cannot hold ``=``, so a slice ``segment=new_customers`` maps to
``f1/segment/new_customers``. Without ``on`` the rule reads the key ``METRIC`` itself.

**Champion.** ``champion`` is ``models:/NAME@ALIAS`` or ``models:/NAME/VERSION``; the
champion's value is the same metric key on the version's source run. ``tolerance`` is how
much worse the run may be: a number in the metric's units, or ``"N%"`` of the champion's
value. Higher is better unless ``lower_is_better: true`` (losses, errors).

**Seeds.** ``seeds: N`` (with ``op``/``value`` bounding the standard deviation) takes the
metric from the run's child runs (tag ``cairn.parentRunId``) or, when the run has a tag
``cairn.gate.group``, from every run of its experiment sharing that tag value; only runs
with a recorded seed (tag ``cairn.seed.python``, set by ``cairn.seed_everything``) count,
one per distinct seed (the latest). The sample standard deviation (n - 1) is compared.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cairn.errors import InvalidInput

__all__ = [
    "OPS",
    "GateSpec",
    "Rule",
    "gates_from_text",
    "load_gates",
    "parse_gates",
    "slice_key",
]

OPS = ("<=", ">=", "<", ">", "==", "!=")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_METRIC = r"metrics\.(?P<metric>[\w\-./:]+)"
_THRESHOLD_RE = re.compile(rf"^\s*{_METRIC}\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>{_NUMBER})\s*$")
_CHAMPION_RE = re.compile(
    rf"^\s*{_METRIC}\s+not\s+worse\s+than\s+(?P<uri>models:/\S+)"
    rf"(?:\s+by\s+more\s+than\s+(?P<tol>{_NUMBER}%?))?\s*$",
    re.IGNORECASE,
)
_SEEDS_RE = re.compile(
    rf"^\s*std\(\s*{_METRIC}\s*\)\s+over\s+(?P<seeds>\d+)\s+seeds?\s*"
    rf"(?P<op><=|>=|==|!=|<|>)\s*(?P<value>{_NUMBER})\s*$",
    re.IGNORECASE,
)
_MODEL_URI_RE = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[\w\-]+)|/(?P<version>\d+))$")
_FIELDS = {
    "metric",
    "op",
    "value",
    "on",
    "champion",
    "tolerance",
    "lower_is_better",
    "seeds",
    "name",
}


@dataclass(frozen=True, slots=True)
class Rule:
    """One gate: ``kind`` is "threshold", "champion" or "seeds"."""

    kind: str
    metric: str
    text: str
    on: tuple[str, ...] = ()
    op: str = ">="
    value: float = 0.0
    champion: str | None = None
    tolerance: float = 0.0
    relative: bool = False
    lower_is_better: bool = False
    seeds: int = 0

    def targets(self) -> list[tuple[str | None, str]]:
        """(slice, metric key) pairs this rule checks: one per slice, or the bare metric."""
        if not self.on:
            return [(None, self.metric)]
        return [(s, slice_key(self.metric, s)) for s in self.on]

    def champion_ref(self) -> tuple[str, str | None, int | None]:
        """(model name, alias, version) of the champion URI."""
        match = _MODEL_URI_RE.match(self.champion or "")
        assert match is not None  # checked when parsed
        version = match["version"]
        return match["name"], match["alias"], int(version) if version else None


@dataclass(frozen=True, slots=True)
class GateSpec:
    """The rules of a gates file and where they came from."""

    rules: tuple[Rule, ...]
    source: str = "gates.yaml"


def slice_key(metric: str, slice_name: str) -> str:
    """The metric key of ``metric`` on a slice: ``f1/valid``, ``f1/segment/new_customers``."""
    return f"{metric}/{slice_name.replace('=', '/')}"


def load_gates(path: str | Path) -> GateSpec:
    """Read and check a gates file; InvalidInput naming the file when it cannot be used."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{file}: no such gates file (write one, or pass -f PATH)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidInput(f"{file}: cannot read the gates file: {err}") from None
    return gates_from_text(text, source=str(file))


def gates_from_text(text: str, source: str = "gates.yaml") -> GateSpec:
    """Parse and check the YAML text of a gates file; InvalidInput naming ``source``."""
    import yaml

    try:
        data = yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        raise InvalidInput(f"{source}: not valid YAML: {err}") from None
    return parse_gates(data, source=source)


def _loader() -> type:
    """A SafeLoader reading YAML 1.2 booleans: ``on:`` stays a key, not ``True``."""
    import yaml

    class GatesLoader(yaml.SafeLoader):
        pass

    bool_tag = "tag:yaml.org,2002:bool"
    GatesLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != bool_tag]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    GatesLoader.add_implicit_resolver(
        bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return GatesLoader


def parse_gates(data: Any, source: str = "gates.yaml") -> GateSpec:
    """Check the loaded YAML of a gates file and build its rules."""
    if not isinstance(data, dict) or "rules" not in data:
        raise InvalidInput(f"{source}: expected a mapping with a 'rules' list")
    unknown = sorted(map(str, set(data) - {"rules", "version"}))
    if unknown:
        raise InvalidInput(f"{source}: unknown top-level field {unknown[0]!r} (use 'rules')")
    rules = data["rules"]
    if not isinstance(rules, list) or not rules:
        raise InvalidInput(f"{source}: rules: expected a non-empty list of rules")
    return GateSpec(tuple(_rule(r, f"{source}: rules[{i}]") for i, r in enumerate(rules)), source)


def _rule(raw: Any, where: str) -> Rule:
    if isinstance(raw, str):
        return _expression(raw, where)
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where}: expected an expression string or a mapping, got {raw!r}")
    unknown = sorted(map(str, set(raw) - _FIELDS))
    if unknown:
        raise InvalidInput(
            f"{where}.{unknown[0]}: unknown field (known: {', '.join(sorted(_FIELDS))})"
        )
    metric = _metric(raw.get("metric"), f"{where}.metric")
    on = _slices(raw.get("on"), f"{where}.on")
    lower = raw.get("lower_is_better", False)
    if not isinstance(lower, bool):
        raise InvalidInput(f"{where}.lower_is_better: expected true or false, got {lower!r}")
    text = str(raw.get("name") or "")
    if "champion" in raw:
        if "seeds" in raw or "op" in raw or "value" in raw:
            raise InvalidInput(f"{where}: a champion rule takes tolerance, not op/value/seeds")
        uri = _champion(raw["champion"], f"{where}.champion")
        tol, relative = _tolerance(raw.get("tolerance", 0), f"{where}.tolerance")
        text = (
            text or f"metrics.{metric} not worse than {uri} by more than {_tol_text(tol, relative)}"
        )
        return Rule(
            "champion",
            metric,
            text,
            on,
            champion=uri,
            tolerance=tol,
            relative=relative,
            lower_is_better=lower,
        )
    if "tolerance" in raw:
        raise InvalidInput(f"{where}.tolerance: only a champion rule takes a tolerance")
    op = _op(raw.get("op"), f"{where}.op")
    value = _number(raw.get("value"), f"{where}.value")
    if "seeds" in raw:
        seeds = raw["seeds"]
        if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 2:
            raise InvalidInput(f"{where}.seeds: expected an integer >= 2, got {seeds!r}")
        text = text or f"std(metrics.{metric}) over {seeds} seeds {op} {value:g}"
        return Rule("seeds", metric, text, on, op=op, value=value, seeds=seeds)
    text = text or f"metrics.{metric} {op} {value:g}"
    return Rule("threshold", metric, text, on, op=op, value=value, lower_is_better=lower)


def _expression(text: str, where: str) -> Rule:
    if match := _THRESHOLD_RE.match(text):
        return Rule(
            "threshold", match["metric"], text.strip(), op=match["op"], value=float(match["value"])
        )
    if match := _CHAMPION_RE.match(text):
        uri = _champion(match["uri"], where)
        tol, relative = _tolerance(match["tol"] or 0, where)
        return Rule(
            "champion",
            match["metric"],
            text.strip(),
            champion=uri,
            tolerance=tol,
            relative=relative,
        )
    if match := _SEEDS_RE.match(text):
        seeds = int(match["seeds"])
        if seeds < 2:
            raise InvalidInput(f"{where}: stability needs at least 2 seeds, got {seeds}")
        return Rule(
            "seeds",
            match["metric"],
            text.strip(),
            op=match["op"],
            value=float(match["value"]),
            seeds=seeds,
        )
    raise InvalidInput(
        f"{where}: cannot read {text!r}; expected 'metrics.f1 >= 0.8', "
        "'metrics.f1 not worse than models:/NAME@ALIAS by more than 1%' or "
        "'std(metrics.f1) over 5 seeds <= 0.01'"
    )


def _metric(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not re.fullmatch(r"[\w\-./: ]+", raw.strip() or "!"):
        raise InvalidInput(f"{where}: expected a metric key such as 'f1', got {raw!r}")
    return raw.strip().removeprefix("metrics.")


def _slices(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items:
        raise InvalidInput(
            f"{where}: expected a slice name or a non-empty list of them, got {raw!r}"
        )
    for item in items:
        if not isinstance(item, str) or not re.fullmatch(r"[\w\-.:]+(=[\w\-.:]+)?", item):
            raise InvalidInput(
                f"{where}: bad slice {item!r}; use a name like 'valid' or 'segment=new_customers'"
            )
    return tuple(items)


def _op(raw: Any, where: str) -> str:
    if raw not in OPS:
        raise InvalidInput(f"{where}: expected one of {', '.join(OPS)}, got {raw!r}")
    return str(raw)


def _number(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        raise InvalidInput(f"{where}: expected a finite number, got {raw!r}")
    return float(raw)


def _champion(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not _MODEL_URI_RE.match(raw.strip()):
        raise InvalidInput(
            f"{where}: expected models:/NAME@ALIAS or models:/NAME/VERSION, got {raw!r}"
        )
    return raw.strip()


def _tolerance(raw: Any, where: str) -> tuple[float, bool]:
    relative = isinstance(raw, str) and raw.strip().endswith("%")
    text = raw.strip().removesuffix("%") if isinstance(raw, str) else raw
    try:
        value = (
            float(text)
            if isinstance(text, (str, int, float)) and not isinstance(text, bool)
            else math.nan
        )
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(
            f"{where}: expected a number >= 0 or a percentage like '1%', got {raw!r}"
        )
    return (value / 100 if relative else value), relative


def _tol_text(tol: float, relative: bool) -> str:
    return f"{tol * 100:g}%" if relative else f"{tol:g}"
