"""What may be searched: entity prefixes, attribute names and the type rules of each field.

A :class:`Schema` describes one searchable thing (runs or experiments). The parser asks it to
resolve an identifier to ``(entity_type, key)`` and to check each comparison, so the type rules
(metrics take numbers, tags take strings, ...) live here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cairn.errors import InvalidFilter, did_you_mean
from cairn.store.search.ast import ATTRIBUTE, METRIC, PARAM, TAG, Scalar, Value

__all__ = ["EXPERIMENTS", "RUNS", "Schema"]

NUMBER = "number"
STRING = "string"
ANY = "any"  # params: strings compare as text, numbers compare value_num

PLURAL = {METRIC: "metrics", PARAM: "params", TAG: "tags", ATTRIBUTE: "attributes"}
_ORDERING_OPS = ("<", "<=", ">", ">=")
_PATTERN_OPS = ("LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE")
_OPS_FOR = {
    NUMBER: ("=", "!=", *_ORDERING_OPS, "IN", "NOT IN"),
    STRING: ("=", "!=", *_PATTERN_OPS, "IN", "NOT IN"),
}


@dataclass(frozen=True)
class Schema:
    """The prefixes, attributes and type rules of one searchable kind of object."""

    noun: str
    prefixes: dict[str, str]
    attributes: dict[str, str]
    nullable: frozenset[str] = frozenset()
    aliases: dict[str, str] = field(default_factory=dict)
    bare_attributes_in_filter: bool = False
    orderable: tuple[str, ...] = ()
    entity_kinds: dict[str, str] = field(default_factory=dict)

    def resolve(
        self, prefix: str | None, key: str, text: str, pos: int, key_pos: int, ordering: bool
    ) -> tuple[str, str]:
        """``(entity_type, key)`` for ``prefix.key`` (prefix None for a bare name)."""
        if prefix is None:
            entity = ATTRIBUTE
        else:
            found = self.prefixes.get(prefix.lower())
            if found is None:
                names = [PLURAL[e] + "." for e in dict.fromkeys(self.prefixes.values())]
                raise InvalidFilter(
                    f"Unknown entity {prefix!r} in {prefix}.{key}: expected "
                    f"{', '.join(names[:-1])} or {names[-1]}{did_you_mean(prefix.lower(), self.prefixes)}",
                    text,
                    pos,
                )
            entity = found
        if entity != ATTRIBUTE:
            return entity, key
        key = self.aliases.get(key, key)
        known = (self.orderable or tuple(self.attributes)) if ordering else tuple(self.attributes)
        if key not in known:
            raise InvalidFilter(
                f"Unknown {self.noun} attribute {key!r}: expected one of "
                f"{', '.join(sorted(known))}.{did_you_mean(key, known)}",
                text,
                key_pos,
            )
        return entity, key

    def kind(self, entity: str, key: str) -> str:
        """NUMBER, STRING or ANY: what values ``entity.key`` compares with."""
        if entity == ATTRIBUTE:
            return self.attributes[key]
        return self.entity_kinds[entity]

    def check(
        self, entity: str, key: str, op: str, value: Value, text: str, positions: tuple[int, ...]
    ) -> None:
        """Raise InvalidFilter unless ``entity.key op value`` is allowed.

        ``positions`` holds the offset of the operator, then of each value (each IN item).
        """
        pos = positions[0]
        name = f"{PLURAL[entity]}.{key}"
        kind = self.kind(entity, key)
        if op in ("IS NULL", "IS NOT NULL"):
            if entity == ATTRIBUTE and key not in self.nullable:
                raise InvalidFilter(f"{name} is never null, so {op} does not apply", text, pos)
            return
        values: tuple[Scalar, ...] = value if isinstance(value, tuple) else (value,)  # type: ignore[assignment]
        if kind == ANY:
            kind = NUMBER if not isinstance(values[0], str) else STRING
            if kind == STRING and op in _ORDERING_OPS:
                raise InvalidFilter(
                    f"{op!r} on {name} needs a number (it compares the param as a number), "
                    f"got the string {values[0]!r}",
                    text,
                    positions[1],
                )
        if op not in _OPS_FOR[kind]:
            allowed = ", ".join(_OPS_FOR[kind])
            raise InvalidFilter(
                f"Operator {op!r} does not apply to {name}, which compares "
                f"{kind}s; expected one of {allowed}",
                text,
                pos,
            )
        for scalar, at in zip(values, positions[1:], strict=True):
            _check_scalar(name, kind, scalar, text, at)
        if op in _PATTERN_OPS and _ends_with_escape(str(value)):
            raise InvalidFilter(
                f"{op} pattern {value!r} ends with a backslash that escapes nothing",
                text,
                positions[1],
            )


def _check_scalar(name: str, kind: str, scalar: Scalar, text: str, pos: int) -> None:
    if kind == NUMBER and isinstance(scalar, str):
        raise InvalidFilter(
            f"{name} compares numbers, got the string {scalar!r}; write the number unquoted",
            text,
            pos,
        )
    if kind == STRING and not isinstance(scalar, str):
        raise InvalidFilter(
            f"{name} compares strings, got the number {scalar!r}; quote it: '{scalar!r}'",
            text,
            pos,
        )


def _ends_with_escape(pattern: str) -> bool:
    stripped = pattern.rstrip("\\")
    return (len(pattern) - len(stripped)) % 2 == 1


_RUN_PREFIXES = {
    "metric": METRIC,
    "metrics": METRIC,
    "param": PARAM,
    "params": PARAM,
    "parameter": PARAM,
    "parameters": PARAM,
    "tag": TAG,
    "tags": TAG,
    "attribute": ATTRIBUTE,
    "attributes": ATTRIBUTE,
    "attr": ATTRIBUTE,
    "run": ATTRIBUTE,
}

RUNS = Schema(
    noun="run",
    prefixes=_RUN_PREFIXES,
    attributes={
        "run_id": STRING,
        "run_name": STRING,
        "status": STRING,
        "user_id": STRING,
        "artifact_uri": STRING,
        "lifecycle_stage": STRING,
        "start_time": NUMBER,
        "end_time": NUMBER,
    },
    nullable=frozenset({"end_time"}),
    aliases={
        "created": "start_time",
        "Created": "start_time",
        "run name": "run_name",
        "Run name": "run_name",
        "Run Name": "run_name",
    },
    entity_kinds={METRIC: NUMBER, PARAM: ANY, TAG: STRING},
)

EXPERIMENTS = Schema(
    noun="experiment",
    prefixes={
        "tag": TAG,
        "tags": TAG,
        "attribute": ATTRIBUTE,
        "attributes": ATTRIBUTE,
        "attr": ATTRIBUTE,
    },
    attributes={"name": STRING, "creation_time": NUMBER, "last_update_time": NUMBER},
    bare_attributes_in_filter=True,
    orderable=("name", "experiment_id", "creation_time", "last_update_time"),
    entity_kinds={TAG: STRING},
)
