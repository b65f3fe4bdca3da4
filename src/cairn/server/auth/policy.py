"""What a route needs (:class:`Rule`) and the check of one request against it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cairn.errors import PermissionDenied
from cairn.server.auth.access import Access, Resource
from cairn.server.auth.resolvers import Lookups, RequestFacts, Resolver
from cairn.store.sql.auth import Permission

# Reads the created resource out of a successful JSON answer.
Creation = Callable[[Any], Resource | None]


@dataclass(frozen=True)
class Rule:
    """A route's requirements: public, signed in, admin, or levels on resolved resources.

    ``creates`` names the resource a successful answer created, of which the caller then
    gets MANAGE (only when the rule's resolvers found no existing resource, so that
    get-or-create on an existing name grants nothing). ``admin_fields`` are body or query
    fields only admins may set (such as an experiment's artifact location on the server).
    ``manage_fields`` are body fields that, set true, raise every level needed to MANAGE
    (forcing a protected alias past its gates is the model's owners' call, not an editor's).
    """

    needs: tuple[tuple[Permission, Resolver], ...] = ()
    public: bool = False
    admin: bool = False
    creates: Creation | None = None
    admin_fields: tuple[str, ...] = ()
    manage_fields: tuple[str, ...] = ()


PUBLIC = Rule(public=True)
SIGNED_IN = Rule()
ADMIN = Rule(admin=True)


def read(*resolvers: Resolver, **options: Any) -> Rule:
    """READ on every resource the resolvers find."""
    return Rule(needs=tuple((Permission.READ, r) for r in resolvers), **options)


def edit(*resolvers: Resolver, **options: Any) -> Rule:
    """EDIT on every resource the resolvers find."""
    return Rule(needs=tuple((Permission.EDIT, r) for r in resolvers), **options)


def manage(*resolvers: Resolver, **options: Any) -> Rule:
    """MANAGE on every resource the resolvers find."""
    return Rule(needs=tuple((Permission.MANAGE, r) for r in resolvers), **options)


def both(*rules: Rule, **options: Any) -> Rule:
    """Every requirement of several rules at once."""
    needs = tuple(need for rule in rules for need in rule.needs)
    return Rule(needs=needs, admin=any(rule.admin for rule in rules), **options)


def check(rule: Rule, access: Access, facts: RequestFacts, lookups: Lookups) -> list[Resource]:
    """The resources the request touches; PermissionDenied if the caller lacks a level."""
    if access.is_admin:
        return _resolved(rule, facts, lookups)
    if rule.admin:
        raise PermissionDenied(f"only an admin may do this; {access.username!r} is not one")
    for name in rule.admin_fields:
        if facts.values([name]):
            raise PermissionDenied(f"only an admin may set {name!r} on this server")
    raised = [name for name in rule.manage_fields if _true(facts.values([name]))]
    found: list[Resource] = []
    for needed, resolver in rule.needs:
        level = Permission.MANAGE if raised else needed
        resources = resolver(facts, lookups)
        if resources is None:
            raise PermissionDenied("the request does not say which resource it is about")
        for resource in resources:
            if not access.allows(resource, level):
                kind, name = resource
                why = f" to set {raised[0]!r}" if raised and level > needed else ""
                raise PermissionDenied(
                    f"user {access.username!r} needs {level.name} on {kind.replace('_', ' ')} "
                    f"{name!r}{why} (has {access.permission(resource).name})"
                )
        found.extend(resources)
    return found


def _true(values: list[str]) -> bool:
    return any(value.lower() not in ("false", "0", "no") for value in values)


def _resolved(rule: Rule, facts: RequestFacts, lookups: Lookups) -> list[Resource]:
    if rule.creates is None:
        return []
    found: list[Resource] = []
    for _level, resolver in rule.needs:
        found.extend(resolver(facts, lookups) or [])
    return found
