"""The per-request ``Access``: who is calling and what they may do to which resource."""

from __future__ import annotations

from dataclasses import dataclass, field

from cairn.store.sql.auth import Permission, SqlAuthRepository, User

# A resource a rule asks about: ("experiment", id), ("registered_model", name), or
# ("user", name) for a caller's own account.
Resource = tuple[str, str]


@dataclass
class Access:
    """An authenticated caller's permissions: explicit grants first, then the default."""

    user: User
    grants: dict[Resource, Permission]
    default: Permission
    auth: SqlAuthRepository = field(repr=False)

    @property
    def username(self) -> str:
        """The caller's user name."""
        return self.user.username

    @property
    def is_admin(self) -> bool:
        """Admins may do anything."""
        return self.user.is_admin

    def permission(self, resource: Resource) -> Permission:
        """The caller's level on one resource."""
        if self.is_admin:
            return Permission.MANAGE
        kind, name = resource
        if kind == "user":  # an account is its owner's to manage
            return Permission.MANAGE if name == self.username else Permission.NO_PERMISSIONS
        return self.grants.get(resource, self.default)

    def allows(self, resource: Resource, level: Permission) -> bool:
        """Whether the caller holds at least ``level`` on ``resource``."""
        return self.permission(resource) >= level

    def visible_experiment_ids(self) -> set[str] | None:
        """The experiments the caller may read, or None for all of them."""
        denied = {
            rid
            for (kind, rid), level in self.grants.items()
            if kind == "experiment" and level < Permission.READ
        }
        if self.is_admin or (self.default >= Permission.READ and not denied):
            return None
        if self.default >= Permission.READ:
            return self.auth.experiment_ids() - denied
        return {
            rid
            for (kind, rid), level in self.grants.items()
            if kind == "experiment" and level >= Permission.READ
        }

    def grant_creator(self, resource: Resource) -> None:
        """Give the caller MANAGE on a resource they just created."""
        kind, name = resource
        self.auth.grant(self.username, kind, name, Permission.MANAGE, actor=self.username)
        self.grants[resource] = Permission.MANAGE
