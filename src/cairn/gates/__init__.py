"""Quality gates: rules in ``gates.yaml`` over a run's metrics (absolute thresholds per slice,
relative to the registry's champion, stability across seeds), judged by :func:`evaluate`.

See :mod:`cairn.gates.spec` for the file format.
"""

from __future__ import annotations

from cairn.gates.evaluate import GateReport, GateResult, evaluate
from cairn.gates.spec import GateSpec, Rule, gates_from_text, load_gates, parse_gates, slice_key

__all__ = [
    "GateReport",
    "GateResult",
    "GateSpec",
    "Rule",
    "evaluate",
    "gates_from_text",
    "load_gates",
    "parse_gates",
    "slice_key",
]
