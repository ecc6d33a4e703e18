"""The authenticated caller, as every route sees it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    user_id: str
    email: str
    roles: frozenset[str]
    workspaces: tuple[str, ...]
    display_name: str = ""
    claims: dict = field(default_factory=dict, compare=False, hash=False)

    def has_any_role(self, roles) -> bool:
        return bool(self.roles & frozenset(roles))

    def can_access(self, workspace_id: str) -> bool:
        return workspace_id in self.workspaces
