"""The search space of a sweep, from ``--set KEY=SPEC`` options; pure parsing and sampling.

``SPEC`` is one of::

    0.1,0.01,0.001          a list of values (YAML scalars: numbers, true/false, text)
    choice(adam,sgd)        the same, spelled as a choice
    range(2,10)             integers as Python's range (range(a,b) or range(a,b,step))
    uniform(0.1,0.9)        a float drawn uniformly (--random and --optuna only)
    loguniform(1e-4,1e-1)   a float drawn uniformly on a log scale (--random and --optuna only)

A grid sweep runs the cartesian product of the lists; ``--random N`` draws N combinations.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from cairn.errors import InvalidInput

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*")
_CALL = re.compile(r"(?P<fn>[a-z]+)\((?P<args>.*)\)", re.DOTALL)
_FORMS = "a,b,c | choice(a,b) | range(a,b[,step]) | uniform(a,b) | loguniform(a,b)"
CONTINUOUS = ("uniform", "loguniform")


@dataclass(frozen=True)
class Space:
    """One param's values: ``kind`` is ``values``, ``range``, ``uniform`` or ``loguniform``;
    ``values`` lists a discrete space, ``low``/``high`` bound a continuous one."""

    key: str
    kind: str
    values: tuple[Any, ...] = ()
    low: float = 0.0
    high: float = 0.0
    step: int = 1

    @property
    def discrete(self) -> bool:
        """Whether the values can be listed (a grid can run them)."""
        return self.kind not in CONTINUOUS

    def sample(self, rng: random.Random) -> Any:
        """One value drawn from the space."""
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high)
        if self.kind == "loguniform":
            return math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        return rng.choice(self.values)

    def describe(self) -> str:
        """The space as ``--set`` spells it."""
        if self.kind in CONTINUOUS:
            return f"{self.kind}({self.low},{self.high})"
        return ",".join(str(value) for value in self.values)


def parse_set(text: str) -> Space:
    """The space of one ``--set KEY=SPEC``; :class:`InvalidInput` names the mistake."""
    key, eq, spec = text.partition("=")
    key, spec = key.strip(), spec.strip()
    if not eq or not key:
        raise InvalidInput(f"--set {text!r}: expected KEY=VALUES, e.g. train.lr=0.1,0.01")
    if not _KEY.fullmatch(key):
        raise InvalidInput(f"--set {text!r}: {key!r} is not a param key (like train.lr)")
    if not spec:
        raise InvalidInput(f"--set {text!r}: no values after '='; use {_FORMS}")
    call = _CALL.fullmatch(spec)
    if call is None:
        return Space(key, "values", _values(text, spec))
    fn, args = call["fn"], call["args"]
    if fn == "choice":
        return Space(key, "values", _values(text, args))
    if fn == "range":
        return _range(text, key, args)
    if fn in CONTINUOUS:
        return _continuous(text, key, fn, args)
    raise InvalidInput(f"--set {text!r}: unknown function {fn!r}; use {_FORMS}")


def _values(text: str, spec: str) -> tuple[Any, ...]:
    parts = [part.strip() for part in spec.split(",")]
    if "" in parts:
        raise InvalidInput(f"--set {text!r}: an empty value in {spec!r}")
    values = tuple(_scalar(text, part) for part in parts)
    return tuple(dict.fromkeys(values))  # once each, first spelling kept


def _scalar(text: str, part: str) -> Any:
    """A number when ``part`` reads as one (``1e-4`` too, which YAML 1.1 leaves as text),
    else the YAML scalar (true, false, text)."""
    for number in (int, float):
        try:
            return number(part)
        except ValueError:
            pass
    try:
        value = yaml.safe_load(part)
    except yaml.YAMLError:
        value = None
    if isinstance(value, dict | list) or value is None:
        raise InvalidInput(f"--set {text!r}: {part!r} is not a single value")
    return value


def _numbers(text: str, fn: str, args: str, count: Sequence[int]) -> list[float]:
    parts = [part.strip() for part in args.split(",")]
    if len(parts) not in count:
        wanted = " or ".join(str(n) for n in count)
        raise InvalidInput(f"--set {text!r}: {fn}() takes {wanted} numbers, got {len(parts)}")
    numbers = [_scalar(text, part) for part in parts]
    for part, number in zip(parts, numbers, strict=True):
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise InvalidInput(f"--set {text!r}: {part!r} is not a number")
    return numbers


def _range(text: str, key: str, args: str) -> Space:
    numbers = _numbers(text, "range", args, (2, 3))
    if not all(isinstance(n, int) for n in numbers):
        raise InvalidInput(f"--set {text!r}: range() takes integers; use uniform(a,b) for floats")
    start, stop, step = (*numbers, 1) if len(numbers) == 2 else numbers
    if step == 0:
        raise InvalidInput(f"--set {text!r}: range() step must not be zero")
    values = tuple(range(int(start), int(stop), int(step)))
    if not values:
        raise InvalidInput(f"--set {text!r}: {range(int(start), int(stop), int(step))} is empty")
    return Space(key, "range", values, start, stop, int(step))


def _continuous(text: str, key: str, fn: str, args: str) -> Space:
    low, high = (float(n) for n in _numbers(text, fn, args, (2,)))
    if not low < high:
        raise InvalidInput(f"--set {text!r}: {fn}(a,b) needs a < b")
    if fn == "loguniform" and low <= 0:
        raise InvalidInput(f"--set {text!r}: loguniform(a,b) needs 0 < a")
    return Space(key, fn, (), low, high)


def parse_sets(texts: Sequence[str]) -> list[Space]:
    """The spaces of every ``--set``; a key given twice is an error."""
    if not texts:
        raise InvalidInput("nothing to sweep: pass at least one --set KEY=VALUES")
    spaces = [parse_set(text) for text in texts]
    seen: set[str] = set()
    for space in spaces:
        if space.key in seen:
            raise InvalidInput(f"--set {space.key} is given twice; list its values in one --set")
        seen.add(space.key)
    return spaces


def grid(spaces: Sequence[Space]) -> list[dict[str, Any]]:
    """Every combination of the discrete ``spaces`` (the first key varies slowest)."""
    continuous = [space.key for space in spaces if not space.discrete]
    if continuous:
        raise InvalidInput(
            f"--set {continuous[0]} is a continuous range: a grid cannot list it; "
            "pass --random N or --optuna --trials N"
        )
    keys = [space.key for space in spaces]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(s.values for s in spaces))]  # fmt: skip


def sample(spaces: Sequence[Space], n: int, seed: int | None = None) -> list[dict[str, Any]]:
    """``n`` combinations drawn at random: distinct ones when every space is discrete (all of
    them when the grid is smaller than ``n``)."""
    if n < 1:
        raise InvalidInput(f"--random must be at least 1, got {n}")
    rng = random.Random(seed)
    if all(space.discrete for space in spaces):
        combos = grid(spaces)
        return rng.sample(combos, min(n, len(combos)))
    return [{space.key: space.sample(rng) for space in spaces} for _ in range(n)]
