"""Which of the runs a re-run script made reproduces the original run.

A script may make several runs (a sweep, nested folds). Every run a process records carries
the process's ``cairn.source.invocation`` id, and ``cairn reproduce`` gives the re-run its own
id, so the re-run's runs are known. The original's counterpart is the one at the same place:
the same chain of run names from the top-level run down, and, among runs sharing that chain,
the same rank in start order. Runs named at random (no ``run_name`` given) never match by
name, so then the rank among all of the invocation's runs decides, when both made as many.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cairn.entities import PARENT_TAG, Run
from cairn.errors import InvalidInput

__all__ = ["match_reproduction"]


def match_reproduction(
    original: Run,
    original_siblings: Sequence[Run],
    made: Sequence[Run],
    get_run: Callable[[str], Run],
) -> Run:
    """The run of ``made`` standing where ``original`` stood among ``original_siblings`` (the
    runs of its own invocation; empty when it predates invocation ids)."""
    if not made:
        raise InvalidInput(
            f"the re-run made no run, so there is nothing to compare with run "
            f"{original.info.run_id}; check that the script still calls cairn.start_run()"
        )
    first_by_time = sorted(made, key=_start_order)
    old_family = {run.info.run_id: run for run in original_siblings} or None
    target = _name_chain(original, old_family, get_run)
    new_family = {run.info.run_id: run for run in made}
    same_place = [run for run in first_by_time if _name_chain(run, new_family, get_run) == target]
    if same_place:
        rank = _rank(original, original_siblings, lambda r: _name_chain(r, old_family, get_run))
        return same_place[min(rank, len(same_place) - 1)]
    if len(made) == 1:
        return made[0]
    if len(original_siblings) == len(made):
        return first_by_time[_rank(original, original_siblings, lambda _: ())]
    names = ", ".join(sorted({run.info.run_name or run.info.run_id for run in made}))
    raise InvalidInput(
        f"the re-run made {len(made)} runs ({names}) and none stands where run "
        f"{original.info.run_id} ({' / '.join(reversed(target))}) stood; compare them by hand "
        "with cairn runs compare"
    )


def _name_chain(
    run: Run, family: dict[str, Run] | None, get_run: Callable[[str], Run]
) -> tuple[str, ...]:
    """Run names from ``run`` up to its top-level ancestor within ``family`` (or the store's
    whole parent chain when ``family`` is None)."""
    chain = [run.info.run_name or ""]
    seen = {run.info.run_id}
    parent_id = run.data.tags.get(PARENT_TAG)
    while parent_id and parent_id not in seen:
        if family is not None and parent_id not in family:
            break
        parent = family[parent_id] if family is not None else get_run(parent_id)
        chain.append(parent.info.run_name or "")
        seen.add(parent_id)
        parent_id = parent.data.tags.get(PARENT_TAG)
    return tuple(chain)


def _rank(original: Run, siblings: Sequence[Run], key: Callable[[Run], tuple[str, ...]]) -> int:
    """How many of ``siblings`` with ``original``'s key started before it."""
    wanted = key(original)
    ordered = [run for run in sorted(siblings, key=_start_order) if key(run) == wanted]
    ids = [run.info.run_id for run in ordered]
    return ids.index(original.info.run_id) if original.info.run_id in ids else 0


def _start_order(run: Run) -> tuple[int, str]:
    return (run.info.start_time or 0, run.info.run_id)
