"""The comparison operators that rules and gates write as text (``f1 >= 0.8``)."""

from __future__ import annotations

import operator
from collections.abc import Callable

__all__ = ["COMPARISONS"]

#: Operator text -> the comparison it stands for (two-character operators first, so a
#: regular expression built from the keys in this order matches ``<=`` before ``<``).
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
